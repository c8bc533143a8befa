/*
 * Telling a power loss's hole from damage: which damaged record at the end
 * of the log a writable open may cut, and keeping the bytes it cuts.
 *
 * The argument. Two writer lanes overlap: one lane write()s batch N+1
 * while the other waits in fdatasync for batch N. A power loss then may
 * leave N+1's pages on disk and some of N's not (writeback follows no file
 * order): a damaged record followed by complete ones. But
 *  - a batch is acknowledged only after its fdatasync returned and every
 *    earlier batch's did, and fdatasync flushes the whole file, so every
 *    byte before the oldest unacknowledged batch is on disk;
 *  - a lane keeps its batch until the batch ends, and there are two lanes,
 *    so at most two batches are unacknowledged at any time, and only the
 *    last segment holds them (a roll fdatasyncs the segment it leaves);
 *  - before it writes a batch of more entries than the "batch-bound" file
 *    says, the writer raises that file durably (by factors of 16 up to
 *    batch_max, beyond only for a larger append_many()), and a writable open lowers it to 1 only after
 *    an fdatasync of the last segment (which makes whatever a killed writer
 *    left in the page cache durable). A lone appender's batches of one
 *    keep it at 1.
 * So a hole left by a power loss lies in the last segment, and from it to
 * the last complete record there are at most 2 * bound entries. Below what
 * was surely acknowledged there is no hole at all: entries the index or
 * the tree cache hold (written only after their batch was durable), those a
 * checkpoint covers (signed only over durable entries) and those a snapshot
 * covers (taken at most at the durable size). A damaged record that breaks
 * any of these rules is bit rot or tampering: refused, and named by verify.
 *
 * How many entries follow a hole is found by resynchronizing on the
 * framing: every place where an entry's text ({"actor":) starts eight bytes
 * after a header whose length fits and whose CRC32C matches, then the
 * chain of records from there. A false match needs a CRC collision on top
 * of a canonical entry, and it could only make a cut look bigger (refused).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define BOUND_FILE "batch-bound"
#define BOUND_MAGIC "bpci-ledger-batch-bound"
#define SCAN_CHUNK (1024 * 1024)
#define PREFIX "{\"actor\":\""
#define PREFIX_LEN (sizeof(PREFIX) - 1)

int bpci__bound_read(int dirfd, unsigned *bound, int *recorded)
{
	char buf[128];
	unsigned long v;
	char *end;
	ssize_t n;
	int fd = openat(dirfd, BOUND_FILE, O_RDONLY | O_CLOEXEC);

	*bound = BPCI__BOUND_DEFAULT;
	*recorded = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return BPCI_EIO;
	buf[n] = '\0';
	/* A damaged file must not loosen the rule: bound 0 refuses every cut
	 * (the operator repairs). */
	if (strncmp(buf, BOUND_MAGIC " ", sizeof(BOUND_MAGIC)) != 0) {
		*bound = 0;
		return 0;
	}
	v = strtoul(buf + sizeof(BOUND_MAGIC), &end, 10);
	if (*end != '\n' || v == 0 || v > UINT32_MAX) {
		*bound = 0;
		return 0;
	}
	*bound = (unsigned)v;
	*recorded = 1;
	return 0;
}

int bpci__bound_write(int dirfd, unsigned bound)
{
	char text[64];
	int fd, rc = BPCI_EIO, n = snprintf(text, sizeof(text), BOUND_MAGIC " %u\n", bound);

	fd = openat(dirfd, BOUND_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && bpci__write_full(fd, text, (size_t)n) == 0 && fsync(fd) == 0 &&
	    renameat(dirfd, BOUND_FILE ".tmp", dirfd, BOUND_FILE) == 0 &&
	    bpci__fsync_dir(dirfd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The largest tree size any stored checkpoint names (signature unchecked:
 * this only ever makes a cut refused) and the number of that checkpoint. */
static int ckpt_floor(int dirfd, uint64_t *size, uint64_t *which)
{
	uint64_t fsize = 0, off = FILE_HDR, i = 0, v;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = 0;
	const char *nl;
	int err, fd = openat(dirfd, "checkpoints", O_RDONLY | O_CLOEXEC);

	*size = *which = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	if (bpci__file_size(fd, &fsize) < 0) {
		close(fd);
		return BPCI_EIO;
	}
	while (bpci__record_read(fd, off, fsize, CKPT_MAX, &buf, &cap, &len, &err) == REC_OK) {
		nl = memchr(buf, '\n', len);
		if (nl && (v = strtoull(nl + 1, NULL, 10)) > *size) {
			*size = v;
			*which = i;
		}
		off += REC_HDR + len;
		i++;
	}
	bpci__free(buf);
	close(fd);
	return err == BPCI_ENOMEM ? err : 0;
}

/* The largest tree size a snapshot covers, and its name. */
static int snap_floor(int dirfd, uint64_t *size, char name[80])
{
	uint8_t hdr[16];
	struct dirent *de;
	DIR *d;
	size_t n;
	int fd, sdir = openat(dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*size = 0;
	name[0] = '\0';
	if (sdir < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	if ((d = fdopendir(sdir)) == NULL) {
		close(sdir);
		return BPCI_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || n > 69 || strcmp(de->d_name + n - 5, ".snap") != 0)
			continue;
		fd = openat(sdir, de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (bpci__pread_full(fd, hdr, sizeof(hdr), 0) == 0 &&
		    memcmp(hdr, SNAP_MAGIC, 8) == 0 && bpci__get64(hdr + 8) > *size) {
			*size = bpci__get64(hdr + 8);
			snprintf(name, 80, "%.*s", (int)(n - 5), de->d_name);
		}
		close(fd);
	}
	closedir(d);
	return 0;
}

/* Follows the chain of good records from @off, raising *max; returns where
 * the chain broke. */
static uint64_t follow(bpci__reader *r, uint64_t off, uint64_t *max, int *found,
		       uint64_t stop)
{
	const uint8_t *rec;
	uint32_t len;
	uint64_t seq;
	char why[8];
	int err;

	while (bpci__reader_next(r, off, BPCI_LEDGER_ENTRY_MAX, &rec, &len, &err) == REC_OK &&
	       bpci__entry_check(&seq, (const char *)rec, len, why, sizeof(why)) == 0) {
		if (!*found || seq > *max)
			*max = seq;
		*found = 1;
		off += REC_HDR + len;
		if (*max > stop)
			break;
	}
	return off;
}

int bpci__hole_scan(int fd, uint64_t from, uint64_t fsize, uint64_t stop, uint64_t *max,
		    int *found)
{
	bpci__reader r;
	uint64_t pos = from, a, next;
	size_t n, i, size = from < fsize && fsize - from < SCAN_CHUNK ? (size_t)(fsize - from)
								     : SCAN_CHUNK;
	uint8_t *chunk = from < fsize ? bpci__malloc(size) : NULL;
	const uint8_t *hit;
	int rc = 0;

	if (from >= fsize)
		return 0;
	if (chunk == NULL)
		return BPCI_ENOMEM;
	bpci__reader_init(&r, fd, fsize);
	while (pos < fsize && rc == 0 && !(*found && *max > stop)) {
		n = fsize - pos < size ? (size_t)(fsize - pos) : size;
		if ((rc = bpci__pread_full(fd, chunk, n, pos)) < 0)
			break;
		next = 0;
		for (i = 0; (hit = memmem(chunk + i, n - i, PREFIX, PREFIX_LEN)) != NULL;) {
			a = pos + (uint64_t)(hit - chunk);
			i = (size_t)(hit - chunk) + 1;
			if (a < from + REC_HDR)
				continue;
			next = follow(&r, a - REC_HDR, max, found, stop);
			if (*found && *max > stop)
				break;
			if (next <= a - REC_HDR)
				continue; /* no good record there */
			if (next >= pos + n)
				break; /* the chain left this chunk: go on from its end */
			i = (size_t)(next - pos);
			next = 0;
		}
		/* A prefix this chunk's end cut in two is found by the next. */
		if (next >= pos + n)
			pos = next;
		else
			pos = pos + n >= fsize ? fsize : pos + n - (PREFIX_LEN - 1);
	}
	bpci__reader_free(&r);
	bpci__free(chunk);
	return rc;
}

int bpci__hole_judge(bpci__hole *h, int dirfd, int fd, uint64_t seq, uint64_t off,
		     uint64_t fsize, uint64_t claimed)
{
	uint64_t which = 0, stop;
	unsigned bound;
	int recorded, found = 0, rc;

	memset(h, 0, sizeof(*h));
	h->seq = seq;
	h->off = off;
	h->fsize = fsize;
	h->last_seq = seq;
	if ((rc = bpci__bound_read(dirfd, &bound, &recorded)) < 0 ||
	    (rc = ckpt_floor(dirfd, &h->ckpt_size, &which)) < 0 ||
	    (rc = snap_floor(dirfd, &h->snap_size, h->snap_name)) < 0)
		return rc;
	h->bound = bound;
	stop = seq + 2 * (uint64_t)bound;
	if ((rc = bpci__hole_scan(fd, off + 1, fsize, stop, &h->last_seq, &found)) < 0)
		return rc;
	if (!found || h->last_seq < seq)
		h->last_seq = seq;
	h->entries = h->last_seq - seq + 1;
	if (seq < claimed)
		snprintf(h->why, sizeof(h->why), "it was acknowledged (the tree cache covers "
			 "%llu entries)", (unsigned long long)claimed);
	else if (seq < h->ckpt_size)
		snprintf(h->why, sizeof(h->why), "it was acknowledged (checkpoint %llu covers "
			 "%llu entries)", (unsigned long long)which,
			 (unsigned long long)h->ckpt_size);
	else if (seq < h->snap_size)
		snprintf(h->why, sizeof(h->why), "it was acknowledged (snapshot \"%s\" covers "
			 "%llu entries)", h->snap_name, (unsigned long long)h->snap_size);
	else if (bound == 0)
		snprintf(h->why, sizeof(h->why), BOUND_FILE " is damaged: how much was in "
			 "flight is unknown");
	else if (h->entries > 2 * (uint64_t)bound)
		snprintf(h->why, sizeof(h->why), "entries up to %llu%s follow it: more than "
			 "two batches of at most %u (the writer's bound%s) were never in flight "
			 "at once, so it is not a power loss's hole",
			 (unsigned long long)h->last_seq, h->last_seq > stop ? " at least" : "",
			 bound, recorded ? "" : ", the default: no " BOUND_FILE " file");
	else
		h->cuttable = 1;
	return 0;
}

int bpci__hole_keep(int dirfd, const char *segname, int fd, uint64_t off, uint64_t fsize,
		    char *side, size_t cap)
{
	uint8_t *buf;
	uint64_t pos;
	size_t n;
	int out = -1, i, rc = 0;

	side[0] = '\0';
	if (off >= fsize || bpci__tail_is_zero(fd, off, fsize))
		return 0; /* zeros hold nothing to keep */
	for (i = 0; i < 100 && out < 0; i++) {
		if (i == 0)
			snprintf(side, cap, "%s.torn-%llu", segname, (unsigned long long)off);
		else
			snprintf(side, cap, "%s.torn-%llu.%d", segname, (unsigned long long)off, i);
		out = openat(dirfd, side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (out < 0 && errno != EEXIST)
			break;
	}
	if (out < 0 || (buf = bpci__malloc(SCAN_CHUNK)) == NULL) {
		if (out >= 0)
			close(out);
		side[0] = '\0';
		return out < 0 ? BPCI_EIO : BPCI_ENOMEM;
	}
	for (pos = off; pos < fsize && rc == 0; pos += n) {
		n = fsize - pos < SCAN_CHUNK ? (size_t)(fsize - pos) : SCAN_CHUNK;
		rc = bpci__pread_full(fd, buf, n, pos);
		if (rc == 0)
			rc = bpci__write_full(out, buf, n);
	}
	if (rc == 0 && (fsync(out) < 0 || bpci__fsync_dir(dirfd) < 0))
		rc = BPCI_EIO;
	bpci__free(buf);
	close(out);
	return rc;
}
