/* The RFC 6962 hashes (SHA-256 with a 0x00 leaf / 0x01 node prefix) on a
 * digest context that one operation reuses for all its hashes. */
#include <stdlib.h>

#include <openssl/opensslv.h>

#include "bpci/merkle.h"
#include "ledger/merkle_internal.h"

int bpci__merkle_hasher_open(bpci__merkle_hasher *h)
{
	h->fetched = NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	/* An explicit fetch once, instead of an implicit one per digest init. */
	h->fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (h->fetched == NULL)
		return BPCI_ENOMEM;
	h->md = h->fetched;
#else
	h->md = EVP_sha256();
#endif
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		EVP_MD_free(h->fetched);
#endif
		return BPCI_ENOMEM;
	}
	return 0;
}

void bpci__merkle_hasher_close(bpci__merkle_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MD_free(h->fetched);
#endif
	h->fetched = NULL;
}

/* SHA-256 of prefix || a || b; the prefix is skipped when negative. All
 * input is consumed before @out is written, so @out may alias @a or @b. */
static int digest(bpci__merkle_hasher *h, uint8_t out[32], int prefix, const void *a,
		  size_t alen, const void *b, size_t blen)
{
	unsigned char p = (unsigned char)prefix;
	unsigned int outlen = 0;

	if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1)
		return BPCI_ENOMEM;
	if (prefix >= 0 && EVP_DigestUpdate(h->ctx, &p, 1) != 1)
		return BPCI_ENOMEM;
	if (alen > 0 && EVP_DigestUpdate(h->ctx, a, alen) != 1)
		return BPCI_ENOMEM;
	if (blen > 0 && EVP_DigestUpdate(h->ctx, b, blen) != 1)
		return BPCI_ENOMEM;
	if (EVP_DigestFinal_ex(h->ctx, out, &outlen) != 1 || outlen != BPCI_MERKLE_HASH_SIZE)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__merkle_hash_leaf(bpci__merkle_hasher *h, uint8_t out[32], const void *data, size_t len)
{
	return digest(h, out, 0x00, data, len, NULL, 0);
}

int bpci__merkle_hash_node(bpci__merkle_hasher *h, uint8_t out[32], const uint8_t l[32],
			   const uint8_t r[32])
{
	return digest(h, out, 0x01, l, BPCI_MERKLE_HASH_SIZE, r, BPCI_MERKLE_HASH_SIZE);
}

int bpci__merkle_hash_empty(bpci__merkle_hasher *h, uint8_t out[32])
{
	return digest(h, out, -1, NULL, 0, NULL, 0);
}

/* The public hashes return void (a hash cannot fail on valid input); when
 * OpenSSL cannot even allocate a context, a wrong hash committed to a
 * tamper-evident log would be worse than stopping. */
void bpci_merkle_leaf_hash(uint8_t out[32], const void *data, size_t len)
{
	bpci__merkle_hasher h;

	if (bpci__merkle_hasher_open(&h) < 0)
		abort();
	if (bpci__merkle_hash_leaf(&h, out, data, len) < 0)
		abort();
	bpci__merkle_hasher_close(&h);
}

void bpci_merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32])
{
	bpci__merkle_hasher h;

	if (bpci__merkle_hasher_open(&h) < 0)
		abort();
	if (bpci__merkle_hash_node(&h, out, left, right) < 0)
		abort();
	bpci__merkle_hasher_close(&h);
}
