/*
 * Cluster metrics (the original's ClusterMetrics), measured from the
 * replicas' process groups and the host, and the JSON listings the API
 * and the CLI show.
 */
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "model/cluster_internal.h"
#include "runtime/cluster_internal.h"
#include "runtime/procstat.h"

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* CPU (lifetime average of each group, in percent of the host's CPUs) and
 * RSS of the replicas' running process groups. */
static int measure_usage(bpci_cluster_metrics *m, bpci_cluster_manager *cm)
{
	pid_t *pgids = bpci__calloc(cm->nreplicas + 1, sizeof(pid_t));
	bpci__procstat *ps = bpci__calloc(cm->nreplicas + 1, sizeof(*ps));
	double cpu = 0.0;
	uint64_t rss = 0;
	size_t i, n = 0;
	bpci__hoststat hs;

	if (!pgids || !ps) {
		bpci__free(pgids);
		bpci__free(ps);
		return BPCI_ENOMEM;
	}
	for (i = 0; i < cm->nreplicas; i++) {
		bpci_node_status *st = NULL;

		if (bpci_coordinator_get_node(&st, cm->c, cm->replicas[i].id, NULL) == 0) {
			m->total_nodes++;
			if (st->state == BPCI_NODE_STATE_RUNNING) {
				m->active_replicas++;
				m->active_nodes++;
			}
			if (st->pid > 0)
				pgids[n++] = st->pid;
		}
		bpci_node_status_free(st);
	}
	memset(&hs, 0, sizeof(hs));
	if (n > 0 && bpci__procstat_sample_many(pgids, n, ps) == 0 &&
	    bpci__hoststat_sample(&hs) == 0) {
		for (i = 0; i < n; i++) {
			if ((ps[i].present & BPCI__PS_CPU) && (ps[i].present & BPCI__PS_START) &&
			    ps[i].uptime_ns > 0 && (hs.present & BPCI__HS_CPUS) && hs.cpus) {
				cpu += 100.0 * (double)ps[i].cpu_ns / (double)ps[i].uptime_ns /
				       (double)hs.cpus;
				m->cpu_measured = 1;
			}
			if (ps[i].present & BPCI__PS_RSS) {
				rss += ps[i].rss_bytes;
				m->memory_measured = (hs.present & BPCI__HS_MEMORY) != 0;
			}
		}
		m->cpu_usage_percent = cpu;
		m->memory_usage_percent = m->memory_measured ? pct(rss, hs.mem_total_bytes) : 0.0;
	}
	bpci__free(pgids);
	bpci__free(ps);
	return 0;
}

int bpci_cluster_manager_get_metrics(bpci_cluster_metrics *out, bpci_cluster_manager *cm)
{
	bpci_node_status_list *list = NULL;
	bpci_resources r;
	int rc;

	if (!out || !cm)
		return BPCI_EINVAL;
	memset(out, 0, sizeof(*out));
	out->total_replicas = (uint32_t)cm->nreplicas;
	out->registered_nodes = (uint32_t)cm->nnodes;
	rc = measure_usage(out, cm);
	if (rc != 0)
		return rc;
	out->total_nodes += (uint32_t)cm->nnodes;
	out->active_nodes += (uint32_t)cm->nnodes;
	bpci__cm_reserved(cm, &r);
	out->reserved_cpu_percent = pct(r.cpu_millicores, cm->capacity.cpu_millicores);
	out->reserved_memory_percent = pct(r.memory_bytes, cm->capacity.memory_bytes);
	out->reserved_storage_percent = pct(r.storage_bytes, cm->capacity.storage_bytes);
	/* The share of the tree's daemons that run; the root counts when its
	 * coordinator answers. */
	out->daemon_tree_health = bpci__cm_tree_health(cm);
	if (bpci_coordinator_list_nodes(&list, cm->c, 0, NULL) != 0 && bpci_daemon_tree_count(cm->tree))
		out->daemon_tree_health -= 1.0 / (double)bpci_daemon_tree_count(cm->tree);
	bpci_node_status_list_free(list);
	out->port_utilization = bpci_port_pool_utilization(cm->pool);
	out->ports_allocated = bpci_port_pool_count(cm->pool);
	out->ports_capacity = bpci_port_pool_capacity(cm->pool);
	out->ledger_entries = bpci_ledger_size(cm->ledger);
	out->audit_events = cm->audits;
	out->journaled = cm->journaled;
	bpci__cm_emit(cm, BPCI_CLUSTER_METRICS_UPDATED, "", "", 0);
	return 0;
}

static json_t *measured(int ok, double v)
{
	return ok ? json_real(v) : json_null();
}

int bpci_cluster_metrics_to_json(char **out, const bpci_cluster_metrics *m)
{
	json_t *doc;

	if (!out || !m)
		return BPCI_EINVAL;
	doc = json_pack("{s:i, s:i, s:i, s:i, s:i, s:{s:o, s:o, s:{s:f, s:f, s:f}},"
			" s:{s:I, s:I, s:I}, s:f, s:f, s:I, s:I}",
			"total_nodes", (int)m->total_nodes, "active_nodes", (int)m->active_nodes,
			"total_replicas", (int)m->total_replicas, "active_replicas",
			(int)m->active_replicas, "registered_nodes", (int)m->registered_nodes,
			"resource_utilization", "cpu_usage_percent",
			measured(m->cpu_measured, m->cpu_usage_percent), "memory_usage_percent",
			measured(m->memory_measured, m->memory_usage_percent), "reserved",
			"cpu_percent", m->reserved_cpu_percent, "memory_percent",
			m->reserved_memory_percent, "storage_percent", m->reserved_storage_percent,
			"audit_metrics", "ledger_entries", (json_int_t)m->ledger_entries,
			"audit_events", (json_int_t)m->audit_events, "journaled_entries",
			(json_int_t)m->journaled, "daemon_tree_health", m->daemon_tree_health,
			"port_utilization", m->port_utilization, "ports_allocated",
			(json_int_t)m->ports_allocated, "ports_capacity",
			(json_int_t)m->ports_capacity);
	return bpci__json_dump(out, doc);
}

static json_t *res_json(const bpci_resources *r)
{
	return json_pack("{s:f, s:I, s:I, s:I}", "cpu_cores", (double)r->cpu_millicores / 1000.0,
			 "memory_bytes", (json_int_t)r->memory_bytes, "storage_bytes",
			 (json_int_t)r->storage_bytes, "network_mbps", (json_int_t)r->network_mbps);
}

int bpci_cluster_manager_replicas_json(char **out, bpci_cluster_manager *cm)
{
	json_t *arr = json_array();
	size_t i;

	if (!out || !cm) {
		json_decref(arr);
		return BPCI_EINVAL;
	}
	for (i = 0; arr && i < cm->nreplicas; i++) {
		bpci_node_status *st = NULL;
		const bpci__replica *r = &cm->replicas[i];
		int have = bpci__cm_node_status(&st, cm, r->id, r->daemon) == 0;

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:s}", "id",
						     r->id, "name", r->name, "state",
						     have ? bpci_node_state_name(st->state)
							  : "stopped",
						     "pid", have ? st->pid : 0, "endpoint",
						     have ? st->endpoint : "", "resources",
						     res_json(&r->res), "daemon",
						     r->daemon ? r->daemon
							       : bpci_daemon_tree_root(cm->tree)));
		bpci_node_status_free(st);
	}
	return bpci__json_dump(out, json_pack("{s:o*}", "replicas", arr));
}

int bpci_cluster_manager_nodes_json(char **out, bpci_cluster_manager *cm)
{
	json_t *arr = json_array();
	size_t i;

	if (!out || !cm) {
		json_decref(arr);
		return BPCI_EINVAL;
	}
	for (i = 0; arr && i < cm->nnodes; i++) {
		char *text = NULL;
		json_t *v = NULL;

		if (bpci_cluster_node_to_json(&text, cm->nodes[i].node) == 0)
			v = json_loads(text, 0, NULL);
		bpci__free(text);
		if (v)
			json_object_set_new(v, "id", json_string(cm->nodes[i].id));
		json_array_append_new(arr, v);
	}
	return bpci__json_dump(out, json_pack("{s:o*}", "nodes", arr));
}

int bpci_cluster_manager_ports_json(char **out, bpci_cluster_manager *cm)
{
	json_t *arr = json_array();
	size_t i;

	if (!out || !cm) {
		json_decref(arr);
		return BPCI_EINVAL;
	}
	for (i = 0; arr && i < cm->nservices; i++) {
		uint64_t exp = 0;
		uint16_t p = cm->services[i].port;

		if (bpci_port_pool_expiry(cm->pool, p, &exp) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:i, s:s, s:I}", "port", (int)p, "service",
						     cm->services[i].service, "expires_ms",
						     (json_int_t)exp));
	}
	return bpci__json_dump(out, json_pack("{s:o*, s:I, s:f}", "ports", arr, "capacity",
					      (json_int_t)bpci_port_pool_capacity(cm->pool),
					      "utilization", bpci_port_pool_utilization(cm->pool)));
}

int bpci_cluster_manager_resources_json(char **out, bpci_cluster_manager *cm)
{
	bpci_resources r, f;

	if (!out || !cm)
		return BPCI_EINVAL;
	bpci__cm_reserved(cm, &r);
	f.cpu_millicores = cm->capacity.cpu_millicores * cm->ceiling / 100u;
	f.memory_bytes = cm->capacity.memory_bytes / 100u * cm->ceiling;
	f.storage_bytes = cm->capacity.storage_bytes / 100u * cm->ceiling;
	f.cpu_millicores = f.cpu_millicores > r.cpu_millicores ? f.cpu_millicores - r.cpu_millicores : 0;
	f.memory_bytes = f.memory_bytes > r.memory_bytes ? f.memory_bytes - r.memory_bytes : 0;
	f.storage_bytes = f.storage_bytes > r.storage_bytes ? f.storage_bytes - r.storage_bytes : 0;
	f.network_mbps = 0;
	f.gpu_units = 0;
	return bpci__json_dump(out, json_pack("{s:o, s:o, s:o, s:i}", "capacity",
					      res_json(&cm->capacity), "reserved", res_json(&r),
					      "available_under_ceiling", res_json(&f),
					      "max_utilization_percent", (int)cm->ceiling));
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void daemon_states(FILE *f, const bpci_daemon_tree *t)
{
	size_t i;

	fputs("# HELP node_distribution_daemon_state The state of each daemon of the tree "
	      "(1 for its current state; reason: why the manager set it)\n"
	      "# TYPE node_distribution_daemon_state gauge\n", f);
	for (i = 0; i < bpci_daemon_tree_count(t); i++) {
		const char *id = bpci_daemon_spec_id(bpci_daemon_tree_at(t, i));
		const char *reason = bpci_daemon_tree_state_reason(t, id);
		bpci_daemon_live l;

		if (bpci_daemon_tree_get_live(&l, t, id) != 0)
			continue;
		fputs("node_distribution_daemon_state{daemon=\"", f);
		label(f, id);
		fputs("\",state=\"", f);
		label(f, l.state);
		fputs("\",reason=\"", f);
		label(f, reason);
		fputs("\"} 1\n", f);
	}
}

static void probe_family(FILE *f, const bpci_daemon_tree *t, const char *name,
			 const char *help, int which)
{
	size_t i;

	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (i = 0; i < bpci_daemon_tree_count(t); i++) {
		const char *id = bpci_daemon_spec_id(bpci_daemon_tree_at(t, i));
		bpci_daemon_probe p;
		double v;

		if (bpci_daemon_tree_get_probe(&p, t, id) != 0 || (which == 1 && p.latency_ms < 0))
			continue;
		v = which == 0 ? p.ok : which == 1 ? p.latency_ms / 1000.0
			: which == 2 ? (double)p.failures : p.unhealthy;
		fprintf(f, "%s{daemon=\"", name);
		label(f, id);
		fprintf(f, "\"} %.17g\n", v);
	}
}

void bpci__cm_daemon_metrics(FILE *f, const bpci_cluster_manager *cm)
{
	if (!cm->tree)
		return;
	daemon_states(f, cm->tree);
	probe_family(f, cm->tree, "node_distribution_daemon_probe_ok",
		     "1 when the parent's last /healthz probe of the daemon succeeded", 0);
	probe_family(f, cm->tree, "node_distribution_daemon_probe_latency_seconds",
		     "Latency of the parent's last /healthz probe of the daemon", 1);
	probe_family(f, cm->tree, "node_distribution_daemon_probe_failures",
		     "Consecutive failed /healthz probes of the daemon", 2);
	probe_family(f, cm->tree, "node_distribution_daemon_unhealthy",
		     "1 when the daemon failed its probes retries times (degraded)", 3);
}
