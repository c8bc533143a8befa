/*
 * The cluster manager as the tree's root daemon: its coordinator runs the
 * daemon side (local children, joins, heartbeats), and LOCAL daemons of
 * the model are spawned by their parent: the root's coordinator for its
 * own children, the parent daemon's API (POST /api/daemons, with the
 * token it relayed in its heartbeats) deeper down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_internal.h"

static void on_child(const char *child_id, int remote, const char *old_state,
		     const char *new_state, const char *reason, void *payload)
{
	bpci_cluster_manager *cm = payload;

	(void)child_id;
	(void)remote;
	(void)old_state;
	(void)new_state;
	(void)reason;
	/* The callback may not change the coordinator: the next server step
	 * syncs the model, journals the change and fails over. */
	cm->tree_dirty = 1;
}

static void on_log(const char *daemon_id, const char *message, void *payload)
{
	(void)payload;
	fprintf(stderr, "daemon %s: %s\n", daemon_id, message);
}

/* The parent's API (URL and token it reported), or an error naming it. */
static int parent_api(bpci_daemon_live *l, bpci_cluster_manager *cm, const char *parent,
		      const char *child, bpci_diag *diag)
{
	if (bpci_daemon_tree_get_live(l, cm->tree, parent) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "parent_id",
				      "no daemon \"%s\" in the tree", parent);
	if (!l->url || !l->token)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "parent_id",
				      "parent \"%s\" of local daemon \"%s\" has not joined yet "
				      "(no API URL reported): it cannot spawn it", parent, child);
	return 0;
}

/* The body of POST /api/daemons: the spec with "daemon_id" for "id". */
static char *spawn_body(const bpci_daemon_spec *spec)
{
	char *text = NULL, *out = NULL;
	json_t *o;

	if (bpci_daemon_spec_to_json(&text, spec) != 0)
		return NULL;
	o = json_loads(text, 0, NULL);
	bpci__free(text);
	if (!o)
		return NULL;
	json_object_set(o, "daemon_id", json_object_get(o, "id"));
	json_object_del(o, "id");
	json_object_del(o, "parent_id");
	json_object_del(o, "parent");
	json_object_set_new(o, "restart", json_string("permanent"));
	json_object_set_new(o, "remote", json_false());
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text)
		out = bpci__strdup(text);
	free(text);
	return out;
}

int bpci__cm_spawn_local(bpci_cluster_manager *cm, const bpci_daemon_spec *spec,
			 bpci_diag *diag)
{
	const char *parent = bpci_daemon_spec_parent(spec), *id = bpci_daemon_spec_id(spec);
	bpci_daemon_live l;
	char *body, *resp = NULL;
	int rc;

	if (!cm->daemon_on || bpci_daemon_spec_remote(spec))
		return 0;
	if (bpci__cm_is_root(cm, parent))
		return bpci_coordinator_add_daemon(cm->c, spec, BPCI_CHILD_PERMANENT, diag);
	rc = parent_api(&l, cm, parent, id, diag);
	if (rc != 0)
		return rc;
	if (!(body = spawn_body(spec)))
		return BPCI_ENOMEM;
	rc = bpci_cluster_request(&resp, l.url, l.token, "POST", "/api/daemons", body, diag);
	bpci__free(body);
	bpci_free(resp);
	return rc;
}

int bpci__cm_stop_local(bpci_cluster_manager *cm, const char *id, const char *parent,
			bpci_diag *diag)
{
	bpci_daemon_live l;
	char *path, *resp = NULL;
	int rc;

	if (!cm->daemon_on)
		return 0;
	if (bpci__cm_is_root(cm, parent))
		return bpci_coordinator_remove_daemon(cm->c, id, diag);
	rc = parent_api(&l, cm, parent, id, diag);
	if (rc != 0)
		return rc;
	if (!(path = bpci__asprintf("/api/daemons/%s", id)))
		return BPCI_ENOMEM;
	rc = bpci_cluster_request(&resp, l.url, l.token, "DELETE", path, NULL, diag);
	bpci__free(path);
	bpci_free(resp);
	return rc;
}

int bpci__cm_stop_local_spec(bpci_cluster_manager *cm, const bpci_daemon_spec *spec)
{
	if (!spec || bpci_daemon_spec_remote(spec))
		return 0;
	return bpci__cm_stop_local(cm, bpci_daemon_spec_id(spec), bpci_daemon_spec_parent(spec),
				   NULL);
}

int bpci__cm_daemon_start(bpci_cluster_manager *cm, const char *url, const char *token,
			  bpci_diag *diag)
{
	bpci_daemon_options o = BPCI_DAEMON_OPTIONS_INIT;
	size_t i;
	int rc;

	if (cm->daemon_on)
		return 0;
	bpci__free(cm->token);
	if (!(cm->token = bpci__strdup(token ? token : "")))
		return BPCI_ENOMEM;
	o.daemon_id = bpci_daemon_tree_root(cm->tree);
	/* Its responsibilities: with health_monitoring the root's
	 * coordinator probes the root's children. */
	o.spec = bpci_daemon_tree_at(cm->tree, 0);
	o.url = url;
	o.token = token;
	o.heartbeat_interval_ms = cm->hb_ms;
	o.failover_timeout_ms = cm->failover_timeout_ms;
	o.on_child = on_child;
	o.child_payload = cm;
	o.on_log = on_log;
	rc = bpci_coordinator_daemon_start(cm->c, &o, diag);
	if (rc != 0)
		return rc;
	cm->daemon_on = 1;
	cm->tree_dirty = 1;
	/* The root's local children that did not survive (re-adopted from
	 * DIR/daemons.json when they did) are spawned again. */
	for (i = 1; i < cm->tree->nd; i++) {
		const bpci_daemon_spec *s = cm->tree->d[i].spec;
		int r;

		if (bpci_daemon_spec_remote(s) || !bpci__cm_is_root(cm, bpci_daemon_spec_parent(s)))
			continue;
		r = bpci_coordinator_add_daemon(cm->c, s, BPCI_CHILD_PERMANENT, NULL);
		if (r != 0 && r != BPCI_EEXISTS)
			bpci__diag_add(diag, BPCI_SEVERITY_WARNING, r, "daemon_id",
				       "cannot spawn local daemon \"%s\" again: %s",
				       bpci_daemon_spec_id(s), bpci_strerror(r));
	}
	return 0;
}

json_t *bpci__cm_subtree_responsibilities(const bpci_cluster_manager *cm, const char *id)
{
	const bpci_daemon_tree *t = cm->tree;
	json_t *map = NULL;
	dt_index x;
	long top;
	size_t i;

	if (bpci__dt_index_build(&x, t) != 0)
		return NULL;
	top = id ? bpci__dt_index_find(&x, id) : -1;
	if (top >= 0 && (map = json_object()) != NULL)
		for (i = 0; i < t->nd; i++)
			if (bpci__dt_index_in_subtree(&x, t->nd, i, (size_t)top))
				json_object_set_new(map, bpci_daemon_spec_id(t->d[i].spec),
						    bpci__responsibilities_to_json(
							    bpci_daemon_spec_responsibilities(
								    t->d[i].spec)));
	bpci__dt_index_free(&x);
	return map;
}
