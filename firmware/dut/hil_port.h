/*
 * hil_port.h - the porting layer between the portable DUT protocol (firmware/dut)
 * and one board (firmware/boards/<board>). A new board implements exactly these
 * functions; nothing else in dut/ or runtime/ touches hardware.
 */
#ifndef HIL_PORT_H
#define HIL_PORT_H

#include <stdint.h>

/* Timer kinds as announced in HELLO (docs/protocol.md, section 3). */
enum {
    HIL_TIMER_SYSTICK = 1,
    HIL_TIMER_DWT_CYCLES = 2,
    HIL_TIMER_RISCV_MCYCLE = 3,
    HIL_TIMER_RISCV_MTIME = 4,
    HIL_TIMER_HOST_CLOCK = 5,
    HIL_TIMER_CMSDK = 6,
};

typedef struct {
    const char *board;  /* e.g. "mps2-an386" */
    const char *core;   /* e.g. "cortex-m4f" */
    uint32_t clock_hz;  /* nominal core clock */
    uint32_t timer_hz;  /* tick rate of hil_port_timer_elapsed() */
    uint8_t timer_kind; /* HIL_TIMER_* */
    uint8_t has_timestamp_pin;
} hil_port_info_t;

/* Bring up clocks, UART and timer. Called once before anything else. */
void hil_port_init(void);

/* Static description of the board. */
const hil_port_info_t *hil_port_info(void);

/* Non-blocking read of one received byte: returns 1 and stores it, or 0 if none waits. */
int hil_port_read_byte(uint8_t *out);

/* Blocking write of len bytes to the host link. */
void hil_port_write(const uint8_t *buf, uint32_t len);

/* Start a timed region: re-base the tick counter so that the phase of the counter is
 * the same on every run (determinism under QEMU icount), and start counting. */
void hil_port_timer_start(void);

/* Ticks since the last hil_port_timer_start(), extended to 64 bits past the hardware
 * counter's width (wraps handled by the port). */
uint64_t hil_port_timer_elapsed(void);

/* Drive the timestamp GPIO that energy meters watch (1 = inside the timed region).
 * Boards without one implement it as a no-op. */
void hil_port_timestamp_pin(int level);

#endif
