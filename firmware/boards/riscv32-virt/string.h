/*
 * string.h - the part of <string.h> the firmware uses, for riscv32-virt: Debian's
 * riscv64-unknown-elf-gcc ships no C library, so the board links with -nostdlib -lgcc
 * and implements these in mem.c. Found first because boards/<board>/ is on the include
 * path.
 */
#ifndef HIL_RV_STRING_H
#define HIL_RV_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
