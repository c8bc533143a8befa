/*
 * Internal helpers shared by the ledger server and the shipper: the hex
 * form of hashes on the wire and strict decimal query values.
 */
#ifndef BPCI_LIB_API_LEDGER_REMOTE_H
#define BPCI_LIB_API_LEDGER_REMOTE_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of @n bytes into @out (2n+1 bytes, NUL-terminated). */
void bpci__hex(char *out, const uint8_t *data, size_t n);
/* Exactly 2n hex digits (either case) into @out; 0 or -1. */
int bpci__unhex(uint8_t *out, size_t n, const char *text);
/* A plain decimal number without sign or spaces that fits; 0 or -1. */
int bpci__parse_u64(uint64_t *out, const char *text);

#endif
