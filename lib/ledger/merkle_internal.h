/*
 * Internal to the Merkle module: a reusable SHA-256 context for the RFC 6962
 * leaf and node hashes, and the proof shapes that generation and
 * verification must agree on.
 */
#ifndef BPCI_LIB_LEDGER_MERKLE_INTERNAL_H
#define BPCI_LIB_LEDGER_MERKLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * One digest context reused for every hash of an operation: creating a
 * context (and, on OpenSSL 3, fetching the algorithm) per hash would cost
 * more than the hash itself. Not shared between threads.
 */
typedef struct bpci__merkle_hasher {
	EVP_MD_CTX *ctx;
	EVP_MD *fetched; /* OpenSSL 3: our own reference to SHA-256; else NULL */
	const EVP_MD *md;
} bpci__merkle_hasher;

/* 0 or BPCI_ENOMEM. On success, close it with bpci__merkle_hasher_close(). */
int bpci__merkle_hasher_open(bpci__merkle_hasher *h);
void bpci__merkle_hasher_close(bpci__merkle_hasher *h);

/* SHA-256(0x00 || data), SHA-256(0x01 || l || r), SHA-256(""): 0 or
 * BPCI_ENOMEM. @out may alias the inputs. */
int bpci__merkle_hash_leaf(bpci__merkle_hasher *h, uint8_t out[32], const void *data,
			   size_t len);
int bpci__merkle_hash_node(bpci__merkle_hasher *h, uint8_t out[32], const uint8_t l[32],
			   const uint8_t r[32]);
int bpci__merkle_hash_empty(bpci__merkle_hasher *h, uint8_t out[32]);

/* RFC 6962's split point: the largest power of two below n (n >= 2). */
size_t bpci__merkle_split(size_t n);

/* Lengths in hashes of PATH(index, D[size]) (index < size) and of
 * PROOF(size1, D[size2]) (1 <= size1 <= size2). */
size_t bpci__merkle_inclusion_len(size_t index, size_t size);
size_t bpci__merkle_consistency_len(size_t size1, size_t size2);

#endif
