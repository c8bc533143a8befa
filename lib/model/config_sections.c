/*
 * The configuration's scalar sections: cluster (with daemon_tree),
 * resource_allocation and audit_integration. Each key has a setter that
 * parses its text with the shared unit parsers and says what is allowed.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "model/config_internal.h"
#include "model/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define GIB ((uint64_t)1 << 30)

typedef void (*setting_fn)(bpci__cfg_walk *w, const bpci__yaml_node *value,
			   const char *path);

struct setting {
	const char *key;
	setting_fn fn;
};

/* Dispatch every key of a section's mapping to its setter. */
static void walk_section(bpci__cfg_walk *w, const bpci__yaml_node *map, const char *path,
			 const struct setting *table, size_t n)
{
	const char *names[16];
	char child[512];
	size_t i, k;

	if (!bpci__cfg_is_map(w, map, path))
		return;
	for (k = 0; k < n; k++)
		names[k] = table[k].key;
	for (i = 0; i < map->count && !w->stop; i++) {
		const bpci__yaml_node *key = map->items[2 * i];

		for (k = 0; k < n; k++)
			if (strcmp(key->text, table[k].key) == 0 && key->len == strlen(table[k].key))
				break;
		if (k == n) {
			bpci__cfg_unknown_key(w, key, path, names, n);
			continue;
		}
		bpci__cfg_join(child, sizeof(child), path, key);
		table[k].fn(w, map->items[2 * i + 1], child);
	}
}

static void set_string(bpci__cfg_walk *w, char **slot, const char *text)
{
	char *copy = bpci__strdup(text);

	if (!copy) {
		bpci__cfg_note(w, BPCI_ENOMEM);
		return;
	}
	bpci__free(*slot);
	*slot = copy;
}

static void set_ident(bpci__cfg_walk *w, char **slot, const bpci__yaml_node *value,
		      const char *path)
{
	const char *s = bpci__cfg_scalar(w, value, path);
	char shown[80];

	if (!s)
		return;
	if (!bpci__is_ident(s)) {
		bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
		bpci__cfg_error(w, BPCI_EINVAL, value, path,
				"must be an identifier (letters, digits, '.', '_', '-'; "
				"at most 128 characters, starting with a letter or digit), "
				"got '%s'", shown);
		return;
	}
	set_string(w, slot, s);
}

/* ---- enumerations ------------------------------------------------------ */

static const char *const lb_names[] = {"round_robin", "weighted_round_robin",
				       "least_connections", "resource_based", "adaptive"};
static const char *const ft_names[] = {"automatic_failover", "restart_only", "none"};

const char *bpci_load_balancing_name(bpci_load_balancing lb)
{
	if ((int)lb < 1 || (size_t)lb > ARRAY_LEN(lb_names))
		return NULL;
	return lb_names[lb - 1];
}

const char *bpci_fault_tolerance_name(bpci_fault_tolerance ft)
{
	if ((int)ft < 1 || (size_t)ft > ARRAY_LEN(ft_names))
		return NULL;
	return ft_names[ft - 1];
}

/* Index+1 of @s among @names, ignoring case and reading '-' as '_'; 0 when
 * none matches. */
static int match_enum(const char *s, const char *const *names, size_t n)
{
	char norm[64];
	size_t i;

	for (i = 0; s[i] && i < sizeof(norm) - 1; i++)
		norm[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
	if (s[i])
		return 0;
	norm[i] = '\0';
	for (i = 0; i < n; i++)
		if (strcmp(norm, names[i]) == 0)
			return (int)i + 1;
	return 0;
}

static int parse_enum(bpci__cfg_walk *w, const bpci__yaml_node *value, const char *path,
		      const char *const *names, size_t n)
{
	const char *s = bpci__cfg_scalar(w, value, path), *hint;
	char shown[80], list[256] = "";
	size_t i, o = 0;
	int v;

	if (!s)
		return 0;
	if ((v = match_enum(s, names, n)) > 0)
		return v;
	bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
	hint = bpci__suggest(s, names, n);
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      names[i]);
	if (hint)
		bpci__cfg_error(w, BPCI_EINVAL, value, path,
				"must be one of %s, got '%s'; did you mean '%s'?", list, shown,
				hint);
	else
		bpci__cfg_error(w, BPCI_EINVAL, value, path, "must be one of %s, got '%s'",
				list, shown);
	return 0;
}

/* ---- cluster ----------------------------------------------------------- */

static void cluster_id(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	set_ident(w, &w->cfg->cluster_id, v, path);
}

static void root_daemon(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	set_ident(w, &w->cfg->root_daemon, v, path);
}

static void hierarchy_levels(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);
	char shown[80];
	uint64_t n;

	if (!s)
		return;
	if (bpci__parse_uint(s, &n) < 0 || n < 1 || n > 16) {
		bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
		bpci__cfg_error(w, BPCI_EINVAL, v, path, "must be 1..16, got %s", shown);
		return;
	}
	w->cfg->hierarchy_levels = (unsigned int)n;
}

static void load_balancing(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	int e = parse_enum(w, v, path, lb_names, ARRAY_LEN(lb_names));

	if (e)
		w->cfg->load_balancing = (bpci_load_balancing)e;
}

static void fault_tolerance(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	int e = parse_enum(w, v, path, ft_names, ARRAY_LEN(ft_names));

	if (e)
		w->cfg->fault_tolerance = (bpci_fault_tolerance)e;
}

static void daemon_tree(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	static const struct setting table[] = {
		{"root_daemon", root_daemon},
		{"hierarchy_levels", hierarchy_levels},
		{"load_balancing", load_balancing},
		{"fault_tolerance", fault_tolerance},
	};

	walk_section(w, v, path, table, ARRAY_LEN(table));
}

void bpci__cfg_cluster(bpci__cfg_walk *w, const bpci__yaml_node *value)
{
	static const struct setting table[] = {
		{"cluster_id", cluster_id},
		{"daemon_tree", daemon_tree},
	};

	walk_section(w, value, "cluster", table, ARRAY_LEN(table));
}

/* ---- resource_allocation ----------------------------------------------- */

static void report_amount(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path,
			  const char *s, const char *allowed)
{
	char shown[80];

	bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
	bpci__cfg_error(w, BPCI_EINVAL, v, path, "must be %s, got '%s'", allowed, shown);
}

static void cpu_cores(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (s && bpci__parse_cpu(s, &w->cfg->resources.cpu_millicores) < 0)
		report_amount(w, v, path, s, "a CPU amount (\"8\", \"8 cores\", \"500m\")");
}

static void memory_gb(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (s && bpci__parse_size(s, GIB, &w->cfg->resources.memory_bytes) < 0)
		report_amount(w, v, path, s, "a size (\"16\" GiB, \"16Gi\", \"512Mi\")");
}

static void storage_gb(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (s && bpci__parse_size(s, GIB, &w->cfg->resources.storage_bytes) < 0)
		report_amount(w, v, path, s, "a size (\"500\" GiB, \"500Gi\", \"2Ti\")");
}

static void network_mbps(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (s && bpci__parse_bandwidth(s, &w->cfg->resources.network_mbps) < 0)
		report_amount(w, v, path, s, "a bandwidth (\"1000\" Mbit/s, \"1Gbps\")");
}

static void gpu_units(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (s && bpci__parse_uint(s, &w->cfg->resources.gpu_units) < 0)
		report_amount(w, v, path, s, "a whole number of GPU units");
}

void bpci__cfg_resources(bpci__cfg_walk *w, const bpci__yaml_node *value)
{
	static const struct setting table[] = {
		{"cpu_cores", cpu_cores},
		{"memory_gb", memory_gb},
		{"storage_gb", storage_gb},
		{"network_bandwidth_mbps", network_mbps},
		{"gpu_units", gpu_units},
	};

	walk_section(w, value, "resource_allocation", table, ARRAY_LEN(table));
}

/* ---- audit_integration ------------------------------------------------- */

static void ledger_endpoint(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);

	if (!s)
		return;
	if (!bpci__is_url(s)) {
		report_amount(w, v, path, s, "an absolute http:// or https:// URL");
		return;
	}
	set_string(w, &w->cfg->ledger_endpoint, s);
}

static void audit_frequency(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);
	uint64_t ms;

	if (!s)
		return;
	if (bpci__parse_duration(s, "s", &ms) < 0 || ms == 0) {
		report_amount(w, v, path, s,
			      "a positive duration (a number of seconds, or \"30s\", \"5m\")");
		return;
	}
	w->cfg->audit_frequency_ms = ms;
}

static void retention_days(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);
	char shown[80];
	uint64_t n;

	if (!s)
		return;
	if (bpci__parse_uint(s, &n) < 0 || n < 1 || n > BPCI__RETENTION_DAYS_MAX) {
		bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
		bpci__cfg_error(w, BPCI_EINVAL, v, path, "must be 1..%u days, got %s",
				BPCI__RETENTION_DAYS_MAX, shown);
		return;
	}
	w->cfg->retention_days = n;
}

void bpci__cfg_audit(bpci__cfg_walk *w, const bpci__yaml_node *value)
{
	static const struct setting table[] = {
		{"bpi_ledger_endpoint", ledger_endpoint},
		{"audit_frequency_seconds", audit_frequency},
		{"retention_days", retention_days},
	};

	walk_section(w, value, "audit_integration", table, ARRAY_LEN(table));
}
