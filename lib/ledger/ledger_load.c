/*
 * Bringing an opened directory to a known state: which entries exist, the
 * hole a crash or a power loss may have left in the last batches, and the
 * index and tree cache caught up with the segments.
 *
 * The cache and the index are written only after the segment data they
 * describe is durable, so whatever count they claim was acknowledged. A
 * damaged record below that count is corruption, never a torn tail: it is
 * reported, not cut. Above it, ledger_hole.c decides (and argues) what
 * could have been in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define CHUNK 4096

static const char *const rec_what[] = {"", "", "record runs past the end of the file",
				       "record length is 0 or too large", "CRC mismatch"};

/* Index of the segment holding @seq (the last whose first_seq <= seq). */
static size_t seg_for(const bpci_ledger *l, uint64_t seq)
{
	size_t lo = 0, hi = l->nsegs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->segs[mid].first_seq <= seq)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int bpci__ledger_read_locked(bpci_ledger *l, uint64_t seq, uint8_t **buf, size_t *cap,
			     uint32_t *len, bpci_diag *diag)
{
	uint8_t raw[8];
	uint64_t off, got = 0;
	size_t s;
	char name[32], why[128];
	int err;
	bpci__rec_status st;

	if (l->idxfd < 0 || l->nsegs == 0 || bpci__pread_full(l->idxfd, raw, 8, seq * 8) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "index.offsets",
				      "cannot read the offset of entry %llu",
				      (unsigned long long)seq);
	off = bpci__get64(raw);
	s = seg_for(l, seq);
	st = bpci__record_read(l->segs[s].fd, off, off + REC_HDR + BPCI_LEDGER_ENTRY_MAX,
			       BPCI_LEDGER_ENTRY_MAX, buf, cap, len, &err);
	if (err == BPCI_ENOMEM)
		return err;
	if (st != REC_OK)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
				      "entry %llu: %s in %s at offset %llu", (unsigned long long)seq,
				      st == REC_BADCRC ? "CRC mismatch" : "damaged record",
				      bpci__segment_name(l->segs[s].number, name),
				      (unsigned long long)off);
	/* The index is derived data: make sure it led to the right record. */
	if (bpci__entry_check(&got, (const char *)*buf, *len, why, sizeof(why)) < 0 || got != seq)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
				      "entry %llu: the index points to offset %llu of %s, which "
				      "does not hold it (rebuild the cache: `bpci-enterprise audit "
				      "repair`)", (unsigned long long)seq,
				      (unsigned long long)off,
				      bpci__segment_name(l->segs[s].number, name));
	return 0;
}

/* Where the record after entry @t - 1 starts (segment index, offset). */
static int position_after(bpci_ledger *l, uint64_t t, size_t *s, uint64_t *off,
			  bpci_diag *diag)
{
	uint8_t *buf = NULL, raw[8];
	size_t cap = 0;
	uint32_t len = 0;
	uint64_t seq = 0;
	char why[128];
	int rc;

	if (t == 0) {
		*s = 0;
		*off = FILE_HDR;
		return 0;
	}
	rc = bpci__ledger_read_locked(l, t - 1, &buf, &cap, &len, diag);
	if (rc == 0 && (bpci__entry_check(&seq, (char *)buf, len, why, sizeof(why)) < 0 ||
			seq != t - 1))
		rc = BPCI_EVERIFY;
	bpci__free(buf);
	if (rc < 0)
		return rc;
	*s = seg_for(l, t - 1);
	if (bpci__pread_full(l->idxfd, raw, 8, (t - 1) * 8) < 0)
		return BPCI_EIO;
	*off = bpci__get64(raw) + REC_HDR + len;
	return 0;
}

typedef struct catchup {
	uint64_t offs[CHUNK];
	uint8_t leaves[CHUNK * LHASH];
	size_t n;
} catchup;

static int flush(bpci_ledger *l, catchup *c)
{
	uint64_t first = l->tree.size;
	size_t i;
	int rc;

	for (i = 0; i < c->n; i++)
		bpci__put64((uint8_t *)&c->offs[i], c->offs[i]);
	rc = bpci__pwrite_full(l->idxfd, c->offs, c->n * 8, first * 8);
	if (rc == 0)
		rc = bpci__tree_append(&l->tree, &l->lhash, c->leaves, c->n);
	c->n = 0;
	return rc;
}

static int damaged(bpci_ledger *l, size_t s, uint64_t seq, uint64_t off, const char *what,
		   bpci_diag *diag)
{
	char name[32];

	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
			      "entry %llu: %s in %s at offset %llu", (unsigned long long)seq, what,
			      bpci__segment_name(l->segs[s].number, name), (unsigned long long)off);
}

/* A damaged record that a crash or a power loss can have left, in the last
 * batches that were in flight (ledger_hole.c has the rule), is cut, its
 * bytes kept beside the segment; anything else is damage and refused. */
static int bad_record(bpci_ledger *l, size_t s, uint64_t seq, uint64_t off, uint64_t fsize,
		      bpci__rec_status st, uint64_t claimed, int dry, bpci_diag *diag)
{
	bpci__hole h;
	char name[32], side[80];
	int rc;

	if (s + 1 != l->nsegs)
		return damaged(l, s, seq, off, rec_what[st], diag);
	rc = bpci__hole_judge(&h, l->dirfd, l->segs[s].fd, seq, off, fsize, claimed);
	if (rc < 0)
		return rc;
	bpci__segment_name(l->segs[s].number, name);
	if (!h.cuttable)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
				      "entry %llu: %s in %s at offset %llu; not cut: %s "
				      "(`bpci-enterprise audit repair` can cut it)",
				      (unsigned long long)seq, rec_what[st], name,
				      (unsigned long long)off, h.why);
	if (dry)
		return 0;
	if ((rc = bpci__hole_keep(l->dirfd, name, l->segs[s].fd, off, fsize, side,
				  sizeof(side))) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, name,
				      "cannot keep a copy of the bytes from offset %llu that a "
				      "cut would remove: %s", (unsigned long long)off,
				      strerror(errno));
	if (ftruncate(l->segs[s].fd, (off_t)off) < 0 || fsync(l->segs[s].fd) < 0)
		return BPCI_EIO;
	bpci__diag_add(diag, BPCI_SEVERITY_WARNING, 0, name,
		       "cut %llu unacknowledged entr%s from seq %llu on (%s at offset %llu, "
		       "%llu bytes; a crash or power loss hit their batch); %s%s",
		       (unsigned long long)h.entries, h.entries == 1 ? "y" : "ies",
		       (unsigned long long)seq, rec_what[st], (unsigned long long)off,
		       (unsigned long long)(fsize - off),
		       side[0] ? "the bytes are kept in " : "they were all zeros",
		       side);
	return 0;
}

/* Reads records from (s, off) on, expecting seq @seq, into index and tree;
 * a @dry run only checks them, so that a refusal changes no file. */
static int scan(bpci_ledger *l, size_t s, uint64_t off, uint64_t seq, uint64_t claimed,
		int dry, bpci_diag *diag)
{
	catchup *c = bpci__calloc(1, sizeof(*c));
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t fsize = 0, got;
	uint32_t len = 0;
	char why[128];
	int rc = c ? 0 : BPCI_ENOMEM, err;
	bpci__rec_status st;

	while (rc == 0 && s < l->nsegs) {
		if (off == FILE_HDR && l->segs[s].first_seq != seq) {
			rc = damaged(l, s, seq, 8, "segment header's first seq is wrong", diag);
			break;
		}
		if ((rc = bpci__file_size(l->segs[s].fd, &fsize)) < 0)
			break;
		st = bpci__record_read(l->segs[s].fd, off, fsize, BPCI_LEDGER_ENTRY_MAX, &buf,
				       &cap, &len, &err);
		if (err == BPCI_ENOMEM) {
			rc = err;
		} else if (st == REC_END) {
			if (s + 1 == l->nsegs)
				break;
			s++;
			off = FILE_HDR;
		} else if (st != REC_OK) {
			rc = bad_record(l, s, seq, off, fsize, st, claimed, dry, diag);
			fsize = off;
			break;
		} else if (bpci__entry_check(&got, (char *)buf, len, why, sizeof(why)) < 0) {
			rc = damaged(l, s, seq, off, why, diag);
		} else if (got != seq) {
			rc = damaged(l, s, seq, off, "seq out of order", diag);
		} else {
			c->offs[c->n] = off;
			if (!dry)
				rc = bpci__merkle_hash_leaf(&l->lhash, c->leaves + c->n * LHASH, buf,
							    len);
			if (rc == 0 && ++c->n == CHUNK) {
				if (dry)
					c->n = 0;
				else
					rc = flush(l, c);
			}
			seq++;
			off += REC_HDR + len;
		}
	}
	if (rc == 0 && c->n > 0 && !dry)
		rc = flush(l, c);
	if (rc == 0 && seq < claimed)
		rc = damaged(l, l->nsegs - 1, seq, off, "missing: the segments end before the "
			     "entries the tree cache covers", diag);
	if (!dry)
		l->seg_size = off;
	bpci__free(buf);
	bpci__free(c);
	return rc;
}

int bpci__ledger_catch_up(bpci_ledger *l, uint64_t t, bpci_diag *diag)
{
	uint64_t off, claimed = 0, isize = 0, lsize = 0;
	size_t s;
	int rc;

	bpci__file_size(l->idxfd, &isize);
	if (l->tree.fd[0] >= 0)
		bpci__file_size(l->tree.fd[0], &lsize);
	claimed = isize / 8 > lsize / LHASH ? isize / 8 : lsize / LHASH;
	if (claimed < l->claimed)
		claimed = l->claimed;
	if (t > 0 && position_after(l, t, &s, &off, NULL) < 0)
		t = 0; /* the cache's last entry is not where it says: rebuild it */
	if (t == 0)
		position_after(l, 0, &s, &off, NULL);
	if ((rc = scan(l, s, off, t, claimed, 1, diag)) < 0)
		return rc;
	if ((rc = bpci__tree_truncate(&l->tree, t)) < 0 ||
	    ftruncate(l->idxfd, (off_t)(t * 8)) < 0)
		return rc < 0 ? rc : BPCI_EIO;
	rc = scan(l, s, off, t, claimed, 0, diag);
	if (rc == 0 && fsync(l->idxfd) < 0)
		rc = BPCI_EIO;
	l->size = l->next_seq = l->rtree.size = l->tree.size;
	return rc;
}

/* Segment 0 of a new ledger, header first under a temporary name, so a
 * crash here never leaves a segment without its header. */
static int new_segment0(bpci_ledger *l, bpci_diag *diag)
{
	uint8_t hdr[FILE_HDR];
	int fd = openat(l->dirfd, "segment-000000.log.tmp",
			O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "segment-000000.log",
				      "cannot be created: %s", strerror(errno));
	memcpy(hdr, SEG_MAGIC, 8);
	bpci__put64(hdr + 8, 0);
	if (bpci__write_full(fd, hdr, FILE_HDR) < 0 || fsync(fd) < 0 ||
	    renameat(l->dirfd, "segment-000000.log.tmp", l->dirfd, "segment-000000.log") < 0 ||
	    bpci__fsync_dir(l->dirfd) < 0) {
		close(fd);
		return BPCI_EIO;
	}
	if (bpci__grow((void **)&l->segs, &l->segcap, 1, sizeof(*l->segs)) < 0) {
		close(fd);
		return BPCI_ENOMEM;
	}
	l->segs[0].number = 0;
	l->segs[0].first_seq = 0;
	l->segs[0].fd = fd;
	l->nsegs = 1;
	return 0;
}

int bpci__ledger_load(bpci_ledger *l, bpci_diag *diag)
{
	int ro = (l->flags & BPCI_LEDGER_READONLY) != 0, rc;
	uint64_t isize = 0, t;
	struct stat st;
	char name[32];

	bpci__segments_close(l->segs, l->nsegs);
	l->segs = NULL;
	l->nsegs = l->segcap = 0;
	rc = bpci__segments_list(&l->segs, &l->nsegs, l->dirfd, !ro, diag);
	if (rc < 0)
		return rc;
	l->segcap = l->nsegs;
	if (l->nsegs == 0 && !ro && (rc = new_segment0(l, diag)) < 0)
		return rc;
	if (l->idxfd < 0)
		l->idxfd = openat(l->dirfd, "index.offsets",
				  (ro ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
	if (l->idxfd >= 0 && (rc = bpci__file_size(l->idxfd, &isize)) < 0)
		return rc;
	/* What level 0 of the tree cache covered before the load cuts it to
	 * the index: acknowledged too, though the index lost its part. */
	if (fstatat(l->dirfd, bpci__tree_level_name(0, name), &st, 0) == 0 &&
	    (uint64_t)st.st_size / LHASH > l->claimed)
		l->claimed = (uint64_t)st.st_size / LHASH;
	if ((rc = bpci__tree_load(&l->tree, isize / 8)) < 0)
		return rc;
	t = l->tree.size;
	/* What a killed writer left in the page cache becomes durable before
	 * the index (synced by the catch-up) may claim it, and before the
	 * batch bound may be lowered (ledger_hole.c). */
	if (!ro && fdatasync(l->segs[l->nsegs - 1].fd) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "path",
				      "cannot sync the last segment of %s: %s", l->path,
				      strerror(errno));
	if (!ro)
		return bpci__ledger_catch_up(l, t, diag);
	if (t > 0 && (l->nsegs == 0 || position_after(l, t, &(size_t){0}, &(uint64_t){0},
						       diag) < 0))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "tree cache",
				      "covers %llu entries that the segments do not hold as it "
				      "says; open the ledger writable to rebuild it, or verify it",
				      (unsigned long long)t);
	l->size = l->next_seq = l->rtree.size = t;
	return 0;
}
