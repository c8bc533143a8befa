/*
 * Checkpoints: the exact C2SP note bytes, checked with OpenSSL directly
 * (key id, Ed25519 signature over the body), the verify API, notes signed
 * by another key, and a rewritten log that must not be signed again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ledger_test.h"
#include "test.h"

static char *tmp;
static char dir[512], dir2[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/a", tmp);
	snprintf(dir2, sizeof(dir2), "%s/b", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

static bpci_ledger *filled(const char *d, const char *origin, int n)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l;
	int i;

	o.origin = origin;
	l = lt_open(d, &o);
	for (i = 0; i < n; i++)
		lt_append(l, "n");
	return l;
}

/* Appends one framed record to @dir/checkpoints. */
static void append_record(const char *d, const char *note)
{
	size_t len, n = strlen(note);
	char *old = lt_read_file(d, "checkpoints", &len), *buf = malloc(len + 8 + n);
	uint32_t crc = lt_crc32c(note, n);
	int i;

	memcpy(buf, old, len);
	for (i = 0; i < 4; i++) {
		buf[len + i] = (char)(n >> (8 * i));
		buf[len + 4 + i] = (char)(crc >> (8 * i));
	}
	memcpy(buf + len + 8, note, n);
	lt_write_bytes(d, "checkpoints", buf, len + 8 + n);
	free(old);
	free(buf);
}

START_TEST(note_format_exact)
{
	bpci_ledger *l = filled(dir, "example.org/audit", 5);
	uint8_t root[H], raw[32], sigbuf[72], keyin[64], md[32], root2[H];
	char *note, *again, *vkey, *lines[6], b64root[64], want_vkey[200], b64key[64];
	unsigned char pubin[33];
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx;
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	uint64_t size = 0;
	int n = 0, dec;
	char *p, *copy;

	ck_assert_int_eq(bpci_ledger_checkpoint(&note, l, NULL), 0);
	ck_assert_int_eq(bpci_ledger_root(root, l, 5), 0);
	ck_assert_int_eq(bpci_ledger_public_key(&vkey, raw, l), 0);

	copy = strdup(note);
	for (p = copy; n < 6 && p; n++) {
		lines[n] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	ck_assert_int_eq(n, 6); /* 5 lines and the empty rest after the last newline */
	ck_assert_str_eq(lines[0], "example.org/audit");
	ck_assert_str_eq(lines[1], "5");
	EVP_EncodeBlock((unsigned char *)b64root, root, H);
	ck_assert_str_eq(lines[2], b64root);
	ck_assert_str_eq(lines[3], "");
	ck_assert_str_eq(lines[5], "");
	ck_assert_int_eq(strncmp(lines[4], "\xe2\x80\x94 example.org/audit ", 22), 0);
	ck_assert_uint_eq(strlen(lines[4] + 22), 92);
	dec = EVP_DecodeBlock(sigbuf, (unsigned char *)lines[4] + 22, 92);
	ck_assert_int_eq(dec, 69); /* 68 bytes and one padding byte */

	/* key id = SHA-256("example.org/audit" || "\n" || 0x01 || pub)[:4] */
	memcpy(keyin, "example.org/audit\n\x01", 19);
	memcpy(keyin + 19, raw, 32);
	ck_assert_int_eq(EVP_Digest(keyin, 51, md, NULL, EVP_sha256(), NULL), 1);
	ck_assert_mem_eq(sigbuf, md, 4);

	/* The signature covers the body including its final newline. */
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
	ctx = EVP_MD_CTX_new();
	ck_assert(pk && ctx);
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk), 1);
	ck_assert_int_eq(EVP_DigestVerify(ctx, sigbuf + 4, 64, (unsigned char *)note,
					  strlen(lines[0]) + strlen(lines[1]) + strlen(lines[2]) + 3),
			 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);

	pubin[0] = 1;
	memcpy(pubin + 1, raw, 32);
	EVP_EncodeBlock((unsigned char *)b64key, pubin, 33);
	snprintf(want_vkey, sizeof(want_vkey), "example.org/audit+%02x%02x%02x%02x+%s", md[0], md[1],
		 md[2], md[3], b64key);
	ck_assert_str_eq(vkey, want_vkey);
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(&size, root2, note, vkey, NULL), 0);
	ck_assert_uint_eq(size, 5);
	ck_assert_mem_eq(root2, root, H);

	/* Nothing new: the same note, no new signature. */
	ck_assert_int_eq(bpci_ledger_checkpoint(&again, l, NULL), 0);
	ck_assert_str_eq(again, note);
	bpci_free(again);
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), 0);
	ck_assert_uint_eq(st.checkpoints, 1);
	lt_append(l, "m");
	ck_assert_int_eq(bpci_ledger_checkpoint(&again, l, NULL), 0);
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(&size, NULL, again, vkey, NULL), 0);
	ck_assert_uint_eq(size, 6);
	bpci_free(again);
	bpci_ledger_free(l);

	l = filled(dir, NULL, 0);
	ck_assert_int_eq(bpci_ledger_latest_checkpoint(&again, l), 0);
	ck_assert_contains(again, "example.org/audit\n6\n");
	bpci_free(again);
	bpci_ledger_free(l);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
	ck_assert_int_eq(lt_verify(dir, vkey, NULL, 0), 0);
	free(copy);
	bpci_free(note);
	bpci_free(vkey);
}
END_TEST

START_TEST(checkpoint_verify_refuses)
{
	bpci_ledger *a = filled(dir, "example.org/audit", 3), *b = filled(dir2, "example.org/audit", 3);
	char *note, *va, *vb, *bad;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_checkpoint(&note, a, NULL), 0);
	ck_assert_int_eq(bpci_ledger_public_key(&va, NULL, a), 0);
	ck_assert_int_eq(bpci_ledger_public_key(&vb, NULL, b), 0);
	ck_assert_str_ne(va, vb);
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(NULL, NULL, note, vb, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "no signature by key example.org/audit");
	bad = strdup(note);
	bad[strlen("example.org/audit\n")] = '4'; /* the size line */
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(NULL, NULL, bad, va, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "signature does not verify");
	strcpy(bad, "example.org/audit\n3\n");
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(NULL, NULL, bad, va, d), BPCI_EPARSE);
	va[strlen(va) - 3] ^= 1;
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(NULL, NULL, note, va, d), BPCI_EPARSE);
	ck_assert_str_eq(bpci_diag_get(d, bpci_diag_count(d) - 1)->field, "vkey");
	ck_assert_int_eq(bpci_ledger_checkpoint_verify(NULL, NULL, note, "nokey", d), BPCI_EPARSE);
	free(bad);
	bpci_free(note);
	bpci_free(va);
	bpci_free(vb);
	bpci_ledger_free(a);
	bpci_ledger_free(b);
	bpci_diag_free(d);
}
END_TEST

START_TEST(foreign_or_forged_checkpoint_fails_verify)
{
	bpci_ledger *a = filled(dir, "example.org/audit", 4), *b = filled(dir2, "example.org/audit", 4);
	char *na, *nb, *forged, *vb, msg[400], *sig;
	char sub[] = "a.b";

	ck_assert_int_eq(bpci_ledger_checkpoint(&na, a, NULL), 0);
	ck_assert_int_eq(bpci_ledger_checkpoint(&nb, b, NULL), 0);
	ck_assert_int_eq(bpci_ledger_public_key(&vb, NULL, b), 0);
	bpci_ledger_free(a);
	bpci_ledger_free(b);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), 0);
	/* The right ledger checked against someone else's key. */
	ck_assert_int_eq(lt_verify(dir, vb, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "checkpoint 0: no signature by key");

	/* A checkpoint signed by another key, well framed. */
	lt_copy_dir(dir, dir2);
	(void)sub;
	append_record(dir, nb);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "checkpoint 1: no signature by key example.org/audit");

	/* The right key id with a signature that does not verify. */
	bpci_test_rmtree(dir);
	lt_copy_dir(dir2, dir);
	forged = strdup(na);
	sig = strstr(forged, "\xe2\x80\x94 example.org/audit ") + 22;
	sig[20] = sig[20] == 'A' ? 'B' : 'A';
	append_record(dir, forged);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "checkpoint 1: signature does not verify");
	free(forged);
	bpci_free(na);
	bpci_free(nb);
	bpci_free(vb);
}
END_TEST

START_TEST(automatic_checkpoint)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = lt_open(dir, &o);
	char *note;

	ck_assert_int_eq(bpci_ledger_latest_checkpoint(&note, l), BPCI_ENOTFOUND);
	lt_append(l, "x");
	ck_assert_int_eq(bpci_ledger_latest_checkpoint(&note, l), 0);
	ck_assert_contains(note, "bpci.local/audit\n1\n");
	bpci_free(note);
	bpci_ledger_free(l);
}
END_TEST

/* Rewrite the last entry (valid JSON, valid CRC) and drop the cache: the
 * rebuilt tree no longer matches the signed checkpoint, and open says so. */
START_TEST(rewritten_log_refused)
{
	bpci_ledger *l = filled(dir, NULL, 5);
	bpci_diag *d;
	char *note, *seg, msg[400], path[600], *hit;
	size_t len;
	uint32_t crc;
	int i, k;

	ck_assert_int_eq(bpci_ledger_checkpoint(&note, l, NULL), 0);
	bpci_free(note);
	bpci_ledger_free(l);
	seg = lt_read_file(dir, "segment-000000.log", &len);
	hit = memmem(seg, len, "\"seq\":4", 7);
	ck_assert_ptr_nonnull(hit);
	hit = strstr(hit, "\"subject\":\"n\"");
	ck_assert_ptr_nonnull(hit);
	hit[11] = 'z';
	/* re-frame the last record with a correct CRC */
	for (i = (int)len - 1; i > 0; i--)
		if (seg[i] == '{' && seg[i - 1] != ':' && strncmp(seg + i, "{\"actor\"", 8) == 0)
			break;
	crc = lt_crc32c(seg + i, len - (size_t)i);
	for (k = 0; k < 4; k++)
		seg[i - 4 + k] = (char)(crc >> (8 * k));
	lt_write_bytes(dir, "segment-000000.log", seg, len);
	free(seg);
	for (k = 0; k < 4; k++) {
		snprintf(path, sizeof(path), "%s/tree-%02d.hashes", dir, k);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	unlink(path);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "the log was rewritten");
	bpci_diag_free(d);
	/* The open rebuilt the cache from the entries before it refused. */
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "checkpoint 0: root differs");
}
END_TEST

TCase *ledger_checkpoint_tcase(void)
{
	TCase *tc = tcase_create("checkpoint");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, note_format_exact);
	tcase_add_test(tc, checkpoint_verify_refuses);
	tcase_add_test(tc, foreign_or_forged_checkpoint_fails_verify);
	tcase_add_test(tc, automatic_checkpoint);
	tcase_add_test(tc, rewritten_log_refused);
	return tc;
}
