/*
 * JSON plumbing shared by the cluster model's to_json/from_json functions:
 * loading with limits and located syntax errors, unknown-key reports,
 * canonical output, capability arrays.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "model/cluster_internal.h"
#include "model/text.h"

bpci__diag_ctx bpci__diag_push_prefix(bpci_diag *diag, char *buf, size_t size,
				      const char *name)
{
	bpci__diag_ctx old = bpci__diag_set_ctx(diag, (bpci__diag_ctx){0});
	bpci__diag_ctx ctx = old;

	if (old.prefix && *old.prefix)
		snprintf(buf, size, "%s.%s", old.prefix, name);
	else
		snprintf(buf, size, "%s", name);
	ctx.prefix = buf;
	bpci__diag_set_ctx(diag, ctx);
	return old;
}

int bpci__json_load_object(json_t **out, const char *json, size_t len, bpci_diag *diag)
{
	json_error_t err;
	json_t *v;

	*out = NULL;
	if (len > BPCI__JSON_MAX)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "",
				      "JSON text of %zu bytes is larger than the %u allowed",
				      len, BPCI__JSON_MAX);
	v = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (!v) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return BPCI_ENOMEM;
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "<string>",
					 err.line > 0 ? (unsigned int)err.line : 0,
					 err.column > 0 ? (unsigned int)err.column : 0, "",
					 "is not valid JSON: %s", err.text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "",
				      "the JSON text must be an object ({...})");
	}
	*out = v;
	return 0;
}

int bpci__json_check_keys(json_t *obj, const char *const *allowed, size_t n, bpci_diag *diag)
{
	const char *key, *near;
	json_t *v;
	size_t i;
	int rc = 0;

	json_object_foreach(obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i < n)
			continue;
		near = bpci__suggest(key, allowed, n);
		if (near)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, key,
					    "is not a known key; did you mean \"%s\"?", near);
		else
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, key,
					    "is not a known key");
	}
	return rc;
}

int bpci__json_dump(char **out, json_t *v)
{
	char *text;

	*out = NULL;
	if (!v)
		return BPCI_ENOMEM;
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	if (!text)
		return BPCI_ENOMEM;
	/* Handed out through bpci_free(), so copied into our allocator's memory. */
	*out = bpci__strdup(text);
	free(text);
	return *out ? 0 : BPCI_ENOMEM;
}

const char *bpci__json_what(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

json_t *bpci__capabilities_to_json(const bpci_capabilities *caps)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < bpci_capabilities_count(caps); i++) {
		if (json_array_append_new(a, json_string(bpci_capabilities_get(caps, i)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int bpci__capabilities_from_json(bpci_capabilities **out, const json_t *v, bpci_diag *diag)
{
	bpci_capabilities *c;
	const json_t *item;
	size_t i;
	int rc = 0, one;

	*out = NULL;
	if (json_is_string(v))
		return bpci_capabilities_parse(out, json_string_value(v), diag);
	if (!json_is_array(v))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capabilities",
				      "must be an array of names or a comma-separated string, "
				      "got %s", bpci__json_what(v));
	if (bpci_capabilities_new(&c))
		return BPCI_ENOMEM;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capabilities",
					    "item %zu must be a string, got %s", i,
					    bpci__json_what(item));
			continue;
		}
		one = bpci_capabilities_add(c, json_string_value(item), diag);
		if (one == BPCI_ENOMEM) {
			rc = one;
			break;
		}
		if (one)
			rc = one;
	}
	if (rc) {
		bpci_capabilities_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
