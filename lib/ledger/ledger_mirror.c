/*
 * The root a log would have after a batch, computed before the batch is
 * appended: a mirror checks the sender's root first and appends nothing
 * that would not match. The RFC 6962 recursion splits at powers of two, so
 * every subtree it meets is either complete, aligned and already in the
 * tree cache (one read), a single new leaf, or straddles the end and is
 * split again: O(log n + k) work for k new leaves.
 */
#include <string.h>

#include "bpci/merkle.h"
#include "ledger/ledger_internal.h"

static int subtree(bpci_ledger *l, uint64_t n, const uint8_t *leaves, uint64_t lo, uint64_t hi,
		   uint8_t out[LHASH])
{
	uint8_t left[LHASH], right[LHASH];
	uint64_t w = hi - lo, k = 1;
	unsigned level = 0;
	int rc;

	if (w == 1 && lo >= n) {
		memcpy(out, leaves + (lo - n) * LHASH, LHASH);
		return 0;
	}
	if (hi <= n && (w & (w - 1)) == 0) {
		while (((uint64_t)1 << level) < w)
			level++;
		return bpci__tree_node(&l->rtree, out, level, lo >> level);
	}
	while (k * 2 < w)
		k *= 2;
	if ((rc = subtree(l, n, leaves, lo, lo + k, left)) < 0 ||
	    (rc = subtree(l, n, leaves, lo + k, hi, right)) < 0)
		return rc;
	bpci_merkle_node_hash(out, left, right);
	return 0;
}

int bpci__ledger_root_after(bpci_ledger *l, uint64_t n, const uint8_t *leaves, size_t k,
			    uint8_t out[LHASH])
{
	int rc;

	pthread_mutex_lock(&l->mu);
	if (n != l->size)
		rc = BPCI_EEXISTS;
	else if (n + k == 0)
		rc = bpci__tree_root(&l->rtree, &l->rhash, out, 0);
	else
		rc = subtree(l, n, leaves, 0, n + k, out);
	pthread_mutex_unlock(&l->mu);
	return rc;
}
