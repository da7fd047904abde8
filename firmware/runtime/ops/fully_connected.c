/*
 * FULLY_CONNECTED, int8 x int8 (+ int32 bias) -> int8.
 *
 * Bit-exact with TFLM's reference kernel (micro/kernels/fully_connected.cc,
 * fully_connected_common.cc; reference_integer_ops::FullyConnected and
 * FullyConnectedPerChannel):
 *  - per-tensor weights: real multiplier = (double)input_scale * (double)filter_scale
 *    / (double)output_scale, all in double, as the installed tflite-micro computes it
 *    (a float-rounded product, as older TFLM sources read, is off by 1 LSB on AD01);
 *    the filter zero point is applied;
 *    the bias scale must be within 2 % of an output step of input*filter scale
 *    (computed in double there), as TFLM checks.
 *  - per-channel weights (more than one filter scale): real multiplier per channel =
 *    (double)input_scale * (double)filter_scale[c] / (double)output_scale, all in
 *    double; the filter zero point is ignored.
 *  - the input is read as [batches, accum_depth] with batches = the output's element
 *    count without its last dimension and accum_depth = the filter's last dimension
 *    (TFLM uses the model's output shape; keep_num_dims only changes that shape).
 */
#include "../hil_kernels.h"
#include "../hil_quant.h"
#include "../hil_rt_internal.h"

#define FC_OPTIONS_TYPE 8 /* BuiltinOptions_FullyConnectedOptions */

typedef struct {
    int32_t input_offset;  /* -input zero point */
    int32_t filter_offset; /* -filter zero point (per-tensor only) */
    int32_t output_offset; /* output zero point */
    int32_t act_min, act_max;
    int32_t multiplier; /* per-tensor */
    int8_t shift;
    uint32_t batches, out_depth, accum_depth;
    uint32_t per_channel;
    int32_t channel[]; /* per channel: multiplier[out_depth], then int8 shift[out_depth] */
} fc_state_t;

static int scale_ok(float s)
{
    return hil_isfinite_f(s) && s >= 0.0f;
}

static int fc_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs < 2 || op->ninputs > 3 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2-3 inputs, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *filter = hil_op_input(rt, op, 1);
    const hil_tensor_t *bias = hil_op_input(rt, op, 2);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL || filter == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input or weights missing");

    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (filter->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (bias && bias->type != HIL_TYPE_INT32)
        return hil_err_type(rt, err, oi, op, op->inputs[2]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    /* options */
    hil_fb_table_t opt;
    uint8_t act = 0, weights_format = 0;
    int r = hil_op_options(rt, op, FC_OPTIONS_TYPE, &opt);
    if (r < 0 || (r > 0 && (hil_fb_u8(&rt->fb, &opt, 0, 0, &act) ||
                            hil_fb_u8(&rt->fb, &opt, 1, 0, &weights_format))))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");
    if (weights_format != 0)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_OP, oi, op,
                          "shuffled weights unsupported");

    /* quantization */
    const int in_idx[3] = {op->inputs[0], op->inputs[1], op->outputs[0]};
    const hil_tensor_t *qt[3] = {input, filter, output};
    for (int k = 0; k < 3; k++) {
        if (qt[k]->nscales == 0)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)in_idx[k],
                            "tensor %d: not quantized (FULLY_CONNECTED)", in_idx[k]);
        for (uint32_t c = 0; c < qt[k]->nscales; c++)
            if (!scale_ok(hil_tensor_scale(rt, qt[k], c)))
                return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                                (uint32_t)in_idx[k], "tensor %d: bad scale", in_idx[k]);
    }
    if (!(output->scale > 0.0f))
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->outputs[0], "tensor %d: bad scale",
                        (int)op->outputs[0]);

    /* shapes: everything the kernel reads must exist */
    if (filter->ndims < 2 || output->ndims < 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad weights/output rank");
    const uint32_t out_depth = (uint32_t)output->dims[output->ndims - 1];
    const uint32_t accum_depth = (uint32_t)filter->dims[filter->ndims - 1];
    uint64_t batches = 1;
    for (unsigned d = 0; d + 1u < output->ndims; d++)
        batches *= (uint64_t)output->dims[d];
    if ((uint64_t)out_depth > (uint64_t)filter->dims[filter->ndims - 2] ||
        (uint64_t)out_depth * accum_depth > hil_tensor_elems(filter) ||
        batches * accum_depth > hil_tensor_elems(input) ||
        (bias && hil_tensor_elems(bias) < out_depth))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "inconsistent shapes");

    const int per_channel = filter->nscales > 1;
    if (per_channel) {
        if (filter->nscales != (uint32_t)filter->dims[filter->qdim] ||
            filter->nscales < out_depth)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)op->inputs[1],
                            "tensor %d: scales do not match channels", (int)op->inputs[1]);
    }

    int32_t act_min, act_max;
    r = hil_activation_range(act, output->scale, output->zero_point, -128, 127, &act_min,
                             &act_max);
    if (r == -2)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, act,
                        "op %u: FULLY_CONNECTED activation %s unsupported", (unsigned)oi,
                        act == HIL_ACT_TANH       ? "TANH"
                        : act == HIL_ACT_SIGN_BIT ? "SIGN_BIT"
                                                  : "(unknown)");
    if (r)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad output quantization");

    int32_t multiplier = 0;
    int shift = 0;
    if (!per_channel) {
        /* GetQuantizedConvolutionMultipler(context, input, filter, bias, output) */
        if (bias) {
            const double input_product_scale = (double)input->scale * (double)filter->scale;
            const double bias_scale = (double)bias->scale;
            double scale_diff = input_product_scale - bias_scale;
            if (scale_diff < 0)
                scale_diff = -scale_diff;
            if (!(scale_diff / (double)output->scale <= 0.02))
                return hil_errf(
                    err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)op->inputs[2],
                    "tensor %d: bias scale != input*weights scale", (int)op->inputs[2]);
        }
        /* All in double, as the tflite-micro we are checked against computes it: a float
         * product is off by 1 LSB on one AD01 output (docs/design-notes.md). */
        const double real_multiplier =
            (double)input->scale * (double)filter->scale / (double)output->scale;
        hil_quantize_multiplier(real_multiplier, &multiplier, &shift);
    }

    const uint32_t nch = per_channel ? out_depth : 0;
    fc_state_t *st =
        hil_rt_persist(rt, (uint32_t)(sizeof(fc_state_t) + hil_k_channel_bytes(nch)));
    if (st == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    st->input_offset = hil_wsub(0, input->zero_point);
    st->filter_offset = hil_wsub(0, filter->zero_point);
    st->output_offset = output->zero_point;
    st->act_min = act_min;
    st->act_max = act_max;
    st->multiplier = multiplier;
    /* QuantizeMultiplier gives shift >= -31; every shift >= 32 shifts everything out
     * (hil_wshl), so 32 stands for them all in an int8 */
    st->shift = (int8_t)(shift > 32 ? 32 : shift);
    st->batches = (uint32_t)batches;
    st->out_depth = out_depth;
    st->accum_depth = accum_depth;
    st->per_channel = (uint32_t)per_channel;
    for (uint32_t c = 0; c < nch; c++) {
        const double filter_scale = (double)hil_tensor_scale(rt, filter, c);
        const double effective =
            (double)input->scale * filter_scale / (double)output->scale;
        int32_t m;
        int s;
        hil_quantize_multiplier(effective, &m, &s);
        st->channel[c] = m;
        ((int8_t *)(st->channel + nch))[c] = (int8_t)(s > 32 ? 32 : s);
    }
    op->state = st;
    return HIL_OK;
}

static int fc_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const fc_state_t *st = (const fc_state_t *)op->state;
    const hil_tensor_t *bias_t = hil_op_input(rt, op, 2);
    const int8_t *input = (const int8_t *)hil_op_input(rt, op, 0)->data;
    const int8_t *filter = (const int8_t *)hil_op_input(rt, op, 1)->data;
    const uint8_t *bias = bias_t ? bias_t->data : NULL; /* may be unaligned: byte loads */
    int8_t *output = (int8_t *)hil_op_output(rt, op, 0)->data;
    const uint32_t depth = st->out_depth, accum = st->accum_depth;
    const int32_t input_offset = st->input_offset;
#if HIL_KERNELS_OPT
    if ((accum & 3u) == 0 && accum > 0 && (st->per_channel || st->filter_offset == 0)) {
        const hil_k_conv_params_t kp = {
            st->per_channel ? st->channel : &st->multiplier,
            st->per_channel ? (const int8_t *)(st->channel + depth) : &st->shift,
            bias,
            input_offset,
            {st->output_offset, st->act_min, st->act_max}};
        hil_k_fc(input, st->batches, accum, filter, depth, &kp, st->per_channel, output);
        return HIL_OK;
    }
#endif

    for (uint32_t b = 0; b < st->batches; b++) {
        const int8_t *in_row = input + (size_t)b * accum;
        for (uint32_t oc = 0; oc < depth; oc++) {
            const int8_t *f_row = filter + (size_t)oc * accum;
            uint32_t acc = 0; /* int32 accumulation with defined wrap-around */
            int32_t multiplier, shift;
            if (st->per_channel) {
                for (uint32_t d = 0; d < accum; d++)
                    acc += (uint32_t)(int32_t)f_row[d] *
                           (uint32_t)hil_wadd(in_row[d], input_offset);
                multiplier = st->channel[oc];
                shift = ((const int8_t *)(st->channel + depth))[oc];
            } else {
                const int32_t filter_offset = st->filter_offset;
                for (uint32_t d = 0; d < accum; d++)
                    acc += (uint32_t)hil_wadd(f_row[d], filter_offset) *
                           (uint32_t)hil_wadd(in_row[d], input_offset);
                multiplier = st->multiplier;
                shift = st->shift;
            }
            if (bias)
                acc += hil_ld_u32(bias + 4u * oc);
            int32_t v = hil_mbqm((int32_t)acc, multiplier, shift);
            v = hil_wadd(v, st->output_offset);
            if (v < st->act_min)
                v = st->act_min;
            if (v > st->act_max)
                v = st->act_max;
            output[(size_t)b * depth + oc] = (int8_t)v;
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_fully_connected = {9, "FULLY_CONNECTED", fc_prepare, fc_eval};
