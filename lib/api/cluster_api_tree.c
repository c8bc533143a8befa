/*
 * The daemon tree's routes on the cluster manager's API: status, init,
 * add, remove, move, rebalance. Mutations are queued like the others and
 * answered after the library journaled them.
 */
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "api/cluster_api.h"
#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_moves.h"

static void status(bpci__http_req *req, void *payload)
{
	bpci_cluster_server *srv = payload;
	char *text = NULL;

	bpci_cluster_manager_tree_status(&text, srv->cm);
	bpci__api_reply_text_json(req, 200, text);
}

static json_t *body_object(bpci__http_req *req)
{
	size_t len = 0;
	const char *text = bpci__http_req_body(req, &len);
	json_t *v = len ? json_loadb(text, len, 0, NULL) : json_object();

	if (!json_is_object(v)) {
		json_decref(v);
		bpci__http_reply_error(req, 400, "parse", "the body must be a JSON object", NULL);
		return NULL;
	}
	return v;
}

/* The first string of @o under one of @keys (NULL-terminated), or NULL. */
static const char *first_string(json_t *o, const char *const *keys)
{
	for (; *keys; keys++)
		if (json_is_string(json_object_get(o, *keys)))
			return json_string_value(json_object_get(o, *keys));
	return NULL;
}

static void answer(bpci__http_req *req, int rc, bpci_diag *diag, int status_ok, json_t *ok)
{
	if (rc == 0)
		bpci__http_reply_json(req, status_ok, ok);
	else {
		json_decref(ok);
		bpci__api_reply_diag(req, rc, diag, NULL);
	}
	bpci_diag_free(diag);
}

static void init(bpci_cluster_server *srv, bpci__http_req *req)
{
	static const char *const root_keys[] = {"root_daemon", "root_daemon_id", "root", NULL};
	json_t *o = body_object(req), *lv;
	bpci_diag *diag = NULL;
	const char *root;
	int rc = 0;

	if (!o)
		return;
	bpci_diag_new(&diag);
	root = first_string(o, root_keys);
	lv = json_object_get(o, "levels");
	if (!root)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "root_daemon",
				    "is required (the root daemon's id)");
	else if (!json_is_integer(lv) || json_integer_value(lv) < 1 ||
		 json_integer_value(lv) > BPCI_DAEMON_TREE_MAX_LEVELS)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "levels",
				    "must be an integer 1..%d", BPCI_DAEMON_TREE_MAX_LEVELS);
	else
		rc = bpci_cluster_manager_tree_init(srv->cm, root,
						    (unsigned int)json_integer_value(lv), diag);
	answer(req, rc, diag, 201,
	       rc ? NULL : json_pack("{s:s, s:I}", "root_daemon", root, "levels",
				     json_integer_value(lv)));
	json_decref(o);
}

static void add(bpci_cluster_server *srv, bpci__http_req *req)
{
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	bpci_daemon_spec *spec = NULL;
	bpci_diag *diag = NULL;
	json_t *ok = NULL;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci_daemon_spec_from_json(&spec, body ? body : "", len, diag);
	if (rc == 0)
		rc = bpci_cluster_manager_add_daemon(srv->cm, spec, diag);
	if (rc == 0)
		ok = json_pack("{s:s, s:s, s:i}", "daemon_id", bpci_daemon_spec_id(spec),
			       "parent_id", bpci_daemon_spec_parent(spec), "level",
			       (int)bpci_daemon_tree_level(bpci_cluster_manager_tree(srv->cm),
							   bpci_daemon_spec_id(spec)));
	answer(req, rc, diag, 201, ok);
	bpci_daemon_spec_free(spec);
}

static void with_plan(bpci__http_req *req, int rc, bpci_diag *diag, const char *key,
		      const char *id, char *plan)
{
	json_t *p = plan ? json_loads(plan, 0, NULL) : NULL, *ok = NULL;

	bpci__free(plan);
	if (rc == 0 && p && id)
		ok = json_pack("{s:s, s:b, s:O}", "daemon_id", id, key, 1, "plan", p);
	else if (rc == 0 && p)
		ok = json_pack("{s:O, s:b}", "plan", p, key, 1);
	answer(req, rc, diag, 200, ok);
	json_decref(p);
}

/* DELETE /api/daemon-tree/daemons/{id} as a job in steps: the removal is
 * planned (and refused) at once, its replicas move one step per loop turn
 * (runtime/cluster_moves.h) so that a failover is never held up behind
 * it, then the daemon is removed (its children handed over, journaled).
 * The answer carries the whole plan. */
typedef struct removal_run {
	bpci__cm_moves *moves;
	char *plan;
	bpci_diag *diag;
} removal_run;

static void removal_drop(bpci__job *job)
{
	removal_run *run = job->state;

	if (run) {
		bpci__cm_moves_free(run->moves);
		bpci__free(run->plan);
		bpci_diag_free(run->diag);
		bpci__free(run);
	}
	job->state = NULL;
}

/* Answer and forget the run (with_plan takes the plan and the diag). */
static int removal_end(bpci__job *job, int rc)
{
	removal_run *run = job->state;

	with_plan(job->req, rc, run->diag, "removed", bpci__http_req_param(job->req, "id"),
		  run->plan);
	run->plan = NULL;
	run->diag = NULL;
	removal_drop(job);
	return 0;
}

static int j_remove_daemon(void *owner, bpci__job *job)
{
	bpci_cluster_server *srv = owner;
	removal_run *run = job->state;
	char *rest = NULL;
	int rc;

	if (!run) {
		if (!(run = bpci__calloc(1, sizeof(*run))) || bpci_diag_new(&run->diag) != 0) {
			bpci__free(run);
			bpci__http_reply_error(job->req, 500, "internal", "out of memory", NULL);
			return 0;
		}
		job->state = run;
		job->drop = removal_drop;
		rc = bpci__cm_removal_plan(&run->plan, srv->cm,
					   bpci__http_req_param(job->req, "id"), run->diag);
		if (rc == 0)
			rc = bpci__cm_moves_new(&run->moves, srv->cm, run->plan, run->diag);
		return rc == 0 ? 1 : removal_end(job, rc);
	}
	rc = bpci__cm_moves_step(run->moves, run->diag);
	if (rc == 1)
		return 1;
	/* The replicas run elsewhere (a move skipped meanwhile is planned
	 * and carried out again by the removal itself). */
	if (rc == 0)
		rc = bpci_cluster_manager_remove_daemon(&rest, srv->cm,
							bpci__http_req_param(job->req, "id"),
							run->diag);
	bpci__free(rest);
	return removal_end(job, rc);
}

static void q_remove_daemon(bpci__http_req *req, void *payload)
{
	bpci__cm_queue(payload, j_remove_daemon, req);
}

static void move_daemon(bpci_cluster_server *srv, bpci__http_req *req)
{
	static const char *const parent_keys[] = {"parent_id", "parent", NULL};
	const char *id = bpci__http_req_param(req, "id"), *parent;
	json_t *o = body_object(req);
	bpci_diag *diag = NULL;
	int rc;

	if (!o)
		return;
	bpci_diag_new(&diag);
	parent = first_string(o, parent_keys);
	rc = parent ? bpci_cluster_manager_move_daemon(srv->cm, id, parent, diag)
		    : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent_id",
				     "is required (the new parent's id)");
	answer(req, rc, diag, 200,
	       rc ? NULL : json_pack("{s:s, s:s, s:b}", "daemon_id", id, "parent_id", parent,
				     "moved", 1));
	json_decref(o);
}

/* The daemon of a join body, which must be a daemon of the model whose
 * parent is the root (deeper daemons join their own parent). */
static int check_joiner(bpci_cluster_server *srv, const char *body, size_t len,
			bpci_diag *diag)
{
	const bpci_daemon_tree *t = bpci_cluster_manager_tree(srv->cm);
	json_t *b = json_loadb(body ? body : "", len, 0, NULL);
	const char *id = json_string_value(json_object_get(b, "daemon_id"));
	const bpci_daemon_spec *s = id ? bpci_daemon_tree_get(t, id) : NULL;
	int rc = 0;

	if (id && !s)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				    "daemon \"%s\" is not in the tree: add it first with "
				    "daemon-tree add-daemon (--remote for a daemon on another host)",
				    id);
	else if (s && strcmp(bpci_daemon_spec_parent(s) ? bpci_daemon_spec_parent(s) : "",
			     bpci_daemon_tree_root(t)) != 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				    "daemon \"%s\" belongs under \"%s\", not under the root "
				    "\"%s\": join its parent", id,
				    bpci_daemon_spec_parent(s) ? bpci_daemon_spec_parent(s) : "",
				    bpci_daemon_tree_root(t));
	json_decref(b);
	return rc;
}

typedef int (*tree_post_fn)(char **reply, bpci_coordinator *c, const char *body, size_t len,
			    bpci_diag *diag);

/* The model's responsibilities for the daemon of a join or heartbeat body
 * and for its whole subtree, added to @reply: daemons are started without
 * their spec, and a deeper one (a remote one too) learns its own through
 * its parent's replies. */
static int with_responsibilities(char **reply, bpci_cluster_server *srv, const char *body,
				 size_t len)
{
	json_t *b = json_loadb(body ? body : "", len, 0, NULL);
	const char *id = json_string_value(json_object_get(b, "daemon_id"));
	json_t *map = bpci__cm_subtree_responsibilities(srv->cm, id);
	json_t *r = map ? json_loads(*reply, 0, NULL) : NULL;
	char *text = NULL;

	if (r && json_object_set(r, "tree_responsibilities", map) == 0 &&
	    json_object_set(r, "responsibilities", json_object_get(map, id)) == 0 &&
	    (text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS)) != NULL) {
		bpci__free(*reply);
		*reply = bpci__strdup(text);
		free(text);
	}
	json_decref(map);
	json_decref(r);
	json_decref(b);
	return *reply ? 0 : BPCI_ENOMEM;
}

/* Join and heartbeat: the root's coordinator answers them like any parent;
 * the next server step copies what it learnt into the model. */
static void protocol(bpci_cluster_server *srv, bpci__http_req *req, tree_post_fn fn,
		     int is_join)
{
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	bpci_diag *diag = NULL;
	char *reply = NULL;
	int rc;

	if (bpci_diag_new(&diag) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	rc = is_join ? check_joiner(srv, body, len, diag) : 0;
	if (rc == 0)
		rc = fn(&reply, bpci_cluster_manager_coordinator(srv->cm), body ? body : "", len,
			diag);
	if (rc == 0)
		rc = with_responsibilities(&reply, srv, body, len);
	if (rc == 0) {
		bpci__cm_tree_touch(srv->cm);
		bpci__api_reply_text_json(req, 200, reply);
	} else {
		bpci__api_reply_diag(req, rc, diag,
				     is_join ? "the join was refused" : "the heartbeat was refused");
	}
	bpci_diag_free(diag);
}

static void join(bpci__http_req *req, void *payload)
{
	protocol(payload, req, bpci_coordinator_daemon_join, 1);
}

static void heartbeat(bpci__http_req *req, void *payload)
{
	protocol(payload, req, bpci_coordinator_daemon_heartbeat, 0);
}

static void escalate(bpci__http_req *req, void *payload)
{
	bpci_cluster_server *srv = payload;
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	bpci_diag *diag = NULL;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci_coordinator_daemon_escalation(bpci_cluster_manager_coordinator(srv->cm),
						body ? body : "", len, diag);
	if (rc == 0)
		rc = bpci__cm_escalated(srv->cm, body, len, diag);
	answer(req, rc, diag, 200, rc ? NULL : json_pack("{s:b}", "logged", 1));
}

BPCI__CM_QUEUE_HANDLER(init)
BPCI__CM_QUEUE_HANDLER(add)
BPCI__CM_QUEUE_HANDLER(move_daemon)

int bpci__cm_routes_tree(bpci_cluster_server *srv)
{
	static const struct {
		const char *method, *path;
		bpci__http_handler fn;
	} r[] = {{"GET", "/api/daemon-tree/status", status},
		 {"POST", "/api/daemon-tree/init", q_init},
		 {"POST", "/api/daemon-tree/daemons", q_add},
		 {"DELETE", "/api/daemon-tree/daemons/{id}", q_remove_daemon},
		 {"POST", "/api/daemon-tree/daemons/{id}/move", q_move_daemon},
		 {"POST", "/api/daemon-tree/rebalance", bpci__cm_rebalance_route},
		 {"POST", "/api/daemon-tree/join", join},
		 {"POST", "/api/daemon-tree/heartbeat", heartbeat},
		 {"POST", "/api/daemon-tree/escalate", escalate}};
	size_t i;
	int rc = 0;

	/* join, heartbeat and escalate are the daemon tree protocol's routes
	 * (the root is every top-level daemon's parent); they answer at once
	 * and only mark the model for the next sync. */
	for (i = 0; rc == 0 && i < sizeof(r) / sizeof(r[0]); i++)
		rc = bpci__http_route(srv->http, r[i].method, r[i].path, r[i].fn, srv);
	return rc;
}
