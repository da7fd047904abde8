/*
 * startup.c - vector table and reset handler for QEMU mps3-an547 (Cortex-M55, Secure
 * state). The image runs from the ITCM's Secure alias (0x10000000, where the SSE-300
 * fetches the Secure vector table at reset); small data and the stack are in the DTCM
 * (0x30000000); dut/hil_dut.c's buffers (model, arena, ...) are in the 4 MiB internal
 * SRAM (0x31000000, .bss.sram), zeroed here like .bss.
 * Any fault or unexpected interrupt resets the system (SCB AIRCR SYSRESETREQ): the DUT
 * then sends BOOT again and the host reports the reset.
 */
#include <stdint.h>
#include <string.h>

#include "mps3_an547.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __sram_bss_start__[], __sram_bss_end__[];
extern uint32_t __stack_top__[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

typedef void (*vector_t)(void);

#define N_EXTERNAL_IRQS 96

__attribute__((section(".isr_vector"), used))
const vector_t hil_vectors[16 + N_EXTERNAL_IRQS] = {
    [0] = (vector_t)(uintptr_t)__stack_top__,
    [1] = Reset_Handler,
    [2] = Fault_Handler,  /* NMI */
    [3] = Fault_Handler,  /* HardFault */
    [4] = Fault_Handler,  /* MemManage */
    [5] = Fault_Handler,  /* BusFault */
    [6] = Fault_Handler,  /* UsageFault */
    [7] = Fault_Handler,  /* SecureFault */
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
    /* Full access to CP10/CP11 (FPU and MVE) first: the code below is built hard-float. */
    SCB_CPACR |= (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
    SCB_VTOR = (uint32_t)(uintptr_t)hil_vectors;

    size_t data_bytes = (size_t)((uintptr_t)__data_end__ - (uintptr_t)__data_start__);
    size_t bss_bytes = (size_t)((uintptr_t)__bss_end__ - (uintptr_t)__bss_start__);
    size_t sram_bytes = (size_t)((uintptr_t)__sram_bss_end__ - (uintptr_t)__sram_bss_start__);
    memcpy(__data_start__, __data_load__, data_bytes);
    memset(__bss_start__, 0, bss_bytes);
    memset(__sram_bss_start__, 0, sram_bytes);

    main();
    Fault_Handler(); /* main never returns */
}
