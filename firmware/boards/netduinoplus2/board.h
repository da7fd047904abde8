/* board.h - QEMU netduinoplus2 (STM32F405, Cortex-M4F; RM0090): the device registers
 * this port and the shared Cortex-M code in boards/common/ use. */
#ifndef BOARD_H
#define BOARD_H

#include "cortexm.h"

/* cortexm_startup.c: the image sits in flash at 0x08000000, which the chip (and QEMU)
 * also maps at 0x00000000 where the core fetches the vector table at reset; VTOR is set
 * to the flash address, not the alias. */
#define HIL_CORTEXM_N_EXTERNAL_IRQS 82 /* STM32F405: IRQ 0..81 */
#define HIL_CORTEXM_SET_VTOR 1

/* RCC: clock enables (QEMU 7.2 does not model the RCC; the writes are harmless there
 * and needed on silicon) */
#define RCC_AHB1ENR REG32(0x40023830u)
#define RCC_APB2ENR REG32(0x40023844u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB2ENR_USART1EN (1u << 4)

/* USART1 (APB2) */
#define USART1_BASE 0x40011000u
#define USART1_SR REG32(USART1_BASE + 0x00u)
#define USART1_DR REG32(USART1_BASE + 0x04u)
#define USART1_BRR REG32(USART1_BASE + 0x08u)
#define USART1_CR1 REG32(USART1_BASE + 0x0Cu)
#define USART1_CR2 REG32(USART1_BASE + 0x10u)
#define USART1_CR3 REG32(USART1_BASE + 0x14u)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RE (1u << 2)

#endif
