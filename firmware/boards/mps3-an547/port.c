/*
 * port.c - hil_port.h for QEMU mps3-an547 (Secure state): CMSDK UART0 link
 * (boards/common/cmsdk_uart.c), Secure SysTick timer (boards/common/systick.c; processor
 * clock, 32 MHz, 24-bit, wraps counted in the SysTick interrupt), FPGAIO LED 0 as the
 * timestamp pin.
 */
#include "board.h"
#include "cmsdk_uart.h"
#include "hil_port.h"
#include "systick.h"

static const hil_port_info_t info = {
    .board = "mps3-an547",
    .core = "cortex-m55",
    .clock_hz = 32000000u,
    .timer_hz = 32000000u,
    .timer_kind = HIL_TIMER_SYSTICK,
    .has_timestamp_pin = 1,
};

void hil_port_init(void)
{
    hil_cmsdk_uart_init();
    FPGAIO_LED = 0;
    hil_systick_init();
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

void hil_port_timestamp_pin(int level)
{
    if (level) {
        FPGAIO_LED |= 1u;
    } else {
        FPGAIO_LED &= ~1u;
    }
}
