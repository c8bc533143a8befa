/*
 * Renderings of the daemon's view: the SUBTREE entry of the contract (this
 * daemon with its children, and their children as relayed by their
 * heartbeats), the list of child daemons, and the link metrics in the
 * Prometheus text format.
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

json_t *bpci__d_nodes_json(bpci__daemons *d, json_t **node_ids)
{
	bpci_coordinator *c = d->c;
	json_int_t running = 0, failed = 0;
	size_t i;

	*node_ids = json_array();
	for (i = 0; i < c->nnodes; i++) {
		running += c->nodes[i]->state == BPCI_NODE_STATE_RUNNING;
		failed += c->nodes[i]->state == BPCI_NODE_STATE_FAILED;
		json_array_append_new(*node_ids, json_string(c->nodes[i]->id));
	}
	return json_pack("{s:I, s:I, s:I}", "total", (json_int_t)c->nnodes, "running", running,
			 "failed", failed);
}

static json_int_t age_ms(uint64_t mono)
{
	return mono ? (json_int_t)(bpci__d_mono_ms() - mono) : -1;
}

static json_t *link_json(int64_t rtt, uint64_t heartbeats, uint64_t errors, uint64_t last)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "rtt_ms", (json_int_t)rtt, "heartbeats",
			 (json_int_t)heartbeats, "errors", (json_int_t)errors,
			 "last_heartbeat_ms_ago", age_ms(last));
}

static json_t *report_field(const bpci__dchild *k, const char *name, json_t *fallback)
{
	json_t *v = k->report ? json_object_get(k->report, name) : NULL;

	if (v) {
		json_decref(fallback);
		return json_incref(v);
	}
	return fallback;
}

json_t *bpci__d_child_entry(bpci__dchild *k, int with_tokens)
{
	long pid = k->proc ? (long)bpci__proc_pid(k->proc) : k->joined ? k->pid_reported : 0;
	json_t *e = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:s, s:s}",
			      "daemon_id", k->id, "parent_id", k->d->id, "url",
			      k->url ? k->url : "", "remote", k->remote, "state",
			      bpci__dstate_name(k->state), "pid", (json_int_t)pid, "restarts",
			      (json_int_t)k->restarts, "nodes",
			      report_field(k, "nodes", json_pack("{s:i, s:i, s:i}", "total", 0,
								 "running", 0, "failed", 0)),
			      "node_ids", report_field(k, "node_ids", json_array()), "link",
			      link_json(k->rtt_ms, k->heartbeats, k->errors, k->last_hb_mono),
			      "children", report_field(k, "children", json_array()), "restart",
			      bpci_child_restart_name(k->restart), "last_exit",
			      k->last_exit ? k->last_exit : "");

	if (e && with_tokens)
		json_object_set_new(e, "token", json_string(k->token ? k->token : ""));
	if (e && k->probe_set)
		json_object_set_new(e, "probe", bpci__d_probe_json(k));
	return e;
}

/* Tokens relayed from below are removed too when the caller may not see them. */
static void strip_tokens(json_t *e)
{
	json_t *kids = json_object_get(e, "children"), *k;
	size_t i;

	json_object_del(e, "token");
	json_array_foreach(kids, i, k)
		strip_tokens(k);
}

json_t *bpci__d_subtree(bpci__daemons *d, int with_tokens)
{
	json_t *ids = NULL, *nodes = bpci__d_nodes_json(d, &ids), *kids = json_array(), *e;
	size_t i;

	for (i = 0; kids && i < d->nkids; i++)
		json_array_append_new(kids, bpci__d_child_entry(d->kids[i], 1));
	e = json_pack("{s:s, s:o, s:s, s:b, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:s}",
		      "daemon_id", d->id, "parent_id",
		      d->parent_id ? json_string(d->parent_id) : json_null(), "url", d->url,
		      "remote", d->remote, "state", d->escalated ? "failed" : "running", "pid",
		      (json_int_t)getpid(), "restarts", (json_int_t)0, "nodes", nodes,
		      "node_ids", ids, "link",
		      link_json(d->link.rtt_ms, d->link.heartbeats, d->link.errors,
				d->link.last_ok_mono),
		      "children", kids, "strategy", bpci_supervisor_strategy_name(d->sup.strategy));
	if (!e)
		return NULL;
	if (json_is_array(json_object_get(d->join_fields, "responsibilities")))
		json_object_set(e, "responsibilities",
				json_object_get(d->join_fields, "responsibilities"));
	if (with_tokens)
		json_object_set_new(e, "token", json_string(d->token));
	else
		strip_tokens(e);
	return e;
}

static int dump(char **out, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	*out = text ? bpci__strdup(text) : NULL;
	free(text);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci_coordinator_daemon_tree_json(char **out, bpci_coordinator *c)
{
	if (!out || !c || !c->daemons)
		return BPCI_EINVAL;
	return dump(out, bpci__d_subtree(c->daemons, 1));
}

int bpci_coordinator_daemons_json(char **out, bpci_coordinator *c)
{
	bpci__daemons *d;
	json_t *arr, *doc;
	size_t i;

	if (!out || !c || !c->daemons)
		return BPCI_EINVAL;
	d = c->daemons;
	arr = json_array();
	for (i = 0; arr && i < d->nkids; i++) {
		bpci__dchild *k = d->kids[i];
		long pid = k->proc ? (long)bpci__proc_pid(k->proc) : k->joined ? k->pid_reported : 0;

		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:I, s:s, s:b, s:s}",
						     "daemon_id", k->id, "pid", (json_int_t)pid,
						     "state", bpci__dstate_name(k->state),
						     "restarts", (json_int_t)k->restarts, "restart",
						     bpci_child_restart_name(k->restart), "remote",
						     k->remote, "last_exit",
						     k->last_exit ? k->last_exit : ""));
	}
	doc = arr ? json_pack("{s:o}", "daemons", arr) : NULL;
	return dump(out, doc);
}

/* ---- Prometheus text ---- */

typedef struct buf {
	char *p;
	size_t len, cap;
	int failed;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		if (bpci__grow((void **)&b->p, &b->cap, b->len + (size_t)n + 1, 1) != 0) {
			b->failed = 1;
			return;
		}
	}
}

static void header(buf *b, const char *name, const char *type, const char *help)
{
	add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Every link: each child's, and ours to the parent. */
static void links(buf *b, bpci__daemons *d, int which)
{
	size_t i;

	for (i = 0; i < d->nkids; i++) {
		const bpci__dchild *k = d->kids[i];
		const char *lbl = "{daemon_id=\"%s\",direction=\"child\"} ";

		add(b, "%s", which == 0 ? "bpci_daemon_link_rtt_seconds"
			     : which == 1 ? "bpci_daemon_link_heartbeats_total"
					  : "bpci_daemon_link_errors_total");
		add(b, lbl, k->id);
		if (which == 0)
			add(b, "%.6f\n", k->rtt_ms < 0 ? 0.0 : (double)k->rtt_ms / 1000.0);
		else
			add(b, "%llu\n", (unsigned long long)(which == 1 ? k->heartbeats : k->errors));
	}
	if (!d->parent_url)
		return;
	add(b, "%s{daemon_id=\"%s\",direction=\"parent\"} ",
	    which == 0 ? "bpci_daemon_link_rtt_seconds"
	    : which == 1 ? "bpci_daemon_link_heartbeats_total" : "bpci_daemon_link_errors_total",
	    d->id);
	if (which == 0)
		add(b, "%.6f\n", d->link.rtt_ms < 0 ? 0.0 : (double)d->link.rtt_ms / 1000.0);
	else
		add(b, "%llu\n",
		    (unsigned long long)(which == 1 ? d->link.heartbeats : d->link.errors));
}

int bpci_coordinator_daemon_metrics(char **out, bpci_coordinator *c)
{
	buf b = {0};
	bpci__daemons *d;
	size_t i, counts[BPCI__D_STATE_COUNT + 1] = {0};
	int s;

	if (!out || !c || !c->daemons)
		return BPCI_EINVAL;
	d = c->daemons;
	header(&b, "bpci_daemon_link_rtt_seconds", "gauge",
	       "Round trip of the last heartbeat on each parent-child link, in seconds.");
	links(&b, d, 0);
	header(&b, "bpci_daemon_link_heartbeats_total", "counter",
	       "Heartbeats carried by each parent-child link.");
	links(&b, d, 1);
	header(&b, "bpci_daemon_link_errors_total", "counter",
	       "Failed or overdue heartbeats on each parent-child link.");
	links(&b, d, 2);
	for (i = 0; i < d->nkids; i++)
		counts[d->kids[i]->state >= 1 && d->kids[i]->state <= BPCI__D_STATE_COUNT
			       ? d->kids[i]->state : 0]++;
	header(&b, "bpci_daemon_children", "gauge", "Child daemons of this daemon by state.");
	for (s = 1; s <= BPCI__D_STATE_COUNT; s++)
		add(&b, "bpci_daemon_children{state=\"%s\"} %zu\n", bpci__dstate_name(s),
		    counts[s]);
	if (b.failed) {
		bpci__free(b.p);
		return BPCI_ENOMEM;
	}
	*out = b.p;
	return 0;
}
