/* board.h - QEMU mps2-an500 (Cortex-M7): the device addresses this port and the shared
 * Cortex-M code in boards/common/ use, those of every MPS2 image (boards/common/mps2.h);
 * nothing of its own. */
#ifndef BOARD_H
#define BOARD_H

#include "mps2.h"

#endif
