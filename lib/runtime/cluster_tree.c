/*
 * The cluster manager's daemon tree: restoring it, changing it (checked on
 * a copy, journaled, then committed and persisted), its status, and where
 * replicas are placed and run.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpci/client.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_migrate.h"

#define DEFAULT_ROOT "root"
#define DEFAULT_LEVELS 3

const bpci_daemon_tree *bpci_cluster_manager_tree(const bpci_cluster_manager *cm)
{
	return cm ? cm->tree : NULL;
}

int bpci__cm_is_root(const bpci_cluster_manager *cm, const char *daemon)
{
	return !daemon || !strcmp(daemon, bpci_daemon_tree_root(cm->tree));
}

int bpci__cm_tree_load(bpci_cluster_manager *cm, const char *json, size_t len,
		       bpci_diag *diag)
{
	bpci_daemon_tree_free(cm->tree);
	cm->tree = NULL;
	return bpci_daemon_tree_from_json(&cm->tree, json, len, diag);
}

static int root_tree(bpci_daemon_tree **out, const bpci_cluster_manager *cm, const char *id,
		     unsigned int levels, bpci_diag *diag)
{
	bpci_daemon_tree_options o = BPCI_DAEMON_TREE_OPTIONS_INIT;
	bpci_daemon_spec *spec = NULL;
	int rc = bpci_daemon_spec_new(&spec);

	o.max_utilization_percent = cm->ceiling;
	if (rc == 0)
		rc = bpci_daemon_spec_set(spec, "id", id, diag);
	if (rc == 0) {
		bpci_daemon_spec_set_capacity(spec, &cm->capacity);
		rc = bpci_daemon_tree_new(out, spec, levels, &o, diag);
	}
	bpci_daemon_spec_free(spec);
	return rc;
}

/* Record every replica the tree does not know on its daemon (or the root). */
static int record_replicas(bpci_daemon_tree *t, const bpci_cluster_manager *cm,
			   bpci_diag *diag)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < cm->nreplicas; i++) {
		bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
		const bpci__replica *r = &cm->replicas[i];

		if (bpci_daemon_tree_node_daemon(t, r->id))
			continue;
		req.id = r->id;
		req.need = bpci__cm_placed_need(&r->res);
		rc = bpci_daemon_tree_add_node(t, &req, r->daemon ? r->daemon
								: bpci_daemon_tree_root(t), diag);
	}
	return rc;
}

int bpci__cm_tree_ready(bpci_cluster_manager *cm, bpci_diag *diag)
{
	int rc;

	if (!cm->tree) {
		rc = root_tree(&cm->tree, cm, DEFAULT_ROOT, DEFAULT_LEVELS, diag);
		if (rc != 0)
			return rc;
	} else {
		/* The host may have changed since the state was written: the
		 * root offers what it measures now. */
		bpci_daemon_spec_set_capacity(cm->tree->d[0].spec, &cm->capacity);
		bpci__dt_changed(cm->tree); /* a kept placement view is stale */
	}
	return record_replicas(cm->tree, cm, diag);
}

/* Journal, then put @copy in place of the tree and persist. @copy is
 * consumed. */
int bpci__cm_tree_commit(bpci_cluster_manager *cm, bpci_daemon_tree *copy, const char *type,
		  const char *subject, const char *details, const char *event,
		  bpci_diag *diag)
{
	int rc = details ? bpci__cm_journal(cm, type, subject, details, diag) : BPCI_ENOMEM;

	if (rc != 0) {
		bpci_daemon_tree_free(copy);
		return rc;
	}
	bpci_daemon_tree_free(cm->tree);
	cm->tree = copy;
	rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, subject, event, 0);
	return rc;
}

int bpci_cluster_manager_tree_init(bpci_cluster_manager *cm, const char *root_id,
				   unsigned int levels, bpci_diag *diag)
{
	bpci_daemon_tree *t = NULL;
	char *details;
	size_t i;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (bpci_daemon_tree_count(cm->tree) > 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "root_daemon",
				      "the tree already has %zu daemons below its root \"%s\"; "
				      "remove them before initializing it again",
				      bpci_daemon_tree_count(cm->tree) - 1,
				      bpci_daemon_tree_root(cm->tree));
	rc = root_tree(&t, cm, root_id ? root_id : "", levels, diag);
	if (rc == 0) {
		/* Replicas are all on the root (nothing else exists): it is renamed. */
		for (i = 0; i < cm->nreplicas; i++) {
			bpci__free(cm->replicas[i].daemon);
			cm->replicas[i].daemon = NULL;
		}
		rc = record_replicas(t, cm, diag);
	}
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		return rc;
	}
	details = bpci__asprintf("{\"root\":\"%s\",\"levels\":%u}", root_id, levels);
	rc = bpci__cm_tree_commit(cm, t, "tree.initialized", root_id, details, "initialized", diag);
	bpci__free(details);
	return rc;
}

int bpci_cluster_manager_add_daemon(bpci_cluster_manager *cm, const bpci_daemon_spec *spec,
				    bpci_diag *diag)
{
	bpci_daemon_tree *t = NULL, *old;
	char *details = NULL;
	int rc;

	if (!cm || !spec)
		return BPCI_EINVAL;
	rc = bpci_daemon_tree_dup(&t, cm->tree);
	if (rc == 0)
		rc = bpci_daemon_tree_add(t, spec, diag);
	if (rc == 0)
		rc = bpci_daemon_spec_to_json(&details, spec);
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		return rc;
	}
	/* All or nothing: the spawn of a LOCAL daemon is asked for BEFORE the
	 * journal (the check-first variant), so that a refused spawn (no
	 * daemon program, parent not joined, the parent refuses) leaves
	 * neither a journal entry nor a tree change; should the journal then
	 * fail, the daemon is stopped again. A remote daemon is only
	 * recorded: it joins by itself. */
	rc = bpci__cm_spawn_local(cm, spec, diag);
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		bpci__free(details);
		return rc;
	}
	old = cm->tree;
	rc = bpci__cm_tree_commit(cm, t, "daemon.added", bpci_daemon_spec_id(spec), details, "added", diag);
	bpci__free(details);
	if (rc != 0 && cm->tree == old)
		(void)bpci__cm_stop_local_spec(cm, spec);
	return rc;
}

/* A REMOTE daemon (or any daemon while the tree does not run) only
 * changes its place in the model; once committed, a remote daemon is told
 * its new parent (cluster_redirect.c). */
static int move_model(bpci_cluster_manager *cm, bpci_daemon_tree *t, const char *daemon_id,
		      const char *from, const char *new_parent, bpci_diag *diag)
{
	char *details = bpci__asprintf("{\"from\":\"%s\",\"to\":\"%s\"}", from, new_parent);
	int rc = bpci__cm_tree_commit(cm, t, "daemon.moved", daemon_id, details, "moved", diag);

	bpci__free(details);
	if (rc == 0)
		(void)bpci__cm_redirect(cm, daemon_id, diag);
	return rc;
}

int bpci_cluster_manager_move_daemon(bpci_cluster_manager *cm, const char *daemon_id,
				     const char *new_parent, bpci_diag *diag)
{
	bpci_daemon_tree *t = NULL;
	const bpci_daemon_spec *s;
	char *from;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	rc = bpci_daemon_tree_dup(&t, cm->tree);
	s = bpci_daemon_tree_get(cm->tree, daemon_id);
	if (rc == 0)
		rc = bpci_daemon_tree_move(t, daemon_id, new_parent, diag);
	if (rc == 0 && !bpci_daemon_spec_parent(s))
		rc = BPCI_EINVAL; /* the model refuses moving the root first */
	if (rc == 0 && !strcmp(bpci_daemon_spec_parent(s), new_parent)) {
		bpci_daemon_tree_free(t);
		return 0; /* already there: nothing to journal */
	}
	if (rc == 0 && !(from = bpci__strdup(bpci_daemon_spec_parent(s))))
		rc = BPCI_ENOMEM;
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		return rc;
	}
	/* A running LOCAL daemon keeps running: its new parent adopts it,
	 * then its old one lets it go (cluster_migrate.h). */
	if (cm->daemon_on && !bpci_daemon_spec_remote(s))
		rc = bpci__cm_move_local(cm, t, daemon_id, from, new_parent, diag);
	else
		rc = move_model(cm, t, daemon_id, from, new_parent, diag);
	bpci__free(from);
	return rc;
}

int bpci__cm_set_url(bpci_cluster_manager *cm, const char *url)
{
	char *copy = url ? bpci__strdup(url) : NULL;

	if (url && !copy)
		return BPCI_ENOMEM;
	bpci__free(cm->url);
	cm->url = copy;
	return 0;
}

int bpci_cluster_manager_daemon_report(bpci_cluster_manager *cm, const char *daemon_id,
				       const bpci_daemon_live *live, bpci_diag *diag)
{
	if (!cm)
		return BPCI_EINVAL;
	return bpci_daemon_tree_set_live(cm->tree, daemon_id, live, diag);
}

/* The root's live data: this process and its replicas' nodes. */
static int root_live(bpci_cluster_manager *cm)
{
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	size_t i;

	l.state = "running";
	l.pid = (long)getpid();
	l.url = cm->url;
	for (i = 0; i < cm->nreplicas; i++) {
		bpci_node_status *st = NULL;

		if (!bpci__cm_is_root(cm, cm->replicas[i].daemon))
			continue;
		if (bpci_coordinator_get_node(&st, cm->c, cm->replicas[i].id, NULL) == 0) {
			if (st->state == BPCI_NODE_STATE_RUNNING)
				l.nodes_running++;
			else if (st->state == BPCI_NODE_STATE_FAILED)
				l.nodes_failed++;
		}
		bpci_node_status_free(st);
	}
	return bpci_daemon_tree_set_live(cm->tree, bpci_daemon_tree_root(cm->tree), &l, NULL);
}

int bpci_cluster_manager_tree_status(char **out, bpci_cluster_manager *cm)
{
	int rc;

	if (!out || !cm)
		return BPCI_EINVAL;
	rc = root_live(cm);
	return rc == 0 ? bpci_daemon_tree_status_json(out, cm->tree) : rc;
}

/* A copy of the tree for placing: daemons that cannot be reached (no API
 * URL reported yet) host nothing; capabilities are those of the cluster
 * node registered under the daemon's id. */
int bpci__cm_placement_view(bpci_daemon_tree **out, const bpci_cluster_manager *cm)
{
	bpci_daemon_tree *v = NULL;
	size_t i;
	long n;
	int rc = bpci_daemon_tree_dup(&v, cm->tree);

	for (i = 0; rc == 0 && i < v->nd; i++) {
		const char *id = bpci_daemon_spec_id(v->d[i].spec);

		if ((n = bpci__cm_find_node(cm, id)) >= 0)
			rc = bpci_daemon_tree_set_capabilities(
				v, id, bpci_cluster_node_capabilities(cm->nodes[n].node));
		if (rc == 0 && i > 0 && !v->d[i].live.url) {
			bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;

			l.state = "stopped";
			rc = bpci_daemon_tree_set_live(v, id, &l, NULL);
		}
	}
	if (rc != 0) {
		bpci_daemon_tree_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int bpci__cm_tree_place(char **daemon, bpci_cluster_manager *cm, const char *id,
			const bpci_resources *res, const char *under, bpci_diag *diag)
{
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	bpci_daemon_tree *view = NULL;
	bpci_diag *why = NULL;
	const char *where = NULL;
	char in[300] = "";
	int rc = under ? bpci_daemon_tree_check_domain(cm->tree, under, diag) : 0;

	*daemon = NULL;
	if (rc != 0)
		return rc;
	if (under)
		snprintf(in, sizeof(in), " under \"%s\"", under);
	req.id = id;
	req.need = bpci__cm_placed_need(res);
	rc = bpci__cm_placement_view(&view, cm);
	if (rc == 0)
		rc = bpci_diag_new(&why);
	if (rc == 0)
		rc = under ? bpci_daemon_tree_place_node_under(&where, view, &req, under, why)
			   : bpci_daemon_tree_place_node(&where, view, &req, why);
	if (rc == BPCI_ELIMIT) {
		const char *m = bpci_diag_count(why) ? bpci_diag_get(why, 0)->message : "refused";
		const char *reason = strstr(m, "capacity: ");

		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "resources",
				    "replica does not fit within %u%% of any daemon's capacity%s: "
				    "%s", cm->ceiling, in, reason ? reason + 10 : m);
	} else if (rc != 0 && rc != BPCI_ENOMEM) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "resources",
				    "cannot place the replica%s: %s", in, bpci_strerror(rc));
	}
	if (rc == 0 && !(*daemon = bpci__strdup(where)))
		rc = BPCI_ENOMEM;
	bpci_diag_free(why);
	bpci_daemon_tree_free(view);
	return rc;
}

/* A client of daemon @daemon's coordinator API (its reported URL and token). */
static int daemon_client(bpci_client **out, bpci_cluster_manager *cm, const char *daemon,
			 bpci_diag *diag)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_daemon_live l;

	if (bpci_daemon_tree_get_live(&l, cm->tree, daemon) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "no daemon \"%s\" in the tree", daemon);
	if (!l.url)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "daemon",
				      "daemon \"%s\" has not reported its API URL (not joined)",
				      daemon);
	o.url = l.url;
	o.token = l.token;
	o.timeout_ms = 10000;
	return bpci_client_new(out, &o, diag);
}

int bpci__cm_replica_start(bpci_cluster_manager *cm, const bpci__replica *r,
			   const char *daemon, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	bpci_client *cl = NULL;
	int rc = bpci__cm_replica_spec(&spec, cm, r, diag);

	if (rc == 0 && bpci__cm_is_root(cm, daemon))
		rc = bpci_coordinator_start_node(NULL, cm->c, spec, NULL, diag);
	else if (rc == 0 && (rc = daemon_client(&cl, cm, daemon, diag)) == 0)
		rc = bpci_client_start_node(NULL, cl, spec, NULL, diag);
	bpci_client_free(cl);
	bpci_node_spec_free(spec);
	return rc;
}

int bpci__cm_replica_stop(bpci_cluster_manager *cm, const bpci__replica *r,
			  const char *daemon, bpci_diag *diag)
{
	bpci_client *cl = NULL;
	int rc;

	if (bpci__cm_is_root(cm, daemon))
		return bpci_coordinator_stop_node(cm->c, r->id, diag);
	rc = daemon_client(&cl, cm, daemon, diag);
	if (rc == 0)
		rc = bpci_client_stop_node(cl, r->id, diag);
	bpci_client_free(cl);
	return rc;
}

int bpci__cm_node_status(bpci_node_status **out, bpci_cluster_manager *cm, const char *id,
			 const char *daemon)
{
	bpci_client *cl = NULL;
	int rc;

	*out = NULL;
	if (bpci__cm_is_root(cm, daemon))
		return bpci_coordinator_get_node(out, cm->c, id, NULL);
	rc = daemon_client(&cl, cm, daemon, NULL);
	if (rc == 0)
		rc = bpci_client_get_node(out, cl, id, NULL);
	bpci_client_free(cl);
	return rc;
}
