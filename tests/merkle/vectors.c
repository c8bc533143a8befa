/*
 * The published RFC 6962 test vectors: the eight leaf inputs of the
 * Certificate Transparency test suite, every complete-subtree hash, the
 * roots of sizes 0..8, and the known inclusion and consistency proofs with
 * the corruptions that must be refused.
 *
 * Data (not code) copied from transparency-dev/merkle, testonly/constants.go
 * (LeafInputs, NodeHashes, RootHashes) and proof/verify_test.go
 * (inclusionProofs, consistencyProofs and the corrupt*Proof probes), which
 * carry them over from google/certificate-transparency's
 * cpp/merkletree/merkle_tree_test.cc.
 */
#include <string.h>

#include "bpci.h"
#include "merkle_test.h"

static const struct {
	const char *bytes;
	size_t len;
} leaf_inputs[8] = {
	{"", 0},
	{"\x00", 1},
	{"\x10", 1},
	{"\x20\x21", 2},
	{"\x30\x31", 2},
	{"\x40\x41\x42\x43", 4},
	{"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
	{"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

/* Complete subtrees by level (0 = leaves), left to right. */
static const char *const level0[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};
static const char *const level1[4] = {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
};
static const char *const level2[2] = {
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
};

/* Roots of the trees of the first 0..8 leaves. */
static const char *const root_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* The sources number leaves from 1; indices here are 0-based. */
static const struct {
	size_t index, size, len;
	const char *proof[3];
} inclusion[] = {
	{0, 1, 0, {NULL}},
	{0, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		   "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5, 8, 3, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		   "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1, 5, 3, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		   "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct {
	size_t size1, size2, len;
	const char *proof[3];
} consistency[] = {
	{1, 1, 0, {NULL}},
	{1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		   "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6, 8, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		   "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 5, 2, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		   "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	{6, 7, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		   "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* "abacaba...": an arbitrary hash from the same test file. */
static const char some_hash_hex[] =
	"abacaba000000000000000000000000000000000000000000060061e00123456";

static uint8_t leaves[8][H];
static uint8_t roots[9][H];
static uint8_t some_hash[H];

static void load(void)
{
	size_t i;

	for (i = 0; i < 8; i++)
		bpci_merkle_leaf_hash(leaves[i], leaf_inputs[i].bytes, leaf_inputs[i].len);
	for (i = 0; i < 9; i++)
		unhex(roots[i], root_hex[i], H);
	unhex(some_hash, some_hash_hex, H);
}

static void assert_hash(const uint8_t got[H], const char *want_hex)
{
	char got_hex[2 * H + 1];

	tohex(got_hex, got, H);
	ck_assert_str_eq(got_hex, want_hex);
}

START_TEST(leaf_and_node_hashes)
{
	uint8_t l1[4][H], l2[2][H], top[H];
	size_t i;

	load();
	for (i = 0; i < 8; i++)
		assert_hash(leaves[i], level0[i]);
	for (i = 0; i < 4; i++) {
		bpci_merkle_node_hash(l1[i], leaves[2 * i], leaves[2 * i + 1]);
		assert_hash(l1[i], level1[i]);
	}
	for (i = 0; i < 2; i++) {
		bpci_merkle_node_hash(l2[i], l1[2 * i], l1[2 * i + 1]);
		assert_hash(l2[i], level2[i]);
	}
	bpci_merkle_node_hash(top, l2[0], l2[1]);
	assert_hash(top, root_hex[8]);
}
END_TEST

START_TEST(roots_of_every_prefix)
{
	uint8_t got[H];
	size_t n;

	load();
	for (n = 0; n <= 8; n++) {
		memset(got, 0xAA, H);
		ck_assert_int_eq(bpci_merkle_root(got, n ? leaves[0] : NULL, n), 0);
		assert_hash(got, root_hex[n]);
	}
}
END_TEST

/* Every corruption proof/verify_test.go tries must be refused: EINVAL when
 * the mutated index or size no longer describes a tree position. */
static void expect_inclusion_refused(const uint8_t *leaf, size_t index, size_t size,
				     const uint8_t *path, size_t len, const uint8_t *root,
				     const char *what)
{
	int want = (size == 0 || index >= size) ? BPCI_EINVAL : BPCI_EVERIFY;
	int rc = bpci_merkle_verify_inclusion(leaf, index, size, path, len, root);

	ck_assert_msg(rc == want, "%s (index %zu, size %zu): got %d, want %d", what, index, size,
		      rc, want);
}

static void inclusion_probes(size_t index, size_t size, const uint8_t *proof, size_t len)
{
	const uint8_t *leaf = leaves[index], *root = roots[size];
	uint8_t longer[5][H], wrong_leaf[H], zero[H] = {0};
	size_t i;

	bpci_merkle_leaf_hash(wrong_leaf, "WrongLeaf", 9);
	expect_inclusion_refused(leaf, index - 1, size, proof, len, root, "index - 1");
	expect_inclusion_refused(leaf, index + 1, size, proof, len, root, "index + 1");
	expect_inclusion_refused(leaf, index ^ 2, size, proof, len, root, "index ^ 2");
	expect_inclusion_refused(leaf, index, size * 2, proof, len, root, "size * 2");
	expect_inclusion_refused(leaf, index, size / 2, proof, len, root, "size / 2");
	expect_inclusion_refused(wrong_leaf, index, size, proof, len, root, "wrong leaf");
	expect_inclusion_refused(leaf, index, size, proof, len, roots[0], "empty root");
	expect_inclusion_refused(leaf, index, size, proof, len, some_hash, "random root");
	memcpy(longer, proof, len * H);
	memcpy(longer[len], zero, H);
	expect_inclusion_refused(leaf, index, size, longer[0], len + 1, root, "trailing garbage");
	memcpy(longer[len], root, H);
	expect_inclusion_refused(leaf, index, size, longer[0], len + 1, root, "trailing root");
	memcpy(longer[0], zero, H);
	memcpy(longer[1], proof, len * H);
	expect_inclusion_refused(leaf, index, size, longer[0], len + 1, root, "preceding garbage");
	memcpy(longer[0], root, H);
	expect_inclusion_refused(leaf, index, size, longer[0], len + 1, root, "preceding root");
	for (i = 0; i < len; i++) {
		memcpy(longer, proof, len * H);
		longer[i][0] ^= 8;
		expect_inclusion_refused(leaf, index, size, longer[0], len, root, "flipped bit");
	}
	if (len > 0)
		expect_inclusion_refused(leaf, index, size, proof, len - 1, root, "removed");
	if (len > 1) {
		memcpy(longer[0], proof, H);
		memcpy(longer[1], some_hash, H);
		memcpy(longer[2], proof + H, (len - 1) * H);
		expect_inclusion_refused(leaf, index, size, longer[0], len + 1, root, "inserted");
	}
}

START_TEST(inclusion_proofs)
{
	uint8_t want[3][H], got[4][H];
	size_t i, j, len;

	load();
	for (i = 0; i < sizeof inclusion / sizeof inclusion[0]; i++) {
		for (j = 0; j < inclusion[i].len; j++)
			unhex(want[j], inclusion[i].proof[j], H);
		len = 4;
		ck_assert_int_eq(bpci_merkle_inclusion_proof(got[0], &len, leaves[0],
							     inclusion[i].size, inclusion[i].index),
				 0);
		ck_assert_uint_eq(len, inclusion[i].len);
		ck_assert_mem_eq(got, want, len * H);
		ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves[inclusion[i].index],
							      inclusion[i].index, inclusion[i].size,
							      want[0], len,
							      roots[inclusion[i].size]),
				 0);
		if (inclusion[i].size > 1)
			inclusion_probes(inclusion[i].index, inclusion[i].size, want[0], len);
	}
}
END_TEST

START_TEST(inclusion_single_entry)
{
	uint8_t hash[H], other[H];

	bpci_merkle_leaf_hash(hash, "data", 4);
	bpci_merkle_leaf_hash(other, "", 0);
	/* A one-leaf tree's root is its leaf hash; the proof is empty. */
	ck_assert_int_eq(bpci_merkle_verify_inclusion(hash, 0, 1, NULL, 0, hash), 0);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(hash, 0, 1, NULL, 0, other), BPCI_EVERIFY);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(other, 0, 1, NULL, 0, hash), BPCI_EVERIFY);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(hash, 1, 1, NULL, 0, hash), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(hash, 0, 0, NULL, 0, hash), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(hash, 0, 1, hash, 1, hash), BPCI_EVERIFY);
}
END_TEST

static void expect_consistency_refused(size_t size1, size_t size2, const uint8_t *path,
				       size_t len, const uint8_t *root1, const uint8_t *root2,
				       const char *what)
{
	int want = (size1 == 0 || size1 > size2) ? BPCI_EINVAL : BPCI_EVERIFY;
	int rc = bpci_merkle_verify_consistency(size1, size2, path, len, root1, root2);

	ck_assert_msg(rc == want, "%s (%zu -> %zu): got %d, want %d", what, size1, size2, rc, want);
}

static void consistency_probes(size_t s1, size_t s2, const uint8_t *proof, size_t len)
{
	const uint8_t *r1 = roots[s1], *r2 = roots[s2];
	uint8_t longer[5][H], zero[H] = {0};
	const uint8_t *extra[3] = {zero, r1, r2};
	size_t i;

	expect_consistency_refused(s1 - 1, s2, proof, len, r1, r2, "size1 - 1");
	expect_consistency_refused(s1 + 1, s2, proof, len, r1, r2, "size1 + 1");
	expect_consistency_refused(s1 ^ 2, s2, proof, len, r1, r2, "size1 ^ 2");
	expect_consistency_refused(s1, s2 * 2, proof, len, r1, r2, "size2 * 2");
	expect_consistency_refused(s1, s2 / 2, proof, len, r1, r2, "size2 / 2");
	expect_consistency_refused(s1, s2, proof, len, some_hash, r2, "wrong root1");
	expect_consistency_refused(s1, s2, proof, len, r1, some_hash, "wrong root2");
	expect_consistency_refused(s1, s2, proof, len, r2, r1, "swapped roots");
	expect_consistency_refused(s1, s2, NULL, 0, r1, r2, "empty proof");
	for (i = 0; i < 3; i++) {
		memcpy(longer, proof, len * H);
		memcpy(longer[len], extra[i], H);
		expect_consistency_refused(s1, s2, longer[0], len + 1, r1, r2, "trailing hash");
		memcpy(longer[0], extra[i], H);
		memcpy(longer[1], proof, len * H);
		expect_consistency_refused(s1, s2, longer[0], len + 1, r1, r2, "preceding hash");
	}
	memcpy(longer[0], proof, H);
	memcpy(longer[1], proof, len * H);
	expect_consistency_refused(s1, s2, longer[0], len + 1, r1, r2, "preceding proof[0]");
	expect_consistency_refused(s1, s2, proof, len - 1, r1, r2, "truncated");
	for (i = 0; i < len; i++) {
		memcpy(longer, proof, len * H);
		longer[i][0] ^= 16;
		expect_consistency_refused(s1, s2, longer[0], len, r1, r2, "flipped bit");
	}
}

START_TEST(consistency_proofs)
{
	uint8_t want[3][H], got[4][H];
	size_t i, j, len;

	load();
	for (i = 0; i < sizeof consistency / sizeof consistency[0]; i++) {
		size_t s1 = consistency[i].size1, s2 = consistency[i].size2;

		for (j = 0; j < consistency[i].len; j++)
			unhex(want[j], consistency[i].proof[j], H);
		len = 4;
		ck_assert_int_eq(bpci_merkle_consistency_proof(got[0], &len, leaves[0], s1, s2), 0);
		ck_assert_uint_eq(len, consistency[i].len);
		ck_assert_mem_eq(got, want, len * H);
		ck_assert_int_eq(bpci_merkle_verify_consistency(s1, s2, want[0], len, roots[s1],
								roots[s2]),
				 0);
		if (len > 0)
			consistency_probes(s1, s2, want[0], len);
	}
}
END_TEST

START_TEST(consistency_equal_sizes)
{
	uint8_t a[H], b[H];

	bpci_merkle_leaf_hash(a, "a", 1);
	bpci_merkle_leaf_hash(b, "b", 1);
	/* Equal sizes: the empty proof, and it holds iff the roots agree. */
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 1, NULL, 0, a, a), 0);
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 1, NULL, 0, a, b), BPCI_EVERIFY);
	ck_assert_int_eq(bpci_merkle_verify_consistency(7, 7, NULL, 0, b, b), 0);
	ck_assert_int_eq(bpci_merkle_verify_consistency(7, 7, NULL, 0, b, a), BPCI_EVERIFY);
	/* ... and a non-empty proof is refused even when they do. */
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 1, a, 1, a, a), BPCI_EVERIFY);
	ck_assert_int_eq(bpci_merkle_verify_consistency(4, 4, a, 1, a, a), BPCI_EVERIFY);
	/* An empty proof never shows growth. */
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 2, NULL, 0, a, a), BPCI_EVERIFY);
	/* Empty trees and time travel are not proofs at all. */
	ck_assert_int_eq(bpci_merkle_verify_consistency(0, 0, NULL, 0, a, a), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(0, 1, NULL, 0, a, b), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(1, 0, NULL, 0, a, b), BPCI_EINVAL);
	ck_assert_int_eq(bpci_merkle_verify_consistency(2, 1, NULL, 0, a, b), BPCI_EINVAL);
}
END_TEST

TCase *merkle_vectors_tcase(void)
{
	TCase *tc = tcase_create("rfc6962-vectors");

	tcase_add_unchecked_fixture(tc, ref_setup, ref_teardown);
	tcase_add_test(tc, leaf_and_node_hashes);
	tcase_add_test(tc, roots_of_every_prefix);
	tcase_add_test(tc, inclusion_proofs);
	tcase_add_test(tc, inclusion_single_entry);
	tcase_add_test(tc, consistency_proofs);
	tcase_add_test(tc, consistency_equal_sizes);
	return tc;
}
