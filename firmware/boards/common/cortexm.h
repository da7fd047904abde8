/*
 * cortexm.h - the architectural Cortex-M registers (ARMv7-M / ARMv8-M Mainline) that the
 * shared board code in boards/common/ touches, and interrupt masking. A board's board.h
 * includes this and adds its device's addresses.
 */
#ifndef HIL_CORTEXM_H
#define HIL_CORTEXM_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System control block (in Secure state: the Secure bank) */
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_ICSR_PENDSTSET (1u << 26)
#define SCB_ICSR_PENDSTCLR (1u << 25)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_CPACR REG32(0xE000ED88u)

/* SysTick (in Secure state: the Secure instance) */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)

/* Mask interrupts; returns the previous PRIMASK for hil_irq_restore(). */
static inline uint32_t hil_irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void hil_irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

#endif
