/*
 * hil_rt.h - public API of hilbench-rt, the on-device int8 TFLite interpreter.
 *
 * The DUT protocol (firmware/dut) is the only caller on a device; the host build
 * links the same sources for fast tests. No dynamic allocation: the caller owns the
 * hil_rt_t object, the model bytes and the arena; everything the runtime needs lives
 * in those.
 *
 * Types, limits and status codes: hil_rt_types.h (included here).
 */
#ifndef HIL_RT_H
#define HIL_RT_H

#include <stddef.h>
#include <stdint.h>

#include "hil_rt_types.h"

/* Size of the hil_rt_t object the caller must provide storage for. */
size_t hil_rt_object_size(void);

/* Validate model[0..size) as a TFLite flatbuffer, check every op and type is supported,
 * plan tensors into arena[0..arena_size) and prepare every operator. On failure returns
 * the status and fills err; the runtime is then unloaded. The model bytes must stay
 * alive and unchanged while the model is loaded. */
int hil_rt_load(hil_rt_t *rt, const uint8_t *model, uint32_t size, uint8_t *arena,
                uint32_t arena_size, hil_rt_error_t *err);

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
const uint8_t *hil_rt_tensor_data(const hil_rt_t *rt, uint16_t index, uint32_t *bytes,
                                  uint8_t *type);

#endif
