/*
 * hil_model_slot.c - the model slot (hil_model_slot.h): its static buffers, loading a model
 * into hilbench-rt (from an upload or from the flash model partition, checked first), and
 * the input staging offsets. Sends nothing: the protocols report what it returns.
 */
#include "hil_model_slot.h"

#include <stddef.h>
#include <string.h>

#include "hil_crc32.h"
#include "hil_le.h"
#include "hil_rt.h"

hil_slot_t hil_slot;
_Alignas(16) uint8_t hil_slot_model_buf[HIL_MODEL_BUF_BYTES];
static _Alignas(16) uint8_t arena[HIL_ARENA_SIZE];
_Alignas(16) uint8_t hil_slot_input_stage[HIL_INPUT_CAPACITY];
uint32_t hil_slot_input_offset[HIL_RT_MAX_IO];
_Alignas(16) uint8_t hil_slot_rt_storage[HIL_RT_OBJECT_BYTES];

void hil_slot_forget(void)
{
    if (hil_slot.state == HIL_SLOT_LOADED && hil_slot.rt_fits) {
        hil_rt_unload(HIL_SLOT_RT);
    }
    hil_slot.state = HIL_SLOT_NONE;
    hil_slot.total = 0;
    hil_slot.crc = 0;
}

void hil_slot_reset(void)
{
    hil_slot.rt_fits = hil_rt_object_size() <= (size_t)HIL_RT_OBJECT_BYTES;
    hil_slot_forget();
}

void hil_slot_begin_upload(uint32_t total, uint32_t crc)
{
    hil_slot.state = HIL_SLOT_RECEIVING;
    hil_slot.total = total;
    hil_slot.crc = crc;
}

/* Fill err with a status, a value and a message (docs/protocol.md section 4). */
static int set_error(hil_rt_error_t *err, int32_t status, uint32_t value,
                     const char *message)
{
    hil_slot_clear_error(err);
    err->status = status;
    err->value = value;
    size_t n = strlen(message);
    if (n > sizeof err->message - 1u) {
        n = sizeof err->message - 1u;
    }
    memcpy(err->message, message, n);
    err->message[n] = '\0';
    return (int)status;
}

int hil_slot_prepare(const uint8_t *model_bytes, uint32_t size, hil_rt_error_t *err)
{
    hil_slot_clear_error(err);
    if (!hil_slot.rt_fits) {
        return set_error(err, HIL_ERR_TOO_MANY, (uint32_t)hil_rt_object_size(),
                         "hil_rt object larger than HIL_RT_OBJECT_BYTES");
    }
    int rc =
        hil_rt_load(HIL_SLOT_RT, model_bytes, size, arena, (uint32_t)HIL_ARENA_SIZE, err);
    if (rc != HIL_OK) {
        if (err->status == HIL_OK) {
            err->status = rc;
        }
        return rc;
    }
    uint8_t n_in = hil_rt_num_inputs(HIL_SLOT_RT);
    uint32_t staged = 0;
    for (uint8_t i = 0; i < n_in && i < HIL_RT_MAX_IO; i++) {
        const hil_rt_io_t *io = hil_rt_input(HIL_SLOT_RT, i);
        uint32_t bytes = io != NULL ? io->bytes : 0u;
        hil_slot_input_offset[i] = staged;
        if (bytes > (uint32_t)HIL_INPUT_CAPACITY - staged) {
            hil_rt_unload(HIL_SLOT_RT);
            return set_error(err, HIL_ERR_TOO_MANY, staged + bytes,
                             "inputs larger than the DUT's input staging buffer");
        }
        staged += (bytes + 15u) & ~15u;
        if (staged > (uint32_t)HIL_INPUT_CAPACITY) {
            staged = (uint32_t)HIL_INPUT_CAPACITY;
        }
    }
    hil_slot.state = HIL_SLOT_LOADED;
    return HIL_OK;
}

static uint32_t rd32_mem(const volatile uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* The flash model partition, checked: the header (magic, header CRC), the model size
 * against the partition, optionally the size and CRC the host expects (want != NULL:
 * {size, crc}), then the CRC-32 of the model bytes themselves. A stale or half-written
 * partition is refused. On success *bytes / *size describe the model, read in place. */
static int flash_model_check(const uint32_t *want, const uint8_t **bytes, uint32_t *size,
                             hil_rt_error_t *err)
{
    hil_slot_clear_error(err);
    if ((uint32_t)HIL_FLASH_MODEL_SIZE == 0u) {
        return set_error(err, HIL_ERR_BAD_STATE, 0,
                         "this board has no flash model partition");
    }
    if ((uint32_t)HIL_FLASH_MODEL_SIZE < HIL_FLASH_HEADER_BYTES) {
        return set_error(err, HIL_ERR_MODEL_INVALID, (uint32_t)HIL_FLASH_MODEL_SIZE,
                         "flash model partition smaller than its header");
    }
    const uint8_t *part = HIL_FLASH_MODEL_PTR;
    uint8_t head[12];
    memcpy(head, part, sizeof head);
    if (memcmp(head, "HILM", 4) != 0) {
        return set_error(err, HIL_ERR_MODEL_CRC, 0,
                         "no model in flash partition (bad magic)");
    }
    if (hil_crc32(head, 12) != rd32_mem(part + 12)) {
        return set_error(err, HIL_ERR_MODEL_CRC, 0, "flash model header CRC mismatch");
    }
    uint32_t n = hil_rd32(head + 4);
    uint32_t head_crc = hil_rd32(head + 8);
    if (n == 0 || n > (uint32_t)HIL_FLASH_MODEL_SIZE - HIL_FLASH_HEADER_BYTES) {
        return set_error(err, HIL_ERR_MODEL_INVALID, n, "flash model size out of range");
    }
    if (want != NULL && (n != want[0] || head_crc != want[1])) {
        return set_error(err, HIL_ERR_MODEL_CRC, n, "flash partition holds another model");
    }
    uint32_t crc = hil_crc32(part + HIL_FLASH_HEADER_BYTES, n);
    if (crc != head_crc) {
        return set_error(err, HIL_ERR_MODEL_CRC, crc, "flash model CRC mismatch");
    }
    *bytes = part + HIL_FLASH_HEADER_BYTES;
    *size = n;
    return HIL_OK;
}

int hil_slot_load_flash(const uint32_t *want, hil_rt_error_t *err, int *runtime_refused)
{
    hil_slot_forget();
    const uint8_t *bytes = NULL;
    uint32_t size = 0;
    *runtime_refused = 0;
    int rc = flash_model_check(want, &bytes, &size, err);
    if (rc != HIL_OK) {
        return rc;
    }
    rc = hil_slot_prepare(bytes, size, err);
    *runtime_refused = rc != HIL_OK;
    return rc;
}

hil_rt_t *hil_slot_rt(void)
{
    return hil_slot.state == HIL_SLOT_LOADED ? HIL_SLOT_RT : NULL;
}

uint8_t *hil_slot_input_buffer(uint32_t *capacity)
{
    *capacity = (uint32_t)HIL_INPUT_CAPACITY;
    return hil_slot_input_stage;
}
