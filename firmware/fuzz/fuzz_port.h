/*
 * fuzz_port.h - hil_port.h for the libFuzzer harnesses, plus the controls a harness needs.
 *
 * The "wire" is the fuzzer's input: hil_port_read_byte() takes bytes from the stream a
 * harness set with fuzz_stream_set() (RAW_ECHO reads its bytes from there, as it would from
 * the UART). When the stream is exhausted while the firmware still waits for a byte, or
 * when an input asks for more inferences than FUZZ_INVOKE_BUDGET, the port longjmps back
 * to the harness (fuzz_jmp): a long RAW_ECHO or `infer 100000000` is a valid request that
 * would simply keep a real DUT busy; the fuzzer must not spend its time there.
 *
 * Everything the firmware writes goes to an oracle chosen by the harness (fuzz_out_set):
 * the binary harness checks every response is a well-formed frame, the text harness that
 * every byte is printable ASCII or CR/LF. A violation aborts, so libFuzzer reports it.
 */
#ifndef FUZZ_PORT_H
#define FUZZ_PORT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#ifndef FUZZ_INVOKE_BUDGET
#define FUZZ_INVOKE_BUDGET 8u
#endif
#define FUZZ_FLASH_BYTES (1024u * 1024u)

extern jmp_buf fuzz_jmp;

/* Bytes hil_port_read_byte() hands out, and the cursor into them (shared with a harness
 * that parses records from the same input). */
void fuzz_stream_set(const uint8_t *data, size_t size);
/* Next byte of the stream; longjmps to fuzz_jmp when none is left. */
uint8_t fuzz_stream_byte(void);
size_t fuzz_stream_left(void);
/* Take n bytes (n <= fuzz_stream_left()). */
const uint8_t *fuzz_stream_take(size_t n);

typedef void (*fuzz_out_fn)(const uint8_t *buf, uint32_t len);
void fuzz_out_set(fuzz_out_fn fn);

/* Flash partition: size 0 = none. With model != NULL, write a good "HILM" header
 * (docs/protocol.md MODEL_FLASH) followed by the model; corrupt != 0 flips a header bit. */
void fuzz_flash_set(const uint8_t *model, uint32_t n, int corrupt, uint32_t partition_size);

/* Inferences left before the port gives up on this input. */
void fuzz_budget_reset(void);

#endif
