/*
 * hil_rt_tensor.c - the accessors kernels use on the interpreter's tables: an op's input
 * and output tensors, its builtin options, a tensor's element count and scales. A leaf
 * (only the FlatBuffers reader below it), so ops/ never depends on the interpreter core.
 */
#include "hil_rt_internal.h"

uint32_t hil_tensor_elems(const hil_tensor_t *t)
{
    uint32_t n = 1;
    for (unsigned d = 0; d < t->ndims; d++)
        n *= (uint32_t)t->dims[d]; /* bounded at parse time */
    return n;
}

float hil_tensor_scale(const hil_rt_t *rt, const hil_tensor_t *t, uint32_t i)
{
    if (i >= t->nscales)
        return 0.0f;
    return hil_ld_f32(rt->fb.buf + t->scales_pos + 4u * i);
}

int hil_op_input_index(const hil_op_t *op, unsigned i)
{
    if (i >= op->ninputs)
        return -1;
    return op->inputs[i];
}

const hil_tensor_t *hil_op_input(const hil_rt_t *rt, const hil_op_t *op, unsigned i)
{
    int ti = hil_op_input_index(op, i);
    return ti < 0 ? NULL : &rt->tensors[ti];
}

hil_tensor_t *hil_op_output(hil_rt_t *rt, const hil_op_t *op, unsigned i)
{
    if (i >= op->noutputs)
        return NULL;
    return &rt->tensors[op->outputs[i]];
}

int hil_op_options(const hil_rt_t *rt, const hil_op_t *op, uint8_t type, hil_fb_table_t *t)
{
    if (op->options_pos == 0)
        return 0;
    if (op->options_type != type)
        return -1;
    if (hil_fb_table_at(&rt->fb, op->options_pos, t))
        return -1;
    return 1;
}
