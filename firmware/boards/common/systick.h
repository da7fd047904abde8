/*
 * systick.h - SysTick as the hil_port timer, shared by the Cortex-M boards (select
 * systick.c in board.mk's BOARD_COMMON). systick.c implements hil_port_timer_start(),
 * hil_port_timer_elapsed() and SysTick_Handler (wraps counted in the interrupt); the
 * board's hil_port_init() calls hil_systick_init().
 *
 * The counter runs from the processor clock (CLKSOURCE=1), reload HIL_SYSTICK_RELOAD
 * (default the full 24 bits; a board.h may define another). Registers: cortexm.h.
 */
#ifndef HIL_SYSTICK_H
#define HIL_SYSTICK_H

#ifndef HIL_SYSTICK_RELOAD
#define HIL_SYSTICK_RELOAD 0xFFFFFFu
#endif

/* Start SysTick (interrupt on wrap) and enable interrupts (cpsie i). */
void hil_systick_init(void);

void SysTick_Handler(void);

#endif
