/*
 * hil_plan.c - static memory plan for the activation tensors.
 *
 * Lifetimes come from the operator order: a tensor lives from the first operator that
 * touches it to the last one; model inputs live from the start, model outputs and
 * variable tensors to the end. Placement is greedy as in TFLM's GreedyMemoryPlanner:
 * largest tensor first, each at the lowest 16-byte aligned offset that overlaps no
 * already placed tensor whose lifetime overlaps its own.
 */
#include "hil_rt_internal.h"

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + (a - 1u)) & ~(a - 1u);
}

static int needs_arena(const hil_tensor_t *t)
{
    return !(t->flags & HIL_TF_CONST) && t->first != HIL_RT_UNUSED && t->bytes > 0;
}

void hil_plan_lifetimes(hil_rt_t *rt)
{
    const uint16_t end = rt->nops ? (uint16_t)(rt->nops - 1u) : 0u;
    for (uint16_t i = 0; i < rt->ntensors; i++) {
        hil_tensor_t *t = &rt->tensors[i];
        t->first = HIL_RT_UNUSED;
        t->last = 0;
        t->offset = 0;
    }
    for (uint16_t oi = 0; oi < rt->nops; oi++) {
        const hil_op_t *op = &rt->ops[oi];
        for (unsigned k = 0; k < (unsigned)op->ninputs + op->noutputs; k++) {
            int ti = k < op->ninputs ? op->inputs[k] : op->outputs[k - op->ninputs];
            if (ti < 0)
                continue;
            hil_tensor_t *t = &rt->tensors[ti];
            if (t->first == HIL_RT_UNUSED || oi < t->first)
                t->first = oi;
            if (oi > t->last)
                t->last = oi;
        }
    }
    for (uint16_t i = 0; i < rt->ntensors; i++) {
        hil_tensor_t *t = &rt->tensors[i];
        if (t->flags & (HIL_TF_INPUT | HIL_TF_VARIABLE))
            t->first = 0;
        if (t->flags & (HIL_TF_OUTPUT | HIL_TF_VARIABLE)) {
            if (t->first == HIL_RT_UNUSED)
                t->first = 0;
            t->last = end;
        }
    }
}

static int overlap(const hil_tensor_t *a, const hil_tensor_t *b)
{
    return !(a->last < b->first || b->last < a->first);
}

uint32_t hil_plan(hil_rt_t *rt)
{
    uint16_t *order = rt->scratch_a;  /* tensors to place, largest first */
    uint16_t *placed = rt->scratch_b; /* placed tensors by ascending offset */
    uint16_t n = 0, nplaced = 0;
    uint64_t total = 0;

    for (uint16_t i = 0; i < rt->ntensors; i++) {
        if (!needs_arena(&rt->tensors[i]))
            continue;
        uint32_t sz = rt->tensors[i].bytes;
        uint16_t j = n++;
        while (j > 0 && rt->tensors[order[j - 1]].bytes < sz) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }

    for (uint16_t k = 0; k < n; k++) {
        hil_tensor_t *t = &rt->tensors[order[k]];
        const uint64_t size = align_up(t->bytes, HIL_RT_TENSOR_ALIGN);
        uint64_t cand = 0;
        for (uint16_t p = 0; p < nplaced; p++) {
            const hil_tensor_t *q = &rt->tensors[placed[p]];
            if (!overlap(t, q))
                continue;
            if (cand + size <= q->offset)
                break; /* fits in the gap below q */
            uint64_t q_end = (uint64_t)q->offset + align_up(q->bytes, HIL_RT_TENSOR_ALIGN);
            if (q_end > cand)
                cand = q_end;
        }
        /* beyond 4 GiB the plan cannot fit any arena; offsets then saturate */
        t->offset = cand > 0xFFFFFFF0u ? 0xFFFFFFF0u : (uint32_t)cand;
        if (cand + size > total)
            total = cand + size;
        /* insert into the offset-ordered list */
        uint16_t j = nplaced++;
        while (j > 0 && rt->tensors[placed[j - 1]].offset > t->offset) {
            placed[j] = placed[j - 1];
            j--;
        }
        placed[j] = order[k];
    }
    return total > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)total;
}
