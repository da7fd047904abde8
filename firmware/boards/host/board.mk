# Host-native build: the DUT speaks the protocol over stdin/stdout (raw binary).
# `make BOARD=host` -> build/host/hilbench-dut; SANITIZE=1 -> build/host-asan/hilbench-dut.
# Flash model partition: HIL_FLASH_IMAGE=<partition image> in the environment
# (hil_board_flash.h); without it the board has none.

CC := $(HOST_CC)
TARGET_EXT :=
BOARD_CFLAGS := -O2 -DHIL_MAX_PAYLOAD=4096 -DHIL_MODEL_CAPACITY=4194304u \
                -DHIL_ARENA_SIZE=2097152u -DHIL_BOARD_FLASH=1
BOARD_LDFLAGS :=
BOARD_LDLIBS := -lm

ifeq ($(SANITIZE),1)
BUILD_NAME := host-asan
BOARD_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -g
BOARD_LDFLAGS += -fsanitize=address,undefined
endif
