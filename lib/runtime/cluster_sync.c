/*
 * The tree model in step with the processes: the manager's coordinator
 * knows its joined children and, through their heartbeats, the subtrees
 * they relay. Each sync copies that live data into the model, journals
 * every state change (daemon.state; daemon.failed when a daemon is given
 * up), and re-places the replicas of failed daemons on the others
 * (replica.moved with "reason":"failover" and "by": the nearest ancestor
 * with fault_recovery whose subtree took it, else the root): the new
 * instance is started at once. A failed daemon that reports again is fenced first (its old
 * instances of those replicas stopped, cluster_fence.c) and only then
 * counted running again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_internal.h"

#define SYNC_PERIOD_MS 250u
#define FAILOVER_RETRY_MS 2000u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static double num(json_t *o, const char *key, double fallback)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : fallback;
}

static void live_of(bpci_daemon_live *l, json_t *e)
{
	json_t *nodes = json_object_get(e, "nodes"), *link = json_object_get(e, "link");
	json_t *load = json_object_get(e, "load");
	const char *url = str(e, "url"), *token = str(e, "token");

	l->state = str(e, "state");
	l->url = url && *url ? url : NULL;
	l->token = token && *token ? token : NULL;
	l->pid = (long)num(e, "pid", 0);
	l->restarts = (unsigned int)num(e, "restarts", 0);
	l->nodes_running = (unsigned int)num(nodes, "running", 0);
	l->nodes_failed = (unsigned int)num(nodes, "failed", 0);
	l->cpu_percent = num(load, "cpu_percent", 0);
	l->rss_bytes = (uint64_t)num(load, "rss_bytes", 0);
	l->rtt_ms = num(link, "rtt_ms", -1);
	l->heartbeats = (uint64_t)num(link, "heartbeats", 0);
	l->errors = (uint64_t)num(link, "errors", 0);
	l->last_heartbeat_ms_ago = (int64_t)num(link, "last_heartbeat_ms_ago", -1);
}

static void state_changed(bpci_cluster_manager *cm, const char *id, const char *from,
			  const char *to, const char *reason)
{
	json_t *d = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "reason",
			      reason ? reason : "");
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(d);
	if (text) {
		/* The journal is the audit trail; a failed write is reported on
		 * stderr and the model still follows the processes. */
		if (bpci__cm_journal(cm, "daemon.state", id, text, NULL) != 0)
			fprintf(stderr, "cluster manager: cannot journal daemon.state of %s\n", id);
		if (!strcmp(to, "failed"))
			cm->failover_ms = 0; /* fail over at once, not at the next retry */
		if (!strcmp(to, "failed") &&
		    bpci__cm_journal(cm, "daemon.failed", id, text, NULL) != 0)
			fprintf(stderr, "cluster manager: cannot journal daemon.failed of %s\n", id);
	}
	free(text);
	bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, id, to, 0);
}

/* Does @by (the daemon that relayed @id's entry; NULL: the top entry)
 * parent @id in the model? A remote daemon moved to another parent may
 * still be listed, stale, by its old parent: only its parent's word counts. */
static int relayed_by_parent(const bpci_cluster_manager *cm, const char *id, const char *by)
{
	const bpci_daemon_spec *s = bpci_daemon_tree_get(cm->tree, id);
	const char *p = s ? bpci_daemon_spec_parent(s) : NULL;

	return !by || !p || !strcmp(p, by);
}

/* Is a reported state one the daemon itself knows (failed, stopped), so
 * that even a stale report of it stands? */
static int known_down(const char *state)
{
	return state && (!strcmp(state, "failed") || !strcmp(state, "stopped"));
}

/* Record the live data of entry @e for daemon @id; @stale: the relaying
 * daemon is down, so what it relayed is old (NULL: fresh). */
/* The parent's last health probe of the daemon of entry @e, if any. */
static void probe_of(bpci_cluster_manager *cm, json_t *e, const char *id)
{
	bpci_daemon_probe p = BPCI_DAEMON_PROBE_INIT;
	json_t *o = json_object_get(e, "probe");

	if (!json_is_object(o)) {
		bpci_daemon_tree_set_probe(cm->tree, id, NULL);
		return;
	}
	p.ok = json_is_true(json_object_get(o, "ok"));
	p.latency_ms = num(o, "latency_ms", -1);
	p.failures = (unsigned int)num(o, "failures", 0);
	p.unhealthy = json_is_true(json_object_get(o, "unhealthy"));
	p.error = str(o, "error");
	bpci_daemon_tree_set_probe(cm->tree, id, &p);
}

static void report_one(bpci_cluster_manager *cm, json_t *e, const char *id, const char *stale)
{
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	long n = bpci__dt_find(cm->tree, id);
	char *was = bpci__strdup(bpci__dt_state(cm->tree, (size_t)n));

	probe_of(cm, e, id);

	live_of(&l, e);
	if (!l.state || !was) {
		bpci__free(was);
		return;
	}
	if (stale && !known_down(l.state)) {
		/* A failed daemon stays failed (its replicas moved away; it is
		 * fenced when it reports again); else it is unknown now. */
		if (strcmp(was, "failed") != 0 && strcmp(was, "unknown") != 0 &&
		    bpci_daemon_tree_set_state(cm->tree, id, "unknown", stale, NULL) == 0)
			state_changed(cm, id, was, "unknown", stale);
		bpci__free(was);
		return;
	}
	if (!strcmp(was, "failed") && strcmp(l.state, "failed") != 0) {
		const char *to = l.state;

		/* Back from failed: its URL and token first (fencing calls
		 * its API), healthy only once fenced; else failed still
		 * and retried at a later sync. */
		l.state = "failed";
		if (bpci_daemon_tree_set_live(cm->tree, id, &l, NULL) == 0 &&
		    bpci__cm_fence(cm, id, json_object_get(e, "node_ids")) == 0)
			l.state = to;
	}
	if (bpci_daemon_tree_set_live(cm->tree, id, &l, NULL) == 0 && strcmp(was, l.state) != 0)
		state_changed(cm, id, was, l.state, str(e, "last_exit"));
	bpci__free(was);
}

/* One SUBTREE entry (relayed by daemon @by) and, recursively, the
 * entries it relays; @seen marks the daemons of the model reported;
 * @stale as for report_one(). */
static void report(bpci_cluster_manager *cm, json_t *e, const char *by, const char *stale,
		   unsigned char *seen)
{
	const char *id = str(e, "daemon_id"), *state;
	json_t *kids = json_object_get(e, "children"), *k;
	char *why = NULL;
	long n;
	size_t i;

	if (id && !bpci__cm_is_root(cm, id) && (n = bpci__dt_find(cm->tree, id)) > 0 &&
	    relayed_by_parent(cm, id, by)) {
		seen[n] = 1;
		report_one(cm, e, id, stale);
		/* What a daemon that is down relayed last is no news. */
		state = bpci__dt_state(cm->tree, (size_t)n);
		if (!stale && bpci__dt_state_down(state))
			why = bpci__asprintf("its parent %s is %s: its last report is stale", id,
					     state);
	}
	/* The top entry is this manager's coordinator: the model's root
	 * (whose id may differ from the coordinator's, after a re-init). */
	json_array_foreach(kids, i, k)
		report(cm, k, by ? id : bpci_daemon_tree_root(cm->tree), why ? why : stale, seen);
	bpci__free(why);
}

/* Daemons that reported before but were not in this report (their parent
 * vanished, was removed, or stopped relaying them): "unknown" until they
 * report again, so that no state of a lost daemon stays "running". */
static void mark_unseen(bpci_cluster_manager *cm, const unsigned char *seen)
{
	size_t i;

	for (i = 1; i < cm->tree->nd; i++) {
		const char *id = bpci_daemon_spec_id(cm->tree->d[i].spec);
		const char *parent = bpci_daemon_spec_parent(cm->tree->d[i].spec);
		long p = bpci__dt_find(cm->tree, parent);
		char *was, *why;

		if (seen[i] || !cm->tree->d[i].live.set ||
		    bpci__dt_state_down(bpci__dt_state(cm->tree, i)))
			continue;
		was = bpci__strdup(bpci__dt_state(cm->tree, i));
		why = p >= 0 && bpci__dt_state_down(bpci__dt_state(cm->tree, (size_t)p))
			      ? bpci__asprintf("its parent %s is %s", parent,
					       bpci__dt_state(cm->tree, (size_t)p))
			      : bpci__asprintf("its parent %s does not report it", parent);
		if (was && why && bpci_daemon_tree_set_state(cm->tree, id, "unknown", why,
							     NULL) == 0)
			state_changed(cm, id, was, "unknown", why);
		bpci__free(was);
		bpci__free(why);
	}
}

/* Start replica @r on @to, journal the move (and @by, the daemon whose
 * fault_recovery acted), record it. */
static int fail_over_one(bpci_cluster_manager *cm, bpci__replica *r, const char *from,
			 const char *to, const char *by, bpci_diag *diag)
{
	long n = bpci__dt_find_node(cm->tree, r->id);
	char *where = bpci__cm_is_root(cm, to) ? NULL : bpci__strdup(to);
	char *tree_to = bpci__strdup(to), *details, *event;
	int rc = (!bpci__cm_is_root(cm, to) && !where) || !tree_to ? BPCI_ENOMEM : 0;

	if (!by)
		by = bpci_daemon_tree_root(cm->tree);
	if (rc == 0)
		rc = bpci__cm_replica_start(cm, r, to, diag);
	details = rc == 0 ? bpci__asprintf("{\"from\":\"%s\",\"to\":\"%s\",\"reason\":"
					   "\"failover\",\"by\":\"%s\"}", from, to, by) : NULL;
	if (rc == 0)
		rc = details ? bpci__cm_journal(cm, "replica.moved", r->id, details, diag)
			     : BPCI_ENOMEM;
	bpci__free(details);
	if (rc != 0) {
		bpci__free(where);
		bpci__free(tree_to);
		return rc;
	}
	bpci__free(r->daemon);
	r->daemon = where;
	if (n >= 0) {
		bpci__free(cm->tree->n[n].daemon);
		cm->tree->n[n].daemon = tree_to;
		/* Out of its load_balancing domain: the enclosing one's now. */
		bpci__dt_fix_domain(cm->tree, &cm->tree->n[n]);
		bpci__dt_changed(cm->tree); /* a kept placement view is stale */
	} else {
		bpci__free(tree_to);
	}
	event = bpci__asprintf("failover by %s", by);
	bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, r->id, event ? event : "failover", 0);
	bpci__free(event);
	return 0;
}

/* Re-place the replicas of failed daemon @id (bpci_daemon_tree_failover()
 * over the reachable daemons: within the subtree of its nearest
 * fault_recovery ancestor first, up to the root) and start them there. */
static int fail_over(bpci_cluster_manager *cm, const char *id, bpci_diag *diag)
{
	bpci_daemon_tree *view = NULL;
	bpci_daemon_tree_plan *plan = NULL;
	size_t k, moved = 0;
	int rc = bpci__cm_placement_view(&view, cm);

	if (rc == 0)
		rc = bpci_daemon_tree_failover(&plan, view, id, diag);
	for (k = 0; k < bpci_daemon_tree_plan_count(plan); k++) {
		const bpci_daemon_step *s = bpci_daemon_tree_plan_at(plan, k);
		long i = bpci__cm_find_replica(cm, s->subject);

		if (i >= 0 && fail_over_one(cm, &cm->replicas[i], id, s->to, s->by, diag) == 0)
			moved++;
	}
	if (moved)
		rc = bpci__cm_persist(cm, diag) ? BPCI_EIO : rc;
	bpci_daemon_tree_plan_free(plan);
	bpci_daemon_tree_free(view);
	return rc;
}

static int is_failed(const bpci_cluster_manager *cm, const char *daemon)
{
	long n = daemon ? bpci__dt_find(cm->tree, daemon) : -1;

	return n > 0 && !strcmp(bpci__dt_state(cm->tree, (size_t)n), "failed");
}

static void fail_over_all(bpci_cluster_manager *cm)
{
	size_t i;

	for (i = 0; i < cm->nreplicas; i++) {
		char *id;
		bpci_diag *diag = NULL;

		if (!is_failed(cm, cm->replicas[i].daemon))
			continue;
		id = bpci__strdup(cm->replicas[i].daemon);
		bpci_diag_new(&diag);
		if (id && fail_over(cm, id, diag) != 0 && diag && bpci_diag_count(diag))
			fprintf(stderr, "cluster manager: failover of daemon %s: %s\n", id,
				bpci_diag_get(diag, 0)->message);
		bpci_diag_free(diag);
		bpci__free(id);
	}
}

void bpci__cm_tree_sync(bpci_cluster_manager *cm, int force)
{
	uint64_t now = mono_ms();
	unsigned char *seen;
	char *text = NULL;
	json_t *tree;

	if (!cm || !cm->daemon_on)
		return;
	if (!force && !cm->tree_dirty && now - cm->synced_ms < SYNC_PERIOD_MS)
		return;
	cm->tree_dirty = 0;
	cm->synced_ms = now;
	if (bpci_coordinator_daemon_tree_json(&text, cm->c) != 0)
		return;
	tree = json_loads(text, 0, NULL);
	bpci__free(text);
	seen = tree ? bpci__calloc(cm->tree->nd + 1, 1) : NULL;
	if (seen) {
		report(cm, tree, NULL, NULL, seen);
		/* report() never adds or removes daemons: @seen still fits. */
		mark_unseen(cm, seen);
	}
	bpci__free(seen);
	json_decref(tree);
	if (now - cm->failover_ms >= FAILOVER_RETRY_MS || force) {
		size_t i;

		for (i = 0; i < cm->nreplicas && !is_failed(cm, cm->replicas[i].daemon); i++)
			;
		if (i < cm->nreplicas) {
			cm->failover_ms = now;
			fail_over_all(cm);
		}
	}
}

double bpci__cm_tree_health(const bpci_cluster_manager *cm)
{
	size_t i, ok = 0;

	if (!cm->tree || !cm->tree->nd)
		return 0.0;
	/* Healthy: not known to be down. A daemon still starting (spawned,
	 * or a remote one that has not joined yet) is not counted against
	 * the tree; unreachable, failed, stopped and unknown ones are, and
	 * those their health_monitoring parent reports unhealthy. */
	for (i = 0; i < cm->tree->nd; i++)
		if (!bpci__dt_state_down(bpci__dt_state(cm->tree, i)) &&
		    !(cm->tree->d[i].probe.set && cm->tree->d[i].probe.unhealthy))
			ok++;
	return (double)ok / (double)cm->tree->nd;
}

void bpci__cm_tree_touch(bpci_cluster_manager *cm)
{
	if (cm)
		cm->tree_dirty = 1;
}

int bpci__cm_escalated(bpci_cluster_manager *cm, const char *body, size_t len,
		       bpci_diag *diag)
{
	json_t *b = json_loadb(body ? body : "", len, 0, NULL), *d;
	const char *id = str(b, "daemon_id");
	char *text;
	int rc;

	if (!id) {
		json_decref(b);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "is required (the daemon that escalates)");
	}
	d = json_pack("{s:s, s:s}", "child_id", str(b, "child_id") ? str(b, "child_id") : "",
		      "reason", str(b, "reason") ? str(b, "reason") : "");
	text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	rc = text ? bpci__cm_journal(cm, "daemon.escalated", id, text, diag) : BPCI_ENOMEM;
	free(text);
	if (rc == 0) {
		bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, id, "escalated", 0);
		cm->tree_dirty = 1;
	}
	json_decref(b);
	return rc;
}
