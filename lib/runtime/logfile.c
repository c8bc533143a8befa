#include "runtime/logfile.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

#define READ_CHUNK 16384
#define READS_PER_WAKEUP 4   /* then yield to the other events */
#define HOLD_MAX 4096        /* longest partial line held back */

typedef struct source {
	bpci__logfile *lf;
	int fd;
	struct event *ev;
	char *buf;           /* held-back partial line, then fresh data */
	size_t len, cap;
} source;

struct bpci__logfile {
	struct event_base *base;
	char *path;
	uint64_t max_bytes;
	unsigned int keep;
	int fd;
	uint64_t size;
	uint64_t lost;      /* bytes that could not be written */
	source **srcs;
	size_t nsrc, srccap, nopen;
	bpci__logfile_eof_cb cb;
	void *payload;
};

/* ---- the file ------------------------------------------------------- */

static int open_log_size(bpci__logfile *lf)
{
	off_t end = lseek(lf->fd, 0, SEEK_END);

	lf->size = end > 0 ? (uint64_t)end : 0;
	return 0;
}

static int open_log(bpci__logfile *lf, int truncate)
{
	lf->size = 0;
	lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
			(truncate ? O_TRUNC : 0), 0640);
	if (lf->fd < 0)
		return BPCI_EIO;
	return open_log_size(lf);
}

/*
 * At open only a file that exists already is opened: a new one is created
 * by the first write (write_all). Creating an inode is the largest part of
 * a spawn's file work (on ext4 without a journal each creation scans past
 * every recently deleted inode of the group: about 0.4 ms each on a busy
 * host), and a node that never writes needs no file; its log reads as
 * empty (the logs API treats a missing file so). The directory is checked
 * here so that a bad one is still reported by the open.
 */
static int open_existing(bpci__logfile *lf)
{
	char *slash = strrchr(lf->path, '/');
	int rc;

	lf->size = 0;
	lf->fd = open(lf->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (lf->fd >= 0 || errno != ENOENT)
		return lf->fd >= 0 ? open_log_size(lf) : BPCI_EIO;
	*slash = '\0';
	rc = access(lf->path, W_OK | X_OK) == 0 ? 0 : BPCI_EIO;
	*slash = '/';
	return rc;
}

static void rotate(bpci__logfile *lf)
{
	char from[4096], to[4096];
	unsigned int i;

	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	if (lf->keep == 0) {
		(void)unlink(lf->path);
	} else {
		for (i = lf->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", lf->path, i);
			snprintf(to, sizeof(to), "%s.%u", lf->path, i + 1);
			(void)rename(from, to); /* a gap (ENOENT) is fine */
		}
		snprintf(to, sizeof(to), "%s.1", lf->path);
		(void)rename(lf->path, to);
	}
	(void)open_log(lf, 1);
}

static void write_all(bpci__logfile *lf, const char *data, size_t len)
{
	ssize_t n;

	if (lf->fd < 0 && open_log(lf, 0) < 0) {
		lf->lost += len; /* the disk is gone; the node must not block */
		return;
	}
	while (len > 0) {
		n = write(lf->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lf->lost += len;
			return;
		}
		data += n;
		len -= (size_t)n;
		lf->size += (uint64_t)n;
	}
}

/* Append, rotating first whenever the data would not fit; cut at the last
 * newline that fits so rotated files end on whole lines. */
static void write_out(bpci__logfile *lf, const char *data, size_t len)
{
	while (len > 0) {
		uint64_t room;
		size_t cut = 0;
		const char *nl;

		if (lf->max_bytes == 0) {
			write_all(lf, data, len);
			return;
		}
		room = lf->size >= lf->max_bytes ? 0 : lf->max_bytes - lf->size;
		if (len <= room) {
			write_all(lf, data, len);
			return;
		}
		if (room > 0 && (nl = memrchr(data, '\n', (size_t)room)) != NULL)
			cut = (size_t)(nl - data) + 1;
		else if (lf->size == 0)
			cut = (size_t)room; /* a line longer than the limit */
		if (cut > 0)
			write_all(lf, data, cut);
		data += cut;
		len -= cut;
		rotate(lf);
	}
}

/* ---- the pipes ------------------------------------------------------ */

/* Write the whole lines of @s (everything when @all). */
static void flush_source(source *s, int all)
{
	const char *nl;
	size_t n = s->len;

	if (!all) {
		nl = s->len ? memrchr(s->buf, '\n', s->len) : NULL;
		n = nl ? (size_t)(nl - s->buf) + 1 : 0;
		if (s->len - n > HOLD_MAX)
			n = s->len;
	}
	if (n == 0)
		return;
	write_out(s->lf, s->buf, n);
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

static void close_source(source *s)
{
	if (s->ev) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
		s->lf->nopen--;
	}
}

/* Read up to @max_reads chunks. Returns 1 at EOF or on a read error (the
 * source is then closed), 0 when the pipe is empty for now, 2 when the
 * quota ran out with more perhaps waiting, BPCI_ENOMEM. */
static int pump(source *s, int max_reads)
{
	ssize_t n;

	while (max_reads > 0) {
		if (bpci__grow((void **)&s->buf, &s->cap, s->len + READ_CHUNK, 1) < 0)
			return BPCI_ENOMEM;
		n = read(s->fd, s->buf + s->len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) { /* EOF, or an error that no retry will fix */
			flush_source(s, 1);
			close_source(s);
			return 1;
		}
		s->len += (size_t)n;
		flush_source(s, 0);
		max_reads--;
	}
	return 2;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	source *s = arg;
	bpci__logfile *lf = s->lf;

	(void)fd;
	(void)what;
	if (pump(s, READS_PER_WAKEUP) == 1 && lf->nopen == 0 && lf->cb)
		lf->cb(lf, lf->payload); /* last: the callback may free lf */
}

int bpci__logfile_watch(bpci__logfile *lf, int read_fd, bpci_diag *diag)
{
	source *s;

	(void)diag;
	if (bpci__grow((void **)&lf->srcs, &lf->srccap, lf->nsrc + 1, sizeof(*lf->srcs)) < 0) {
		close(read_fd);
		return BPCI_ENOMEM;
	}
	s = bpci__calloc(1, sizeof(*s));
	if (!s) {
		close(read_fd);
		return BPCI_ENOMEM;
	}
	(void)fcntl(read_fd, F_SETFL, O_NONBLOCK);
	s->lf = lf;
	s->fd = read_fd;
	s->ev = event_new(lf->base, read_fd, EV_READ | EV_PERSIST, on_readable, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		if (s->ev)
			event_free(s->ev);
		close(read_fd);
		bpci__free(s);
		return BPCI_ENOMEM;
	}
	lf->srcs[lf->nsrc++] = s;
	lf->nopen++;
	return 0;
}

int bpci__logfile_pipe(bpci__logfile *lf, int *write_fd, bpci_diag *diag)
{
	int fds[2];
	int rc;

	*write_fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "pipe2 for %s: %s", lf->path, strerror(errno));
	rc = bpci__logfile_watch(lf, fds[0], diag);
	if (rc < 0) {
		close(fds[1]);
		return rc;
	}
	*write_fd = fds[1];
	return 0;
}

int bpci__logfile_drain(bpci__logfile *lf)
{
	size_t i;
	int rc = 0, r;

	for (i = 0; i < lf->nsrc; i++) {
		source *s = lf->srcs[i];

		if (s->fd < 0)
			continue;
		while ((r = pump(s, READS_PER_WAKEUP)) == 2)
			;
		if (r < 0)
			rc = r;
		flush_source(s, 1);
	}
	return rc;
}

void bpci__logfile_on_eof(bpci__logfile *lf, bpci__logfile_eof_cb cb, void *payload)
{
	lf->cb = cb;
	lf->payload = payload;
}

size_t bpci__logfile_open_pipes(const bpci__logfile *lf)
{
	return lf->nopen;
}

uint64_t bpci__logfile_lost(const bpci__logfile *lf)
{
	return lf->lost;
}

const char *bpci__logfile_path(const bpci__logfile *lf)
{
	return lf->path;
}

int bpci__logfile_open(bpci__logfile **out, struct event_base *base,
		       const bpci__logfile_opts *opts, bpci_diag *diag)
{
	bpci__logfile *lf;

	*out = NULL;
	if (!base || !opts || !opts->dir || !*opts->dir)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "dir",
				      "an event base and a log directory are required");
	if (!opts->name || !*opts->name || strchr(opts->name, '/'))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "name",
				      "must be a non-empty file name without '/', got \"%s\"",
				      opts->name ? opts->name : "(null)");
	lf = bpci__calloc(1, sizeof(*lf));
	if (!lf)
		return BPCI_ENOMEM;
	lf->base = base;
	lf->max_bytes = opts->max_bytes;
	lf->keep = opts->keep;
	lf->fd = -1;
	lf->path = bpci__asprintf("%s/%s.log", opts->dir, opts->name);
	if (!lf->path) {
		bpci__free(lf);
		return BPCI_ENOMEM;
	}
	if (strlen(lf->path) + 12 > 4096) {
		bpci__free(lf->path);
		bpci__free(lf);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "dir",
				      "log path is too long (%zu bytes)", strlen(opts->dir));
	}
	if (open_existing(lf) < 0) {
		int err = errno;

		bpci__free(lf->path);
		bpci__free(lf);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "dir",
				      "cannot open log %s/%s.log: %s", opts->dir, opts->name,
				      strerror(err));
	}
	*out = lf;
	return 0;
}

void bpci__logfile_free(bpci__logfile *lf)
{
	size_t i;

	if (!lf)
		return;
	lf->cb = NULL; /* no callback into a caller that is tearing down */
	(void)bpci__logfile_drain(lf);
	for (i = 0; i < lf->nsrc; i++) {
		close_source(lf->srcs[i]);
		bpci__free(lf->srcs[i]->buf);
		bpci__free(lf->srcs[i]);
	}
	bpci__free(lf->srcs);
	if (lf->fd >= 0)
		close(lf->fd);
	bpci__free(lf->path);
	bpci__free(lf);
}
