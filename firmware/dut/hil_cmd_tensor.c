/*
 * hil_cmd_tensor.c - tensor data in and out: SET_INPUT (into the input staging buffer),
 * GET_OUTPUT (a model output after INVOKE) and TENSOR (any tensor, optionally after
 * running the first operators only: per-layer comparison, never timed).
 */
#include "hil_cmd.h"

#include <stddef.h>
#include <string.h>

#include "hil_le.h"
#include "hil_model_slot.h"
#include "hil_port.h"
#include "hil_proto.h"
#include "hil_rt.h"
#include "hil_tx.h"

void hil_cmd_set_input(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len < 8) {
        hil_tx_error(HIL_MSG_SET_INPUT, seq, HIL_ERR_BAD_LENGTH, len,
                     "SET_INPUT needs index, reserved, offset");
        return;
    }
    if (hil_slot.state != HIL_SLOT_LOADED) {
        hil_tx_error(HIL_MSG_SET_INPUT, seq, HIL_ERR_BAD_STATE, 0, "no model loaded");
        return;
    }
    uint8_t index = p[0];
    uint32_t offset = hil_rd32(p + 4);
    uint32_t n = len - 8u;
    const hil_rt_io_t *io =
        index < hil_rt_num_inputs(HIL_SLOT_RT) ? hil_rt_input(HIL_SLOT_RT, index) : NULL;
    if (io == NULL || io->data == NULL) {
        hil_tx_error(HIL_MSG_SET_INPUT, seq, HIL_ERR_OUT_OF_RANGE, index, "no such input");
        return;
    }
    if (offset > io->bytes || n > io->bytes - offset) {
        hil_tx_error(HIL_MSG_SET_INPUT, seq, HIL_ERR_OUT_OF_RANGE, offset,
                     "offset + length past the input tensor");
        return;
    }
    memcpy(hil_slot_input_stage + hil_slot_input_offset[index] + offset, p + 8, n);
    hil_tx_response(HIL_MSG_SET_INPUT, seq, 0);
}

void hil_cmd_get_output(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 10) {
        hil_tx_error(HIL_MSG_GET_OUTPUT, seq, HIL_ERR_BAD_LENGTH, len,
                     "GET_OUTPUT payload is 10 bytes");
        return;
    }
    if (hil_slot.state != HIL_SLOT_LOADED) {
        hil_tx_error(HIL_MSG_GET_OUTPUT, seq, HIL_ERR_BAD_STATE, 0, "no model loaded");
        return;
    }
    uint8_t index = p[0];
    uint32_t offset = hil_rd32(p + 4);
    uint32_t want = hil_rd16(p + 8);
    const hil_rt_io_t *io =
        index < hil_rt_num_outputs(HIL_SLOT_RT) ? hil_rt_output(HIL_SLOT_RT, index) : NULL;
    if (io == NULL || io->data == NULL) {
        hil_tx_error(HIL_MSG_GET_OUTPUT, seq, HIL_ERR_OUT_OF_RANGE, index,
                     "no such output");
        return;
    }
    if (offset > io->bytes) {
        hil_tx_error(HIL_MSG_GET_OUTPUT, seq, HIL_ERR_OUT_OF_RANGE, offset,
                     "offset past the output tensor");
        return;
    }
    uint32_t n = io->bytes - offset;
    if (n > want) {
        n = want;
    }
    if (n > (uint32_t)HIL_MAX_PAYLOAD) {
        n = (uint32_t)HIL_MAX_PAYLOAD;
    }
    memcpy(HIL_TX_PAYLOAD, io->data + offset, n);
    hil_tx_response(HIL_MSG_GET_OUTPUT, seq, n);
}

/* TENSOR: read any tensor, optionally after running operators 0..run_until only (so an
 * intermediate tensor is read before later operators reuse its arena bytes). For
 * per-layer comparison with the reference interpreter; never part of a timed run. */
void hil_cmd_tensor(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 10) {
        hil_tx_error(HIL_MSG_TENSOR, seq, HIL_ERR_BAD_LENGTH, len,
                     "TENSOR payload is 10 bytes");
        return;
    }
    if (hil_slot.state != HIL_SLOT_LOADED) {
        hil_tx_error(HIL_MSG_TENSOR, seq, HIL_ERR_BAD_STATE, 0, "no model loaded");
        return;
    }
    uint16_t index = hil_rd16(p);
    uint16_t until = hil_rd16(p + 2);
    uint32_t offset = hil_rd32(p + 4);
    uint32_t want = hil_rd16(p + 8);
    uint32_t bytes = 0;
    uint8_t type = 0;
    const uint8_t *data = hil_rt_tensor_data(HIL_SLOT_RT, index, &bytes, &type);
    if (data == NULL) {
        hil_tx_error(HIL_MSG_TENSOR, seq, HIL_ERR_OUT_OF_RANGE, index,
                     "no such tensor (or it has no data)");
        return;
    }
    if (until != 0xFFFFu) {
        hil_rt_error_t err;
        hil_slot_clear_error(&err);
        hil_slot_restore_inputs();
        int rc = hil_rt_invoke_until(HIL_SLOT_RT, until, &err);
        if (rc != HIL_OK) {
            hil_tx_rt_error(HIL_MSG_TENSOR, seq, rc, &err);
            return;
        }
    }
    if (offset > bytes) {
        hil_tx_error(HIL_MSG_TENSOR, seq, HIL_ERR_OUT_OF_RANGE, offset,
                     "offset past the tensor");
        return;
    }
    uint32_t n = bytes - offset;
    uint32_t room = (uint32_t)HIL_MAX_PAYLOAD - 8u;
    if (n > want) {
        n = want;
    }
    if (n > room) {
        n = room;
    }
    HIL_TX_PAYLOAD[0] = type;
    HIL_TX_PAYLOAD[1] = 0;
    hil_wr16(HIL_TX_PAYLOAD + 2, 0);
    hil_wr32(HIL_TX_PAYLOAD + 4, bytes);
    memcpy(HIL_TX_PAYLOAD + 8, data + offset, n);
    hil_tx_response(HIL_MSG_TENSOR, seq, 8u + n);
}
