/*
 * Internal: durable file replacement for the state directory.
 */
#ifndef BPCI_LIB_RUNTIME_FSUTIL_H
#define BPCI_LIB_RUNTIME_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "bpci/error.h"

/*
 * Replace @path with @len bytes of @data, atomically and durably: the data
 * goes to a temporary file in the same directory (".NAME.tmp.XXXXXX"),
 * which gets @mode (exactly, whatever the umask), is fsync'ed and renamed
 * over @path; then the directory is fsync'ed so the rename survives a
 * crash. A reader sees the old content or the new, never a mix; on any
 * failure the temporary file is removed and the old file is untouched.
 *
 * Returns 0, BPCI_ENOTFOUND (the directory does not exist), BPCI_EIO
 * (message names the step, the path and strerror). Thread-safe.
 */
int bpci__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    bpci_diag *diag);

#endif
