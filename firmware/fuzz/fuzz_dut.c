/*
 * fuzz_dut.c - libFuzzer harness for the DUT's receive path: COBS decoder, CRC check,
 * header checks, sequencing/replay and every message handler of protocol v1 (dut/hil_frame.c, hil_cmd_*.c).
 *
 * Random bytes almost never carry a good CRC-32, so a harness that fed them straight to
 * hil_dut_feed() would test the CRC check and nothing behind it. The input is therefore a
 * list of records that the harness turns into wire bytes (the DUT still sees nothing but
 * bytes through hil_dut_feed()):
 *
 *   0x00 RAW    u16 n, n bytes    fed as they are (garbage, real encoded frames, cut frames)
 *   0x01 FRAME  type, ctl, u16 n, n payload bytes
 *               -> header v1, next seq, CRC, COBS, 0x00; ctl bits break it on purpose:
 *                  0x01 replay the last seq   0x02 version 2     0x04 flip a CRC bit
 *                  0x08 RESPONSE flag set     0x10 length field + 1
 *                  0x20 / 0x40 header flags EVENT / REPLAY      0x80 skip a seq (a gap)
 *   0x02 UPLOAD u24 n, n bytes    MODEL_BEGIN(n, crc) + MODEL_DATA chunks + MODEL_END
 *                                 (the model bytes are the fuzzer's: the runtime sees them)
 *   0x03 FLASH  ctl, u24 n, n bytes  the flash partition holds them (good header unless
 *                                 ctl & 1), then MODEL_FLASH(n, crc) (wrong size if ctl & 2)
 *   other tags end the input.
 *
 * Bytes RAW_ECHO reads come from the rest of the input, as from the UART.
 *
 * Oracle: every response the DUT writes must be one COBS frame ending in 0x00, with a good
 * CRC, version 1, the RESPONSE flag, a status of docs/protocol.md section 4 and a length
 * field matching its payload (decoded here independently of the firmware's COBS and frame
 * code). Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_port.h"
#include "hil_cobs.h"
#include "hil_crc32.h"
#include "hil_dut.h"
#include "hil_rt.h"

#define CHUNK 1024u

static uint16_t next_seq;
static int verbose;
static uint8_t wire[HIL_COBS_MAX_ENCODED(HIL_MAX_FRAME + 8u) + 2u];
static uint8_t frame[HIL_MAX_FRAME + 8u];

static uint32_t crc32_ref(const uint8_t *p, uint32_t n)
{
    /* Bitwise CRC-32 (IEEE, zlib's): independent of the firmware's table. */
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

static void check_response(const uint8_t *buf, uint32_t len)
{
    if (len == 1) {
        return; /* a RAW_ECHO byte */
    }
    static uint8_t dec[HIL_MAX_FRAME + 8u];
    if (len < 2 || buf[len - 1] != 0x00) {
        abort();
    }
    uint32_t n = 0;
    uint32_t i = 0;
    while (i < len - 1) {
        uint8_t code = buf[i++];
        if (code == 0) {
            abort(); /* a zero inside an encoded frame */
        }
        for (uint32_t k = 1; k < code; k++) {
            if (i >= len - 1 || n >= sizeof dec) {
                abort();
            }
            dec[n++] = buf[i++];
        }
        if (code < 0xFF && i < len - 1) {
            if (n >= sizeof dec) {
                abort();
            }
            dec[n++] = 0;
        }
    }
    if (n < HIL_MIN_FRAME) {
        abort();
    }
    uint32_t body = n - 4u;
    uint32_t crc = (uint32_t)dec[body] | ((uint32_t)dec[body + 1] << 8) |
                   ((uint32_t)dec[body + 2] << 16) | ((uint32_t)dec[body + 3] << 24);
    uint32_t plen = (uint32_t)dec[4] | ((uint32_t)dec[5] << 8);
    if (crc != crc32_ref(dec, body) || dec[0] != 1u || !(dec[7] & HIL_FLAG_RESPONSE) ||
        plen != n - HIL_MIN_FRAME || plen > HIL_MAX_PAYLOAD || dec[6] > HIL_ERR_TOO_MANY) {
        abort();
    }
    if (verbose) {
        /* FUZZ_VERBOSE=1: one line per response, to see how deep a seed reaches. */
        fprintf(stderr, "response type 0x%02x seq %u status %u len %u\n", dec[1],
                (unsigned)(dec[2] | (dec[3] << 8)), dec[6], (unsigned)plen);
    }
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void feed(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        hil_dut_feed(p[i]);
    }
}

/* Build, encode and feed one request frame. */
static void send(uint8_t type, uint8_t ctl, const uint8_t *payload, uint32_t n)
{
    if (n > HIL_MAX_PAYLOAD + 4u) {
        n = HIL_MAX_PAYLOAD + 4u;
    }
    if (ctl & 0x80u) {
        next_seq++;
    }
    uint16_t seq = (ctl & 0x01u) ? (uint16_t)(next_seq - 1u) : next_seq++;
    frame[0] = (ctl & 0x02u) ? 2u : 1u;
    frame[1] = type;
    put16(frame + 2, seq);
    put16(frame + 4, n + ((ctl & 0x10u) ? 1u : 0u));
    frame[6] = 0;
    frame[7] = (uint8_t)(((ctl & 0x08u) ? HIL_FLAG_RESPONSE : 0u) |
                         ((ctl & 0x20u) ? HIL_FLAG_EVENT : 0u) |
                         ((ctl & 0x40u) ? HIL_FLAG_REPLAY : 0u));
    if (n > 0) {
        memcpy(frame + 8, payload, n);
    }
    uint32_t crc = hil_crc32(frame, 8u + n) ^ ((ctl & 0x04u) ? 1u : 0u);
    put32(frame + 8 + n, crc);
    int32_t w = hil_cobs_encode(frame, 12u + n, wire + 1, (uint32_t)sizeof wire - 2u);
    if (w < 0) {
        abort(); /* wire is sized for the largest frame */
    }
    wire[0] = 0x00;
    wire[w + 1] = 0x00;
    feed(wire, (uint32_t)w + 2u);
}

static uint32_t take_u16(void)
{
    uint32_t lo = fuzz_stream_byte();
    return lo | ((uint32_t)fuzz_stream_byte() << 8);
}

static uint32_t take_u24(void)
{
    uint32_t v = take_u16();
    return v | ((uint32_t)fuzz_stream_byte() << 16);
}

static const uint8_t *take(uint32_t *n)
{
    size_t left = fuzz_stream_left();
    if (*n > left) {
        *n = (uint32_t)left;
    }
    return fuzz_stream_take(*n);
}

static void upload(const uint8_t *model, uint32_t n)
{
    uint8_t p[8];
    put32(p, n);
    put32(p + 4, hil_crc32(model, n));
    send(HIL_MSG_MODEL_BEGIN, 0, p, 8);
    static uint8_t chunk[4u + CHUNK];
    for (uint32_t off = 0; off < n; off += CHUNK) {
        uint32_t k = n - off < CHUNK ? n - off : CHUNK;
        put32(chunk, off);
        memcpy(chunk + 4, model + off, k);
        send(HIL_MSG_MODEL_DATA, 0, chunk, 4u + k);
    }
    send(HIL_MSG_MODEL_END, 0, NULL, 0);
}

static void run(void)
{
    for (;;) {
        uint8_t tag = fuzz_stream_byte();
        if (tag == 0x00) {
            uint32_t n = take_u16();
            const uint8_t *p = take(&n);
            feed(p, n);
        } else if (tag == 0x01) {
            uint8_t type = fuzz_stream_byte();
            uint8_t ctl = fuzz_stream_byte();
            uint32_t n = take_u16();
            const uint8_t *p = take(&n);
            send(type, ctl, p, n);
        } else if (tag == 0x02) {
            uint32_t n = take_u24();
            const uint8_t *p = take(&n);
            upload(p, n);
        } else if (tag == 0x03) {
            uint8_t ctl = fuzz_stream_byte();
            uint32_t n = take_u24();
            const uint8_t *p = take(&n);
            fuzz_flash_set(p, n, ctl & 1u, FUZZ_FLASH_BYTES);
            uint8_t q[8];
            put32(q, n + ((ctl & 2u) ? 1u : 0u));
            put32(q + 4, hil_crc32(p, n));
            send(HIL_MSG_MODEL_FLASH, 0, q, 8);
        } else {
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        const char *v = getenv("FUZZ_VERBOSE");
        verbose = v != NULL && v[0] == '1';
        init = 1;
    }
    fuzz_stream_set(data, size);
    fuzz_out_set(check_response);
    fuzz_flash_set(NULL, 0, 0, 0);
    fuzz_budget_reset();
    next_seq = 0;
    hil_dut_reset();
    if (setjmp(fuzz_jmp) == 0) {
        run();
    }
    return 0;
}
