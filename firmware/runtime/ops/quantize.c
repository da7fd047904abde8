/*
 * QUANTIZE: float32 -> int8, and requantization int8 -> int8, int8 -> uint8,
 * uint8 -> int8 (per-tensor output quantization: exactly one scale).
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/quantize.cc, quantize_common.cc;
 * reference_ops::AffineQuantize and reference_ops::Requantize):
 *  - float32: q = (int32)roundf(x / out_scale) + zero_point (a float division by the
 *    float scale, half away from zero), clamped to int8. Where TFLM is undefined (NaN,
 *    |x / scale| >= 2^31: a float -> int32 conversion out of range) hilbench-rt gives a
 *    defined result: NaN -> the zero point, otherwise saturation (as on Arm).
 *  - integer: QuantizeMultiplier((double)in_scale / (double)out_scale); q =
 *    MultiplyByQuantizedMultiplier(x - in_zp) + out_zp, clamped to the output type (the
 *    int8 <-> uint8 same-scale "xor 0x80" fast path of TFLM gives the same bytes).
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

typedef struct {
    uint32_t mode; /* 0: float -> int8, 1: integer requantize */
    float scale;   /* output scale (float path) */
    int32_t in_zp, out_zp;
    int32_t mult, shift; /* requantize */
    int32_t qmin, qmax;  /* output range */
    uint8_t in_signed;   /* integer input: int8 (1) or uint8 (0) */
} quantize_state_t;

static int quantize_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 1 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 1 input, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    const uint8_t it = input->type, ot = output->type;
    if (it != HIL_TYPE_FLOAT32 && it != HIL_TYPE_INT8 && it != HIL_TYPE_UINT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (!((ot == HIL_TYPE_INT8) || (ot == HIL_TYPE_UINT8 && it == HIL_TYPE_INT8)))
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    if (hil_tensor_elems(input) != hil_tensor_elems(output))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "element counts differ");
    /* TFLM: affine quantization with exactly one scale */
    if (output->nscales != 1 || !hil_isfinite_f(output->scale) || !(output->scale > 0.0f))
        return hil_errf(
            err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)op->outputs[0],
            "tensor %d: needs one output scale (QUANTIZE)", (int)op->outputs[0]);

    quantize_state_t s;
    hil_memset(&s, 0, sizeof(s));
    s.out_zp = output->zero_point;
    s.qmin = ot == HIL_TYPE_INT8 ? -128 : 0;
    s.qmax = ot == HIL_TYPE_INT8 ? 127 : 255;
    s.scale = output->scale;
    if (it == HIL_TYPE_FLOAT32) {
        s.mode = 0;
    } else {
        if (input->nscales == 0 || !hil_isfinite_f(input->scale) || !(input->scale > 0.0f))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)op->inputs[0], "tensor %d: bad input quantization",
                            (int)op->inputs[0]);
        int shift;
        hil_quantize_multiplier((double)input->scale / (double)output->scale, &s.mult,
                                &shift);
        if (shift > 30) /* TFLM: x * (1 << shift) undefined */
            return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op,
                              "input / output scales out of range");
        s.shift = shift;
        s.mode = 1;
        s.in_zp = input->zero_point;
        s.in_signed = it == HIL_TYPE_INT8;
    }

    quantize_state_t *st = hil_rt_persist(rt, sizeof(quantize_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    *st = s;
    op->state = st;
    return HIL_OK;
}

/* (int32)roundf(x) + zp as TFLM, defined where the conversion is not */
static int32_t quantize_float(float x, float scale, int32_t zp)
{
    const float r = hil_roundf(x / scale);
    if (r != r) /* NaN */
        return zp;
    if (r >= 2147483648.0f)
        return INT32_MAX;
    if (r < -2147483648.0f)
        return INT32_MIN;
    return hil_wadd((int32_t)r, zp);
}

static int quantize_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const quantize_state_t *st = (const quantize_state_t *)op->state;
    const hil_tensor_t *in_t = hil_op_input(rt, op, 0);
    const uint8_t *in = in_t->data;
    uint8_t *out = hil_op_output(rt, op, 0)->data;
    const uint32_t n = hil_tensor_elems(in_t);
    for (uint32_t i = 0; i < n; i++) {
        int32_t v;
        if (st->mode == 0) {
            v = quantize_float(hil_ld_f32(in + 4u * i), st->scale, st->out_zp);
        } else {
            const int32_t x = st->in_signed ? (int32_t)(int8_t)in[i] : (int32_t)in[i];
            v = hil_wadd(hil_mbqm(hil_wsub(x, st->in_zp), st->mult, st->shift), st->out_zp);
        }
        if (v < st->qmin)
            v = st->qmin;
        if (v > st->qmax)
            v = st->qmax;
        out[i] = (uint8_t)v;
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_quantize = {114, "QUANTIZE", quantize_prepare, quantize_eval};
