/*
 * fuzz_model.c - libFuzzer harness for the model reader of hilbench-rt (runtime/): the
 * flatbuffer reader, model validation, tensor planning and every operator's prepare, i.e.
 * hil_rt_load() on arbitrary bytes, as MODEL_END and MODEL_FLASH call it.
 *
 * A model the runtime accepts is loaded again into an arena of exactly the size it says
 * it uses (and refused, cleanly, one byte less), its tensors read and, when small (at most
 * 16 KiB of arena), invoked once, so that a shape or parameter that prepare let through is
 * exercised by the kernels too, with AddressSanitizer watching the arena's end. Seeds: the real models
 * (MLPerf Tiny, the demo model) and the builder's small models, from make_seeds.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_port.h"
#include "hil_rt.h"

#define ARENA_BYTES (2u * 1024u * 1024u)
#define MODEL_BYTES (4u * 1024u * 1024u)
#define INVOKE_ARENA_MAX (16u * 1024u)

static _Alignas(16) uint8_t arena[ARENA_BYTES];
static _Alignas(16) uint8_t rt_storage[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MODEL_BYTES || hil_rt_object_size() > sizeof rt_storage) {
        return 0;
    }
    /* A copy of exactly size bytes (malloc: 16-byte aligned, like model_buf and the flash
     * partition), so that AddressSanitizer sees any read past the model's end. */
    uint8_t *model = malloc(size > 0 ? size : 1u);
    if (model == NULL) {
        return 0;
    }
    memcpy(model, data, size);
    hil_rt_t *rt = (hil_rt_t *)(void *)rt_storage;
    hil_rt_error_t err;
    memset(&err, 0, sizeof err);
    fuzz_budget_reset();
    int rc = hil_rt_load(rt, model, (uint32_t)size, arena, ARENA_BYTES, &err);
    if (rc != HIL_OK) {
        free(model);
        return 0;
    }
    /* Reload into an arena of exactly arena_used bytes (malloc: AddressSanitizer sees a
     * write past its end), after checking that one byte less is refused cleanly; the
     * planner's own figure must be enough, so a refusal there is a bug (abort). */
    uint32_t used = hil_rt_arena_used(rt);
    hil_rt_unload(rt);
    uint8_t *exact = malloc(used > 0 ? used : 1u);
    if (exact == NULL) {
        free(model);
        return 0;
    }
    if (used > 0 &&
        hil_rt_load(rt, model, (uint32_t)size, exact, used - 1u, &err) == HIL_OK) {
        abort(); /* accepted an arena smaller than the one it said it uses */
    }
    if (hil_rt_load(rt, model, (uint32_t)size, exact, used, &err) != HIL_OK ||
        hil_rt_arena_used(rt) != used) {
        abort();
    }
    volatile uint32_t sink = 0;
    for (uint8_t i = 0; i < hil_rt_num_inputs(rt); i++) {
        const hil_rt_io_t *io = hil_rt_input(rt, i);
        if (io != NULL && io->data != NULL) {
            memset(io->data, 0x5A, io->bytes);
        }
    }
    for (uint16_t t = 0; t < hil_rt_num_tensors(rt); t++) {
        uint32_t bytes = 0;
        uint8_t type = 0;
        const uint8_t *p = hil_rt_tensor_data(rt, t, &bytes, &type);
        if (p != NULL && bytes > 0) {
            sink += p[0] + p[bytes - 1u];
        }
    }
    if (used <= INVOKE_ARENA_MAX && setjmp(fuzz_jmp) == 0) {
        (void)hil_rt_invoke(rt, NULL, NULL, &err);
        for (uint8_t o = 0; o < hil_rt_num_outputs(rt); o++) {
            const hil_rt_io_t *io = hil_rt_output(rt, o);
            if (io != NULL && io->data != NULL && io->bytes > 0) {
                sink += io->data[io->bytes - 1u];
            }
        }
    }
    (void)sink;
    hil_rt_unload(rt);
    free(exact);
    free(model);
    return 0;
}
