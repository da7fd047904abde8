/* virt.h - the devices of QEMU's RISC-V `virt` machine this board port touches. */
#ifndef RISCV32_VIRT_H
#define RISCV32_VIRT_H

#include <stdint.h>

#define REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))
#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* NS16550A UART0, byte registers */
#define UART0_BASE 0x10000000u
#define UART_RBR REG8(UART0_BASE + 0u) /* read, DLAB=0 */
#define UART_THR REG8(UART0_BASE + 0u) /* write, DLAB=0 */
#define UART_DLL REG8(UART0_BASE + 0u) /* DLAB=1 */
#define UART_IER REG8(UART0_BASE + 1u)
#define UART_DLM REG8(UART0_BASE + 1u) /* DLAB=1 */
#define UART_FCR REG8(UART0_BASE + 2u) /* write */
#define UART_LCR REG8(UART0_BASE + 3u)
#define UART_MCR REG8(UART0_BASE + 4u)
#define UART_LSR REG8(UART0_BASE + 5u)
#define UART_LCR_8N1 0x03u
#define UART_LCR_DLAB 0x80u
#define UART_FCR_ENABLE_RESET_14 0xC7u /* FIFO on, clear RX and TX FIFOs, RX trigger 14 */
#define UART_MCR_DTR_RTS 0x03u
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u
#define UART_FIFO_DEPTH 16u

/* SiFive test device: writing FINISHER_RESET resets the whole machine */
#define SIFIVE_TEST REG32(0x00100000u)
#define SIFIVE_TEST_FINISHER_RESET 0x7777u

#endif
