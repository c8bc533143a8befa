/*
 * POST /api/daemon-tree/rebalance as a job in steps: the plan is made (or
 * the given moves checked) at once, then one move step runs per loop turn
 * (runtime/cluster_moves.h) and the request is answered when the last
 * move is done. Between steps the server runs the loop and the tree's
 * sync, so a daemon that fails meanwhile is failed over without waiting
 * for the rebalance; mutations queued behind it wait for it.
 */
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_moves.h"

typedef struct rebalance_run {
	bpci__cm_moves *moves;
	char *plan;      /* the plan's JSON text */
	bpci_diag *diag;
} rebalance_run;

static void run_free(rebalance_run *run)
{
	if (!run)
		return;
	bpci__cm_moves_free(run->moves);
	bpci__free(run->plan);
	bpci_diag_free(run->diag);
	bpci__free(run);
}

static void drop(bpci__job *job)
{
	run_free(job->state);
	job->state = NULL;
}

/* {"plan":..., KEY:true[, "skipped":[...]]}, or the errors of @diag. */
static void reply(bpci__http_req *req, int rc, bpci_diag *diag, const char *key,
		  const char *plan, const char *skipped)
{
	json_t *p = plan ? json_loads(plan, 0, NULL) : NULL;
	json_t *sk = skipped ? json_loads(skipped, 0, NULL) : NULL, *ok;

	if (rc != 0 || !p) {
		json_decref(p);
		json_decref(sk);
		bpci__api_reply_diag(req, rc ? rc : BPCI_ENOMEM, diag, NULL);
		return;
	}
	ok = json_pack("{s:o, s:b}", "plan", p, key, 1);
	if (ok && json_array_size(sk))
		json_object_set(ok, "skipped", sk);
	json_decref(sk);
	bpci__http_reply_json(req, 200, ok);
}

/* Plan (or check the body's moves); answer a dry run or a refusal at once
 * (0), else keep the moves to carry out in steps (1). */
static int start(bpci_cluster_server *srv, bpci__job *job)
{
	const char *dry = bpci__http_req_query(job->req, "dry_run");
	int dry_run = dry && (!strcmp(dry, "1") || !strcmp(dry, "true"));
	size_t len = 0;
	const char *body = bpci__http_req_body(job->req, &len);
	rebalance_run *run = bpci__calloc(1, sizeof(*run));
	int rc;

	if (!run || bpci_diag_new(&run->diag) != 0) {
		run_free(run);
		bpci__http_reply_error(job->req, 500, "internal", "out of memory", NULL);
		return 0;
	}
	/* An empty body (or {}) asks for the planned rebalance (?under=ID: of
	 * that load_balancing domain only); a body with
	 * "steps" carries out exactly those moves (checked as a whole first). */
	if (!len || (len == 2 && !strncmp(body, "{}", 2)))
		body = NULL;
	if (body)
		rc = bpci_cluster_manager_rebalance(&run->plan, srv->cm, body, len, 1, run->diag);
	else /* ?under=ID: that load_balancing domain only */
		rc = bpci_cluster_manager_rebalance_under(&run->plan, srv->cm,
							  bpci__http_req_query(job->req, "under"),
							  1, run->diag);
	if (rc == 0 && !dry_run)
		rc = bpci__cm_moves_new(&run->moves, srv->cm, run->plan, run->diag);
	if (rc != 0 || dry_run) {
		reply(job->req, rc, run->diag, dry_run ? "dry_run" : "applied", run->plan, NULL);
		run_free(run);
		return 0;
	}
	job->state = run;
	job->drop = drop;
	return 1;
}

static int rebalance_job(void *owner, bpci__job *job)
{
	bpci_cluster_server *srv = owner;
	rebalance_run *run = job->state;
	char *skipped;
	int rc;

	if (!run)
		return start(srv, job);
	rc = bpci__cm_moves_step(run->moves, run->diag);
	if (rc == 1)
		return 1;
	if (rc == 0 && bpci__cm_moves_done(run->moves))
		bpci__cm_emit(srv->cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED,
			      bpci_daemon_tree_root(bpci_cluster_manager_tree(srv->cm)),
			      "rebalanced", 0);
	skipped = bpci__cm_moves_skipped_json(run->moves);
	reply(job->req, rc, run->diag, "applied", run->plan, skipped);
	bpci__free(skipped);
	drop(job);
	return 0;
}

void bpci__cm_rebalance_route(bpci__http_req *req, void *payload)
{
	bpci__cm_queue(payload, rebalance_job, req);
}
