/* Every audit command on a ledger made in the test; outputs checked
 * against bpci_merkle_* in-process and an independent SHA-256 tree. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit_test.h"

#define N 7

/* A temporary directory with a ledger "l" of N entries and one checkpoint
 * at size N. */
static char *make_ledger(char **ldir)
{
	char *tmp = bpci_test_mkdtemp(), *note = NULL;
	bpci_ledger *l;

	ck_assert(asprintf(ldir, "%s/l", tmp) > 0);
	l = at_open(*ldir);
	at_fill(l, "n", N);
	ck_assert_int_eq(bpci_ledger_checkpoint(&note, l, NULL), 0);
	bpci_free(note);
	bpci_ledger_free(l);
	return tmp;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(missing_ledger)
{
	char *tmp = bpci_test_mkdtemp(), *dir;
	static const char *const cmds[] = {"log", "verify", "checkpoint", "export", "public-key"};
	bpci_test_run r;
	size_t i;

	ck_assert(asprintf(&dir, "%s/none", tmp) > 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		at_run(&r, "audit", cmds[i], "--ledger", dir, NULL);
		ck_assert_msg(r.status == 1, "%s: status %d", cmds[i], r.status);
		ck_assert_contains(r.err, "no ledger at");
		ck_assert_contains(r.err, dir);
		bpci_test_run_free(&r);
	}
	ck_assert_int_eq(access(dir, F_OK), -1); /* never created */
	at_run(&r, "audit", "log", "--state-dir", tmp, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "/ledger (give --ledger DIR");
	bpci_test_run_free(&r);
	free(dir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(log_lines)
{
	char *ldir, *tmp = make_ledger(&ldir), *e = NULL, *state;
	bpci_test_run r;
	bpci_ledger *l;
	char want[512];
	size_t len;

	at_run(&r, "audit", "log", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(count_lines(r.out), N);
	ck_assert(strncmp(r.out, "0  20", 5) == 0);
	ck_assert_contains(r.out, "  node.started  n0  {\"n\":0}\n");
	ck_assert_contains(r.out, "\n6  20");
	ck_assert_contains(r.out, "  node.started  n6  {\"n\":6}\n");
	bpci_test_run_free(&r);

	at_run(&r, "audit", "log", "--ledger", ldir, "--since", "5", "--output", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	l = at_open(ldir);
	ck_assert_int_eq(bpci_ledger_get(&e, &len, l, 5, NULL), 0);
	snprintf(want, sizeof(want), "%s\n", e);
	bpci_free(e);
	ck_assert(strncmp(r.out, want, strlen(want)) == 0);
	ck_assert_uint_eq(count_lines(r.out), 2);
	bpci_ledger_free(l);
	bpci_test_run_free(&r);

	at_run(&r, "audit", "log", "--ledger", ldir, "--since", "x1", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "--since must be a whole number >= 0, got 'x1'");
	bpci_test_run_free(&r);

	/* The state directory: <state-dir>/ledger. */
	ck_assert(asprintf(&state, "%s", tmp) > 0);
	{
		char *nl;

		ck_assert(asprintf(&nl, "%s/ledger", tmp) > 0);
		ck_assert_int_eq(rename(ldir, nl), 0);
		at_run(&r, "audit", "log", "--state-dir", state, NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(count_lines(r.out), N);
		bpci_test_run_free(&r);
		setenv("BPCI_STATE_DIR", state, 1);
		at_run(&r, "audit", "log", "--since", "6", NULL);
		unsetenv("BPCI_STATE_DIR");
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(count_lines(r.out), 1);
		bpci_test_run_free(&r);
		free(nl);
	}
	free(state);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(log_follow)
{
	char *ldir, *tmp = make_ledger(&ldir), line[512];
	const char *argv[] = {"audit", "log", "--follow", "--since", "6", "--ledger", NULL, NULL};
	bpci_ledger *l;
	at_child c;

	argv[6] = ldir;
	at_spawn(&c, argv);
	ck_assert(at_read_line(&c, line, sizeof(line), 10000));
	ck_assert_contains(line, "  node.started  n6  ");
	l = at_open(ldir);
	at_fill(l, "late", 2);
	ck_assert_msg(at_read_line(&c, line, sizeof(line), 10000), "no line after an append");
	ck_assert(strncmp(line, "7  ", 3) == 0);
	ck_assert_contains(line, "  late0  ");
	ck_assert(at_read_line(&c, line, sizeof(line), 10000));
	ck_assert(strncmp(line, "8  ", 3) == 0);
	ck_assert_int_eq(at_stop(&c, SIGINT), 0);
	bpci_ledger_free(l);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

/* Leaf hashes of the ledger, computed by bpci_merkle from its entries. */
static uint8_t *leaves(const char *ldir, size_t *n)
{
	bpci_ledger *l = at_open(ldir);
	uint8_t *h;
	size_t i;

	*n = bpci_ledger_size(l);
	h = malloc(*n * 32);
	for (i = 0; i < *n; i++) {
		char *e = NULL;
		size_t len;

		ck_assert_int_eq(bpci_ledger_get(&e, &len, l, i, NULL), 0);
		bpci_merkle_leaf_hash(h + 32 * i, e, len);
		bpci_free(e);
	}
	bpci_ledger_free(l);
	return h;
}

static char *expected_proof(const uint8_t *lh, size_t index, size_t size, int json)
{
	uint8_t path[64 * 32], root[32];
	size_t n = 64, i;
	char h[65], *out = NULL, *tmp;

	ck_assert_int_eq(bpci_merkle_inclusion_proof(path, &n, lh, size, index), 0);
	ck_assert_int_eq(bpci_merkle_root(root, lh, size), 0);
	at_hex(h, lh + 32 * index);
	if (json) {
		ck_assert(asprintf(&out, "{\"index\":%zu,\"size\":%zu,\"leaf_hash\":\"%s\",", index,
				   size, h) > 0);
		at_hex(h, root);
		ck_assert(asprintf(&tmp, "%s\"root\":\"%s\",\"path\":[", out, h) > 0);
	} else {
		ck_assert(asprintf(&out, "index %zu\nsize %zu\nleaf_hash %s\n", index, size, h) > 0);
		at_hex(h, root);
		ck_assert(asprintf(&tmp, "%sroot %s\n", out, h) > 0);
	}
	free(out);
	out = tmp;
	for (i = 0; i < n; i++) {
		at_hex(h, path + 32 * i);
		if (json)
			ck_assert(asprintf(&tmp, "%s%s\"%s\"", out, i ? "," : "", h) > 0);
		else
			ck_assert(asprintf(&tmp, "%spath %s\n", out, h) > 0);
		free(out);
		out = tmp;
	}
	if (json) {
		ck_assert(asprintf(&tmp, "%s]}\n", out) > 0);
		free(out);
		out = tmp;
	}
	return out;
}

START_TEST(proofs)
{
	char *ldir, *tmp = make_ledger(&ldir), *want, a[32], b[32];
	bpci_test_run r;
	size_t n, index, size;
	uint8_t *lh = leaves(ldir, &n);

	ck_assert_uint_eq(n, N);
	for (size = 1; size <= N; size += 2)
		for (index = 0; index < size; index++) {
			snprintf(a, sizeof(a), "%zu", index);
			snprintf(b, sizeof(b), "%zu", size);
			at_run(&r, "audit", "proof", "--ledger", ldir, "--index", a, "--size", b, NULL);
			ck_assert_int_eq(r.status, 0);
			want = expected_proof(lh, index, size, 0);
			ck_assert_str_eq(r.out, want);
			free(want);
			bpci_test_run_free(&r);
		}
	at_run(&r, "audit", "proof", "--ledger", ldir, "--index", "3", "--output", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	want = expected_proof(lh, 3, N, 1);
	ck_assert_str_eq(r.out, want);
	free(want);
	bpci_test_run_free(&r);
	at_run(&r, "audit", "proof", "--ledger", ldir, "--index", "7", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "got index 7");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "proof", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "proof needs --index");
	bpci_test_run_free(&r);
	free(lh);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(consistency)
{
	char *ldir, *tmp = make_ledger(&ldir), *want, *t2, a[32], b[32], h1[65], h2[65], h[65];
	uint8_t path[64 * 32], r1[32], r2[32];
	bpci_test_run r;
	size_t n, m, from, to, i;
	uint8_t *lh = leaves(ldir, &n);

	for (from = 1; from <= N; from++)
		for (to = from; to <= N; to++) {
			m = 64;
			ck_assert_int_eq(bpci_merkle_consistency_proof(path, &m, lh, from, to), 0);
			bpci_merkle_root(r1, lh, from);
			bpci_merkle_root(r2, lh, to);
			at_hex(h1, r1);
			at_hex(h2, r2);
			ck_assert(asprintf(&want, "from %zu\nto %zu\nroot_from %s\nroot_to %s\n", from,
					   to, h1, h2) > 0);
			for (i = 0; i < m; i++) {
				at_hex(h, path + 32 * i);
				ck_assert(asprintf(&t2, "%spath %s\n", want, h) > 0);
				free(want);
				want = t2;
			}
			snprintf(a, sizeof(a), "%zu", from);
			snprintf(b, sizeof(b), "%zu", to);
			at_run(&r, "audit", "consistency", "--ledger", ldir, "--from", a, "--to", b,
			       NULL);
			ck_assert_int_eq(r.status, 0);
			ck_assert_str_eq(r.out, want);
			free(want);
			bpci_test_run_free(&r);
		}
	at_run(&r, "audit", "consistency", "--ledger", ldir, "--from", "3", "--to", "5",
	       "--output", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert(strncmp(r.out, "{\"from\":3,\"to\":5,\"root_from\":\"", 30) == 0);
	ck_assert_contains(r.out, "\"path\":[\"");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "consistency", "--ledger", ldir, "--from", "0", "--to", "5", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "got from 0 to 5");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "consistency", "--ledger", ldir, "--from", "2", "--to", "8", NULL);
	ck_assert_int_eq(r.status, 2);
	bpci_test_run_free(&r);
	free(lh);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

/* RFC 6962 MTH with OpenSSL's SHA-256, independent of bpci_merkle. */
static void sha(uint8_t out[32], uint8_t prefix, const void *a, size_t al, const void *b,
		size_t bl)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, &prefix, 1);
	EVP_DigestUpdate(c, a, al);
	if (bl)
		EVP_DigestUpdate(c, b, bl);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

static void mth(uint8_t out[32], char **lines, size_t n)
{
	uint8_t l[32], r[32];
	size_t k = 1;

	if (n == 1) {
		sha(out, 0, lines[0], strlen(lines[0]), NULL, 0);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(l, lines, k);
	mth(r, lines + k, n - k);
	sha(out, 1, l, 32, r, 32);
}

START_TEST(export_rehash)
{
	char *ldir, *tmp = make_ledger(&ldir), *lines[N], *p, *nl, h[65], want[100];
	bpci_test_run r, c;
	uint8_t root[32];
	size_t n = 0;

	at_run(&r, "audit", "export", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 0);
	for (p = r.out; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		ck_assert_uint_lt(n, N);
		*nl = '\0';
		lines[n++] = p;
	}
	ck_assert_uint_eq(n, N);
	ck_assert_str_eq(p, "");
	ck_assert(strncmp(lines[2], "{\"actor\":\"test\",\"details\":{\"n\":2},\"seq\":2,", 42) == 0);
	mth(root, lines, n);
	at_hex(h, root);
	at_run(&c, "audit", "checkpoint", "--ledger", ldir, "--output", "json", NULL);
	ck_assert_int_eq(c.status, 0);
	snprintf(want, sizeof(want), "{\"size\":%d,\"root\":\"%s\",", N, h);
	ck_assert_msg(strncmp(c.out, want, strlen(want)) == 0, "%s vs %s", c.out, want);
	bpci_test_run_free(&c);
	at_run(&c, "audit", "checkpoint", "--ledger", ldir, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strncmp(c.out, "bpci.local/audit\n7\n", 19) == 0);
	ck_assert_contains(c.out, "\n\n\xe2\x80\x94 bpci.local/audit ");
	bpci_test_run_free(&c);
	bpci_test_run_free(&r);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(verify_and_tamper)
{
	char *ldir, *tmp = make_ledger(&ldir), *seg, cmd[1024], *copy;
	bpci_test_run r;
	bpci_ledger *l;
	size_t i, len, off = 16;
	int fd;
	char ch;

	at_run(&r, "audit", "verify", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "7 entries, 1 checkpoints verified\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "verify", "--ledger", ldir, "--output", "json", NULL);
	ck_assert_str_eq(r.out, "{\"verified\":true,\"entries\":7,\"checkpoints\":1}\n");
	bpci_test_run_free(&r);

	/* A copy with one byte of entry 3 flipped. */
	ck_assert(asprintf(&copy, "%s/copy", tmp) > 0);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", ldir, copy);
	ck_assert_int_eq(system(cmd), 0);
	l = at_open(ldir);
	for (i = 0; i < 3; i++) {
		char *e = NULL;

		ck_assert_int_eq(bpci_ledger_get(&e, &len, l, i, NULL), 0);
		off += 8 + len;
		bpci_free(e);
	}
	bpci_ledger_free(l);
	ck_assert(asprintf(&seg, "%s/segment-000000.log", copy) > 0);
	fd = open(seg, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &ch, 1, (off_t)(off + 8 + 20)), 1);
	ch ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &ch, 1, (off_t)(off + 8 + 20)), 1);
	close(fd);
	at_run(&r, "audit", "verify", "--ledger", copy, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "entry 3");
	ck_assert_contains(r.err, "verification failed");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "verify", "--ledger", copy, "--output", "json", NULL);
	ck_assert_int_eq(r.status, 1);
	snprintf(cmd, sizeof(cmd), "{\"verified\":false,\"error\":\"entry 3: CRC mismatch in "
		 "segment-000000.log at offset %zu\"}\n", off);
	ck_assert_str_eq(r.out, cmd);
	bpci_test_run_free(&r);

	/* audit repair: what a dry run says, the checkpoint at 7 that needs
	 * --force, and the repaired ledger. */
	at_run(&r, "audit", "repair", "--ledger", copy, "--dry-run", NULL);
	ck_assert_int_eq(r.status, 0);
	snprintf(cmd, sizeof(cmd), "segment-000000.log at offset %zu: entry 3: CRC mismatch\n",
		 off);
	ck_assert_contains(r.out, cmd);
	ck_assert_contains(r.out, "would cut entries from 3 on (complete ones seen up to 6)");
	ck_assert_contains(r.out, "the largest checkpoint covers 7 entries");
	ck_assert_contains(r.out, "dry run: nothing changed\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "repair", "--ledger", copy, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "force is needed: the cut at entry 3 goes below a signed "
			   "checkpoint of 7 entries");
	ck_assert_contains(r.err, "refused");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "repair", "--ledger", copy, "--force", "--output", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	snprintf(cmd, sizeof(cmd), "\"cut\":true,\"rebuilt\":true,\"segment\":\"segment-000000.log\","
		 "\"offset\":%zu,\"damage\":\"CRC mismatch\",\"first_cut\":3,"
		 "\"last_seen\":6,", off);
	ck_assert_contains(r.out, cmd);
	ck_assert_contains(r.out, "\"checkpoint_size\":7,\"checkpoints_cut\":1,");
	snprintf(cmd, sizeof(cmd), "\"kept\":\"segment-000000.log.torn-%zu\"}\n", off);
	ck_assert_contains(r.out, cmd);
	bpci_test_run_free(&r);
	at_run(&r, "audit", "verify", "--ledger", copy, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "3 entries, 0 checkpoints verified\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "repair", "--ledger", copy, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "no damaged record: nothing to cut\n"
			 "tree cache and index rebuilt from the segments\n");
	bpci_test_run_free(&r);
	free(seg);
	free(copy);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(append_and_keys)
{
	char *ldir, *tmp = make_ledger(&ldir), *vkey = NULL, *e = NULL, *want;
	bpci_test_run r;
	bpci_ledger *l;

	at_run(&r, "audit", "append", "--ledger", ldir, "--event", "port_allocation",
	       "--details", "port 8080 to n1", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "appended entry 7\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "append", "--ledger", ldir, "--event", "node.restarted", "--details",
	       "x", "--output", "json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_contains(r.out, "\"seq\":8,");
	ck_assert_contains(r.out, "\"type\":\"node.restarted\"}\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "append", "--ledger", ldir, "--event", "Bad.Type", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "Bad.Type");
	bpci_test_run_free(&r);

	l = at_open(ldir); /* now a writer holds it */
	ck_assert_int_eq(bpci_ledger_get(&e, NULL, l, 7, NULL), 0);
	ck_assert_contains(e, "\"details\":\"port 8080 to n1\"");
	ck_assert_contains(e, "\"subject\":\"port_allocation\"");
	ck_assert_contains(e, "\"type\":\"audit.custom\"");
	bpci_free(e);
	at_run(&r, "audit", "append", "--ledger", ldir, "--event", "a.b", NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "the daemon owns the ledger");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "checkpoint", "--new", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "locked by a writer");
	bpci_test_run_free(&r);
	ck_assert_int_eq(bpci_ledger_public_key(&vkey, NULL, l), 0);
	at_run(&r, "audit", "public-key", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert(asprintf(&want, "%s\n", vkey) > 0);
	ck_assert_str_eq(r.out, want);
	bpci_test_run_free(&r);
	free(want);
	bpci_free(vkey);
	bpci_ledger_free(l);

	at_run(&r, "audit", "checkpoint", "--new", "--ledger", ldir, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert(strncmp(r.out, "bpci.local/audit\n9\n", 19) == 0);
	bpci_test_run_free(&r);
	at_run(&r, "audit", "verify", "--ledger", ldir, NULL);
	ck_assert_str_eq(r.out, "9 entries, 2 checkpoints verified\n");
	bpci_test_run_free(&r);
	at_run(&r, "audit", "--help", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_contains(r.out, "consistency");
	ck_assert_contains(r.out, "public-key");
	bpci_test_run_free(&r);
	free(ldir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void audit_add_cli_tests(Suite *s)
{
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, missing_ledger);
	tcase_add_test(tc, log_lines);
	tcase_add_test(tc, log_follow);
	tcase_add_test(tc, proofs);
	tcase_add_test(tc, consistency);
	tcase_add_test(tc, export_rehash);
	tcase_add_test(tc, verify_and_tamper);
	tcase_add_test(tc, append_and_keys);
	suite_add_tcase(s, tc);
}
