/*
 * hil-rt-run - run one inference of a TFLite model with hilbench-rt on the host.
 *
 *   hil-rt-run [--arena BYTES] [--repeat N] MODEL.tflite INPUT.bin OUTPUT.bin [M I O]...
 *   hil-rt-run [--arena BYTES] --check FILE...
 *
 * Copies INPUT.bin into the model's inputs, invokes, writes the outputs' raw bytes to
 * OUTPUT.bin and prints "arena_used=N ops=N". INPUT.bin is the raw bytes of input 0, then
 * input 1 ... (its size must equal the sum of the inputs' bytes); OUTPUT.bin likewise holds
 * output 0, then output 1 ... (one input / output: just its bytes; float32 tensors are
 * raw IEEE-754 little-endian bytes like any other). On failure prints one line
 * "error status=N op_index=N op_code=N value=N: message" (status -1: a problem of this
 * tool, e.g. an unreadable file). Several MODEL INPUT OUTPUT triples run one after the
 * other in one process (one result line each, in order); the exit status is 0 if all
 * succeeded, else 2. Usage errors exit 2.
 *
 * --check loads each FILE as a model and, if that succeeds, invokes it on zero inputs,
 * printing "FILE status=N" per file (a robustness check of the loader: many malformed
 * models in one process). It exits 0 unless a file cannot be read.
 *
 * The model is read into a heap block of exactly its size, so that any read past its
 * end is caught by AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hil_rt.h"

#define DEFAULT_ARENA (4u * 1024u * 1024u)

static _Alignas(16) uint8_t arena[DEFAULT_ARENA];
static _Alignas(16) uint8_t rt_storage[256 * 1024];

static int fail(const hil_rt_error_t *e)
{
    printf("error status=%d op_index=%u op_code=%u value=%lu: %s\n", (int)e->status,
           (unsigned)e->op_index, (unsigned)e->op_code, (unsigned long)e->value,
           e->message);
    return 2;
}

static int tool_fail(const char *what, const char *path)
{
    printf("error status=-1 op_index=%u op_code=%u value=0: %s %s\n", (unsigned)HIL_RT_NONE,
           (unsigned)HIL_RT_NONE, what, path);
    return 2;
}

/* Read a whole file into an exactly sized heap block (at least 1 byte allocated). */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1u);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: hil-rt-run [--arena BYTES] [--repeat N] MODEL.tflite INPUT.bin "
                    "OUTPUT.bin [MODEL INPUT OUTPUT]...\n"
                    "       hil-rt-run [--arena BYTES] --check FILE...\n");
}

static int check_files(hil_rt_t *rt, uint32_t arena_size, int n, char **paths)
{
    for (int k = 0; k < n; k++) {
        size_t size = 0;
        uint8_t *model = read_file(paths[k], &size);
        if (!model || size > UINT32_MAX) {
            free(model);
            return tool_fail("cannot read", paths[k]);
        }
        printf("%s ", paths[k]);
        fflush(stdout); /* so that a sanitizer report can be matched to its file */
        hil_rt_error_t err;
        int st = hil_rt_load(rt, model, (uint32_t)size, arena, arena_size, &err);
        if (st == HIL_OK) {
            for (uint8_t i = 0; i < hil_rt_num_inputs(rt); i++) {
                const hil_rt_io_t *io = hil_rt_input(rt, i);
                if (io->bytes)
                    memset(io->data, 0, io->bytes);
            }
            st = hil_rt_invoke(rt, NULL, NULL, &err);
        }
        printf("status=%d\n", st);
        fflush(stdout);
        hil_rt_unload(rt);
        free(model);
    }
    return 0;
}

static int run(hil_rt_t *rt, uint32_t arena_size, unsigned long repeat,
               const char *model_path, const char *input_path, const char *output_path)
{
    size_t model_size = 0, input_size = 0;
    uint8_t *model = NULL, *input = NULL;
    int rc = 2;
    hil_rt_error_t err;

    model = read_file(model_path, &model_size);
    if (!model) {
        rc = tool_fail("cannot read", model_path);
        goto out;
    }
    if (model_size > UINT32_MAX) {
        rc = tool_fail("model too large:", model_path);
        goto out;
    }
    input = read_file(input_path, &input_size);
    if (!input) {
        rc = tool_fail("cannot read", input_path);
        goto out;
    }
    int st = hil_rt_load(rt, model, (uint32_t)model_size, arena, arena_size, &err);
    if (st != HIL_OK) {
        rc = fail(&err);
        goto out;
    }
    const hil_rt_io_t *in0 = hil_rt_input(rt, 0);
    const hil_rt_io_t *out0 = hil_rt_output(rt, 0);
    if (!in0 || !out0) {
        hil_rt_error_t e = {HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, 0,
                            "model has no input or no output"};
        rc = fail(&e);
        goto out;
    }
    size_t in_total = 0;
    for (uint8_t k = 0; k < hil_rt_num_inputs(rt); k++)
        in_total += hil_rt_input(rt, k)->bytes;
    if (input_size != in_total) {
        hil_rt_error_t e = {HIL_ERR_BAD_LENGTH, HIL_RT_NONE, HIL_RT_NONE,
                            (uint32_t)in_total, ""};
        snprintf(e.message, sizeof(e.message), "input is %lu bytes, model input%s %lu",
                 (unsigned long)input_size, hil_rt_num_inputs(rt) > 1 ? "s total" : " 0 is",
                 (unsigned long)in_total);
        rc = fail(&e);
        goto out;
    }
    for (unsigned long r = 0; r < repeat; r++) {
        size_t pos = 0;
        for (uint8_t k = 0; k < hil_rt_num_inputs(rt); k++) {
            const hil_rt_io_t *in = hil_rt_input(rt, k);
            if (in->bytes)
                memcpy(in->data, input + pos, in->bytes);
            pos += in->bytes;
        }
        st = hil_rt_invoke(rt, NULL, NULL, &err);
        if (st != HIL_OK) {
            rc = fail(&err);
            goto out;
        }
    }
    FILE *f = fopen(output_path, "wb");
    if (!f) {
        rc = tool_fail("cannot write", output_path);
        goto out;
    }
    size_t written = 0, out_total = 0;
    for (uint8_t k = 0; k < hil_rt_num_outputs(rt); k++) {
        const hil_rt_io_t *o = hil_rt_output(rt, k);
        out_total += o->bytes;
        written += o->bytes ? fwrite(o->data, 1, o->bytes, f) : 0;
    }
    if (fclose(f) != 0 || written != out_total) {
        rc = tool_fail("cannot write", output_path);
        goto out;
    }
    printf("arena_used=%lu ops=%u\n", (unsigned long)hil_rt_arena_used(rt),
           (unsigned)hil_rt_num_ops(rt));
    rc = 0;
out:
    hil_rt_unload(rt);
    free(model);
    free(input);
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t arena_size = DEFAULT_ARENA;
    unsigned long repeat = 1;
    int check = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--check") == 0) {
            check = 1;
            i++;
            break;
        }
        if (strcmp(argv[i], "--arena") == 0 && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], NULL, 0);
            if (v > DEFAULT_ARENA) {
                usage();
                return 2;
            }
            arena_size = (uint32_t)v;
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = strtoul(argv[++i], NULL, 0);
        } else {
            usage();
            return 2;
        }
    }
    if (hil_rt_object_size() > sizeof(rt_storage))
        return tool_fail("runtime object too large for", "rt_storage");
    hil_rt_t *rt = (hil_rt_t *)(void *)rt_storage;
    if (check)
        return check_files(rt, arena_size, argc - i, argv + i);
    if (argc - i < 3 || (argc - i) % 3 != 0) {
        usage();
        return 2;
    }
    int rc = 0;
    for (; i < argc; i += 3) {
        if (run(rt, arena_size, repeat, argv[i], argv[i + 1], argv[i + 2]) != 0)
            rc = 2;
        fflush(stdout); /* so that a sanitizer report can be matched to its model */
    }
    return rc;
}
