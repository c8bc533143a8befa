/*
 * Round trips: append through several segments, reopen, and require every
 * entry, leaf, root and proof the ledger serves from its files to equal
 * what bpci_merkle_* computes in memory from the entries' own bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "ledger_test.h"
#include "test.h"

#define N 600

static char *tmp;
static char dir[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/ledger", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

/* Appends N events: singles and batches, subjects "e<i>". */
static void fill(bpci_ledger *l)
{
	bpci_ledger_event evs[7];
	char subj[7][16];
	uint64_t first, i = 0, k;

	while (i < N) {
		if (i % 3 == 0 || N - i < 7) {
			snprintf(subj[0], sizeof(subj[0]), "e%llu", (unsigned long long)i);
			ck_assert_uint_eq(lt_append(l, subj[0]), i);
			i++;
			continue;
		}
		for (k = 0; k < 7; k++) {
			bpci_ledger_event e = BPCI_LEDGER_EVENT_INIT;

			snprintf(subj[k], sizeof(subj[k]), "e%llu", (unsigned long long)(i + k));
			e.type = "node.health";
			e.subject = subj[k];
			e.details_text = "ok";
			evs[k] = e;
		}
		ck_assert_int_eq(bpci_ledger_append_many(&first, l, evs, 7, NULL), 0);
		ck_assert_uint_eq(first, i);
		i += 7;
	}
}

static uint8_t *leaves_of(bpci_ledger *l)
{
	uint8_t *leaves = malloc(N * H), got[H];
	char *text, want[32];
	size_t len;
	uint64_t i;

	ck_assert(leaves != NULL);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(bpci_ledger_get(&text, &len, l, i, NULL), 0);
		snprintf(want, sizeof(want), "\"subject\":\"e%llu\"", (unsigned long long)i);
		ck_assert_contains(text, want);
		bpci_merkle_leaf_hash(leaves + i * H, text, len);
		ck_assert_int_eq(bpci_ledger_leaf_hash(got, l, i), 0);
		ck_assert_mem_eq(got, leaves + i * H, H);
		bpci_free(text);
	}
	return leaves;
}

static void check_proofs(bpci_ledger *l, const uint8_t *leaves, uint64_t a, uint64_t b)
{
	uint8_t p1[70 * H], p2[70 * H], root[H];
	size_t n1 = 70, n2 = 70;

	ck_assert_int_eq(bpci_ledger_inclusion_proof(p1, &n1, l, a, b), 0);
	ck_assert_int_eq(bpci_merkle_inclusion_proof(p2, &n2, leaves, b, a), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(p1, p2, n1 * H);
	ck_assert_int_eq(bpci_ledger_root(root, l, b), 0);
	ck_assert_int_eq(bpci_merkle_verify_inclusion(leaves + a * H, a, b, p1, n1, root), 0);
	n1 = n2 = 70;
	ck_assert_int_eq(bpci_ledger_consistency_proof(p1, &n1, l, a + 1, b), 0);
	ck_assert_int_eq(bpci_merkle_consistency_proof(p2, &n2, leaves, a + 1, b), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(p1, p2, n1 * H);
}

START_TEST(append_reopen_equal_to_merkle)
{
	bpci_ledger_options o = lt_options(4096);
	bpci_ledger *l = lt_open(dir, &o);
	uint8_t *leaves, a[H], b[H];
	uint64_t s, i, j;
	size_t n;

	fill(l);
	bpci_ledger_free(l);
	ck_assert_int_eq(access(dir, 0), 0);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), N);
	leaves = leaves_of(l);
	for (s = 0; s <= N; s++) {
		ck_assert_int_eq(bpci_ledger_root(a, l, s), 0);
		ck_assert_int_eq(bpci_merkle_root(b, leaves, s), 0);
		ck_assert_mem_eq(a, b, H);
	}
	/* Every proof of a few sizes, then pseudo-random ones. */
	for (s = 1; s <= 70; s += 23)
		for (i = 0; i < s; i++)
			check_proofs(l, leaves, i, s);
	srand(6962);
	for (n = 0; n < 400; n++) {
		j = 1 + (uint64_t)rand() % N;
		i = (uint64_t)rand() % j;
		check_proofs(l, leaves, i, j);
	}
	/* Argument checks and buffer sizing. */
	n = 0;
	ck_assert_int_eq(bpci_ledger_inclusion_proof(NULL, &n, l, 5, N), BPCI_EBUFS);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(bpci_ledger_inclusion_proof(NULL, &n, l, N, N), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_inclusion_proof(NULL, &n, l, 0, N + 1), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_consistency_proof(NULL, &n, l, 0, N), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_consistency_proof(NULL, &n, l, 5, 4), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_leaf_hash(a, l, N), BPCI_ENOTFOUND);
	bpci_ledger_free(l);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
	free(leaves);
}
END_TEST

/* The cache is derived data: deleted, it comes back identical. */
START_TEST(cache_rebuilt_when_missing)
{
	bpci_ledger_options o = lt_options(4096);
	bpci_ledger *l = lt_open(dir, &o);
	uint8_t before[H], after[H];
	char path[600];
	char *lvl0, *again;
	size_t n0, n1;

	fill(l);
	ck_assert_int_eq(bpci_ledger_root(before, l, N), 0);
	bpci_ledger_free(l);
	lvl0 = lt_read_file(dir, "tree-00.hashes", &n0);
	snprintf(path, sizeof(path), "%s/tree-00.hashes", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/tree-03.hashes", dir);
	ck_assert_int_eq(truncate(path, 32 * 5), 0);
	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	ck_assert_int_eq(unlink(path), 0);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), N);
	ck_assert_int_eq(bpci_ledger_root(after, l, N), 0);
	ck_assert_mem_eq(before, after, H);
	ck_assert_int_eq(bpci_ledger_rebuild_cache(l, NULL), 0);
	ck_assert_int_eq(bpci_ledger_root(after, l, N), 0);
	ck_assert_mem_eq(before, after, H);
	bpci_ledger_free(l);
	again = lt_read_file(dir, "tree-00.hashes", &n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert_mem_eq(lvl0, again, n0);
	free(lvl0);
	free(again);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
}
END_TEST


/*
 * Every allocation of open, append, checkpoint, proof and verify failing
 * in turn: each call fails cleanly (an error code, no crash; under ASan no
 * leak), and once allocations work again the ledger is whole.
 */
static int one_pass(const char *d)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = NULL;
	uint8_t path[8 * H];
	size_t plen = 8;
	char *note = NULL;
	int rc;

	if ((rc = bpci_ledger_open(&l, d, &o, NULL)) < 0)
		return rc;
	rc = bpci_ledger_audit(l, "alloc_test", "details");
	if (rc == 0)
		rc = bpci_ledger_checkpoint(&note, l, NULL);
	bpci_free(note);
	if (rc == 0)
		rc = bpci_ledger_inclusion_proof(path, &plen, l, 0, bpci_ledger_size(l));
	bpci_ledger_free(l);
	if (rc == 0)
		rc = bpci_ledger_verify(d, NULL, NULL, NULL, NULL);
	return rc;
}

START_TEST(allocation_failures_are_clean)
{
	long n, attempts;
	int rc, failures = 0;
	char msg[512];

	bpci__alloc_fail_after(-1);
	ck_assert_int_eq(one_pass(dir), 0);
	attempts = bpci__alloc_fail_after(-1);
	ck_assert_int_gt(attempts, 10);
	for (n = 0; n < attempts; n++) {
		bpci__alloc_fail_after(n);
		rc = one_pass(dir);
		bpci__alloc_fail_after(-1);
		if (rc != 0)
			failures++;
		/* Whatever failed, the ledger on disk still verifies. */
		ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0,
			      "after failing allocation %ld: %s", n, msg);
	}
	ck_assert_int_gt(failures, 0);
}
END_TEST

TCase *ledger_roundtrip_tcase(void)
{
	TCase *tc = tcase_create("roundtrip");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, append_reopen_equal_to_merkle);
	tcase_add_test(tc, cache_rebuilt_when_missing);
	tcase_add_test(tc, allocation_failures_are_clean);
	tcase_set_timeout(tc, 60);
	return tc;
}
