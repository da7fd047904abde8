/* board.h - QEMU mps3-an547 (Arm MPS3 AN547, Corstone SSE-300 with Cortex-M55): the
 * device addresses this port and the shared Cortex-M code in boards/common/ use. The core
 * starts in Secure state; this port stays there and uses the Secure aliases (address bit
 * 28 set) of memory and peripherals, and the Secure SCB and SysTick.
 *
 * The image runs from the ITCM's Secure alias (0x10000000, where the SSE-300 fetches the
 * Secure vector table at reset); small data and the stack are in the DTCM (0x30000000);
 * the DUT's buffers (dut/hil_model_slot.c: model, arena, ...; the link buffers) are in the 4 MiB internal SRAM
 * (0x31000000, .bss.sram), zeroed at reset like .bss.
 */
#ifndef BOARD_H
#define BOARD_H

#include "cortexm.h"

/* cortexm_startup.c */
#define HIL_CORTEXM_N_EXTERNAL_IRQS 96
#define HIL_CORTEXM_SET_VTOR 1
#define HIL_CORTEXM_SECUREFAULT 1
#define HIL_CORTEXM_SRAM_BSS 1

/* cmsdk_uart.c: CMSDK APB UART0, Secure alias of 0x49303000 */
#define HIL_CMSDK_UART_BASE 0x59303000u

/* FPGA IO, Secure alias of 0x49302000: LED register, bit 0 is the timestamp "pin" */
#define FPGAIO_LED REG32(0x59302000u)

#endif
