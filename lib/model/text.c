/*
 * Textual checks and splitting shared by the model: URLs, identifiers,
 * "did you mean" suggestions, shell-like argument vectors and
 * comma-separated lists (see text.h).
 */
#include "model/text.h"

#include <ctype.h>
#include <string.h>

#include "bpci/error.h"
#include "common/alloc.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* [b, e) is a port: 1 to 5 digits, 1..65535. */
static int is_port(const char *b, const char *e)
{
	unsigned long v = 0;

	if (b == e || e - b > 5)
		return 0;
	for (; b < e; b++) {
		if (*b < '0' || *b > '9')
			return 0;
		v = v * 10 + (unsigned long)(*b - '0');
	}
	return v >= 1 && v <= 65535;
}

/* The host[:port] part of an authority, after any "userinfo@". */
static int is_host_port(const char *b, const char *e)
{
	const char *colon;

	if (b < e && *b == '[') {
		const char *close = memchr(b, ']', (size_t)(e - b));
		const char *q;

		if (!close || close == b + 1)
			return 0;
		for (q = b + 1; q < close; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return 0;
		if (close + 1 == e)
			return 1;
		return close[1] == ':' && is_port(close + 2, e);
	}
	colon = memchr(b, ':', (size_t)(e - b));
	if (!colon)
		return b < e;
	return colon > b && is_port(colon + 1, e);
}

int bpci__is_url(const char *s)
{
	const char *auth, *end, *at, *p;

	if (!s)
		return 0;
	if (strncasecmp(s, "http://", 7) == 0)
		auth = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		auth = s + 8;
	else
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	return is_host_port(at ? at + 1 : auth, end);
}

int bpci__is_ident(const char *s)
{
	size_t n;

	if (!s || !isalnum((unsigned char)s[0]) || (unsigned char)s[0] >= 0x80)
		return 0;
	for (n = 1; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= 128 || c >= 0x80 || !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/*
 * Two rows of the classic table. Words compared here are option and key
 * names, so the stack row covers every real case; a longer word falls back
 * to the heap, and when even that fails it is simply "far" (SIZE_MAX):
 * a suggestion is a courtesy, never worth an error.
 */
size_t bpci__edit_distance(const char *a, const char *b)
{
	size_t stack[2][65];
	size_t *prev, *cur, *heap = NULL, *tmp;
	size_t la = strlen(a), lb = strlen(b), i, j, d;

	if (lb < 65) {
		prev = stack[0];
		cur = stack[1];
	} else {
		if (lb > (SIZE_MAX / sizeof(size_t) - 1) / 2)
			return SIZE_MAX;
		heap = bpci__malloc(2 * (lb + 1) * sizeof(size_t));
		if (!heap)
			return SIZE_MAX;
		prev = heap;
		cur = heap + lb + 1;
	}
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);

			d = prev[j - 1] + (same ? 0 : 1);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	d = prev[lb];
	bpci__free(heap);
	return d;
}

const char *bpci__suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t limit, best = SIZE_MAX, d, i;
	const char *found = NULL;

	if (!word || !candidates)
		return NULL;
	limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++) {
		if (!candidates[i])
			continue;
		d = bpci__edit_distance(word, candidates[i]);
		if (d <= limit && d < best) {
			best = d;
			found = candidates[i];
		}
	}
	return found;
}

void bpci__free_argv(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		bpci__free(argv[i]);
	bpci__free(argv);
}

/* Append a copy of word[0..n) to the NULL-terminated *v of *count items. */
static int push(char ***v, size_t *cap, size_t *count, const char *word, size_t n)
{
	char *copy;

	if (bpci__grow((void **)v, cap, *count + 2, sizeof(char *)) != 0)
		return BPCI_ENOMEM;
	(*v)[*count] = NULL;   /* keeps the array freeable if the copy fails */
	copy = bpci__strndup(word, n);
	if (!copy)
		return BPCI_ENOMEM;
	(*v)[(*count)++] = copy;
	(*v)[*count] = NULL;
	return 0;
}

/*
 * Read one word starting at *pp (not a blank) into buf, removing quotes
 * and escapes. Returns its length, or -1 for an unterminated quote or a
 * trailing backslash.
 */
static long read_word(const char **pp, char *buf)
{
	const char *p = *pp;
	long n = 0;

	while (*p && !is_blank(*p)) {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				buf[n++] = *p;
			if (!*p)
				return -1;
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf[n++] = *p;
			}
			if (!*p)
				return -1;
			p++;
		} else if (*p == '\\') {
			if (!p[1])
				return -1;
			if (p[1] != '\n')   /* backslash-newline joins lines */
				buf[n++] = p[1];
			p += 2;
		} else {
			buf[n++] = *p++;
		}
	}
	*pp = p;
	return n;
}

int bpci__split_argv(const char *s, char ***argv, size_t *argc)
{
	char **v = NULL, *buf;
	size_t cap = 0, count = 0;
	const char *p = s;
	long n;
	int rc = 0;

	if (!s)
		return BPCI_EINVAL;
	buf = bpci__malloc(strlen(s) + 1);
	if (!buf)
		return BPCI_ENOMEM;
	for (;;) {
		/* A backslash-newline between words is removed, not an empty word. */
		while (is_blank(*p) || (p[0] == '\\' && p[1] == '\n'))
			p += is_blank(*p) ? 1 : 2;
		if (!*p)
			break;
		n = read_word(&p, buf);
		if (n < 0) {
			rc = BPCI_EINVAL;
			break;
		}
		rc = push(&v, &cap, &count, buf, (size_t)n);
		if (rc)
			break;
	}
	bpci__free(buf);
	if (rc == 0 && count == 0)
		rc = BPCI_EINVAL;
	if (rc) {
		bpci__free_argv(v);
		return rc;
	}
	*argv = v;
	*argc = count;
	return 0;
}

int bpci__split_list(const char *s, char ***items, size_t *count)
{
	char **v = NULL;
	size_t cap = 0, n = 0;
	const char *p = s, *b, *e;
	int rc = 0;

	if (!s)
		return BPCI_EINVAL;
	for (;;) {
		e = p + strcspn(p, ",");
		for (b = p; b < e && is_blank(*b); b++)
			;
		while (e > b && is_blank(e[-1]))
			e--;
		if (b == e) {
			rc = BPCI_EINVAL;
			break;
		}
		rc = push(&v, &cap, &n, b, (size_t)(e - b));
		if (rc)
			break;
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	if (rc) {
		bpci__free_argv(v);
		return rc;
	}
	*items = v;
	*count = n;
	return 0;
}

size_t bpci__utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0;
	return n;
}
