/*
 * Read-only routes of the cluster manager's API: health, resources,
 * metrics (JSON and Prometheus) and the listings.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "api/cluster_api.h"
#include "common/alloc.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_ship.h"
#include "runtime/metric_names.h"

static void health(bpci__http_req *req, void *payload)
{
	bpci_cluster_server *srv = payload;
	bpci_cluster_metrics m;
	json_t *doc;

	if (bpci_cluster_manager_get_metrics(&m, srv->cm) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	doc = json_pack("{s:s, s:s, s:I, s:f, s:i, s:i}", "status",
			m.daemon_tree_health == 1.0 ? "ok" : "unhealthy", "cluster_id",
			srv->cm->cluster_id, "uptime_ms",
			(json_int_t)(bpci__cm_now_ms() - srv->started_ms), "daemon_tree_health",
			m.daemon_tree_health, "replicas", (int)m.total_replicas,
			"registered_nodes", (int)m.registered_nodes);
	/* a diverged remote ledger degrades an otherwise healthy manager;
	 * an unhealthy tree stays unhealthy */
	if (doc && m.daemon_tree_health == 1.0)
		bpci__cm_ship_health(doc, srv->cm);
	else if (doc) {
		json_t *tmp = json_object();

		bpci__cm_ship_health(tmp, srv->cm);
		json_object_del(tmp, "status");
		json_object_update(doc, tmp);
		json_decref(tmp);
	}
	bpci__http_reply_json(req, m.daemon_tree_health == 1.0 ? 200 : 503, doc);
}

static void metrics_json(bpci__http_req *req, void *payload)
{
	bpci_cluster_server *srv = payload;
	bpci_cluster_metrics m;
	char *text = NULL;

	if (bpci_cluster_manager_get_metrics(&m, srv->cm) == 0)
		bpci_cluster_metrics_to_json(&text, &m);
	bpci__api_reply_text_json(req, 200, text);
}

static void family(FILE *f, bpci__metric_id id, double v)
{
	const bpci__metrics_def *d = bpci__metric_def(id);
	const char *type = d->type == BPCI__METRIC_COUNTER ? "counter" : "gauge";

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", d->name, d->help, d->name, type,
		d->name, v);
}

/* Only measured values: a family without a measurement is left out. */
static void prometheus(bpci__http_req *req, void *payload)
{
	bpci_cluster_server *srv = payload;
	bpci_cluster_metrics m;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (bpci_cluster_manager_get_metrics(&m, srv->cm) != 0 ||
	    !(f = open_memstream(&buf, &len))) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	family(f, BPCI__MID_TOTAL_NODES, m.total_nodes);
	family(f, BPCI__MID_ACTIVE_NODES, m.active_nodes);
	family(f, BPCI__MID_DAEMON_TREE_HEALTH, m.daemon_tree_health);
	if (m.cpu_measured)
		family(f, BPCI__MID_RESOURCE_UTILIZATION_CPU, m.cpu_usage_percent / 100.0);
	if (m.memory_measured)
		family(f, BPCI__MID_RESOURCE_UTILIZATION_MEMORY, m.memory_usage_percent / 100.0);
	family(f, BPCI__MID_PORT_UTILIZATION, m.port_utilization);
	family(f, BPCI__MID_AUDIT_EVENTS_TOTAL, (double)m.ledger_entries);
	bpci__cm_daemon_metrics(f, srv->cm);
	{
		char *ship = bpci__cm_ship_metrics(srv->cm);

		if (ship)
			fputs(ship, f);
		bpci__free(ship);
	}
	fclose(f);
	bpci__http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf);
	free(buf);
}

typedef int (*list_fn)(char **out, bpci_cluster_manager *cm);

static void reply_list(bpci__http_req *req, bpci_cluster_server *srv, list_fn fn)
{
	char *text = NULL;

	fn(&text, srv->cm);
	bpci__api_reply_text_json(req, 200, text);
}

static void resources(bpci__http_req *req, void *payload)
{
	reply_list(req, payload, bpci_cluster_manager_resources_json);
}

static void replicas(bpci__http_req *req, void *payload)
{
	reply_list(req, payload, bpci_cluster_manager_replicas_json);
}

static void nodes(bpci__http_req *req, void *payload)
{
	reply_list(req, payload, bpci_cluster_manager_nodes_json);
}

static void ports(bpci__http_req *req, void *payload)
{
	reply_list(req, payload, bpci_cluster_manager_ports_json);
}

int bpci__cm_routes_read(bpci_cluster_server *srv)
{
	static const struct {
		const char *path;
		bpci__http_handler fn;
	} r[] = {{"/api/cluster-manager/health", health},
		 {"/api/cluster/resources", resources},
		 {"/api/cluster/metrics", metrics_json},
		 {"/metrics", prometheus},
		 {"/api/replicas", replicas},
		 {"/api/cluster/nodes", nodes},
		 {"/api/ports", ports}};
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(r) / sizeof(r[0]); i++)
		rc = bpci__http_route(srv->http, "GET", r[i].path, r[i].fn, srv);
	return rc;
}
