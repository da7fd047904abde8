/* main.c - riscv32-virt entry point (called from Reset_Handler). */
#include "hil_dut.h"

int main(void)
{
    hil_dut_main();
}
