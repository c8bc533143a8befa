/*
 * Liveness, readiness, the coordinator's health document and the first
 * Prometheus text exposition (format 0.0.4, through the metrics writer of
 * lib/runtime with the original's node_distribution_* names): only values
 * the coordinator has measured (node states, restarts, uptime of running
 * nodes, start latency of starts that reached readiness).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "bpci/daemon.h"
#include "common/alloc.h"
#include "runtime/coordinator_api.h"
#include "runtime/coordinator_journal.h"
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
	bpci__coord_ship_health(doc, srv->c); /* remote ledger, alarm */
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

/* The start latency of each node's last start (every start: the
 * bpci_node_start_seconds histogram below). */
static const bpci__metrics_def last_start_def = {
	"node_distribution_node_last_startup_time_seconds",
	"Time from spawning the node's current process to its readiness, in seconds.",
	BPCI__METRIC_GAUGE};

/* ---- counted as it happens: reloads, restart requests, every start ---- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bpci__api_reload_done(bpci_server *srv, int rc)
{
	if (rc == 0) {
		srv->reloads_ok++;
		srv->reload_ok_ms = wall_ms();
	} else {
		srv->reload_failures++;
		srv->reload_failed_ms = wall_ms();
	}
}

static const bpci__metrics_def reloads_def = {
	"bpci_coordinator_reloads_total",
	"Configuration reloads (SIGHUP or POST /api/reload) that were applied.",
	BPCI__METRIC_COUNTER};
static const bpci__metrics_def reload_failures_def = {
	"bpci_coordinator_reload_failures_total",
	"Configuration reloads (SIGHUP or POST /api/reload) that failed: the file could "
	"not be read or validated, or part of the difference could not be applied.",
	BPCI__METRIC_COUNTER};
static const bpci__metrics_def reload_ok_time_def = {
	"bpci_coordinator_last_reload_success_timestamp_seconds",
	"Time of the last applied reload, in seconds since the epoch.", BPCI__METRIC_GAUGE};
static const bpci__metrics_def reload_fail_time_def = {
	"bpci_coordinator_last_reload_failure_timestamp_seconds",
	"Time of the last failed reload, in seconds since the epoch.", BPCI__METRIC_GAUGE};
static const bpci__metrics_def restart_requests_def = {
	"bpci_coordinator_restart_requests_total",
	"Node restarts asked for through restart_node (API, CLI or library); each also "
	"counts in the node's node_distribution_node_restarts_total.",
	BPCI__METRIC_COUNTER};

static int c_reloads(bpci__metrics_emitter *em, void *payload)
{
	return bpci__metrics_emit(em, (double)((bpci_server *)payload)->reloads_ok, NULL);
}

static int c_reload_failures(bpci__metrics_emitter *em, void *payload)
{
	return bpci__metrics_emit(em, (double)((bpci_server *)payload)->reload_failures, NULL);
}

/* Absent until it happened. */
static int c_reload_ok_time(bpci__metrics_emitter *em, void *payload)
{
	const bpci_server *srv = payload;

	return srv->reload_ok_ms ? bpci__metrics_emit(em, (double)srv->reload_ok_ms / 1000.0,
						      NULL)
				 : 0;
}

static int c_reload_fail_time(bpci__metrics_emitter *em, void *payload)
{
	const bpci_server *srv = payload;

	return srv->reload_failed_ms
		       ? bpci__metrics_emit(em, (double)srv->reload_failed_ms / 1000.0, NULL)
		       : 0;
}

static int c_restart_requests(bpci__metrics_emitter *em, void *payload)
{
	const bpci_server *srv = payload;

	return bpci__metrics_emit(em, (double)bpci__coordinator_stats(srv->c)->restart_requests,
				  NULL);
}

/*
 * bpci_node_start_seconds: every start that reached readiness, from the
 * spawn to READY=1 (or the first passed probe). The collectors above only
 * know counters and gauges; a histogram's text is simple enough to write
 * here: cumulative buckets, +Inf, _sum, _count.
 */
static char *start_histogram(const bpci__coord_stats *st)
{
	char num[BPCI__METRICS_NUM_MAX], *out = NULL;
	size_t cap = 4096, len = 0, i;
	uint64_t cum = 0;
	int n;

	out = bpci__malloc(cap);
	if (!out)
		return NULL;
	len += (size_t)snprintf(out + len, cap - len,
				"# HELP bpci_node_start_seconds Time from spawning a node's "
				"process to its readiness, for every start that reached it, in "
				"seconds.\n# TYPE bpci_node_start_seconds histogram\n");
	for (i = 0; i < BPCI__START_NBOUNDS; i++) {
		cum += st->start_in[i];
		bpci__metrics_format_double(num, bpci__start_bounds[i]);
		len += (size_t)snprintf(out + len, cap - len,
					"bpci_node_start_seconds_bucket{le=\"%s\"} %llu\n", num,
					(unsigned long long)cum);
	}
	bpci__metrics_format_double(num, (double)st->start_sum_ms / 1000.0);
	n = snprintf(out + len, cap - len,
		     "bpci_node_start_seconds_bucket{le=\"+Inf\"} %llu\n"
		     "bpci_node_start_seconds_sum %s\nbpci_node_start_seconds_count %llu\n",
		     (unsigned long long)st->start_count, num,
		     (unsigned long long)st->start_count);
	if (n < 0 || (size_t)n >= cap - len) {
		bpci__free(out);
		return NULL;
	}
	return out;
}

/* The collected families' text followed by the histogram's. */
static char *join(char *a, size_t alen, char *b)
{
	size_t blen = b ? strlen(b) : 0;
	char *out = a && b ? bpci__realloc(a, alen + blen + 1) : NULL;

	if (out)
		memcpy(out + alen, b, blen + 1);
	else
		bpci__free(a);
	bpci__free(b);
	return out;
}

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
			{restart_requests_def, c_restart_requests, srv},
			{reloads_def, c_reloads, srv},
			{reload_failures_def, c_reload_failures, srv},
			{reload_ok_time_def, c_reload_ok_time, srv},
			{reload_fail_time_def, c_reload_fail_time, srv},
		};

		rc = bpci__metrics_render_collectors(&text, &len, cols,
						     sizeof(cols) / sizeof(cols[0]), NULL);
	}
	bpci_node_status_list_free(list);
	if (rc == 0 && !(text = join(text, len, start_histogram(bpci__coordinator_stats(srv->c)))))
		rc = BPCI_ENOMEM;
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
	if (rc == 0) { /* shipping the journal to a remote ledger */
		char *ship = bpci__coord_ship_metrics(srv->c);

		if (!ship || !(text = join(text, strlen(text), ship)))
			rc = BPCI_ENOMEM;
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
