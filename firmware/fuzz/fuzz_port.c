/*
 * fuzz_port.c - the board port of the libFuzzer harnesses (fuzz_port.h): the wire is the
 * fuzzer's input, the flash partition a buffer the harness fills, the timer a counter, and
 * hil_rt_invoke() is wrapped (-Wl,--wrap=hil_rt_invoke) to bound the work per input.
 */
#include "fuzz_port.h"

#include <string.h>

#include "hil_board_flash.h"
#include "hil_crc32.h"
#include "hil_port.h"
#include "hil_rt.h"

jmp_buf fuzz_jmp;

static const hil_port_info_t info = {
    .board = "fuzz",
    .core = "host",
    .clock_hz = 1000000u,
    .timer_hz = 1000000u,
    .timer_kind = HIL_TIMER_HOST_CLOCK,
    .has_timestamp_pin = 1,
};

static const uint8_t *stream;
static size_t stream_len;
static size_t stream_pos;
static fuzz_out_fn out_fn;
static uint64_t ticks;
static uint32_t budget;

static uint8_t flash[FUZZ_FLASH_BYTES];
static uint32_t flash_size;

void fuzz_stream_set(const uint8_t *data, size_t size)
{
    stream = data;
    stream_len = size;
    stream_pos = 0;
}

size_t fuzz_stream_left(void)
{
    return stream_len - stream_pos;
}

uint8_t fuzz_stream_byte(void)
{
    if (stream_pos >= stream_len) {
        longjmp(fuzz_jmp, 1);
    }
    return stream[stream_pos++];
}

const uint8_t *fuzz_stream_take(size_t n)
{
    const uint8_t *p = stream + stream_pos;
    stream_pos += n;
    return p;
}

void fuzz_out_set(fuzz_out_fn fn)
{
    out_fn = fn;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void fuzz_flash_set(const uint8_t *model, uint32_t n, int corrupt, uint32_t partition_size)
{
    if (partition_size > FUZZ_FLASH_BYTES) {
        partition_size = FUZZ_FLASH_BYTES;
    }
    flash_size = partition_size;
    if (model == NULL || partition_size < 16u) {
        memset(flash, 0xFF, 16);
        return;
    }
    if (n > partition_size - 16u) {
        n = partition_size - 16u;
    }
    memcpy(flash, "HILM", 4);
    wr32(flash + 4, n);
    wr32(flash + 8, hil_crc32(model, n));
    wr32(flash + 12, hil_crc32(flash, 12));
    memcpy(flash + 16, model, n);
    if (corrupt) {
        flash[(uint32_t)corrupt % 16u] ^= 0x10u;
    }
}

const uint8_t *hil_fuzz_flash(void)
{
    return flash;
}

uint32_t hil_fuzz_flash_size(void)
{
    return flash_size;
}

void fuzz_budget_reset(void)
{
    budget = FUZZ_INVOKE_BUDGET;
}

int __real_hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t hook, void *hook_ctx,
                         hil_rt_error_t *err);
int __wrap_hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t hook, void *hook_ctx,
                         hil_rt_error_t *err);

int __wrap_hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t hook, void *hook_ctx,
                         hil_rt_error_t *err)
{
    if (budget == 0) {
        longjmp(fuzz_jmp, 2); /* a valid but long run: stop here, before the runtime runs */
    }
    budget--;
    return __real_hil_rt_invoke(rt, hook, hook_ctx, err);
}

/* ---- hil_port.h ----------------------------------------------------------------------- */

void hil_port_init(void)
{
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

int hil_port_read_byte(uint8_t *out)
{
    *out = fuzz_stream_byte();
    return 1;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    if (out_fn != NULL) {
        out_fn(buf, len);
    }
}

void hil_port_timer_start(void)
{
    ticks = 0;
}

uint64_t hil_port_timer_elapsed(void)
{
    return ++ticks; /* deterministic: a reproducer behaves the same on every run */
}

void hil_port_timestamp_pin(int level)
{
    (void)level;
}
