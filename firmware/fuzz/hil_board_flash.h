/*
 * hil_board_flash.h - the fuzz build's flash model partition (included by dut/hil_model_slot.h
 * when -DHIL_BOARD_FLASH=1). A static buffer that a harness fills for each input through
 * fuzz_port.h (fuzz_flash_set), so MODEL_FLASH and the MLPerf Tiny text mode read a
 * partition the fuzzer controls. Size 0 means "this board has no partition".
 */
#ifndef HIL_BOARD_FLASH_H
#define HIL_BOARD_FLASH_H

#include <stdint.h>

const uint8_t *hil_fuzz_flash(void);
uint32_t hil_fuzz_flash_size(void);

#define HIL_FLASH_MODEL_PTR (hil_fuzz_flash())
#define HIL_FLASH_MODEL_SIZE (hil_fuzz_flash_size())

#endif
