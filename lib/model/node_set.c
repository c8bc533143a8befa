/*
 * Setting node spec fields: from text (the form CLI flags and YAML
 * scalars take), from separate list items, or from numbers in the stored
 * unit. Every setter checks the whole new value before it replaces the old
 * one, so a refused value leaves the field as it was.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

static const char *kind_word(bpci_field_kind kind)
{
	switch (kind) {
	case BPCI_FIELD_UINT: return "a whole number";
	case BPCI_FIELD_NUMBER: return "a number";
	case BPCI_FIELD_BOOL: return "true or false";
	case BPCI_FIELD_DURATION: return "a duration";
	case BPCI_FIELD_SIZE: return "a size";
	case BPCI_FIELD_CPU: return "a CPU amount";
	case BPCI_FIELD_BANDWIDTH: return "a bandwidth";
	case BPCI_FIELD_LIST: return "a list";
	case BPCI_FIELD_MAP: return "a map";
	case BPCI_FIELD_ARGV: return "a command line";
	default: return "text";
	}
}

static int wrong_kind(const bpci__field_ref *ref, const char *name, const char *given,
		      bpci_diag *diag)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
			      "is %s, not %s", kind_word(ref->info->kind), given);
}

/* Shortest text that reads back as the same double. */
static void format_double(char *buf, size_t size, double v)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static int check_number(const bpci_field_info *info, const char *name, double v,
			bpci_diag *diag)
{
	char got[40];

	if (!isfinite(v)) {
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must be a finite number");
	}
	if ((info->min == 0 && info->max == 0) || (v >= info->min && v <= info->max))
		return 0;
	format_double(got, sizeof(got), v);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
			      "must be %g..%g, got %s", info->min, info->max, got);
}

/* Drop the old value (its owned text) before a new scalar goes in. */
static void store_scalar(bpci__value *v, const bpci_field_info *info)
{
	bpci__node_value_clear(v, info);
}

/* Parse a number-like kind from text into its stored unit. */
static int parse_stored(const bpci__field_ref *ref, const char *text, uint64_t *out)
{
	switch (ref->info->kind) {
	case BPCI_FIELD_UINT:
		return bpci__parse_uint(text, out);
	case BPCI_FIELD_DURATION:
		return bpci__parse_duration(text, ref->ext->bare_unit ? ref->ext->bare_unit
								      : "ms", out);
	case BPCI_FIELD_SIZE:
		return bpci__parse_size(text, ref->ext->unit_bytes ? ref->ext->unit_bytes : 1,
					out);
	case BPCI_FIELD_CPU:
		return bpci__parse_cpu(text, out);
	default:
		return bpci__parse_bandwidth(text, out);
	}
}

static const char *example_of(bpci_field_kind kind)
{
	switch (kind) {
	case BPCI_FIELD_DURATION: return " (e.g. \"1500ms\", \"10s\", \"90d\")";
	case BPCI_FIELD_SIZE: return " (e.g. \"16Gi\", \"500G\", or a bare number in the field's unit)";
	case BPCI_FIELD_CPU: return " (e.g. \"8\", \"0.5\", \"500m\")";
	case BPCI_FIELD_BANDWIDTH: return " (e.g. \"1000\", \"1Gbps\")";
	default: return "";
	}
}

static int set_uint_ref(bpci__field_ref *ref, const char *name, uint64_t u,
			bpci_diag *diag)
{
	int rc = bpci__node_check_uint(ref->info, name, u, diag);

	if (rc < 0)
		return rc;
	store_scalar(ref->value, ref->info);
	ref->value->u = u;
	ref->value->set = 1;
	return 0;
}

static int set_scalar_text(bpci__field_ref *ref, const char *name, const char *text,
			   bpci_diag *diag)
{
	const bpci_field_info *info = ref->info;
	uint64_t u;
	double d;
	int b, rc;

	switch (info->kind) {
	case BPCI_FIELD_NUMBER:
		if (bpci__parse_number(text, &d) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
					      "must be a number, got '%s'", text);
		if ((rc = check_number(info, name, d, diag)) < 0)
			return rc;
		store_scalar(ref->value, info);
		ref->value->num = d;
		ref->value->set = 1;
		return 0;
	case BPCI_FIELD_BOOL:
		if (bpci__parse_bool(text, &b) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
					      "must be true or false, got '%s'", text);
		store_scalar(ref->value, info);
		ref->value->b = b;
		ref->value->set = 1;
		return 0;
	default:
		if (parse_stored(ref, text, &u) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
					      "must be %s%s, got '%s'", kind_word(info->kind),
					      example_of(info->kind), text);
		return set_uint_ref(ref, name, u, diag);
	}
}

static int set_text_value(bpci__field_ref *ref, const char *name, const char *text,
			  bpci_diag *diag)
{
	const char *canon;
	char *copy = NULL;
	int rc = bpci__node_check_item(&canon, ref->info, ref->info->kind, ref->ext, name,
				       text, diag);

	if (rc < 0)
		return rc;
	if (ref->info->kind != BPCI_FIELD_ENUM) {
		copy = bpci__strdup(canon);
		if (!copy)
			return BPCI_ENOMEM;
	}
	store_scalar(ref->value, ref->info);
	ref->value->str = copy ? copy : (char *)canon;
	ref->value->set = 1;
	return 0;
}

/* ---- lists, argv and maps -------------------------------------------- */

static void free_array(char **items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++)
		bpci__free(items[i]);
	bpci__free(items);
}

static void replace_items(bpci__value *v, const bpci_field_info *info, char **items,
			  size_t n)
{
	bpci__node_value_clear(v, info);
	v->items = items;
	v->count = n;
	v->set = info->kind != BPCI_FIELD_MAP || n > 0;
}

static int check_count(const bpci_field_info *info, const char *name, size_t n,
		       bpci_diag *diag)
{
	if (info->kind == BPCI_FIELD_ARGV && n == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must name a program");
	if (info->kind != BPCI_FIELD_LIST)
		return 0;
	if ((double)n < info->min)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must have at least %g item%s, got %zu", info->min,
				      info->min == 1 ? "" : "s", n);
	if (info->max > 0 && (double)n > info->max)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must have at most %g items, got %zu", info->max, n);
	return 0;
}

/* Check every list item (reporting each bad one) and copy the canonical
 * spellings into a new NULL-terminated array. */
static int build_list(char ***out, const bpci__field_ref *ref, const char *name,
		      const char *const *items, size_t n, bpci_diag *diag)
{
	char **arr, path[160];
	const char *canon;
	size_t i;
	int rc = 0, r;

	arr = bpci__calloc(n + 1, sizeof(char *));
	if (!arr)
		return BPCI_ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (ref->info->kind == BPCI_FIELD_ARGV) {
			canon = items[i];
		} else {
			r = bpci__node_check_item(&canon, ref->info, ref->info->item_kind,
						  ref->ext, path, items[i], diag);
			if (r < 0) {
				rc = rc ? rc : r;
				continue;
			}
		}
		if (!rc && !(arr[i] = bpci__strdup(canon)))
			rc = BPCI_ENOMEM;
	}
	if (rc < 0) {
		free_array(arr, n);
		return rc;
	}
	*out = arr;
	return 0;
}

static int is_key_char(bpci__check check, int c, int first)
{
	if (check == BPCI__CHECK_ENV_KEY)
		return c == '_' || isalpha(c) || (!first && isdigit(c));
	return islower(c) || isdigit(c) || (!first && strchr("._/-", c));
}

static int check_map_key(const bpci__field_ref *ref, const char *name, const char *key,
			 size_t len, bpci_diag *diag)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!key[i] || !is_key_char(ref->ext->check, (unsigned char)key[i], i == 0))
			break;
	if (len > 0 && i == len)
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
			      "key '%.*s' must match %s", (int)len, key,
			      ref->ext->check == BPCI__CHECK_ENV_KEY ? "[A-Za-z_][A-Za-z0-9_]*"
								     : "[a-z0-9][a-z0-9._/-]*");
}

static int key_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");
	int c = strncmp(a, b, la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

/* Insert "key=value" keeping key order; an existing key is replaced.
 * Takes ownership of @entry. */
static int map_insert(char ***items, size_t *n, char *entry)
{
	size_t i;
	char **arr;

	for (i = 0; i < *n; i++) {
		int c = key_cmp((*items)[i], entry);

		if (c == 0) {
			bpci__free((*items)[i]);
			(*items)[i] = entry;
			return 0;
		}
		if (c > 0)
			break;
	}
	arr = bpci__realloc(*items, (*n + 2) * sizeof(char *));
	if (!arr) {
		bpci__free(entry);
		return BPCI_ENOMEM;
	}
	memmove(&arr[i + 1], &arr[i], (*n - i) * sizeof(char *));
	arr[i] = entry;
	arr[++*n] = NULL;
	*items = arr;
	return 0;
}

static int check_map_value(const char *name, const char *val, bpci_diag *diag)
{
	const char *p;

	for (p = val; *p; p++)
		if (iscntrl((unsigned char)*p))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
					      "values must be printable text (no control "
					      "characters)");
	return 0;
}

/* Build a whole map from "key=value" items (later keys replace earlier). */
static int build_map(char ***out, size_t *count, const bpci__field_ref *ref,
		     const char *name, const char *const *items, size_t n, bpci_diag *diag)
{
	char **arr = NULL, *entry;
	size_t i, m = 0;
	int rc = 0, r;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(items[i], '=');

		if (!eq) {
			rc = rc ? rc : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
						      name, "must be key=value, got '%s'",
						      items[i]);
			continue;
		}
		r = check_map_key(ref, name, items[i], (size_t)(eq - items[i]), diag);
		if (r == 0)
			r = check_map_value(name, eq + 1, diag);
		if (r < 0 || rc < 0) {
			rc = rc ? rc : r;
			continue;
		}
		entry = bpci__strdup(items[i]);
		if (!entry || map_insert(&arr, &m, entry) < 0)
			rc = BPCI_ENOMEM; /* map_insert freed @entry */
	}
	if (rc < 0) {
		free_array(arr, m);
		return rc;
	}
	*out = arr;
	*count = m;
	return 0;
}

static int set_items(bpci__field_ref *ref, const char *name, const char *const *items,
		     size_t n, bpci_diag *diag)
{
	char **arr = NULL;
	size_t m = n;
	int rc;

	if (ref->info->kind == BPCI_FIELD_MAP) {
		rc = build_map(&arr, &m, ref, name, items, n, diag);
	} else {
		rc = check_count(ref->info, name, n, diag);
		if (rc == 0)
			rc = build_list(&arr, ref, name, items, n, diag);
	}
	if (rc < 0)
		return rc;
	replace_items(ref->value, ref->info, arr, m);
	return 0;
}

/* "labels.key" = value (empty removes), or "labels" = "key=value". */
static int set_map_entry(bpci__field_ref *ref, const char *name, const char *key,
			 size_t keylen, const char *val, bpci_diag *diag)
{
	bpci__value *v = ref->value;
	char *entry;
	char **items;
	size_t n;
	int rc = check_map_key(ref, name, key, keylen, diag);

	if (rc == 0)
		rc = check_map_value(name, val, diag);
	if (rc < 0)
		return rc;
	entry = bpci__asprintf("%.*s=%s", (int)keylen, key, val);
	if (!entry)
		return BPCI_ENOMEM;
	items = v->items;
	n = v->count;
	rc = map_insert(&items, &n, entry);
	if (rc < 0)
		return rc;
	v->items = items;
	v->count = n;
	v->set = 1;
	return 0;
}

static int set_map_text(bpci_node_spec *spec, bpci__field_ref *ref, const char *name,
			const char *text, bpci_diag *diag)
{
	const char *eq;

	if (ref->key) {
		if (!*text)
			return bpci_node_spec_unset(spec, name);
		return set_map_entry(ref, name, ref->key, strlen(ref->key), text, diag);
	}
	eq = strchr(text, '=');
	if (!eq)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must be key=value, got '%s'", text);
	return set_map_entry(ref, name, text, (size_t)(eq - text), eq + 1, diag);
}

static int set_split(bpci__field_ref *ref, const char *name, const char *text,
		     bpci_diag *diag)
{
	char **items = NULL;
	size_t n = 0;
	int rc;

	if (ref->info->kind == BPCI_FIELD_ARGV)
		rc = bpci__split_argv(text, &items, &n);
	else
		rc = bpci__split_list(text, &items, &n);
	if (rc == BPCI_ENOMEM)
		return rc;
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      ref->info->kind == BPCI_FIELD_ARGV
					      ? "must be a command line (unbalanced quotes or "
						"empty), got '%s'"
					      : "must be a comma-separated list without empty "
						"items, got '%s'", text);
	rc = set_items(ref, name, (const char *const *)items, n, diag);
	bpci__free_argv(items);
	return rc;
}

/* ---- public setters -------------------------------------------------- */

int bpci_node_spec_set(bpci_node_spec *spec, const char *field, const char *value,
		       bpci_diag *diag)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return bpci__node_unknown_field(spec, field, diag);
	if (!value)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "needs a value");
	switch (ref.info->kind) {
	case BPCI_FIELD_STRING:
	case BPCI_FIELD_IDENT:
	case BPCI_FIELD_ENUM:
	case BPCI_FIELD_URL:
		return set_text_value(&ref, field, value, diag);
	case BPCI_FIELD_LIST:
	case BPCI_FIELD_ARGV:
		return set_split(&ref, field, value, diag);
	case BPCI_FIELD_MAP:
		return set_map_text(spec, &ref, field, value, diag);
	default:
		return set_scalar_text(&ref, field, value, diag);
	}
}

int bpci_node_spec_set_list(bpci_node_spec *spec, const char *field,
			    const char *const *items, size_t count, bpci_diag *diag)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return bpci__node_unknown_field(spec, field, diag);
	if (ref.key || (ref.info->kind != BPCI_FIELD_LIST && ref.info->kind != BPCI_FIELD_ARGV &&
			ref.info->kind != BPCI_FIELD_MAP))
		return wrong_kind(&ref, field, "a list", diag);
	return set_items(&ref, field, items, count, diag);
}

int bpci_node_spec_set_uint(bpci_node_spec *spec, const char *field, uint64_t value,
			    bpci_diag *diag)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return bpci__node_unknown_field(spec, field, diag);
	switch (ref.key ? BPCI_FIELD_MAP : ref.info->kind) {
	case BPCI_FIELD_UINT:
	case BPCI_FIELD_SIZE:
	case BPCI_FIELD_DURATION:
	case BPCI_FIELD_CPU:
	case BPCI_FIELD_BANDWIDTH:
		return set_uint_ref(&ref, field, value, diag);
	default:
		return wrong_kind(&ref, field, "a whole number", diag);
	}
}

int bpci_node_spec_set_number(bpci_node_spec *spec, const char *field, double value,
			      bpci_diag *diag)
{
	bpci__field_ref ref;
	int rc;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return bpci__node_unknown_field(spec, field, diag);
	if (ref.key || ref.info->kind != BPCI_FIELD_NUMBER)
		return wrong_kind(&ref, field, "a real number", diag);
	rc = check_number(ref.info, field, value, diag);
	if (rc < 0)
		return rc;
	ref.value->num = value;
	ref.value->set = 1;
	return 0;
}

int bpci_node_spec_set_bool(bpci_node_spec *spec, const char *field, int value,
			    bpci_diag *diag)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return bpci__node_unknown_field(spec, field, diag);
	if (ref.key || ref.info->kind != BPCI_FIELD_BOOL)
		return wrong_kind(&ref, field, "a boolean", diag);
	ref.value->b = value != 0;
	ref.value->set = 1;
	return 0;
}
