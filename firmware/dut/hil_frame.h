/*
 * hil_frame.h - the frame receiver of protocol v1 (docs/protocol.md sections 1, 2, 2a):
 * COBS framing, CRC and header checks, sequencing (duplicates replayed, gaps NAKed), and
 * dispatch to the message handlers (hil_cmd.h). Exposed for the host build's tests and the
 * fuzz harnesses; a board's main() calls hil_dut_main() (hil_dut.h) instead.
 */
#ifndef HIL_FRAME_H
#define HIL_FRAME_H

#include <stdint.h>

/* Reset the frame receiver, the dispatcher state and the model slot (as at boot), without
 * hil_port_init and without sending BOOT. */
void hil_dut_reset(void);

/* Feed one received byte to the frame receiver; a completed good frame is executed and
 * answered (through hil_port_write) before this returns. */
void hil_dut_feed(uint8_t byte);

#endif
