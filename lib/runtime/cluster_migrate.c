/*
 * Moving running LOCAL daemons between parents (cluster_migrate.h): the
 * calls to the parents (the root's coordinator directly, the others
 * through their API with the URL and token they relayed), the record of
 * the operation under way, and finishing it after a restart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_migrate.h"
#include "runtime/daemon_handover.h"
#include "runtime/fsutil.h"

#define RESUME_PERIOD_MS 1000u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void bpci__cm_progress(const bpci_cluster_manager *cm, const char *fmt, ...)
{
	va_list ap;

	if (!cm->daemon_on)
		return;
	fputs("cluster manager: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* URL and token of daemon @id's API (the root: this manager's). */
static int api_of(const char **url, const char **token, bpci_cluster_manager *cm,
		  const char *id, bpci_diag *diag)
{
	bpci_daemon_live l;

	*url = *token = NULL;
	if (bpci__cm_is_root(cm, id)) {
		*url = cm->url;
		*token = cm->token;
	} else if (bpci_daemon_tree_get_live(&l, cm->tree, id) == 0) {
		*url = l.url;
		*token = l.token;
	} else {
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "no daemon \"%s\" in the tree", id);
	}
	if (!*url)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "daemon_id",
				      "daemon \"%s\" has not joined yet (no API URL reported)", id);
	return 0;
}

static int call(char **resp, bpci_cluster_manager *cm, const char *daemon, const char *method,
		const char *path, const char *body, bpci_diag *diag)
{
	const char *url, *token;
	int rc = api_of(&url, &token, cm, daemon, diag);

	*resp = NULL;
	return rc ? rc : bpci_cluster_request(resp, url, token, method, path, body, diag);
}

/* Step 1: @parent describes its running child @id. */
static int handover(char **rec, bpci_cluster_manager *cm, const char *parent, const char *id,
		    bpci_diag *diag)
{
	char *path;
	int rc;

	if (bpci__cm_is_root(cm, parent))
		return bpci__coordinator_daemon_handover(rec, cm->c, id, diag);
	if (!(path = bpci__asprintf("/api/daemons/%s", id)))
		return BPCI_ENOMEM;
	rc = call(rec, cm, parent, "GET", path, NULL, diag);
	bpci__free(path);
	return rc;
}

/* Step 3: @parent takes over the daemon @rec describes. */
static int adopt(char **reply, bpci_cluster_manager *cm, const char *parent, const char *rec,
		 bpci_diag *diag)
{
	char *body;
	int rc;

	if (bpci__cm_is_root(cm, parent))
		return bpci__coordinator_daemon_adopt(reply, cm->c, rec, strlen(rec), diag);
	if (!(body = bpci__asprintf("{\"adopt\":%s}", rec)))
		return BPCI_ENOMEM;
	rc = call(reply, cm, parent, "POST", "/api/daemons", body, diag);
	bpci__free(body);
	return rc;
}

/* Step 6: @parent forgets @id without a signal; already gone is fine.
 * @papi, when given, is @parent's API (it may have left the tree). */
static int release_at(bpci_cluster_manager *cm, const char *parent, const json_t *papi,
		      const char *id, bpci_diag *diag)
{
	const char *url = json_string_value(json_object_get(papi, "url"));
	char *path, *resp = NULL;
	int rc;

	if (!url && bpci__cm_is_root(cm, parent))
		rc = bpci__coordinator_daemon_release(cm->c, id, NULL);
	else if (!(path = bpci__asprintf("/api/daemons/%s?release=1", id)))
		return BPCI_ENOMEM;
	else {
		rc = url ? bpci_cluster_request(&resp, url,
						json_string_value(json_object_get(papi, "token")),
						"DELETE", path, NULL, NULL)
			 : call(&resp, cm, parent, "DELETE", path, NULL, NULL);
		bpci__free(path);
		bpci_free(resp);
	}
	if (rc == BPCI_ENOTFOUND)
		return 0;
	if (rc != 0)
		bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc, "daemon_id",
			       "daemon \"%s\" was adopted by its new parent but its old parent "
			       "\"%s\" could not release it (%s): it is retried",
			       id, parent, bpci_strerror(rc));
	return rc;
}

static int release(bpci_cluster_manager *cm, const char *parent, const char *id,
		   bpci_diag *diag)
{
	return release_at(cm, parent, NULL, id, diag);
}

/* Step 5: daemon @rec describes joins @parent from now on. */
static int tell(bpci_cluster_manager *cm, const char *rec, const char *parent,
		const char *reply, bpci_diag *diag)
{
	json_t *r = json_loads(rec, 0, NULL), *a = json_loads(reply ? reply : "{}", 0, NULL), *b;
	const char *purl, *ptoken, *id = json_string_value(json_object_get(r, "daemon_id"));
	const char *durl = json_string_value(json_object_get(r, "url"));
	char *body = NULL, *resp = NULL;
	int rc = api_of(&purl, &ptoken, cm, parent, NULL);

	if (rc == 0 && (!id || !durl || !*durl))
		rc = BPCI_EUNREACHABLE;
	b = rc == 0 ? json_pack("{s:s, s:s}", "parent_url", purl, "join_token",
				ptoken ? ptoken : "") : NULL;
	if (b && json_is_string(json_object_get(a, "parent_url_file")))
		json_object_set(b, "parent_url_file", json_object_get(a, "parent_url_file"));
	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	if (rc == 0 && !body)
		rc = BPCI_ENOMEM;
	if (rc == 0)
		rc = bpci_cluster_request(&resp, durl,
					  json_string_value(json_object_get(r, "token")), "POST",
					  "/api/daemon-tree/parent", body, NULL);
	if (rc != 0)
		bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc, "daemon_id",
			       "daemon \"%s\" cannot be told its new parent \"%s\" now (%s): "
			       "it is retried", id ? id : "?", parent, bpci_strerror(rc));
	free(body);
	bpci_free(resp);
	json_decref(b);
	json_decref(r);
	json_decref(a);
	return rc;
}

/* ---- DIR/migration.json ---- */

static char *pending_path(const bpci_cluster_manager *cm)
{
	return bpci__asprintf("%s/migration.json", cm->state_dir);
}

int bpci__cm_pending_write(bpci_cluster_manager *cm, const char *op, const char *id,
			   const char *from, const char *to, json_t *kids)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "op", op, "daemon", id, "from", from,
			      "to", to, "children", kids ? json_incref(kids) : json_array());
	char *text = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL, *path = NULL;
	int rc = text ? 0 : BPCI_ENOMEM;

	json_decref(j);
	if (rc == 0 && !(path = pending_path(cm)))
		rc = BPCI_ENOMEM;
	if (rc == 0)
		rc = bpci__write_file_atomic(path, text, strlen(text), 0600, NULL);
	if (rc == 0)
		cm->migration = 2;
	bpci__free(path);
	free(text);
	return rc;
}

void bpci__cm_pending_clear(bpci_cluster_manager *cm)
{
	char *path = pending_path(cm);

	if (path && (unlink(path) == 0 || errno == ENOENT))
		cm->migration = 1;
	bpci__free(path);
}

/* ---- moving one daemon ---- */

/* The daemon whose host @id runs on: itself when remote (or the root),
 * else its parent's (a local daemon is spawned on its parent's host). */
static const char *host_of(const bpci_daemon_tree *t, const char *id)
{
	const bpci_daemon_spec *s;
	size_t guard = 0;

	while ((s = bpci_daemon_tree_get(t, id)) != NULL && !bpci_daemon_spec_remote(s) &&
	       bpci_daemon_spec_parent(s) && guard++ < t->nd)
		id = bpci_daemon_spec_parent(s);
	return id;
}

int bpci__cm_same_host(const bpci_cluster_manager *cm, const char *id, const char *from,
		       const char *to, bpci_diag *diag)
{
	const char *a = host_of(cm->tree, from), *b = host_of(cm->tree, to);

	if (a && b && !strcmp(a, b))
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent_id",
			      "local daemon \"%s\" runs on the host of \"%s\" and \"%s\" on "
			      "the host of \"%s\": a running local daemon cannot change hosts "
			      "(remove it, then add it under \"%s\")", id, a ? a : "?", to,
			      b ? b : "?", to);
}

int bpci__cm_move_local(bpci_cluster_manager *cm, bpci_daemon_tree *t, const char *id,
			const char *from, const char *to, bpci_diag *diag)
{
	bpci_daemon_tree *old = cm->tree;
	char *rec = NULL, *reply = NULL, *details = NULL;
	int rc = bpci__cm_same_host(cm, id, from, to, diag);

	if (rc == 0)
		rc = handover(&rec, cm, from, id, diag);
	if (rc == 0)
		rc = bpci__cm_pending_write(cm, "move", id, from, to, NULL);
	if (rc == 0)
		bpci__cm_progress(cm, "move daemon %s: %s -> %s: described by %s", id, from, to,
				  from);
	if (rc == 0 && (rc = adopt(&reply, cm, to, rec, diag)) != 0)
		bpci__cm_pending_clear(cm);
	if (rc == 0)
		bpci__cm_progress(cm, "move daemon %s: adopted by %s", id, to);
	if (rc == 0 && !(details = bpci__asprintf("{\"from\":\"%s\",\"to\":\"%s\","
						  "\"adopted\":true}", from, to)))
		rc = BPCI_ENOMEM;
	if (rc != 0) {
		if (reply)
			(void)release(cm, to, id, NULL);
		bpci_daemon_tree_free(t);
		bpci__free(rec);
		bpci_free(reply);
		return rc;
	}
	rc = bpci__cm_tree_commit(cm, t, "daemon.moved", id, details, "moved", diag);
	bpci__free(details);
	if (rc != 0 && cm->tree == old) {
		/* Not journaled: the new parent lets it go again. */
		(void)release(cm, to, id, NULL);
		bpci__cm_pending_clear(cm);
	} else if (tell(cm, rec, to, reply, diag) == 0 && release(cm, from, id, diag) == 0) {
		/* Told first: it stops calling the old parent before that one
		 * forgets it (a heartbeat answered 404 would make it join
		 * there again, as a stranger). */
		bpci__cm_progress(cm, "move daemon %s: journaled, told its parent %s, released "
				  "by %s", id, to, from);
		bpci__cm_pending_clear(cm);
	}
	bpci__free(rec);
	bpci_free(reply);
	return rc;
}

/* ---- a removed daemon's children ---- */

/* {"url","token"} of daemon @id's API, or NULL. */
static json_t *api_json(bpci_cluster_manager *cm, const char *id)
{
	const char *url, *token;

	if (api_of(&url, &token, cm, id, NULL) != 0)
		return NULL;
	return json_pack("{s:s, s:s}", "url", url, "token", token ? token : "");
}

int bpci__cm_children_records(json_t **out, bpci_cluster_manager *cm, const char *id,
			      bpci_diag *diag)
{
	json_t *kids = json_array();
	size_t i;
	int rc = kids ? 0 : BPCI_ENOMEM;

	*out = NULL;
	for (i = 1; rc == 0 && cm->daemon_on && i < cm->tree->nd; i++) {
		const bpci_daemon_spec *s = cm->tree->d[i].spec;
		const char *p = bpci_daemon_spec_parent(s), *kid = bpci_daemon_spec_id(s);
		char *rec = NULL;

		if (!p || strcmp(p, id) != 0 || bpci_daemon_spec_remote(s))
			continue;
		rc = bpci__cm_same_host(cm, kid, id, bpci_daemon_spec_parent(
						bpci_daemon_tree_get(cm->tree, id)), diag);
		if (rc == 0)
			rc = handover(&rec, cm, id, kid, diag);
		/* The removed daemon's API travels along: it releases the
		 * child after it left the tree. */
		if (rc == 0 && json_array_append_new(kids, json_pack("{s:s, s:s, s:o*}", "daemon_id",
								     kid, "record", rec, "from_api",
								     api_json(cm, id))) != 0)
			rc = BPCI_ENOMEM;
		bpci_free(rec);
		if (rc != 0)
			bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "daemon_id",
				       "cannot remove \"%s\": its child daemon \"%s\" cannot be "
				       "handed to its parent (%s); nothing was changed", id, kid,
				       bpci_strerror(rc));
	}
	if (rc != 0) {
		json_decref(kids);
		return rc;
	}
	*out = kids;
	return 0;
}

int bpci__cm_adopt_children(bpci_cluster_manager *cm, json_t *kids, const char *parent,
			    bpci_diag *diag)
{
	json_t *k;
	size_t i, done = 0;
	int rc = 0;

	json_array_foreach(kids, i, k) {
		const char *rec = json_string_value(json_object_get(k, "record"));
		char *reply = NULL;

		rc = adopt(&reply, cm, parent, rec, diag);
		if (rc == 0)
			json_object_set_new(k, "reply", json_string(reply));
		bpci_free(reply);
		if (rc != 0)
			break;
		bpci__cm_progress(cm, "child daemon %s: adopted by %s",
				  json_string_value(json_object_get(k, "daemon_id")), parent);
		done++;
	}
	for (i = 0; rc != 0 && i < done; i++)
		(void)release(cm, parent,
			      json_string_value(json_object_get(json_array_get(kids, i),
								"daemon_id")), NULL);
	return rc;
}

void bpci__cm_hand_children(bpci_cluster_manager *cm, json_t *kids, const char *from,
			    const char *parent, bpci_diag *diag)
{
	json_t *k;
	size_t i;

	json_array_foreach(kids, i, k) {
		const char *id = json_string_value(json_object_get(k, "daemon_id"));

		/* Released even when it cannot be told now: @from is about
		 * to stop, and would stop it with it. */
		(void)tell(cm, json_string_value(json_object_get(k, "record")), parent,
			   json_string_value(json_object_get(k, "reply")), diag);
		if (release_at(cm, from, json_object_get(k, "from_api"), id, diag) == 0)
			bpci__cm_progress(cm, "child daemon %s: told its parent %s, released by %s",
					  id, parent, from);
	}
}

/* ---- finishing after a restart ---- */

/* The move was journaled (@id is under @to in the tree): make sure @to
 * has it, then release and tell. 0 when done. */
static int finish_move(bpci_cluster_manager *cm, const char *id, const char *from,
		       const char *to)
{
	char *rec = NULL, *reply = NULL;
	int rc = handover(&rec, cm, from, id, NULL);

	if (rc == BPCI_ENOTFOUND) /* released already: the new parent describes it */
		rc = handover(&rec, cm, to, id, NULL);
	if (rc == 0)
		rc = adopt(&reply, cm, to, rec, NULL);
	if (rc == 0)
		rc = tell(cm, rec, to, reply, NULL);
	if (rc == 0)
		rc = release(cm, from, id, NULL);
	bpci__free(rec);
	bpci_free(reply);
	return rc;
}

/* The removal was journaled: hand the children over, stop the daemon. */
static int finish_remove(bpci_cluster_manager *cm, const char *id, const char *parent,
			 json_t *kids)
{
	json_t *k;
	size_t i;
	int rc = bpci__cm_adopt_children(cm, kids, parent, NULL);

	json_array_foreach(kids, i, k) {
		const char *kid = json_string_value(json_object_get(k, "daemon_id"));

		if (rc == 0)
			rc = tell(cm, json_string_value(json_object_get(k, "record")), parent,
				  json_string_value(json_object_get(k, "reply")), NULL);
		if (rc == 0)
			rc = release_at(cm, id, json_object_get(k, "from_api"), kid, NULL);
		if (rc == BPCI_EUNREACHABLE)
			rc = 0; /* the removed daemon is gone already */
	}
	if (rc == 0) {
		rc = bpci__cm_stop_local(cm, id, parent, NULL);
		if (rc == BPCI_ENOTFOUND)
			rc = 0;
	}
	return rc;
}

static int resume(bpci_cluster_manager *cm, json_t *j)
{
	const char *op = json_string_value(json_object_get(j, "op"));
	const char *id = json_string_value(json_object_get(j, "daemon"));
	const char *from = json_string_value(json_object_get(j, "from"));
	const char *to = json_string_value(json_object_get(j, "to"));
	const bpci_daemon_spec *s = id ? bpci_daemon_tree_get(cm->tree, id) : NULL;
	const char *now = s ? bpci_daemon_spec_parent(s) : NULL;
	char *plan = NULL;
	int rc;

	if (!op || !id || !from || !to)
		return 0; /* not ours to understand: dropped */
	if (!strcmp(op, "move") && now && !strcmp(now, from))
		return bpci_cluster_manager_move_daemon(cm, id, to, NULL);
	if (!strcmp(op, "move"))
		return now && !strcmp(now, to) ? finish_move(cm, id, from, to) : 0;
	if (strcmp(op, "remove") != 0)
		return 0;
	if (s) {
		rc = bpci_cluster_manager_remove_daemon(&plan, cm, id, NULL);
		bpci_free(plan);
		return rc;
	}
	return finish_remove(cm, id, to, json_object_get(j, "children"));
}

void bpci__cm_migrate_resume(bpci_cluster_manager *cm)
{
	uint64_t now = mono_ms();
	char *path;
	json_t *j;

	if (!cm || !cm->daemon_on || !cm->url || now - cm->migrate_ms < RESUME_PERIOD_MS ||
	    !bpci__cm_migrate_pending(cm))
		return;
	cm->migrate_ms = now;
	if (!(path = pending_path(cm)))
		return;
	j = access(path, F_OK) == 0 ? json_load_file(path, 0, NULL) : NULL;
	bpci__free(path);
	if (!j)
		return;
	if (resume(cm, j) == 0) {
		fprintf(stderr, "finished the %s of daemon %s left by a previous manager\n",
			json_string_value(json_object_get(j, "op")),
			json_string_value(json_object_get(j, "daemon")));
		bpci__cm_pending_clear(cm);
	}
	json_decref(j);
}

int bpci__cm_migrate_pending(bpci_cluster_manager *cm)
{
	char *path;

	/* Asked every loop turn: the file is looked at once, then the
	 * writes and the clear keep the answer. */
	if (cm && cm->migration == 0 && (path = pending_path(cm)) != NULL) {
		cm->migration = access(path, F_OK) == 0 ? 2 : 1;
		bpci__free(path);
	}
	return cm && cm->migration == 2;
}
