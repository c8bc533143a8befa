#include "model/json_member.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/error.h"
#include "common/alloc.h"

/* Past the string starting at @p ('"'), or NULL when it does not end. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p == '"' ? p + 1 : NULL;
}

/* To the ',' or '}' ending the member value at @p, or NULL. */
static const char *skip_value(const char *p)
{
	int depth = 0;

	for (;;) {
		if (*p == '"') {
			if (!(p = skip_string(p)))
				return NULL;
			continue;
		}
		if (!*p)
			return NULL;
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && depth-- == 0)
			return p;
		else if (*p == ',' && depth == 0)
			return p;
		p++;
	}
}

/* Whether @k prints as itself between quotes. */
static int plain_key(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == '"' || *k == '\\')
			return 0;
	return 1;
}

/* strcmp order of the @len bytes at @a against @b (jansson's sort). */
static int key_cmp(const char *a, size_t len, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, len < blen ? len : blen);

	return c ? c : (len > blen) - (len < blen);
}

/* Where the member @key goes in @obj: *@at is the place, *@comma_after 1
 * when the new member goes before another one. */
static int find_place(const char **at, int *before, const char *obj, const char *key)
{
	const char *p = obj + 1, *end;
	int c;

	*before = 0;
	if (obj[0] != '{')
		return BPCI_EINVAL;
	if (*p == '}') {
		*at = p;
		return 0;
	}
	for (;;) {
		if (*p != '"' || !(end = skip_string(p)) || *end != ':' ||
		    memchr(p + 1, '\\', (size_t)(end - p - 2)))
			return BPCI_EINVAL;
		if ((c = key_cmp(p + 1, (size_t)(end - p - 2), key)) == 0)
			return BPCI_EEXISTS;
		if (c > 0) {
			*at = p;
			*before = 1;
			return 0;
		}
		if (!(p = skip_value(end + 1)))
			return BPCI_EINVAL;
		if (*p == '}' && p[1] == '\0') {
			*at = p;
			return 0;
		}
		if (*p++ != ',')
			return BPCI_EINVAL;
	}
}

int bpci__json_insert_string(char **out, const char *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);
	char *v = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	const char *at = NULL;
	int before = 0, rc;

	*out = NULL;
	json_decref(s);
	rc = !s || !plain_key(key) ? BPCI_EINVAL : v ? find_place(&at, &before, obj, key)
							: BPCI_ENOMEM;
	if (rc == 0) {
		int head = (int)(at - obj);

		/* after '{' or another member: a comma before it unless first */
		*out = before || obj[1] == '}'
			       ? bpci__asprintf("%.*s\"%s\":%s%s%s", head, obj, key, v,
						before ? "," : "", at)
			       : bpci__asprintf("%.*s,\"%s\":%s%s", head, obj, key, v, at);
		rc = *out ? 0 : BPCI_ENOMEM;
	}
	free(v);
	return rc;
}
