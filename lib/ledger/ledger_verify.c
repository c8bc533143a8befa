/*
 * bpci_ledger_verify: trust nothing derived. Every record is re-read and
 * CRC-checked, every entry parsed and its seq checked, every leaf and
 * every node of the tree recomputed and compared with the cache, every
 * index slot compared with where the record really is; then, over the
 * cache now known to be right, every checkpoint's signature, root and
 * consistency with its predecessor. The first problem ends the run and is
 * named with its file and offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bpci/merkle.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define STREAM_BUF 65536

/* Sequential reader of one level file (or of the index). */
typedef struct stream {
	int fd;
	uint8_t *buf;
	size_t have, pos;
	uint64_t off;
} stream;

static int stream_next(stream *s, uint8_t *out, size_t n)
{
	ssize_t got;

	if (s->buf == NULL)
		return BPCI_ENOTFOUND;
	if (s->pos + n > s->have) {
		memmove(s->buf, s->buf + s->pos, s->have - s->pos);
		s->have -= s->pos;
		s->pos = 0;
		got = s->fd < 0 ? 0 : pread(s->fd, s->buf + s->have, STREAM_BUF - s->have,
					    (off_t)s->off);
		if (got < 0)
			return BPCI_EIO;
		s->have += (size_t)got;
		s->off += (uint64_t)got;
		if (s->have < n)
			return BPCI_ENOTFOUND;
	}
	memcpy(out, s->buf + s->pos, n);
	s->pos += n;
	return 0;
}

typedef struct verifier {
	int dirfd;
	bpci_diag *diag;
	bpci__segment *segs;
	size_t nsegs;
	stream idx, lvl[LEVELS];
	uint8_t frontier[LEVELS][LHASH];
	uint64_t n, claimed;
	bpci__merkle_hasher h;
	bpci_ledger_progress_cb progress;
	void *payload;
	char *origin, *vname;
	uint8_t pub[32], id[4];
	int live;        /* a writer holds the ledger: check a prefix only */
	int lockfd;
	uint64_t limit;  /* live: the entries the cache covered at the start */
} verifier;

static int fail(verifier *v, const char *fmt, const char *a, uint64_t x, uint64_t y)
{
	return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "", fmt, a,
			      (unsigned long long)x, (unsigned long long)y);
}

/*
 * The cache may lag the segments: a crash (or a failed append) can come
 * after an entry is durable and before its hashes are written, and the
 * next writable open completes them. So a hash may be missing when its
 * block ends past what level 0 covered (@required is 0), but every hash
 * that is there must be right.
 */
static int check_node(verifier *v, unsigned k, uint64_t index, const uint8_t h[LHASH],
		      int required)
{
	uint8_t got[LHASH];
	char name[32];
	int rc = stream_next(&v->lvl[k], got, LHASH);

	bpci__tree_level_name(k, name);
	if (rc == BPCI_ENOTFOUND && !required)
		return 0;
	if (rc == BPCI_ENOTFOUND)
		return fail(v, "%s: hash %llu is missing (level %llu of the tree cache)", name,
			    index, k);
	if (rc < 0)
		return rc;
	if (memcmp(got, h, LHASH) != 0)
		return fail(v, "%s: hash %llu differs from the one recomputed from the entries "
			    "(level %llu of the tree cache)", name, index, k);
	return 0;
}

/* One more leaf: compare it and every node it completes with the cache. */
static int add_leaf(verifier *v, const uint8_t leaf[LHASH], uint64_t seq, uint64_t off)
{
	uint8_t cur[LHASH], raw[8];
	unsigned k;
	int rc = stream_next(&v->idx, raw, 8);

	if (rc == BPCI_ENOTFOUND && seq < v->limit)
		return fail(v, "%s: entry %llu has no offset (the tree cache covers %llu)",
			    "index.offsets", seq, v->limit);
	if (rc < 0 && rc != BPCI_ENOTFOUND)
		return rc;
	if (rc == 0 && bpci__get64(raw) != off)
		return fail(v, "%s: entry %llu has offset %llu, but its record is elsewhere",
			    "index.offsets", seq, bpci__get64(raw));
	memcpy(cur, leaf, LHASH);
	if ((rc = check_node(v, 0, seq, cur, seq < v->limit)) < 0)
		return rc;
	for (k = 0; (seq >> k) & 1; k++) {
		if ((rc = bpci__merkle_hash_node(&v->h, cur, v->frontier[k], cur)) < 0 ||
		    (rc = check_node(v, k + 1, ((seq + 1) >> (k + 1)) - 1, cur,
				     seq + 1 <= v->limit)) < 0)
			return rc;
	}
	memcpy(v->frontier[k], cur, LHASH);
	return 0;
}

/* A damaged record that a writable open would cut (a crash's or a power
 * loss's unacknowledged tail, by the rule of ledger_hole.c) ends the log
 * with a warning; any other is named as damage. */
static int bad_record(verifier *v, size_t s, uint64_t seq, uint64_t off, uint64_t fsize,
		      bpci__rec_status st, int *stop)
{
	static const char *const what[] = {"", "", "record runs past the end of the file",
					   "record length is 0 or too large", "CRC mismatch"};
	char name[32], msg[200];
	bpci__hole h;
	int rc;

	bpci__segment_name(v->segs[s].number, name);
	if (s + 1 == v->nsegs && !v->live) {
		rc = bpci__hole_judge(&h, v->dirfd, v->segs[s].fd, seq, off, fsize, v->claimed);
		if (rc < 0)
			return rc;
		if (h.cuttable) {
			*stop = 1;
			bpci__diag_add(v->diag, BPCI_SEVERITY_WARNING, 0, name,
				       "torn record at offset %llu after entry %llu (%s; %llu "
				       "entr%s from seq %llu on were never acknowledged: a crash or "
				       "power loss hit their batch; opening the ledger cuts them)",
				       (unsigned long long)off, (unsigned long long)seq, what[st],
				       (unsigned long long)h.entries, h.entries == 1 ? "y" : "ies",
				       (unsigned long long)seq);
			return 0;
		}
	}
	snprintf(msg, sizeof(msg), "entry %%llu: %s in %%s at offset %%llu", what[st]);
	return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "", msg,
			      (unsigned long long)seq, name, (unsigned long long)off);
}

static int entry_error(verifier *v, size_t s, uint64_t seq, uint64_t off, const char *why)
{
	char name[32];

	return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
			      "entry %llu: %s in %s at offset %llu", (unsigned long long)seq, why,
			      bpci__segment_name(v->segs[s].number, name), (unsigned long long)off);
}

static int scan_segment(verifier *v, size_t s, int *stop)
{
	uint64_t fsize, off = FILE_HDR, got;
	const uint8_t *rec;
	uint8_t leaf[LHASH];
	uint32_t len = 0;
	char why[128];
	int rc, err;
	bpci__reader r;
	bpci__rec_status st;

	if (v->segs[s].first_seq != v->n)
		return entry_error(v, s, v->n, 8, "segment header's first seq is wrong");
	if ((rc = bpci__file_size(v->segs[s].fd, &fsize)) < 0)
		return rc;
	bpci__reader_init(&r, v->segs[s].fd, fsize);
	for (;;) {
		if (v->live && v->n >= v->limit) {
			*stop = 1;
			rc = 0;
			break;
		}
		st = bpci__reader_next(&r, off, BPCI_LEDGER_ENTRY_MAX, &rec, &len, &err);
		if (err == BPCI_ENOMEM) {
			rc = err;
			break;
		}
		if (st == REC_END) {
			rc = 0;
			break;
		}
		if (st != REC_OK) {
			rc = bad_record(v, s, v->n, off, fsize, st, stop);
			break;
		}
		if (bpci__entry_check(&got, (const char *)rec, len, why, sizeof(why)) < 0) {
			rc = entry_error(v, s, v->n, off, why);
			break;
		}
		if (got != v->n) {
			snprintf(why, sizeof(why), "seq is %llu, expected %llu",
				 (unsigned long long)got, (unsigned long long)v->n);
			rc = entry_error(v, s, v->n, off, why);
			break;
		}
		if ((rc = bpci__merkle_hash_leaf(&v->h, leaf, rec, len)) < 0 ||
		    (rc = add_leaf(v, leaf, v->n, off)) < 0)
			break;
		off += REC_HDR + len;
		if ((++v->n & 0xffff) == 0 && v->progress &&
		    (rc = v->progress(v->n, v->claimed, v->payload)) != 0)
			break;
	}
	bpci__reader_free(&r);
	return rc;
}

/* Nothing may follow the last entry in the index or any level. */
/* Nothing may follow the last entry in the index or any level, and each
 * must cover what level 0 covers. */
static int check_lengths(verifier *v)
{
	uint64_t bytes = 0, have;
	char name[32];
	unsigned k;

	if (v->n < v->limit)
		return fail(v, "%s: the segments end after %llu entries, the cache covers %llu",
			    "index.offsets", v->n, v->limit);
	if (v->live)
		return 0; /* the writer keeps extending the files past our prefix */
	if (v->idx.fd >= 0 && bpci__file_size(v->idx.fd, &bytes) == 0 && bytes > v->n * 8)
		return fail(v, "%s: holds %llu bytes, but the segments hold %llu entries (8 bytes "
			    "each): entries are missing or the index is damaged", "index.offsets",
			    bytes, v->n);
	for (k = 0; k < LEVELS; k++) {
		bytes = 0;
		if (v->lvl[k].fd >= 0 && bpci__file_size(v->lvl[k].fd, &bytes) < 0)
			return BPCI_EIO;
		have = bytes / LHASH;
		if (bytes % LHASH || have > (v->n >> k) || have < (v->limit >> k))
			return fail(v, "%s: holds %llu bytes, expected %llu for the entries",
				    bpci__tree_level_name(k, name), bytes, (v->n >> k) * LHASH);
	}
	if (v->limit < v->n)
		bpci__diag_add(v->diag, BPCI_SEVERITY_WARNING, 0, "",
			       "the tree cache covers %llu of the %llu entries (a crash came "
			       "before it was updated); a writable open completes it",
			       (unsigned long long)v->limit, (unsigned long long)v->n);
	return 0;
}

static int open_level(verifier *v, unsigned k)
{
	char name[32];

	v->lvl[k].fd = openat(v->dirfd, bpci__tree_level_name(k, name), O_RDONLY | O_CLOEXEC);
	/* A missing level reads as empty and needs no buffer. */
	if (v->lvl[k].fd >= 0 && (v->lvl[k].buf = bpci__malloc(STREAM_BUF)) == NULL)
		return BPCI_ENOMEM;
	return 0;
}

/*
 * Level 0 is opened and measured FIRST: a writer extends level 0 last, so
 * once level 0 covers an entry, the index and every higher level already
 * hold what that prefix needs. The other files are opened only after that
 * measurement; opened before it, a level file the writer had not created
 * yet would read as empty although the measured prefix needs its hashes.
 */
static int open_streams(verifier *v)
{
	uint64_t bytes = 0;
	unsigned k;
	int rc;

	if ((rc = open_level(v, 0)) < 0)
		return rc;
	if (v->lvl[0].fd >= 0 && bpci__file_size(v->lvl[0].fd, &bytes) == 0)
		v->limit = bytes / LHASH;
	for (k = 1; k < LEVELS; k++)
		if ((rc = open_level(v, k)) < 0)
			return rc;
	v->idx.fd = openat(v->dirfd, "index.offsets", O_RDONLY | O_CLOEXEC);
	if ((v->idx.buf = bpci__malloc(STREAM_BUF)) == NULL)
		return BPCI_ENOMEM;
	if (v->idx.fd >= 0)
		bpci__file_size(v->idx.fd, &v->claimed);
	v->claimed /= 8;
	if (v->limit > v->claimed)
		v->claimed = v->limit;
	return 0;
}

static void close_streams(verifier *v)
{
	unsigned k;

	if (v->idx.fd >= 0)
		close(v->idx.fd);
	bpci__free(v->idx.buf);
	for (k = 0; k < LEVELS; k++) {
		if (v->lvl[k].fd >= 0)
			close(v->lvl[k].fd);
		bpci__free(v->lvl[k].buf);
	}
}

static int verify_entries(verifier *v)
{
	size_t s;
	int rc = 0, stop = 0;

	for (s = 0; s < v->nsegs && rc == 0 && !stop; s++)
		rc = scan_segment(v, s, &stop);
	if (rc == 0)
		rc = check_lengths(v);
	if (rc == 0 && v->progress)
		rc = v->progress(v->n, v->n, v->payload);
	return rc;
}

static int verify_checkpoints(verifier *v);

/*
 * With no writer, a shared lock keeps one from starting, and everything
 * must match exactly. With a writer at work, the files grow under us: check
 * the prefix the tree cache covered when we started, which the writer no
 * longer changes.
 */
static int take_view(verifier *v)
{
	v->lockfd = openat(v->dirfd, "LOCK", O_RDONLY | O_CLOEXEC);
	if (v->lockfd < 0 || flock(v->lockfd, LOCK_SH | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return BPCI_EIO;
	v->live = 1;
	bpci__diag_add(v->diag, BPCI_SEVERITY_WARNING, 0, "", "a writer has the ledger open: "
		       "checking the entries its tree cache covered when verify started");
	return 0;
}

static int setup_key(verifier *v, const bpci_ledger_verify_options *o)
{
	int rc;

	if (o->vkey) {
		rc = bpci__vkey_parse(&v->vname, v->pub, v->id, o->vkey);
		if (rc < 0)
			return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, rc, "vkey",
					      "is not a valid verifier key: \"%.100s\"", o->vkey);
		return 0;
	}
	if ((v->vname = bpci__strdup(v->origin)) == NULL)
		return BPCI_ENOMEM;
	if (bpci__key_read_public(v->dirfd, v->pub) < 0)
		return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "key.pem",
				      "neither key.pem nor key.pub gives the ledger's public key");
	bpci__key_id(v->id, v->vname, v->pub);
	return 0;
}

int bpci_ledger_verify(const char *path, const bpci_ledger_verify_options *options,
		       bpci_diag *diag, bpci_ledger_progress_cb progress, void *payload)
{
	bpci_ledger_verify_options defaults = BPCI_LEDGER_VERIFY_OPTIONS_INIT;
	const bpci_ledger_verify_options *o = options ? options : &defaults;
	verifier v;
	int rc;

	if (path == NULL || o->version != BPCI_LEDGER_VERIFY_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "options",
				      "path is required and version must be %d",
				      BPCI_LEDGER_VERIFY_OPTIONS_VERSION);
	memset(&v, 0, sizeof(v));
	v.diag = diag;
	v.progress = progress;
	v.payload = payload;
	v.idx.fd = v.lockfd = -1;
	for (rc = 0; rc < LEVELS; rc++)
		v.lvl[rc].fd = -1;
	v.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.dirfd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
				      errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO, "path",
				      "cannot open ledger directory %s: %s", path, strerror(errno));
	if ((rc = bpci__merkle_hasher_open(&v.h)) < 0) {
		close(v.dirfd);
		return rc;
	}
	rc = bpci__format_read(v.dirfd, &v.origin, diag);
	if (rc == BPCI_ENOTFOUND)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "path", "%s holds no ledger",
				    path);
	if (rc == 0)
		rc = take_view(&v);
	if (rc == 0)
		rc = setup_key(&v, o);
	/* The cache's extent first: the segments listed after it then hold at
	 * least what it covers, even while a writer rolls to a new segment. */
	if (rc == 0)
		rc = open_streams(&v);
	if (rc == 0)
		rc = bpci__segments_list(&v.segs, &v.nsegs, v.dirfd, 0, diag);
	if (rc == 0)
		rc = verify_entries(&v);
	if (rc == 0)
		rc = verify_checkpoints(&v);
	close_streams(&v);
	bpci__segments_close(v.segs, v.nsegs);
	bpci__merkle_hasher_close(&v.h);
	bpci__free(v.origin);
	bpci__free(v.vname);
	if (v.lockfd >= 0)
		close(v.lockfd);
	close(v.dirfd);
	return rc;
}

/* ---- checkpoints ---- */

static int ckpt_fail(verifier *v, uint64_t i, const char *fmt, const char *detail)
{
	return bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
			      "checkpoint %llu: %s%s", (unsigned long long)i, fmt, detail);
}

typedef struct prev_ckpt {
	uint64_t size;
	uint8_t root[LHASH];
	int have, newer;
} prev_ckpt;

static int check_one(verifier *v, bpci__tree *t, uint64_t i, const char *note, size_t len,
		     prev_ckpt *prev)
{
	uint8_t root[LHASH], want[LHASH], path[66 * LHASH];
	size_t plen = 66;
	uint64_t size;
	char why[160];
	int rc = bpci__note_verify(&size, root, NULL, note, len, v->vname, v->pub, v->id, why,
				   sizeof(why));

	if (rc < 0)
		return ckpt_fail(v, i, why, "");
	if (size > v->n && v->live) {
		prev->newer = 1; /* signed after this verify took its view */
		return 0;
	}
	if (size > v->n) {
		snprintf(why, sizeof(why), " (%llu) but the ledger holds %llu",
			 (unsigned long long)size, (unsigned long long)v->n);
		return ckpt_fail(v, i, "covers more entries", why);
	}
	if ((rc = bpci__tree_root(t, &v->h, want, size)) < 0)
		return rc;
	if (memcmp(want, root, LHASH) != 0)
		return ckpt_fail(v, i, "root differs from the entries' tree at its size", "");
	if (prev->have && size < prev->size)
		return ckpt_fail(v, i, "size is smaller than the previous checkpoint's", "");
	if (prev->have && prev->size > 0) {
		if ((rc = bpci__tree_consistency(t, &v->h, path, &plen, prev->size, size)) < 0)
			return rc;
		if (bpci_merkle_verify_consistency(prev->size, size, path, plen, prev->root,
						   root) < 0)
			return ckpt_fail(v, i, "not consistent with the previous checkpoint", "");
	}
	prev->size = size;
	memcpy(prev->root, root, LHASH);
	prev->have = 1;
	return 0;
}

static int verify_checkpoints(verifier *v)
{
	int fd = openat(v->dirfd, "checkpoints", O_RDONLY | O_CLOEXEC), rc = 0, err;
	uint64_t fsize = 0, off = FILE_HDR, i = 0;
	uint8_t hdr[FILE_HDR], *buf = NULL;
	size_t cap = 0;
	uint32_t len = 0;
	prev_ckpt prev = {0, {0}, 0, 0};
	bpci__tree t;
	bpci__rec_status st;

	if (fd < 0)
		return errno == ENOENT ? 0 : BPCI_EIO;
	bpci__tree_init(&t, v->dirfd, 1);
	t.size = v->n;
	if (bpci__file_size(fd, &fsize) < 0 || fsize < FILE_HDR ||
	    bpci__pread_full(fd, hdr, FILE_HDR, 0) < 0 || memcmp(hdr, CKPT_MAGIC, 8) != 0 ||
	    memcmp(hdr + 8, "\0\0\0\0\0\0\0\0", 8) != 0)
		rc = bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "checkpoints",
				    "header is not \"%s\" and zeros", CKPT_MAGIC);
	while (rc == 0) {
		st = bpci__record_read(fd, off, fsize, CKPT_MAX, &buf, &cap, &len, &err);
		if (err == BPCI_ENOMEM)
			rc = err;
		else if (st == REC_END)
			break;
		else if (v->live && (st == REC_SHORT || (st == REC_BADCRC &&
							 off + REC_HDR + len == fsize)))
			break; /* the writer is appending this one right now */
		else if (st != REC_OK)
			rc = bpci__diag_add(v->diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
					    "checkpoint %llu: %s in checkpoints at offset %llu",
					    (unsigned long long)i,
					    st == REC_BADCRC ? "CRC mismatch" : "damaged record",
					    (unsigned long long)off);
		else
			rc = check_one(v, &t, i++, (char *)buf, len, &prev);
		off += REC_HDR + len;
		if (prev.newer)
			break;
	}
	bpci__free(buf);
	bpci__tree_close(&t);
	close(fd);
	return rc;
}
