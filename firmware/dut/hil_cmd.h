/*
 * hil_cmd.h - the message handlers of protocol v1, one group per file: hil_cmd_link.c
 * (HELLO, RAW_ECHO), hil_cmd_model.c (MODEL_BEGIN / DATA / END, MODEL_FLASH),
 * hil_cmd_tensor.c (SET_INPUT, GET_OUTPUT, TENSOR), hil_cmd_invoke.c (INVOKE, PROFILE).
 * hil_frame.c dispatches to them. Each handler sends exactly one response (hil_tx.h).
 * p/len: the request payload, already checked against the frame.
 */
#ifndef HIL_CMD_H
#define HIL_CMD_H

#include <stdint.h>

void hil_cmd_hello(uint16_t seq, uint32_t len);
/* Returns the number of raw bytes to echo after the OK response (0 on error); the
 * dispatcher echoes them (hil_cmd_raw_echo_bytes) once the request is recorded. */
uint32_t hil_cmd_raw_echo(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_raw_echo_bytes(uint32_t n);

void hil_cmd_model_begin(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_model_data(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_model_end(uint16_t seq, uint32_t len);
void hil_cmd_model_flash(uint16_t seq, const uint8_t *p, uint32_t len);

void hil_cmd_set_input(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_get_output(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_tensor(uint16_t seq, const uint8_t *p, uint32_t len);

void hil_cmd_invoke(uint16_t seq, const uint8_t *p, uint32_t len);
void hil_cmd_profile(uint16_t seq, const uint8_t *p, uint32_t len);

#endif
