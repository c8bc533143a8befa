/*
 * Reading a node spec from JSON: the shape bpci_node_spec_to_json()
 * writes, with numbers or strings with units for amounts. Values go
 * through the same setters as CLI flags and YAML, so the messages are the
 * same wherever a value comes from.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

#define JSON_MAX_BYTES ((size_t)1 << 20)
#define JSON_MAX_DEPTH 32
#define JSON_SOURCE "<json>"

/* Nesting depth of a JSON text without parsing it (strings skipped). */
static int too_deep(const char *s, size_t len, unsigned int *line, unsigned int *col)
{
	size_t i, depth = 0;
	int in_str = 0;

	*line = 1;
	*col = 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		(*col)++;
		if (c == '\n') {
			(*line)++;
			*col = 0;
		} else if (in_str) {
			if (c == '\\')
				i++, (*col)++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return 1;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return 0;
}

static uint64_t bare_unit_ms(const char *unit)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	size_t i;

	for (i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].unit) == 0)
			return units[i].ms;
	return 1;
}

/* A JSON number in the field's unit converted to the stored unit. */
static int scale_number(const bpci__field_ref *ref, const char *name, double d,
			uint64_t *out, bpci_diag *diag)
{
	double unit = 1, v;

	switch (ref->info->kind) {
	case BPCI_FIELD_SIZE:
		unit = (double)(ref->ext->unit_bytes ? ref->ext->unit_bytes : 1);
		break;
	case BPCI_FIELD_CPU:
		unit = 1000;
		break;
	case BPCI_FIELD_DURATION:
		unit = (double)bare_unit_ms(ref->ext->bare_unit ? ref->ext->bare_unit : "ms");
		break;
	default:
		break;
	}
	v = d * unit;
	if (!(v >= 0) || v >= 18446744073709551616.0)
		goto bad;
	/* CPU amounts like 0.1 cores are not exact in binary: round to the
	 * nearest millicore when the input is that close to one. (No libm:
	 * the library does not link it.) */
	if (ref->info->kind == BPCI_FIELD_CPU && v < 9007199254740992.0) {
		double r = (double)(uint64_t)(v + 0.5);

		if (v - r < 1e-6 && r - v < 1e-6)
			v = r;
	}
	if (v != (double)(uint64_t)v)
		goto bad;
	*out = (uint64_t)v;
	return 0;
bad:
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
			      "must be a non-negative amount that is a whole number "
			      "of %s, got %.17g", ref->info->kind == BPCI_FIELD_SIZE
			      ? "bytes" : ref->info->kind == BPCI_FIELD_CPU
			      ? "millicores" : ref->info->kind == BPCI_FIELD_DURATION
			      ? "milliseconds" : "units", d);
}

static int set_json_number(bpci_node_spec *spec, const bpci__field_ref *ref,
			   const char *name, const json_t *v, bpci_diag *diag)
{
	double d = json_number_value(v);
	uint64_t u = 0;
	int rc;

	switch (ref->info->kind) {
	case BPCI_FIELD_NUMBER:
		return bpci_node_spec_set_number(spec, name, d, diag);
	case BPCI_FIELD_UINT:
	case BPCI_FIELD_BANDWIDTH:
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			return bpci_node_spec_set_uint(spec, name,
						       (uint64_t)json_integer_value(v), diag);
		/* fall through */
	case BPCI_FIELD_SIZE:
	case BPCI_FIELD_CPU:
	case BPCI_FIELD_DURATION:
		rc = scale_number(ref, name, d, &u, diag);
		return rc < 0 ? rc : bpci_node_spec_set_uint(spec, name, u, diag);
	default:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must be given as a string, got a number");
	}
}

static int set_json_array(bpci_node_spec *spec, const bpci__field_ref *ref,
			  const char *name, const json_t *v, bpci_diag *diag)
{
	size_t i, n = json_array_size(v);
	const char **items;
	int rc = 0;

	if (ref->info->kind != BPCI_FIELD_LIST && ref->info->kind != BPCI_FIELD_ARGV)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must not be an array");
	items = bpci__calloc(n + 1, sizeof(char *));
	if (!items)
		return BPCI_ENOMEM;
	for (i = 0; i < n; i++) {
		items[i] = json_string_value(json_array_get(v, i));
		if (!items[i]) {
			char path[160];

			snprintf(path, sizeof(path), "%s[%zu]", name, i);
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, path,
					    "must be a string");
		}
	}
	if (rc == 0)
		rc = bpci_node_spec_set_list(spec, name, items, n, diag);
	bpci__free(items);
	return rc;
}

static int set_json_map(bpci_node_spec *spec, const char *name, const json_t *v,
			bpci_diag *diag)
{
	const char *key;
	json_t *val;
	int rc = 0, r;

	if (!json_is_object(v))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must be an object of strings");
	json_object_foreach((json_t *)v, key, val) {
		char *path;

		if (!json_is_string(val)) {
			r = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
					   "value of '%s' must be a string", key);
			rc = rc ? rc : r;
			continue;
		}
		path = bpci__asprintf("%s=%s", key, json_string_value(val));
		if (!path)
			return BPCI_ENOMEM;
		/* "name" + "key=value" adds one entry with the usual key checks. */
		r = bpci_node_spec_set(spec, name, path, diag);
		bpci__free(path);
		if (r == BPCI_ENOMEM)
			return r;
		rc = rc ? rc : r;
	}
	return rc;
}

static int set_json(bpci_node_spec *spec, const char *name, const json_t *v,
		    bpci_diag *diag)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, name) < 0)
		return bpci__node_unknown_field(spec, name, diag);
	if (ref.info->kind == BPCI_FIELD_MAP)
		return set_json_map(spec, name, v, diag);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return bpci_node_spec_set(spec, name, json_string_value(v), diag);
	case JSON_INTEGER:
	case JSON_REAL:
		return set_json_number(spec, &ref, name, v, diag);
	case JSON_TRUE:
	case JSON_FALSE:
		return bpci_node_spec_set_bool(spec, name, json_is_true(v), diag);
	case JSON_ARRAY:
		return set_json_array(spec, &ref, name, v, diag);
	default:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
				      "must not be %s", json_is_null(v) ? "null" : "an object");
	}
}

/* The keys allowed at one level of the document, for did-you-mean. */
#define MAX_KEYS 64
struct keyset {
	const char *names[MAX_KEYS];
	char buf[MAX_KEYS][48];
	size_t n;
};

static void keys_add(struct keyset *k, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strlen(k->names[i]) == len && strncmp(k->names[i], name, len) == 0)
			return;
	if (k->n == MAX_KEYS)
		return;
	snprintf(k->buf[k->n], sizeof(k->buf[k->n]), "%.*s", (int)len, name);
	k->names[k->n] = k->buf[k->n];
	k->n++;
}

static int keys_has(const struct keyset *k, const char *key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->names[i], key) == 0)
			return 1;
	return 0;
}

/* Top level: "type", "params", the groups and the plain common fields;
 * or, for @group, the fields below it. */
static void level_keys(struct keyset *k, const bpci__field_table *t, const char *group)
{
	size_t i, glen = group ? strlen(group) : 0;

	k->n = 0;
	if (!group) {
		keys_add(k, "type", 4);
		keys_add(k, "params", 6);
	}
	for (i = 0; i < t->count; i++) {
		const char *name = t->info[i].name, *dot = strchr(name, '.');

		if (!group)
			keys_add(k, name, dot ? (size_t)(dot - name) : strlen(name));
		else if (dot && (size_t)(dot - name) == glen && strncmp(name, group, glen) == 0)
			keys_add(k, dot + 1, strlen(dot + 1));
	}
}

/* @what is "key", or "parameter '%s' for <type>"-style text via @type. */
static int unknown_key(const char *path, const char *key, const struct keyset *k,
		       const char *type, bpci_diag *diag)
{
	const char *near = bpci__suggest(key, k->names, k->n);

	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, path,
			      "unknown %s '%s'%s%s%s%s%s", type ? "parameter" : "key", key,
			      type ? " for " : "", type ? type : "",
			      near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

/* Keep the first error; out of memory ends the walk at once. */
static int merge_rc(int rc, int r)
{
	if (r == BPCI_ENOMEM)
		return r;
	return rc ? rc : r;
}

static int parse_params(bpci_node_spec *spec, const json_t *obj, bpci_diag *diag)
{
	const bpci__field_table *t = spec->params;
	struct keyset k;
	const char *key;
	json_t *val;
	size_t i;
	int rc = 0;

	if (!json_is_object(obj))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "",
				      "must be an object");
	k.n = 0;
	for (i = 0; i < t->count; i++)
		keys_add(&k, t->info[i].name, strlen(t->info[i].name));
	json_object_foreach((json_t *)obj, key, val) {
		if (!keys_has(&k, key))
			rc = merge_rc(rc, unknown_key(key, key, &k, bpci_node_type_name(spec->type), diag));
		else
			rc = merge_rc(rc, set_json(spec, key, val, diag));
		if (rc == BPCI_ENOMEM)
			break;
	}
	return rc;
}

static int parse_group(bpci_node_spec *spec, const char *group, const json_t *obj,
		       bpci_diag *diag)
{
	struct keyset k;
	const char *key;
	json_t *val;
	char name[128];
	int rc = 0;

	if (!json_is_object(obj))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, group,
				      "must be an object");
	level_keys(&k, spec->common, group);
	json_object_foreach((json_t *)obj, key, val) {
		snprintf(name, sizeof(name), "%s.%s", group, key);
		if (!keys_has(&k, key))
			rc = merge_rc(rc, unknown_key(name, key, &k, NULL, diag));
		else
			rc = merge_rc(rc, set_json(spec, name, val, diag));
		if (rc == BPCI_ENOMEM)
			break;
	}
	return rc;
}

static int parse_top(bpci_node_spec *spec, const json_t *root, bpci_diag *diag)
{
	struct keyset k;
	const char *key;
	json_t *val;
	char prefix[256];
	int rc = 0;

	level_keys(&k, spec->common, NULL);
	json_object_foreach((json_t *)root, key, val) {
		if (strcmp(key, "type") == 0)
			continue;
		if (!keys_has(&k, key)) {
			rc = merge_rc(rc, unknown_key(key, key, &k, NULL, diag));
		} else if (strcmp(key, "params") == 0) {
			bpci__diag_ctx ctx = bpci__diag_set_ctx(diag, (bpci__diag_ctx){0});
			bpci__diag_ctx sub = ctx;

			snprintf(prefix, sizeof(prefix), "%s%sparams",
				 ctx.prefix ? ctx.prefix : "",
				 ctx.prefix && *ctx.prefix ? "." : "");
			sub.prefix = prefix;
			bpci__diag_set_ctx(diag, sub);
			rc = merge_rc(rc, parse_params(spec, val, diag));
			bpci__diag_set_ctx(diag, ctx);
		} else if (bpci_node_spec_field(spec, key)) {
			rc = merge_rc(rc, set_json(spec, key, val, diag));
		} else {
			rc = merge_rc(rc, parse_group(spec, key, val, diag));
		}
		if (rc == BPCI_ENOMEM)
			break;
	}
	return rc;
}

static int parse_type(bpci_node_type *type, const json_t *root, bpci_diag *diag)
{
	const json_t *t = json_object_get(root, "type");

	if (!t)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				      "is required");
	if (!json_is_string(t) || bpci_node_type_parse(type, json_string_value(t)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				      "must be one of enc-cluster, oracle, shadow-registry, "
				      "pipeline-api, storage, proof, audit, logbook, got '%s'",
				      json_is_string(t) ? json_string_value(t) : "(not a string)");
	return 0;
}

static int load(json_t **root, const char *json, size_t len, bpci_diag *diag)
{
	json_error_t err;
	unsigned int line, col;

	if (len > JSON_MAX_BYTES)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, JSON_SOURCE,
					 0, 0, "", "is %zu bytes; the limit is %zu bytes (1 MiB)",
					 len, JSON_MAX_BYTES);
	if (too_deep(json, len, &line, &col))
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, JSON_SOURCE,
					 line, col, "", "nests deeper than %d levels",
					 JSON_MAX_DEPTH);
	*root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!*root) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return BPCI_ENOMEM;
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, JSON_SOURCE,
					 err.line > 0 ? (unsigned int)err.line : 0,
					 err.column > 0 ? (unsigned int)err.column : 0, "",
					 "%s", err.text);
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, JSON_SOURCE,
					 0, 0, "", "must be a JSON object");
	}
	return 0;
}

int bpci_node_spec_from_json(bpci_node_spec **out, const char *json, size_t len,
			     bpci_diag *diag)
{
	json_t *root = NULL;
	bpci_node_spec *spec = NULL;
	bpci_node_type type;
	int rc;

	*out = NULL;
	rc = load(&root, json, len, diag);
	if (rc < 0)
		return rc;
	rc = parse_type(&type, root, diag);
	if (rc == 0)
		rc = bpci_node_spec_new(&spec, type);
	if (rc == 0)
		rc = parse_top(spec, root, diag);
	json_decref(root);
	if (rc < 0) {
		bpci_node_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}
