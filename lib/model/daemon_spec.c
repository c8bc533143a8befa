/*
 * Daemon specs: construction, copying, field setters with their rules,
 * getters, whole-spec validation and comparison (see bpci/cluster.h; the
 * JSON form is in daemon_json.c).
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "model/cluster_internal.h"
#include "model/text.h"

#define LABEL_KEY_MAX 128
#define LABEL_VALUE_MAX 256

int bpci_daemon_spec_new(bpci_daemon_spec **out)
{
	bpci_daemon_spec *s = bpci__calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return BPCI_ENOMEM;
	s->responsibilities = BPCI_RESPONSIBILITY_ALL;
	return 0;
}

static void clear_labels(bpci_daemon_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->nlabels; i++) {
		bpci__free(spec->labels[i].key);
		bpci__free(spec->labels[i].value);
	}
	bpci__free(spec->labels);
	spec->labels = NULL;
	spec->nlabels = spec->cap = 0;
}

void bpci_daemon_spec_free(bpci_daemon_spec *spec)
{
	if (!spec)
		return;
	bpci__free(spec->id);
	bpci__free(spec->parent);
	clear_labels(spec);
	bpci__free(spec);
}

int bpci_daemon_spec_dup(bpci_daemon_spec **out, const bpci_daemon_spec *spec)
{
	bpci_daemon_spec *s;
	size_t i;

	*out = NULL;
	if (bpci_daemon_spec_new(&s))
		return BPCI_ENOMEM;
	s->responsibilities = spec->responsibilities;
	s->capacity = spec->capacity;
	s->remote = spec->remote;
	if ((spec->id && !(s->id = bpci__strdup(spec->id))) ||
	    (spec->parent && !(s->parent = bpci__strdup(spec->parent))))
		goto nomem;
	for (i = 0; i < spec->nlabels; i++)
		if (bpci__daemon_spec_put_label(s, spec->labels[i].key, spec->labels[i].value,
						NULL))
			goto nomem;
	*out = s;
	return 0;
nomem:
	bpci_daemon_spec_free(s);
	return BPCI_ENOMEM;
}

/* Move everything of @from into @to (freeing @to's old values) and free @from's shell. */
static void replace_contents(bpci_daemon_spec *to, bpci_daemon_spec *from)
{
	bpci_daemon_spec old = *to;

	*to = *from;
	*from = old;
	bpci_daemon_spec_free(from);
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */

static int valid_label_key(const char *k)
{
	size_t n = strlen(k);

	return n >= 1 && n <= LABEL_KEY_MAX &&
	       strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._/-") == n;
}

static int valid_label_value(const char *v)
{
	size_t n = strlen(v), i;

	if (n > LABEL_VALUE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* Index of @key if present (*found = 1), else where it would go. */
static size_t find_label(const bpci_daemon_spec *spec, const char *key, int *found)
{
	size_t lo = 0, hi = spec->nlabels, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(spec->labels[mid].key, key);
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

int bpci__daemon_spec_put_label(bpci_daemon_spec *spec, const char *key, const char *value,
				bpci_diag *diag)
{
	char *k = NULL, *v;
	size_t at;
	int found;

	if (!valid_label_key(key))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
				      "key \"%s\" must be 1 to %d of [a-z0-9._/-]", key,
				      LABEL_KEY_MAX);
	if (!valid_label_value(value)) {
		char field[LABEL_KEY_MAX + 8];

		snprintf(field, sizeof(field), "labels.%s", key);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be at most %d bytes without control characters, "
				      "got \"%.40s%s\"", LABEL_VALUE_MAX, value,
				      strlen(value) > 40 ? "..." : "");
	}
	at = find_label(spec, key, &found);
	v = bpci__strdup(value);
	if (!v)
		return BPCI_ENOMEM;
	if (found) {
		bpci__free(spec->labels[at].value);
		spec->labels[at].value = v;
		return 0;
	}
	if (bpci__grow((void **)&spec->labels, &spec->cap, spec->nlabels + 1,
		       sizeof(*spec->labels)) || !(k = bpci__strdup(key))) {
		bpci__free(v);
		return BPCI_ENOMEM;
	}
	memmove(spec->labels + at + 1, spec->labels + at,
		(spec->nlabels - at) * sizeof(*spec->labels));
	spec->labels[at].key = k;
	spec->labels[at].value = v;
	spec->nlabels++;
	return 0;
}

/*
 * "k=v,k2=v2": every pair is checked before any is applied, on a copy, so
 * that a bad pair leaves the spec as it was.
 */
static int set_labels(bpci_daemon_spec *spec, const char *text, bpci_diag *diag)
{
	bpci_daemon_spec *copy;
	char **items;
	size_t n, i;
	int rc = 0, one;

	rc = bpci__split_list(text, &items, &n);
	if (rc == BPCI_ENOMEM)
		return rc;
	if (rc)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
				      "must be key=value[,key=value...] without empty items, "
				      "got \"%s\"", text);
	if (bpci_daemon_spec_dup(&copy, spec)) {
		bpci__free_argv(items);
		return BPCI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		char *eq = strchr(items[i], '=');

		if (!eq) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
					    "item \"%s\" is not key=value (for example "
					    "region=eu-west)", items[i]);
			continue;
		}
		*eq = '\0';
		one = bpci__daemon_spec_put_label(copy, items[i], eq + 1, diag);
		if (one == BPCI_ENOMEM) {
			rc = one;
			break;
		}
		if (one)
			rc = one;
	}
	bpci__free_argv(items);
	if (rc) {
		bpci_daemon_spec_free(copy);
		return rc;
	}
	replace_contents(spec, copy);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setters                                                             */

static int set_ident(char **slot, const char *field, const char *text, int empty_clears,
		     bpci_diag *diag)
{
	char *copy = NULL;

	if (empty_clears && *text == '\0') {
		bpci__free(*slot);
		*slot = NULL;
		return 0;
	}
	if (!bpci__is_ident(text))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be an identifier of 1 to 128 of [A-Za-z0-9._-] "
				      "starting with a letter or digit, got \"%s\"", text);
	copy = bpci__strdup(text);
	if (!copy)
		return BPCI_ENOMEM;
	bpci__free(*slot);
	*slot = copy;
	return 0;
}

static int set_capacity_text(bpci_daemon_spec *spec, const char *text, bpci_diag *diag)
{
	char prefix[256];
	bpci__diag_ctx old = bpci__diag_push_prefix(diag, prefix, sizeof(prefix), "capacity");
	int rc = bpci_resources_parse(&spec->capacity, text, diag);

	bpci__diag_set_ctx(diag, old);
	return rc;
}

static const char *const field_names[] = {
	"id", "parent", "responsibilities", "capacity", "labels", "remote"
};

int bpci_daemon_spec_set(bpci_daemon_spec *spec, const char *field, const char *text,
			 bpci_diag *diag)
{
	const char *near;
	int b;

	if (!field || !text)
		return BPCI_EINVAL;
	if (strcmp(field, "id") == 0)
		return set_ident(&spec->id, "id", text, 0, diag);
	if (strcmp(field, "parent") == 0)
		return set_ident(&spec->parent, "parent", text, 1, diag);
	if (strcmp(field, "responsibilities") == 0)
		return bpci_responsibilities_parse(&spec->responsibilities, text, diag);
	if (strcmp(field, "capacity") == 0)
		return set_capacity_text(spec, text, diag);
	if (strcmp(field, "labels") == 0)
		return set_labels(spec, text, diag);
	if (strncmp(field, "labels.", 7) == 0)
		return bpci__daemon_spec_put_label(spec, field + 7, text, diag);
	if (strcmp(field, "remote") == 0) {
		if (bpci__parse_bool(text, &b))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "remote",
					      "must be true or false (yes/no, on/off, 1/0), "
					      "got \"%s\"", text);
		spec->remote = b;
		return 0;
	}
	near = bpci__suggest(field, field_names, sizeof(field_names) / sizeof(field_names[0]));
	if (near)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, field,
				      "is not a daemon field; did you mean \"%s\"?", near);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, field,
			      "is not a daemon field; expected id, parent, responsibilities, "
			      "capacity, labels, labels.KEY or remote");
}

void bpci_daemon_spec_set_capacity(bpci_daemon_spec *spec, const bpci_resources *capacity)
{
	spec->capacity = *capacity;
}

int bpci_daemon_spec_set_responsibilities(bpci_daemon_spec *spec, unsigned int mask,
					  bpci_diag *diag)
{
	if (mask == 0 || (mask & ~BPCI_RESPONSIBILITY_ALL))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
				      "must be a non-empty set of the five responsibilities "
				      "(mask 0x1..0x1f), got 0x%x", mask);
	spec->responsibilities = mask;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Getters                                                             */

const char *bpci_daemon_spec_id(const bpci_daemon_spec *spec)
{
	return spec->id;
}

const char *bpci_daemon_spec_parent(const bpci_daemon_spec *spec)
{
	return spec->parent;
}

unsigned int bpci_daemon_spec_responsibilities(const bpci_daemon_spec *spec)
{
	return spec->responsibilities;
}

const bpci_resources *bpci_daemon_spec_capacity(const bpci_daemon_spec *spec)
{
	return &spec->capacity;
}

int bpci_daemon_spec_remote(const bpci_daemon_spec *spec)
{
	return spec->remote;
}

size_t bpci_daemon_spec_label_count(const bpci_daemon_spec *spec)
{
	return spec->nlabels;
}

int bpci_daemon_spec_label_at(const bpci_daemon_spec *spec, size_t index, const char **key,
			      const char **value)
{
	if (index >= spec->nlabels)
		return BPCI_ENOTFOUND;
	if (key)
		*key = spec->labels[index].key;
	if (value)
		*value = spec->labels[index].value;
	return 0;
}

const char *bpci_daemon_spec_label(const bpci_daemon_spec *spec, const char *key)
{
	int found;
	size_t at;

	if (!key)
		return NULL;
	at = find_label(spec, key, &found);
	return found ? spec->labels[at].value : NULL;
}

/* ------------------------------------------------------------------ */
/* Whole-spec checks                                                   */

int bpci_daemon_spec_validate(const bpci_daemon_spec *spec, bpci_diag *diag)
{
	int rc = 0;

	if (!spec->id)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "id",
				    "is required (for example daemon-002)");
	if (spec->id && spec->parent && strcmp(spec->id, spec->parent) == 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent",
				    "\"%s\" is the daemon itself; a daemon cannot be its own "
				    "parent", spec->parent);
	if (spec->responsibilities == 0 || (spec->responsibilities & ~BPCI_RESPONSIBILITY_ALL))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
				    "must name at least one responsibility, such as "
				    "health_monitoring");
	return rc;
}

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int bpci_daemon_spec_equal(const bpci_daemon_spec *a, const bpci_daemon_spec *b)
{
	size_t i;

	if (!same_string(a->id, b->id) || !same_string(a->parent, b->parent) ||
	    a->responsibilities != b->responsibilities || !a->remote != !b->remote ||
	    a->capacity.cpu_millicores != b->capacity.cpu_millicores ||
	    a->capacity.memory_bytes != b->capacity.memory_bytes ||
	    a->capacity.storage_bytes != b->capacity.storage_bytes ||
	    a->capacity.network_mbps != b->capacity.network_mbps ||
	    a->capacity.gpu_units != b->capacity.gpu_units || a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].key, b->labels[i].key) != 0 ||
		    strcmp(a->labels[i].value, b->labels[i].value) != 0)
			return 0;
	return 1;
}
