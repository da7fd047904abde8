/*
 * hil_cmd_model.c - getting a model into the slot: MODEL_BEGIN / MODEL_DATA / MODEL_END
 * (upload into RAM, whole-model CRC-32) and MODEL_FLASH (the flash model partition), each
 * answered with the model's description (inputs, outputs, arena bytes).
 */
#include "hil_cmd.h"

#include <stddef.h>
#include <string.h>

#include "hil_crc32.h"
#include "hil_le.h"
#include "hil_model_slot.h"
#include "hil_port.h"
#include "hil_proto.h"
#include "hil_rt.h"
#include "hil_tx.h"

void hil_cmd_model_begin(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 8) {
        hil_tx_error(HIL_MSG_MODEL_BEGIN, seq, HIL_ERR_BAD_LENGTH, len,
                     "MODEL_BEGIN payload is 8 bytes");
        return;
    }
    uint32_t total = hil_rd32(p);
    uint32_t crc = hil_rd32(p + 4);
    hil_slot_forget();
    if (HIL_MODEL_CAPACITY == 0 || total > (uint32_t)HIL_MODEL_CAPACITY) {
        hil_tx_error(HIL_MSG_MODEL_BEGIN, seq, HIL_ERR_MODEL_TOO_LARGE,
                     (uint32_t)HIL_MODEL_CAPACITY,
                     "model larger than model_capacity_bytes");
        return;
    }
    hil_slot_begin_upload(total, crc);
    hil_tx_response(HIL_MSG_MODEL_BEGIN, seq, 0);
}

void hil_cmd_model_data(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len < 4) {
        hil_tx_error(HIL_MSG_MODEL_DATA, seq, HIL_ERR_BAD_LENGTH, len,
                     "MODEL_DATA needs a 4-byte offset");
        return;
    }
    if (hil_slot.state != HIL_SLOT_RECEIVING) {
        hil_tx_error(HIL_MSG_MODEL_DATA, seq, HIL_ERR_BAD_STATE, 0,
                     "MODEL_DATA without MODEL_BEGIN");
        return;
    }
    uint32_t offset = hil_rd32(p);
    uint32_t n = len - 4u;
    if (offset > hil_slot.total || n > hil_slot.total - offset) {
        hil_tx_error(HIL_MSG_MODEL_DATA, seq, HIL_ERR_OUT_OF_RANGE, offset,
                     "offset + length past the model size");
        return;
    }
    memcpy(hil_slot_model_buf + offset, p + 4, n);
    hil_tx_response(HIL_MSG_MODEL_DATA, seq, 0);
}

static void put_io(hil_tx_builder_t *b, const hil_rt_io_t *io)
{
    if (io == NULL) {
        static const uint8_t zero[16];
        hil_tx_put_bytes(b, zero, sizeof zero);
        return;
    }
    uint8_t ndims = (uint8_t)(io->ndims <= HIL_RT_MAX_DIMS ? io->ndims : HIL_RT_MAX_DIMS);
    hil_tx_put_u8(b, io->type);
    hil_tx_put_u8(b, ndims);
    hil_tx_put_u16(b, io->tensor_index);
    hil_tx_put_u32(b, io->bytes);
    hil_tx_put_f32(b, io->scale);
    hil_tx_put_u32(b, (uint32_t)io->zero_point);
    for (uint8_t d = 0; d < ndims; d++) {
        hil_tx_put_u32(b, (uint32_t)io->dims[d]);
    }
}

/* Answer MODEL_END / MODEL_FLASH for the model just prepared: its description. */
static void describe_model(uint8_t msg, uint16_t seq)
{
    uint8_t n_in = hil_rt_num_inputs(HIL_SLOT_RT);
    uint8_t n_out = hil_rt_num_outputs(HIL_SLOT_RT);
    memset(hil_slot_input_stage, 0, sizeof hil_slot_input_stage);
    hil_tx_builder_t b = {0, 0};
    hil_tx_put_u32(&b, hil_rt_arena_used(HIL_SLOT_RT));
    hil_tx_put_u16(&b, hil_rt_num_ops(HIL_SLOT_RT));
    hil_tx_put_u16(&b, hil_rt_num_tensors(HIL_SLOT_RT));
    hil_tx_put_u8(&b, n_in);
    hil_tx_put_u8(&b, n_out);
    hil_tx_put_u16(&b, 0);
    for (uint8_t i = 0; i < n_in; i++) {
        put_io(&b, hil_rt_input(HIL_SLOT_RT, i));
    }
    for (uint8_t i = 0; i < n_out; i++) {
        put_io(&b, hil_rt_output(HIL_SLOT_RT, i));
    }
    if (b.overflow) {
        hil_slot_forget();
        hil_tx_error(msg, seq, HIL_ERR_TOO_MANY, (uint32_t)n_in + n_out,
                     "tensor descriptors do not fit max_payload");
        return;
    }
    hil_tx_response(msg, seq, b.len);
}

static void load_and_describe(uint8_t msg, uint16_t seq, const uint8_t *model_bytes,
                              uint32_t size)
{
    hil_rt_error_t err;
    int rc = hil_slot_prepare(model_bytes, size, &err);
    if (rc != HIL_OK) {
        /* Stay in HIL_SLOT_RECEIVING: the host may resend chunks and MODEL_END again. */
        hil_tx_rt_error(msg, seq, rc, &err);
        return;
    }
    describe_model(msg, seq);
}

void hil_cmd_model_end(uint16_t seq, uint32_t len)
{
    if (len != 0) {
        hil_tx_error(HIL_MSG_MODEL_END, seq, HIL_ERR_BAD_LENGTH, len,
                     "MODEL_END takes no payload");
        return;
    }
    if (hil_slot.state != HIL_SLOT_RECEIVING) {
        hil_tx_error(HIL_MSG_MODEL_END, seq, HIL_ERR_BAD_STATE, 0,
                     "MODEL_END without MODEL_BEGIN");
        return;
    }
    if (!hil_slot.rt_fits) {
        hil_tx_error(HIL_MSG_MODEL_END, seq, HIL_ERR_TOO_MANY,
                     (uint32_t)hil_rt_object_size(),
                     "hil_rt object larger than HIL_RT_OBJECT_BYTES");
        return;
    }
    uint32_t crc = hil_crc32(hil_slot_model_buf, hil_slot.total);
    if (crc != hil_slot.crc) {
        hil_tx_error(HIL_MSG_MODEL_END, seq, HIL_ERR_MODEL_CRC, crc,
                     "whole-model CRC mismatch");
        return;
    }
    if (hil_slot.total == 0) {
        hil_tx_error(HIL_MSG_MODEL_END, seq, HIL_ERR_MODEL_INVALID, 0, "empty model");
        return;
    }
    load_and_describe(HIL_MSG_MODEL_END, seq, hil_slot_model_buf, hil_slot.total);
}

/* MODEL_FLASH: use the model the flasher wrote to the flash partition, after checking it is
 * the one the host means (size and CRC-32 of the whole model). */
void hil_cmd_model_flash(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 8) {
        hil_tx_error(HIL_MSG_MODEL_FLASH, seq, HIL_ERR_BAD_LENGTH, len,
                     "MODEL_FLASH payload is 8 bytes");
        return;
    }
    if ((uint32_t)HIL_FLASH_MODEL_SIZE == 0u) {
        hil_tx_error(HIL_MSG_MODEL_FLASH, seq, HIL_ERR_BAD_STATE, 0,
                     "this board has no flash model partition");
        return;
    }
    if (!hil_slot.rt_fits) {
        hil_tx_error(HIL_MSG_MODEL_FLASH, seq, HIL_ERR_TOO_MANY,
                     (uint32_t)hil_rt_object_size(),
                     "hil_rt object larger than HIL_RT_OBJECT_BYTES");
        return;
    }
    const uint32_t want[2] = {hil_rd32(p), hil_rd32(p + 4)};
    hil_rt_error_t err;
    int refused = 0;
    int rc = hil_slot_load_flash(want, &err, &refused);
    if (rc != HIL_OK) {
        hil_tx_rt_error(HIL_MSG_MODEL_FLASH, seq, rc, &err);
        return;
    }
    describe_model(HIL_MSG_MODEL_FLASH, seq);
}
