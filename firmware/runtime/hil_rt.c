/*
 * hil_rt.c - the public API (hil_rt.h): load (parse, plan, prepare every operator), invoke,
 * and the accessors of the loaded model. Error helpers (hil_rt_error.c), arena persistence
 * (hil_rt_arena.c) and the kernels' tensor accessors (hil_rt_tensor.c) are leaf files below it.
 */
#include "hil_rt.h"
#include "hil_rt_internal.h"

/* Where zero-byte tensors point (never read or written). */
static uint8_t hil_empty[HIL_RT_TENSOR_ALIGN];

/* ------------------------------------------------------------------ API */

size_t hil_rt_object_size(void)
{
    return sizeof(hil_rt_t);
}

static void fill_io(hil_rt_t *rt, hil_rt_io_t *io, uint16_t ti)
{
    const hil_tensor_t *t = &rt->tensors[ti];
    io->type = t->type;
    io->ndims = t->ndims;
    io->tensor_index = ti;
    io->bytes = t->bytes;
    io->scale = t->scale;
    io->zero_point = t->zero_point;
    for (unsigned d = 0; d < HIL_RT_MAX_DIMS; d++)
        io->dims[d] = d < t->ndims ? t->dims[d] : 0;
    io->data = t->data;
}

int hil_rt_load(hil_rt_t *rt, const uint8_t *model, uint32_t size, uint8_t *arena,
                uint32_t arena_size, hil_rt_error_t *err)
{
    hil_rt_error_t local;
    if (err == NULL)
        err = &local;
    hil_errf(err, HIL_OK, HIL_RT_NONE, HIL_RT_NONE, 0, "");
    if (rt == NULL)
        return hil_errf(err, HIL_ERR_BAD_STATE, HIL_RT_NONE, HIL_RT_NONE, 0,
                        "no runtime object");
    hil_memset(rt, 0, sizeof(*rt));
    if (model == NULL)
        return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, 0,
                        "no model");
    if (arena == NULL)
        arena_size = 0;
    rt->fb.buf = model;
    rt->fb.size = size;

    int st = hil_model_parse(rt, err);
    if (st)
        goto fail;
    hil_plan_lifetimes(rt);

    /* arena geometry: activations from the first 16-byte aligned byte, state from the
     * last 8-byte aligned end downwards */
    const uintptr_t a0 = (uintptr_t)arena;
    uint32_t base = (uint32_t)((HIL_RT_TENSOR_ALIGN - (a0 & (HIL_RT_TENSOR_ALIGN - 1u))) &
                               (HIL_RT_TENSOR_ALIGN - 1u));
    const uint32_t tail = (uint32_t)((a0 + arena_size) & (HIL_RT_PERSIST_ALIGN - 1u));
    uint32_t pend = tail > arena_size ? 0 : arena_size - tail;
    if (arena_size == 0)
        base = pend = 0;
    if (base > pend)
        base = pend;
    rt->arena = arena;
    rt->arena_size = arena_size;
    rt->arena_base = base;
    rt->persist_end = rt->persist_top = pend;

    /* prepare every operator; running out of arena is reported after the others are
     * checked, with the total need */
    int short_arena = 0;
    for (uint16_t i = 0; i < rt->nops; i++) {
        hil_op_t *op = &rt->ops[i];
        st = op->reg->prepare(rt, i, op, err);
        if (st == HIL_ERR_ARENA_TOO_SMALL) {
            short_arena = 1;
            continue;
        }
        if (st)
            goto fail;
    }

    rt->plan_size = hil_plan(rt);
    const uint64_t need =
        (uint64_t)base + rt->plan_size + rt->persist_need + (arena_size - pend);
    if (short_arena || rt->persist_failed ||
        (uint64_t)base + rt->plan_size > rt->persist_top) {
        uint32_t n = need > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)need;
        st = hil_errf(err, HIL_ERR_ARENA_TOO_SMALL, HIL_RT_NONE, HIL_RT_NONE, n,
                      "arena too small: need %u bytes, have %u", (unsigned)n,
                      (unsigned)arena_size);
        goto fail;
    }
    rt->arena_used = arena_size - (rt->persist_top - (base + rt->plan_size));

    /* place the activations; zero them so that a tensor read before any write reads
     * zeros; variable tensors start at their zero point (as TFLM resets them) */
    for (uint16_t i = 0; i < rt->ntensors; i++) {
        hil_tensor_t *t = &rt->tensors[i];
        if (t->flags & HIL_TF_CONST)
            continue;
        if (t->bytes == 0)
            t->data = hil_empty;
        else if (t->first != HIL_RT_UNUSED)
            t->data = arena + base + t->offset;
        else
            t->data = NULL;
    }
    if (rt->plan_size)
        hil_memset(arena + base, 0, rt->plan_size);
    for (uint16_t i = 0; i < rt->ntensors; i++) {
        hil_tensor_t *t = &rt->tensors[i];
        if ((t->flags & HIL_TF_VARIABLE) && t->bytes && t->type == HIL_TYPE_INT8)
            hil_memset(t->data, (int)(uint8_t)t->zero_point, t->bytes);
    }
    for (uint8_t i = 0; i < rt->ninputs; i++)
        fill_io(rt, &rt->inputs[i], rt->input_idx[i]);
    for (uint8_t i = 0; i < rt->noutputs; i++)
        fill_io(rt, &rt->outputs[i], rt->output_idx[i]);
    rt->loaded = 1;
    return HIL_OK;

fail:
    rt->loaded = 0;
    if (err->status == HIL_OK) /* a kernel returned an error without describing it */
        hil_errf(err, st, HIL_RT_NONE, HIL_RT_NONE, 0, "load failed");
    return st;
}

void hil_rt_unload(hil_rt_t *rt)
{
    if (rt)
        rt->loaded = 0;
}

int hil_rt_loaded(const hil_rt_t *rt)
{
    return rt != NULL && rt->loaded;
}

uint32_t hil_rt_arena_used(const hil_rt_t *rt)
{
    return hil_rt_loaded(rt) ? rt->arena_used : 0;
}

uint16_t hil_rt_num_ops(const hil_rt_t *rt)
{
    return hil_rt_loaded(rt) ? rt->nops : 0;
}

uint16_t hil_rt_num_tensors(const hil_rt_t *rt)
{
    return hil_rt_loaded(rt) ? rt->ntensors : 0;
}

uint8_t hil_rt_num_inputs(const hil_rt_t *rt)
{
    return hil_rt_loaded(rt) ? rt->ninputs : 0;
}

uint8_t hil_rt_num_outputs(const hil_rt_t *rt)
{
    return hil_rt_loaded(rt) ? rt->noutputs : 0;
}

const hil_rt_io_t *hil_rt_input(const hil_rt_t *rt, uint8_t index)
{
    if (!hil_rt_loaded(rt) || index >= rt->ninputs)
        return NULL;
    return &rt->inputs[index];
}

const hil_rt_io_t *hil_rt_output(const hil_rt_t *rt, uint8_t index)
{
    if (!hil_rt_loaded(rt) || index >= rt->noutputs)
        return NULL;
    return &rt->outputs[index];
}

static int invoke_range(hil_rt_t *rt, uint16_t last, hil_rt_op_hook_t hook, void *hook_ctx,
                        hil_rt_error_t *err)
{
    hil_rt_error_t local;
    if (err == NULL)
        err = &local;
    hil_errf(err, HIL_OK, HIL_RT_NONE, HIL_RT_NONE, 0, "");
    if (!hil_rt_loaded(rt))
        return hil_errf(err, HIL_ERR_BAD_STATE, HIL_RT_NONE, HIL_RT_NONE, 0,
                        "no model loaded");
    for (uint16_t i = 0; i < rt->nops && i <= last; i++) {
        const hil_op_t *op = &rt->ops[i];
        if (hook)
            hook(hook_ctx, i, 0);
        int st = op->reg->eval(rt, i, op, err);
        if (hook)
            hook(hook_ctx, i, 1);
        if (st) {
            if (err->status == HIL_OK)
                hil_err_op(err, HIL_ERR_INVOKE_FAILED, i, op, "failed");
            return err->status;
        }
    }
    return HIL_OK;
}

int hil_rt_invoke(hil_rt_t *rt, hil_rt_op_hook_t hook, void *hook_ctx, hil_rt_error_t *err)
{
    return invoke_range(rt, 0xFFFFu, hook, hook_ctx, err);
}

int hil_rt_invoke_until(hil_rt_t *rt, uint16_t last_op, hil_rt_error_t *err)
{
    hil_rt_error_t local;
    if (err == NULL)
        err = &local;
    if (hil_rt_loaded(rt) && last_op >= rt->nops) {
        return hil_errf(err, HIL_ERR_OUT_OF_RANGE, last_op, HIL_RT_NONE, last_op,
                        "op %u past the model", (unsigned)last_op);
    }
    return invoke_range(rt, last_op, NULL, NULL, err);
}

const uint8_t *hil_rt_tensor_data(const hil_rt_t *rt, uint16_t index, uint32_t *bytes,
                                  uint8_t *type)
{
    if (!hil_rt_loaded(rt) || index >= rt->ntensors)
        return NULL;
    const hil_tensor_t *t = &rt->tensors[index];
    if (bytes)
        *bytes = t->data ? t->bytes : 0u;
    if (type)
        *type = t->type;
    return t->data;
}
