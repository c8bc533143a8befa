/*
 * Is this JSON text already canonical? The coordinator hands the ledger
 * details it printed itself with json_dumps(JSON_COMPACT | JSON_SORT_KEYS);
 * parsing them and printing them again, only to get the same bytes, was a
 * third of the journal's cost. This scanner accepts a text only when every
 * byte is what jansson 2.14's dumper (src/dump.c) would write for the
 * value its loader (src/load.c) reads from it:
 *   - no whitespace; ',' and ':' as the only separators;
 *   - object keys without escapes, strictly increasing in byte order
 *     (jansson sorts with memcmp, then length; strictly also excludes the
 *     duplicates JSON_REJECT_DUPLICATES refuses);
 *   - strings in valid UTF-8 (jansson's rules: no overlongs, surrogates or
 *     code points above U+10FFFF), escaped exactly as the dumper escapes:
 *     \" \\ \b \f \n \r \t, other controls as \u00XX with uppercase hex,
 *     nothing else ('/' and non-ASCII raw);
 *   - integers as printf("%lld") prints them: no "-0", no leading zeros,
 *     within long long; no reals, whose printing is not worth predicting.
 * Anything else (and nesting deeper than DEPTH_MAX) is "not certain", and
 * the caller lets jansson do the work: a false 0 costs time, a false 1
 * would change stored bytes, so every rule errs towards 0.
 */
#include "model/json_canon.h"

#include <stdint.h>
#include <string.h>

#define DEPTH_MAX 64

typedef struct scan {
	const unsigned char *p, *end;
} scan;

/* Length of the UTF-8 sequence at @p as jansson's utf8_check_first() and
 * utf8_check_full() accept it, 0 when they refuse it. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int c = p[0];
	uint32_t v;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0;
	n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	v = c & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
		return 0;
	return n;
}

/* The escape at s->p (just after the backslash), if the dumper writes it:
 * one of its two-character forms, or \u00XX (uppercase) for a control
 * character that has no such form. \u0000 is refused by the loader. */
static int escape_ok(scan *s)
{
	const unsigned char *e = s->p;
	unsigned int v;

	if (e >= s->end)
		return 0;
	if (strchr("\"\\bfnrt", *e) != NULL && *e != '\0') {
		s->p++;
		return 1;
	}
	if (*e != 'u' || s->end - e < 5 || e[1] != '0' || e[2] != '0' ||
	    (e[3] != '0' && e[3] != '1'))
		return 0;
	if (e[4] >= '0' && e[4] <= '9')
		v = (unsigned int)(e[3] - '0') * 16 + (unsigned int)(e[4] - '0');
	else if (e[4] >= 'A' && e[4] <= 'F')
		v = (unsigned int)(e[3] - '0') * 16 + (unsigned int)(e[4] - 'A' + 10);
	else
		return 0;
	if (v == 0 || v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r')
		return 0;
	s->p += 5;
	return 1;
}

/* Bytes that stand for themselves in a printed string: ASCII from the
 * space on, but for '"' and '\\'. Most bytes of a text are these, and one
 * look-up each keeps the scan far cheaper than a parse. */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* A string at s->p (its opening quote); a key may not hold escapes. */
static int string_ok(scan *s, int key)
{
	size_t n;

	s->p++;
	while (s->p < s->end) {
		const unsigned char *p = s->p;
		unsigned int c;

		while (p < s->end && plain[*p])
			p++;
		s->p = p;
		if (p == s->end)
			return 0;
		c = *p;
		if (c == '"') {
			s->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			s->p++;
			if (key || !escape_ok(s))
				return 0;
			continue;
		}
		n = utf8_len(s->p, s->end);
		if (n == 0)
			return 0;
		s->p += n;
	}
	return 0;
}

/* An integer as "%lld" prints a long long. */
static int integer_ok(scan *s)
{
	static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
	const unsigned char *digits;
	int neg = *s->p == '-';
	size_t n;

	s->p += neg;
	digits = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	n = (size_t)(s->p - digits);
	if (n == 0 || (digits[0] == '0' && (n > 1 || neg)))
		return 0;
	if (n < sizeof(max) - 1)
		return 1;
	return n == sizeof(max) - 1 && memcmp(digits, neg ? min : max, n) <= 0;
}

static int literal_ok(scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

static int value_ok(scan *s, int depth);

/* Keys compared as jansson's compare_keys() sorts them: bytes, then
 * length. Without escapes the raw bytes are the key's bytes. */
static int key_after(const unsigned char *prev, size_t plen, const unsigned char *key,
		     size_t klen)
{
	int c;

	if (prev == NULL)
		return 1;
	c = memcmp(prev, key, plen < klen ? plen : klen);
	return c < 0 || (c == 0 && plen < klen);
}

static int object_ok(scan *s, int depth)
{
	const unsigned char *prev = NULL, *key;
	size_t plen = 0;

	if (++s->p < s->end && *s->p == '}') {
		s->p++;
		return 1;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return 0;
		key = s->p + 1;
		if (!string_ok(s, 1))
			return 0;
		if (!key_after(prev, plen, key, (size_t)(s->p - 1 - key)))
			return 0;
		prev = key;
		plen = (size_t)(s->p - 1 - key);
		if (s->p >= s->end || *s->p++ != ':' || !value_ok(s, depth + 1))
			return 0;
		if (s->p >= s->end)
			return 0;
		if (*s->p == '}') {
			s->p++;
			return 1;
		}
		if (*s->p++ != ',')
			return 0;
	}
}

static int array_ok(scan *s, int depth)
{
	if (++s->p < s->end && *s->p == ']') {
		s->p++;
		return 1;
	}
	for (;;) {
		if (!value_ok(s, depth + 1) || s->p >= s->end)
			return 0;
		if (*s->p == ']') {
			s->p++;
			return 1;
		}
		if (*s->p++ != ',')
			return 0;
	}
}

static int value_ok(scan *s, int depth)
{
	if (s->p >= s->end || depth > DEPTH_MAX)
		return 0;
	switch (*s->p) {
	case '"':
		return string_ok(s, 0);
	case '{':
		return object_ok(s, depth);
	case '[':
		return array_ok(s, depth);
	case 't':
		return literal_ok(s, "true", 4);
	case 'f':
		return literal_ok(s, "false", 5);
	case 'n':
		return literal_ok(s, "null", 4);
	default:
		return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) && integer_ok(s);
	}
}

int bpci__json_canonical_object(const char *text, size_t len)
{
	scan s = {(const unsigned char *)text, (const unsigned char *)text + len};

	if (text == NULL || len == 0 || text[0] != '{')
		return 0;
	return object_ok(&s, 0) && s.p == s.end;
}

int bpci__json_plain_string(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		if (plain[*p]) {
			p++;
			continue;
		}
		if (*p < 0x80)
			return 0;
		n = utf8_len(p, end);
		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}
