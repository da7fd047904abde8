/*
 * hil_rt_internal.h - private layout of hilbench-rt, shared by runtime/ and runtime/ops/.
 *
 * Memory: the tensor and operator tables are fixed arrays inside hil_rt_t (sized by
 * HIL_RT_MAX_TENSORS / HIL_RT_MAX_OPS). The arena holds, from its start, the planned
 * activation tensors (16-byte aligned, greedy plan) and, from its end downwards, the
 * operators' prepared state (multipliers etc.). Constant tensors point into the model.
 */
#ifndef HIL_RT_INTERNAL_H
#define HIL_RT_INTERNAL_H

#include "hil_fb.h"
#include "hil_rt_types.h"

#ifndef HIL_RT_MAX_OP_OUTPUTS
#define HIL_RT_MAX_OP_OUTPUTS 4
#endif

#define HIL_RT_TENSOR_ALIGN 16u
#define HIL_RT_PERSIST_ALIGN 8u
#define HIL_RT_UNUSED 0xFFFFu

/* No libc: the compiler's builtins (they lower to memcpy/memset calls or inline code). */
#define hil_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define hil_memset(d, c, n) __builtin_memset((d), (c), (n))
#define hil_memmove(d, s, n) __builtin_memmove((d), (s), (n))

/* hil_tensor_t.flags */
#define HIL_TF_CONST 0x01u    /* data points into the model (read-only) */
#define HIL_TF_VARIABLE 0x02u /* is_variable: lives for the whole run */
#define HIL_TF_INPUT 0x04u    /* a model input */
#define HIL_TF_OUTPUT 0x08u   /* a model output */
#define HIL_TF_USED 0x10u     /* referenced by an operator */

typedef struct {
    uint8_t *data;  /* arena or model bytes (const if HIL_TF_CONST) */
    uint32_t bytes; /* elements * element size */
    int32_t dims[HIL_RT_MAX_DIMS];
    float scale;         /* first scale (0 if not quantized) */
    int32_t zero_point;  /* first zero point */
    uint32_t scales_pos; /* model position of the float32 scale vector (per channel) */
    uint16_t nscales;    /* number of scales (0 = not quantized) */
    uint8_t type;        /* TFLite TensorType */
    uint8_t ndims;
    uint8_t flags; /* HIL_TF_* */
    uint8_t qdim;  /* quantized_dimension */
    /* memory plan */
    uint16_t first, last; /* lifetime in operator indices */
    uint32_t offset;      /* offset in the arena */
} hil_tensor_t;

struct hil_op_reg;

typedef struct {
    const struct hil_op_reg *reg;
    void *state;          /* prepared data in the arena, owned by the kernel */
    uint32_t options_pos; /* model position of the builtin options table, 0 = none */
    uint16_t code;        /* builtin operator code */
    uint8_t options_type; /* BuiltinOptions union type */
    uint8_t ninputs, noutputs;
    int16_t inputs[HIL_RT_MAX_OP_INPUTS]; /* tensor index or -1 (optional, absent) */
    int16_t outputs[HIL_RT_MAX_OP_OUTPUTS];
} hil_op_t;

typedef int (*hil_prepare_fn)(hil_rt_t *rt, uint16_t op_index, hil_op_t *op,
                              hil_rt_error_t *err);
typedef int (*hil_eval_fn)(hil_rt_t *rt, uint16_t op_index, const hil_op_t *op,
                           hil_rt_error_t *err);

/* One entry of the operator registry (runtime/hil_ops.c). */
typedef struct hil_op_reg {
    uint16_t code;
    const char *name;
    hil_prepare_fn prepare;
    hil_eval_fn eval;
} hil_op_reg_t;

struct hil_rt {
    hil_fb_t fb; /* the model */
    uint8_t *arena;
    uint32_t arena_size;
    uint32_t arena_base;  /* offset of the first 16-byte aligned arena byte */
    uint32_t plan_size;   /* bytes of planned activations from arena_base */
    uint32_t persist_top; /* persistent state lives in [persist_top, persist_end) */
    uint32_t persist_end;
    uint32_t persist_need; /* bytes of persistent state requested so far */
    uint32_t arena_used;
    uint8_t persist_failed;
    uint8_t loaded;
    uint8_t ninputs, noutputs;
    uint16_t ntensors, nops;
    uint16_t input_idx[HIL_RT_MAX_IO];
    uint16_t output_idx[HIL_RT_MAX_IO];
    hil_rt_io_t inputs[HIL_RT_MAX_IO];
    hil_rt_io_t outputs[HIL_RT_MAX_IO];
    hil_tensor_t tensors[HIL_RT_MAX_TENSORS];
    hil_op_t ops[HIL_RT_MAX_OPS];
    uint16_t scratch_a[HIL_RT_MAX_TENSORS]; /* planner */
    uint16_t scratch_b[HIL_RT_MAX_TENSORS];
};

/* ---- model (hil_model.c) ---- */
int hil_model_parse(hil_rt_t *rt, hil_rt_error_t *err);

/* ---- planner (hil_plan.c) ---- */
void hil_plan_lifetimes(hil_rt_t *rt);
uint32_t hil_plan(hil_rt_t *rt); /* returns the plan size in bytes */

/* ---- registry (hil_ops.c) and names (hil_names.c) ---- */
const hil_op_reg_t *hil_op_find(uint16_t code);
const char *hil_op_name(uint16_t code); /* NULL if unknown */
const char *hil_type_name(uint8_t type);
uint32_t hil_type_size(uint8_t type); /* 0 if unknown / variable-size */

/* ---- helpers for kernels (hil_rt_arena.c, hil_rt_tensor.c) ---- */

/* Allocate persistent state from the arena's end. Returns NULL if it does not fit (the
 * request is still counted toward the bytes needed); a kernel must then return
 * HIL_ERR_ARENA_TOO_SMALL at once. Call it at most once per prepare, after all checks. */
void *hil_rt_persist(hil_rt_t *rt, uint32_t bytes);

/* Tensor of input / output i of op, or NULL if absent (optional input) or out of range. */
const hil_tensor_t *hil_op_input(const hil_rt_t *rt, const hil_op_t *op, unsigned i);
hil_tensor_t *hil_op_output(hil_rt_t *rt, const hil_op_t *op, unsigned i);
int hil_op_input_index(const hil_op_t *op, unsigned i); /* -1 if absent */

/* The op's builtin options table: returns 1 if present and of union type `type`,
 * 0 if absent (use defaults), -1 if present with another type or malformed. */
int hil_op_options(const hil_rt_t *rt, const hil_op_t *op, uint8_t type, hil_fb_table_t *t);

uint32_t hil_tensor_elems(const hil_tensor_t *t);

/* The i-th float32 scale of a quantized tensor. */
float hil_tensor_scale(const hil_rt_t *rt, const hil_tensor_t *t, uint32_t i);

/* Error reporting (hil_rt_error.c). fmt understands %s, %d (int), %u (unsigned) and %%; the message is cut
 * at 63 characters. Returns status. */
int hil_errf(hil_rt_error_t *err, int status, uint16_t op_index, uint16_t op_code,
             uint32_t value, const char *fmt, ...);

/* Common kernel errors, with uniform messages. */
/* UNSUPPORTED_TYPE "tensor 3: type FLOAT32 unsupported by CONV_2D" (tensor < 0: missing). */
int hil_err_type(const hil_rt_t *rt, hil_rt_error_t *err, uint16_t op_index,
                 const hil_op_t *op, int tensor);
/* "op 3: SOFTMAX: <what>" with the given status. */
int hil_err_op(hil_rt_error_t *err, int status, uint16_t op_index, const hil_op_t *op,
               const char *what);

#endif
