/*
 * RFC 6962 §2.1 over an in-memory array of leaf hashes: the tree head and
 * the inclusion and consistency proofs.
 *
 * The RFC defines all three recursively. Here the tree head folds a stack of
 * complete subtrees (O(n) hashes, O(log n) stack, no recursion), and the
 * proofs walk the same split points top-down with a loop, writing each
 * sibling's subtree hash from the end of the proof backwards, because the
 * RFC lists the deepest sibling first.
 */
#include <limits.h>
#include <string.h>

#include "bpci/merkle.h"
#include "ledger/merkle_internal.h"

#define HASH BPCI_MERKLE_HASH_SIZE
#define SIZE_BITS (sizeof(size_t) * CHAR_BIT)

size_t bpci__merkle_split(size_t n)
{
	size_t k = 1;

	/* Compared against (n - 1) / 2 so that 2k never overflows. */
	while (k <= (n - 1) >> 1)
		k <<= 1;
	return k;
}

int bpci_merkle_proof_max(size_t size)
{
	int bits = 0;
	size_t v;

	if (size <= 1)
		return 0;
	for (v = size - 1; v != 0; v >>= 1)
		bits++; /* ceil(log2(size)) */
	return bits + 1;
}

/*
 * MTH of @n consecutive leaf hashes. After leaf i is pushed, the stack holds
 * one complete subtree per set bit of i + 1, largest first; merging the two
 * top entries once per trailing 1-bit of i keeps it that way. MTH's split at
 * the largest power of two is then a right-to-left fold of the stack.
 */
static int range_root(bpci__merkle_hasher *h, uint8_t out[HASH], const uint8_t *leaves, size_t n)
{
	uint8_t stack[SIZE_BITS + 1][HASH];
	size_t top = 0, i, j;
	int rc;

	if (n == 0)
		return bpci__merkle_hash_empty(h, out);
	for (i = 0; i < n; i++) {
		memcpy(stack[top++], leaves + i * HASH, HASH);
		for (j = i; j & 1; j >>= 1) {
			top--;
			rc = bpci__merkle_hash_node(h, stack[top - 1], stack[top - 1], stack[top]);
			if (rc < 0)
				return rc;
		}
	}
	for (; top > 1; top--) {
		rc = bpci__merkle_hash_node(h, stack[top - 2], stack[top - 2], stack[top - 1]);
		if (rc < 0)
			return rc;
	}
	memcpy(out, stack[0], HASH);
	return 0;
}

int bpci_merkle_root(uint8_t out[32], const uint8_t *leaf_hashes, size_t n)
{
	bpci__merkle_hasher h;
	uint8_t root[HASH];
	int rc;

	if (out == NULL || (leaf_hashes == NULL && n > 0))
		return BPCI_EINVAL;
	rc = bpci__merkle_hasher_open(&h);
	if (rc < 0)
		return rc;
	rc = range_root(&h, root, leaf_hashes, n);
	bpci__merkle_hasher_close(&h);
	if (rc == 0)
		memcpy(out, root, HASH);
	return rc;
}

/* A proof being written back to front; with path NULL it only counts. */
typedef struct proof_out {
	bpci__merkle_hasher *h;
	const uint8_t *leaves;
	uint8_t *path;
	size_t pos; /* hashes still to write, below this index */
	size_t count;
} proof_out;

/* Adds MTH(leaves[lo:hi]) in front of what the proof holds so far. */
static int emit(proof_out *o, size_t lo, size_t hi)
{
	o->count++;
	if (o->path == NULL)
		return 0;
	o->pos--;
	return range_root(o->h, o->path + o->pos * HASH, o->leaves + lo * HASH, hi - lo);
}

/* PATH(index, D[size]): each split contributes the subtree the leaf is not in. */
static int walk_inclusion(proof_out *o, size_t index, size_t size)
{
	size_t lo = 0, hi = size, k;
	int rc = 0;

	while (hi - lo > 1 && rc == 0) {
		k = bpci__merkle_split(hi - lo);
		if (index - lo < k) {
			rc = emit(o, lo + k, hi);
			hi = lo + k;
		} else {
			rc = emit(o, lo, lo + k);
			lo += k;
		}
	}
	return rc;
}

/*
 * SUBPROOF(m, D[size2], true): descend towards the old tree's right edge;
 * each split contributes the other side, and where the old tree ends inside
 * a subtree reached by a right turn, that subtree itself.
 */
static int walk_consistency(proof_out *o, size_t size1, size_t size2)
{
	size_t lo = 0, hi = size2, m = size1, k;
	int complete = 1, rc = 0;

	while (rc == 0) {
		if (m == hi - lo)
			return complete ? 0 : emit(o, lo, hi);
		k = bpci__merkle_split(hi - lo);
		if (m <= k) {
			rc = emit(o, lo + k, hi);
			hi = lo + k;
		} else {
			rc = emit(o, lo, lo + k);
			lo += k;
			m -= k;
			complete = 0;
		}
	}
	return rc;
}

size_t bpci__merkle_inclusion_len(size_t index, size_t size)
{
	proof_out o = {NULL, NULL, NULL, 0, 0};

	walk_inclusion(&o, index, size);
	return o.count;
}

size_t bpci__merkle_consistency_len(size_t size1, size_t size2)
{
	proof_out o = {NULL, NULL, NULL, 0, 0};

	walk_consistency(&o, size1, size2);
	return o.count;
}

/* Capacity check, then the walk for real (a, b are its two sizes). */
static int write_proof(uint8_t *path, size_t *path_len, const uint8_t *leaves, size_t need,
		       int (*walk)(proof_out *, size_t, size_t), size_t a, size_t b)
{
	bpci__merkle_hasher h;
	proof_out o;
	int rc;

	if (*path_len < need) {
		*path_len = need;
		return BPCI_EBUFS;
	}
	if (need == 0) {
		*path_len = 0;
		return 0;
	}
	rc = bpci__merkle_hasher_open(&h);
	if (rc < 0)
		return rc;
	o.h = &h;
	o.leaves = leaves;
	o.path = path;
	o.pos = need;
	o.count = 0;
	rc = walk(&o, a, b);
	bpci__merkle_hasher_close(&h);
	if (rc == 0)
		*path_len = need;
	return rc;
}

int bpci_merkle_inclusion_proof(uint8_t *path, size_t *path_len, const uint8_t *leaf_hashes,
				size_t n, size_t index)
{
	if (path_len == NULL || leaf_hashes == NULL || (path == NULL && *path_len > 0))
		return BPCI_EINVAL;
	if (n == 0 || index >= n)
		return BPCI_EINVAL;
	return write_proof(path, path_len, leaf_hashes, bpci__merkle_inclusion_len(index, n),
			   walk_inclusion, index, n);
}

int bpci_merkle_consistency_proof(uint8_t *path, size_t *path_len, const uint8_t *leaf_hashes,
				  size_t size1, size_t size2)
{
	if (path_len == NULL || leaf_hashes == NULL || (path == NULL && *path_len > 0))
		return BPCI_EINVAL;
	if (size1 == 0 || size1 > size2)
		return BPCI_EINVAL;
	return write_proof(path, path_len, leaf_hashes, bpci__merkle_consistency_len(size1, size2),
			   walk_consistency, size1, size2);
}
