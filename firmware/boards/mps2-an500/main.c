/* main.c - mps2-an500 entry point (called from Reset_Handler). */
#include "hil_dut.h"

int main(void)
{
    hil_dut_main();
}
