/*
 * Liveness, readiness, the coordinator's health document and the first
 * Prometheus text exposition (format 0.0.4): only values the coordinator
 * has measured (node states, restarts, start latency of nodes that became
 * ready), nothing estimated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "common/alloc.h"

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

/* A label value with \, " and newline escaped (exposition format rules). */
static void add_label(char **buf, size_t *len, size_t *cap, const char *v)
{
	for (; *v; v++) {
		const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n"
											: NULL;
		size_t k = esc ? 2 : 1;

		if (bpci__grow((void **)buf, cap, *len + k + 1, 1) != 0)
			return;
		memcpy(*buf + *len, esc ? esc : v, k);
		*len += k;
		(*buf)[*len] = '\0';
	}
}

typedef struct mbuf {
	char *s;
	size_t len, cap;
	int oom;
} mbuf;

static void madd(mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void madd(mbuf *b, const char *fmt, ...)
{
	char piece[512]; /* every piece is a short fixed text or a number */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(piece) ||
	    bpci__grow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1) != 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->s + b->len, piece, (size_t)n + 1);
	b->len += (size_t)n;
}

static void node_labels(mbuf *b, const bpci_node_status *s)
{
	madd(b, "{node=\"");
	add_label(&b->s, &b->len, &b->cap, s->id);
	madd(b, "\",type=\"%s\"}", bpci_node_type_name(s->type));
}

static void per_node(mbuf *b, const bpci_node_status_list *list)
{
	size_t i, n = bpci_node_status_list_count(list);

	madd(b, "# HELP bpci_node_restarts_total Restarts of the node since it was "
		"started.\n# TYPE bpci_node_restarts_total counter\n");
	for (i = 0; i < n; i++) {
		const bpci_node_status *s = bpci_node_status_list_get(list, i);

		madd(b, "bpci_node_restarts_total");
		node_labels(b, s);
		madd(b, " %u\n", s->restarts);
	}
	madd(b, "# HELP bpci_node_start_latency_seconds Spawn to ready of the node's "
		"last start.\n# TYPE bpci_node_start_latency_seconds gauge\n");
	for (i = 0; i < n; i++) {
		const bpci_node_status *s = bpci_node_status_list_get(list, i);

		if (!s->start_latency_ms)
			continue;
		madd(b, "bpci_node_start_latency_seconds");
		node_labels(b, s);
		madd(b, " %.3f\n", (double)s->start_latency_ms / 1000.0);
	}
}

static void on_metrics(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_node_status_list *list = NULL;
	size_t counts[BPCI_NODE_STATE_COUNT + 1], i, n;
	unsigned long long restarts = 0;
	mbuf b = {0};
	int s;

	if (bpci_coordinator_list_nodes(&list, srv->c, (bpci_node_type)0, NULL) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	count_states(list, counts);
	n = bpci_node_status_list_count(list);
	for (i = 0; i < n; i++)
		restarts += bpci_node_status_list_get(list, i)->restarts;
	madd(&b, "# HELP bpci_nodes Nodes of this coordinator by state.\n"
		 "# TYPE bpci_nodes gauge\n");
	for (s = 1; s <= BPCI_NODE_STATE_COUNT; s++)
		madd(&b, "bpci_nodes{state=\"%s\"} %zu\n", bpci_node_state_name((bpci_node_state)s),
		     counts[s]);
	madd(&b, "# HELP bpci_coordinator_node_restarts Restarts summed over the current "
		 "nodes.\n# TYPE bpci_coordinator_node_restarts gauge\n"
		 "bpci_coordinator_node_restarts %llu\n", restarts);
	per_node(&b, list);
	madd(&b, "# HELP bpci_api_start_time_seconds When the API server started (Unix "
		 "time).\n# TYPE bpci_api_start_time_seconds gauge\n"
		 "bpci_api_start_time_seconds %.3f\n", (double)srv->started_ms / 1000.0);
	bpci_node_status_list_free(list);
	if (b.oom)
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
	else
		bpci__http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.s);
	bpci__free(b.s);
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
