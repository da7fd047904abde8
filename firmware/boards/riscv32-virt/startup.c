/*
 * startup.c - reset entry and trap handler for QEMU riscv32 `virt` (-bios none).
 * QEMU's reset ROM jumps to 0x80000000 in M-mode on hart 0 (the only hart). Nothing runs
 * with interrupts: the link is polled and the timer is the mcycle CSR. Any trap
 * (exception or interrupt) resets the machine through the SiFive test device, so the DUT
 * sends BOOT again and the host reports the reset. On that reset QEMU reloads the image,
 * .data included; .bss is zeroed here.
 */
#include <stdint.h>
#include <string.h>

#include "virt.h"

extern uint32_t __bss_start__[], __bss_end__[];

int main(void);
void _start(void);
void hil_rv_trap(void);
void hil_rv_cstart(void);

__attribute__((naked, noreturn, section(".text.start"))) void _start(void)
{
    __asm volatile("csrw mie, zero\n\t"
                   "csrci mstatus, 8\n\t" /* MIE = 0 */
                   ".option push\n\t"
                   ".option norelax\n\t"
                   "la gp, __global_pointer$\n\t"
                   ".option pop\n\t"
                   "la sp, __stack_top__\n\t"
                   "la t0, hil_rv_trap\n\t"
                   "csrw mtvec, t0\n\t" /* direct mode: the handler is 4-byte aligned */
                   "j hil_rv_cstart\n\t");
}

__attribute__((noreturn, aligned(4))) void hil_rv_trap(void)
{
    SIFIVE_TEST = SIFIVE_TEST_FINISHER_RESET;
    for (;;) {
    }
}

__attribute__((noreturn)) void hil_rv_cstart(void)
{
    size_t bss_bytes = (size_t)((uintptr_t)__bss_end__ - (uintptr_t)__bss_start__);
    memset(__bss_start__, 0, bss_bytes);
    main();
    hil_rv_trap(); /* main never returns */
}
