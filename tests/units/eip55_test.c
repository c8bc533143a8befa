/*
 * Keccak-256 and EIP-55.
 *
 * The permutation was also cross-checked while writing it: the same code
 * with SHA3's 0x06 padding matched Python's hashlib.sha3_256 for every
 * length 0..299, 1000 and 4096 (one to many 136-byte blocks).
 */
#include <stdio.h>
#include <string.h>

#include "bpci/error.h"
#include "model/text.h"
#include "units_tests.h"

static void keccak_is(const void *data, size_t len, const char *hex)
{
	uint8_t h[32];
	char got[65];
	size_t i;

	bpci__keccak256(h, data, len);
	for (i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", h[i]);
	ck_assert_str_eq(got, hex);
}

START_TEST(keccak256_vectors)
{
	static uint8_t block[200];

	keccak_is("", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	keccak_is("abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	keccak_is("The quick brown fox jumps over the lazy dog", 43,
		  "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
	/* Lengths at the 136-byte rate boundary must differ from each other. */
	memset(block, 0, sizeof(block));
	{
		uint8_t a[32], b[32], c[32];

		bpci__keccak256(a, block, 135);
		bpci__keccak256(b, block, 136);
		bpci__keccak256(c, block, 137);
		ck_assert(memcmp(a, b, 32) != 0 && memcmp(b, c, 32) != 0 && memcmp(a, c, 32) != 0);
	}
}
END_TEST

/* The test vectors of EIP-55 itself. */
static const char *const eip55_vectors[] = {
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
};

START_TEST(eip55_reproduces_the_eip_vectors)
{
	char lower[43], upper[43], out[43], fixed[43];
	size_t i, j;

	for (i = 0; i < sizeof(eip55_vectors) / sizeof(eip55_vectors[0]); i++) {
		const char *want = eip55_vectors[i];

		for (j = 0; j < 43; j++) {
			lower[j] = (char)(j < 2 ? want[j] : (want[j] >= 'A' && want[j] <= 'F') ? want[j] + 32 : want[j]);
			upper[j] = (char)(j < 2 ? want[j] : (want[j] >= 'a' && want[j] <= 'f') ? want[j] - 32 : want[j]);
		}
		ck_assert_int_eq(bpci__eip55_checksum(out, lower), 0);
		ck_assert_str_eq(out, want);
		ck_assert_int_eq(bpci__eip55_checksum(out, upper), 0);
		ck_assert_str_eq(out, want);
		ck_assert_int_eq(bpci__eip55_check(want, fixed), 0);
		ck_assert_str_eq(fixed, want);
		/* All-lower and all-upper carry no checksum and are valid. */
		ck_assert_int_eq(bpci__eip55_check(lower, NULL), 0);
		ck_assert_int_eq(bpci__eip55_check(upper, NULL), 0);
	}
}
END_TEST

START_TEST(eip55_flags_a_wrong_mixed_case_checksum)
{
	char fixed[43], again[43];
	char flipped[43];

	/* The original description's example address: mixed case, bad checksum. */
	ck_assert_int_eq(bpci__eip55_check("0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8", fixed), 1);
	ck_assert_str_eq(fixed, "0x742d35Cc6634C0532925a3B8D0Ac6eF4c5c3c8C8");
	ck_assert_int_eq(bpci__eip55_check(fixed, again), 0);
	ck_assert_str_eq(again, fixed);
	/* Flipping the case of one letter of a valid vector breaks it. */
	strcpy(flipped, eip55_vectors[0]);
	flipped[3] = 'A';    /* 0x5aA... -> 0x5AA... */
	ck_assert_int_eq(bpci__eip55_check(flipped, fixed), 1);
	ck_assert_str_eq(fixed, eip55_vectors[0]);
}
END_TEST

START_TEST(eip55_refuses_non_addresses)
{
	static const char *const bad[] = {
		"", "0x", "742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8",
		"0X742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8",
		"0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c",
		"0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8a",
		"0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8cg",
		" 0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8",
		"0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8 "
	};
	char out[43] = "untouched";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(bpci__eip55_check(bad[i], out) == BPCI_EINVAL, "accepted %s", bad[i]);
		ck_assert_msg(bpci__eip55_checksum(out, bad[i]) == BPCI_EINVAL, "accepted %s", bad[i]);
	}
	ck_assert_int_eq(bpci__eip55_checksum(out, NULL), BPCI_EINVAL);
	ck_assert_str_eq(out, "untouched");
}
END_TEST

TCase *units_eip55_tcase(void)
{
	TCase *tc = tcase_create("eip55");

	tcase_add_test(tc, keccak256_vectors);
	tcase_add_test(tc, eip55_reproduces_the_eip_vectors);
	tcase_add_test(tc, eip55_flags_a_wrong_mixed_case_checksum);
	tcase_add_test(tc, eip55_refuses_non_addresses);
	return tc;
}
