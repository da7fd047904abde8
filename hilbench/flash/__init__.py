"""Getting firmware onto a device: QEMU (the emulator loads the image itself) today;
pyocd, esptool, bossac and openocd for real boards arrive behind the same seam."""
