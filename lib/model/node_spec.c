/*
 * The node spec handle: creation with defaults, field lookup by name or
 * path, getters, unset/has, copy, comparison and merging of per-type
 * defaults. The setters live in node_set.c.
 */
#include <string.h>

#include "bpci/resources.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

static int apply_defaults(bpci_node_spec *spec)
{
	const bpci__field_table *c = spec->common;
	size_t i;
	int rc;

	for (i = 0; i < c->count; i++) {
		if (!c->ext[i].def)
			continue;
		rc = bpci_node_spec_set(spec, c->info[i].name, c->ext[i].def, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int bpci_node_spec_new(bpci_node_spec **out, bpci_node_type type)
{
	bpci_node_spec *spec;
	int rc;

	*out = NULL;
	if (!bpci__node_type_table(type))
		return BPCI_EINVAL;
	spec = bpci__calloc(1, sizeof(*spec));
	if (!spec)
		return BPCI_ENOMEM;
	spec->type = type;
	spec->params = bpci__node_type_table(type);
	spec->common = bpci__node_common_table();
	spec->param_values = bpci__calloc(spec->params->count, sizeof(bpci__value));
	spec->common_values = bpci__calloc(spec->common->count, sizeof(bpci__value));
	if (!spec->param_values || !spec->common_values) {
		bpci_node_spec_free(spec);
		return BPCI_ENOMEM;
	}
	rc = apply_defaults(spec);
	if (rc < 0) {
		bpci_node_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}

static void clear_values(bpci__value *values, const bpci__field_table *t)
{
	size_t i;

	for (i = 0; values && i < t->count; i++)
		bpci__node_value_clear(&values[i], &t->info[i]);
}

void bpci_node_spec_free(bpci_node_spec *spec)
{
	if (!spec)
		return;
	clear_values(spec->param_values, spec->params);
	clear_values(spec->common_values, spec->common);
	bpci__free(spec->param_values);
	bpci__free(spec->common_values);
	bpci__free(spec);
}

static int copy_values(bpci__value *dst, const bpci__value *src,
		       const bpci__field_table *t)
{
	size_t i;

	for (i = 0; i < t->count; i++) {
		bpci__node_value_clear(&dst[i], &t->info[i]);
		if (bpci__node_value_copy(&dst[i], &src[i], &t->info[i]) < 0)
			return BPCI_ENOMEM;
	}
	return 0;
}

int bpci_node_spec_dup(bpci_node_spec **out, const bpci_node_spec *spec)
{
	bpci_node_spec *copy;
	int rc;

	*out = NULL;
	rc = bpci_node_spec_new(&copy, spec->type);
	if (rc < 0)
		return rc;
	if (copy_values(copy->param_values, spec->param_values, spec->params) < 0 ||
	    copy_values(copy->common_values, spec->common_values, spec->common) < 0) {
		bpci_node_spec_free(copy);
		return BPCI_ENOMEM;
	}
	*out = copy;
	return 0;
}

bpci_node_type bpci_node_spec_type(const bpci_node_spec *spec)
{
	return spec->type;
}

static int find_in(bpci__field_ref *ref, const bpci__field_table *t,
		   bpci__value *values, const char *name)
{
	size_t i, len;

	for (i = 0; i < t->count; i++) {
		if (strcmp(t->info[i].name, name) == 0)
			goto found;
		len = strlen(t->info[i].name);
		if (t->info[i].kind == BPCI_FIELD_MAP && strncmp(t->info[i].name, name, len) == 0 &&
		    name[len] == '.' && name[len + 1])
			goto found;
	}
	return BPCI_ENOTFOUND;
found:
	ref->info = &t->info[i];
	ref->ext = &t->ext[i];
	ref->value = &values[i];
	ref->key = strcmp(t->info[i].name, name) == 0 ? NULL
						       : name + strlen(t->info[i].name) + 1;
	return 0;
}

int bpci__node_field_ref(bpci__field_ref *ref, const bpci_node_spec *spec,
			 const char *name)
{
	if (!name)
		return BPCI_ENOTFOUND;
	if (find_in(ref, spec->params, spec->param_values, name) == 0)
		return 0;
	return find_in(ref, spec->common, spec->common_values, name);
}

int bpci__node_unknown_field(const bpci_node_spec *spec, const char *name,
			     bpci_diag *diag)
{
	const char *cands[64];
	const char *near;
	size_t n = 0, i;

	for (i = 0; i < spec->params->count && n < 64; i++)
		cands[n++] = spec->params->info[i].name;
	for (i = 0; i < spec->common->count && n < 64; i++)
		cands[n++] = spec->common->info[i].name;
	near = name ? bpci__suggest(name, cands, n) : NULL;
	if (near)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, name,
				      "unknown field '%s' for %s; did you mean '%s'?", name,
				      bpci_node_type_name(spec->type), near);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, name ? name : "",
			      "unknown field '%s' for %s", name ? name : "(null)",
			      bpci_node_type_name(spec->type));
}

const bpci_field_info *bpci_node_spec_field(const bpci_node_spec *spec, const char *name)
{
	bpci__field_ref ref;

	if (bpci__node_field_ref(&ref, spec, name) < 0)
		return NULL;
	return ref.info;
}

/* Index of @key in a MAP value, or -1. */
static long map_find(const bpci__value *v, const char *key)
{
	size_t i, len = strlen(key);

	for (i = 0; i < v->count; i++)
		if (strncmp(v->items[i], key, len) == 0 && v->items[i][len] == '=')
			return (long)i;
	return -1;
}

/* Resolve @name to a set value; map keys resolve to their entry. */
static int lookup(bpci__field_ref *ref, const bpci_node_spec *spec, const char *name,
		  long *map_index)
{
	*map_index = -1;
	if (bpci__node_field_ref(ref, spec, name) < 0)
		return BPCI_ENOTFOUND;
	if (ref->key) {
		*map_index = map_find(ref->value, ref->key);
		return *map_index < 0 ? BPCI_ENOTFOUND : 0;
	}
	return ref->value->set ? 0 : BPCI_ENOTFOUND;
}

int bpci_node_spec_get_string(const bpci_node_spec *spec, const char *field,
			      const char **out)
{
	bpci__field_ref ref;
	long mi;
	int rc = lookup(&ref, spec, field, &mi);

	if (rc < 0)
		return rc;
	if (ref.key) {
		*out = strchr(ref.value->items[mi], '=') + 1;
		return 0;
	}
	switch (ref.info->kind) {
	case BPCI_FIELD_STRING:
	case BPCI_FIELD_IDENT:
	case BPCI_FIELD_ENUM:
	case BPCI_FIELD_URL:
		*out = ref.value->str;
		return 0;
	default:
		return BPCI_EINVAL;
	}
}

int bpci_node_spec_get_uint(const bpci_node_spec *spec, const char *field, uint64_t *out)
{
	bpci__field_ref ref;
	long mi;
	int rc = lookup(&ref, spec, field, &mi);

	if (rc < 0)
		return rc;
	switch (ref.key ? BPCI_FIELD_MAP : ref.info->kind) {
	case BPCI_FIELD_UINT:
	case BPCI_FIELD_SIZE:
	case BPCI_FIELD_DURATION:
	case BPCI_FIELD_CPU:
	case BPCI_FIELD_BANDWIDTH:
		*out = ref.value->u;
		return 0;
	default:
		return BPCI_EINVAL;
	}
}

int bpci_node_spec_get_number(const bpci_node_spec *spec, const char *field, double *out)
{
	bpci__field_ref ref;
	long mi;
	int rc = lookup(&ref, spec, field, &mi);

	if (rc < 0)
		return rc;
	if (ref.key || ref.info->kind != BPCI_FIELD_NUMBER)
		return BPCI_EINVAL;
	*out = ref.value->num;
	return 0;
}

int bpci_node_spec_get_bool(const bpci_node_spec *spec, const char *field, int *out)
{
	bpci__field_ref ref;
	long mi;
	int rc = lookup(&ref, spec, field, &mi);

	if (rc < 0)
		return rc;
	if (ref.key || ref.info->kind != BPCI_FIELD_BOOL)
		return BPCI_EINVAL;
	*out = ref.value->b;
	return 0;
}

int bpci_node_spec_get_list(const bpci_node_spec *spec, const char *field,
			    const char *const **items, size_t *count)
{
	bpci__field_ref ref;
	long mi;
	int rc = lookup(&ref, spec, field, &mi);

	if (rc < 0)
		return rc;
	if (ref.key || (ref.info->kind != BPCI_FIELD_LIST && ref.info->kind != BPCI_FIELD_ARGV &&
			ref.info->kind != BPCI_FIELD_MAP))
		return BPCI_EINVAL;
	*items = (const char *const *)ref.value->items;
	*count = ref.value->count;
	return 0;
}

int bpci_node_spec_has(const bpci_node_spec *spec, const char *field)
{
	bpci__field_ref ref;
	long mi;

	return lookup(&ref, spec, field, &mi) == 0;
}

int bpci_node_spec_unset(bpci_node_spec *spec, const char *field)
{
	bpci__field_ref ref;
	long mi;

	if (bpci__node_field_ref(&ref, spec, field) < 0)
		return BPCI_ENOTFOUND;
	if (ref.key) {
		mi = map_find(ref.value, ref.key);
		if (mi >= 0) {
			bpci__free(ref.value->items[mi]);
			memmove(&ref.value->items[mi], &ref.value->items[mi + 1],
				(ref.value->count - (size_t)mi) * sizeof(char *));
			ref.value->count--;
			ref.value->set = ref.value->count > 0;
		}
		return 0;
	}
	bpci__node_value_clear(ref.value, ref.info);
	/* A default is plain text that its own setter accepted at creation;
	 * re-applying it can only fail for lack of memory, and then the field
	 * stays unset, which readers treat like the default. */
	if (ref.ext->def)
		(void)bpci_node_spec_set(spec, ref.info->name, ref.ext->def, NULL);
	return 0;
}

int bpci_node_spec_merge(bpci_node_spec *dst, const bpci_node_spec *src)
{
	const bpci__field_table *t = dst->params;
	size_t i;

	if (dst->type != src->type)
		return BPCI_EINVAL;
	for (i = 0; i < t->count; i++) {
		if (dst->param_values[i].set || !src->param_values[i].set)
			continue;
		if (bpci__node_value_copy(&dst->param_values[i], &src->param_values[i],
					  &t->info[i]) < 0)
			return BPCI_ENOMEM;
	}
	return 0;
}

static int values_equal(const bpci__value *a, const bpci__value *b,
			const bpci__field_table *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (!bpci__node_value_equal(&a[i], &b[i], &t->info[i]))
			return 0;
	return 1;
}

int bpci_node_spec_equal(const bpci_node_spec *a, const bpci_node_spec *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->type != b->type)
		return 0;
	return values_equal(a->param_values, b->param_values, a->params) &&
	       values_equal(a->common_values, b->common_values, a->common);
}

int bpci_node_spec_get_resources(const bpci_node_spec *spec, bpci_resources *out)
{
	static const char *const names[] = {
		"resources.cpu_cores", "resources.memory_gb", "resources.storage_gb",
		"resources.network_bandwidth_mbps", "resources.gpu_units"};
	uint64_t *slots[] = {&out->cpu_millicores, &out->memory_bytes, &out->storage_bytes,
			     &out->network_mbps, &out->gpu_units};
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bpci_node_spec_get_uint(spec, names[i], slots[i]) < 0)
			*slots[i] = 0;
	return 0;
}
