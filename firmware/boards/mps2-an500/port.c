/*
 * port.c - hil_port.h for QEMU mps2-an500: CMSDK UART0 link, SysTick timer (processor
 * clock, 25 MHz, 24-bit, wraps counted in the SysTick interrupt), FPGAIO LED 0 as the
 * timestamp pin.
 */
#include "hil_port.h"
#include "mps2_an500.h"

#define SYSTICK_RELOAD 0xFFFFFFu

static const hil_port_info_t info = {
    .board = "mps2-an500",
    .core = "cortex-m7",
    .clock_hz = 25000000u,
    .timer_hz = 25000000u,
    .timer_kind = HIL_TIMER_SYSTICK,
    .has_timestamp_pin = 1,
};

static volatile uint32_t systick_wraps;

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    systick_wraps++;
}

static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

void hil_port_init(void)
{
    UART0_CTRL = 0;
    UART0_BAUDDIV = 16u;
    UART0_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN;

    FPGAIO_LED = 0;

    SYST_CSR = 0;
    SYST_RVR = SYSTICK_RELOAD;
    SYST_CVR = 0;
    systick_wraps = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __asm volatile("cpsie i" ::: "memory");
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

int hil_port_read_byte(uint8_t *out)
{
    if (UART0_STATE & UART_STATE_RXFULL) {
        *out = (uint8_t)(UART0_DATA & 0xFFu);
        return 1;
    }
    return 0;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        while (UART0_STATE & UART_STATE_TXFULL) {
        }
        UART0_DATA = buf[i];
    }
}

/*
 * Re-base: writing SYST_CVR clears the counter to 0 (it reloads on the next tick) and
 * clears COUNTFLAG; QEMU's ptimer restarts its period at "now", so the tick phase
 * relative to the code that follows is the same on every run. A wrap that was pending
 * from before is discarded.
 */
void hil_port_timer_start(void)
{
    uint32_t primask = irq_save();
    SYST_CVR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    systick_wraps = 0;
    irq_restore(primask);
}

/*
 * After the re-base the counter reads 0, then RELOAD, RELOAD-1, ... 1, 0 (wrap: the
 * interrupt pends), RELOAD, ... so k ticks after the start it reads RELOAD+1-k, and 0
 * exactly at a wrap. A wrap that has happened but whose interrupt is still pending is
 * seen in ICSR.PENDSTSET; the counter is then read again so that it belongs to the new
 * period.
 */
uint64_t hil_port_timer_elapsed(void)
{
    uint32_t primask = irq_save();
    uint32_t wraps = systick_wraps;
    uint32_t cvr = SYST_CVR;
    if (SCB_ICSR & SCB_ICSR_PENDSTSET) {
        cvr = SYST_CVR;
        wraps++;
    }
    irq_restore(primask);
    uint64_t in_period = (cvr == 0u) ? 0u : (uint64_t)(SYSTICK_RELOAD + 1u - cvr);
    return (uint64_t)wraps * (uint64_t)(SYSTICK_RELOAD + 1u) + in_period;
}

void hil_port_timestamp_pin(int level)
{
    if (level) {
        FPGAIO_LED |= 1u;
    } else {
        FPGAIO_LED &= ~1u;
    }
}
