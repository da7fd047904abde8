/*
 * hil_tx.c - protocol v1 responses (hil_tx.h): payload builder, framing, error payloads.
 */
#include "hil_tx.h"

#include <string.h>

#include "hil_cobs.h"
#include "hil_crc32.h"
#include "hil_le.h"
#include "hil_port.h"

/* Encoded response plus its delimiter. */
#define TX_WIRE_BYTES (HIL_COBS_MAX_ENCODED(HIL_MAX_FRAME) + 1u)
/* Error message bytes on the wire (docs/protocol.md section 4). */
#define MAX_MESSAGE 63u

uint8_t hil_tx_frame[HIL_MAX_FRAME];
static uint8_t tx_wire[TX_WIRE_BYTES];

void hil_tx_put_bytes(hil_tx_builder_t *b, const void *src, uint32_t n)
{
    if (b->overflow || n > (uint32_t)HIL_MAX_PAYLOAD - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(HIL_TX_PAYLOAD + b->len, src, n);
    b->len += n;
}

void hil_tx_put_u8(hil_tx_builder_t *b, uint8_t v)
{
    hil_tx_put_bytes(b, &v, 1);
}

void hil_tx_put_u16(hil_tx_builder_t *b, uint16_t v)
{
    uint8_t t[2];
    hil_wr16(t, v);
    hil_tx_put_bytes(b, t, 2);
}

void hil_tx_put_u32(hil_tx_builder_t *b, uint32_t v)
{
    uint8_t t[4];
    hil_wr32(t, v);
    hil_tx_put_bytes(b, t, 4);
}

void hil_tx_put_f32(hil_tx_builder_t *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    hil_tx_put_u32(b, u);
}

void hil_tx_put_str(hil_tx_builder_t *b, const char *s, uint32_t max_len)
{
    uint32_t n = 0;
    if (s != NULL) {
        while (n < max_len && s[n] != '\0') {
            n++;
        }
    }
    hil_tx_put_u8(b, (uint8_t)n);
    hil_tx_put_bytes(b, s, n);
}

static uint8_t tx_lead; /* a frame was sent since boot: later ones get a leading 0x00 */

void hil_tx_transmit(void)
{
    uint32_t len = hil_rd16(hil_tx_frame + 4);
    uint32_t body = HIL_HEADER_BYTES + len;
    hil_wr32(hil_tx_frame + body, hil_crc32(hil_tx_frame, body));
    int32_t n =
        hil_cobs_encode(hil_tx_frame, body + HIL_CRC_BYTES, tx_wire, TX_WIRE_BYTES - 1u);
    if (n < 0) {
        return; /* cannot happen: tx_wire is sized for the largest frame */
    }
    tx_wire[n] = 0x00;
    /* A leading delimiter too: if the line ate the previous frame's closing 0x00, the
     * host still sees this frame start clean (docs/protocol.md section 1). Not before
     * BOOT, the first frame: nothing precedes it, and MLPerf Tiny hosts in auto mode
     * skip it by reading up to its one 0x00. */
    static const uint8_t lead = 0x00;
    if (tx_lead) {
        hil_port_write(&lead, 1u);
    }
    tx_lead = 1;
    hil_port_write(tx_wire, (uint32_t)n + 1u);
}

void hil_tx_send(uint8_t type, uint16_t seq, uint8_t status, uint8_t flags, uint32_t len)
{
    hil_tx_frame[0] = (uint8_t)HIL_PROTO_VERSION;
    hil_tx_frame[1] = type;
    hil_wr16(hil_tx_frame + 2, seq);
    hil_wr16(hil_tx_frame + 4, (uint16_t)len);
    hil_tx_frame[6] = status;
    hil_tx_frame[7] = flags;
    hil_tx_transmit();
}

void hil_tx_response(uint8_t type, uint16_t seq, uint32_t len)
{
    hil_tx_send(type, seq, 0, HIL_FLAG_RESPONSE, len);
}

void hil_tx_error_detail(uint8_t type, uint16_t seq, int32_t status, uint16_t op_index,
                         uint16_t op_code, uint32_t value, const char *message)
{
    hil_tx_builder_t b = {0, 0};
    hil_tx_put_u16(&b, op_index);
    hil_tx_put_u16(&b, op_code);
    hil_tx_put_u32(&b, value);
    hil_tx_put_str(&b, message, MAX_MESSAGE);
    uint8_t st =
        (status > 0 && status <= 255) ? (uint8_t)status : (uint8_t)HIL_ERR_INVOKE_FAILED;
    hil_tx_send(type, seq, st, HIL_FLAG_RESPONSE, b.len);
}

void hil_tx_error(uint8_t type, uint16_t seq, int32_t status, uint32_t value,
                  const char *message)
{
    hil_tx_error_detail(type, seq, status, HIL_RT_NONE, HIL_RT_NONE, value, message);
}

void hil_tx_rt_error(uint8_t type, uint16_t seq, int rc, const hil_rt_error_t *err)
{
    int32_t status = (err->status != HIL_OK) ? err->status : (int32_t)rc;
    hil_tx_error_detail(type, seq, status, err->op_index, err->op_code, err->value,
                        err->message);
}
