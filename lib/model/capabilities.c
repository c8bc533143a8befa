/*
 * Capability sets: validated names, kept sorted and unique so that equal
 * sets compare and print the same (see bpci/cluster.h).
 */
#include "bpci/cluster.h"

#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/text.h"

struct bpci_capabilities {
	char **names;   /* sorted, unique */
	size_t count, cap;
};

int bpci_capabilities_new(bpci_capabilities **out)
{
	*out = bpci__calloc(1, sizeof(**out));
	return *out ? 0 : BPCI_ENOMEM;
}

void bpci_capabilities_free(bpci_capabilities *caps)
{
	size_t i;

	if (!caps)
		return;
	for (i = 0; i < caps->count; i++)
		bpci__free(caps->names[i]);
	bpci__free(caps->names);
	bpci__free(caps);
}

/* [a-z][a-z0-9_]{0,63} */
static int valid_name(const char *s)
{
	size_t i;

	if (!s || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i]; i++) {
		if (i >= BPCI_CAPABILITY_NAME_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	}
	return 1;
}

/* Index of @name if present (*found = 1), else where it would go. */
static size_t find(const bpci_capabilities *caps, const char *name, int *found)
{
	size_t lo = 0, hi = caps->count, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(caps->names[mid], name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

int bpci_capabilities_add(bpci_capabilities *caps, const char *name, bpci_diag *diag)
{
	size_t at;
	int found;
	char *copy;

	if (!valid_name(name))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capabilities",
				      "\"%s\" is not a capability name; use [a-z][a-z0-9_]{0,63} "
				      "such as distributed_storage", name ? name : "(null)");
	at = find(caps, name, &found);
	if (found)
		return 0;
	if (bpci__grow((void **)&caps->names, &caps->cap, caps->count + 1, sizeof(char *)))
		return BPCI_ENOMEM;
	copy = bpci__strdup(name);
	if (!copy)
		return BPCI_ENOMEM;
	memmove(caps->names + at + 1, caps->names + at, (caps->count - at) * sizeof(char *));
	caps->names[at] = copy;
	caps->count++;
	return 0;
}

int bpci_capabilities_dup(bpci_capabilities **out, const bpci_capabilities *caps)
{
	bpci_capabilities *c;
	size_t i;

	*out = NULL;
	if (bpci_capabilities_new(&c))
		return BPCI_ENOMEM;
	for (i = 0; i < caps->count; i++) {
		if (bpci_capabilities_add(c, caps->names[i], NULL)) {
			bpci_capabilities_free(c);
			return BPCI_ENOMEM;
		}
	}
	*out = c;
	return 0;
}

int bpci_capabilities_has(const bpci_capabilities *caps, const char *name)
{
	int found;

	if (!name)
		return 0;
	find(caps, name, &found);
	return found;
}

size_t bpci_capabilities_count(const bpci_capabilities *caps)
{
	return caps->count;
}

const char *bpci_capabilities_get(const bpci_capabilities *caps, size_t index)
{
	return index < caps->count ? caps->names[index] : NULL;
}

int bpci_capabilities_equal(const bpci_capabilities *a, const bpci_capabilities *b)
{
	size_t i;

	if (a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Adds the item [b, e), trimmed; reports an empty one. */
static int add_item(bpci_capabilities *c, const char *b, const char *e, bpci_diag *diag)
{
	char *item;
	int rc;

	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	if (b == e)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capabilities",
				      "has an empty item; write names separated by single commas");
	item = bpci__strndup(b, (size_t)(e - b));
	if (!item)
		return BPCI_ENOMEM;
	rc = bpci_capabilities_add(c, item, diag);
	bpci__free(item);
	return rc;
}

int bpci_capabilities_parse(bpci_capabilities **out, const char *list, bpci_diag *diag)
{
	bpci_capabilities *c;
	const char *p = list, *e;
	int rc = 0, one;

	*out = NULL;
	if (!list || strspn(list, " \t\n\r") == strlen(list))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capabilities",
				      "is empty; name at least one capability such as storage");
	if (bpci_capabilities_new(&c))
		return BPCI_ENOMEM;
	for (;;) {
		e = p + strcspn(p, ",");
		one = add_item(c, p, e, diag);
		if (one == BPCI_ENOMEM) {
			rc = one;
			break;
		}
		if (one && !rc)
			rc = one;
		if (!*e)
			break;
		p = e + 1;
	}
	if (rc) {
		bpci_capabilities_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int bpci_capabilities_format(char **out, const bpci_capabilities *caps)
{
	size_t len = 0, i;
	char *s, *p;

	for (i = 0; i < caps->count; i++)
		len += strlen(caps->names[i]) + 1;
	*out = s = bpci__malloc(len + 1);
	if (!s)
		return BPCI_ENOMEM;
	p = s;
	*p = '\0';
	for (i = 0; i < caps->count; i++) {
		if (i)
			*p++ = ',';
		len = strlen(caps->names[i]);
		memcpy(p, caps->names[i], len + 1);
		p += len;
	}
	return 0;
}
