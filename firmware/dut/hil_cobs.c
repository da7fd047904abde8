/* hil_cobs.c - COBS encode / in-place decode (see hil_cobs.h). */
#include "hil_cobs.h"

int32_t hil_cobs_encode(const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t dst_cap)
{
    if (dst_cap < 1u || len > 0x7FFFFF00u) {
        return -1;
    }
    uint32_t code_pos = 0;
    uint32_t out = 1;
    uint8_t code = 1;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t b = src[i];
        if (b == 0) {
            dst[code_pos] = code;
            if (out >= dst_cap) {
                return -1;
            }
            code_pos = out++;
            code = 1;
            continue;
        }
        if (out >= dst_cap) {
            return -1;
        }
        dst[out++] = b;
        code++;
        if (code == 0xFFu) {
            dst[code_pos] = code;
            if (out >= dst_cap) {
                return -1;
            }
            code_pos = out++;
            code = 1;
        }
    }
    dst[code_pos] = code;
    return (int32_t)out;
}

int32_t hil_cobs_decode_inplace(uint8_t *buf, uint32_t len)
{
    /* Output never overtakes input: each code byte is replaced by at most one output
     * byte, written after the block it announces. */
    uint32_t in = 0;
    uint32_t out = 0;
    if (len > 0x7FFFFFFFu) {
        return -1;
    }
    while (in < len) {
        uint8_t code = buf[in];
        if (code == 0) {
            return -1;
        }
        uint32_t end = in + code;
        if (end > len) {
            return -1;
        }
        in++;
        while (in < end) {
            uint8_t b = buf[in++];
            if (b == 0) {
                return -1;
            }
            buf[out++] = b;
        }
        if (code != 0xFFu && in < len) {
            buf[out++] = 0;
        }
    }
    return (int32_t)out;
}
