/*
 * hil_crc32.h - CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final XOR
 * 0xFFFFFFFF): the same value as Python's zlib.crc32 (docs/protocol.md section 1).
 */
#ifndef HIL_CRC32_H
#define HIL_CRC32_H

#include <stdint.h>

/* CRC of buf[0..len). */
uint32_t hil_crc32(const uint8_t *buf, uint32_t len);

/* Incremental form: crc = hil_crc32_update(0, a, na); crc = hil_crc32_update(crc, b, nb);
 * gives hil_crc32(a | b). Start from 0, like zlib.crc32(data, value). */
uint32_t hil_crc32_update(uint32_t crc, const uint8_t *buf, uint32_t len);

#endif
