# QEMU riscv32 `virt` (-bios none): rv32imac in M-mode, DRAM at 0x80000000, NS16550A
# UART0 at 0x10000000, mcycle CSR timer (instruction count under -icount shift=0).
#
# Debian's riscv64-unknown-elf-gcc (multilib) has no C library: build freestanding,
# link -nostdlib -lgcc, and take memcpy & co. from mem.c / string.h here.
# -misa-spec=2.2 keeps Zicsr inside "i"; `-march=rv32imac_zicsr` would make GCC pick
# the rv64 default libgcc.

CROSS ?= riscv64-unknown-elf-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
TARGET_EXT := .elf
TARGET_BIN := 1

CPU_FLAGS := -march=rv32imac -mabi=ilp32 -misa-spec=2.2 -mcmodel=medlow
BOARD_CFLAGS := $(CPU_FLAGS) -O2 -DHIL_QEMU=1 -ffreestanding -ffunction-sections -fdata-sections \
                -DHIL_MAX_PAYLOAD=1024 -DHIL_MODEL_CAPACITY=2097152u \
                -DHIL_ARENA_SIZE=1048576u \
                -DHIL_FLASH_MODEL_ADDR=0x81000000u -DHIL_FLASH_MODEL_SIZE=0x00400000u
BOARD_LDFLAGS := $(CPU_FLAGS) -T $(BOARD_DIR)/riscv32-virt.ld -nostdlib -static -Wl,--no-warn-rwx-segments \
                 -Wl,--gc-sections -Wl,-Map=$(BUILD_DIR)/hilbench-dut.map
BOARD_LDLIBS := -lgcc
BOARD_LINK_DEPS := $(BOARD_DIR)/riscv32-virt.ld
