/*
 * hil_dut.h - the portable DUT side of protocol v1 (docs/protocol.md).
 *
 * A board's main() calls hil_dut_main(), which brings the board up through hil_port.h,
 * sends the BOOT event and then serves requests forever.
 *
 * Sizes are macros a board sets in its board.mk (-DHIL_MAX_PAYLOAD=...):
 *   HIL_MAX_PAYLOAD      largest frame payload accepted and sent (>= 256; default 1024)
 *   HIL_MODEL_CAPACITY   bytes of RAM for an uploaded model (0: no upload)
 *   HIL_ARENA_SIZE       tensor arena bytes
 *   HIL_RT_OBJECT_BYTES  static storage for the hil_rt_t object (checked at start-up
 *                        against hil_rt_object_size(); too small -> MODEL_END TOO_MANY)
 *   HIL_FW_VERSION       firmware version string
 *   HIL_GIT_HASH         git hash string (the Makefile provides it)
 *   HIL_MLPERF_TINY      1: speak only the MLPerf Tiny text protocol (hil_mlperf.h);
 *                        0 (default, "auto"): binary protocol v1, or the text protocol
 *                        when the first byte received is a lowercase ASCII letter
 */
#ifndef HIL_DUT_H
#define HIL_DUT_H

#include <stdint.h>

#include "hil_rt.h"

#ifndef HIL_MAX_PAYLOAD
#define HIL_MAX_PAYLOAD 1024
#endif
#ifndef HIL_MODEL_CAPACITY
#define HIL_MODEL_CAPACITY (256u * 1024u)
#endif
#ifndef HIL_ARENA_SIZE
#define HIL_ARENA_SIZE (128u * 1024u)
#endif
#ifndef HIL_RT_OBJECT_BYTES
#define HIL_RT_OBJECT_BYTES 32768 /* hilbench-rt with 256 tensors / 128 ops: ~25 KB */
#endif
#ifndef HIL_FW_VERSION
#define HIL_FW_VERSION "0.1.0"
#endif

#if HIL_MAX_PAYLOAD < 256 || HIL_MAX_PAYLOAD > 65535
#error "HIL_MAX_PAYLOAD must be in 256..65535 (docs/protocol.md section 1)"
#endif

#define HIL_PROTO_VERSION 1u
#define HIL_FW_NAME "hilbench-dut"

/* Frame layout (docs/protocol.md section 1). */
#define HIL_HEADER_BYTES 8u
#define HIL_CRC_BYTES 4u
#define HIL_MIN_FRAME (HIL_HEADER_BYTES + HIL_CRC_BYTES)
#define HIL_MAX_FRAME (HIL_HEADER_BYTES + (uint32_t)HIL_MAX_PAYLOAD + HIL_CRC_BYTES)

/* Message types. */
enum {
    HIL_MSG_HELLO = 0x01,
    HIL_MSG_MODEL_BEGIN = 0x02,
    HIL_MSG_MODEL_DATA = 0x03,
    HIL_MSG_MODEL_END = 0x04,
    HIL_MSG_SET_INPUT = 0x05,
    HIL_MSG_INVOKE = 0x06,
    HIL_MSG_GET_OUTPUT = 0x07,
    HIL_MSG_PROFILE = 0x08,
    HIL_MSG_RAW_ECHO = 0x09,
    HIL_MSG_TENSOR = 0x0A,
    HIL_MSG_MODEL_FLASH = 0x0B,
    HIL_MSG_NAK = 0x7E,
    HIL_MSG_BOOT = 0x7F,
};

/* Header flags. */
#define HIL_FLAG_RESPONSE 0x01u
#define HIL_FLAG_EVENT 0x02u
#define HIL_FLAG_REPLAY 0x04u

/* HELLO capability bits. */
#define HIL_CAP_MODEL_UPLOAD (1u << 0)
#define HIL_CAP_FLASH_MODEL (1u << 1)
#define HIL_CAP_PROFILE (1u << 2)
#define HIL_CAP_TIMESTAMP_PIN (1u << 3)
#define HIL_CAP_RAW_ECHO (1u << 4)
#define HIL_CAP_NAK (1u << 5)

/* Serve the protocol forever. */
_Noreturn void hil_dut_main(void);

/* Lower layers, exposed for tests on the host build. */

/* Reset the frame receiver and the dispatcher state (as at boot), without hil_port_init
 * and without sending BOOT. */
void hil_dut_reset(void);

/* Feed one received byte to the frame receiver; a completed good frame is executed and
 * answered (through hil_port_write) before this returns. */
void hil_dut_feed(uint8_t byte);

/* For the MLPerf Tiny text mode (hil_mlperf.c), which shares the model and buffers. */

/* Forget any loaded model, check the flash model partition (header, size, CRC-32 of the
 * model) and validate, plan and prepare its model exactly as MODEL_FLASH does. Returns
 * HIL_OK, or a status with err filled (message names the reason); *runtime_refused is 1
 * when the partition was good but hilbench-rt refused the model (unsupported op, ...). */
int hil_dut_load_flash_model(hil_rt_error_t *err, int *runtime_refused);

/* The interpreter holding the loaded model, or NULL when none is loaded. */
hil_rt_t *hil_dut_rt(void);

/* The input staging buffer (HIL_INPUT_CAPACITY bytes, 16-byte aligned). The text mode
 * uses it as its `db` buffer; the binary protocol's staged inputs live there too (the two
 * modes never run in the same boot). */
uint8_t *hil_dut_input_buffer(uint32_t *capacity);

#endif
