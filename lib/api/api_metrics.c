/*
 * Liveness, readiness, the coordinator's health document and the first
 * Prometheus text exposition (format 0.0.4, through the metrics writer of
 * lib/runtime with the original's node_distribution_* names): only values
 * the coordinator has measured (node states, restarts, uptime of running
 * nodes, start latency of starts that reached readiness).
 */
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "bpci/daemon.h"
#include "common/alloc.h"
#include "runtime/metric_names.h"
#include "runtime/metrics.h"

static void count_states(const bpci_node_status_list *list,
			 size_t counts[BPCI_NODE_STATE_COUNT + 1])
{
	size_t i, n = bpci_node_status_list_count(list);

	memset(counts, 0, (BPCI_NODE_STATE_COUNT + 1) * sizeof(*counts));
	for (i = 0; i < n; i++) {
		const bpci_node_status *s = bpci_node_status_list_get(list, i);

		if (s->state >= 1 && s->state <= BPCI_NODE_STATE_COUNT)
			counts[s->state]++;
	}
}

static void on_health(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_node_status_list *list = NULL;
	size_t counts[BPCI_NODE_STATE_COUNT + 1];
	json_t *states, *doc;
	int s;

	if (bpci_coordinator_list_nodes(&list, srv->c, (bpci_node_type)0, NULL) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	count_states(list, counts);
	states = json_object();
	for (s = 1; s <= BPCI_NODE_STATE_COUNT && states; s++)
		json_object_set_new(states, bpci_node_state_name((bpci_node_state)s),
				    json_integer((json_int_t)counts[s]));
	doc = json_pack("{s:s, s:I, s:o, s:s, s:s, s:I}", "status", "healthy", "nodes",
			(json_int_t)bpci_node_status_list_count(list), "states", states,
			"version", bpci_version(), "state_dir",
			bpci_coordinator_state_dir(srv->c), "started_ms",
			(json_int_t)srv->started_ms);
	bpci_node_status_list_free(list);
	bpci__http_reply_json(req, 200, doc);
}

static void on_healthz(bpci__http_req *req, void *payload)
{
	(void)payload;
	bpci__http_reply_text(req, 200, "text/plain; charset=utf-8", "ok\n");
}

/* Ready when no node is on its way up or down (or unhealthy or failed). */
static void on_readyz(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_node_status_list *list = NULL;
	json_t *waiting = json_array();
	size_t i, n;

	if (!waiting ||
	    bpci_coordinator_list_nodes(&list, srv->c, (bpci_node_type)0, NULL) != 0) {
		json_decref(waiting);
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	n = bpci_node_status_list_count(list);
	for (i = 0; i < n; i++) {
		const bpci_node_status *s = bpci_node_status_list_get(list, i);

		if (s->state != BPCI_NODE_STATE_RUNNING && s->state != BPCI_NODE_STATE_STOPPED)
			json_array_append_new(waiting,
					      json_pack("{s:s, s:s}", "id", s->id, "state",
							bpci_node_state_name(s->state)));
	}
	bpci_node_status_list_free(list);
	if (json_array_size(waiting) == 0)
		bpci__http_reply_json(req, 200, json_pack("{s:b, s:o}", "ready", 1,
							   "not_ready", waiting));
	else
		bpci__http_reply_json(req, 503, json_pack("{s:b, s:o}", "ready", 0,
							   "not_ready", waiting));
}

/* The node snapshots of one scrape, read by every collector below. */
typedef struct scrape {
	const bpci_node_status_list *list;
	size_t counts[BPCI_NODE_STATE_COUNT + 1];
} scrape;

static const bpci_node_status *nth(const scrape *sc, size_t i)
{
	return bpci_node_status_list_get(sc->list, i);
}

static int c_total(bpci__metrics_emitter *em, void *payload)
{
	const scrape *sc = payload;

	return bpci__metrics_emit(em, (double)bpci_node_status_list_count(sc->list), NULL);
}

static int c_active(bpci__metrics_emitter *em, void *payload)
{
	const scrape *sc = payload;

	return bpci__metrics_emit(em, (double)sc->counts[BPCI_NODE_STATE_RUNNING], NULL);
}

static int c_by_status(bpci__metrics_emitter *em, void *payload)
{
	const scrape *sc = payload;
	int s, rc = 0;

	for (s = 1; s <= BPCI_NODE_STATE_COUNT && rc == 0; s++)
		rc = bpci__metrics_emit(em, (double)sc->counts[s], BPCI__METRIC_LABEL_STATUS,
					bpci_node_state_name((bpci_node_state)s), NULL);
	return rc;
}

/* One sample per node of @value(node), skipping nodes where it is absent. */
static int per_node(bpci__metrics_emitter *em, const scrape *sc,
		    int (*value)(const bpci_node_status *, double *))
{
	size_t i, n = bpci_node_status_list_count(sc->list);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const bpci_node_status *st = nth(sc, i);
		double v;

		if (value(st, &v) == 0)
			rc = bpci__metrics_emit(em, v, BPCI__METRIC_LABEL_NODE_ID, st->id,
						BPCI__METRIC_LABEL_NODE_TYPE,
						bpci_node_type_name(st->type), NULL);
	}
	return rc;
}

static int v_restarts(const bpci_node_status *st, double *v)
{
	*v = (double)st->restarts;
	return 0;
}

static int v_uptime(const bpci_node_status *st, double *v)
{
	*v = (double)st->uptime_ms / 1000.0;
	return st->state == BPCI_NODE_STATE_RUNNING ? 0 : -1;
}

/* Only a start that reached readiness has a latency. */
static int v_latency(const bpci_node_status *st, double *v)
{
	*v = (double)st->start_latency_ms / 1000.0;
	return st->start_latency_ms ? 0 : -1;
}

static int c_restarts(bpci__metrics_emitter *em, void *payload)
{
	return per_node(em, payload, v_restarts);
}

static int c_uptime(bpci__metrics_emitter *em, void *payload)
{
	return per_node(em, payload, v_uptime);
}

static int c_latency(bpci__metrics_emitter *em, void *payload)
{
	return per_node(em, payload, v_latency);
}

/*
 * The start latency of each node's last start. The startup-time histogram
 * of metric_names.h needs every start observed as it happens, which the
 * coordinator's public API does not report to the server; a gauge of the
 * last start is what the snapshots measure.
 */
static const bpci__metrics_def last_start_def = {
	"node_distribution_node_last_startup_time_seconds",
	"Time from spawning the node's current process to its readiness, in seconds.",
	BPCI__METRIC_GAUGE};

static void on_metrics(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_node_status_list *list = NULL;
	scrape sc;
	char *text = NULL;
	size_t len;
	int rc;

	if (bpci_coordinator_list_nodes(&list, srv->c, (bpci_node_type)0, NULL) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	sc.list = list;
	count_states(list, sc.counts);
	{
		const bpci__metrics_collector cols[] = {
			{*bpci__metric_def(BPCI__MID_TOTAL_NODES), c_total, &sc},
			{*bpci__metric_def(BPCI__MID_ACTIVE_NODES), c_active, &sc},
			{*bpci__metric_def(BPCI__MID_NODES_BY_STATUS), c_by_status, &sc},
			{*bpci__metric_def(BPCI__MID_NODE_RESTARTS_TOTAL), c_restarts, &sc},
			{*bpci__metric_def(BPCI__MID_NODE_UPTIME_SECONDS), c_uptime, &sc},
			{last_start_def, c_latency, &sc},
		};

		rc = bpci__metrics_render_collectors(&text, &len, cols,
						     sizeof(cols) / sizeof(cols[0]), NULL);
	}
	bpci_node_status_list_free(list);
	if (rc == 0) { /* the daemon tree's link metrics, when this is a daemon */
		char *links = NULL, *all;

		if (bpci_coordinator_daemon_metrics(&links, srv->c) == 0) {
			all = bpci__asprintf("%s%s", text, links);
			if (all) {
				bpci__free(text);
				text = all;
			}
		}
		bpci_free(links);
	}
	if (rc != 0)
		bpci__http_reply_error(req, 500, "internal", bpci_strerror(rc), NULL);
	else
		bpci__http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	bpci__free(text);
}

int bpci__api_routes_metrics(bpci_server *srv)
{
	int rc = bpci__http_route(srv->http, "GET", "/api/node-coordinator/health", on_health,
				  srv);

	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/healthz", on_healthz, srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/readyz", on_readyz, srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/metrics", on_metrics, srv);
	return rc;
}
