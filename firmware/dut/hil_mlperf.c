/*
 * hil_mlperf.c - the MLPerf Tiny / EEMBC text protocol (docs/architecture.md §6) on a hilbench
 * DUT: `name%`, `profile%`, `help%`, `timestamp%`, `db load N%`, `db <hex>%`, `db print%`,
 * `infer N [W]%`, `results%`. Every DUT line ends "\r\n"; every command ends with `m-ready`.
 *
 * The model is the flash partition's, loaded lazily through hil_slot_load_flash()
 * (the same checks and preparation as MODEL_FLASH). The `db` buffer is the DUT's input
 * staging buffer (hil_slot_input_buffer), so text mode costs no extra input RAM.
 *
 * No dynamic allocation; every length and number from the wire is bounds-checked; a
 * malformed command gets one `e-[...]` line and `m-ready`, and the DUT keeps serving.
 */
#include "hil_mlperf.h"

#include <stddef.h>
#include <string.h>

#include "hil_model_slot.h"
#include "hil_port.h"
#include "hil_rt.h"

/* The largest `db load`: MLPerf Tiny's 96*96*3 (or the input buffer, if smaller). */
#define DB_MAX_BYTES (96u * 96u * 3u)
/* Bounds of `infer N W`. */
#define INFER_MAX_COUNT 100000000u
#define INFER_DEFAULT_WARMUP 10u
/* Characters of an unknown command echoed back in its error line. */
#define ECHO_WORD_MAX 32u
/* The AD model: 640 int8 inputs fed from 640 float32 (2560 bytes); the quantized copy is
 * staged right after the floats in the input buffer. */
#define AD_VALUES 640u
#define AD_FLOAT_BYTES (AD_VALUES * 4u)

enum {
    ID_UNKNOWN = 0,
    ID_KWS = 1,
    ID_VWW = 2,
    ID_IC = 3,
    ID_AD = 4,
};

static const char *const id_names[] = {"unknown", "kws01", "vww01", "ic01", "ad01"};

/* ---- state -------------------------------------------------------------------------- */

static char line[HIL_MLPERF_LINE_MAX + 1u];
static uint32_t line_len;
static uint8_t line_overflow;

static uint8_t out_buf[128];
static uint32_t out_len;

static struct {
    hil_rt_t *rt;         /* NULL until the flash model is loaded */
    uint8_t id;           /* ID_* */
    uint32_t input_bytes; /* bytes `db` must hold for infer */
} mdl;

static struct {
    uint8_t *buf;      /* the DUT's input staging buffer */
    uint32_t buf_cap;  /* its size */
    uint32_t cap;      /* largest `db load` */
    uint32_t n;        /* announced by `db load N` (0: no load) */
    uint32_t pos;      /* bytes received so far */
    uint8_t converted; /* vww01/ic01: the bytes were turned into int8 in place (^ 0x80) */
} db;

static struct {
    uint8_t have;   /* an infer has completed */
    uint8_t id;     /* model id it ran */
    float ad_score; /* ad01: the anomaly score */
} res;

/* ---- output ------------------------------------------------------------------------- */

static void out_flush(void)
{
    if (out_len > 0) {
        hil_port_write(out_buf, out_len);
        out_len = 0;
    }
}

static void out_char(char c)
{
    if (out_len >= sizeof out_buf) {
        out_flush();
    }
    out_buf[out_len++] = (uint8_t)c;
}

static void out_str(const char *s)
{
    while (*s != '\0') {
        out_char(*s++);
    }
}

static void out_u64(uint64_t v)
{
    char t[20];
    uint32_t n = 0;
    do {
        t[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v > 0 && n < sizeof t);
    while (n > 0) {
        out_char(t[--n]);
    }
}

static void out_u32(uint32_t v)
{
    out_u64(v);
}

static void out_end(void)
{
    out_char('\r');
    out_char('\n');
    out_flush();
}

static void out_line(const char *s)
{
    out_str(s);
    out_end();
}

/* One error line `e-[<a><b>]` (b may be NULL). */
static void out_error2(const char *a, const char *b)
{
    out_str("e-[");
    out_str(a);
    if (b != NULL) {
        out_str(b);
    }
    out_char(']');
    out_end();
}

static void out_error(const char *a)
{
    out_error2(a, NULL);
}

static void out_hex8(uint8_t v)
{
    static const char digits[] = "0123456789abcdef";
    out_char(digits[v >> 4]);
    out_char(digits[v & 0x0Fu]);
}

/* A decimal integer held as little-endian 32-bit words (at most 5: 2^24 * 2^104 < 2^160). */
static void out_big(uint32_t *w, uint32_t nw)
{
    char t[50];
    uint32_t n = 0;
    for (;;) {
        while (nw > 0 && w[nw - 1u] == 0) {
            nw--;
        }
        if (nw == 0 || n >= sizeof t) {
            break;
        }
        uint64_t rem = 0;
        for (uint32_t i = nw; i-- > 0;) {
            uint64_t cur = (rem << 32) | w[i];
            w[i] = (uint32_t)(cur / 10u);
            rem = cur % 10u;
        }
        t[n++] = (char)('0' + (int)rem);
    }
    if (n == 0) {
        t[n++] = '0';
    }
    while (n > 0) {
        out_char(t[--n]);
    }
}

/* A float32 printed as C's printf("%0.3f", (double)v) prints it: the exact binary value
 * rounded to 3 decimals, ties to even (glibc, Python '%.3f'); "-" on negative values,
 * including those that round to zero ("-0.000"). newlib-nano has no float printf. */
static void out_f3(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    uint32_t neg = u >> 31;
    uint32_t ex = (u >> 23) & 0xFFu;
    uint32_t man = u & 0x7FFFFFu;
    if (ex == 0xFFu) {
        out_str(man != 0 ? "nan" : (neg ? "-inf" : "inf"));
        return;
    }
    if (neg) {
        out_char('-');
    }
    /* |v| = m * 2^e exactly */
    uint32_t m = ex == 0 ? man : (man | 0x800000u);
    int32_t e = ex == 0 ? -149 : (int32_t)ex - 150;
    if (e >= 0) {
        uint32_t w[5] = {0, 0, 0, 0, 0};
        uint32_t word = (uint32_t)e / 32u;
        uint32_t bit = (uint32_t)e % 32u;
        uint64_t sh = (uint64_t)m << bit;
        w[word] = (uint32_t)(sh & 0xFFFFFFFFu);
        if (word + 1u < 5u) {
            w[word + 1u] = (uint32_t)(sh >> 32);
        }
        out_big(w, 5);
        out_str(".000");
        return;
    }
    uint32_t s = (uint32_t)(-e);        /* 1..149 */
    uint64_t num = (uint64_t)m * 1000u; /* < 2^34: |v| * 1000 = num / 2^s */
    uint64_t q = 0;
    if (s < 64u) {
        q = num >> s;
        uint64_t r = num & ((1ull << s) - 1u);
        uint64_t half = 1ull << (s - 1u);
        if (r > half || (r == half && (q & 1u))) {
            q++;
        }
    } /* else: num < 2^34 <= half, rounds to 0 */
    out_u64(q / 1000u);
    out_char('.');
    uint32_t frac = (uint32_t)(q % 1000u);
    out_char((char)('0' + (int)(frac / 100u)));
    out_char((char)('0' + (int)(frac / 10u % 10u)));
    out_char((char)('0' + (int)(frac % 10u)));
}

/* ---- timer -------------------------------------------------------------------------- */

/* Microseconds since text mode started, from the DUT's own timer, as an unsigned 32-bit
 * value that wraps (MLPerf Tiny's m-lap-us). Never re-based after entry.
 *
 * One time base per board (docs/results.md): on a QEMU machine (HIL_QEMU, set by the
 * board's board.mk) the timer runs on virtual time, and under `-icount shift=N` one
 * instruction is 2^N ns of it. hilbench's own protocol reports such a board's time as its
 * instruction count at the board's nominal clock; so do these microseconds:
 * us = ticks x (1e9 / (timer_hz x 2^N)) instructions / (clock_hz / 1e6). The same figure
 * in both protocols, and the one MLPerf Tiny's runner computes its throughput from. On
 * real silicon the timer is real time: us = ticks x 1e6 / timer_hz. */
#ifndef HIL_QEMU
#define HIL_QEMU 0
#endif
#ifndef HIL_QEMU_ICOUNT_SHIFT
#define HIL_QEMU_ICOUNT_SHIFT 0
#endif

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b != 0u) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a == 0u ? 1u : a;
}

/* num/den multiplied by m/1 or 1/m, kept reduced so that no step overflows. */
static void mul_frac(uint64_t *num, uint64_t *den, uint64_t m, int divide)
{
    uint64_t *x = divide ? den : num;
    uint64_t *y = divide ? num : den;
    uint64_t g = gcd64(m, *y);
    *y /= g;
    *x *= m / g;
    g = gcd64(*num, *den);
    *num /= g;
    *den /= g;
}

static uint32_t now_us(void)
{
    static uint64_t num, den; /* microseconds per tick, reduced; 0 until first use */
    if (den == 0u) {
        const hil_port_info_t *info = hil_port_info();
        uint64_t hz = info->timer_hz != 0u ? info->timer_hz : 1u;
        num = 1000000u;
        den = 1u;
        mul_frac(&num, &den, hz, 1);
        if (HIL_QEMU && info->clock_hz != 0u) {
            /* ticks -> ns of virtual time -> instructions -> us at clock_hz */
            mul_frac(&num, &den, 1000u, 0);
            mul_frac(&num, &den, (uint64_t)1u << HIL_QEMU_ICOUNT_SHIFT, 1);
            mul_frac(&num, &den, 1000000u, 0);
            mul_frac(&num, &den, info->clock_hz, 1);
        }
    }
    uint64_t t = hil_port_timer_elapsed();
    uint64_t us = (t / den) * num + ((t % den) * num) / den;
    return (uint32_t)(us & 0xFFFFFFFFu);
}

static void out_timestamp(uint32_t us)
{
    out_str("m-lap-us-");
    out_u32(us);
    out_end();
}

/* ---- parsing helpers ---------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Next space-separated word of *p (advanced past it); NULL at the end. NUL-terminates it. */
static char *next_word(char **p)
{
    char *s = *p;
    while (*s != '\0' && is_space(*s)) {
        s++;
    }
    if (*s == '\0') {
        *p = s;
        return NULL;
    }
    char *w = s;
    while (*s != '\0' && !is_space(*s)) {
        s++;
    }
    if (*s != '\0') {
        *s++ = '\0';
    }
    *p = s;
    return w;
}

/* Strict unsigned decimal (digits only, no sign), at most max. 0 on success. */
static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    if (s == NULL || *s == '\0') {
        return -1;
    }
    uint64_t v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > max) {
            return -1;
        }
    }
    *out = (uint32_t)v;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* w[0..n) equals the NUL-terminated name (no strcmp: riscv32-virt has no C library). */
static int token_is(const char *w, uint32_t n, const char *name)
{
    uint32_t k = (uint32_t)strlen(name);
    return w != NULL && n == k && memcmp(w, name, k) == 0;
}

static int word_is(const char *w, const char *name)
{
    return w != NULL && token_is(w, (uint32_t)strlen(w), name);
}

/* ---- model -------------------------------------------------------------------------- */

static uint32_t elements(const hil_rt_io_t *io)
{
    uint32_t n = 1;
    for (uint8_t d = 0; d < io->ndims && d < HIL_RT_MAX_DIMS; d++) {
        n *= io->dims[d] > 0 ? (uint32_t)io->dims[d] : 0u;
    }
    return n;
}

/* Load the flash model if not yet loaded. 0 on success; otherwise prints the error line
 * (the caller prints m-ready). */
static int ensure_model(void)
{
    if (mdl.rt != NULL) {
        return 0;
    }
    hil_rt_error_t err;
    memset(&err, 0, sizeof err);
    int runtime_refused = 0;
    int rc = hil_slot_load_flash(NULL, &err, &runtime_refused);
    if (rc != HIL_OK || hil_slot_rt() == NULL) {
        if (runtime_refused) {
            out_error2("flash model refused: ", err.message); /* the runtime's reason */
        } else {
            out_error(err.message); /* the partition: none, bad magic, size, CRC */
        }
        return -1;
    }
    hil_rt_t *rt = hil_slot_rt();
    uint8_t n_in = hil_rt_num_inputs(rt);
    uint32_t total = 0;
    for (uint8_t i = 0; i < n_in && i < HIL_RT_MAX_IO; i++) {
        const hil_rt_io_t *io = hil_rt_input(rt, i);
        total += io != NULL ? io->bytes : 0u;
    }
    mdl.id = ID_UNKNOWN;
    mdl.input_bytes = total;
    const hil_rt_io_t *in0 = n_in == 1 ? hil_rt_input(rt, 0) : NULL;
    if (in0 != NULL && in0->type == HIL_TYPE_INT8) {
        uint32_t n = elements(in0);
        if (n == 49u * 10u) {
            mdl.id = ID_KWS;
            mdl.input_bytes = 490u;
        } else if (n == 96u * 96u * 3u) {
            mdl.id = ID_VWW;
            mdl.input_bytes = n;
        } else if (n == 32u * 32u * 3u) {
            mdl.id = ID_IC;
            mdl.input_bytes = n;
        } else if (n == AD_VALUES) {
            mdl.id = ID_AD;
            mdl.input_bytes = AD_FLOAT_BYTES;
        }
    }
    mdl.rt = rt;
    return 0;
}

/* ---- db ----------------------------------------------------------------------------- */

static void db_abort(void)
{
    db.n = 0;
    db.pos = 0;
    db.converted = 0;
}

static void db_error(const char *a, const char *b)
{
    out_error2(a, b);
    db_abort();
}

static void cmd_db_load(char *args)
{
    uint32_t n = 0;
    char *w = next_word(&args);
    if (parse_u32(w, db.cap, &n) != 0 || n == 0 || next_word(&args) != NULL) {
        out_str("e-[db load N: N must be 1..");
        out_u32(db.cap);
        out_char(']');
        out_end();
        db_abort();
        return;
    }
    db.n = n;
    db.pos = 0;
    db.converted = 0;
    out_str("m-[Expecting ");
    out_u32(n);
    out_str(" bytes]");
    out_end();
}

/* `db print`: the bytes received so far, 32 a line: `m-buffer-xx-xx-...` (the official
 * format, with 32 instead of 8 bytes a line). vww01/ic01 bytes already turned into int8
 * for an inference are printed as they arrived. */
static void cmd_db_print(void)
{
    uint8_t x = db.converted ? 0x80u : 0u;
    for (uint32_t i = 0; i < db.pos; i++) {
        if (i % 32u == 0) {
            out_str("m-buffer-");
        } else {
            out_char('-');
        }
        out_hex8((uint8_t)(db.buf[i] ^ x));
        if (i % 32u == 31u || i + 1u == db.pos) {
            out_end();
        }
    }
}

static void cmd_db_hex(const char *hex)
{
    uint32_t len = (uint32_t)strlen(hex);
    if (db.n == 0) {
        db_error("db: no load in progress (send db load N first)", NULL);
        return;
    }
    if (len % 2u != 0) {
        db_error("Insufficent number of hex digits", NULL); /* the official spelling */
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        if (hex_value(hex[i]) < 0) {
            out_str("e-[Invalid hex digit at column ");
            out_u32(i + 1u);
            out_char(']');
            out_end();
            db_abort();
            return;
        }
    }
    uint32_t bytes = len / 2u;
    if (bytes > db.n - db.pos) {
        out_str("e-[db: ");
        out_u32(bytes - (db.n - db.pos));
        out_str(" bytes more than the ");
        out_u32(db.n);
        out_str(" announced]");
        out_end();
        db_abort();
        return;
    }
    for (uint32_t i = 0; i < bytes; i++) {
        int hi = hex_value(hex[2u * i]);
        int lo = hex_value(hex[2u * i + 1u]);
        db.buf[db.pos++] = (uint8_t)((hi << 4) | lo);
    }
    if (bytes > 0 && db.pos == db.n) {
        out_line("m-load-done");
    }
}

static void cmd_db(char *args)
{
    char *p = args;
    while (*p != '\0' && is_space(*p)) {
        p++;
    }
    uint32_t n = 0;
    while (p[n] != '\0' && !is_space(p[n])) {
        n++;
    }
    if (n == 0) {
        db_error("db: missing argument (load N, print, or hex digits)", NULL);
    } else if (token_is(p, n, "load")) {
        cmd_db_load(p + n);
    } else if (token_is(p, n, "print") && p[n] == '\0') {
        cmd_db_print();
    } else {
        cmd_db_hex(p); /* everything after "db ": a space inside is an invalid digit */
    }
}

/* ---- infer -------------------------------------------------------------------------- */

/* Read a little-endian float32 from unaligned bytes. */
static float rd_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                 ((uint32_t)p[3] << 24);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* round-half-away-from-zero of a float32, clamped to +-2^30 (C's roundf, no libm). */
static int32_t round_half_away(float v)
{
    if (!(v == v)) {
        return 0; /* NaN */
    }
    if (v >= 1073741824.0f) {
        return 1073741824;
    }
    if (v <= -1073741824.0f) {
        return -1073741824;
    }
    int32_t t = (int32_t)v;    /* toward zero */
    float frac = v - (float)t; /* exact for |v| < 2^30 */
    if (frac >= 0.5f) {
        t++;
    } else if (frac <= -0.5f) {
        t--;
    }
    return t;
}

/* Where the model's input bytes are staged for this inference. vww01 / ic01: the uint8
 * bytes become int8 (byte - 128 == byte ^ 0x80) in place, once; ad01: the 640 float32 are
 * quantized, q = clamp(round_half_away(x / scale) + zero_point), into the input buffer
 * right after the floats (which the score needs). NULL (error printed) if impossible. */
static const uint8_t *stage_input(void)
{
    if (mdl.id == ID_VWW || mdl.id == ID_IC) {
        if (!db.converted) {
            for (uint32_t i = 0; i < db.n; i++) {
                db.buf[i] = (uint8_t)(db.buf[i] ^ 0x80u);
            }
            db.converted = 1;
        }
        return db.buf;
    }
    if (mdl.id == ID_AD) {
        const hil_rt_io_t *io = hil_rt_input(mdl.rt, 0);
        if (io == NULL || db.buf_cap < AD_FLOAT_BYTES + AD_VALUES) {
            out_error("ad01: input buffer too small to stage the quantized window");
            return NULL;
        }
        uint8_t *q = db.buf + AD_FLOAT_BYTES;
        for (uint32_t i = 0; i < AD_VALUES; i++) {
            float x = rd_f32(db.buf + 4u * i);
            /* 64-bit: a model's zero_point is any int32 (found by fuzz_mlperf: a
             * zero_point of 1644167426 overflowed the 32-bit sum). */
            int64_t v = (int64_t)round_half_away(x / io->scale) + (int64_t)io->zero_point;
            if (v < -128) {
                v = -128;
            } else if (v > 127) {
                v = 127;
            }
            q[i] = (uint8_t)(int8_t)v;
        }
        return q;
    }
    return db.buf; /* kws01 (int8 as-is), unknown (raw, inputs concatenated) */
}

/* Copy the staged input into the input tensor(s): before every inference, since the
 * planner may let later tensors reuse an input's arena bytes. */
static void feed_input(const uint8_t *src)
{
    uint8_t n = hil_rt_num_inputs(mdl.rt);
    for (uint8_t i = 0; i < n && i < HIL_RT_MAX_IO; i++) {
        const hil_rt_io_t *io = hil_rt_input(mdl.rt, i);
        if (io != NULL && io->data != NULL) {
            memcpy(io->data, src, io->bytes);
            src += io->bytes;
        }
    }
}

static int run_one(const uint8_t *src, hil_rt_error_t *err)
{
    feed_input(src);
    return hil_rt_invoke(mdl.rt, NULL, NULL, err);
}

/* Element k of a tensor as a real value: (q - zero_point) * scale in float32, or the
 * float itself. */
static float output_value(const hil_rt_io_t *io, uint32_t k)
{
    int32_t q = 0;
    const uint8_t *p = io->data;
    switch (io->type) {
    case HIL_TYPE_FLOAT32:
        return rd_f32(p + 4u * k);
    case HIL_TYPE_UINT8:
        q = p[k];
        break;
    case HIL_TYPE_INT16:
        q = (int16_t)(uint16_t)((uint32_t)p[2u * k] | ((uint32_t)p[2u * k + 1u] << 8));
        break;
    case HIL_TYPE_INT32:
        q = (int32_t)((uint32_t)p[4u * k] | ((uint32_t)p[4u * k + 1u] << 8) |
                      ((uint32_t)p[4u * k + 2u] << 16) | ((uint32_t)p[4u * k + 3u] << 24));
        break;
    default:
        q = (int8_t)p[k];
        break;
    }
    return (float)((int64_t)q - (int64_t)io->zero_point) *
           io->scale; /* any int32 zero_point */
}

static uint32_t type_size(uint8_t type)
{
    switch (type) {
    case HIL_TYPE_FLOAT32:
    case HIL_TYPE_INT32:
        return 4;
    case HIL_TYPE_INT16:
        return 2;
    default:
        return 1;
    }
}

/* ad01: mean over the 640 values of (dequantized output - float input)^2, in float32. */
static int ad_score(float *score)
{
    const hil_rt_io_t *out = hil_rt_output(mdl.rt, 0);
    if (out == NULL || out->data == NULL ||
        out->bytes / type_size(out->type) != AD_VALUES) {
        out_error("ad01: the model's output is not 640 values");
        return -1;
    }
    float sum = 0.0f;
    for (uint32_t i = 0; i < AD_VALUES; i++) {
        float d = output_value(out, i) - rd_f32(db.buf + 4u * i);
        sum += d * d;
    }
    *score = sum / (float)AD_VALUES;
    return 0;
}

/* `m-results-[f,f,...]`: every element of every output, dequantized (ad01: the score). */
static void print_results(void)
{
    out_str("m-results-[");
    if (res.id == ID_AD) {
        out_f3(res.ad_score);
    } else {
        uint8_t n_out = hil_rt_num_outputs(mdl.rt);
        int first = 1;
        for (uint8_t o = 0; o < n_out; o++) {
            const hil_rt_io_t *io = hil_rt_output(mdl.rt, o);
            if (io == NULL || io->data == NULL) {
                continue;
            }
            uint32_t n = io->bytes / type_size(io->type);
            for (uint32_t k = 0; k < n; k++) {
                if (!first) {
                    out_char(',');
                }
                first = 0;
                out_f3(output_value(io, k));
            }
        }
    }
    out_char(']');
    out_end();
}

static void out_rt_error(const char *what, const hil_rt_error_t *err)
{
    out_error2(what, err->message);
}

static void cmd_infer(char *args)
{
    uint32_t count = 0;
    uint32_t warmup = INFER_DEFAULT_WARMUP;
    char *wn = next_word(&args);
    char *ww = next_word(&args);
    if (parse_u32(wn, INFER_MAX_COUNT, &count) != 0 || count == 0 ||
        (ww != NULL && parse_u32(ww, INFER_MAX_COUNT, &warmup) != 0) ||
        next_word(&args) != NULL) {
        out_str("e-[infer N W: N must be 1..");
        out_u32(INFER_MAX_COUNT);
        out_str(", W 0..");
        out_u32(INFER_MAX_COUNT);
        out_char(']');
        out_end();
        return;
    }
    if (ensure_model() != 0) {
        return;
    }
    if (db.n == 0) {
        out_error("infer: no input loaded (db load N, then db <hex> lines)");
        return;
    }
    if (db.pos != db.n) {
        out_str("e-[infer: input incomplete: ");
        out_u32(db.pos);
        out_str(" of ");
        out_u32(db.n);
        out_str(" bytes]");
        out_end();
        return;
    }
    if (db.n != mdl.input_bytes) {
        out_str("e-[infer: ");
        out_str(id_names[mdl.id]);
        out_str(" takes ");
        out_u32(mdl.input_bytes);
        out_str(" input bytes, ");
        out_u32(db.n);
        out_str(" loaded]");
        out_end();
        return;
    }
    const uint8_t *src = stage_input();
    if (src == NULL) {
        return;
    }
    res.have = 0;
    hil_rt_error_t err;
    memset(&err, 0, sizeof err);
    out_str("m-warmup-start-");
    out_u32(warmup);
    out_end();
    for (uint32_t i = 0; i < warmup; i++) {
        if (run_one(src, &err) != HIL_OK) {
            out_rt_error("infer failed: ", &err);
            return;
        }
    }
    out_line("m-warmup-done");
    out_str("m-infer-start-");
    out_u32(count);
    out_end();
    out_timestamp(now_us());
    int rc = HIL_OK;
    hil_port_timestamp_pin(1);
    for (uint32_t i = 0; i < count && rc == HIL_OK; i++) {
        rc = run_one(src, &err);
    }
    hil_port_timestamp_pin(0);
    uint32_t t1 = now_us();
    if (rc != HIL_OK) {
        out_rt_error("infer failed: ", &err);
        return;
    }
    out_timestamp(t1);
    out_line("m-infer-done");
    res.id = mdl.id;
    if (mdl.id == ID_AD && ad_score(&res.ad_score) != 0) {
        return;
    }
    res.have = 1;
    print_results();
}

/* ---- the other commands ------------------------------------------------------------- */

static void cmd_profile(void)
{
    out_line("m-profile-[ULPMark for tinyML Firmware V0.0.1]");
    if (ensure_model() == 0) {
        out_str("m-model-[");
        out_str(id_names[mdl.id]);
        out_char(']');
        out_end();
    }
    out_str("m-hilbench-line-max-[");
    out_u32((uint32_t)HIL_MLPERF_LINE_MAX);
    out_char(']');
    out_end();
}

static void cmd_help(void)
{
    out_line("m-help-[name%: the DUT's name]");
    out_line("m-help-[profile%: the benchmark profile and the model id]");
    out_line("m-help-[timestamp%: the DUT timer, m-lap-us-<us>]");
    out_line("m-help-[db load N%: expect N input bytes]");
    out_line("m-help-[db <hex>%: append bytes, two hex digits each]");
    out_line("m-help-[db print%: dump the bytes received]");
    out_line("m-help-[infer N W%: W warmup (default 10), then N timed inferences]");
    out_line("m-help-[results%: repeat the last m-results line]");
}

static void cmd_results(void)
{
    if (!res.have || mdl.rt == NULL) {
        out_error("results: no inference has completed yet");
        return;
    }
    print_results();
}

static void out_unknown(const char *w)
{
    out_str("e-[Unknown command: ");
    uint32_t i = 0;
    for (; w[i] != '\0' && i < ECHO_WORD_MAX; i++) {
        char c = w[i];
        out_char((c >= 0x20 && c < 0x7F && c != ']' && c != '[') ? c : '?');
    }
    if (w[i] != '\0') {
        out_str("...");
    }
    out_char(']');
    out_end();
}

static void execute(void)
{
    /* Leading whitespace was never stored; drop the trailing. */
    while (line_len > 0 && is_space(line[line_len - 1u])) {
        line_len--;
    }
    line[line_len] = '\0';
    char *args = line;
    char *w = next_word(&args);
    if (w == NULL) {
        /* an empty command: nothing to do but m-ready */
    } else if (word_is(w, "name")) {
        out_line("m-name-dut-[hilbench]");
    } else if (word_is(w, "profile")) {
        cmd_profile();
    } else if (word_is(w, "help")) {
        cmd_help();
    } else if (word_is(w, "timestamp")) {
        out_timestamp(now_us());
    } else if (word_is(w, "db")) {
        cmd_db(args);
    } else if (word_is(w, "infer")) {
        cmd_infer(args);
    } else if (word_is(w, "results")) {
        cmd_results();
    } else {
        out_unknown(w);
    }
    out_line("m-ready");
}

void hil_mlperf_feed(uint8_t byte)
{
    char c = (char)byte;
    if (c == '%') {
        if (line_overflow) {
            /* Its bytes are lost: a load it may have been part of is aborted too. */
            out_error("command too long");
            out_line("m-ready");
            db_abort();
        } else {
            execute();
        }
        line_len = 0;
        line_overflow = 0;
        return;
    }
    if (line_overflow || (line_len == 0 && is_space(c))) {
        return;
    }
    if (line_len < (uint32_t)HIL_MLPERF_LINE_MAX) {
        /* The command is parsed as a C string: a NUL byte is stored as SUB (0x1A), which
         * is as invalid as the NUL everywhere (and echoed as '?'). */
        line[line_len++] = c != '\0' ? c : '\x1a';
    } else {
        line_overflow = 1; /* discard up to the next '%' */
    }
}

void hil_mlperf_reset(void)
{
    line_len = 0;
    line_overflow = 0;
    out_len = 0;
    mdl.rt = NULL;
    mdl.id = ID_UNKNOWN;
    mdl.input_bytes = 0;
    db.buf = hil_slot_input_buffer(&db.buf_cap);
    db.cap = db.buf_cap < DB_MAX_BYTES ? db.buf_cap : DB_MAX_BYTES;
    db_abort();
    res.have = 0;
    hil_port_timer_start(); /* the m-lap-us epoch; never re-based in text mode */
}

_Noreturn void hil_mlperf_main(const uint8_t *prefix, uint32_t len)
{
    hil_mlperf_reset();
    if (prefix == 0) {
        out_line("m-timestamp-mode-performance");
        out_timestamp(now_us());
        out_line("m-init-done");
        out_line("m-ready");
    } else {
        for (uint32_t i = 0; i < len; i++) {
            hil_mlperf_feed(prefix[i]);
        }
    }
    for (;;) {
        uint8_t b;
        if (hil_port_read_byte(&b)) {
            hil_mlperf_feed(b);
        }
    }
}
