/* cmsdk_uart.c - hil_port.h's link on a CMSDK APB UART (see cmsdk_uart.h). */
#include "board.h"
#include "cmsdk_uart.h"
#include "hil_port.h"

#ifndef HIL_CMSDK_UART_BASE
#error "board.h must define HIL_CMSDK_UART_BASE"
#endif

#define UART_DATA REG32(HIL_CMSDK_UART_BASE + 0x00u)
#define UART_STATE REG32(HIL_CMSDK_UART_BASE + 0x04u)
#define UART_CTRL REG32(HIL_CMSDK_UART_BASE + 0x08u)
#define UART_BAUDDIV REG32(HIL_CMSDK_UART_BASE + 0x10u)
#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TXEN (1u << 0)
#define UART_CTRL_RXEN (1u << 1)

void hil_cmsdk_uart_init(void)
{
    UART_CTRL = 0;
    UART_BAUDDIV = 16u;
    UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN;
}

int hil_port_read_byte(uint8_t *out)
{
    if (UART_STATE & UART_STATE_RXFULL) {
        *out = (uint8_t)(UART_DATA & 0xFFu);
        return 1;
    }
    return 0;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        while (UART_STATE & UART_STATE_TXFULL) {
        }
        UART_DATA = buf[i];
    }
}
