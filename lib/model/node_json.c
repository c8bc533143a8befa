/*
 * The node spec's JSON form (jansson): canonical output with sorted keys,
 * and input that takes the same shape, or strings with units wherever a
 * number is expected. Input is bounded in size and depth before jansson
 * sees it, so hostile documents cannot exhaust the stack or memory.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

#define EXACT_DOUBLE ((uint64_t)1 << 53)

/* ---- output ----------------------------------------------------------- */

/*
 * jansson prints every real with one precision per document. Use the
 * smallest precision that still reads back every real of this document
 * exactly (so 0.98 is written "0.98", not "0.97999999999999998") and that
 * keeps integer digits out of exponent form. Same values, same precision:
 * the output stays canonical.
 */
static json_t *real(int *prec, double v)
{
	char buf[40];
	double mag = v < 0 ? -v : v;
	int p, digits = 1;

	for (; mag >= 10 && digits < 17; mag /= 10)
		digits++;
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (p < digits)
		p = digits;
	if (p > *prec)
		*prec = p;
	return json_real(v);
}

static json_t *json_uint(uint64_t u)
{
	char buf[32];

	if (u <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)u);
	snprintf(buf, sizeof(buf), "%" PRIu64, u);
	return json_string(buf);
}

/*
 * A stored amount in the field's unit: an integer when it divides, else a
 * real. Byte counts over a power-of-two unit are exact as doubles; CPU
 * millicores / 1000 is not, but the reader rounds to the nearest
 * millicore, so it reads back the same. Beyond 2^53 doubles lose units:
 * then the text form with units ("1Ti") is written instead.
 */
static json_t *json_scaled(int *prec, const bpci_field_info *info, uint64_t v,
			   uint64_t unit)
{
	char buf[64];

	if (v % unit == 0)
		return json_uint(v / unit);
	if (v < EXACT_DOUBLE)
		return real(prec, (double)v / (double)unit);
	bpci__node_format_uint(buf, sizeof(buf), info, v);
	return json_string(buf);
}

static json_t *json_items(const bpci__value *v, int as_map)
{
	json_t *j = as_map ? json_object() : json_array();
	size_t i;

	for (i = 0; j && i < v->count; i++) {
		const char *eq = strchr(v->items[i], '=');
		int rc;

		if (as_map) {
			char *key = bpci__strndup(v->items[i], (size_t)(eq - v->items[i]));

			rc = key ? json_object_set_new(j, key, json_string(eq + 1)) : -1;
			bpci__free(key);
		} else {
			rc = json_array_append_new(j, json_string(v->items[i]));
		}
		if (rc < 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

static json_t *value_to_json(int *prec, const bpci_field_info *info,
			     const bpci__field_ext *ext, const bpci__value *v)
{
	char buf[64];

	switch (info->kind) {
	case BPCI_FIELD_STRING:
	case BPCI_FIELD_IDENT:
	case BPCI_FIELD_ENUM:
	case BPCI_FIELD_URL:
		return json_string(v->str);
	case BPCI_FIELD_NUMBER:
		return real(prec, v->num);
	case BPCI_FIELD_BOOL:
		return json_boolean(v->b);
	case BPCI_FIELD_DURATION:
		bpci__format_duration(buf, sizeof(buf), v->u);
		return json_string(buf);
	case BPCI_FIELD_SIZE:
		return json_scaled(prec, info, v->u, ext->unit_bytes ? ext->unit_bytes : 1);
	case BPCI_FIELD_CPU:
		return json_scaled(prec, info, v->u, 1000);
	case BPCI_FIELD_LIST:
	case BPCI_FIELD_ARGV:
		return json_items(v, 0);
	case BPCI_FIELD_MAP:
		return json_items(v, 1);
	default:
		return json_uint(v->u);
	}
}

/* Put @val under a dotted @name ("restart.policy") in @root. */
static int put_path(json_t *root, const char *name, json_t *val)
{
	const char *dot = strchr(name, '.');
	json_t *group;
	char key[64];

	if (!val)
		return -1;
	if (!dot)
		return json_object_set_new(root, name, val);
	snprintf(key, sizeof(key), "%.*s", (int)(dot - name), name);
	group = json_object_get(root, key);
	if (!group) {
		group = json_object();
		if (json_object_set_new(root, key, group) < 0) {
			json_decref(val);
			return -1;
		}
	}
	return json_object_set_new(group, dot + 1, val);
}

static int put_table(int *prec, json_t *obj, const bpci__field_table *t,
		     const bpci__value *values)
{
	size_t i;

	for (i = 0; i < t->count; i++) {
		if (!values[i].set)
			continue;
		if (put_path(obj, t->info[i].name,
			     value_to_json(prec, &t->info[i], &t->ext[i], &values[i])) < 0)
			return -1;
	}
	return 0;
}

static json_t *spec_to_json(int *prec, const bpci_node_spec *spec)
{
	json_t *root = json_object(), *params = json_object();

	if (!root || !params ||
	    json_object_set_new(root, "type", json_string(bpci_node_type_name(spec->type))) < 0 ||
	    put_table(prec, root, spec->common, spec->common_values) < 0 ||
	    put_table(prec, params, spec->params, spec->param_values) < 0 ||
	    json_object_set(root, "params", params) < 0) {
		json_decref(root);
		json_decref(params);
		return NULL;
	}
	json_decref(params);
	return root;
}

int bpci_node_spec_to_json(char **out, const bpci_node_spec *spec)
{
	json_t *root;
	char *text;
	json_malloc_t jmalloc;
	json_free_t jfree;
	int prec = 1;

	*out = NULL;
	root = spec_to_json(&prec, spec);
	if (!root)
		return BPCI_ENOMEM;
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(prec));
	json_decref(root);
	if (!text)
		return BPCI_ENOMEM;
	/* Hand back memory from our allocator so bpci_free() is always right. */
	*out = bpci__strdup(text);
	json_get_alloc_funcs(&jmalloc, &jfree);
	jfree(text);
	return *out ? 0 : BPCI_ENOMEM;
}
