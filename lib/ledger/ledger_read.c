/*
 * Reading a ledger: entries by sequence number (index, then one record),
 * iteration, and roots and proofs from the tree cache. Readers hold the
 * mutex only for the few reads of one lookup.
 */
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

int bpci_ledger_get(char **out, size_t *len, bpci_ledger *l, uint64_t seq, bpci_diag *diag)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t n = 0;
	int rc;

	if (out == NULL || l == NULL)
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	if (seq >= l->size)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "seq",
				    "%llu is beyond the ledger's %llu entries",
				    (unsigned long long)seq, (unsigned long long)l->size);
	else
		rc = bpci__ledger_read_locked(l, seq, &buf, &cap, &n, diag);
	pthread_mutex_unlock(&l->mu);
	if (rc < 0) {
		bpci__free(buf);
		return rc;
	}
	*out = (char *)buf;
	if (len)
		*len = n;
	return 0;
}

int bpci_ledger_foreach(bpci_ledger *l, uint64_t from, bpci_ledger_entry_cb cb, void *payload)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t n = 0;
	uint64_t seq, end;
	int rc = 0;

	if (l == NULL || cb == NULL)
		return BPCI_EINVAL;
	end = bpci_ledger_size(l);
	for (seq = from; seq < end && rc == 0; seq++) {
		pthread_mutex_lock(&l->mu);
		rc = bpci__ledger_read_locked(l, seq, &buf, &cap, &n, NULL);
		pthread_mutex_unlock(&l->mu);
		if (rc == 0)
			rc = cb(seq, (const char *)buf, n, payload);
	}
	bpci__free(buf);
	return rc;
}

int bpci_ledger_leaf_hash(uint8_t out[32], bpci_ledger *l, uint64_t seq)
{
	int rc;

	if (out == NULL || l == NULL)
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	rc = seq < l->size ? bpci__tree_node(&l->rtree, out, 0, seq) : BPCI_ENOTFOUND;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_root(uint8_t out[32], bpci_ledger *l, uint64_t size)
{
	uint8_t root[LHASH];
	int rc;

	if (out == NULL || l == NULL)
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	rc = bpci__tree_root(&l->rtree, &l->rhash, root, size);
	pthread_mutex_unlock(&l->mu);
	if (rc == 0)
		memcpy(out, root, LHASH);
	return rc;
}

int bpci_ledger_inclusion_proof(uint8_t *path, size_t *path_len, bpci_ledger *l, uint64_t index,
				uint64_t size)
{
	int rc;

	if (path_len == NULL || l == NULL || (path == NULL && *path_len > 0))
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	rc = bpci__tree_inclusion(&l->rtree, &l->rhash, path, path_len, index, size);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_consistency_proof(uint8_t *path, size_t *path_len, bpci_ledger *l,
				  uint64_t size1, uint64_t size2)
{
	int rc;

	if (path_len == NULL || l == NULL || (path == NULL && *path_len > 0))
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	rc = bpci__tree_consistency(&l->rtree, &l->rhash, path, path_len, size1, size2);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_rebuild_cache(bpci_ledger *l, bpci_diag *diag)
{
	uint64_t before;
	int rc;

	if (l == NULL)
		return BPCI_EINVAL;
	if (l->flags & BPCI_LEDGER_READONLY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "is open read-only: rebuilding the cache needs the writer");
	pthread_mutex_lock(&l->mu);
	while (l->busy > 0)
		pthread_cond_wait(&l->cv_idle, &l->mu);
	before = l->size;
	rc = l->broken ? l->broken : bpci__ledger_catch_up(l, 0, diag);
	if (rc == 0 && l->size != before)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "segments",
				    "hold %llu entries, not the %llu the ledger had",
				    (unsigned long long)l->size, (unsigned long long)before);
	if (rc < 0)
		l->broken = rc;
	pthread_mutex_unlock(&l->mu);
	return rc;
}
