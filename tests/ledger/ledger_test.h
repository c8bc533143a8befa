/*
 * Shared by the files of the ledger test program: helpers to make a ledger
 * in a temporary directory and to fill it, and each file's TCase.
 */
#ifndef BPCI_TEST_LEDGER_H
#define BPCI_TEST_LEDGER_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "bpci.h"

#define H 32

/* Options with automatic checkpoints off and @segment_bytes (0: default). */
bpci_ledger_options lt_options(uint64_t segment_bytes);
/* Opens (creating) @dir with @o, failing the test with the diag on error. */
bpci_ledger *lt_open(const char *dir, const bpci_ledger_options *o);
/* Appends one event of type "node.started" with subject @subject. */
uint64_t lt_append(bpci_ledger *l, const char *subject);
/* Runs bpci_ledger_verify(@dir) and returns its code; the last diag text
 * goes to @msg (size @cap) when not NULL. */
int lt_verify(const char *dir, const char *vkey, char *msg, size_t cap);
/* Copies every regular file of @from into the new directory @to. */
void lt_copy_dir(const char *from, const char *to);
/* The whole file @dir/@name (NUL-terminated) and its length. */
char *lt_read_file(const char *dir, const char *name, size_t *len);
void lt_write_bytes(const char *dir, const char *name, const void *data, size_t len);
uint32_t lt_crc32c(const void *data, size_t len);

TCase *ledger_basic_tcase(void);
TCase *ledger_roundtrip_tcase(void);
TCase *ledger_tamper_tcase(void);
TCase *ledger_crash_tcase(void);
TCase *ledger_concurrency_tcase(void);
TCase *ledger_writer_tcase(void);
TCase *ledger_checkpoint_tcase(void);
TCase *ledger_canonical_tcase(void);
TCase *ledger_hole_tcase(void);
TCase *ledger_canon_tcase(void);
TCase *ledger_canon_entries_tcase(void);

#endif
