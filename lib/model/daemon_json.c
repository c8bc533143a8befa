/*
 * The JSON form of a daemon spec (see bpci_daemon_spec_to_json() in
 * bpci/cluster.h). Reading goes through the same setters as the CLI and
 * the configuration file, so a value is refused with the same message
 * wherever it comes from.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "model/cluster_internal.h"
#include "model/resources_key.h"

static json_t *capacity_to_json(const bpci_resources *res)
{
	json_t *o = json_object();
	char num[48];
	unsigned int f;

	for (f = 0; o && f < BPCI__RESOURCE_FIELDS; f++) {
		bpci__resources_format_field(num, sizeof(num), res, f);
		if (strcmp(num, "0") == 0 || strcmp(num, "0B") == 0)
			continue;
		if (json_object_set_new(o, bpci__resources_key(f), json_string(num))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *bpci__responsibilities_to_json(unsigned int mask)
{
	json_t *a = json_array();
	unsigned int bit;

	for (bit = 1; a && bit <= BPCI_RESPONSIBILITY_ALL; bit <<= 1) {
		if (!(mask & bit))
			continue;
		if (json_array_append_new(a, json_string(bpci_responsibility_name(bit)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *labels_to_json(const bpci_daemon_spec *spec)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < spec->nlabels; i++) {
		if (json_object_set_new(o, spec->labels[i].key,
					json_string(spec->labels[i].value))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int bpci_daemon_spec_to_json(char **out, const bpci_daemon_spec *spec)
{
	json_t *o = json_object();
	const bpci_resources *c = &spec->capacity;
	int bad = !o;

	if (!bad && spec->id)
		bad |= json_object_set_new(o, "id", json_string(spec->id));
	if (!bad && spec->parent)
		bad |= json_object_set_new(o, "parent", json_string(spec->parent));
	if (!bad)
		bad |= json_object_set_new(o, "responsibilities",
					   bpci__responsibilities_to_json(spec->responsibilities));
	if (!bad && (c->cpu_millicores || c->memory_bytes || c->storage_bytes ||
		     c->network_mbps || c->gpu_units))
		bad |= json_object_set_new(o, "capacity", capacity_to_json(c));
	if (!bad && spec->nlabels)
		bad |= json_object_set_new(o, "labels", labels_to_json(spec));
	if (!bad)
		bad |= json_object_set_new(o, "remote", json_boolean(spec->remote));
	if (bad) {
		json_decref(o);
		*out = NULL;
		return BPCI_ENOMEM;
	}
	return bpci__json_dump(out, o);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static int want_string(const json_t *v, const char *field, bpci_diag *diag)
{
	if (json_is_string(v))
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
			      "must be a string, got %s", bpci__json_what(v));
}

/* A number or a string amount as the text a resource setter reads. */
static int amount_text(char *buf, size_t size, const json_t *v)
{
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.15g", json_real_value(v));
	else
		return -1;
	return 0;
}

static int capacity_from_json(bpci_daemon_spec *spec, const json_t *v, bpci_diag *diag)
{
	bpci_resources res = {0};
	unsigned int seen = 0;
	const char *key;
	char text[128];
	json_t *amount;
	int rc = 0, one;

	if (json_is_string(v))
		return bpci_daemon_spec_set(spec, "capacity", json_string_value(v), diag);
	if (!json_is_object(v))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "capacity",
				      "must be an object such as {\"cpu\":\"8\",\"memory\":\"16Gi\"} "
				      "or a string such as \"cpu=8,memory=16Gi\", got %s",
				      bpci__json_what(v));
	json_object_foreach((json_t *)v, key, amount) {
		char field[160];
		char prefix[256];
		bpci__diag_ctx old;

		if (amount_text(text, sizeof(text), amount)) {
			snprintf(field, sizeof(field), "capacity.%s", key);
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					    "must be a number or a string with units, got %s",
					    bpci__json_what(amount));
			continue;
		}
		old = bpci__diag_push_prefix(diag, prefix, sizeof(prefix), "capacity");
		one = bpci__resources_set_key(&res, &seen, key, text, diag);
		bpci__diag_set_ctx(diag, old);
		if (one)
			rc = one;
	}
	if (rc)
		return rc;
	spec->capacity = res;
	return 0;
}

static int responsibilities_from_json(bpci_daemon_spec *spec, const json_t *v,
				      bpci_diag *diag)
{
	unsigned int mask = 0, one;
	const json_t *item;
	size_t i;
	int rc = 0, err;

	if (json_is_string(v))
		return bpci_responsibilities_parse(&spec->responsibilities, json_string_value(v),
						   diag);
	if (!json_is_array(v) || json_array_size(v) == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
				      "must be a non-empty array of names, got %s",
				      json_is_array(v) ? "[]" : bpci__json_what(v));
	json_array_foreach(v, i, item) {
		if (want_string(item, "responsibilities", diag)) {
			rc = BPCI_EINVAL;
			continue;
		}
		err = bpci_responsibilities_parse(&one, json_string_value(item), diag);
		if (err == BPCI_ENOMEM)
			return err;
		if (err)
			rc = err;
		else
			mask |= one;
	}
	if (rc)
		return rc;
	spec->responsibilities = mask;
	return 0;
}

static int labels_from_json(bpci_daemon_spec *spec, const json_t *v, bpci_diag *diag)
{
	const char *key;
	json_t *value;
	char field[160];
	int rc = 0, one;

	if (!json_is_object(v))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
				      "must be an object of strings, got %s", bpci__json_what(v));
	json_object_foreach((json_t *)v, key, value) {
		snprintf(field, sizeof(field), "labels.%s", key);
		if (want_string(value, field, diag)) {
			rc = BPCI_EINVAL;
			continue;
		}
		one = bpci__daemon_spec_put_label(spec, key, json_string_value(value), diag);
		if (one == BPCI_ENOMEM)
			return one;
		if (one)
			rc = one;
	}
	return rc;
}

/* One member of the object. Returns 0 or the error code. */
static int member_from_json(bpci_daemon_spec *spec, const char *key, const json_t *v,
			    bpci_diag *diag)
{
	if (strcmp(key, "id") == 0)
		return want_string(v, "id", diag) ? BPCI_EINVAL
			: bpci_daemon_spec_set(spec, "id", json_string_value(v), diag);
	if (strcmp(key, "parent") == 0) {
		if (json_is_null(v))
			return 0;
		return want_string(v, "parent", diag) ? BPCI_EINVAL
			: bpci_daemon_spec_set(spec, "parent", json_string_value(v), diag);
	}
	if (strcmp(key, "remote") == 0) {
		if (!json_is_boolean(v))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "remote",
					      "must be true or false, got %s", bpci__json_what(v));
		spec->remote = json_is_true(v);
		return 0;
	}
	if (strcmp(key, "responsibilities") == 0)
		return responsibilities_from_json(spec, v, diag);
	if (strcmp(key, "capacity") == 0)
		return capacity_from_json(spec, v, diag);
	return labels_from_json(spec, v, diag);
}

int bpci_daemon_spec_from_json(bpci_daemon_spec **out, const char *json, size_t len,
			       bpci_diag *diag)
{
	static const char *const keys[] = {
		"capacity", "id", "labels", "parent", "remote", "responsibilities"
	};
	bpci_daemon_spec *spec;
	const char *key;
	json_t *root, *v;
	int rc, one;

	*out = NULL;
	rc = bpci__json_load_object(&root, json, len, diag);
	if (rc)
		return rc;
	rc = bpci__json_check_keys(root, keys, sizeof(keys) / sizeof(keys[0]), diag);
	if (bpci_daemon_spec_new(&spec)) {
		json_decref(root);
		return BPCI_ENOMEM;
	}
	json_object_foreach(root, key, v) {
		size_t i;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			continue;   /* reported by bpci__json_check_keys() */
		one = member_from_json(spec, key, v, diag);
		if (one == BPCI_ENOMEM) {
			rc = one;
			break;
		}
		if (one && !rc)
			rc = one;
	}
	json_decref(root);
	if (rc) {
		bpci_daemon_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}
