/* Hex and decimal forms of the ledger's wire protocol (ledger_remote.h). */
#include <string.h>

#include "api/ledger_remote.h"

void bpci__hex(char *out, const uint8_t *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bpci__unhex(uint8_t *out, size_t n, const char *text)
{
	size_t i;

	if (strlen(text) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int bpci__parse_u64(uint64_t *out, const char *text)
{
	uint64_t v = 0;

	if (*text == '\0')
		return -1;
	for (; *text; text++) {
		if (*text < '0' || *text > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*text - '0');
	}
	*out = v;
	return 0;
}
