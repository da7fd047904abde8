/*
 * hil_rt_types.h - the types, limits and status codes of hilbench-rt, without its
 * functions: what the runtime's own files, its kernels and the DUT protocol share. A leaf
 * header (it includes nothing of the firmware), so that the files below the interpreter's
 * entry points (hil_rt.c) never depend on them. Callers include hil_rt.h.
 *
 * Status codes are the protocol's (docs/protocol.md section 4), so an error travels
 * from a kernel to the host unchanged.
 */
#ifndef HIL_RT_TYPES_H
#define HIL_RT_TYPES_H

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
    int32_t status;    /* HIL_OK or HIL_ERR_* */
    uint16_t op_index; /* operator at fault, HIL_RT_NONE if none */
    uint16_t op_code;  /* TFLite builtin code, HIL_RT_NONE if none */
    uint32_t value;    /* bytes needed, tensor index, offset ... */
    char message[64];  /* NUL-terminated ASCII, names the culprit */
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
    uint8_t *data; /* where the tensor lives in the arena */
} hil_rt_io_t;

/* Called around every operator when profiling (end = 0 before, 1 after). */
typedef void (*hil_rt_op_hook_t)(void *ctx, uint16_t op_index, int end);

/* The interpreter object; its layout is private to runtime/ (see hil_rt_internal.h). */
typedef struct hil_rt hil_rt_t;

#endif
