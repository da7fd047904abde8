/*
 * fuzz_mlperf.c - libFuzzer harness for the MLPerf Tiny text-command parser and its
 * commands (dut/hil_mlperf.c): `name%`, `db load N%`, `db <hex>%`, `infer N W%`, ...
 *
 * Input: ctl, u24 n, n model bytes, then the text the DUT receives.
 *   n > 0: the flash partition holds the model behind a good "HILM" header (a corrupted
 *          one when ctl & 1), so `infer` loads and runs it; n == 0: no partition
 *          (ctl & 2: a partition of erased flash instead).
 * Seeds (make_seeds.py) hold small models shaped like kws01 / vww01 / ic01 / ad01, so the
 * fuzzer starts from command sequences that reach every model-specific path.
 *
 * Oracle: every byte the DUT writes is printable ASCII, CR or LF (the text protocol). No
 * line-length limit: `results%` prints every output element, so a model with a large
 * output legitimately prints a results line of megabytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_port.h"
#include "hil_dut.h"
#include "hil_mlperf.h"

static uint32_t col;
static int verbose;

static void check_text(const uint8_t *buf, uint32_t len)
{
    if (verbose) {
        fwrite(buf, 1, len, stderr); /* FUZZ_VERBOSE=1: the DUT's text */
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (c == '\n') {
            col = 0;
            continue;
        }
        if (!((c >= 0x20u && c < 0x7Fu) || c == '\r')) {
            abort();
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
    if (size < 4) {
        return 0;
    }
    uint8_t ctl = data[0];
    uint32_t n = (uint32_t)data[1] | ((uint32_t)data[2] << 8) | ((uint32_t)data[3] << 16);
    data += 4;
    size -= 4;
    if (n > size) {
        n = (uint32_t)size;
    }
    if (n > 0) {
        fuzz_flash_set(data, n, ctl & 1u, FUZZ_FLASH_BYTES);
    } else {
        fuzz_flash_set(NULL, 0, 0, (ctl & 2u) ? 4096u : 0u);
    }
    fuzz_stream_set(data + n, size - n);
    fuzz_out_set(check_text);
    fuzz_budget_reset();
    col = 0;
    hil_dut_reset();
    hil_mlperf_reset();
    if (setjmp(fuzz_jmp) == 0) {
        for (;;) {
            hil_mlperf_feed(fuzz_stream_byte());
        }
    }
    return 0;
}
