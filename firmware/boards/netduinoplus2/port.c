/*
 * port.c - hil_port.h for QEMU netduinoplus2 (STM32F405): USART1 link, SysTick timer
 * (boards/common/systick.c; processor clock, 168 MHz in QEMU, 24-bit, wraps counted in
 * the SysTick interrupt). No timestamp pin.
 *
 * QEMU 7.2 models neither the RCC nor the GPIO alternate functions: the core runs at
 * 168 MHz from reset and USART1 needs only to be enabled (CR1.UE|TE|RE). Bytes that
 * arrive before that are dropped by the model, so the host syncs with HELLO. On silicon
 * this port would also need the PLL set up for 168 MHz and PA9/PA10 put in AF7.
 */
#include "board.h"
#include "hil_port.h"
#include "systick.h"

#define CORE_HZ 168000000u

static const hil_port_info_t info = {
    .board = "netduinoplus2",
    .core = "cortex-m4f",
    .clock_hz = CORE_HZ,
    .timer_hz = CORE_HZ,
    .timer_kind = HIL_TIMER_SYSTICK,
    .has_timestamp_pin = 0,
};

void hil_port_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    USART1_CR1 = 0;
    USART1_CR2 = 0;
    USART1_CR3 = 0;
    USART1_BRR = 0x2D9u; /* 115200 baud from the 84 MHz APB2 clock (ignored by QEMU) */
    USART1_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;

    hil_systick_init();
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

int hil_port_read_byte(uint8_t *out)
{
    if (USART1_SR & USART_SR_RXNE) {
        *out = (uint8_t)(USART1_DR & 0xFFu);
        return 1;
    }
    return 0;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        while (!(USART1_SR & USART_SR_TXE)) {
        }
        USART1_DR = buf[i];
    }
}

void hil_port_timestamp_pin(int level)
{
    (void)level;
}
