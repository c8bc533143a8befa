/*
 * Internal: a node's log file. The node's stdout and stderr are pipes whose
 * read ends are watched by libevent; what arrives is appended to
 * DIR/NAME.log. When the next write would take the file past max_bytes it
 * is rotated first: NAME.log.(K-1) -> NAME.log.K ... NAME.log -> NAME.log.1,
 * keeping @keep old files, and a fresh NAME.log is started. Writes are
 * split at line ends so a rotated file ends on a whole line whenever the
 * line fits; a line longer than max_bytes is cut.
 *
 * A partial line is held back until its newline (or 4 KiB of it, or EOF,
 * or bpci__logfile_drain) so that lines of stdout and stderr (separate
 * pipes into the same file) never interleave mid-line and rotation never
 * splits a line. Pass the same write end as stdout and stderr to keep the
 * two streams in their exact relative order.
 *
 * Single-threaded: use from the thread running the event base.
 */
#ifndef BPCI_LIB_RUNTIME_LOGFILE_H
#define BPCI_LIB_RUNTIME_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bpci/error.h"

struct event_base;

typedef struct bpci__logfile bpci__logfile;

typedef struct bpci__logfile_opts {
	const char *dir;     /* existing directory */
	const char *name;    /* file is DIR/NAME.log; no '/' allowed */
	uint64_t max_bytes;  /* rotate before exceeding this; 0: never rotate */
	unsigned int keep;   /* rotated files kept (NAME.log.1 .. NAME.log.keep) */
} bpci__logfile_opts;

/* Called once every pipe has reached EOF and its data is on disk. */
typedef void (*bpci__logfile_eof_cb)(bpci__logfile *lf, void *payload);

/*
 * Open (append to) DIR/NAME.log, file mode 0640. Returns 0 and the handle
 * in *out (free with bpci__logfile_free), BPCI_EINVAL (bad options),
 * BPCI_EIO (open failed: message has the path and strerror), BPCI_ENOMEM.
 */
int bpci__logfile_open(bpci__logfile **out, struct event_base *base,
		       const bpci__logfile_opts *opts, bpci_diag *diag);

/*
 * Create one more source: a pipe whose read end this log watches. The
 * write end goes to *write_fd (CLOEXEC; hand it to bpci__proc_spawn as
 * stdout/stderr, then close it, or EOF never comes). Returns 0, BPCI_EIO,
 * BPCI_ENOMEM.
 */
int bpci__logfile_pipe(bpci__logfile *lf, int *write_fd, bpci_diag *diag);

/*
 * Watch one more source given as a readable descriptor (a FIFO, say), which
 * the log takes over (closed on EOF, on error and by bpci__logfile_free).
 * Made non-blocking here. Returns 0 or BPCI_ENOMEM (@read_fd is closed).
 */
int bpci__logfile_watch(bpci__logfile *lf, int read_fd, bpci_diag *diag);

/* Set the EOF callback (NULL to clear). */
void bpci__logfile_on_eof(bpci__logfile *lf, bpci__logfile_eof_cb cb, void *payload);

/*
 * Read everything the pipes hold right now, without blocking, and write it
 * out (including held-back partial lines). Call when the child has exited
 * but a grandchild may keep a pipe open. Returns 0 or BPCI_EIO.
 */
int bpci__logfile_drain(bpci__logfile *lf);

/* Number of pipes not yet at EOF. */
size_t bpci__logfile_open_pipes(const bpci__logfile *lf);

/* Bytes dropped because the file could not be written (disk full, file
 * system gone): the pipe is still emptied so the node never blocks. */
uint64_t bpci__logfile_lost(const bpci__logfile *lf);

/* DIR/NAME.log (borrowed). */
const char *bpci__logfile_path(const bpci__logfile *lf);

/* Drain what is readable, close the pipes and the file. NULL is a no-op. */
void bpci__logfile_free(bpci__logfile *lf);

/*
 * The last @n_lines lines of the file at @path, read backwards from the end
 * (cost proportional to the lines returned, not the file). A final newline
 * ends the last line, it does not start an empty one; text after the last
 * newline counts as a line. *out is NUL-terminated, free with bpci_free;
 * "" for an empty file or n_lines == 0.
 * Returns 0, BPCI_ENOTFOUND (no such file), BPCI_EIO, BPCI_ENOMEM.
 */
int bpci__logfile_tail(const char *path, size_t n_lines, char **out);

#endif
