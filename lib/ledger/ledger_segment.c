/*
 * Segment files: segment-NNNNNN.log, numbered from 0 without gaps, each a
 * 16-byte header ("BPCISEG1" and the little-endian seq of its first
 * record) followed by records [u32 length][u32 CRC32C(payload)][payload].
 * The same framing holds the checkpoints file.
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

const char *bpci__segment_name(uint32_t number, char buf[32])
{
	snprintf(buf, 32, "segment-%06u.log", number);
	return buf;
}

void bpci__segments_close(bpci__segment *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	bpci__free(s);
}

static int seg_number(const char *name, uint32_t *number)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "segment-", 8) != 0 || strlen(name) != 18 ||
	    strcmp(name + 14, ".log") != 0)
		return 0;
	v = strtoul(name + 8, &end, 10);
	if (end != name + 14)
		return 0;
	*number = (uint32_t)v;
	return 1;
}

static int cmp_number(const void *a, const void *b)
{
	const bpci__segment *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

static int read_headers(bpci__segment *s, size_t n, int dirfd, int writable, bpci_diag *diag)
{
	uint8_t hdr[FILE_HDR];
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		bpci__segment_name(s[i].number, name);
		if (s[i].number != i)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, name,
					      "is out of sequence: expected segment-%06zu.log "
					      "(a segment is missing)", i);
		s[i].fd = openat(dirfd, name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (s[i].fd < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, name,
					      "cannot be opened: %s", strerror(errno));
		if (bpci__pread_full(s[i].fd, hdr, FILE_HDR, 0) < 0 ||
		    memcmp(hdr, SEG_MAGIC, 8) != 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, name,
					      "header is not \"%s\" and a first seq", SEG_MAGIC);
		s[i].first_seq = bpci__get64(hdr + 8);
		if (i > 0 && s[i].first_seq <= s[i - 1].first_seq)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, name,
					      "first seq %llu does not follow %llu of the "
					      "previous segment",
					      (unsigned long long)s[i].first_seq,
					      (unsigned long long)s[i - 1].first_seq);
		if (i == 0 && s[i].first_seq != 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, name,
					      "first seq must be 0, got %llu",
					      (unsigned long long)s[i].first_seq);
	}
	return 0;
}

int bpci__segments_list(bpci__segment **out, size_t *n, int dirfd, int writable, bpci_diag *diag)
{
	bpci__segment *s = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	uint32_t number;
	DIR *d;
	int fd = dup(dirfd), rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return BPCI_EIO;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!seg_number(de->d_name, &number))
			continue;
		if (bpci__grow((void **)&s, &cap, count + 1, sizeof(*s)) < 0) {
			rc = BPCI_ENOMEM;
			break;
		}
		s[count].number = number;
		s[count].fd = -1;
		s[count++].first_seq = 0;
	}
	closedir(d);
	if (rc == 0 && count > 0) {
		qsort(s, count, sizeof(*s), cmp_number);
		rc = read_headers(s, count, dirfd, writable, diag);
	}
	if (rc < 0) {
		bpci__segments_close(s, count);
		return rc;
	}
	*out = s;
	*n = count;
	return 0;
}

bpci__rec_status bpci__record_read(int fd, uint64_t off, uint64_t fsize, uint32_t max,
				   uint8_t **buf, size_t *cap, uint32_t *len, int *err)
{
	uint8_t hdr[REC_HDR];
	uint32_t n;

	*err = 0;
	if (off == fsize)
		return REC_END;
	if (fsize - off < REC_HDR)
		return REC_SHORT;
	if ((*err = bpci__pread_full(fd, hdr, REC_HDR, off)) < 0)
		return REC_SHORT;
	n = bpci__get32(hdr);
	if (n == 0 || n > max)
		return REC_BADLEN;
	if (fsize - off - REC_HDR < n)
		return REC_SHORT;
	if (bpci__grow((void **)buf, cap, (size_t)n + 1, 1) < 0) {
		*err = BPCI_ENOMEM;
		return REC_SHORT;
	}
	if ((*err = bpci__pread_full(fd, *buf, n, off + REC_HDR)) < 0)
		return REC_SHORT;
	(*buf)[n] = 0;
	*len = n;
	return bpci__crc32c(0, *buf, n) == bpci__get32(hdr + 4) ? REC_OK : REC_BADCRC;
}

int bpci__tail_is_zero(int fd, uint64_t off, uint64_t fsize)
{
	uint8_t chunk[4096];
	size_t n, i;

	while (off < fsize) {
		n = fsize - off < sizeof(chunk) ? (size_t)(fsize - off) : sizeof(chunk);
		if (bpci__pread_full(fd, chunk, n, off) < 0)
			return 0;
		for (i = 0; i < n; i++)
			if (chunk[i])
				return 0;
		off += n;
	}
	return 1;
}

#define READER_CHUNK (1024 * 1024)

void bpci__reader_init(bpci__reader *r, int fd, uint64_t fsize)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->fsize = fsize;
}

void bpci__reader_free(bpci__reader *r)
{
	bpci__free(r->buf);
	r->buf = NULL;
	r->cap = r->len = 0;
}

/* Makes [off, off + need) available in the buffer; 0, BPCI_EIO, ENOMEM. */
static int window(bpci__reader *r, uint64_t off, size_t need)
{
	size_t want;

	if (off >= r->base && off + need <= r->base + r->len)
		return 0;
	want = need > READER_CHUNK ? need : READER_CHUNK;
	if ((uint64_t)want > r->fsize - off)
		want = (size_t)(r->fsize - off);
	if (bpci__grow((void **)&r->buf, &r->cap, want, 1) < 0)
		return BPCI_ENOMEM;
	r->base = off;
	r->len = 0;
	if (bpci__pread_full(r->fd, r->buf, want, off) < 0)
		return BPCI_EIO;
	r->len = want;
	return 0;
}

bpci__rec_status bpci__reader_next(bpci__reader *r, uint64_t off, uint32_t max,
				   const uint8_t **payload, uint32_t *len, int *err)
{
	const uint8_t *hdr;
	uint32_t n;

	*err = 0;
	if (off == r->fsize)
		return REC_END;
	if (r->fsize - off < REC_HDR)
		return REC_SHORT;
	if ((*err = window(r, off, REC_HDR)) < 0)
		return REC_SHORT;
	hdr = r->buf + (off - r->base);
	n = bpci__get32(hdr);
	if (n == 0 || n > max)
		return REC_BADLEN;
	if (r->fsize - off - REC_HDR < n)
		return REC_SHORT;
	if ((*err = window(r, off, REC_HDR + (size_t)n)) < 0)
		return REC_SHORT;
	hdr = r->buf + (off - r->base);
	*payload = hdr + REC_HDR;
	*len = n;
	return bpci__crc32c(0, *payload, n) == bpci__get32(hdr + 4) ? REC_OK : REC_BADCRC;
}
