/*
 * host_port.c - hil_port.h for the host-native build: the link is fd 0 (stdin) and
 * fd 1 (stdout), raw binary; the timer is CLOCK_MONOTONIC in nanoseconds.
 * EOF on stdin or a closed stdout ends the process with status 0, so a test that
 * drops its pipes never leaves the DUT behind.
 *
 * Flash model partition: the file named by $HIL_FLASH_IMAGE (a partition image, "HILM"
 * header + model), read at start-up into a static buffer (hil_board_flash.h). A file that
 * cannot be read or is larger than the partition ends the process with status 2 and a
 * message on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hil_board_flash.h"
#include "hil_port.h"

static const hil_port_info_t info = {
    .board = "host",
    .core = "host",
    .clock_hz = 1000000000u,
    .timer_hz = 1000000000u,
    .timer_kind = HIL_TIMER_HOST_CLOCK,
    .has_timestamp_pin = 0,
};

static uint8_t in_buf[4096];
static size_t in_len;
static size_t in_pos;
static uint64_t t0;

static uint8_t flash[HIL_HOST_FLASH_BYTES];
static uint32_t flash_size;

const uint8_t *hil_host_flash(void)
{
    return flash;
}

uint32_t hil_host_flash_size(void)
{
    return flash_size;
}

static void flash_load(const char *path)
{
    memset(flash, 0xFF, sizeof flash); /* erased flash */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "hilbench-dut: HIL_FLASH_IMAGE=%s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t n = fread(flash, 1, sizeof flash, f);
    int more = fgetc(f) != EOF;
    int bad = ferror(f);
    fclose(f);
    if (bad || more) {
        fprintf(stderr, "hilbench-dut: HIL_FLASH_IMAGE=%s: %s\n", path,
                bad ? "read error"
                    : "larger than the flash partition (HIL_HOST_FLASH_BYTES)");
        exit(2);
    }
    (void)n;
    flash_size = (uint32_t)sizeof flash;
}

void hil_port_init(void)
{
    signal(SIGPIPE, SIG_IGN); /* a closed stdout shows up as EPIPE, handled below */
    const char *image = getenv("HIL_FLASH_IMAGE");
    if (image != NULL && image[0] != '\0') {
        flash_load(image);
    }
}

const hil_port_info_t *hil_port_info(void)
{
    return &info;
}

int hil_port_read_byte(uint8_t *out)
{
    /* Blocking read is fine: the DUT loop has nothing else to do while waiting. */
    while (in_pos >= in_len) {
        ssize_t n = read(0, in_buf, sizeof in_buf);
        if (n > 0) {
            in_len = (size_t)n;
            in_pos = 0;
        } else if (n == 0) {
            exit(0);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd pfd = {.fd = 0, .events = POLLIN, .revents = 0};
            (void)poll(&pfd, 1, -1); /* stdin was left non-blocking: wait, don't spin */
        } else if (errno != EINTR) {
            exit(0);
        }
    }
    *out = in_buf[in_pos++];
    return 1;
}

void hil_port_write(const uint8_t *buf, uint32_t len)
{
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n > 0) {
            buf += n;
            len -= (uint32_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = 1, .events = POLLOUT, .revents = 0};
            (void)poll(&pfd, 1, -1);
        } else if (n < 0 && errno != EINTR) {
            exit(0);
        }
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hil_port_timer_start(void)
{
    t0 = now_ns();
}

uint64_t hil_port_timer_elapsed(void)
{
    return now_ns() - t0;
}

void hil_port_timestamp_pin(int level)
{
    (void)level;
}
