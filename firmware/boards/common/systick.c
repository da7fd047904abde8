/*
 * systick.c - hil_port.h's timer on SysTick (see systick.h and firmware/README.md,
 * "Timing on mps2-an386").
 */
#include "board.h"
#include "hil_port.h"
#include "systick.h"

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void hil_systick_init(void)
{
    SYST_CSR = 0;
    SYST_RVR = HIL_SYSTICK_RELOAD;
    SYST_CVR = 0;
    systick_wraps = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __asm volatile("cpsie i" ::: "memory");
}

/*
 * Re-base: writing SYST_CVR clears the counter to 0 (it reloads on the next tick) and
 * clears COUNTFLAG; QEMU's ptimer restarts its period at "now", so the tick phase
 * relative to the code that follows is the same on every run. A wrap that was pending
 * from before is discarded.
 */
void hil_port_timer_start(void)
{
    uint32_t primask = hil_irq_save();
    SYST_CVR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    systick_wraps = 0;
    hil_irq_restore(primask);
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
    uint32_t primask = hil_irq_save();
    uint32_t wraps = systick_wraps;
    uint32_t cvr = SYST_CVR;
    if (SCB_ICSR & SCB_ICSR_PENDSTSET) {
        cvr = SYST_CVR;
        wraps++;
    }
    hil_irq_restore(primask);
    uint64_t in_period = (cvr == 0u) ? 0u : (uint64_t)(HIL_SYSTICK_RELOAD + 1u - cvr);
    return (uint64_t)wraps * (uint64_t)(HIL_SYSTICK_RELOAD + 1u) + in_period;
}
