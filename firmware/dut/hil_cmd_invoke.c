/*
 * hil_cmd_invoke.c - timed inference: INVOKE (n timed runs after w warm-up runs, each on
 * the staged inputs, timer and timestamp pin around hilbench-rt's invoke only) and PROFILE
 * (per-operator ticks of one separate run).
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

/* Largest INVOKE count whose response fits one payload. */
#define MAX_INVOKE_COUNT ((HIL_MAX_PAYLOAD - 4u) / 8u)
/* A calibrated slowdown inside the timed region, in thousandths of the inference time.
 * Only for proving that regression detection works (tests build a variant with
 * -DHIL_SLOWDOWN_PERMILLE=50 for a 5 % slower "firmware"); 0 in every real build. */
#ifndef HIL_SLOWDOWN_PERMILLE
#define HIL_SLOWDOWN_PERMILLE 0
#endif

void hil_cmd_invoke(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 8) {
        hil_tx_error(HIL_MSG_INVOKE, seq, HIL_ERR_BAD_LENGTH, len,
                     "INVOKE payload is 8 bytes");
        return;
    }
    uint16_t count = hil_rd16(p);
    uint16_t warmup = hil_rd16(p + 2);
    if (count > MAX_INVOKE_COUNT) {
        hil_tx_error(HIL_MSG_INVOKE, seq, HIL_ERR_TOO_MANY, (uint32_t)MAX_INVOKE_COUNT,
                     "count larger than (max_payload - 4) / 8");
        return;
    }
    if (hil_slot.state != HIL_SLOT_LOADED) {
        hil_tx_error(HIL_MSG_INVOKE, seq, HIL_ERR_BAD_STATE, 0, "no model loaded");
        return;
    }
    hil_rt_error_t err;
    hil_slot_clear_error(&err);
    for (uint16_t i = 0; i < warmup; i++) {
        hil_slot_restore_inputs();
        int rc = hil_rt_invoke(HIL_SLOT_RT, NULL, NULL, &err);
        if (rc != HIL_OK) {
            hil_tx_rt_error(HIL_MSG_INVOKE, seq, rc, &err);
            return;
        }
    }
    for (uint16_t i = 0; i < count; i++) {
        hil_slot_restore_inputs();
        hil_port_timestamp_pin(1);
        hil_port_timer_start();
        int rc = hil_rt_invoke(HIL_SLOT_RT, NULL, NULL, &err);
        uint64_t ticks = hil_port_timer_elapsed();
#if HIL_SLOWDOWN_PERMILLE > 0
        {
            uint64_t target = ticks + ticks * (uint64_t)HIL_SLOWDOWN_PERMILLE / 1000u;
            while (ticks < target) {
                ticks = hil_port_timer_elapsed();
            }
        }
#endif
        hil_port_timestamp_pin(0);
        if (rc != HIL_OK) {
            hil_tx_rt_error(HIL_MSG_INVOKE, seq, rc, &err);
            return;
        }
        hil_wr64(HIL_TX_PAYLOAD + 4u + 8u * (uint32_t)i, ticks);
    }
    hil_wr16(HIL_TX_PAYLOAD, count);
    hil_wr16(HIL_TX_PAYLOAD + 2, 0);
    hil_tx_response(HIL_MSG_INVOKE, seq, 4u + 8u * (uint32_t)count);
}

/* PROFILE: per-operator ticks of one inference, run on its own on request, never inside
 * a normal INVOKE's timed region. The hook reads the running timer at every operator
 * boundary; the hook's own few instructions land in the neighbouring operator. */
static uint64_t profile_ticks[HIL_RT_MAX_OPS];
static struct {
    uint64_t op_start;
} prof;

static void profile_hook(void *ctx, uint16_t op_index, int end)
{
    (void)ctx;
    uint64_t now = hil_port_timer_elapsed();
    if (!end) {
        prof.op_start = now;
    } else if (op_index < HIL_RT_MAX_OPS) {
        profile_ticks[op_index] = now - prof.op_start;
    }
}

void hil_cmd_profile(uint16_t seq, const uint8_t *p, uint32_t len)
{
    if (len != 4) {
        hil_tx_error(HIL_MSG_PROFILE, seq, HIL_ERR_BAD_LENGTH, len,
                     "PROFILE payload is 4 bytes");
        return;
    }
    if (hil_slot.state != HIL_SLOT_LOADED) {
        hil_tx_error(HIL_MSG_PROFILE, seq, HIL_ERR_BAD_STATE, 0, "no model loaded");
        return;
    }
    uint16_t first = hil_rd16(p);
    uint16_t want = hil_rd16(p + 2);
    uint16_t nops = hil_rt_num_ops(HIL_SLOT_RT);
    if (first > nops) {
        hil_tx_error(HIL_MSG_PROFILE, seq, HIL_ERR_OUT_OF_RANGE, first,
                     "first op past the model");
        return;
    }
    if (first == 0) {
        hil_rt_error_t err;
        hil_slot_clear_error(&err);
        memset(profile_ticks, 0, sizeof profile_ticks);
        hil_slot_restore_inputs();
        hil_port_timer_start();
        int rc = hil_rt_invoke(HIL_SLOT_RT, profile_hook, NULL, &err);
        if (rc != HIL_OK) {
            hil_tx_rt_error(HIL_MSG_PROFILE, seq, rc, &err);
            return;
        }
    }
    uint32_t room = ((uint32_t)HIL_MAX_PAYLOAD - 8u) / 8u;
    uint32_t count = (uint32_t)(nops - first);
    if (count > want) {
        count = want;
    }
    if (count > room) {
        count = room;
    }
    hil_wr16(HIL_TX_PAYLOAD, nops);
    hil_wr16(HIL_TX_PAYLOAD + 2, first);
    hil_wr16(HIL_TX_PAYLOAD + 4, (uint16_t)count);
    hil_wr16(HIL_TX_PAYLOAD + 6, 0);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t oi = first + k;
        hil_wr64(HIL_TX_PAYLOAD + 8u + 8u * k,
                 oi < HIL_RT_MAX_OPS ? profile_ticks[oi] : 0u);
    }
    hil_tx_response(HIL_MSG_PROFILE, seq, 8u + 8u * count);
}
