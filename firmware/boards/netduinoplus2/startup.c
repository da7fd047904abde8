/*
 * startup.c - vector table and reset handler for QEMU netduinoplus2 (STM32F405,
 * Cortex-M4F). The image sits in flash at 0x08000000, which the chip (and QEMU) also
 * maps at 0x00000000 where the core fetches the vector table at reset.
 * Any fault or unexpected interrupt resets the system (SCB AIRCR SYSRESETREQ): the DUT
 * then sends BOOT again and the host reports the reset.
 */
#include <stdint.h>
#include <string.h>

#include "stm32f405.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_top__[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

typedef void (*vector_t)(void);

#define N_EXTERNAL_IRQS 82 /* STM32F405: IRQ 0..81 */

__attribute__((section(".isr_vector"), used))
const vector_t hil_vectors[16 + N_EXTERNAL_IRQS] = {
    [0] = (vector_t)(uintptr_t)__stack_top__,
    [1] = Reset_Handler,
    [2] = Fault_Handler,  /* NMI */
    [3] = Fault_Handler,  /* HardFault */
    [4] = Fault_Handler,  /* MemManage */
    [5] = Fault_Handler,  /* BusFault */
    [6] = Fault_Handler,  /* UsageFault */
    [11] = Fault_Handler, /* SVCall */
    [12] = Fault_Handler, /* DebugMonitor */
    [14] = Fault_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 ... 16 + N_EXTERNAL_IRQS - 1] = Fault_Handler,
};

__attribute__((noreturn)) void Fault_Handler(void)
{
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;) {
    }
}

__attribute__((noreturn)) void Reset_Handler(void)
{
    /* Full access to CP10/CP11 first: the code below is built hard-float. */
    SCB_CPACR |= (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)hil_vectors; /* the flash address, not the alias */

    size_t data_bytes = (size_t)((uintptr_t)__data_end__ - (uintptr_t)__data_start__);
    size_t bss_bytes = (size_t)((uintptr_t)__bss_end__ - (uintptr_t)__bss_start__);
    memcpy(__data_start__, __data_load__, data_bytes);
    memset(__bss_start__, 0, bss_bytes);

    main();
    Fault_Handler(); /* main never returns */
}
