"""Getting firmware onto a device, one module per tool behind one small interface
(`base.Flasher`: `matches(image)` for skip-if-same, `flash(image)` that verifies where
the tool can, a timeout, and `FlashError` lines carrying the tool's own message):

- `esptool`: ESP32 boards through the ROM serial bootloader (esptool's Python API);
- `pyocd`: Cortex-M boards through a CMSIS-DAP / ST-Link / J-Link probe (pyocd's API);
- `bossac`: SAM-BA bootloaders on USB CDC (Arduino Nano 33 BLE), after the 1200-baud touch;
- `openocd`: ST-Link / CMSIS-DAP with openocd's interface and target scripts.

`select` picks a board's flasher from boards.toml (`flasher`, `[flash]`) and holds the
board's lock while it writes; `cli` is `hilbench flash`.

QEMU fits the same seam from the other side: an emulated board has no flash to rewrite,
so `qemu.QemuProcess` *is* its flasher, loading the ELF (and the flash model partition,
`partition`, through `-device loader`) each time the board starts (devices/emulated.py).
It needs no skip-if-same (every start is a fresh image) and no verify (QEMU reads the file
itself), which is why it is not a `Flasher` and boards.toml gives emulated boards no
`flasher` key.
"""
