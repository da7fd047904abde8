/*
 * mem.c - memcpy / memmove / memset / memcmp / strlen for riscv32-virt (no C library;
 * GCC also emits calls to the first three for struct copies and __builtin_mem*).
 * Word-at-a-time when both pointers are word aligned, bytes otherwise. Built with loop
 * pattern distribution off, so GCC does not turn these loops back into calls to
 * themselves.
 */
#include <stdint.h>
#include <string.h>

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0u) {
        for (; n >= 16u; n -= 16u, d += 16, s += 16) {
            uint32_t a = ((const uint32_t *)(const void *)s)[0];
            uint32_t b = ((const uint32_t *)(const void *)s)[1];
            uint32_t c = ((const uint32_t *)(const void *)s)[2];
            uint32_t e = ((const uint32_t *)(const void *)s)[3];
            ((uint32_t *)(void *)d)[0] = a;
            ((uint32_t *)(void *)d)[1] = b;
            ((uint32_t *)(void *)d)[2] = c;
            ((uint32_t *)(void *)d)[3] = e;
        }
        for (; n >= 4u; n -= 4u, d += 4, s += 4) {
            *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
        }
    }
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0u) {
        return dst;
    }
    if (d < s || d >= s + n) {
        while (n--) {
            *d++ = *s++;
        }
    } else {
        d += n;
        s += n;
        while (n--) {
            *--d = *--s;
        }
    }
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    const uint8_t b = (uint8_t)c;
    while (n > 0u && ((uintptr_t)d & 3u) != 0u) {
        *d++ = b;
        n--;
    }
    const uint32_t w = (uint32_t)b * 0x01010101u;
    for (; n >= 16u; n -= 16u, d += 16) {
        ((uint32_t *)(void *)d)[0] = w;
        ((uint32_t *)(void *)d)[1] = w;
        ((uint32_t *)(void *)d)[2] = w;
        ((uint32_t *)(void *)d)[3] = w;
    }
    for (; n >= 4u; n -= 4u, d += 4) {
        *(uint32_t *)(void *)d = w;
    }
    while (n--) {
        *d++ = b;
    }
    return dst;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a;
    const uint8_t *q = b;
    for (; n > 0u; n--, p++, q++) {
        if (*p != *q) {
            return (int)*p - (int)*q;
        }
    }
    return 0;
}

NO_LIBCALL size_t strlen(const char *s)
{
    const char *p = s;
    while (*p) {
        p++;
    }
    return (size_t)(p - s);
}
