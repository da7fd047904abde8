/*
 * LOGISTIC (sigmoid), int8 -> int8.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/logistic.cc, logistic_common.cc
 * CalculateArithmeticOpDataLogistic; reference_integer_ops::Logistic for int8):
 *  - prepare: real = (double)input_scale * 2^27 (4 integer bits); q = frexp(real, &shift);
 *    multiplier = (int32)round(q * 2^31) (no QuantizeMultiplier fix-up);
 *    radius = CalculateInputRadius(4, shift, 31) = floor(15 * 2^27 / 2^shift). The output
 *    zero point must be -128 (TFLM refuses anything else; the output scale is not checked,
 *    results are in steps of 1/256 whatever it says).
 *  - per element: d = x - input_zero_point; d <= -radius -> -128; d >= radius -> 127;
 *    else MultiplyByQuantizedMultiplier(d, multiplier, shift) as a Q4.27 value through
 *    gemmlowp::logistic (exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1), a
 *    Q0.31 result, RoundingDivideByPOT(.., 23) - 128, clamped.
 * The output depends on the int8 input value only, so prepare evaluates the 256 cases
 * into a table and eval is a lookup (same bits, much faster).
 */
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define INPUT_INTEGER_BITS 4

typedef struct {
    int8_t table[256]; /* output for input value v at table[(uint8_t)v] */
} logistic_state_t;

/* gemmlowp::logistic(FixedPoint<int32, 4>) -> FixedPoint<int32, 0> raw */
static int32_t gemmlowp_logistic_q4(int32_t a)
{
    if (a == 0)
        return 1 << 30; /* one half */
    const int32_t abs_a = a > 0 ? a : hil_wsub(0, a);
    /* logistic_on_positive_values: 1 / (1 + exp(-|a|)) */
    const int32_t e = hil_exp_on_negative_values(hil_wsub(0, abs_a), INPUT_INTEGER_BITS);
    const int32_t pos = hil_one_over_one_plus_x_for_x_in_0_1(e);
    return a > 0 ? pos : hil_wsub(INT32_MAX, pos); /* One() - pos */
}

static int logistic_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
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
    if (hil_tensor_elems(input) != hil_tensor_elems(output))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "element counts differ");
    if (input->nscales == 0 || !hil_isfinite_f(input->scale) || !(input->scale > 0.0f))
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[0], "tensor %d: bad input quantization",
                        (int)op->inputs[0]);
    if (output->nscales == 0 || output->zero_point != -128)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->outputs[0], "tensor %d: output needs zero point -128",
                        (int)op->outputs[0]);

    const double real = (double)input->scale * (double)(1 << (31 - INPUT_INTEGER_BITS));
    int shift;
    const double q = hil_frexp(real, &shift);
    /* CalculateInputRadius shifts 1LL by `shift`: TFLM is undefined outside [0, 62] */
    if (shift < 0 || shift > 62)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[0], "tensor %d: input scale out of range",
                        (int)op->inputs[0]);
    const int32_t multiplier = (int32_t)hil_round(q * 2147483648.0); /* q < 1 - 2^-24 */
    const int32_t radius = shift > 31
                               ? 0
                               : (int32_t)((((uint32_t)1 << INPUT_INTEGER_BITS) - 1u) *
                                               ((uint32_t)1 << (31 - INPUT_INTEGER_BITS)) >>
                                           shift);

    logistic_state_t *st = hil_rt_persist(rt, sizeof(logistic_state_t));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    for (int v = -128; v < 128; v++) {
        const int32_t d = hil_wsub(v, input->zero_point);
        int8_t o;
        if (d <= -radius) {
            o = -128;
        } else if (d >= radius) {
            o = 127;
        } else {
            /* |d| < radius: d * 2^shift < 15 * 2^27, no overflow */
            const int32_t in_q4 = hil_mbqm(d, multiplier, shift);
            int32_t r = hil_rdivpot(gemmlowp_logistic_q4(in_q4), 31 - 8) - 128;
            if (r < -128)
                r = -128;
            if (r > 127)
                r = 127;
            o = (int8_t)r;
        }
        st->table[(uint8_t)v] = o;
    }
    op->state = st;
    return HIL_OK;
}

static int logistic_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const logistic_state_t *st = (const logistic_state_t *)op->state;
    const hil_tensor_t *in_t = hil_op_input(rt, op, 0);
    const uint8_t *input = in_t->data;
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
    const uint32_t n = hil_tensor_elems(in_t);
    for (uint32_t i = 0; i < n; i++)
        output[i] = st->table[input[i]];
    return HIL_OK;
}

const hil_op_reg_t hil_op_logistic = {14, "LOGISTIC", logistic_prepare, logistic_eval};
