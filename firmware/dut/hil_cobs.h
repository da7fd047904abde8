/*
 * hil_cobs.h - Consistent Overhead Byte Stuffing (Cheshire & Baker 1999), the framing of
 * docs/protocol.md section 1. The encoded form contains no 0x00; the caller appends the
 * 0x00 delimiter.
 */
#ifndef HIL_COBS_H
#define HIL_COBS_H

#include <stdint.h>

/* Worst-case encoded size of n bytes, without the delimiter. */
#define HIL_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/* Encode src[0..len) into dst (capacity dst_cap). Returns the encoded length, or -1 if
 * dst is too small. src and dst must not overlap. */
int32_t hil_cobs_encode(const uint8_t *src, uint32_t len, uint8_t *dst, uint32_t dst_cap);

/* Decode one COBS block buf[0..len) (without delimiter) in place. Returns the decoded
 * length (<= len), or -1 if the block is not valid COBS (a 0x00 inside it, or a code
 * byte that runs past its end). */
int32_t hil_cobs_decode_inplace(uint8_t *buf, uint32_t len);

#endif
