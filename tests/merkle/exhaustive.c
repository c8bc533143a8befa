/*
 * The library against the RFC's recursive definitions (reference.c) for
 * every tree of 1..64 leaves: every root, every inclusion proof, every
 * consistency proof, each verified, each corrupted in every way we can
 * think of and refused with the documented code.
 *
 * Leaf contents come from a fixed-seed generator, so a failure reproduces;
 * all leaves differ, which the "wrong leaf" mutations rely on.
 */
#include <string.h>

#include "bpci.h"
#include "merkle_test.h"

#define MAX_SIZE 64
/* Mutated sizes reach 2 * MAX_SIZE. */
#define NLEAVES (2 * MAX_SIZE + 1)

static uint8_t leaves[NLEAVES][H];
static uint8_t roots[NLEAVES + 1][H];
static unsigned long checks;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, good enough to vary leaf contents. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void build(void)
{
	uint8_t data[48], want[H];
	size_t i, j, len;

	for (i = 0; i < NLEAVES; i++) {
		len = (size_t)(rng() % sizeof data);
		for (j = 0; j < len; j++)
			data[j] = (uint8_t)rng();
		bpci_merkle_leaf_hash(leaves[i], data, len);
		ref_leaf(want, data, len);
		ck_assert_mem_eq(leaves[i], want, H);
	}
	for (i = 0; i <= NLEAVES; i++) {
		ck_assert_int_eq(bpci_merkle_root(roots[i], leaves[0], i), 0);
		ref_mth(want, leaves[0], i);
		ck_assert_msg(memcmp(roots[i], want, H) == 0, "root of %zu leaves differs", i);
	}
	checks = 0;
}

/* The library's answer must be exactly @want. */
static void inc(int want, const uint8_t *leaf, size_t index, size_t size, const uint8_t *path,
		size_t len, const uint8_t *root, const char *what)
{
	int rc = bpci_merkle_verify_inclusion(leaf, index, size, path, len, root);

	/* Not ck_assert: a passing one costs a message to Check's parent. */
	if (rc != want)
		ck_abort_msg("inclusion %s (index %zu, size %zu, %zu hashes): got %d, want %d",
			     what, index, size, len, rc, want);
	checks++;
}

/*
 * A correct leaf at a changed index or size, against the correct root for
 * that size: still a true statement when the position exists, so it must
 * verify exactly when this proof is also the right proof there.
 */
static int expect_other_position(size_t index, size_t size, const uint8_t *path, size_t len)
{
	ref_proof p;

	if (size == 0 || index >= size)
		return BPCI_EINVAL;
	ref_path(&p, index, leaves[0], size);
	return ref_proof_equals(&p, path, len) ? 0 : BPCI_EVERIFY;
}

static void inclusion_mutations(size_t index, size_t size, const uint8_t *proof, size_t len)
{
	uint8_t buf[REF_PROOF_MAX][H], flipped[H];
	const uint8_t *leaf = leaves[index], *root = roots[size];
	size_t other[4] = {size - 1, size + 1, size * 2, size / 2}, i;

	for (i = 0; i < 4; i++)
		inc(expect_other_position(index, other[i], proof, len), leaf, index, other[i], proof,
		    len, roots[other[i]], "at another size");
	/* The right leaf claimed at a wrong index is never true. */
	inc(index == 0 ? BPCI_EINVAL : BPCI_EVERIFY, leaf, index - 1, size, proof, len, root,
	    "index - 1");
	inc(index + 1 >= size ? BPCI_EINVAL : BPCI_EVERIFY, leaf, index + 1, size, proof, len, root,
	    "index + 1");
	inc(BPCI_EVERIFY, leaves[(index + 1) % size == index ? NLEAVES - 1 : (index + 1) % size],
	    index, size, proof, len, root, "wrong leaf");
	memcpy(flipped, root, H);
	flipped[H - 1] ^= 1;
	inc(BPCI_EVERIFY, leaf, index, size, proof, len, flipped, "flipped root");
	inc(BPCI_EVERIFY, leaf, index, size, proof, len, roots[size - 1], "previous root");
	for (i = 0; i < len; i++) {
		memcpy(buf, proof, len * H);
		buf[i][i % H] ^= 0x40;
		inc(BPCI_EVERIFY, leaf, index, size, buf[0], len, root, "flipped proof byte");
	}
	if (len > 0) {
		inc(BPCI_EVERIFY, leaf, index, size, proof, len - 1, root, "last hash dropped");
		inc(BPCI_EVERIFY, leaf, index, size, proof + H, len - 1, root, "first hash dropped");
	}
	memcpy(buf, proof, len * H);
	memcpy(buf[len], root, H);
	inc(BPCI_EVERIFY, leaf, index, size, buf[0], len + 1, root, "root appended");
	memcpy(buf[0], leaf, H);
	memcpy(buf[1], proof, len * H);
	inc(BPCI_EVERIFY, leaf, index, size, buf[0], len + 1, root, "leaf prepended");
}

START_TEST(inclusion_matches_reference)
{
	uint8_t path[REF_PROOF_MAX][H];
	ref_proof want;
	size_t size, index, len;

	build();
	for (size = 1; size <= MAX_SIZE; size++) {
		for (index = 0; index < size; index++) {
			len = (size_t)bpci_merkle_proof_max(size);
			ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], size,
								     index),
					 0);
			ref_path(&want, index, leaves[0], size);
			ck_assert_msg(ref_proof_equals(&want, path[0], len),
				      "PATH(%zu, D[%zu]) differs from the reference", index, size);
			inc(0, leaves[index], index, size, path[0], len, roots[size], "as made");
			inclusion_mutations(index, size, path[0], len);
		}
	}
	/* Sum over sizes 1..64 of size * (10 fixed probes + 2 * length + ...):
	 * at least 10 per proof, so a skipped loop cannot pass. */
	ck_assert_uint_ge(checks, 10UL * (MAX_SIZE * (MAX_SIZE + 1) / 2));
}
END_TEST

static void cons(int want, size_t s1, size_t s2, const uint8_t *path, size_t len,
		 const uint8_t *r1, const uint8_t *r2, const char *what)
{
	int rc = bpci_merkle_verify_consistency(s1, s2, path, len, r1, r2);

	if (rc != want)
		ck_abort_msg("consistency %s (%zu -> %zu, %zu hashes): got %d, want %d", what,
			     s1, s2, len, rc, want);
	checks++;
}

/* Correct roots for changed sizes: verifies iff the proof is also theirs. */
static int expect_other_sizes(size_t s1, size_t s2, const uint8_t *path, size_t len)
{
	ref_proof p;

	if (s1 == 0 || s1 > s2)
		return BPCI_EINVAL;
	ref_consistency(&p, s1, leaves[0], s2);
	return ref_proof_equals(&p, path, len) ? 0 : BPCI_EVERIFY;
}

static void consistency_mutations(size_t s1, size_t s2, const uint8_t *proof, size_t len)
{
	uint8_t buf[REF_PROOF_MAX][H], zero[H] = {0};
	const uint8_t *r1 = roots[s1], *r2 = roots[s2];
	size_t o1[3] = {s1 - 1, s1 + 1, s1 ^ 2}, o2[3] = {s2 - 1, s2 + 1, s2 * 2}, i;

	for (i = 0; i < 3; i++) {
		cons(expect_other_sizes(o1[i], s2, proof, len), o1[i], s2, proof, len, roots[o1[i]],
		     r2, "other size1");
		cons(expect_other_sizes(s1, o2[i], proof, len), s1, o2[i], proof, len, r1,
		     roots[o2[i]], "other size2");
	}
	cons(BPCI_EVERIFY, s1, s2, proof, len, r2, r1, "swapped roots");
	cons(BPCI_EVERIFY, s1, s2, proof, len, r1, roots[s2 + 1], "later root2");
	cons(BPCI_EVERIFY, s1, s2, proof, len, roots[s1 - 1], r2, "earlier root1");
	for (i = 0; i < len; i++) {
		memcpy(buf, proof, len * H);
		buf[i][(i * 7) % H] ^= 0x01;
		cons(BPCI_EVERIFY, s1, s2, buf[0], len, r1, r2, "flipped proof byte");
	}
	cons(BPCI_EVERIFY, s1, s2, NULL, 0, r1, r2, "empty proof");
	cons(BPCI_EVERIFY, s1, s2, proof, len - 1, r1, r2, "last hash dropped");
	cons(BPCI_EVERIFY, s1, s2, proof + H, len - 1, r1, r2, "first hash dropped");
	memcpy(buf, proof, len * H);
	memcpy(buf[len], zero, H);
	cons(BPCI_EVERIFY, s1, s2, buf[0], len + 1, r1, r2, "zero hash appended");
	memcpy(buf[len], r2, H);
	cons(BPCI_EVERIFY, s1, s2, buf[0], len + 1, r1, r2, "root2 appended");
	memcpy(buf[0], r1, H);
	memcpy(buf[1], proof, len * H);
	cons(BPCI_EVERIFY, s1, s2, buf[0], len + 1, r1, r2, "root1 prepended");
}

START_TEST(consistency_matches_reference)
{
	uint8_t path[REF_PROOF_MAX][H];
	ref_proof want;
	size_t s1, s2, len;

	build();
	for (s2 = 1; s2 <= MAX_SIZE; s2++) {
		for (s1 = 1; s1 <= s2; s1++) {
			len = (size_t)bpci_merkle_proof_max(s2);
			ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], s1,
								       s2),
					 0);
			ref_consistency(&want, s1, leaves[0], s2);
			ck_assert_msg(ref_proof_equals(&want, path[0], len),
				      "PROOF(%zu, D[%zu]) differs from the reference", s1, s2);
			cons(0, s1, s2, path[0], len, roots[s1], roots[s2], "as made");
			if (s1 < s2) {
				consistency_mutations(s1, s2, path[0], len);
			} else {
				ck_assert_uint_eq(len, 0);
				cons(BPCI_EVERIFY, s1, s2, NULL, 0, roots[s1], roots[s1 + 1],
				     "equal sizes, other root");
				cons(BPCI_EVERIFY, s1, s2, roots[s1], 1, roots[s1], roots[s1],
				     "equal sizes, non-empty proof");
			}
		}
	}
	ck_assert_uint_ge(checks, 15UL * (MAX_SIZE * (MAX_SIZE - 1) / 2));
}
END_TEST

/* proof_max bounds every proof, and is reached from 4 leaves on. */
START_TEST(proof_max_is_the_longest_proof)
{
	uint8_t path[REF_PROOF_MAX][H];
	size_t size, i, len, longest;

	build();
	for (size = 1; size <= MAX_SIZE; size++) {
		longest = 0;
		for (i = 0; i < size; i++) {
			len = REF_PROOF_MAX;
			ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], size, i),
					 0);
			longest = len > longest ? len : longest;
			len = REF_PROOF_MAX;
			ck_assert_int_eq(
				bpci_merkle_consistency_proof(path[0], &len, leaves[0], i + 1, size), 0);
			longest = len > longest ? len : longest;
		}
		if (size >= 4)
			ck_assert_uint_eq(longest, (size_t)bpci_merkle_proof_max(size));
		else
			ck_assert_uint_le(longest, (size_t)bpci_merkle_proof_max(size));
	}
}
END_TEST

/* A tree far larger than the exhaustive ones: the iterative root must
 * agree with the RFC's recursion, and proofs into it verify. */
START_TEST(large_tree)
{
	enum { N = 70001 };
	static uint8_t big[N][H];
	uint8_t root[H], want[H], path[REF_PROOF_MAX][H];
	const size_t picks[] = {0, 1, 4095, 4096, 65535, 65536, N - 2, N - 1};
	ref_proof ref;
	size_t i, len, n;

	for (i = 0; i < N; i++)
		bpci_merkle_leaf_hash(big[i], &i, sizeof i);
	ck_assert_int_eq(bpci_merkle_root(root, big[0], N), 0);
	ref_mth(want, big[0], N);
	ck_assert_mem_eq(root, want, H);
	for (i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		len = REF_PROOF_MAX;
		ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, big[0], N, picks[i]), 0);
		ref_path(&ref, picks[i], big[0], N);
		ck_assert(ref_proof_equals(&ref, path[0], len));
		ck_assert_int_eq(bpci_merkle_verify_inclusion(big[picks[i]], picks[i], N, path[0], len,
							      root),
				 0);
		n = picks[i] + 1;
		len = REF_PROOF_MAX;
		ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, big[0], n, N), 0);
		ref_consistency(&ref, n, big[0], N);
		ck_assert(ref_proof_equals(&ref, path[0], len));
		ck_assert_int_eq(bpci_merkle_root(want, big[0], n), 0);
		ck_assert_int_eq(bpci_merkle_verify_consistency(n, N, path[0], len, want, root), 0);
	}
}
END_TEST

TCase *merkle_reference_tcase(void)
{
	TCase *tc = tcase_create("reference");

	tcase_add_unchecked_fixture(tc, ref_setup, ref_teardown);
	tcase_add_test(tc, inclusion_matches_reference);
	tcase_add_test(tc, consistency_matches_reference);
	tcase_add_test(tc, proof_max_is_the_longest_proof);
	tcase_add_test(tc, large_tree);
	tcase_set_timeout(tc, 120);
	return tc;
}
