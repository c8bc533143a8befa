/* The RFC 6962 §2.1 definitions, transcribed recursively for the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "merkle_test.h"

/* Fetched once per test case: an implicit fetch per digest would make the
 * exhaustive comparisons many times slower. */
static EVP_MD *sha256_md;

void ref_setup(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ck_assert_ptr_nonnull(sha256_md);
}

void ref_teardown(void)
{
	EVP_MD_free(sha256_md);
	sha256_md = NULL;
}

static void sha256(uint8_t out[H], const void *data, size_t len)
{
	unsigned int outlen = 0;

	/* Plain checks: every passing ck_assert is a message to Check's
	 * parent, and this runs millions of times. */
	if (sha256_md == NULL || EVP_Digest(data, len, out, &outlen, sha256_md, NULL) != 1 ||
	    outlen != H)
		ck_abort_msg("reference SHA-256 failed");
}

void ref_leaf(uint8_t out[H], const void *data, size_t len)
{
	uint8_t *buf = malloc(len + 1);

	ck_assert_ptr_nonnull(buf);
	buf[0] = 0x00;
	if (len > 0)
		memcpy(buf + 1, data, len);
	sha256(out, buf, len + 1);
	free(buf);
}

void ref_node(uint8_t out[H], const uint8_t l[H], const uint8_t r[H])
{
	uint8_t buf[1 + 2 * H];

	buf[0] = 0x01;
	memcpy(buf + 1, l, H);
	memcpy(buf + 1 + H, r, H);
	sha256(out, buf, sizeof buf);
}

/* "k is the largest power of two smaller than n (i.e., k < n <= 2k)". */
static size_t ref_k(size_t n)
{
	size_t k = 1;

	while (2 * k < n)
		k *= 2;
	return k;
}

void ref_mth(uint8_t out[H], const uint8_t *leaves, size_t n)
{
	uint8_t l[H], r[H];
	size_t k;

	if (n == 0) {
		sha256(out, "", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves, H);
		return;
	}
	k = ref_k(n);
	ref_mth(l, leaves, k);
	ref_mth(r, leaves + k * H, n - k);
	ref_node(out, l, r);
}

static void append(ref_proof *p, const uint8_t *leaves, size_t n)
{
	if (p->len >= REF_PROOF_MAX)
		ck_abort_msg("reference proof longer than %d hashes", REF_PROOF_MAX);
	ref_mth(p->h[p->len++], leaves, n);
}

static void path_into(ref_proof *p, size_t m, const uint8_t *leaves, size_t n)
{
	size_t k;

	if (n == 1)
		return;
	k = ref_k(n);
	if (m < k) {
		path_into(p, m, leaves, k);
		append(p, leaves + k * H, n - k);
	} else {
		path_into(p, m - k, leaves + k * H, n - k);
		append(p, leaves, k);
	}
}

void ref_path(ref_proof *p, size_t m, const uint8_t *leaves, size_t n)
{
	p->len = 0;
	path_into(p, m, leaves, n);
}

static void subproof(ref_proof *p, size_t m, const uint8_t *leaves, size_t n, int b)
{
	size_t k;

	if (m == n) {
		if (!b)
			append(p, leaves, n);
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		subproof(p, m, leaves, k, b);
		append(p, leaves + k * H, n - k);
	} else {
		subproof(p, m - k, leaves + k * H, n - k, 0);
		append(p, leaves, k);
	}
}

void ref_consistency(ref_proof *p, size_t m, const uint8_t *leaves, size_t n)
{
	p->len = 0;
	subproof(p, m, leaves, n, 1);
}

int ref_proof_equals(const ref_proof *p, const uint8_t *path, size_t len)
{
	size_t i;

	if (p->len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (memcmp(p->h[i], path + i * H, H) != 0)
			return 0;
	return 1;
}

void unhex(uint8_t *out, const char *hex, size_t len)
{
	size_t i;

	ck_assert_uint_eq(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		unsigned int v;
		char byte[3] = {hex[2 * i], hex[2 * i + 1], 0};

		ck_assert_int_eq(sscanf(byte, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

void tohex(char *out, const uint8_t *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = 0;
}
