/*
 * hil_board_flash.h - the host build's flash model partition (included by dut/hil_model_slot.h
 * when -DHIL_BOARD_FLASH=1). The "flash" is a partition image file named by the
 * environment variable HIL_FLASH_IMAGE (hilbench.flash.partition.partition_image), read at
 * start-up into a static buffer of HIL_HOST_FLASH_BYTES (the rest reads as erased flash,
 * 0xFF). Without HIL_FLASH_IMAGE the board has no partition (size 0, as before).
 */
#ifndef HIL_BOARD_FLASH_H
#define HIL_BOARD_FLASH_H

#include <stdint.h>

#ifndef HIL_HOST_FLASH_BYTES
#define HIL_HOST_FLASH_BYTES (4u * 1024u * 1024u)
#endif

/* The partition's bytes (HIL_HOST_FLASH_BYTES of them, always readable). */
const uint8_t *hil_host_flash(void);

/* The partition's size: HIL_HOST_FLASH_BYTES with HIL_FLASH_IMAGE set, else 0. */
uint32_t hil_host_flash_size(void);

/* No fixed address: HELLO announces flash_model_addr 0 (the host writes the image file). */
#define HIL_FLASH_MODEL_PTR (hil_host_flash())
#define HIL_FLASH_MODEL_SIZE (hil_host_flash_size())

#endif
