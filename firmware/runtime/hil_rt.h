/*
 * hil_rt.h - public API of hilbench-rt, the on-device int8 TFLite interpreter.
 *
 * The DUT protocol (firmware/dut) is the only caller on a device; the host build
 * links the same sources for fast tests. No dynamic allocation: the caller owns the
 * hil_rt_t object, the model bytes and the arena; everything the runtime needs lives
 * in those.
 *
 * Status codes are the protocol's (docs/protocol.md section 4), so an error travels
 * from a kernel to the host unchanged.
 */
#ifndef HIL_RT_H
#define HIL_RT_H

#include <stddef.h>
#include <stdint.h>

#ifndef HIL_RT_MAX_TENSORS
#define HIL_RT_MAX_TENSORS 256
#endif
#ifndef HIL_RT_MAX_OPS
#define HIL_RT_MAX_OPS 128
#endif
#define HIL_RT_MAX_DIMS 6
#define HIL_RT_MAX_IO 4
#define HIL_RT_MAX_OP_INPUTS 8

enum {
    HIL_OK = 0,
    HIL_ERR_BAD_VERSION = 1,
    HIL_ERR_UNKNOWN_TYPE = 2,
    HIL_ERR_BAD_LENGTH = 3,
    HIL_ERR_BAD_STATE = 4,
    HIL_ERR_OUT_OF_RANGE = 5,
    HIL_ERR_MODEL_TOO_LARGE = 6,
    HIL_ERR_MODEL_CRC = 7,
    HIL_ERR_MODEL_INVALID = 8,
    HIL_ERR_UNSUPPORTED_OP = 9,
    HIL_ERR_UNSUPPORTED_TYPE = 10,
    HIL_ERR_ARENA_TOO_SMALL = 11,
    HIL_ERR_INVOKE_FAILED = 12,
    HIL_ERR_TOO_MANY = 13,
};

#define HIL_RT_NONE 0xFFFFu

/* Error detail, mirrored 1:1 into the protocol's error payload. */
typedef struct {
    int32_t status;     /* HIL_OK or HIL_ERR_* */
    uint16_t op_index;  /* operator at fault, HIL_RT_NONE if none */
    uint16_t op_code;   /* TFLite builtin code, HIL_RT_NONE if none */
    uint32_t value;     /* bytes needed, tensor index, offset ... */
    char message[64];   /* NUL-terminated ASCII, names the culprit */
} hil_rt_error_t;

/* TFLite TensorType values used on the wire. */
enum {
    HIL_TYPE_FLOAT32 = 0,
    HIL_TYPE_INT32 = 2,
    HIL_TYPE_UINT8 = 3,
    HIL_TYPE_INT64 = 4,
    HIL_TYPE_INT16 = 7,
    HIL_TYPE_INT8 = 9,
};

/* Description of a model input or output tensor. */
typedef struct {
    uint8_t type;
    uint8_t ndims;
    uint16_t tensor_index;
    uint32_t bytes;
    float scale;
    int32_t zero_point;
    int32_t dims[HIL_RT_MAX_DIMS];
    uint8_t *data;      /* where the tensor lives in the arena */
} hil_rt_io_t;

/* Called around every operator when profiling (end = 0 before, 1 after). */
typedef void (*hil_rt_op_hook_t)(void *ctx, uint16_t op_index, int end);

/* The interpreter object; its layout is private to runtime/ (see hil_rt_internal.h). */
typedef struct hil_rt hil_rt_t;

/* Size of the hil_rt_t object the caller must provide storage for. */
size_t hil_rt_object_size(void);

/* Validate model[0..size) as a TFLite flatbuffer, check every op and type is supported,
 * plan tensors into arena[0..arena_size) and prepare every operator. On failure returns
 * the status and fills err; the runtime is then unloaded. The model bytes must stay
 * alive and unchanged while the model is loaded. */
int hil_rt_load(hil_rt_t *rt, const uint8_t *model, uint32_t size,
                uint8_t *arena, uint32_t arena_size, hil_rt_error_t *err);

/* Forget any loaded model. */
void hil_rt_unload(hil_rt_t *rt);

/* 1 if a model is loaded and prepared. */
int hil_rt_loaded(const hil_rt_t *rt);

uint32_t hil_rt_arena_used(const hil_rt_t *rt);
uint16_t hil_rt_num_ops(const hil_rt_t *rt);
uint16_t hil_rt_num_tensors(const hil_rt_t *rt);
uint8_t hil_rt_num_inputs(const hil_rt_t *rt);
uint8_t hil_rt_num_outputs(const hil_rt_t *rt);
const hil_rt_io_t *hil_rt_input(const hil_rt_t *rt, uint8_t index);
const hil_rt_io_t *hil_rt_output(const hil_rt_t *rt, uint8_t index);

/* Run the model once. hook may be NULL (no profiling: nothing extra in the loop). */
int hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t hook, void *hook_ctx, hil_rt_error_t *err);

/* Debugging aid for per-layer comparison with a reference interpreter: run operators
 * 0..last_op only, so that their output tensors can be read (hil_rt_tensor_data) before
 * later operators reuse the arena bytes. Never used for timing. */
int hil_rt_invoke_until(hil_rt_t *rt, uint16_t last_op, hil_rt_error_t *err);

/* Data, size and TFLite type of any tensor of the loaded model (NULL if none). */
const uint8_t *hil_rt_tensor_data(const hil_rt_t *rt, uint16_t index, uint32_t *bytes, uint8_t *type);

#endif
