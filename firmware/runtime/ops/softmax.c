/*
 * SOFTMAX, int8 -> int8, bit-exact with TFLM (micro/kernels/softmax_common.cc and
 * reference_ops::Softmax<int8_t, int8_t> in kernels/internal/reference/softmax.h):
 *  - prepare: PreprocessSoftmaxScaling(beta, input_scale, kScaledDiffIntegerBits = 5):
 *    real = min((double)beta * (double)input_scale * 2^26, 2^31 - 1), which must be > 1,
 *    QuantizeMultiplier(real); diff_min = -CalculateInputRadius(5, left_shift)
 *    = -floor(31 * 2^26 / 2^left_shift). The output must have zero point -128 and scale
 *    exactly 1/256 (TFLM refuses anything else).
 *  - eval: per row, diff = x - max; exp of diff * multiplier in Q5.26 (gemmlowp
 *    exp_on_negative_values) summed in Q12.19, reciprocal by
 *    one_over_one_plus_x_for_x_in_0_1, output = RoundingDivideByPOT(...) - 128.
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define SOFTMAX_OPTIONS_TYPE 9 /* BuiltinOptions_SoftmaxOptions */
#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUMULATION_INTEGER_BITS 12

typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
    uint32_t outer, depth;
} softmax_state_t;

static int softmax_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs != 1 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 1 input, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    if (input->ndims < 1 || output->ndims < 1 ||
        input->dims[input->ndims - 1] != output->dims[output->ndims - 1] ||
        hil_tensor_elems(input) != hil_tensor_elems(output) ||
        input->dims[input->ndims - 1] == 0)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad shapes");
    const uint32_t depth = (uint32_t)input->dims[input->ndims - 1];

    if (output->nscales == 0 || output->zero_point != -128 || output->scale != 1.0f / 256)
        return hil_errf(
            err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)op->outputs[0],
            "tensor %d: output needs scale 1/256, zero point -128", (int)op->outputs[0]);
    if (input->nscales == 0 || !hil_isfinite_f(input->scale) || !(input->scale > 0.0f))
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[0], "tensor %d: bad input quantization",
                        (int)op->inputs[0]);

    hil_fb_table_t opt;
    float beta = 0.0f;
    int r = hil_op_options(rt, op, SOFTMAX_OPTIONS_TYPE, &opt);
    if (r < 0 || (r > 0 && hil_fb_f32(&rt->fb, &opt, 0, 0.0f, &beta)))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");
    if (!hil_isfinite_f(beta))
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad beta");

    /* PreprocessSoftmaxScaling (double-rounding build) */
    double real = (double)beta * (double)input->scale *
                  (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
    const double max_real = 2147483647.0; /* (1LL << 31) - 1.0 */
    if (real > max_real)
        real = max_real;
    if (!(real > 1.0)) /* QuantizeMultiplierGreaterThanOne's check (TFLM aborts) */
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op,
                          "beta * input scale too small");
    int32_t multiplier;
    int shift;
    hil_quantize_multiplier(real, &multiplier, &shift);
    if (shift < 0 || shift > 31)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad input scaling");

    softmax_state_t *st = hil_rt_persist(rt, sizeof(softmax_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->input_multiplier = multiplier;
    st->input_left_shift = shift;
    /* CalculateInputRadius(5, shift, 31): floor(31 * 2^26 / 2^shift), exact in integers */
    st->diff_min = -(int32_t)((((uint32_t)1 << SCALED_DIFF_INTEGER_BITS) - 1u) *
                                  ((uint32_t)1 << (31 - SCALED_DIFF_INTEGER_BITS)) >>
                              shift);
    st->depth = depth;
    st->outer = hil_tensor_elems(input) / depth;
    op->state = st;
    return HIL_OK;
}

static int32_t scaled_exp(const softmax_state_t *st, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne, then exp in Q5.26 -> Q0.31 */
    const int32_t rescaled =
        hil_srdhm(hil_wshl(diff, st->input_left_shift), st->input_multiplier);
    return hil_exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS);
}

static int softmax_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    const softmax_state_t *st = (const softmax_state_t *)op->state;
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
    const uint32_t depth = st->depth;

    for (uint32_t i = 0; i < st->outer; i++) {
        const int8_t *in = input + (size_t)i * depth;
        int8_t *out = output + (size_t)i * depth;
        int32_t max_in_row = -128;
        for (uint32_t c = 0; c < depth; c++)
            if (in[c] > max_in_row)
                max_in_row = in[c];

        int32_t sum_of_exps = 0; /* Q12.19 */
        for (uint32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            if (diff >= st->diff_min)
                sum_of_exps = hil_wadd(sum_of_exps, hil_rdivpot(scaled_exp(st, diff),
                                                                ACCUMULATION_INTEGER_BITS));
        }

        /* GetReciprocal(sum_of_exps, 12, &num_bits_over_unit) */
        if (sum_of_exps == 0)
            return hil_err_op(err, HIL_ERR_INVOKE_FAILED, oi, op, "sum of exps overflowed");
        const int headroom_plus_one = __builtin_clz((uint32_t)sum_of_exps);
        const int num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale =
            hil_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        const int exponent = num_bits_over_unit + 31 - 8;
        if (exponent < 0 || exponent > 31) /* TFLITE_CHECK in TFLM */
            return hil_err_op(err, HIL_ERR_INVOKE_FAILED, oi, op, "sum of exps overflowed");

        for (uint32_t c = 0; c < depth; c++) {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            if (diff >= st->diff_min) {
                const int32_t unsat =
                    hil_rdivpot(hil_srdhm(shifted_scale, scaled_exp(st, diff)), exponent);
                int32_t v = unsat - 128;
                if (v > 127)
                    v = 127;
                if (v < -128)
                    v = -128;
                out[c] = (int8_t)v;
            } else {
                out[c] = -128;
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_softmax = {25, "SOFTMAX", softmax_prepare, softmax_eval};
