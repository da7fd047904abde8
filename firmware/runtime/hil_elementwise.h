/*
 * hil_elementwise.h - shared by the int8 binary elementwise ops (ADD, MUL): the checks of
 * their prepare (types, per-tensor quantization, options, broadcast shapes, fused
 * activation) and the broadcast loop of their eval.
 */
#ifndef HIL_ELEMENTWISE_H
#define HIL_ELEMENTWISE_H

#include "hil_quant.h"
#include "hil_rt_internal.h"

typedef struct {
    const hil_tensor_t *in1, *in2, *out;
    int32_t act_min, act_max; /* fused activation range, in output quanta */
    hil_bcast_t bc;
} hil_elementwise_t;

/* Check that op has 2 int8 inputs and 1 int8 output, each quantized with a finite
 * positive (per-tensor) scale, an options table of options_type (or none) whose field 0
 * is the fused activation, shapes that broadcast to the output's (hil_bcast_prepare) and
 * a supported activation; fill ew. name ("ADD") appears in the messages. Returns HIL_OK,
 * or the error status with err filled. */
int hil_elementwise_prepare(hil_rt_t *rt, uint16_t oi, const hil_op_t *op,
                            uint8_t options_type, const char *name, hil_elementwise_t *ew,
                            hil_rt_error_t *err);

/* One row of the broadcast loop: out[c] = f(x[c * s1], y[c * s2]) for c < n. */
typedef void (*hil_elementwise_row_fn)(const void *state, const int8_t *x, const int8_t *y,
                                       int8_t *out, uint32_t n, uint32_t s1, uint32_t s2);

/* TFLM's Broadcast{Add,Mul}6DSlow for bc->broadcast: an odometer over the 5 outer
 * dimensions of the extended output shape, row() over the last; out is written in
 * order. */
void hil_elementwise_broadcast(const hil_bcast_t *bc, const int8_t *x, const int8_t *y,
                               int8_t *out, hil_elementwise_row_fn row, const void *state);

#endif
