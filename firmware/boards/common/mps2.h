/*
 * mps2.h - the device addresses of QEMU's Arm MPS2 FPGA images (mps2-an386 Cortex-M4F,
 * mps2-an500 Cortex-M7: the same memory map), as the shared Cortex-M code in
 * boards/common/ and the boards' ports use them. Such a board's board.h includes this
 * and adds what is its own.
 */
#ifndef HIL_MPS2_H
#define HIL_MPS2_H

#include "cortexm.h"

/* cortexm_startup.c: the vector table is fetched from 0x00000000, where the image is. */
#define HIL_CORTEXM_N_EXTERNAL_IRQS 32

/* cmsdk_uart.c: CMSDK APB UART0 */
#define HIL_CMSDK_UART_BASE 0x40004000u

/* FPGA IO: LED register, bit 0 is the timestamp "pin" */
#define FPGAIO_LED REG32(0x40028000u)

#endif
