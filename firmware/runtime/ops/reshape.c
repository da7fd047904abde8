/*
 * RESHAPE: a byte copy of the input into the output (TFLM micro reshape.cc). The new
 * shape is the output tensor's shape in the model; the optional second input (the shape
 * tensor) is not read. Any fixed-size element type; input and output types must match
 * and hold the same number of elements.
 */
#include "../hil_rt_internal.h"

static int reshape_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err)
{
    if (op->ninputs < 1 || op->ninputs > 2 || op->noutputs != 1)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "needs 1-2 inputs, 1 output");
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    const hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (input == NULL)
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "input missing");
    if (output->type != input->type)
        return hil_err_type(rt, err, oi, op, op->outputs[0]);
    if (hil_tensor_elems(input) != hil_tensor_elems(output))
        return hil_err_op(err, HIL_ERR_MODEL_INVALID, oi, op, "element counts differ");
    return HIL_OK;
}

static int reshape_eval(hil_rt_t *rt, uint16_t oi, const hil_op_t *op, hil_rt_error_t *err)
{
    (void)oi;
    (void)err;
    const hil_tensor_t *input = hil_op_input(rt, op, 0);
    hil_tensor_t *output = hil_op_output(rt, op, 0);
    if (output->bytes && input->data != output->data)
        hil_memmove(output->data, input->data, output->bytes);
    return HIL_OK;
}

const hil_op_reg_t hil_op_reshape = {22, "RESHAPE", reshape_prepare, reshape_eval};
