/*
 * Verification of RFC 6962 proofs, following RFC 9162 §2.1.3.2 (inclusion)
 * and §2.1.4.2 (consistency) step by step.
 *
 * Strictness: before any hashing, the proof must have exactly the length
 * that generation produces for these sizes. The RFC's own loop would also
 * refuse a proof that is too long (sn reaches 0 early) or too short (sn is
 * not 0 at the end); the up-front check keeps that property obvious, and
 * the loop's checks stay as the RFC writes them.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "bpci/merkle.h"
#include "ledger/merkle_internal.h"

#define HASH BPCI_MERKLE_HASH_SIZE

static int same(const uint8_t a[HASH], const uint8_t b[HASH])
{
	return CRYPTO_memcmp(a, b, HASH) == 0;
}

/* RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is
 * set or fn is 0", i.e. climb past the levels where the path is a left
 * child with no right sibling. */
static void skip_lone_levels(size_t *fn, size_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

static int inclusion_chain(bpci__merkle_hasher *h, uint8_t r[HASH], size_t index, size_t size,
			   const uint8_t *path, size_t path_len)
{
	size_t fn = index, sn = size - 1, i;
	int rc;

	for (i = 0; i < path_len; i++) {
		const uint8_t *p = path + i * HASH;

		if (sn == 0)
			return BPCI_EVERIFY;
		if ((fn & 1) || fn == sn) {
			rc = bpci__merkle_hash_node(h, r, p, r);
			if ((fn & 1) == 0)
				skip_lone_levels(&fn, &sn);
		} else {
			rc = bpci__merkle_hash_node(h, r, r, p);
		}
		if (rc < 0)
			return rc;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 ? 0 : BPCI_EVERIFY;
}

int bpci_merkle_verify_inclusion(const uint8_t leaf_hash[32], size_t index, size_t size,
				 const uint8_t *path, size_t path_len, const uint8_t root[32])
{
	bpci__merkle_hasher h;
	uint8_t r[HASH];
	int rc;

	if (leaf_hash == NULL || root == NULL || (path == NULL && path_len > 0))
		return BPCI_EINVAL;
	if (size == 0 || index >= size)
		return BPCI_EINVAL;
	if (path_len != bpci__merkle_inclusion_len(index, size))
		return BPCI_EVERIFY;
	rc = bpci__merkle_hasher_open(&h);
	if (rc < 0)
		return rc;
	memcpy(r, leaf_hash, HASH);
	rc = inclusion_chain(&h, r, index, size, path, path_len);
	bpci__merkle_hasher_close(&h);
	if (rc == 0 && !same(r, root))
		rc = BPCI_EVERIFY;
	return rc;
}

/* Steps 3-6 of RFC 9162 §2.1.4.2: fr rebuilds the old root, sr the new. */
static int consistency_chain(bpci__merkle_hasher *h, uint8_t fr[HASH], uint8_t sr[HASH],
			     size_t size1, size_t size2, const uint8_t *path, size_t n)
{
	size_t fn = size1 - 1, sn = size2 - 1, i;
	int rc;

	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *c = path + i * HASH;

		if (sn == 0)
			return BPCI_EVERIFY;
		if ((fn & 1) || fn == sn) {
			rc = bpci__merkle_hash_node(h, fr, c, fr);
			if (rc == 0)
				rc = bpci__merkle_hash_node(h, sr, c, sr);
			if ((fn & 1) == 0)
				skip_lone_levels(&fn, &sn);
		} else {
			rc = bpci__merkle_hash_node(h, sr, sr, c);
		}
		if (rc < 0)
			return rc;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 ? 0 : BPCI_EVERIFY;
}

int bpci_merkle_verify_consistency(size_t size1, size_t size2, const uint8_t *path,
				   size_t path_len, const uint8_t root1[32], const uint8_t root2[32])
{
	bpci__merkle_hasher h;
	uint8_t fr[HASH], sr[HASH];
	const uint8_t *rest = path;
	size_t n = path_len;
	int rc;

	if (root1 == NULL || root2 == NULL || (path == NULL && path_len > 0))
		return BPCI_EINVAL;
	if (size1 == 0 || size1 > size2)
		return BPCI_EINVAL;
	if (path_len != bpci__merkle_consistency_len(size1, size2))
		return BPCI_EVERIFY;
	if (size1 == size2)
		return same(root1, root2) ? 0 : BPCI_EVERIFY;
	/* The proof omits the old root when the old tree is a complete
	 * subtree of the new one (a power of two): the verifier supplies it
	 * (step 2, "prepend first_hash"). Otherwise the proof starts with the
	 * old tree's rightmost complete subtree. Either seeds both chains. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, HASH);
	} else {
		memcpy(fr, path, HASH);
		rest += HASH;
		n--;
	}
	memcpy(sr, fr, HASH);
	rc = bpci__merkle_hasher_open(&h);
	if (rc < 0)
		return rc;
	rc = consistency_chain(&h, fr, sr, size1, size2, rest, n);
	bpci__merkle_hasher_close(&h);
	if (rc == 0 && !(same(fr, root1) && same(sr, root2)))
		rc = BPCI_EVERIFY;
	return rc;
}
