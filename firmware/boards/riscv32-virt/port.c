/*
 * port.c - hil_port.h for QEMU riscv32 `virt` (rv32imac, M-mode): NS16550A UART0 link
 * (FIFOs on: FCR=0xC7, which also resets them, so a byte arriving at that moment is lost;
 * the host syncs with HELLO), mcycle CSR timer. No timestamp pin.
 *
 * Timer: under QEMU -icount, mcycle (and minstret) read QEMU's virtual clock in ns, and
 * with -icount shift=0 one guest instruction is exactly 1 ns: mcycle counts executed
 * instructions, exactly (QEMU ends the translation block at a CSR read under icount).
 * So the timer is announced as 1 GHz (timer_hz = 1e9), which makes the host's
 * emulated-board formula instructions = ticks x 1e9 / timer_hz give the tick count
 * itself. The nominal clock_hz is also 1 GHz: `virt` models no chip, and at 1 GHz the
 * host's microseconds are QEMU's virtual time. Without -icount mcycle reads the host's
 * TSC and none of this holds (hilbench always runs QEMU with -icount shift=0).
 * 64-bit reads use the mcycleh / mcycle / mcycleh loop; the timer is re-based by
 * recording the count at hil_port_timer_start(): nothing wraps in 2^64 ns.
 */
#include "hil_port.h"
#include "virt.h"

static const hil_port_info_t info = {
    .board = "riscv32-virt",
    .core = "rv32imac",
    .clock_hz = 1000000000u,
    .timer_hz = 1000000000u,
    .timer_kind = HIL_TIMER_RISCV_MCYCLE,
    .has_timestamp_pin = 0,
};

static uint64_t timer_base;

static inline uint64_t read_mcycle(void)
{
    uint32_t hi, lo, hi2;
    do {
        __asm volatile("csrr %0, mcycleh" : "=r"(hi));
        __asm volatile("csrr %0, mcycle" : "=r"(lo));
        __asm volatile("csrr %0, mcycleh" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

void hil_port_init(void)
{
    UART_IER = 0u;
    UART_LCR = UART_LCR_DLAB;
    UART_DLL = 1u; /* divisor 1 (the emulated UART ignores the baud rate) */
    UART_DLM = 0u;
    UART_LCR = UART_LCR_8N1;
    UART_FCR = UART_FCR_ENABLE_RESET_14;
    UART_MCR = UART_MCR_DTR_RTS;
    timer_base = read_mcycle();
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

/*
 * Drain the receive FIFO in one burst into a small ring, then hand bytes out from it.
 * QEMU's 16550 refills its FIFO only up to the trigger level minus what is still in it,
 * and every RBR read wakes its main loop: reading one byte per call let it refill about
 * one byte at a time (~25 KiB/s); draining in bursts lets it refill in blocks (model
 * upload ~120 KiB/s, measured with benchmarks/link_throughput.py).
 */
static uint8_t rx_ring[64];
static uint32_t rx_head, rx_tail;

int hil_port_read_byte(uint8_t *out)
{
    if (rx_head == rx_tail) {
        rx_head = rx_tail = 0;
        while ((UART_LSR & UART_LSR_DR) && rx_tail < sizeof rx_ring) {
            rx_ring[rx_tail++] = UART_RBR;
        }
        if (rx_head == rx_tail) {
            return 0;
        }
    }
    *out = rx_ring[rx_head++];
    return 1;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        while (!(UART_LSR & UART_LSR_THRE)) {
        }
        /* THRE with the FIFO on: the transmit FIFO is empty, so it takes 16 bytes */
        for (uint32_t k = 0; k < UART_FIFO_DEPTH && i < len; k++) {
            UART_THR = buf[i++];
        }
    }
}

void hil_port_timer_start(void)
{
    timer_base = read_mcycle();
}

uint64_t hil_port_timer_elapsed(void)
{
    return read_mcycle() - timer_base;
}

void hil_port_timestamp_pin(int level)
{
    (void)level;
}
