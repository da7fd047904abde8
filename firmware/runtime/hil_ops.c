/*
 * hil_ops.c - the operator registry: builtin code -> the kernel (runtime/ops/<name>.c). Names
 * of operators and types for messages: hil_names.c.
 *
 * To add an operator: write runtime/ops/<name>.c defining a const hil_op_reg_t, declare
 * it below and add it to the registry table.
 */
#include "hil_rt_internal.h"

extern const hil_op_reg_t hil_op_fully_connected;
extern const hil_op_reg_t hil_op_reshape;
extern const hil_op_reg_t hil_op_softmax;
extern const hil_op_reg_t hil_op_add;
extern const hil_op_reg_t hil_op_mul;
extern const hil_op_reg_t hil_op_logistic;
extern const hil_op_reg_t hil_op_concatenation;
extern const hil_op_reg_t hil_op_mean;
extern const hil_op_reg_t hil_op_quantize;
extern const hil_op_reg_t hil_op_dequantize;
extern const hil_op_reg_t hil_op_conv_2d;
extern const hil_op_reg_t hil_op_depthwise_conv_2d;
extern const hil_op_reg_t hil_op_average_pool_2d;
extern const hil_op_reg_t hil_op_max_pool_2d;
extern const hil_op_reg_t hil_op_pad;
extern const hil_op_reg_t hil_op_padv2;

static const hil_op_reg_t *const registry[] = {
    &hil_op_fully_connected,
    &hil_op_reshape,
    &hil_op_softmax,
    &hil_op_add,
    &hil_op_mul,
    &hil_op_logistic,
    &hil_op_concatenation,
    &hil_op_mean,
    &hil_op_quantize,
    &hil_op_dequantize,
    &hil_op_conv_2d,
    &hil_op_depthwise_conv_2d,
    &hil_op_average_pool_2d,
    &hil_op_max_pool_2d,
    &hil_op_pad,
    &hil_op_padv2,
};

const hil_op_reg_t *hil_op_find(uint16_t code)
{
    for (unsigned i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (registry[i]->code == code)
            return registry[i];
    return NULL;
}
