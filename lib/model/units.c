/*
 * Scalar values with units: integers, reals, booleans, durations, sizes,
 * CPU amounts and bandwidths (see text.h for the accepted spellings).
 *
 * Decimal fractions are handled exactly rather than through double, so that
 * "1.1Gi" or "0.125" give the same integer on every platform and a value
 * that is not a whole number of the stored unit can be refused, not
 * silently truncated. A fraction may have at most 9 significant digits,
 * which keeps every intermediate product within 64 bits.
 */
#include "model/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/error.h"

#define MAX_FRAC_DIGITS 9

/* A non-negative decimal number: ipart + frac / 10^fdigits. */
typedef struct decimal {
	uint64_t ipart;
	uint64_t frac;       /* trailing zeros removed */
	unsigned int fdigits;
} decimal;

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Narrow [*b, *e) to the text without surrounding blanks; 0 when empty. */
static int trim(const char *s, const char **b, const char **e)
{
	const char *end = s + strlen(s);

	while (*s && is_blank(*s))
		s++;
	while (end > s && is_blank(end[-1]))
		end--;
	*b = s;
	*e = end;
	return end > s;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const uint64_t pow10_table[] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
	100000000u, 1000000000u
};

/*
 * Read digits [ "." digits ] at p. Returns the position after the number,
 * or NULL when there is no number, the integer part overflows or the
 * fraction is more precise than MAX_FRAC_DIGITS.
 */
static const char *scan_decimal(const char *p, const char *end, decimal *d)
{
	uint64_t v = 0;
	unsigned int n = 0, zeros = 0;

	if (p >= end || !is_digit(*p))
		return NULL;
	for (; p < end && is_digit(*p); p++) {
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return NULL;
	}
	d->ipart = v;
	d->frac = 0;
	d->fdigits = 0;
	if (p >= end || *p != '.')
		return p;
	p++;
	if (p >= end || !is_digit(*p))
		return NULL;
	/* Zeros are held back until a non-zero digit shows they are significant. */
	for (; p < end && is_digit(*p); p++) {
		if (*p == '0') {
			zeros++;
			continue;
		}
		if (n + zeros + 1 > MAX_FRAC_DIGITS)
			return NULL;
		d->frac = d->frac * pow10_table[zeros + 1] + (uint64_t)(*p - '0');
		n += zeros + 1;
		zeros = 0;
	}
	d->fdigits = n;
	return p;
}

enum scale_mode { SCALE_EXACT, SCALE_ROUND };

/*
 * d * unit as an integer. SCALE_EXACT refuses a result with a fractional
 * part, SCALE_ROUND rounds half up. Splitting unit at 10^fdigits keeps
 * every product below 2^64: frac < 10^9 and unit % 10^fdigits < 10^9.
 */
static int scale(const decimal *d, uint64_t unit, enum scale_mode mode, uint64_t *out)
{
	uint64_t total, p10, hi, lo, part;

	if (__builtin_mul_overflow(d->ipart, unit, &total))
		return BPCI_EINVAL;
	if (d->fdigits == 0) {
		*out = total;
		return 0;
	}
	p10 = pow10_table[d->fdigits];
	hi = unit / p10;
	lo = unit % p10;
	if (__builtin_mul_overflow(d->frac, hi, &part) ||
	    __builtin_add_overflow(total, part, &total))
		return BPCI_EINVAL;
	part = d->frac * lo;
	if (part % p10 != 0) {
		if (mode == SCALE_EXACT)
			return BPCI_EINVAL;
		if (2 * (part % p10) >= p10 && __builtin_add_overflow(total, 1u, &total))
			return BPCI_EINVAL;
	}
	if (__builtin_add_overflow(total, part / p10, &total))
		return BPCI_EINVAL;
	*out = total;
	return 0;
}

int bpci__parse_uint(const char *s, uint64_t *out)
{
	const char *b, *e, *p;
	decimal d;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	p = scan_decimal(b, e, &d);
	if (p != e || d.fdigits != 0 || memchr(b, '.', (size_t)(e - b)))
		return BPCI_EINVAL;
	*out = d.ipart;
	return 0;
}

/* [digits][.digits][(e|E)[+-]digits]: what strtod may see (no sign, no hex, no inf/nan). */
static int is_plain_real(const char *p, const char *end)
{
	int digits = 0;

	while (p < end && is_digit(*p))
		p++, digits++;
	if (p < end && *p == '.') {
		p++;
		while (p < end && is_digit(*p))
			p++, digits++;
	}
	if (!digits)
		return 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return 0;
		while (p < end && is_digit(*p))
			p++;
	}
	return p == end;
}

int bpci__parse_number(const char *s, double *out)
{
	const char *b, *e;
	char *stop;
	double v;

	if (!s || !trim(s, &b, &e) || !is_plain_real(b, e))
		return BPCI_EINVAL;
	errno = 0;
	v = strtod(b, &stop);
	if (stop != e || !isfinite(v) || (errno == ERANGE && v != 0.0 && fabs(v) >= 1.0))
		return BPCI_EINVAL;
	*out = v;
	return 0;
}

int bpci__parse_bool(const char *s, int *out)
{
	static const struct { const char *word; int value; } words[] = {
		{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
		{"on", 1}, {"off", 0}, {"1", 1}, {"0", 0}
	};
	const char *b, *e;
	size_t i, n;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	n = (size_t)(e - b);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) == n && strncasecmp(b, words[i].word, n) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return BPCI_EINVAL;
}

/* ------------------------------------------------------------------ */
/* Durations                                                           */

typedef struct unit_def {
	const char *name;
	uint64_t factor;
} unit_def;

/* Largest first: formatting walks it in this order. */
static const unit_def duration_units[] = {
	{"y", 365ull * 86400000ull}, {"w", 7ull * 86400000ull}, {"d", 86400000ull},
	{"h", 3600000ull}, {"m", 60000ull}, {"s", 1000ull}, {"ms", 1ull}
};
#define N_DURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

/* Index into duration_units of the unit spelled [p, p+n), or -1. */
static int duration_unit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < N_DURATION_UNITS; i++)
		if (strlen(duration_units[i].name) == n &&
		    memcmp(duration_units[i].name, p, n) == 0)
			return (int)i;
	return -1;
}

/*
 * Components must come largest unit first and each unit once ("1h30m", not
 * "30m1h" or "1m1m"): a repeated or reversed unit is far more likely a typo
 * than an intent.
 */
int bpci__parse_duration(const char *s, const char *bare_unit, uint64_t *ms)
{
	const char *b, *e, *p, *u;
	uint64_t total = 0, part;
	int idx, last = -1;
	decimal d;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	for (p = b; p < e; last = idx) {
		p = scan_decimal(p, e, &d);
		if (!p)
			return BPCI_EINVAL;
		for (u = p; p < e && *p >= 'a' && *p <= 'z'; p++)
			;
		if (u == p) {
			/* A bare number only when it is the whole value. */
			if (last != -1 || p != e || !bare_unit)
				return BPCI_EINVAL;
			idx = duration_unit(bare_unit, strlen(bare_unit));
		} else {
			idx = duration_unit(u, (size_t)(p - u));
		}
		if (idx < 0 || idx <= last)
			return BPCI_EINVAL;
		if (scale(&d, duration_units[idx].factor, SCALE_EXACT, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return BPCI_EINVAL;
	}
	*ms = total;
	return 0;
}

void bpci__format_duration(char *buf, size_t size, uint64_t ms)
{
	size_t i;

	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	for (i = 0; i < N_DURATION_UNITS; i++) {
		if (ms % duration_units[i].factor == 0) {
			snprintf(buf, size, "%llu%s",
				 (unsigned long long)(ms / duration_units[i].factor),
				 duration_units[i].name);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Sizes                                                               */

static const char size_prefixes[] = "KMGTPE";

/*
 * Bytes per unit for a size suffix, 0 when unknown. Binary forms ("Gi",
 * "GiB") cannot be misread in any case. A trailing B says "bytes", so "gb"
 * is taken as GB. A lone lower-case letter is refused except "k" (SI kilo):
 * "m" is milli in Kubernetes quantities and "b" means bits.
 */
static uint64_t size_unit(const char *p, size_t n)
{
	const char *pos;
	unsigned int i, exp;
	uint64_t v;

	if (n == 0)
		return 0;
	if (n == 1 && *p == 'B')
		return 1;
	pos = strchr(size_prefixes, toupper((unsigned char)*p));
	if (!pos || *p == '\0')
		return 0;
	exp = (unsigned int)(pos - size_prefixes) + 1;
	if (n >= 2 && (p[1] == 'i' || p[1] == 'I')) {
		if (n == 3 && p[2] != 'B' && p[2] != 'b')
			return 0;
		if (n > 3)
			return 0;
		return 1ull << (10 * exp);
	}
	if (n == 2 && p[1] != 'B' && p[1] != 'b')
		return 0;
	if (n > 2)
		return 0;
	if (n == 1 && islower((unsigned char)*p) && *p != 'k')
		return 0;
	for (v = 1, i = 0; i < exp; i++)
		v *= 1000;
	return v;
}

int bpci__parse_size(const char *s, uint64_t bare_unit_bytes, uint64_t *bytes)
{
	const char *b, *e, *p;
	uint64_t unit;
	decimal d;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	p = scan_decimal(b, e, &d);
	if (!p)
		return BPCI_EINVAL;
	p = skip_blanks(p, e);
	unit = p == e ? bare_unit_bytes : size_unit(p, (size_t)(e - p));
	if (unit == 0)
		return BPCI_EINVAL;
	/* Rounding is for "1.1Gi"; a fraction of a single byte is a mistake. */
	return scale(&d, unit, unit == 1 ? SCALE_EXACT : SCALE_ROUND, bytes);
}

void bpci__format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const names[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
	unsigned int i, shift;

	for (i = 0; bytes != 0 && i < 6; i++) {
		shift = 10 * (6 - i);
		if ((bytes & ((1ull << shift) - 1)) == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(bytes >> shift),
				 names[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)bytes);
}

/* ------------------------------------------------------------------ */
/* CPU and bandwidth                                                   */

static int word_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

int bpci__parse_cpu(const char *s, uint64_t *millicores)
{
	const char *b, *e, *p;
	size_t n;
	decimal d;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	p = scan_decimal(b, e, &d);
	if (!p)
		return BPCI_EINVAL;
	p = skip_blanks(p, e);
	n = (size_t)(e - p);
	if (n == 0 || word_is(p, n, "core") || word_is(p, n, "cores"))
		return scale(&d, 1000, SCALE_EXACT, millicores);
	if (n == 1 && *p == 'm')
		return scale(&d, 1, SCALE_EXACT, millicores);
	return BPCI_EINVAL;
}

void bpci__format_cpu(char *buf, size_t size, uint64_t millicores)
{
	unsigned long long whole = millicores / 1000, frac = millicores % 1000;

	if (frac == 0)
		snprintf(buf, size, "%llu", whole);
	else if (frac % 100 == 0)
		snprintf(buf, size, "%llu.%llu", whole, frac / 100);
	else if (frac % 10 == 0)
		snprintf(buf, size, "%llu.%02llu", whole, frac / 10);
	else
		snprintf(buf, size, "%llu.%03llu", whole, frac);
}

/*
 * Kbit/s amounts are scaled to kbit/s first so that "2000Kbps" (2 Mbit/s)
 * is accepted and "1500Kbps" refused: only whole Mbit/s are stored. The
 * prefix letter may be in either case (there are no millibits), but the
 * "bps" must be lower-case: "GBps" would be bytes.
 */
int bpci__parse_bandwidth(const char *s, uint64_t *mbps)
{
	static const char letters[] = "KMGT";
	static const uint64_t factors[] = {0, 1ull, 1000ull, 1000000ull};
	const char *b, *e, *p, *pos;
	uint64_t v;
	size_t n;
	decimal d;

	if (!s || !trim(s, &b, &e))
		return BPCI_EINVAL;
	p = scan_decimal(b, e, &d);
	if (!p)
		return BPCI_EINVAL;
	p = skip_blanks(p, e);
	n = (size_t)(e - p);
	if (n == 0)
		return scale(&d, 1, SCALE_EXACT, mbps);
	pos = strchr(letters, toupper((unsigned char)*p));
	if (!pos || *p == '\0')
		return BPCI_EINVAL;
	if (n > 1 && !(n == 4 && memcmp(p + 1, "bps", 3) == 0) &&
	    !(n == 6 && memcmp(p + 1, "bit/s", 5) == 0))
		return BPCI_EINVAL;
	if (*pos != 'K')
		return scale(&d, factors[pos - letters], SCALE_EXACT, mbps);
	if (scale(&d, 1, SCALE_EXACT, &v) || v % 1000 != 0)
		return BPCI_EINVAL;
	*mbps = v / 1000;
	return 0;
}
