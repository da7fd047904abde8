/*
 * cortexm_startup.c - vector table and reset handler shared by the Cortex-M boards
 * (select it in board.mk's BOARD_COMMON). Reset_Handler enables the FPU (CP10/CP11),
 * copies .data from its load address, zeroes .bss and calls main(). Any fault or
 * unexpected interrupt resets the system (SCB AIRCR SYSRESETREQ): the DUT then sends
 * BOOT again and the host reports the reset.
 *
 * The board's board.h sets:
 *   HIL_CORTEXM_N_EXTERNAL_IRQS  number of device interrupts in the vector table (required)
 *   HIL_CORTEXM_SET_VTOR         1: point SCB_VTOR at the table (when the core fetched it
 *                                through an alias at reset)
 *   HIL_CORTEXM_SECUREFAULT      1: vector 7 is SecureFault (ARMv8-M with Security ext.)
 *   HIL_CORTEXM_SRAM_BSS         1: also zero __sram_bss_start__..__sram_bss_end__
 * The linker script defines __stack_top__, __data_load__/__data_start__/__data_end__ and
 * __bss_start__/__bss_end__. SysTick_Handler comes from systick.c (or the board).
 */
#include <stdint.h>
#include <string.h>

#include "board.h"

#ifndef HIL_CORTEXM_N_EXTERNAL_IRQS
#error "board.h must define HIL_CORTEXM_N_EXTERNAL_IRQS"
#endif

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
#if defined(HIL_CORTEXM_SRAM_BSS) && HIL_CORTEXM_SRAM_BSS
extern uint32_t __sram_bss_start__[], __sram_bss_end__[];
#endif
extern uint32_t __stack_top__[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used))
const vector_t hil_vectors[16 + HIL_CORTEXM_N_EXTERNAL_IRQS] = {
    [0] = (vector_t)(uintptr_t)__stack_top__,
    [1] = Reset_Handler,
    [2] = Fault_Handler, /* NMI */
    [3] = Fault_Handler, /* HardFault */
    [4] = Fault_Handler, /* MemManage */
    [5] = Fault_Handler, /* BusFault */
    [6] = Fault_Handler, /* UsageFault */
#if defined(HIL_CORTEXM_SECUREFAULT) && HIL_CORTEXM_SECUREFAULT
    [7] = Fault_Handler, /* SecureFault */
#endif
    [11] = Fault_Handler, /* SVCall */
    [12] = Fault_Handler, /* DebugMonitor */
    [14] = Fault_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 ... 16 + HIL_CORTEXM_N_EXTERNAL_IRQS - 1] = Fault_Handler,
};

__attribute__((noreturn)) void Fault_Handler(void)
{
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;) {
    }
}

__attribute__((noreturn)) void Reset_Handler(void)
{
    /* Full access to CP10/CP11 (FPU, and MVE where present) first: the code below is
     * built hard-float. */
    SCB_CPACR |= (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
#if defined(HIL_CORTEXM_SET_VTOR) && HIL_CORTEXM_SET_VTOR
    SCB_VTOR = (uint32_t)(uintptr_t)hil_vectors;
#endif

    size_t data_bytes = (size_t)((uintptr_t)__data_end__ - (uintptr_t)__data_start__);
    size_t bss_bytes = (size_t)((uintptr_t)__bss_end__ - (uintptr_t)__bss_start__);
#if defined(HIL_CORTEXM_SRAM_BSS) && HIL_CORTEXM_SRAM_BSS
    size_t sram_bytes =
        (size_t)((uintptr_t)__sram_bss_end__ - (uintptr_t)__sram_bss_start__);
#endif
    memcpy(__data_start__, __data_load__, data_bytes);
    memset(__bss_start__, 0, bss_bytes);
#if defined(HIL_CORTEXM_SRAM_BSS) && HIL_CORTEXM_SRAM_BSS
    memset(__sram_bss_start__, 0, sram_bytes);
#endif

    main();
    Fault_Handler(); /* main never returns */
}
