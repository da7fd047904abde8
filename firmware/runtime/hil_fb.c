/*
 * hil_fb.c - bounds-checked FlatBuffers reader (see hil_fb.h).
 */
#include "hil_fb.h"

/* 1 if [pos, pos + len) lies inside the buffer (no overflow: 64-bit arithmetic). */
static int in_bounds(const hil_fb_t *fb, uint64_t pos, uint64_t len)
{
    return pos <= fb->size && len <= (uint64_t)fb->size - pos;
}

int hil_fb_table_at(const hil_fb_t *fb, uint32_t pos, hil_fb_table_t *out)
{
    if (!in_bounds(fb, pos, 4))
        return -1;
    int64_t vt = (int64_t)pos - (int64_t)hil_ld_i32(fb->buf + pos);
    if (vt < 0 || !in_bounds(fb, (uint64_t)vt, 4))
        return -1;
    uint16_t vt_size = hil_ld_u16(fb->buf + vt);
    uint16_t obj_size = hil_ld_u16(fb->buf + vt + 2);
    if (vt_size < 4 || (vt_size & 1u) || !in_bounds(fb, (uint64_t)vt, vt_size))
        return -1;
    if (obj_size < 4 || !in_bounds(fb, pos, obj_size))
        return -1;
    out->pos = pos;
    out->vt = (uint32_t)vt;
    out->vt_size = vt_size;
    out->obj_size = obj_size;
    return 0;
}

int hil_fb_root(const hil_fb_t *fb, hil_fb_table_t *out)
{
    if (fb->buf == NULL || fb->size < 8)
        return -1;
    uint32_t root = hil_ld_u32(fb->buf);
    if (root < 4 || root >= fb->size)
        return -1;
    return hil_fb_table_at(fb, root, out);
}

int hil_fb_field(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t width,
                 uint32_t *pos)
{
    uint32_t entry = 4u + 2u * (uint32_t)slot;
    *pos = 0;
    if (entry + 2u > t->vt_size)
        return 0; /* vtable too short: field absent (older schema) */
    uint16_t fo = hil_ld_u16(fb->buf + t->vt + entry);
    if (fo == 0)
        return 0;
    if (fo < 4 || (uint32_t)fo + width > t->obj_size)
        return -1;
    *pos = t->pos + fo;
    return 0;
}

int hil_fb_u8(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint8_t dflt,
              uint8_t *out)
{
    uint32_t p;
    if (hil_fb_field(fb, t, slot, 1, &p))
        return -1;
    *out = p ? fb->buf[p] : dflt;
    return 0;
}

int hil_fb_i32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, int32_t dflt,
               int32_t *out)
{
    uint32_t p;
    if (hil_fb_field(fb, t, slot, 4, &p))
        return -1;
    *out = p ? hil_ld_i32(fb->buf + p) : dflt;
    return 0;
}

int hil_fb_u32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t dflt,
               uint32_t *out)
{
    uint32_t p;
    if (hil_fb_field(fb, t, slot, 4, &p))
        return -1;
    *out = p ? hil_ld_u32(fb->buf + p) : dflt;
    return 0;
}

int hil_fb_u64(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint64_t dflt,
               uint64_t *out)
{
    uint32_t p;
    if (hil_fb_field(fb, t, slot, 8, &p))
        return -1;
    *out = p ? hil_ld_u64(fb->buf + p) : dflt;
    return 0;
}

int hil_fb_f32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, float dflt,
               float *out)
{
    uint32_t p;
    if (hil_fb_field(fb, t, slot, 4, &p))
        return -1;
    *out = p ? hil_ld_f32(fb->buf + p) : dflt;
    return 0;
}

int hil_fb_ref(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t *target,
               int *present)
{
    uint32_t p;
    *present = 0;
    *target = 0;
    if (hil_fb_field(fb, t, slot, 4, &p))
        return -1;
    if (p == 0)
        return 0;
    uint32_t off = hil_ld_u32(fb->buf + p);
    if (off == 0 || off > 0x7FFFFFFFu)
        return -1;
    uint64_t tgt = (uint64_t)p + off;
    if (tgt >= fb->size)
        return -1;
    *target = (uint32_t)tgt;
    *present = 1;
    return 0;
}

int hil_fb_subtable(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                    hil_fb_table_t *out, int *present)
{
    uint32_t tgt;
    if (hil_fb_ref(fb, t, slot, &tgt, present))
        return -1;
    if (!*present)
        return 0;
    return hil_fb_table_at(fb, tgt, out);
}

static int vector_at(const hil_fb_t *fb, uint32_t pos, uint32_t elem_size,
                     hil_fb_vec_t *out)
{
    if (!in_bounds(fb, pos, 4))
        return -1;
    uint32_t count = hil_ld_u32(fb->buf + pos);
    if (!in_bounds(fb, (uint64_t)pos + 4u, (uint64_t)count * elem_size))
        return -1;
    out->pos = pos + 4u;
    out->count = count;
    return 0;
}

int hil_fb_vector(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                  uint32_t elem_size, hil_fb_vec_t *out, int *present)
{
    uint32_t tgt;
    out->pos = 0;
    out->count = 0;
    if (hil_fb_ref(fb, t, slot, &tgt, present))
        return -1;
    if (!*present)
        return 0;
    return vector_at(fb, tgt, elem_size, out);
}

int hil_fb_vec_table(const hil_fb_t *fb, const hil_fb_vec_t *v, uint32_t i,
                     hil_fb_table_t *out)
{
    if (i >= v->count)
        return -1;
    uint32_t p = v->pos + 4u * i; /* inside the buffer: checked when v was read */
    uint32_t off = hil_ld_u32(fb->buf + p);
    if (off == 0 || off > 0x7FFFFFFFu)
        return -1;
    uint64_t tgt = (uint64_t)p + off;
    if (tgt >= fb->size)
        return -1;
    return hil_fb_table_at(fb, (uint32_t)tgt, out);
}

int hil_fb_string(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                  const char **str, uint32_t *len, int *present)
{
    hil_fb_vec_t v;
    *str = "";
    *len = 0;
    if (hil_fb_vector(fb, t, slot, 1, &v, present))
        return -1;
    if (!*present)
        return 0;
    /* the terminating NUL must be inside the buffer too */
    if (!in_bounds(fb, v.pos, (uint64_t)v.count + 1u) || fb->buf[v.pos + v.count] != 0)
        return -1;
    *str = (const char *)(fb->buf + v.pos);
    *len = v.count;
    return 0;
}
