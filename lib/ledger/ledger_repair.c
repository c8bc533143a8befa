/*
 * The operator's repair: cutting a ledger back to the entry before its
 * first damaged record, when an open refuses to (the damage is not a
 * crash's unacknowledged tail). Nothing is destroyed: every cut byte is
 * kept in a side file, and a cut below what was signed or snapshotted
 * needs the operator's explicit force.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

typedef struct repair {
	int dirfd, lockfd;
	bpci__segment *segs;
	size_t nsegs;
	size_t s;        /* the damaged segment */
	uint64_t fsize;  /* its size */
	bpci_ledger_repair_report *r;
	bpci_diag *diag;
} repair;

static const char *const rec_what[] = {"", "", "record runs past the end of the file",
				       "record length is 0 or too large", "CRC mismatch"};

/* The first damaged record of the segments, into r->r (damaged, first_cut,
 * offset, segment, damage) and rp->s / rp->fsize. */
static int find_damage(repair *rp)
{
	bpci_ledger_repair_report *r = rp->r;
	uint64_t seq = 0, off, fsize = 0, got;
	const uint8_t *rec;
	uint32_t len = 0;
	char why[128];
	bpci__reader rd;
	bpci__rec_status st;
	size_t s;
	int err, rc = 0;

	for (s = 0; s < rp->nsegs && !r->damaged && rc == 0; s++) {
		off = FILE_HDR;
		if ((rc = bpci__file_size(rp->segs[s].fd, &fsize)) < 0)
			break;
		if (rp->segs[s].first_seq != seq)
			return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY,
					      bpci__segment_name(rp->segs[s].number, why),
					      "first seq is %llu, expected %llu: a segment is "
					      "misplaced, which a cut cannot mend",
					      (unsigned long long)rp->segs[s].first_seq,
					      (unsigned long long)seq);
		bpci__reader_init(&rd, rp->segs[s].fd, fsize);
		for (;;) {
			st = bpci__reader_next(&rd, off, BPCI_LEDGER_ENTRY_MAX, &rec, &len, &err);
			if (err == BPCI_ENOMEM) {
				rc = err;
				break;
			}
			if (st == REC_END)
				break;
			why[0] = '\0';
			if (st != REC_OK)
				snprintf(r->damage, sizeof(r->damage), "%s", rec_what[st]);
			else if (bpci__entry_check(&got, (const char *)rec, len, why,
						   sizeof(why)) < 0)
				snprintf(r->damage, sizeof(r->damage), "%s", why);
			else if (got != seq)
				snprintf(r->damage, sizeof(r->damage), "seq is %llu, expected %llu",
					 (unsigned long long)got, (unsigned long long)seq);
			if (r->damage[0]) {
				r->damaged = 1;
				r->first_cut = r->last_seen = seq;
				r->offset = off;
				bpci__segment_name(rp->segs[s].number, r->segment);
				rp->s = s;
				rp->fsize = fsize;
				break;
			}
			off += REC_HDR + len;
			seq++;
		}
		bpci__reader_free(&rd);
	}
	return rc;
}

/* How much the cut takes: the last entry after the damage, the bytes, and
 * whether an open would have cut it itself. */
static int measure(repair *rp)
{
	bpci_ledger_repair_report *r = rp->r;
	uint64_t claimed = 0, fsize, max = r->first_cut;
	struct stat st;
	char name[32];
	bpci__hole h;
	size_t s;
	int found = 0, rc;

	r->bytes = rp->fsize - r->offset;
	rc = bpci__hole_scan(rp->segs[rp->s].fd, r->offset + 1, rp->fsize, UINT64_MAX, &max,
			     &found);
	for (s = rp->s + 1; s < rp->nsegs && rc == 0; s++)
		if ((rc = bpci__file_size(rp->segs[s].fd, &fsize)) == 0) {
			r->bytes += fsize;
			rc = bpci__hole_scan(rp->segs[s].fd, FILE_HDR, fsize, UINT64_MAX, &max,
					     &found);
		}
	if (rc < 0)
		return rc;
	if (found && max > r->first_cut)
		r->last_seen = max;
	if (fstatat(rp->dirfd, "index.offsets", &st, 0) == 0)
		claimed = (uint64_t)st.st_size / 8;
	if (fstatat(rp->dirfd, bpci__tree_level_name(0, name), &st, 0) == 0 &&
	    (uint64_t)st.st_size / LHASH > claimed)
		claimed = (uint64_t)st.st_size / LHASH;
	rc = bpci__hole_judge(&h, rp->dirfd, rp->segs[rp->s].fd, r->first_cut, r->offset,
			      rp->fsize, claimed);
	r->checkpoint_size = h.ckpt_size;
	r->snapshot_size = h.snap_size;
	r->in_flight = rc == 0 && rp->s + 1 == rp->nsegs && h.cuttable;
	return rc;
}

/* Checkpoints over more entries than the cut leaves go to a side file. */
static int cut_checkpoints(repair *rp, uint64_t keep)
{
	uint64_t fsize = 0, off, pos = FILE_HDR, v;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = 0;
	const char *nl;
	char side[80];
	int err, rc = 0, fd = openat(rp->dirfd, "checkpoints", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	if (bpci__file_size(fd, &fsize) < 0) {
		close(fd);
		return BPCI_EIO;
	}
	off = fsize;
	/* Sizes only grow from one checkpoint to the next: the first over
	 * @keep and all after it go. */
	while (bpci__record_read(fd, pos, fsize, CKPT_MAX, &buf, &cap, &len, &err) == REC_OK) {
		nl = memchr(buf, '\n', len);
		v = nl ? strtoull(nl + 1, NULL, 10) : 0;
		if (v > keep && off == fsize)
			off = pos;
		if (off != fsize)
			rp->r->checkpoints_cut++;
		pos += REC_HDR + len;
	}
	bpci__free(buf);
	if (off < fsize) {
		rc = bpci__hole_keep(rp->dirfd, "checkpoints", fd, off, fsize, side, sizeof(side));
		if (rc == 0 && (ftruncate(fd, (off_t)off) < 0 || fsync(fd) < 0))
			rc = BPCI_EIO;
	}
	close(fd);
	return rc;
}

/* Snapshots of more entries than the cut leaves are renamed aside. */
static int cut_snapshots(repair *rp, uint64_t keep)
{
	uint8_t hdr[16];
	struct dirent *de;
	char aside[128];
	DIR *d;
	size_t n;
	int fd, rc = 0, sdir = openat(rp->dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (sdir < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	if ((d = fdopendir(sdir)) == NULL) {
		close(sdir);
		return BPCI_EIO;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".snap") != 0)
			continue;
		if ((fd = openat(sdir, de->d_name, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (bpci__pread_full(fd, hdr, sizeof(hdr), 0) == 0 &&
		    memcmp(hdr, SNAP_MAGIC, 8) == 0 && bpci__get64(hdr + 8) > keep) {
			snprintf(aside, sizeof(aside), "%s.torn-%llu", de->d_name,
				 (unsigned long long)bpci__get64(hdr + 8));
			if (renameat(sdir, de->d_name, sdir, aside) < 0)
				rc = BPCI_EIO;
			else
				rp->r->snapshots_cut++;
		}
		close(fd);
	}
	if (rc == 0)
		rc = bpci__fsync_dir(sdir);
	closedir(d);
	return rc;
}

/* Cuts file @name of @dirfd to @len bytes when it is longer (synced). */
static int truncate_if_longer(int dirfd, const char *name, uint64_t len)
{
	uint64_t size = 0;
	int rc = 0, fd = openat(dirfd, name, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (bpci__file_size(fd, &size) < 0 ||
	    (size > len && (ftruncate(fd, (off_t)len) < 0 || fsync(fd) < 0)))
		rc = -1;
	close(fd);
	return rc;
}

/* The cut itself: side files first, then truncation and renames. */
static int cut(repair *rp)
{
	bpci_ledger_repair_report *r = rp->r;
	uint64_t keep = r->first_cut;
	char name[32], aside[48];
	unsigned k;
	size_t s;
	int rc;

	rc = bpci__hole_keep(rp->dirfd, r->segment, rp->segs[rp->s].fd, r->offset, rp->fsize,
			     r->kept, sizeof(r->kept));
	for (s = rp->s + 1; s < rp->nsegs && rc == 0; s++) {
		bpci__segment_name(rp->segs[s].number, name);
		snprintf(aside, sizeof(aside), "%s.torn-0", name);
		if (renameat(rp->dirfd, name, rp->dirfd, aside) < 0)
			rc = BPCI_EIO;
		else
			r->segments_cut++;
	}
	if (rc == 0 && (ftruncate(rp->segs[rp->s].fd, (off_t)r->offset) < 0 ||
			fsync(rp->segs[rp->s].fd) < 0))
		rc = BPCI_EIO;
	if (rc == 0)
		rc = cut_checkpoints(rp, keep);
	if (rc == 0)
		rc = cut_snapshots(rp, keep);
	/* The derived data must not claim the cut entries acknowledged. */
	if (rc == 0 && truncate_if_longer(rp->dirfd, "index.offsets", keep * 8) < 0)
		rc = BPCI_EIO;
	for (k = 0; k < LEVELS && rc == 0; k++)
		if (truncate_if_longer(rp->dirfd, bpci__tree_level_name(k, name),
				       (keep >> k) * LHASH) < 0)
			rc = BPCI_EIO;
	if (rc == 0)
		rc = bpci__fsync_dir(rp->dirfd);
	if (rc == 0)
		r->cut = 1;
	return rc;
}

/* Whether the cut goes below what was signed or snapshotted. */
static int below_floor(repair *rp, unsigned flags)
{
	bpci_ledger_repair_report *r = rp->r;

	if (flags & (BPCI_LEDGER_REPAIR_FORCE | BPCI_LEDGER_REPAIR_DRY_RUN))
		return 0; /* a dry run reports the floors, the caller judges */
	if (r->first_cut < r->checkpoint_size)
		return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "force",
				      "is needed: the cut at entry %llu goes below a signed "
				      "checkpoint of %llu entries (they were acknowledged, and the "
				      "checkpoint may have been published)",
				      (unsigned long long)r->first_cut,
				      (unsigned long long)r->checkpoint_size);
	if (r->first_cut < r->snapshot_size)
		return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "force",
				      "is needed: the cut at entry %llu goes below a snapshot of "
				      "%llu entries (they were acknowledged)",
				      (unsigned long long)r->first_cut,
				      (unsigned long long)r->snapshot_size);
	return 0;
}

static int start(repair *rp, const char *path)
{
	char *origin = NULL;
	int rc;

	rp->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rp->dirfd < 0)
		return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR,
				      errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO, "path",
				      "cannot open ledger directory %s: %s", path, strerror(errno));
	rc = bpci__format_read(rp->dirfd, &origin, rp->diag);
	bpci__free(origin);
	if (rc == BPCI_ENOTFOUND)
		return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR, rc, "path",
				      "%s holds no ledger", path);
	if (rc < 0)
		return rc;
	rp->lockfd = openat(rp->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (rp->lockfd < 0 || flock(rp->lockfd, LOCK_EX | LOCK_NB) < 0)
		return bpci__diag_add(rp->diag, BPCI_SEVERITY_ERROR,
				      rp->lockfd >= 0 && errno == EWOULDBLOCK ? BPCI_EBUSY : BPCI_EIO,
				      "LOCK", "%s is open for writing by another process (stop it "
				      "first)", path);
	return bpci__segments_list(&rp->segs, &rp->nsegs, rp->dirfd, 1, rp->diag);
}

static void finish(repair *rp)
{
	bpci__segments_close(rp->segs, rp->nsegs);
	if (rp->lockfd >= 0)
		close(rp->lockfd);
	if (rp->dirfd >= 0)
		close(rp->dirfd);
}

/* The tree cache and the index from the segments: after a cut they must
 * match it, and without one they may be what verify blamed. */
static int rebuild(const char *path, bpci_ledger_repair_report *r, bpci_diag *diag)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	int rc;

	o.flags = BPCI_LEDGER_NO_CREATE;
	o.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	rc = bpci_ledger_open(&l, path, &o, diag);
	if (rc == 0)
		rc = bpci_ledger_rebuild_cache(l, diag);
	bpci_ledger_free(l);
	r->rebuilt = rc == 0;
	return rc;
}

int bpci_ledger_repair(bpci_ledger_repair_report *report, const char *path, unsigned int flags,
		       bpci_diag *diag)
{
	repair rp;
	int rc;

	if (report == NULL || path == NULL || report->version != BPCI_LEDGER_REPAIR_REPORT_VERSION ||
	    (flags & ~(BPCI_LEDGER_REPAIR_DRY_RUN | BPCI_LEDGER_REPAIR_FORCE)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "report",
				      "and path are required, report->version must be %d and "
				      "flags only DRY_RUN and FORCE, got 0x%x",
				      BPCI_LEDGER_REPAIR_REPORT_VERSION, flags);
	memset(report, 0, sizeof(*report));
	report->version = BPCI_LEDGER_REPAIR_REPORT_VERSION;
	memset(&rp, 0, sizeof(rp));
	rp.dirfd = rp.lockfd = -1;
	rp.r = report;
	rp.diag = diag;
	rc = start(&rp, path);
	if (rc == 0)
		rc = find_damage(&rp);
	if (rc == 0 && report->damaged)
		rc = measure(&rp);
	if (rc == 0 && report->damaged)
		rc = below_floor(&rp, flags);
	if (rc == 0 && report->damaged && !(flags & BPCI_LEDGER_REPAIR_DRY_RUN)) {
		rc = cut(&rp);
		if (rc == BPCI_EIO)
			bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "path",
				       "the cut in %s failed: %s", path, strerror(errno));
	}
	finish(&rp);
	if (rc == 0 && !(flags & BPCI_LEDGER_REPAIR_DRY_RUN))
		rc = rebuild(path, report, diag);
	return rc;
}
