/*
 * hil_le.h - little-endian field access for the wire formats (protocol v1 frames, the
 * flash partition header): byte-wise, so no alignment is assumed. Inline: they sit in
 * every handler.
 */
#ifndef HIL_LE_H
#define HIL_LE_H

#include <stdint.h>

static inline uint16_t hil_rd16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static inline uint32_t hil_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void hil_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static inline void hil_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

static inline void hil_wr64(uint8_t *p, uint64_t v)
{
    hil_wr32(p, (uint32_t)(v & 0xFFFFFFFFu));
    hil_wr32(p + 4, (uint32_t)(v >> 32));
}

#endif
