/*
 * hil_rt_error.c - error reporting for the runtime and its kernels: hil_errf (a tiny
 * printf into hil_rt_error_t.message) and the uniform kernel messages. A leaf: it needs
 * only the operator and type names (hil_names.c), so every file may report errors.
 */
#include <stdarg.h>

#include "hil_rt_internal.h"

typedef struct {
    char *buf;
    unsigned len, cap;
} msgbuf_t;

static void put_char(msgbuf_t *m, char c)
{
    if (m->len + 1u < m->cap)
        m->buf[m->len++] = c;
}

static void put_str(msgbuf_t *m, const char *s)
{
    if (s == NULL)
        s = "(null)";
    while (*s)
        put_char(m, *s++);
}

static void put_uint(msgbuf_t *m, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        put_char(m, tmp[--n]);
}

int hil_errf(hil_rt_error_t *err, int status, uint16_t op_index, uint16_t op_code,
             uint32_t value, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    err->op_index = op_index;
    err->op_code = op_code;
    err->value = value;
    msgbuf_t m = {err->message, 0, (unsigned)sizeof(err->message)};
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put_char(&m, *p);
            continue;
        }
        p++;
        if (*p == 's') {
            put_str(&m, va_arg(ap, const char *));
        } else if (*p == 'u') {
            put_uint(&m, va_arg(ap, unsigned));
        } else if (*p == 'd') {
            int v = va_arg(ap, int);
            if (v < 0) {
                put_char(&m, '-');
                put_uint(&m, 0u - (uint32_t)v);
            } else {
                put_uint(&m, (uint32_t)v);
            }
        } else if (*p == '%') {
            put_char(&m, '%');
        } else {
            break; /* unknown conversion or trailing '%' */
        }
    }
    va_end(ap);
    m.buf[m.len] = '\0';
    return status;
}

static const char *op_name(const hil_op_t *op)
{
    if (op->reg)
        return op->reg->name;
    const char *n = hil_op_name(op->code);
    return n ? n : "op";
}

int hil_err_type(const hil_rt_t *rt, hil_rt_error_t *err, uint16_t op_index,
                 const hil_op_t *op, int tensor)
{
    if (tensor < 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, op_index, op->code, HIL_RT_NONE,
                        "op %u: missing tensor for %s", (unsigned)op_index, op_name(op));
    return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, op_index, op->code, (uint32_t)tensor,
                    "tensor %d: type %s unsupported by %s", tensor,
                    hil_type_name(rt->tensors[tensor].type), op_name(op));
}

int hil_err_op(hil_rt_error_t *err, int status, uint16_t op_index, const hil_op_t *op,
               const char *what)
{
    return hil_errf(err, status, op_index, op->code, op_index, "op %u: %s: %s",
                    (unsigned)op_index, op_name(op), what);
}
