/*
 * bpci_config_to_json: the whole configuration in canonical JSON, in the
 * same section layout as the YAML file. Amounts are numbers in the unit
 * the key names (memory_gb in GiB), so the output reads like the input.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "model/config_internal.h"

#define GIB ((uint64_t)1 << 30)

/* An amount in units of @unit: an integer when exact, else a real. */
static json_t *amount(uint64_t value, uint64_t unit)
{
	if (value % unit == 0)
		return json_integer((json_int_t)(value / unit));
	return json_real((double)value / (double)unit);
}

/* Add @v under @key; a NULL @v (failed allocation) is reported as -1. */
static int put(json_t *obj, const char *key, json_t *v)
{
	if (!obj) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

static int put_str(json_t *obj, const char *key, const char *s)
{
	return s && *s ? put(obj, key, json_string(s)) : 0;
}

static json_t *cluster_json(const bpci_config *c)
{
	json_t *o = json_object(), *tree = json_object();
	int bad = !o || !tree;

	bad |= put_str(tree, "root_daemon", c->root_daemon);
	bad |= put(tree, "hierarchy_levels", json_integer(c->hierarchy_levels));
	bad |= put(tree, "load_balancing",
		   json_string(bpci_load_balancing_name(c->load_balancing)));
	bad |= put(tree, "fault_tolerance",
		   json_string(bpci_fault_tolerance_name(c->fault_tolerance)));
	bad |= put_str(o, "cluster_id", c->cluster_id);
	bad |= put(o, "daemon_tree", tree);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *resources_json(const bpci_resources *r)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= put(o, "cpu_cores", amount(r->cpu_millicores, 1000));
	bad |= put(o, "memory_gb", amount(r->memory_bytes, GIB));
	bad |= put(o, "storage_gb", amount(r->storage_bytes, GIB));
	bad |= put(o, "network_bandwidth_mbps", json_integer((json_int_t)r->network_mbps));
	bad |= put(o, "gpu_units", json_integer((json_int_t)r->gpu_units));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *audit_json(const bpci_config *c)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= put_str(o, "bpi_ledger_endpoint", c->ledger_endpoint);
	bad |= put(o, "audit_frequency_seconds", amount(c->audit_frequency_ms, 1000));
	bad |= put(o, "retention_days", json_integer((json_int_t)c->retention_days));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A spec's own canonical JSON, parsed back so it nests as an object. */
static json_t *spec_json(const bpci_node_spec *spec)
{
	char *text = NULL;
	json_t *v;

	if (bpci_node_spec_to_json(&text, spec) < 0)
		return NULL;
	v = json_loads(text, 0, NULL);
	bpci_free(text);
	return v;
}

static json_t *node_types_json(const bpci_config *c)
{
	json_t *o = json_object();
	int bad = !o, t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT && !bad; t++) {
		char name[32], *p;
		json_t *spec;

		if (!c->defaults[t])
			continue;
		/* Keyed as in the file's node_types section ("enc_cluster"). */
		snprintf(name, sizeof(name), "%s", bpci_node_type_name((bpci_node_type)t));
		for (p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		spec = spec_json(c->defaults[t]);
		if (t == BPCI_NODE_ORACLE && c->has_threshold)
			bad |= put(spec, "reliability_threshold",
				   json_real(c->reliability_threshold));
		bad |= put(o, name, spec);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *nodes_json(const bpci_config *c)
{
	json_t *a = json_array();
	size_t i;
	int bad = !a;

	for (i = 0; i < c->node_count && !bad; i++)
		bad |= json_array_append_new(a, spec_json(c->nodes[i])) != 0;
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* 15 significant digits print what was typed ("0.95", not
 * "0.94999999999999996") and still read back as the same double for every
 * value a person writes. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

int bpci_config_to_json(char **out, const bpci_config *config)
{
	json_t *root = json_object();
	json_free_t jfree;
	char *text;
	int bad = !root;

	*out = NULL;
	bad |= put(root, "cluster", cluster_json(config));
	bad |= put(root, "node_types", node_types_json(config));
	bad |= put(root, "resource_allocation", resources_json(&config->resources));
	bad |= put(root, "audit_integration", audit_json(config));
	bad |= put(root, "nodes", nodes_json(config));
	text = bad ? NULL : json_dumps(root, DUMP_FLAGS);
	json_decref(root);
	if (!text)
		return BPCI_ENOMEM;
	/* Hand back our allocator's memory, so bpci_free() is always right. */
	*out = bpci__strdup(text);
	json_get_alloc_funcs(NULL, &jfree);
	jfree(text);
	return *out ? 0 : BPCI_ENOMEM;
}
