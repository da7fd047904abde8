/*
 * port.c - hil_port.h for QEMU netduinoplus2 (STM32F405): USART1 link, SysTick timer
 * (processor clock, 168 MHz in QEMU, 24-bit, wraps counted in the SysTick interrupt).
 * No timestamp pin.
 *
 * QEMU 7.2 models neither the RCC nor the GPIO alternate functions: the core runs at
 * 168 MHz from reset and USART1 needs only to be enabled (CR1.UE|TE|RE). Bytes that
 * arrive before that are dropped by the model, so the host syncs with HELLO. On silicon
 * this port would also need the PLL set up for 168 MHz and PA9/PA10 put in AF7.
 */
#include "hil_port.h"
#include "stm32f405.h"

#define SYSTICK_RELOAD 0xFFFFFFu
#define CORE_HZ 168000000u

static const hil_port_info_t info = {
    .board = "netduinoplus2",
    .core = "cortex-m4f",
    .clock_hz = CORE_HZ,
    .timer_hz = CORE_HZ,
    .timer_kind = HIL_TIMER_SYSTICK,
    .has_timestamp_pin = 0,
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
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    USART1_CR1 = 0;
    USART1_CR2 = 0;
    USART1_CR3 = 0;
    USART1_BRR = 0x2D9u; /* 115200 baud from the 84 MHz APB2 clock (ignored by QEMU) */
    USART1_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;

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

/*
 * Re-base (as on mps2-an386, see firmware/README.md): writing SYST_CVR clears the counter
 * and QEMU restarts the tick period at the current virtual time, so the tick phase
 * relative to the timed code is the same on every run. A pending wrap is discarded.
 */
void hil_port_timer_start(void)
{
    uint32_t primask = irq_save();
    SYST_CVR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    systick_wraps = 0;
    irq_restore(primask);
}

/* k ticks after the start the counter reads RELOAD+1-k, and 0 exactly at a wrap; a wrap
 * whose interrupt is still pending is seen in ICSR.PENDSTSET and the counter re-read. */
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
    (void)level;
}
