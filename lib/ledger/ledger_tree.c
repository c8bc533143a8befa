/*
 * The tree cache. Level k (file tree-KK.hashes) holds, for every complete
 * block of 2^k leaves aligned on a multiple of 2^k, that block's subtree
 * hash; level 0 holds the leaf hashes. Every subtree that RFC 6962's
 * roots and proofs combine is either such a block or a run of them whose
 * sizes are the set bits of its length, largest first and each aligned on
 * its own size, so any root or proof is O(log n) reads of 32 bytes,
 * whatever the size of the log. The files are derived data: append writes
 * them after the segment is durable, and a lost or short level is
 * recomputed from the entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "ledger/ledger_internal.h"

const char *bpci__tree_level_name(unsigned level, char buf[32])
{
	snprintf(buf, 32, "tree-%02u.hashes", level);
	return buf;
}

void bpci__tree_init(bpci__tree *t, int dirfd, int readonly)
{
	int k;

	memset(t, 0, sizeof(*t));
	t->dirfd = dirfd;
	t->readonly = readonly;
	for (k = 0; k < LEVELS; k++)
		t->fd[k] = -1;
}

void bpci__tree_close(bpci__tree *t)
{
	int k;

	for (k = 0; k < LEVELS; k++) {
		if (t->fd[k] >= 0)
			close(t->fd[k]);
		t->fd[k] = -1;
	}
}

static int level_open(bpci__tree *t, unsigned k, int create)
{
	char name[32];

	if (t->fd[k] >= 0)
		return 0;
	bpci__tree_level_name(k, name);
	t->fd[k] = openat(t->dirfd, name,
			  (t->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
				  (create && !t->readonly ? O_CREAT : 0),
			  0644);
	if (t->fd[k] < 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	return 0;
}

int bpci__tree_node(bpci__tree *t, uint8_t out[LHASH], unsigned level, uint64_t index)
{
	int rc = level_open(t, level, 0);

	if (rc < 0)
		return rc == BPCI_ENOTFOUND ? BPCI_EIO : rc;
	return bpci__pread_full(t->fd[level], out, LHASH, index * LHASH);
}

/* Recomputes the right edge for t->size from the level files. */
static int load_frontier(bpci__tree *t)
{
	unsigned k;
	int rc;

	for (k = 0; k < LEVELS; k++) {
		if (!((t->size >> k) & 1))
			continue;
		rc = bpci__tree_node(t, t->frontier[k], k, (t->size >> k) - 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int bpci__tree_load(bpci__tree *t, uint64_t limit)
{
	uint64_t bytes, size = limit, have;
	unsigned k;
	int rc;

	for (k = 0; k < LEVELS && (size >> k) > 0; k++) {
		rc = level_open(t, k, 0);
		if (rc == BPCI_ENOTFOUND) {
			have = 0;
		} else if (rc < 0) {
			return rc;
		} else {
			if ((rc = bpci__file_size(t->fd[k], &bytes)) < 0)
				return rc;
			have = bytes / LHASH;
		}
		/* A level that falls short caps the size at what it covers; the
		 * lower levels then still cover it, so one pass settles. */
		if (have < (size >> k))
			size = have << k;
	}
	t->size = size;
	if (!t->readonly && (rc = bpci__tree_truncate(t, size)) < 0)
		return rc;
	return load_frontier(t);
}

int bpci__tree_truncate(bpci__tree *t, uint64_t size)
{
	unsigned k;
	int rc;

	for (k = 0; k < LEVELS; k++) {
		rc = level_open(t, k, (size >> k) > 0);
		if (rc == BPCI_ENOTFOUND)
			continue;
		if (rc < 0 || ftruncate(t->fd[k], (off_t)((size >> k) * LHASH)) < 0)
			return BPCI_EIO;
	}
	t->size = size;
	return load_frontier(t);
}

/* Buffers the nodes one append creates, so each level is one pwrite. */
typedef struct level_buf {
	uint8_t *data;
	size_t len, cap;
	uint64_t first;
} level_buf;

static int flush_levels(bpci__tree *t, level_buf *lb)
{
	int k, rc = 0;

	/* Top level first and the leaves last: a reader that takes the leaf
	 * count as the size then finds every node above it already there. */
	for (k = LEVELS - 1; k >= 0; k--) {
		if (lb[k].len == 0)
			continue;
		if (rc == 0 && (rc = level_open(t, (unsigned)k, 1)) == 0)
			rc = bpci__pwrite_full(t->fd[k], lb[k].data, lb[k].len,
					       lb[k].first * LHASH);
	}
	for (k = 0; k < LEVELS; k++)
		bpci__free(lb[k].data);
	return rc;
}

static int push(level_buf *b, const uint8_t h[LHASH], uint64_t index)
{
	if (b->len == 0)
		b->first = index;
	if (bpci__grow((void **)&b->data, &b->cap, b->len + LHASH, 1) < 0)
		return BPCI_ENOMEM;
	memcpy(b->data + b->len, h, LHASH);
	b->len += LHASH;
	return 0;
}

int bpci__tree_append(bpci__tree *t, bpci__merkle_hasher *h, const uint8_t *leaves, size_t n)
{
	level_buf lb[LEVELS];
	uint8_t cur[LHASH];
	uint64_t pos;
	unsigned k;
	size_t i;
	int rc = 0;

	memset(lb, 0, sizeof(lb));
	for (i = 0; i < n && rc == 0; i++) {
		pos = t->size;
		memcpy(cur, leaves + i * LHASH, LHASH);
		rc = push(&lb[0], cur, pos);
		/* Each trailing 1-bit of the old size closes one more block. */
		for (k = 0; rc == 0 && ((pos >> k) & 1); k++) {
			rc = bpci__merkle_hash_node(h, cur, t->frontier[k], cur);
			if (rc == 0)
				rc = push(&lb[k + 1], cur, ((pos + 1) >> (k + 1)) - 1);
		}
		if (rc == 0) {
			memcpy(t->frontier[k], cur, LHASH);
			t->size++;
		}
	}
	if (rc < 0) {
		for (k = 0; k < LEVELS; k++)
			bpci__free(lb[k].data);
		return rc;
	}
	return flush_levels(t, lb);
}

/*
 * MTH of leaves [lo, hi): the blocks given by the set bits of hi - lo,
 * largest first, folded from the right, which is RFC 6962's split at the
 * largest power of two applied all the way down. Every range the proofs
 * below ask for starts on a multiple of its largest block.
 */
static int range_hash(bpci__tree *t, bpci__merkle_hasher *h, uint8_t out[LHASH], uint64_t lo,
		      uint64_t hi)
{
	uint8_t parts[LEVELS][LHASH];
	uint64_t n = hi - lo, pos = lo;
	int k, count = 0, rc;

	for (k = LEVELS - 1; k >= 0; k--) {
		if (!((n >> k) & 1))
			continue;
		if (pos & ((UINT64_C(1) << k) - 1))
			return BPCI_EINVAL; /* not aligned: a bug in the caller */
		rc = bpci__tree_node(t, parts[count++], (unsigned)k, pos >> k);
		if (rc < 0)
			return rc;
		pos += UINT64_C(1) << k;
	}
	if (count == 0)
		return bpci__merkle_hash_empty(h, out);
	for (k = count - 2; k >= 0; k--)
		if ((rc = bpci__merkle_hash_node(h, parts[k], parts[k], parts[k + 1])) < 0)
			return rc;
	memcpy(out, parts[0], LHASH);
	return 0;
}

int bpci__tree_root(bpci__tree *t, bpci__merkle_hasher *h, uint8_t out[LHASH], uint64_t size)
{
	if (size > t->size)
		return BPCI_EINVAL;
	return range_hash(t, h, out, 0, size);
}

/* A proof collected top-down (ranges), then written deepest first. */
typedef struct walk {
	uint64_t lo[LEVELS + 2], hi[LEVELS + 2];
	size_t n;
} walk;

static void add(walk *w, uint64_t lo, uint64_t hi)
{
	w->lo[w->n] = lo;
	w->hi[w->n++] = hi;
}

static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k <= (n - 1) >> 1)
		k <<= 1;
	return k;
}

static void walk_inclusion(walk *w, uint64_t index, uint64_t size)
{
	uint64_t lo = 0, hi = size, k;

	while (hi - lo > 1) {
		k = split(hi - lo);
		if (index - lo < k) {
			add(w, lo + k, hi);
			hi = lo + k;
		} else {
			add(w, lo, lo + k);
			lo += k;
		}
	}
}

static void walk_consistency(walk *w, uint64_t m, uint64_t size2)
{
	uint64_t lo = 0, hi = size2, k;
	int complete = 1;

	for (;;) {
		if (m == hi - lo) {
			if (!complete)
				add(w, lo, hi);
			return;
		}
		k = split(hi - lo);
		if (m <= k) {
			add(w, lo + k, hi);
			hi = lo + k;
		} else {
			add(w, lo, lo + k);
			lo += k;
			m -= k;
			complete = 0;
		}
	}
}

static int emit(bpci__tree *t, bpci__merkle_hasher *h, const walk *w, uint8_t *path,
		size_t *path_len)
{
	size_t i;
	int rc;

	if (*path_len < w->n) {
		*path_len = w->n;
		return BPCI_EBUFS;
	}
	for (i = 0; i < w->n; i++) {
		rc = range_hash(t, h, path + (w->n - 1 - i) * LHASH, w->lo[i], w->hi[i]);
		if (rc < 0)
			return rc;
	}
	*path_len = w->n;
	return 0;
}

int bpci__tree_inclusion(bpci__tree *t, bpci__merkle_hasher *h, uint8_t *path, size_t *path_len,
			 uint64_t index, uint64_t size)
{
	walk w;

	if (size > t->size || index >= size)
		return BPCI_EINVAL;
	w.n = 0;
	walk_inclusion(&w, index, size);
	return emit(t, h, &w, path, path_len);
}

int bpci__tree_consistency(bpci__tree *t, bpci__merkle_hasher *h, uint8_t *path,
			   size_t *path_len, uint64_t size1, uint64_t size2)
{
	walk w;

	if (size1 == 0 || size1 > size2 || size2 > t->size)
		return BPCI_EINVAL;
	w.n = 0;
	walk_consistency(&w, size1, size2);
	return emit(t, h, &w, path, path_len);
}
