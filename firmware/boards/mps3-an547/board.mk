# QEMU mps3-an547: Corstone SSE-300 with Cortex-M55 (FPU + MVE), Secure state, code in
# ITCM (0x10000000), data in DTCM (0x30000000), model buffer and arena in the 4 MiB
# internal SRAM (0x31000000); CMSDK UART0 (0x59303000) console, SysTick at the 32 MHz
# core clock.

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
TARGET_EXT := .elf
TARGET_BIN := 1

CPU_FLAGS := -mcpu=cortex-m55 -mthumb -mfloat-abi=hard
BOARD_CFLAGS := $(CPU_FLAGS) -O2 -DHIL_QEMU=1 -ffunction-sections -fdata-sections -DHIL_USE_MVE \
                -DHIL_MAX_PAYLOAD=1024 -DHIL_MODEL_CAPACITY=2097152u \
                -DHIL_ARENA_SIZE=1048576u \
                -DHIL_FLASH_MODEL_ADDR=0x11000000u -DHIL_FLASH_MODEL_SIZE=0x00200000u
BOARD_LDFLAGS := $(CPU_FLAGS) -T $(BOARD_DIR)/mps3-an547.ld -nostartfiles \
                 --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
                 -Wl,-Map=$(BUILD_DIR)/hilbench-dut.map
BOARD_LDLIBS := -Wl,--start-group -lm -lc -lgcc -lnosys -Wl,--end-group
BOARD_LINK_DEPS := $(BOARD_DIR)/mps3-an547.ld
# Shared Cortex-M code (boards/common/): timer, CMSDK UART link, vector table + reset.
BOARD_COMMON := systick.c cmsdk_uart.c cortexm_startup.c
