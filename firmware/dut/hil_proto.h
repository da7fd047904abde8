/*
 * hil_proto.h - the wire format of protocol v1 (docs/protocol.md): payload limit, frame
 * layout, message types, flags, HELLO capability bits.
 * A leaf: every part of the binary protocol (hil_frame.c, hil_tx.c, hil_cmd_*.c) and the
 * fuzz harness share it without depending on one another.
 *
 *   HIL_MAX_PAYLOAD      largest frame payload accepted and sent (>= 256; default 1024)
 *   HIL_FW_VERSION       firmware version string
 */
#ifndef HIL_PROTO_H
#define HIL_PROTO_H

#include <stdint.h>

#include "hil_cobs.h"

#ifndef HIL_MAX_PAYLOAD
#define HIL_MAX_PAYLOAD 1024
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

/* Received bytes since the last 0x00, COBS-encoded (the frame receiver's buffer; HELLO
 * reports its size). */
#define HIL_RX_BUF_BYTES HIL_COBS_MAX_ENCODED(HIL_MAX_FRAME)

#endif
