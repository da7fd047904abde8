/*
 * hil_model_slot.h - the DUT's one model slot: the model buffer (uploads), the tensor arena,
 * the hilbench-rt object, the input staging buffer, the flash model partition, and the
 * state of the model in them. Both protocols use it: binary protocol v1 (hil_cmd_*.c) and
 * the MLPerf Tiny text mode (hil_mlperf.c); neither depends on the other.
 *
 * No dynamic allocation: every buffer is static and sized by these macros (board.mk):
 *   HIL_MODEL_CAPACITY   bytes of RAM for an uploaded model (0: no upload)
 *   HIL_ARENA_SIZE       tensor arena bytes
 *   HIL_RT_OBJECT_BYTES  static storage for the hil_rt_t object (checked at start-up
 *                        against hil_rt_object_size(); too small -> MODEL_END TOO_MANY)
 *   HIL_INPUT_CAPACITY   input staging bytes (all inputs, each 16-byte aligned)
 *   HIL_FLASH_MODEL_ADDR / HIL_FLASH_MODEL_SIZE   the flash model partition (size 0: none)
 */
#ifndef HIL_MODEL_SLOT_H
#define HIL_MODEL_SLOT_H

#include <stdint.h>
#include <string.h>

#include "hil_rt.h"

#ifndef HIL_MODEL_CAPACITY
#define HIL_MODEL_CAPACITY (256u * 1024u)
#endif
#ifndef HIL_ARENA_SIZE
#define HIL_ARENA_SIZE (128u * 1024u)
#endif
#ifndef HIL_RT_OBJECT_BYTES
#define HIL_RT_OBJECT_BYTES 32768 /* hilbench-rt with 256 tensors / 128 ops: ~25 KB */
#endif
/* Inputs are staged outside the arena. The planner, like TFLM's, lets later tensors reuse
 * an input's arena bytes once it is consumed, so the input is copied into its tensor
 * before every inference (outside the timed region): INVOKE(n, warmup) then runs n+warmup
 * times on the same input, and the arena stays as small as TFLM's. */
#ifndef HIL_INPUT_CAPACITY
#define HIL_INPUT_CAPACITY 32768u
#endif

/* Flash model partition (docs/architecture.md §5): models larger than RAM stay in flash and
 * are read in place. A board sets the address and size; the flasher (QEMU's -device
 * loader on emulated boards; pyocd, esptool or bossac on real ones) writes a 16-byte
 * header and the model there: "HILM", u32 model size, u32 model CRC-32, u32 CRC-32 of
 * the first 12 header bytes (docs/protocol.md, MODEL_FLASH). */
/* Where the partition's bytes are read from. A board whose partition is at a fixed address
 * (every MCU) needs nothing more; a board whose "flash" is elsewhere (the host build: a file
 * loaded at start-up into a static buffer) sets -DHIL_BOARD_FLASH=1 and provides
 * boards/<board>/hil_board_flash.h, which defines HIL_FLASH_MODEL_PTR and
 * HIL_FLASH_MODEL_SIZE (both may be run-time expressions). */
#if defined(HIL_BOARD_FLASH) && HIL_BOARD_FLASH
#include "hil_board_flash.h"
#endif
#ifndef HIL_FLASH_MODEL_ADDR
#define HIL_FLASH_MODEL_ADDR 0u
#endif
#ifndef HIL_FLASH_MODEL_SIZE
#define HIL_FLASH_MODEL_SIZE 0u
#endif
#ifndef HIL_FLASH_MODEL_PTR
#define HIL_FLASH_MODEL_PTR ((const uint8_t *)(uintptr_t)HIL_FLASH_MODEL_ADDR)
#endif
#define HIL_FLASH_HEADER_BYTES 16u

#if HIL_MODEL_CAPACITY > 0
#define HIL_MODEL_BUF_BYTES HIL_MODEL_CAPACITY
#else
#define HIL_MODEL_BUF_BYTES 16
#endif

enum { HIL_SLOT_NONE = 0, HIL_SLOT_RECEIVING = 1, HIL_SLOT_LOADED = 2 };

/* The slot's state: read by the handlers, changed only through the functions below. */
typedef struct {
    uint8_t state;   /* HIL_SLOT_* */
    uint8_t rt_fits; /* hil_rt_object_size() <= HIL_RT_OBJECT_BYTES */
    uint32_t total;  /* upload: announced model size */
    uint32_t crc;    /* upload: announced CRC-32 */
} hil_slot_t;

extern hil_slot_t hil_slot;
extern uint8_t hil_slot_model_buf[HIL_MODEL_BUF_BYTES];
extern uint8_t hil_slot_input_stage[HIL_INPUT_CAPACITY];
extern uint32_t hil_slot_input_offset[HIL_RT_MAX_IO];
extern uint8_t hil_slot_rt_storage[HIL_RT_OBJECT_BYTES];

/* The interpreter object (a loaded model only when hil_slot.state == HIL_SLOT_LOADED). */
#define HIL_SLOT_RT ((hil_rt_t *)(void *)hil_slot_rt_storage)

/* As at boot: no model; rt_fits computed. */
void hil_slot_reset(void);

/* Forget any loaded model (unload it) and any upload in progress. */
void hil_slot_forget(void);

/* Start an upload of total bytes whose CRC-32 is crc (the caller checked the capacity). */
void hil_slot_begin_upload(uint32_t total, uint32_t crc);

/* Validate, plan and prepare a model (in RAM or in the flash partition) and assign the
 * input staging offsets. On success the model is LOADED (MODEL_END, MODEL_FLASH and the
 * MLPerf Tiny text mode share this); on failure err says why. */
int hil_slot_prepare(const uint8_t *model_bytes, uint32_t size, hil_rt_error_t *err);

/* Forget any model; check the flash model partition (header, size, CRC-32 of the model;
 * against want = {size, crc} if not NULL) and prepare the model in it, exactly as
 * MODEL_FLASH does. Returns HIL_OK, or a status with err filled (message names the
 * reason); *runtime_refused is 1 when the partition was good but hilbench-rt refused the
 * model (unsupported op, ...). */
int hil_slot_load_flash(const uint32_t *want, hil_rt_error_t *err, int *runtime_refused);

/* The interpreter holding the loaded model, or NULL when none is loaded. */
hil_rt_t *hil_slot_rt(void);

/* The input staging buffer (HIL_INPUT_CAPACITY bytes, 16-byte aligned). The text mode
 * uses it as its `db` buffer; the binary protocol's staged inputs live there too (the two
 * modes never run in the same boot). */
uint8_t *hil_slot_input_buffer(uint32_t *capacity);

/* No error yet: status OK, no operator. */
static inline void hil_slot_clear_error(hil_rt_error_t *err)
{
    memset(err, 0, sizeof *err);
    err->op_index = HIL_RT_NONE;
    err->op_code = HIL_RT_NONE;
}

/* Copy the staged inputs into their tensors: before every inference (outside the timed
 * region), because the planner lets later tensors reuse an input's arena bytes. Inline:
 * it sits in INVOKE's loop. */
static inline void hil_slot_restore_inputs(void)
{
    uint8_t n = hil_rt_num_inputs(HIL_SLOT_RT);
    for (uint8_t i = 0; i < n && i < HIL_RT_MAX_IO; i++) {
        const hil_rt_io_t *io = hil_rt_input(HIL_SLOT_RT, i);
        if (io != NULL && io->data != NULL) {
            memcpy(io->data, hil_slot_input_stage + hil_slot_input_offset[i], io->bytes);
        }
    }
}

#endif
