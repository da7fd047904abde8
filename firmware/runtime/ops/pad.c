/*
 * PAD and PADV2, int8 -> int8, up to 5 dimensions.
 *
 * Bit-exact with TFLM (micro/kernels/pad.cc, pad_common.cc; reference_ops::PadImpl):
 * paddings is a constant int32 [ndims, 2] tensor (before, after) and the output shape must
 * be input + before + after in every dimension; the pad value is the output zero point
 * (PAD, or PADV2 without its third input) or the int8 scalar constant_values (PADV2),
 * which must then share the output's zero point and scale (TFLM's checks). Without
 * constant_values the output zero point must be an int8.
 * Refused where TFLM misbehaves: negative paddings, input and output ranks that differ,
 * int64 paddings (TFLM reads them as int32).
 */
#include "../hil_rt_internal.h"

#define PAD_MAX_DIMS 5

typedef struct {
    int32_t in_dims[PAD_MAX_DIMS]; /* extended to 5-D with leading 1s */
    int32_t out_dims[PAD_MAX_DIMS];
    int32_t before[PAD_MAX_DIMS];
    int32_t after[PAD_MAX_DIMS];
    int32_t zero_point_value; /* pad value without constant_values */
} pad_state_t;

static int pad_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs < 2 || op->ninputs > 3 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2-3 inputs, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *paddings = hil_op_input(rt, op, 1);
    const hil_tensor_t *cval = hil_op_input(rt, op, 2);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL || paddings == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input or paddings missing");
    if (input->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (output->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    if (paddings->type != HIL_TYPE_INT32)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (cval && cval->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[2]);
    if (!(paddings->flags & HIL_TF_CONST))
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_OP, oi, op, "paddings must be constant");

    const unsigned n = input->ndims;
    if (n > PAD_MAX_DIMS)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_OP, oi, op, "more than 5 dimensions");
    if (output->ndims != n || hil_tensor_elems(paddings) != 2u * n)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "paddings / ranks inconsistent");
    if (cval && hil_tensor_elems(cval) != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "constant_values not a scalar");

    pad_state_t s;
    for (unsigned d = 0; d < PAD_MAX_DIMS; d++) {
        s.in_dims[d] = s.out_dims[d] = 1;
        s.before[d] = s.after[d] = 0;
    }
    for (unsigned d = 0; d < n; d++) {
        const unsigned e = d + PAD_MAX_DIMS - n;
        const int32_t before = hil_ld_i32(paddings->data + 8u * d);
        const int32_t after = hil_ld_i32(paddings->data + 8u * d + 4u);
        if (before < 0 || after < 0)
            return hil_err_op(err, HIL_ERR_UNSUPPORTED_OP, oi, op, "negative paddings");
        if ((int64_t)input->dims[d] + before + after != output->dims[d])
            return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                              "output shape != padded input");
        s.in_dims[e] = input->dims[d];
        s.out_dims[e] = output->dims[d];
        s.before[e] = before;
        s.after[e] = after;
    }
    if (cval == NULL) {
        if (output->zero_point < -128 || output->zero_point > 127)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                            (uint32_t)op->outputs[0], "tensor %d: zero point outside int8",
                            (int)op->outputs[0]);
    } else if (cval->zero_point != output->zero_point ||
               (double)cval->scale != (double)output->scale) {
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code,
                        (uint32_t)op->inputs[2], "tensor %d: quantization != output's",
                        (int)op->inputs[2]);
    }
    s.zero_point_value = output->zero_point;

    pad_state_t *ps = hil_rt_persist(rt, sizeof(pad_state_t));
    if (ps == NULL)
        return HIL_ERR_ARENA_TOO_SMALL;
    *ps = s;
    op->state = ps;
    return HIL_OK;
}

static int pad_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const pad_state_t *s = (const pad_state_t *)op->state;
    const hil_tensor_t *cval = hil_op_input(rt, op, 2);
    const int8_t *in = (const int8_t *)hil_op_input(rt, op, 0)->data;
    int8_t *out = (int8_t *)hil_op_output(rt, op, 0)->data;
    const int pad =
        cval ? (int)*(const int8_t *)cval->data : (int)(int8_t)s->zero_point_value;
    const int32_t *od = s->out_dims, *b = s->before, *a = s->after;
    const size_t depth = (size_t)od[4], in_depth = (size_t)s->in_dims[4];
    const size_t left = (size_t)b[4], right = (size_t)a[4];

    /* PadImpl's element loop, with the innermost dimension done as runs */
    for (int32_t i0 = 0; i0 < od[0]; i0++) {
        const int p0 = i0 < b[0] || i0 >= od[0] - a[0];
        for (int32_t i1 = 0; i1 < od[1]; i1++) {
            const int p1 = p0 || i1 < b[1] || i1 >= od[1] - a[1];
            for (int32_t i2 = 0; i2 < od[2]; i2++) {
                const int p2 = p1 || i2 < b[2] || i2 >= od[2] - a[2];
                for (int32_t i3 = 0; i3 < od[3]; i3++) {
                    if (p2 || i3 < b[3] || i3 >= od[3] - a[3]) {
                        if (depth)
                            hil_memset(out, pad, depth);
                    } else {
                        if (left)
                            hil_memset(out, pad, left);
                        if (in_depth)
                            hil_memcpy(out + left, in, in_depth);
                        if (right)
                            hil_memset(out + left + in_depth, pad, right);
                        in += in_depth;
                    }
                    out += depth;
                }
            }
        }
    }
    return HIL_OK;
}

const hil_op_reg_t hil_op_pad = {34, "PAD", pad_prepare, pad_eval};
const hil_op_reg_t hil_op_padv2 = {60, "PADV2", pad_prepare, pad_eval};
