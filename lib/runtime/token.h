/*
 * Internal: the small files a daemon leaves in its state directory for its
 * clients — the API bearer token (mode 0600) and the API URL — shared by
 * the coordinator's, the cluster manager's and the ledger mirror's servers.
 */
#ifndef BPCI_LIB_RUNTIME_TOKEN_H
#define BPCI_LIB_RUNTIME_TOKEN_H

#include "bpci/error.h"

/*
 * The bearer token kept in @path: one line without blanks. When the file
 * does not exist, a new token (32 random bytes in hex, from OpenSSL's
 * RAND_bytes) is written there atomically with mode 0600. @field names the
 * option in messages ("token", "token_file"). *@out is freed with bpci__free.
 * Returns 0, BPCI_EIO (unreadable, not a token, no randomness) or BPCI_ENOMEM.
 */
int bpci__token_load(char **out, const char *path, const char *field, bpci_diag *diag);

/* Write "@url\n" to @path atomically (mode 0644). */
int bpci__url_file_write(const char *path, const char *url, bpci_diag *diag);

#endif
