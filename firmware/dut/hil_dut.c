/*
 * hil_dut.c - the DUT's main loop: bring the board up, send BOOT, then tell from the first
 * bytes received which protocol the host speaks (binary protocol v1: hil_frame.c; the
 * MLPerf Tiny text mode: hil_mlperf.c) and serve it until reset.
 *
 * File layout of dut/: firmware/README.md, "Layout".
 */
#include "hil_dut.h"

#include "hil_frame.h"
#include "hil_mlperf.h"
#include "hil_port.h"
#include "hil_proto.h"
#include "hil_tx.h"

/* Auto mode: bytes held while telling a first text command from binary frames. */
#define HIL_DETECT_BYTES 128u

_Noreturn void hil_dut_main(void)
{
    hil_port_init();
    hil_dut_reset();
#if HIL_MLPERF_TINY
    hil_mlperf_main(0, 0); /* text mode only: MLPerf Tiny boot lines, then commands */
#else
    hil_tx_send(HIL_MSG_BOOT, 0, 0, (uint8_t)(HIL_FLAG_EVENT | HIL_FLAG_RESPONSE), 0);
    /* Auto-detection, sticky until reset (docs/protocol.md section 5a). Text mode needs a
     * whole first command: printable bytes up to '%', whose first non-blank is 'a'..'z'.
     * 0x00 or any other non-printable byte selects binary protocol v1: a hilbench host
     * always sends 0x00 first, and every v1 frame holds non-printable bytes (its version
     * 0x01), so even a frame whose leading bytes the UART lost before it was enabled is
     * recognised. A printable run ended by '%' that does not start with a letter (the
     * tail of a text command cut by a reset, `... 1 0%`) is ignored, as is one longer
     * than the detection buffer. */
    static uint8_t pre[HIL_DETECT_BYTES];
    uint32_t n = 0;
    uint8_t b;
    for (;;) {
        while (!hil_port_read_byte(&b)) {
        }
        const int printable = (b >= 0x20u && b < 0x7Fu) || b == (uint8_t)'\r' ||
                              b == (uint8_t)'\n' || b == (uint8_t)'\t';
        if (!printable) {
            break; /* binary */
        }
        if (b == (uint8_t)'%') {
            uint32_t i = 0;
            while (i < n && (pre[i] == (uint8_t)' ' || pre[i] == (uint8_t)'\r' ||
                             pre[i] == (uint8_t)'\n' || pre[i] == (uint8_t)'\t')) {
                i++;
            }
            if (i < n && pre[i] >= (uint8_t)'a' && pre[i] <= (uint8_t)'z') {
                pre[n++] = b; /* room: n < HIL_DETECT_BYTES below */
                hil_mlperf_main(pre, n);
            }
            n = 0; /* not a command: the tail of one cut by a reset */
            continue;
        }
        if (n + 1u >= (uint32_t)HIL_DETECT_BYTES) {
            n = 0; /* too long for a first command: not one */
            continue;
        }
        pre[n++] = b;
    }
    for (uint32_t i = 0; i < n; i++) {
        hil_dut_feed(
            pre[i]); /* garbage to the frame decoder, which resynchronises at 0x00 */
    }
    hil_dut_feed(b);
    for (;;) {
        if (hil_port_read_byte(&b)) {
            hil_dut_feed(b);
        }
    }
#endif
}
