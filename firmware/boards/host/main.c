/* main.c - host-native entry point. */
#include "hil_dut.h"

int main(void)
{
    hil_dut_main();
}
