# QEMU netduinoplus2: STM32F405 (Cortex-M4F), flash 0x08000000 (1 MiB), SRAM 0x20000000
# (192 KiB as QEMU models it), USART1 console, SysTick at the 168 MHz core clock.
#
# RAM is small: the model buffer, arena, input staging and interpreter object all live in
# the 192 KiB next to the stack (8 KiB) and the link buffers (HIL_MAX_PAYLOAD 1024).
# Sized so that the MLPerf Tiny KWS (54 KB model, ~23 KB arena) and IC (98 KB model,
# ~54 KB arena) models fit; AD (277 KB) and VWW (333 KB) do not.

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
TARGET_EXT := .elf
TARGET_BIN := 1

CPU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
BOARD_CFLAGS := $(CPU_FLAGS) -O2 -DHIL_QEMU=1 -ffunction-sections -fdata-sections -DHIL_USE_DSP \
                -DHIL_MAX_PAYLOAD=1024 -DHIL_MODEL_CAPACITY=40960u \
                -DHIL_ARENA_SIZE=94208u -DHIL_INPUT_CAPACITY=27648u \
                -DHIL_FLASH_MODEL_ADDR=0x08020000u -DHIL_FLASH_MODEL_SIZE=0xE0000u \
                -DHIL_RT_MAX_TENSORS=128 -DHIL_RT_MAX_OPS=64 -DHIL_RT_OBJECT_BYTES=13312
BOARD_LDFLAGS := $(CPU_FLAGS) -T $(BOARD_DIR)/netduinoplus2.ld -nostartfiles \
                 --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
                 -Wl,-Map=$(BUILD_DIR)/hilbench-dut.map
BOARD_LDLIBS := -Wl,--start-group -lm -lc -lgcc -lnosys -Wl,--end-group
BOARD_LINK_DEPS := $(BOARD_DIR)/netduinoplus2.ld
# Shared Cortex-M code (boards/common/): timer, vector table + reset.
BOARD_COMMON := systick.c cortexm_startup.c
