/*
 * cmsdk_uart.h - the host link on an Arm CMSDK APB UART (the MPS2/MPS3 FPGA images;
 * select cmsdk_uart.c in board.mk's BOARD_COMMON). cmsdk_uart.c implements
 * hil_port_read_byte() and hil_port_write() on the UART at HIL_CMSDK_UART_BASE, which the
 * board's board.h defines; the board's hil_port_init() calls hil_cmsdk_uart_init().
 */
#ifndef HIL_CMSDK_UART_H
#define HIL_CMSDK_UART_H

/* Enable transmit and receive (BAUDDIV 16; QEMU ignores the baud rate). */
void hil_cmsdk_uart_init(void);

#endif
