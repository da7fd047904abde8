/*
 * hil_dut.h - the portable DUT side of protocol v1 (docs/protocol.md).
 *
 * A board's main() calls hil_dut_main(), which brings the board up through hil_port.h,
 * sends the BOOT event and then serves requests forever.
 *
 * Sizes are macros a board sets in its board.mk (-DHIL_MAX_PAYLOAD=...); their defaults
 * are in hil_proto.h (payload, version) and hil_model_slot.h (buffers, flash partition):
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

#include "hil_frame.h" /* hil_dut_reset, hil_dut_feed: the lower layers, for tests */
#include "hil_proto.h"

/* Serve the protocol forever. */
_Noreturn void hil_dut_main(void);

#endif
