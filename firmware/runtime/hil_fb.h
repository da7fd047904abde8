/*
 * hil_fb.h - a bounds-checked reader for FlatBuffers (the TFLite model format).
 *
 * Every access is checked against [0, size) of the buffer before anything is read:
 * root and table offsets, vtables, field widths, vectors (count * element size,
 * computed without overflow) and strings (NUL inside the buffer). Loads are byte-wise
 * little-endian, so neither alignment nor host byte order matters.
 *
 * All functions return 0 on success and -1 if the bytes are malformed.
 */
#ifndef HIL_FB_H
#define HIL_FB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *buf;
    uint32_t size;
} hil_fb_t;

/* A validated table: its position, and its vtable. */
typedef struct {
    uint32_t pos;      /* table start (where the soffset to the vtable is) */
    uint32_t vt;       /* vtable position */
    uint16_t vt_size;  /* bytes of the vtable */
    uint16_t obj_size; /* bytes of the table object (inline fields) */
} hil_fb_table_t;

/* A validated vector: position of its first element and its element count. */
typedef struct {
    uint32_t pos;
    uint32_t count;
} hil_fb_vec_t;

static inline uint16_t hil_ld_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
}

static inline uint32_t hil_ld_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline int32_t hil_ld_i32(const uint8_t *p)
{
    return (int32_t)hil_ld_u32(p);
}

static inline uint64_t hil_ld_u64(const uint8_t *p)
{
    return (uint64_t)hil_ld_u32(p) | ((uint64_t)hil_ld_u32(p + 4) << 32);
}

static inline float hil_ld_f32(const uint8_t *p)
{
    union {
        uint32_t u;
        float f;
    } v;
    v.u = hil_ld_u32(p);
    return v.f;
}

/* The root table; also checks the buffer is large enough for a header. */
int hil_fb_root(const hil_fb_t *fb, hil_fb_table_t *out);

/* Validate the table at pos. */
int hil_fb_table_at(const hil_fb_t *fb, uint32_t pos, hil_fb_table_t *out);

/* Position of field `slot` (0-based) of width bytes: 0 if absent, -1 if malformed. */
int hil_fb_field(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t width,
                 uint32_t *pos);

/* Scalars with defaults for absent fields. */
int hil_fb_u8(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint8_t dflt,
              uint8_t *out);
int hil_fb_i32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, int32_t dflt,
               int32_t *out);
int hil_fb_u32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t dflt,
               uint32_t *out);
int hil_fb_u64(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint64_t dflt,
               uint64_t *out);
int hil_fb_f32(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, float dflt,
               float *out);

/* Follow an offset field to its target position: *present = 0 if the field is absent. */
int hil_fb_ref(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot, uint32_t *target,
               int *present);

/* Sub-table field; *present = 0 if absent. */
int hil_fb_subtable(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                    hil_fb_table_t *out, int *present);

/* Vector field of elem_size-byte elements; an absent vector reads as count 0. */
int hil_fb_vector(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                  uint32_t elem_size, hil_fb_vec_t *out, int *present);

/* Element i of a vector of tables. */
int hil_fb_vec_table(const hil_fb_t *fb, const hil_fb_vec_t *v, uint32_t i,
                     hil_fb_table_t *out);

/* String field: *str points into the buffer (NUL-terminated), *len its length. */
int hil_fb_string(const hil_fb_t *fb, const hil_fb_table_t *t, unsigned slot,
                  const char **str, uint32_t *len, int *present);

#endif
