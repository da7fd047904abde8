/*
 * hil_frame.c - the frame receiver and dispatcher of protocol v1 (hil_frame.h). Every length
 * that arrives over the wire is checked before it is used; a damaged frame is NAKed, never
 * executed.
 */
#include "hil_frame.h"

#include <stddef.h>

#include "hil_cmd.h"
#include "hil_cobs.h"
#include "hil_crc32.h"
#include "hil_le.h"
#include "hil_model_slot.h"
#include "hil_port.h"
#include "hil_proto.h"
#include "hil_rt.h"
#include "hil_tx.h"

static uint8_t rx_buf[HIL_RX_BUF_BYTES];
static uint32_t rx_len;
static uint8_t rx_overflow;

/* Sequencing state (docs/protocol.md section 2): the last executed seq, and whether
 * hil_tx_frame still holds its response for a replay. */
static struct {
    uint8_t have_last; /* a request was executed since boot */
    uint8_t valid;     /* hil_tx_frame holds the response to last_seq */
    uint16_t last_seq;
} cache;

/* NAK event (docs/protocol.md section 2a): a damaged frame arrived, or a frame after a
 * gap. seq = the last executed request (0 before any), so the host can go back at once
 * instead of waiting out its timeout. Built in its own buffers: hil_tx_frame is the replay
 * cache and must keep the last response. One NAK per gap: the frames behind a lost one
 * are all gaps, and one NAK is enough for the host to send them again. */
static uint8_t nak_gap_sent; /* a gap NAK was sent for cache.last_seq */

static void send_nak(void)
{
    uint8_t f[HIL_HEADER_BYTES + HIL_CRC_BYTES];
    uint8_t w[HIL_HEADER_BYTES + HIL_CRC_BYTES + 2u];
    f[0] = (uint8_t)HIL_PROTO_VERSION;
    f[1] = HIL_MSG_NAK;
    hil_wr16(f + 2, cache.have_last ? cache.last_seq : 0u);
    hil_wr16(f + 4, 0u);
    f[6] = 0;
    f[7] = (uint8_t)(HIL_FLAG_EVENT | HIL_FLAG_RESPONSE);
    hil_wr32(f + HIL_HEADER_BYTES, hil_crc32(f, HIL_HEADER_BYTES));
    int32_t n = hil_cobs_encode(f, sizeof f, w, (uint32_t)sizeof w - 1u);
    if (n < 0) {
        return; /* cannot happen: w holds the worst-case encoding */
    }
    w[n] = 0x00;
    static const uint8_t lead = 0x00;
    hil_port_write(&lead, 1u);
    hil_port_write(w, (uint32_t)n + 1u);
}

static void process_frame(uint32_t n)
{
    if (n < HIL_MIN_FRAME) {
        send_nak();
        return;
    }
    uint32_t body = n - HIL_CRC_BYTES;
    if (hil_crc32(rx_buf, body) != hil_rd32(rx_buf + body)) {
        send_nak();
        return;
    }
    uint8_t version = rx_buf[0];
    uint8_t type = rx_buf[1];
    uint16_t seq = hil_rd16(rx_buf + 2);
    if (version != HIL_PROTO_VERSION) {
        /* Answered in a version-1 header; not a replay candidate (and hil_tx_frame, the
         * cache, is overwritten). */
        cache.valid = 0;
        hil_tx_error(type, seq, HIL_ERR_BAD_VERSION, version,
                     "this DUT speaks protocol version 1");
        return;
    }
    uint32_t len = hil_rd16(rx_buf + 4);
    uint8_t flags = rx_buf[7];
    if (len != n - HIL_MIN_FRAME) {
        send_nak();
        return;
    }
    if (flags & HIL_FLAG_RESPONSE) {
        return; /* our own output looped back (an echoing tty): never execute it */
    }
    if (type != HIL_MSG_HELLO && cache.have_last) {
        if (seq == cache.last_seq) {
            /* A retransmission whose response was lost: answer again, never re-execute. */
            if (cache.valid) {
                hil_tx_frame[7] = (uint8_t)(hil_tx_frame[7] | HIL_FLAG_REPLAY);
                hil_tx_transmit();
            }
            return;
        }
        if (seq != (uint16_t)(cache.last_seq + 1u)) {
            /* A gap: an earlier frame was lost; the host goes back to it. Only a frame
             * ahead of the next expected one is NAKed: one behind it is a go-back's copy
             * of something already executed, and NAKing those would make every go-back
             * cause another. */
            uint16_t ahead = (uint16_t)(seq - cache.last_seq);
            if (ahead < 0x8000u && !nak_gap_sent) {
                nak_gap_sent = 1;
                send_nak();
            }
            return;
        }
    }
    const uint8_t *p = rx_buf + HIL_HEADER_BYTES;
    uint32_t echo = 0;
    if (len > (uint32_t)HIL_MAX_PAYLOAD) {
        hil_tx_error(type, seq, HIL_ERR_BAD_LENGTH, (uint32_t)HIL_MAX_PAYLOAD,
                     "payload longer than max_payload");
    } else {
        switch (type) {
        case HIL_MSG_HELLO:
            hil_cmd_hello(seq, len);
            break;
        case HIL_MSG_MODEL_BEGIN:
            hil_cmd_model_begin(seq, p, len);
            break;
        case HIL_MSG_MODEL_DATA:
            hil_cmd_model_data(seq, p, len);
            break;
        case HIL_MSG_MODEL_END:
            hil_cmd_model_end(seq, len);
            break;
        case HIL_MSG_SET_INPUT:
            hil_cmd_set_input(seq, p, len);
            break;
        case HIL_MSG_INVOKE:
            hil_cmd_invoke(seq, p, len);
            break;
        case HIL_MSG_GET_OUTPUT:
            hil_cmd_get_output(seq, p, len);
            break;
        case HIL_MSG_PROFILE:
            hil_cmd_profile(seq, p, len);
            break;
        case HIL_MSG_TENSOR:
            hil_cmd_tensor(seq, p, len);
            break;
        case HIL_MSG_MODEL_FLASH:
            hil_cmd_model_flash(seq, p, len);
            break;
        case HIL_MSG_RAW_ECHO:
            echo = hil_cmd_raw_echo(seq, p, len);
            break;
        default:
            hil_tx_error(type, seq, HIL_ERR_UNKNOWN_TYPE, type, "unknown message type");
            break;
        }
    }
    /* Every executed request (HELLO included) becomes the one a duplicate replays. */
    cache.have_last = 1;
    cache.valid = 1;
    cache.last_seq = seq;
    nak_gap_sent = 0;
    if (echo > 0) {
        hil_cmd_raw_echo_bytes(echo);
    }
}

void hil_dut_feed(uint8_t byte)
{
    if (byte == 0x00) {
        if (rx_overflow) {
            send_nak(); /* a frame longer than any valid one: delimiters were lost */
        } else if (rx_len > 0) {
            int32_t n = hil_cobs_decode_inplace(rx_buf, rx_len);
            rx_len = 0;
            if (n > 0) {
                process_frame((uint32_t)n);
            } else {
                send_nak(); /* not COBS: bytes lost or damaged */
            }
        }
        rx_len = 0;
        rx_overflow = 0;
        return;
    }
    if (rx_overflow) {
        return;
    }
    if (rx_len < HIL_RX_BUF_BYTES) {
        rx_buf[rx_len++] = byte;
    } else {
        rx_overflow = 1; /* discard everything up to the next 0x00 */
    }
}

void hil_dut_reset(void)
{
    rx_len = 0;
    rx_overflow = 0;
    cache.valid = 0;
    cache.have_last = 0;
    nak_gap_sent = 0;
    hil_slot_reset();
}
