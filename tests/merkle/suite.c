/* Tests of lib/ledger's Merkle primitives: argument checks and buffer
 * sizing here; the RFC 6962 vectors in vectors.c; the comparison with the
 * RFC's recursive definitions in exhaustive.c. */
#include <limits.h>
#include <string.h>

#include "bpci.h"
#include "merkle_test.h"
#include "test.h"

static uint8_t leaves[8][H];

static void make_leaves(void)
{
	size_t i;

	for (i = 0; i < 8; i++)
		bpci_merkle_leaf_hash(leaves[i], &i, sizeof i);
}

START_TEST(proof_max_values)
{
	ck_assert_int_eq(bpci_merkle_proof_max(0), 0);
	ck_assert_int_eq(bpci_merkle_proof_max(1), 0);
	ck_assert_int_eq(bpci_merkle_proof_max(2), 2);
	ck_assert_int_eq(bpci_merkle_proof_max(3), 3);
	ck_assert_int_eq(bpci_merkle_proof_max(4), 3);
	ck_assert_int_eq(bpci_merkle_proof_max(5), 4);
	ck_assert_int_eq(bpci_merkle_proof_max(8), 4);
	ck_assert_int_eq(bpci_merkle_proof_max(9), 5);
	ck_assert_int_eq(bpci_merkle_proof_max((size_t)1 << 20), 21);
	ck_assert_int_eq(bpci_merkle_proof_max(((size_t)1 << 20) + 1), 22);
	ck_assert_int_eq(bpci_merkle_proof_max(SIZE_MAX), (int)(sizeof(size_t) * CHAR_BIT) + 1);
}
END_TEST

START_TEST(root_arguments)
{
	uint8_t out[H], empty[H];

	memset(out, 0x5A, H);
	ck_assert_int_eq(bpci_merkle_root(NULL, leaves[0], 1), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_root(out, NULL, 1), BPCI_EINVAL);
	ck_assert_uint_eq(out[0], 0x5A); /* untouched on error */
	ck_assert_int_eq(bpci_merkle_root(out, NULL, 0), 0);
	ref_mth(empty, NULL, 0);
	ck_assert_mem_eq(out, empty, H);
}
END_TEST

START_TEST(node_hash_may_write_over_its_input)
{
	uint8_t a[H], b[H], want[H];

	make_leaves();
	memcpy(a, leaves[0], H);
	memcpy(b, leaves[1], H);
	ref_node(want, a, b);
	bpci_merkle_node_hash(a, a, b);
	ck_assert_mem_eq(a, want, H);
	memcpy(a, leaves[0], H);
	bpci_merkle_node_hash(b, a, b);
	ck_assert_mem_eq(b, want, H);
}
END_TEST

START_TEST(leaf_hash_of_nothing)
{
	uint8_t got[H], want[H];

	bpci_merkle_leaf_hash(got, NULL, 0);
	ref_leaf(want, "", 0);
	ck_assert_mem_eq(got, want, H);
}
END_TEST

START_TEST(inclusion_proof_arguments)
{
	uint8_t path[4][H];
	size_t len = 4;

	make_leaves();
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], NULL, leaves[0], 8, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, NULL, 8, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(NULL, &len, leaves[0], 8, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 0, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 8, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 8, SIZE_MAX),
			 BPCI_EINVAL);
	ck_assert_uint_eq(len, 4); /* untouched by argument errors */
}
END_TEST

START_TEST(inclusion_proof_buffer_sizing)
{
	uint8_t path[4][H], sentinel[4][H];
	size_t len;

	make_leaves();
	memset(sentinel, 0xA5, sizeof sentinel);
	/* Asking with no buffer gives the count. */
	len = 0;
	ck_assert_int_eq(bpci_merkle_inclusion_proof(NULL, &len, leaves[0], 8, 5), BPCI_EBUFS);
	ck_assert_uint_eq(len, 3);
	/* One short: nothing is written, the count comes back. */
	memcpy(path, sentinel, sizeof path);
	len = 2;
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 8, 5), BPCI_EBUFS);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(path, sentinel, sizeof path);
	/* More room than needed: exactly the proof is written. */
	len = 4;
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 8, 5), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(path[3], sentinel[3], H);
	ck_assert_mem_ne(path[0], sentinel[0], H);
	/* A one-leaf tree needs no buffer at all. */
	len = 0;
	ck_assert_int_eq(bpci_merkle_inclusion_proof(NULL, &len, leaves[0], 1, 0), 0);
	ck_assert_uint_eq(len, 0);
	len = 4;
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 1, 0), 0);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(consistency_proof_arguments)
{
	uint8_t path[4][H], sentinel[4][H];
	size_t len = 4;

	make_leaves();
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], NULL, leaves[0], 3, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, NULL, 3, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_consistency_proof(NULL, &len, leaves[0], 3, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], 0, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], 0, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], 5, 4), BPCI_EINVAL);
	ck_assert_uint_eq(len, 4);

	/* 3 -> 4 needs three hashes (RFC 6962 §2.1.2's example shape). */
	memset(sentinel, 0xA5, sizeof sentinel);
	memcpy(path, sentinel, sizeof path);
	len = 2;
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], 3, 4), BPCI_EBUFS);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(path, sentinel, sizeof path);
	len = 0;
	ck_assert_int_eq(bpci_merkle_consistency_proof(NULL, &len, leaves[0], 3, 4), BPCI_EBUFS);
	ck_assert_uint_eq(len, 3);
	len = 3;
	ck_assert_int_eq(bpci_merkle_consistency_proof(path[0], &len, leaves[0], 3, 4), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(path[3], sentinel[3], H);
	/* Equal sizes: the empty proof. */
	len = 0;
	ck_assert_int_eq(bpci_merkle_consistency_proof(NULL, &len, leaves[0], 8, 8), 0);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(verify_arguments)
{
	uint8_t root[H], path[3][H];
	size_t len = 3;

	make_leaves();
	ck_assert_int_eq(bpci_merkle_root(root, leaves[0], 8), 0);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(path[0], &len, leaves[0], 8, 2), 0);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 2, 8, path[0], 3, root), 0);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(NULL, 2, 8, path[0], 3, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 2, 8, path[0], 3, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 2, 8, NULL, 3, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 8, 8, path[0], 3, root),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 2, 0, path[0], 3, root),
			 BPCI_EINVAL);
	/* A huge claimed length is a wrong length, not a read past the end. */
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[2], 2, 8, path[0], SIZE_MAX / H, root),
			 BPCI_EVERIFY);

	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 8, path[0], 3, NULL, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 8, path[0], 3, root, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 8, NULL, 3, root, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(0, 8, path[0], 3, root, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(9, 8, path[0], 3, root, root), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 8, path[0], SIZE_MAX, root, root),
			 BPCI_EVERIFY);
}
END_TEST

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("arguments");

	tcase_add_unchecked_fixture(tc, ref_setup, ref_teardown);
	tcase_add_test(tc, proof_max_values);
	tcase_add_test(tc, root_arguments);
	tcase_add_test(tc, node_hash_may_write_over_its_input);
	tcase_add_test(tc, leaf_hash_of_nothing);
	tcase_add_test(tc, inclusion_proof_arguments);
	tcase_add_test(tc, inclusion_proof_buffer_sizing);
	tcase_add_test(tc, consistency_proof_arguments);
	tcase_add_test(tc, verify_arguments);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, merkle_vectors_tcase());
	suite_add_tcase(s, merkle_reference_tcase());
	return s;
}
