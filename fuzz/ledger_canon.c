/*
 * Fuzz the ledger's canonical-text shortcut (lib/ledger/ledger_canon.c).
 * A "yes" from it means an entry stores the caller's bytes instead of
 * jansson's print of them, so a wrong "yes" would change the stored
 * bytes: whenever it says 1, jansson must load the input (with duplicates
 * refused, as the ledger loads details) and print exactly the input
 * again. The same for plain strings: '"' input '"' must be jansson's
 * print of the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/json_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANON (JSON_COMPACT | JSON_SORT_KEYS)

/* jansson's compact, sorted print of @j is exactly @want (@len bytes). */
static int prints_as(const json_t *j, size_t flags, const char *want, size_t len)
{
	char *out = j ? json_dumps(j, flags) : NULL;
	int same = out && strlen(out) == len && memcmp(out, want, len) == 0;

	free(out);
	return same;
}

static void check_object(const char *text, size_t size)
{
	char *copy;
	json_t *j;

	if (!bpci__json_canonical_object(text, size))
		return;
	/* the ledger hands jansson a C string: a NUL inside would cut it */
	copy = malloc(size + 1);
	if (copy == NULL)
		return;
	memcpy(copy, text, size);
	copy[size] = '\0';
	j = json_loads(copy, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL || !json_is_object(j) || !prints_as(j, CANON, text, size))
		abort();
	json_decref(j);
	free(copy);
}

static void check_string(const char *text, size_t size)
{
	json_t *s;
	char *want;

	if (!bpci__json_plain_string(text, size))
		return;
	want = malloc(size + 2);
	if (want == NULL)
		return;
	want[0] = '"';
	memcpy(want + 1, text, size);
	want[size + 1] = '"';
	s = json_stringn(text, size);
	if (s == NULL || !prints_as(s, CANON | JSON_ENCODE_ANY, want, size + 2))
		abort();
	json_decref(s);
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_object((const char *)data, size);
	check_string((const char *)data, size);
	return 0;
}
