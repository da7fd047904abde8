/*
 * hil_rt_arena.c - persistent state for prepared operators, allocated downwards from the
 * arena's end (hil_rt_persist). A leaf: kernels allocate during prepare without depending
 * on the loader that calls them.
 */
#include "hil_rt_internal.h"

void *hil_rt_persist(hil_rt_t *rt, uint32_t bytes)
{
    uint64_t a = ((uint64_t)bytes + (HIL_RT_PERSIST_ALIGN - 1u)) &
                 ~(uint64_t)(HIL_RT_PERSIST_ALIGN - 1u);
    uint64_t need = (uint64_t)rt->persist_need + a;
    rt->persist_need = need > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)need;
    if (rt->persist_failed || rt->persist_top < rt->arena_base ||
        a > (uint64_t)(rt->persist_top - rt->arena_base)) {
        rt->persist_failed = 1;
        return NULL;
    }
    rt->persist_top -= (uint32_t)a;
    return rt->arena + rt->persist_top;
}
