/*
 * hil_tx.h - building and sending protocol v1 responses (docs/protocol.md sections 1 and
 * 4): the response payload builder, the frame header, CRC, COBS and the leading delimiter,
 * error payloads. hil_tx_frame, the last response sent, doubles as the replay cache
 * (hil_frame.c resends it for a duplicate request).
 */
#ifndef HIL_TX_H
#define HIL_TX_H

#include <stdint.h>

#include "hil_proto.h"
#include "hil_rt.h"

/* The last response, decoded (header | payload | crc). */
extern uint8_t hil_tx_frame[HIL_MAX_FRAME];
/* Where a handler writes its response payload. */
#define HIL_TX_PAYLOAD (hil_tx_frame + HIL_HEADER_BYTES)

/* Appends to HIL_TX_PAYLOAD; overflow (past HIL_MAX_PAYLOAD) is sticky and checked once. */
typedef struct {
    uint32_t len;
    int overflow;
} hil_tx_builder_t;

void hil_tx_put_bytes(hil_tx_builder_t *b, const void *src, uint32_t n);
void hil_tx_put_u8(hil_tx_builder_t *b, uint8_t v);
void hil_tx_put_u16(hil_tx_builder_t *b, uint16_t v);
void hil_tx_put_u32(hil_tx_builder_t *b, uint32_t v);
void hil_tx_put_f32(hil_tx_builder_t *b, float v);
/* u8 length + ASCII bytes, at most max_len of them. */
void hil_tx_put_str(hil_tx_builder_t *b, const char *s, uint32_t max_len);

/* Finish the frame in hil_tx_frame (header already there; CRC), COBS-encode and send it. */
void hil_tx_transmit(void);
/* Fill in the header of hil_tx_frame (payload len bytes already in place) and send it. */
void hil_tx_send(uint8_t type, uint16_t seq, uint8_t status, uint8_t flags, uint32_t len);
/* An OK response of len payload bytes. */
void hil_tx_response(uint8_t type, uint16_t seq, uint32_t len);
/* An error response: op index / code, value and message (docs/protocol.md section 4). */
void hil_tx_error_detail(uint8_t type, uint16_t seq, int32_t status, uint16_t op_index,
                         uint16_t op_code, uint32_t value, const char *message);
void hil_tx_error(uint8_t type, uint16_t seq, int32_t status, uint32_t value,
                  const char *message);
/* An error response from hilbench-rt's error detail (rc when err has no status). */
void hil_tx_rt_error(uint8_t type, uint16_t seq, int rc, const hil_rt_error_t *err);

#endif
