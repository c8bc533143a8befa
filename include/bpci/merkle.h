/*
 * libbpci — RFC 6962 Merkle tree primitives: the hashes, the tree head, and
 * inclusion and consistency proofs, as the audit ledger uses them.
 *
 * The tree is the one of RFC 6962 §2.1 (RFC 9162 §2.1): SHA-256, a leaf
 * hashes as SHA-256(0x00 || data), an interior node as
 * SHA-256(0x01 || left || right), and a list of n > 1 leaves splits at the
 * largest power of two smaller than n. Proofs are produced and checked
 * exactly as RFC 6962 §2.1.1/§2.1.2 and RFC 9162 §2.1.3.2/§2.1.4.2 describe,
 * so they interoperate with Certificate Transparency logs.
 *
 * Proofs travel as arrays of hashes: @path holds @path_len hashes of
 * BPCI_MERKLE_HASH_SIZE bytes each, one after the other. Functions that
 * write a proof take *path_len as the capacity of @path in hashes; when it
 * is too small they set *path_len to the number needed and return
 * BPCI_EBUFS, so a caller may ask with *path_len == 0 (and @path NULL), or
 * size the buffer once with bpci_merkle_proof_max().
 *
 * Trees here are arrays of leaf hashes in memory; the ledger's storage layer
 * keeps its nodes on disk and produces the same proofs.
 *
 * Every function is thread-safe: none keeps state between calls.
 */
#ifndef BPCI_MERKLE_H
#define BPCI_MERKLE_H

#include "common.h"
#include "error.h"

BPCI_BEGIN_DECLS

/** Size in bytes of every hash in this module (SHA-256). */
#define BPCI_MERKLE_HASH_SIZE 32

/**
 * bpci_merkle_leaf_hash - the hash of one leaf, SHA-256(0x00 || data).
 *
 * The 0x00 prefix keeps a leaf from ever hashing like an interior node
 * (second-preimage protection, RFC 6962 §2.1).
 *
 * @out: receives the 32-byte hash.
 * @data: the leaf's bytes; may be NULL when @len is 0.
 * @len: number of bytes at @data.
 *
 * There is no error return: SHA-256 cannot fail on valid input. Should
 * OpenSSL be unable to set up a digest context at all (out of memory), the
 * process aborts rather than hand back a wrong hash that a tamper-evident
 * log would then commit to.
 */
BPCI_EXTERN void bpci_merkle_leaf_hash(uint8_t out[32], const void *data, size_t len);

/**
 * bpci_merkle_node_hash - the hash of an interior node,
 * SHA-256(0x01 || left || right).
 *
 * @out: receives the 32-byte hash; it may be the same memory as @left or
 *       @right (both are read before @out is written).
 * @left: hash of the left child.
 * @right: hash of the right child.
 *
 * Aborts only when OpenSSL cannot set up a digest, as bpci_merkle_leaf_hash().
 */
BPCI_EXTERN void bpci_merkle_node_hash(uint8_t out[32], const uint8_t left[32],
				       const uint8_t right[32]);

/**
 * bpci_merkle_root - the Merkle Tree Hash MTH(D[n]) of @n leaves.
 *
 * @out: receives the 32-byte root.
 * @leaf_hashes: @n leaf hashes (n * 32 bytes, from bpci_merkle_leaf_hash());
 *               may be NULL when @n is 0.
 * @n: number of leaves. The empty tree's root is SHA-256 of the empty
 *     string (e3b0c442...b855), as RFC 6962 defines it.
 *
 * Runs in O(n) hashes and O(log n) stack, without recursion or allocation
 * of its own.
 *
 * Returns 0, BPCI_EINVAL (@out NULL, or @leaf_hashes NULL with @n > 0) or
 * BPCI_ENOMEM (OpenSSL could not allocate a digest context). @out is left
 * untouched on error.
 */
BPCI_EXTERN int bpci_merkle_root(uint8_t out[32], const uint8_t *leaf_hashes, size_t n);

/**
 * bpci_merkle_proof_max - an upper bound on the length, in hashes, of any
 * inclusion or consistency proof for a tree of @size leaves, for sizing
 * proof buffers.
 *
 * An inclusion proof has at most ceil(log2(size)) hashes, a consistency
 * proof to a tree of @size at most ceil(log2(size)) + 1 (the extra one is
 * the old tree's own subtree when the path turns right). So this returns 0
 * for @size 0 or 1 (every proof there is empty) and ceil(log2(size)) + 1
 * otherwise. The bound is exact for @size >= 4 (some consistency proof is
 * that long); for 2 and 3 the longest proof is one hash shorter. At most
 * 65 on a 64-bit system.
 *
 * Thread-safe; never fails.
 */
BPCI_EXTERN int bpci_merkle_proof_max(size_t size);

/**
 * bpci_merkle_inclusion_proof - the audit path PATH(index, D[n]) that shows
 * leaf @index is in the tree of the first @n leaves (RFC 6962 §2.1.1).
 *
 * @path: receives the proof, deepest sibling first; may be NULL when
 *        *path_len is 0.
 * @path_len: in: the capacity of @path in hashes; out: the number of hashes
 *            written (on BPCI_EBUFS: the number needed). A tree of one leaf
 *            has the empty proof.
 * @leaf_hashes: the @n leaf hashes (n * 32 bytes).
 * @n: tree size, at least 1.
 * @index: the leaf, 0 <= index < n.
 *
 * O(n) hashes in total, no allocation, no recursion.
 *
 * Returns 0; BPCI_EINVAL when @path_len or @leaf_hashes is NULL, @n is 0,
 * @index >= @n, or @path is NULL with a non-zero capacity; BPCI_EBUFS when
 * the capacity is too small (nothing is written to @path); BPCI_ENOMEM when
 * OpenSSL cannot allocate a digest context.
 */
BPCI_EXTERN int bpci_merkle_inclusion_proof(uint8_t *path, size_t *path_len,
					    const uint8_t *leaf_hashes, size_t n, size_t index);

/**
 * bpci_merkle_verify_inclusion - check an inclusion proof against a root,
 * as RFC 9162 §2.1.3.2 describes.
 *
 * @leaf_hash: the hash of the leaf whose inclusion is claimed.
 * @index: its position, 0 <= index < size.
 * @size: the size of the tree @root belongs to, at least 1.
 * @path: @path_len hashes; may be NULL when @path_len is 0.
 * @path_len: the proof's length in hashes. It must be exactly the length
 *            of PATH(index, D[size]); anything longer or shorter is refused.
 * @root: the tree head of size @size the caller trusts (for example from a
 *        signed checkpoint). The root is what binds the size: a proof only
 *        means something against a root the caller knows to be that size's.
 *
 * No allocation of its own; O(log size) hashes.
 *
 * Returns 0 when the proof verifies. BPCI_EINVAL when the arguments cannot
 * describe any proof: @leaf_hash or @root NULL, @path NULL with @path_len >
 * 0, @size 0, or @index >= @size. BPCI_EVERIFY when the arguments are
 * well-formed but the proof does not verify: wrong length, or the hashes
 * do not lead to @root. BPCI_ENOMEM when OpenSSL cannot allocate a digest
 * context.
 */
BPCI_EXTERN int bpci_merkle_verify_inclusion(const uint8_t leaf_hash[32], size_t index,
					     size_t size, const uint8_t *path, size_t path_len,
					     const uint8_t root[32]);

/**
 * bpci_merkle_consistency_proof - the proof PROOF(size1, D[size2]) that the
 * tree of the first @size1 leaves is a prefix of the tree of the first
 * @size2 (RFC 6962 §2.1.2).
 *
 * @path: receives the proof; may be NULL when *path_len is 0.
 * @path_len: in: the capacity of @path in hashes; out: the number written
 *            (on BPCI_EBUFS: the number needed). When @size1 == @size2 the
 *            proof is empty.
 * @leaf_hashes: at least @size2 leaf hashes (size2 * 32 bytes).
 * @size1: the older tree's size, 1 <= size1 <= size2. (An empty tree is
 *         trivially a prefix of anything; there is nothing to prove.)
 * @size2: the newer tree's size.
 *
 * O(size2) hashes in total, no allocation, no recursion.
 *
 * Returns 0; BPCI_EINVAL when @path_len or @leaf_hashes is NULL, @size1 is
 * 0, @size1 > @size2, or @path is NULL with a non-zero capacity; BPCI_EBUFS
 * when the capacity is too small (nothing written to @path); BPCI_ENOMEM
 * when OpenSSL cannot allocate a digest context.
 */
BPCI_EXTERN int bpci_merkle_consistency_proof(uint8_t *path, size_t *path_len,
					      const uint8_t *leaf_hashes, size_t size1,
					      size_t size2);

/**
 * bpci_merkle_verify_consistency - check that @root1, the head of a tree of
 * @size1 leaves, and @root2, of @size2 leaves, belong to one append-only
 * log, as RFC 9162 §2.1.4.2 describes.
 *
 * @size1: the older size, at least 1.
 * @size2: the newer size, at least @size1.
 * @path: @path_len hashes; may be NULL when @path_len is 0.
 * @path_len: the proof's length. It must be exactly the length of
 *            PROOF(size1, D[size2]); when @size1 == @size2 that is 0, and
 *            the proof verifies if and only if the roots are equal.
 * @root1: the trusted head of size @size1.
 * @root2: the trusted head of size @size2.
 *
 * No allocation of its own; O(log size2) hashes.
 *
 * Returns 0 when the proof verifies. BPCI_EINVAL when the arguments cannot
 * describe any proof: @root1 or @root2 NULL, @path NULL with @path_len > 0,
 * @size1 0, or @size1 > @size2. BPCI_EVERIFY when they are well-formed but
 * the proof does not verify: wrong length (including a non-empty proof for
 * equal sizes), or the hashes lead to something other than @root1 and
 * @root2. BPCI_ENOMEM when OpenSSL cannot allocate a digest context.
 */
BPCI_EXTERN int bpci_merkle_verify_consistency(size_t size1, size_t size2, const uint8_t *path,
					       size_t path_len, const uint8_t root1[32],
					       const uint8_t root2[32]);

BPCI_END_DECLS

#endif
