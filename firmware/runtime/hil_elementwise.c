/* hil_elementwise.c - see hil_elementwise.h. */
#include "hil_elementwise.h"

static int scale_ok(float s)
{
    return hil_isfinite_f(s) && s > 0.0f;
}

int hil_elementwise_prepare(hil_rt_t *rt, uint16_t oi, const hil_op_t *op,
                            uint8_t options_type, const char *name, hil_elementwise_t *ew,
                            hil_rt_error_t *err)
{
    if (op->ninputs != 2 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 2 inputs, 1 output");
    const hil_tensor_t *in1 = hil_op_input(rt, op, 0);
    const hil_tensor_t *in2 = hil_op_input(rt, op, 1);
    const hil_tensor_t *out = hil_op_output(rt, op, 0);
    if (in1 == NULL || in2 == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (in1->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[0]);
    if (in2->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->inputs[1]);
    if (out->type != HIL_TYPE_INT8)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);

    const int idx[3] = {op->inputs[0], op->inputs[1], op->outputs[0]};
    const hil_tensor_t *qt[3] = {in1, in2, out};
    for (int k = 0; k < 3; k++) {
        if (qt[k]->nscales == 0)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)idx[k],
                            "tensor %d: not quantized (%s)", idx[k], name);
        if (!scale_ok(qt[k]->scale))
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op->code, (uint32_t)idx[k],
                            "tensor %d: bad scale", idx[k]);
    }

    hil_fb_table_t opt;
    uint8_t act = 0;
    int r = hil_op_options(rt, op, options_type, &opt);
    if (r < 0 || (r > 0 && hil_fb_u8(&rt->fb, &opt, 0, 0, &act)))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "bad options");

    r = hil_bcast_prepare(in1->dims, in1->ndims, in2->dims, in2->ndims, out->dims,
                          out->ndims, &ew->bc);
    if (r == -1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op,
                          "input shapes do not broadcast");
    if (r)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "output shape mismatch");

    r = hil_activation_range(act, out->scale, out->zero_point, -128, 127, &ew->act_min,
                             &ew->act_max);
    if (r == -2)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, oi, op->code, act,
                        "op %u: %s activation %s unsupported", (unsigned)oi, name,
                        act == HIL_ACT_TANH       ? "TANH"
                        : act == HIL_ACT_SIGN_BIT ? "SIGN_BIT"
                                                  : "(unknown)");
    if (r)
        return hil_err_op(err, HIL_ERR_UNSUPPORTED_TYPE, oi, op, "bad output quantization");

    ew->in1 = in1;
    ew->in2 = in2;
    ew->out = out;
    return HIL_OK;
}

void hil_elementwise_broadcast(const hil_bcast_t *bc, const int8_t *x, const int8_t *y,
                               int8_t *out, hil_elementwise_row_fn row, const void *state)
{
    const uint32_t n_in = bc->dims[HIL_BCAST_DIMS - 1];
    const uint32_t is1 = bc->s1[HIL_BCAST_DIMS - 1], is2 = bc->s2[HIL_BCAST_DIMS - 1];
    uint32_t rows = 1;
    for (unsigned k = 0; k + 1 < HIL_BCAST_DIMS; k++)
        rows *= bc->dims[k];
    uint32_t idx[HIL_BCAST_DIMS - 1] = {0};
    for (uint32_t r = 0; r < rows; r++, out += n_in) {
        size_t p1 = 0, p2 = 0;
        for (unsigned k = 0; k + 1 < HIL_BCAST_DIMS; k++) {
            p1 += (size_t)idx[k] * bc->s1[k];
            p2 += (size_t)idx[k] * bc->s2[k];
        }
        row(state, x + p1, y + p2, out, n_in, is1, is2);
        for (int k = HIL_BCAST_DIMS - 2; k >= 0; k--) {
            if (++idx[k] < bc->dims[k])
                break;
            idx[k] = 0;
        }
    }
}
