/*
 * hil_conv_util.h - shared by the windowed int8 kernels (CONV_2D, DEPTHWISE_CONV_2D,
 * AVERAGE_POOL_2D, MAX_POOL_2D): option tables, TFLM's padding arithmetic, the per-channel
 * requantization parameters of PopulateConvolutionQuantizationParams, and the prepare of
 * the pools.
 */
#ifndef HIL_CONV_UTIL_H
#define HIL_CONV_UTIL_H

#include "hil_rt_internal.h"

/* tflite Padding */
#define HIL_PADDING_SAME 0
#define HIL_PADDING_VALID 1

/* Geometry of an NHWC window op, proved consistent by hil_window_geometry(): every index
 * the kernels form (origins, taps, rows) fits an int32, and the output's H and W are the
 * ones TFLM's ComputeOutSize gives. */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t f_h, f_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_h, pad_w;
} hil_window_t;

/* Window options as read from Conv2DOptions / DepthwiseConv2DOptions / Pool2DOptions. */
typedef struct {
    uint8_t padding;
    uint8_t activation;
    int32_t stride_w, stride_h;
    int32_t dil_w, dil_h;
    int32_t depth_multiplier;   /* DEPTHWISE_CONV_2D only */
    int32_t filter_w, filter_h; /* pools only */
} hil_window_opts_t;

/* Read the op's options (kind: 0 = Conv2DOptions, 1 = DepthwiseConv2DOptions,
 * 2 = Pool2DOptions). An absent table gives TFLM's zero-initialised parameters (so
 * strides 0, refused later). Returns HIL_OK or a reported error. */
enum { HIL_WOPT_CONV = 0, HIL_WOPT_DEPTHWISE = 1, HIL_WOPT_POOL = 2 };
int hil_window_options(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op, int kind,
                       hil_window_opts_t *o, hil_rt_error_t *err);

/* Fill w (batches, in_*, out_h, out_w, pads, strides, dilations) from the 4-D input and
 * output tensors, the filter size and the options, as TFLM's ComputePaddingHeightWidth,
 * and check the model's output H and W are the computed ones and the batches match.
 * Returns HIL_OK or a reported MODEL_INVALID / UNSUPPORTED_OP error. */
int hil_window_geometry(uint16_t oi, const hil_op_t *op, const hil_tensor_t *input,
                        const hil_tensor_t *output, int32_t f_h, int32_t f_w,
                        const hil_window_opts_t *o, hil_window_t *w, hil_rt_error_t *err);

/* Taps t in [*lo, *hi) of a window starting at origin with the given dilation that land
 * in [0, size): 0 <= origin + dil * t < size, t < taps. */
static inline void hil_window_taps(int32_t origin, int32_t dil, int32_t taps, int32_t size,
                                   int32_t *lo, int32_t *hi)
{
    int32_t l = origin < 0 ? (-origin + dil - 1) / dil : 0;
    int32_t h = origin < size ? (size - origin + dil - 1) / dil : 0;
    if (h > taps)
        h = taps;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

/* Checks of an int8 tensor's quantization (present, finite scales >= 0; with
 * need_positive, first scale > 0). Returns HIL_OK or a reported UNSUPPORTED_TYPE. */
int hil_check_quant(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op, int tensor,
                    int need_positive, hil_rt_error_t *err);

/* Fused activation -> [act_min, act_max] for an int8 output (TFLM's
 * CalculateActivationRangeQuantized); TANH / SIGN_BIT / unknown refused. Returns HIL_OK
 * or a reported error. */
int hil_window_activation(uint16_t oi, const hil_op_t *op, const hil_tensor_t *output,
                          uint8_t act, int32_t *act_min, int32_t *act_max,
                          hil_rt_error_t *err);

/* PopulateConvolutionQuantizationParams for int8 (both per-tensor and per-channel
 * filters): channel c's real multiplier is (double)input_scale * (double)filter_scale[c
 * or 0] / (double)output_scale, all in double, then QuantizeMultiplier. With mult == NULL
 * only checks (shift must stay <= 30: TFLM's `x * (1 << shift)` is undefined beyond).
 * Returns HIL_OK or a reported UNSUPPORTED_TYPE. */
int hil_conv_multipliers(const hil_rt_t *rt, uint16_t oi, const hil_op_t *op,
                         const hil_tensor_t *input, const hil_tensor_t *filter,
                         const hil_tensor_t *output, uint32_t channels, int32_t *mult,
                         int32_t *shift, hil_rt_error_t *err);

/* State shared by AVERAGE_POOL_2D and MAX_POOL_2D. */
typedef struct {
    hil_window_t w;
    int32_t act_min, act_max;
} hil_pool_state_t;

/* TFLM PoolingPrepare for int8 (the caller's code is the op's). */
int hil_pool_prepare(hil_rt_t *rt, uint16_t oi, hil_op_t *op, hil_rt_error_t *err);

#endif
