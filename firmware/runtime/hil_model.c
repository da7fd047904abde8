/*
 * hil_model.c - read a TFLite model (schema version 3) into the runtime's tables.
 *
 * Only subgraph 0 is used. Every offset, vtable, vector, string, shape and buffer is
 * checked against the model's bounds (hil_fb.c) before use; anything inconsistent is
 * MODEL_INVALID, anything larger than the runtime's tables is TOO_MANY, and tensor types
 * or encodings the runtime cannot represent are UNSUPPORTED_TYPE.
 *
 * Field slots follow tflite-micro's schema (schema_py_generated.py): Model{version 0,
 * operator_codes 1, subgraphs 2, description 3, buffers 4}, SubGraph{tensors 0,
 * inputs 1, outputs 2, operators 3}, Tensor{shape 0, type 1, buffer 2, name 3,
 * quantization 4, is_variable 5, sparsity 6, external_buffer 10},
 * QuantizationParameters{scale 2, zero_point 3, details_type 4, quantized_dimension 6},
 * Operator{opcode_index 0, inputs 1, outputs 2, builtin_options_type 3,
 * builtin_options 4}, OperatorCode{deprecated_builtin_code 0, custom_code 1,
 * builtin_code 3}, Buffer{data 0, offset 1, size 2} (offset > 1, data outside the
 * flatbuffer, is refused; 0 and 1 mean the data vector).
 */
#include "hil_rt_internal.h"

#define TFLITE_SCHEMA_VERSION 3u
#define BUILTIN_CUSTOM 32u

static int bad(hil_rt_error_t *err, const char *what, uint32_t value)
{
    return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, value, "%s",
                    what);
}

static int bad_tensor(hil_rt_error_t *err, uint32_t t, const char *what)
{
    return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, t,
                    "tensor %u: %s", (unsigned)t, what);
}

static int bad_op(hil_rt_error_t *err, uint32_t i, const char *what)
{
    return hil_errf(err, HIL_ERR_MODEL_INVALID, (uint16_t)i, HIL_RT_NONE, i, "op %u: %s",
                    (unsigned)i, what);
}

/* Builtin code of operator code table oc: max(deprecated_builtin_code, builtin_code). */
static int opcode_code(const hil_fb_t *fb, const hil_fb_table_t *oc, int32_t *code)
{
    uint8_t dep_raw;
    int32_t builtin;
    if (hil_fb_u8(fb, oc, 0, 0, &dep_raw) || hil_fb_i32(fb, oc, 3, 0, &builtin))
        return -1;
    int32_t dep = (int32_t)(int8_t)dep_raw;
    *code = builtin > dep ? builtin : dep;
    return 0;
}

static int parse_tensor(hil_rt_t *rt, uint32_t ti, const hil_fb_table_t *tt,
                        const hil_fb_vec_t *buffers, hil_rt_error_t *err)
{
    const hil_fb_t *fb = &rt->fb;
    hil_tensor_t *t = &rt->tensors[ti];
    hil_fb_vec_t shape;
    int present;

    /* shape */
    if (hil_fb_vector(fb, tt, 0, 4, &shape, &present))
        return bad_tensor(err, ti, "malformed shape");
    if (shape.count > HIL_RT_MAX_DIMS)
        return hil_errf(err, HIL_ERR_TOO_MANY, HIL_RT_NONE, HIL_RT_NONE, ti,
                        "tensor %u: %u dims, at most %u", (unsigned)ti,
                        (unsigned)shape.count, (unsigned)HIL_RT_MAX_DIMS);
    t->ndims = (uint8_t)shape.count;
    uint64_t elems = 1;
    for (uint32_t d = 0; d < shape.count; d++) {
        int32_t v = hil_ld_i32(fb->buf + shape.pos + 4u * d);
        if (v < 0)
            return bad_tensor(err, ti, "negative (dynamic) dimension");
        t->dims[d] = v;
        elems *= (uint64_t)v;
        if (elems > 0x7FFFFFFFu)
            return bad_tensor(err, ti, "too many elements");
    }

    /* type */
    uint8_t type;
    if (hil_fb_u8(fb, tt, 1, 0, &type))
        return bad_tensor(err, ti, "malformed type");
    t->type = type;
    uint32_t esize = hil_type_size(type);
    if (esize == 0)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, HIL_RT_NONE, HIL_RT_NONE, ti,
                        "tensor %u: type %s (%u) unsupported", (unsigned)ti,
                        hil_type_name(type), (unsigned)type);
    if (elems * esize > 0x7FFFFFFFu)
        return bad_tensor(err, ti, "too large");
    t->bytes = (uint32_t)(elems * esize);

    /* variable, sparsity, external buffer */
    uint8_t is_var;
    uint32_t ext;
    hil_fb_table_t sub;
    if (hil_fb_u8(fb, tt, 5, 0, &is_var) || hil_fb_u32(fb, tt, 10, 0, &ext))
        return bad_tensor(err, ti, "malformed");
    if (is_var)
        t->flags |= HIL_TF_VARIABLE;
    if (ext != 0)
        return bad_tensor(err, ti, "external buffers unsupported");
    if (hil_fb_subtable(fb, tt, 6, &sub, &present))
        return bad_tensor(err, ti, "malformed sparsity");
    if (present)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, HIL_RT_NONE, HIL_RT_NONE, ti,
                        "tensor %u: sparse tensors unsupported", (unsigned)ti);

    /* quantization: as TFLM, quantized only if both scale and zero_point are non-empty */
    if (hil_fb_subtable(fb, tt, 4, &sub, &present))
        return bad_tensor(err, ti, "malformed quantization");
    if (present) {
        hil_fb_vec_t scales, zps;
        int p1, p2;
        uint8_t details;
        int32_t qdim;
        if (hil_fb_vector(fb, &sub, 2, 4, &scales, &p1) ||
            hil_fb_vector(fb, &sub, 3, 8, &zps, &p2) ||
            hil_fb_u8(fb, &sub, 4, 0, &details) || hil_fb_i32(fb, &sub, 6, 0, &qdim))
            return bad_tensor(err, ti, "malformed quantization");
        if (details != 0)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_TYPE, HIL_RT_NONE, HIL_RT_NONE, ti,
                            "tensor %u: custom quantization unsupported", (unsigned)ti);
        if (scales.count > 0 && zps.count > 0) {
            if (scales.count > 0xFFFFu)
                return hil_errf(err, HIL_ERR_TOO_MANY, HIL_RT_NONE, HIL_RT_NONE, ti,
                                "tensor %u: too many scales", (unsigned)ti);
            if (zps.count != scales.count && zps.count != 1)
                return bad_tensor(err, ti, "scale / zero_point counts differ");
            if (scales.count > 1 && (qdim < 0 || qdim >= (int32_t)t->ndims))
                return bad_tensor(err, ti, "bad quantized_dimension");
            t->nscales = (uint16_t)scales.count;
            t->scales_pos = scales.pos;
            t->scale = hil_ld_f32(fb->buf + scales.pos);
            /* TFLM: static_cast<int32_t>(int64 zero point) */
            t->zero_point = (int32_t)(uint32_t)hil_ld_u64(fb->buf + zps.pos);
            t->qdim = (uint8_t)(qdim < 0 ? 0 : qdim);
        }
    }

    /* buffer */
    uint32_t bi;
    if (hil_fb_u32(fb, tt, 2, 0, &bi))
        return bad_tensor(err, ti, "malformed buffer index");
    if (bi >= buffers->count) {
        if (bi != 0)
            return bad_tensor(err, ti, "buffer index out of range");
        return 0; /* no buffers at all: an activation */
    }
    hil_fb_table_t bt;
    hil_fb_vec_t data;
    uint64_t boff, bsize;
    if (hil_fb_vec_table(fb, buffers, bi, &bt) ||
        hil_fb_vector(fb, &bt, 0, 1, &data, &present) || hil_fb_u64(fb, &bt, 1, 0, &boff) ||
        hil_fb_u64(fb, &bt, 2, 0, &bsize))
        return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, bi,
                        "buffer %u: malformed", (unsigned)bi);
    if (boff >
        1) /* large-model layout (data after the flatbuffer): TFLM does not read it */
        return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, bi,
                        "buffer %u: external (offset) data unsupported", (unsigned)bi);
    if (data.count > 0) {
        if (data.count != t->bytes)
            return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, ti,
                            "tensor %u: buffer has %u bytes, shape needs %u", (unsigned)ti,
                            (unsigned)data.count, (unsigned)t->bytes);
        t->data = (uint8_t *)(uintptr_t)(fb->buf + data.pos);
        t->flags |= HIL_TF_CONST;
    }
    return 0;
}

static int parse_io(hil_rt_t *rt, const hil_fb_table_t *sg, unsigned slot, int is_output,
                    hil_rt_error_t *err)
{
    const hil_fb_t *fb = &rt->fb;
    hil_fb_vec_t v;
    int present;
    const char *what = is_output ? "output" : "input";
    if (hil_fb_vector(fb, sg, slot, 4, &v, &present))
        return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, 0,
                        "malformed subgraph %ss", what);
    if (v.count > HIL_RT_MAX_IO)
        return hil_errf(err, HIL_ERR_TOO_MANY, HIL_RT_NONE, HIL_RT_NONE, v.count,
                        "%u model %ss, at most %u", (unsigned)v.count, what,
                        (unsigned)HIL_RT_MAX_IO);
    for (uint32_t i = 0; i < v.count; i++) {
        int32_t ti = hil_ld_i32(fb->buf + v.pos + 4u * i);
        if (ti < 0 || ti >= (int32_t)rt->ntensors)
            return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, i,
                            "model %s %u: bad tensor index", what, (unsigned)i);
        hil_tensor_t *t = &rt->tensors[ti];
        if (t->flags & HIL_TF_CONST)
            return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE,
                            (uint32_t)ti, "model %s %u: tensor %d is constant", what,
                            (unsigned)i, (int)ti);
        t->flags |= is_output ? HIL_TF_OUTPUT : HIL_TF_INPUT;
        if (is_output)
            rt->output_idx[i] = (uint16_t)ti;
        else
            rt->input_idx[i] = (uint16_t)ti;
    }
    if (is_output)
        rt->noutputs = (uint8_t)v.count;
    else
        rt->ninputs = (uint8_t)v.count;
    return 0;
}

static int parse_op(hil_rt_t *rt, uint32_t oi, const hil_fb_table_t *ot,
                    const hil_fb_vec_t *opcodes, hil_rt_error_t *err)
{
    const hil_fb_t *fb = &rt->fb;
    hil_op_t *op = &rt->ops[oi];
    uint32_t oc_index;
    hil_fb_table_t oc;
    int32_t code;
    int present;

    if (hil_fb_u32(fb, ot, 0, 0, &oc_index))
        return bad_op(err, oi, "malformed");
    if (oc_index >= opcodes->count)
        return bad_op(err, oi, "opcode_index out of range");
    if (hil_fb_vec_table(fb, opcodes, oc_index, &oc) || opcode_code(fb, &oc, &code))
        return bad_op(err, oi, "malformed operator code");
    if (code < 0 || code >= (int32_t)HIL_RT_NONE)
        return bad_op(err, oi, "bad builtin code");
    op->code = (uint16_t)code;

    hil_fb_vec_t v;
    if (hil_fb_vector(fb, ot, 1, 4, &v, &present))
        return bad_op(err, oi, "malformed inputs");
    if (v.count > HIL_RT_MAX_OP_INPUTS)
        return hil_errf(err, HIL_ERR_TOO_MANY, (uint16_t)oi, op->code, v.count,
                        "op %u: %u inputs, at most %u", (unsigned)oi, (unsigned)v.count,
                        (unsigned)HIL_RT_MAX_OP_INPUTS);
    op->ninputs = (uint8_t)v.count;
    for (uint32_t i = 0; i < v.count; i++) {
        int32_t ti = hil_ld_i32(fb->buf + v.pos + 4u * i);
        if (ti < -1 || ti >= (int32_t)rt->ntensors)
            return bad_op(err, oi, "input tensor index out of range");
        op->inputs[i] = (int16_t)ti;
        if (ti >= 0)
            rt->tensors[ti].flags |= HIL_TF_USED;
    }

    if (hil_fb_vector(fb, ot, 2, 4, &v, &present))
        return bad_op(err, oi, "malformed outputs");
    if (v.count > HIL_RT_MAX_OP_OUTPUTS)
        return hil_errf(err, HIL_ERR_TOO_MANY, (uint16_t)oi, op->code, v.count,
                        "op %u: %u outputs, at most %u", (unsigned)oi, (unsigned)v.count,
                        (unsigned)HIL_RT_MAX_OP_OUTPUTS);
    op->noutputs = (uint8_t)v.count;
    for (uint32_t i = 0; i < v.count; i++) {
        int32_t ti = hil_ld_i32(fb->buf + v.pos + 4u * i);
        if (ti < 0 || ti >= (int32_t)rt->ntensors)
            return bad_op(err, oi, "output tensor index out of range");
        if (rt->tensors[ti].flags & HIL_TF_CONST)
            return bad_op(err, oi, "writes a constant tensor");
        op->outputs[i] = (int16_t)ti;
        rt->tensors[ti].flags |= HIL_TF_USED;
    }

    uint8_t otype;
    hil_fb_table_t opt;
    if (hil_fb_u8(fb, ot, 3, 0, &otype) || hil_fb_subtable(fb, ot, 4, &opt, &present))
        return bad_op(err, oi, "malformed builtin options");
    op->options_type = otype;
    op->options_pos = present ? opt.pos : 0;
    return 0;
}

static int unsupported_op(hil_rt_t *rt, uint32_t oi, const hil_fb_vec_t *ops,
                          const hil_fb_vec_t *opcodes, hil_rt_error_t *err)
{
    const hil_op_t *op = &rt->ops[oi];
    const char *name = hil_op_name(op->code);
    if (op->code == BUILTIN_CUSTOM) {
        /* name the custom op (the tables were validated by parse_op) */
        const hil_fb_t *fb = &rt->fb;
        hil_fb_table_t ot, oc;
        uint32_t oc_index, clen;
        const char *cname;
        int present = 0;
        if (hil_fb_vec_table(fb, ops, oi, &ot) == 0 &&
            hil_fb_u32(fb, &ot, 0, 0, &oc_index) == 0 &&
            hil_fb_vec_table(fb, opcodes, oc_index, &oc) == 0 &&
            hil_fb_string(fb, &oc, 1, &cname, &clen, &present) == 0 && present)
            return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, (uint16_t)oi, op->code, op->code,
                            "op %u: CUSTOM '%s' not supported", (unsigned)oi, cname);
    }
    if (name)
        return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, (uint16_t)oi, op->code, op->code,
                        "op %u: %s (code %u) not supported", (unsigned)oi, name,
                        (unsigned)op->code);
    return hil_errf(err, HIL_ERR_UNSUPPORTED_OP, (uint16_t)oi, op->code, op->code,
                    "op %u: code %u not supported", (unsigned)oi, (unsigned)op->code);
}

int hil_model_parse(hil_rt_t *rt, hil_rt_error_t *err)
{
    const hil_fb_t *fb = &rt->fb;
    hil_fb_table_t model, sg;
    hil_fb_vec_t opcodes, subgraphs, buffers, tensors, ops;
    int present;

    if (hil_fb_root(fb, &model))
        return bad(err, "not a flatbuffer", 0);
    if (fb->buf[4] != 'T' || fb->buf[5] != 'F' || fb->buf[6] != 'L' || fb->buf[7] != '3')
        return bad(err, "not a TFLite model (no TFL3 identifier)", 0);
    uint32_t version;
    if (hil_fb_u32(fb, &model, 0, 0, &version))
        return bad(err, "malformed model table", 0);
    if (version != TFLITE_SCHEMA_VERSION)
        return hil_errf(err, HIL_ERR_MODEL_INVALID, HIL_RT_NONE, HIL_RT_NONE, version,
                        "schema version %u, expected 3", (unsigned)version);
    if (hil_fb_vector(fb, &model, 1, 4, &opcodes, &present))
        return bad(err, "malformed operator_codes", 0);
    if (hil_fb_vector(fb, &model, 2, 4, &subgraphs, &present))
        return bad(err, "malformed subgraphs", 0);
    if (subgraphs.count == 0)
        return bad(err, "no subgraph", 0);
    if (hil_fb_vector(fb, &model, 4, 4, &buffers, &present))
        return bad(err, "malformed buffers", 0);
    if (hil_fb_vec_table(fb, &subgraphs, 0, &sg))
        return bad(err, "malformed subgraph 0", 0);

    /* tensors */
    if (hil_fb_vector(fb, &sg, 0, 4, &tensors, &present))
        return bad(err, "malformed tensors", 0);
    if (tensors.count > HIL_RT_MAX_TENSORS)
        return hil_errf(err, HIL_ERR_TOO_MANY, HIL_RT_NONE, HIL_RT_NONE, tensors.count,
                        "%u tensors, at most %u", (unsigned)tensors.count,
                        (unsigned)HIL_RT_MAX_TENSORS);
    rt->ntensors = (uint16_t)tensors.count;
    for (uint32_t i = 0; i < tensors.count; i++) {
        hil_fb_table_t tt;
        if (hil_fb_vec_table(fb, &tensors, i, &tt))
            return bad_tensor(err, i, "malformed");
        int st = parse_tensor(rt, i, &tt, &buffers, err);
        if (st)
            return st;
    }

    /* model inputs and outputs */
    int st = parse_io(rt, &sg, 1, 0, err);
    if (st)
        return st;
    st = parse_io(rt, &sg, 2, 1, err);
    if (st)
        return st;

    /* operators */
    if (hil_fb_vector(fb, &sg, 3, 4, &ops, &present))
        return bad(err, "malformed operators", 0);
    if (ops.count > HIL_RT_MAX_OPS)
        return hil_errf(err, HIL_ERR_TOO_MANY, HIL_RT_NONE, HIL_RT_NONE, ops.count,
                        "%u operators, at most %u", (unsigned)ops.count,
                        (unsigned)HIL_RT_MAX_OPS);
    rt->nops = (uint16_t)ops.count;
    for (uint32_t i = 0; i < ops.count; i++) {
        hil_fb_table_t ot;
        if (hil_fb_vec_table(fb, &ops, i, &ot))
            return bad_op(err, i, "malformed");
        st = parse_op(rt, i, &ot, &opcodes, err);
        if (st)
            return st;
    }

    /* every operator must be implemented */
    for (uint32_t i = 0; i < rt->nops; i++) {
        hil_op_t *op = &rt->ops[i];
        op->reg = hil_op_find(op->code);
        if (op->reg == NULL)
            return unsupported_op(rt, i, &ops, &opcodes, err);
    }
    return 0;
}
