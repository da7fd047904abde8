# QEMU mps2-an386: Cortex-M4F, code 0x00000000 (4 MiB), RAM 0x20000000 (4 MiB),
# CMSDK UART0 console, SysTick at the 25 MHz core clock.

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
TARGET_EXT := .elf
TARGET_BIN := 1

CPU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
BOARD_CFLAGS := $(CPU_FLAGS) -O2 -DHIL_QEMU=1 -ffunction-sections -fdata-sections -DHIL_USE_DSP \
                -DHIL_MAX_PAYLOAD=1024 -DHIL_MODEL_CAPACITY=1048576u \
                -DHIL_ARENA_SIZE=524288u \
                -DHIL_FLASH_MODEL_ADDR=0x00200000u -DHIL_FLASH_MODEL_SIZE=0x00200000u
BOARD_LDFLAGS := $(CPU_FLAGS) -T $(BOARD_DIR)/mps2-an386.ld -nostartfiles \
                 --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
                 -Wl,-Map=$(BUILD_DIR)/hilbench-dut.map
BOARD_LDLIBS := -Wl,--start-group -lm -lc -lgcc -lnosys -Wl,--end-group
BOARD_LINK_DEPS := $(BOARD_DIR)/mps2-an386.ld
# Shared Cortex-M code (boards/common/): timer, CMSDK UART link, vector table + reset.
BOARD_COMMON := systick.c cmsdk_uart.c cortexm_startup.c
