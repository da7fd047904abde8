/*
 * MEAN (reduce mean), int8 -> int8, over the axes of a constant int32 axis tensor
 * (negative axes count from the end, duplicates are ignored); keep_dims only changes the
 * output shape, which must hold one element per combination of the kept dimensions.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/reduce.cc, reduce_common.cc
 * EvalMeanHelper -> EvalIntegerMean -> reference_ops::QuantizedMeanOrSum, integer
 * version):
 *  - prepare: QuantizeMultiplier((double)input_scale / (double)output_scale) -> (M, s);
 *    n = number of elements reduced into each output; the 1/n is folded into the
 *    multiplier: k = min(floor(log2 n), 32, 31 + s), M' = (int32)(((int64)M << k) / n),
 *    s' = s - k.
 *  - per output: sum = int32 sum of the raw int8 inputs (wrap-around, so the order of
 *    summation does not matter), out = MultiplyByQuantizedMultiplier((int32)(sum -
 *    input_zp * n), M', s') + output_zp, clamped to int8.
 *  - no axis at all: n = 1, every element requantized (TFLM does not take TFLite's
 *    ReduceIsCopy shortcut); an input with a zero dimension gives zeros.
 * TFLM sums into a scratch buffer of one int32 per output; here every output is summed
 * in a register (no scratch memory).
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define REDUCER_OPTIONS_TYPE 27 /* BuiltinOptions_ReducerOptions */

typedef struct {
    int32_t mult, shift;
    int32_t input_zp, output_zp;
    int32_t zp_times_n; /* (int32)(input_zp * n), wrapped as TFLM's cast */
    uint32_t mode;      /* 0: reduce, 2: zeros */
    uint32_t bytes;     /* zeros: output bytes */
    /* reduce: kept dims (outer odometer) and reduced dims (inner odometer) */
    uint32_t nkept, nred;
    uint32_t kept_dim[HIL_RT_MAX_DIMS], kept_stride[HIL_RT_MAX_DIMS];
    uint32_t red_dim[HIL_RT_MAX_DIMS], red_stride[HIL_RT_MAX_DIMS];
    uint32_t outputs, per_output;
} mean_state_t;

static int mean_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 2 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2 inputs, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *axis = hil_op_input(rt, op, 1);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL || axis == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input or axis missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (axis->type != HIL_TYPE_INT32)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    if (!(axis->flags & HIL_TF_CONST) && hil_tensor_elems(axis) != 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[1], "tensor %d: MEAN axis must be constant",
                        (int)op->inputs[1]);

    const int idx[2] = {op->inputs[0], op->outputs[0]};
    const hil_tensor_t *qt[2] = {input, output};
    for (int k = 0; k < 2; k++)
        if (qt[k]->nscales == 0 || !hil_isfinite_f(qt[k]->scale) || !(qt[k]->scale > 0.0f))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)idx[k],
                            "tensor %d: bad quantization (MEAN)", idx[k]);

    hil_fb_table_t opt;
    int r = hil_op_options(rt, op, REDUCER_OPTIONS_TYPE, &opt);
    if (r < 0)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");

    /* resolve the axes (a rank-0 input ignores them, as TFLM's ResolveAxis) */
    const unsigned nd = input->ndims;
    uint8_t reduced[HIL_RT_MAX_DIMS] = {0};
    const uint32_t naxis = hil_tensor_elems(axis);
    for (uint32_t i = 0; i < naxis && nd > 0; i++) {
        int32_t a = hil_ld_i32(axis->data + 4u * i);
        if (a < 0)
            a += (int32_t)nd;
        if (a < 0 || a >= (int32_t)nd)
            return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "axis out of range");
        reduced[a] = 1;
    }

    mean_state_t s;
    hil_memset(&s, 0, sizeof(s));
    s.input_zp = input->zero_point;
    s.output_zp = output->zero_point;
    uint64_t kept = 1, n = 1;
    for (unsigned d = 0; d < nd; d++) {
        if (reduced[d])
            n *= (uint32_t)input->dims[d];
        else
            kept *= (uint32_t)input->dims[d];
    }

    if (hil_tensor_elems(input) == 0) {
        /* a zero dimension: TFLM returns with the outputs zeroed */
        s.mode = 2;
        s.bytes = output->bytes;
    } else {
        if (hil_tensor_elems(output) != kept)
            return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                              "output size != kept dimensions");
        int32_t mult;
        int shift;
        hil_quantize_multiplier((double)input->scale / (double)output->scale, &mult,
                                &shift);
        /* fold 1/n (n >= 1): k = min(floor(log2 n), 32, 31 + shift) */
        int k = 63 - __builtin_clzll((unsigned long long)n);
        if (k > 32)
            k = 32;
        if (k > 31 + shift)
            k = 31 + shift;
        mult = (int32_t)(((int64_t)mult << k) / (int64_t)n);
        shift -= k;
        if (shift > 30) /* TFLM: x * (1 << shift) undefined */
            return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op,
                              "input / output scales out of range");
        s.mode = 0;
        s.mult = mult;
        s.shift = shift;
        s.zp_times_n = (int32_t)(uint32_t)((uint64_t)(int64_t)input->zero_point * n);
        s.outputs = (uint32_t)kept;
        s.per_output = (uint32_t)n;
        /* element strides; the lists keep the dimensions' order (outermost first) */
        uint32_t strides[HIL_RT_MAX_DIMS];
        uint32_t stride = 1;
        for (int d = (int)nd - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= (uint32_t)input->dims[d];
        }
        for (unsigned d = 0; d < nd; d++) {
            if (reduced[d]) {
                s.red_dim[s.nred] = (uint32_t)input->dims[d];
                s.red_stride[s.nred++] = strides[d];
            } else {
                s.kept_dim[s.nkept] = (uint32_t)input->dims[d];
                s.kept_stride[s.nkept++] = strides[d];
            }
        }
        if (s.nred == 0) { /* no axis, or rank 0: each output is one input, requantized */
            s.red_dim[0] = 1;
            s.red_stride[0] = 0;
            s.nred = 1;
        }
    }

    mean_state_t *st = hil_rt_persist(rt, sizeof(mean_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    *st = s;
    op->state = st;
    return HIL_OK;
}

static int mean_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const mean_state_t *st = (const mean_state_t *)op->state;
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;

    if (st->mode == 2) {
        if (st->bytes)
            hil_memset(output, 0, st->bytes);
        return HIL_OK;
    }

    uint32_t kidx[HIL_RT_MAX_DIMS] = {0};
    for (uint32_t o = 0; o < st->outputs; o++) {
        size_t base = 0;
        for (uint32_t k = 0; k < st->nkept; k++)
            base += (size_t)kidx[k] * st->kept_stride[k];
        /* sum over the reduced sub-space (innermost reduced dim in the inner loop) */
        uint32_t sum = 0;
        uint32_t ridx[HIL_RT_MAX_DIMS] = {0};
        const uint32_t last = st->nred - 1u;
        const uint32_t rows = st->per_output / st->red_dim[last];
        for (uint32_t r = 0; r < rows; r++) {
            size_t p = base;
            for (uint32_t k = 0; k < last; k++)
                p += (size_t)ridx[k] * st->red_stride[k];
            for (uint32_t c = 0; c < st->red_dim[last]; c++, p += st->red_stride[last])
                sum += (uint32_t)(int32_t)input[p];
            for (int k = (int)last - 1; k >= 0; k--) {
                if (++ridx[k] < st->red_dim[k])
                    break;
                ridx[k] = 0;
            }
        }
        const int32_t shifted = hil_wsub((int32_t)sum, st->zp_times_n);
        int32_t v = hil_wadd(hil_mbqm(shifted, st->mult, st->shift), st->output_zp);
        if (v < -128)
            v = -128;
        if (v > 127)
            v = 127;
        output[o] = (int8_t)v;
        for (int k = (int)st->nkept - 1; k >= 0; k--) {
            if (++kidx[k] < st->kept_dim[k])
                break;
            kidx[k] = 0;
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_mean = {40, "MEAN", mean_prepare, mean_eval};
