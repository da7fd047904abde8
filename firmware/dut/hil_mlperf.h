/*
 * hil_mlperf.h - the MLPerf Tiny / EEMBC text protocol (docs/architecture.md §6), so that
 * MLPerf Tiny's runner (and hilbench's MLPerf Tiny link driver) can drive a hilbench DUT.
 * The model is the one in the flash model partition (the "HILM" header, docs/protocol.md
 * MODEL_FLASH), loaded lazily by the first command that needs it.
 *
 * Build options (board.mk or CFLAGS):
 *   HIL_MLPERF_TINY      1: text mode only (boot lines, then commands); 0 (default):
 *                        hil_dut_main() chooses, until reset, by the first bytes received
 *                        (docs/protocol.md section 5a)
 *   HIL_MLPERF_LINE_MAX  command buffer bytes (default 1024; the official firmware's is 80)
 *
 * Wire format and choices: firmware/README.md, "MLPerf Tiny text mode".
 */
#ifndef HIL_MLPERF_H
#define HIL_MLPERF_H

#include <stdint.h>

#ifndef HIL_MLPERF_TINY
#define HIL_MLPERF_TINY 0
#endif
#ifndef HIL_MLPERF_LINE_MAX
#define HIL_MLPERF_LINE_MAX 1024
#endif
#if HIL_MLPERF_LINE_MAX < 80 || HIL_MLPERF_LINE_MAX > 65535
#error "HIL_MLPERF_LINE_MAX must be in 80..65535"
#endif

/* Serve the text protocol forever (the board is already initialised). prefix == NULL:
 * print the MLPerf Tiny boot lines first (HIL_MLPERF_TINY builds); otherwise prefix holds
 * the len bytes already received (auto-detection: the first command, up to its '%'). */
_Noreturn void hil_mlperf_main(const uint8_t *prefix, uint32_t len);

/* Lower layers, exposed for tests on the host build. */

/* Reset the text-mode state (command buffer, db buffer, results) and re-base the timer. */
void hil_mlperf_reset(void);

/* Feed one received byte; a completed command ('%') is executed and answered (through
 * hil_port_write) before this returns. */
void hil_mlperf_feed(uint8_t byte);

#endif
