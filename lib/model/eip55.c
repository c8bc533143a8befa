/*
 * Keccak-256 and EIP-55 mixed-case address checksums.
 *
 * Ethereum hashes with the Keccak submission's padding (0x01), not the
 * final SHA3-256's (0x06), and OpenSSL 3.0 as shipped by Debian 12 offers
 * only the latter, so the permutation is implemented here (FIPS 202 §3,
 * compact form after the reference "tiny_sha3").
 */
#include "model/text.h"

#include <ctype.h>
#include <string.h>

#include "bpci/error.h"

static const uint64_t round_constants[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull,
	0x8000000080008000ull, 0x000000000000808bull, 0x0000000080000001ull,
	0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008aull,
	0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull,
	0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
	0x000000000000800aull, 0x800000008000000aull, 0x8000000080008081ull,
	0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull
};

/* Rotation offsets and lane order of the combined rho and pi steps. */
static const unsigned int rho[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44
};
static const unsigned int pi_lane[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1
};

static uint64_t rotl(uint64_t x, unsigned int n)
{
	return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t st[25])
{
	uint64_t bc[5], t;
	unsigned int r, i, j;

	for (r = 0; r < 24; r++) {
		/* theta */
		for (i = 0; i < 5; i++)
			bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
		for (i = 0; i < 5; i++) {
			t = bc[(i + 4) % 5] ^ rotl(bc[(i + 1) % 5], 1);
			for (j = 0; j < 25; j += 5)
				st[j + i] ^= t;
		}
		/* rho and pi */
		t = st[1];
		for (i = 0; i < 24; i++) {
			j = pi_lane[i];
			bc[0] = st[j];
			st[j] = rotl(t, rho[i]);
			t = bc[0];
		}
		/* chi */
		for (j = 0; j < 25; j += 5) {
			for (i = 0; i < 5; i++)
				bc[i] = st[j + i];
			for (i = 0; i < 5; i++)
				st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
		}
		/* iota */
		st[0] ^= round_constants[r];
	}
}

/* Lanes are little-endian whatever the host's byte order. */
static void absorb_byte(uint64_t st[25], size_t pos, uint8_t b)
{
	st[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

#define KECCAK256_RATE 136   /* bytes: 1600 bits - 2 * 256 capacity */

void bpci__keccak256(uint8_t out[32], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t st[25];
	size_t pos = 0, i;

	memset(st, 0, sizeof(st));
	for (i = 0; i < len; i++) {
		absorb_byte(st, pos++, p[i]);
		if (pos == KECCAK256_RATE) {
			keccak_f1600(st);
			pos = 0;
		}
	}
	absorb_byte(st, pos, 0x01);
	absorb_byte(st, KECCAK256_RATE - 1, 0x80);
	keccak_f1600(st);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

/* "0x" followed by exactly 40 hex digits. */
static int is_address(const char *addr)
{
	size_t i;

	if (!addr || addr[0] != '0' || addr[1] != 'x')
		return 0;
	for (i = 2; i < 42; i++)
		if (!isxdigit((unsigned char)addr[i]))
			return 0;
	return addr[42] == '\0';
}

int bpci__eip55_checksum(char out[43], const char *addr)
{
	char lower[40];
	uint8_t hash[32];
	unsigned int nibble;
	size_t i;

	if (!is_address(addr))
		return BPCI_EINVAL;
	for (i = 0; i < 40; i++)
		lower[i] = (char)tolower((unsigned char)addr[2 + i]);
	/* EIP-55 hashes the ASCII of the lower-case hex, not the 20 bytes. */
	bpci__keccak256(hash, lower, sizeof(lower));
	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < 40; i++) {
		nibble = (hash[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
		out[2 + i] = nibble >= 8 ? (char)toupper((unsigned char)lower[i]) : lower[i];
	}
	out[42] = '\0';
	return 0;
}

int bpci__eip55_check(const char *addr, char fixed[43])
{
	char right[43];
	int has_lower = 0, has_upper = 0;
	size_t i;

	if (bpci__eip55_checksum(right, addr) != 0)
		return BPCI_EINVAL;
	for (i = 2; i < 42; i++) {
		has_lower |= addr[i] >= 'a' && addr[i] <= 'f';
		has_upper |= addr[i] >= 'A' && addr[i] <= 'F';
	}
	if (fixed)
		memcpy(fixed, right, sizeof(right));
	if (!(has_lower && has_upper))
		return 0;
	return memcmp(addr + 2, right + 2, 40) == 0 ? 0 : 1;
}
