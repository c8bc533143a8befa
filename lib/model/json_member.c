#include "model/json_member.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/error.h"
#include "common/alloc.h"
#include "model/json_canon.h"

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

/* strcmp order of the @len bytes at @a against @b (jansson's sort). */
static int key_cmp(const char *a, size_t len, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, len < blen ? len : blen);

	return c ? c : (len > blen) - (len < blen);
}

/* Where the member @key goes in @obj: *@at is the place, *@before 1
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

/* @value as JSON text: quoted as it is when it needs no escape, else
 * escaped by jansson itself. NULL when it is not UTF-8 or on ENOMEM
 * (*@invalid tells). Free with free(). */
static char *string_json(const char *value, int *invalid)
{
	size_t len = strlen(value);
	json_t *s;
	char *v;

	*invalid = 0;
	if (bpci__json_plain_string(value, len)) {
		if ((v = malloc(len + 3))) {
			v[0] = '"';
			memcpy(v + 1, value, len);
			memcpy(v + 1 + len, "\"", 2);
		}
		return v;
	}
	if (!(s = json_string(value))) {
		*invalid = 1;
		return NULL;
	}
	v = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	return v;
}

int bpci__json_insert_string(char **out, const char *obj, const char *key, const char *value)
{
	const char *at = NULL;
	int before = 0, invalid, rc;
	char *v = string_json(value, &invalid);

	*out = NULL;
	rc = invalid || !bpci__json_plain_string(key, strlen(key))
		     ? BPCI_EINVAL
		     : v ? find_place(&at, &before, obj, key) : BPCI_ENOMEM;
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
