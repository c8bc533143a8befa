/*
 * The cluster manager's API server handle: the bearer token and URL files
 * in the state directory and the loop turn: the queue of mutations
 * (api_jobs.h), which run between loop iterations because stopping a
 * replica runs the loop, then the tree's sync and the port leases.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>


#include "api/api_trail.h"
#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_converge.h"
#include "runtime/cluster_migrate.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_ship.h"
#include "runtime/coordinator_api.h"
#include "runtime/fsutil.h"
#include "runtime/token.h"

#define BUSY_TURN_MS 50

static int write_url(bpci_cluster_server *srv, bpci_diag *diag)
{
	int rc;

	srv->url_path = bpci__asprintf("%s/api.url", bpci_cluster_manager_state_dir(srv->cm));
	if (!srv->url_path)
		return BPCI_ENOMEM;
	rc = bpci__url_file_write(srv->url_path, bpci__http_server_url(srv->http), diag);
	if (rc != 0) {
		bpci__free(srv->url_path);
		srv->url_path = NULL;
	}
	return rc;
}

/* DIR/api.token, kept as the coordinator's API keeps it. */
static int load_token(char **out, const char *dir, bpci_diag *diag)
{
	char *path = bpci__asprintf("%s/api.token", dir);
	int rc;

	if (!path)
		return BPCI_ENOMEM;
	rc = bpci__token_load(out, path, "token", diag);
	bpci__free(path);
	return rc;
}

/* Queued api.request entries beyond this wait for a ledger that cannot
 * be written: the newest are dropped to keep memory bounded. */
#define TRAIL_MAX 65536u

static void on_answer(const bpci__http_req *req, int status, void *payload)
{
	bpci_cluster_server *srv = payload;
	char *details, *subject;

	if (bpci__api_trail_details(&details, req, status) != 1)
		return;
	subject = bpci__strdup(bpci__http_req_path(req));
	if (!subject || srv->ntrail >= TRAIL_MAX ||
	    bpci__grow((void **)&srv->trail, &srv->captrail, srv->ntrail + 1,
		       sizeof(*srv->trail)) < 0) {
		bpci__free(subject);
		bpci__free(details);
		return;
	}
	srv->trail[srv->ntrail].subject = subject;
	srv->trail[srv->ntrail++].details = details;
}

static void trail_clear(bpci_cluster_server *srv)
{
	size_t i;

	for (i = 0; i < srv->ntrail; i++) {
		bpci__free(srv->trail[i].subject);
		bpci__free(srv->trail[i].details);
	}
	srv->ntrail = 0;
}

/* Append the turn's api.request entries in one batch; kept for the next
 * turn when the ledger refuses them. */
static void trail_flush(bpci_cluster_server *srv)
{
	bpci_ledger_event *ev;
	size_t i;
	int rc;

	if (srv->ntrail == 0)
		return;
	ev = bpci__calloc(srv->ntrail, sizeof(*ev));
	if (!ev)
		return;
	for (i = 0; i < srv->ntrail; i++) {
		bpci_ledger_event e = BPCI_LEDGER_EVENT_INIT;

		e.type = "api.request";
		e.actor = srv->cm->cluster_id;
		e.subject = srv->trail[i].subject;
		e.details_json = srv->trail[i].details;
		ev[i] = e;
	}
	rc = bpci_ledger_append_many(NULL, srv->cm->ledger, ev, srv->ntrail, NULL);
	bpci__free(ev);
	if (rc == 0) {
		srv->cm->journaled += srv->ntrail;
		trail_clear(srv);
		bpci__cm_ship_notify(srv->cm);
	}
}

int bpci_cluster_manager_serve(bpci_cluster_server **out, bpci_cluster_manager *cm,
			       const char *listen, const char *token, bpci_diag *diag)
{
	bpci__http_server_opts ho = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci_cluster_server *srv;
	int rc;

	if (!out || !cm)
		return BPCI_EINVAL;
	srv = bpci__calloc(1, sizeof(*srv));
	if (!srv)
		return BPCI_ENOMEM;
	srv->cm = cm;
	bpci__jobs_init(&srv->jobs);
	srv->started_ms = bpci__cm_now_ms();
	if (!(srv->converge = bpci__cm_converge_new())) {
		bpci__free(srv);
		return BPCI_ENOMEM;
	}
	if (token && *token)
		rc = (srv->token = bpci__strdup(token)) ? 0 : BPCI_ENOMEM;
	else
		rc = load_token(&srv->token, bpci_cluster_manager_state_dir(cm), diag);
	ho.listen = listen ? listen : "127.0.0.1:8081";
	ho.token = srv->token;
	if (rc == 0)
		rc = bpci__http_server_new(&srv->http,
					   bpci__coordinator_base(bpci_cluster_manager_coordinator(cm)),
					   &ho, diag);
	if (rc == 0)
		bpci__http_server_on_answer(srv->http, on_answer, srv);
	if (rc == 0)
		rc = bpci__cm_routes_read(srv);
	if (rc == 0)
		rc = bpci__cm_routes_mut(srv);
	if (rc == 0)
		rc = bpci__cm_routes_tree(srv);
	if (rc == 0)
		rc = write_url(srv, diag);
	if (rc == 0)
		rc = bpci__cm_set_url(cm, bpci__http_server_url(srv->http));
	/* Served, the manager is the tree's root daemon: its local children
	 * join it here and remote daemons send it heartbeats. */
	if (rc == 0)
		rc = bpci__cm_daemon_start(cm, bpci__http_server_url(srv->http), srv->token, diag);
	if (rc != 0) {
		bpci_cluster_server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

const char *bpci_cluster_server_url(const bpci_cluster_server *srv)
{
	return srv ? bpci__http_server_url(srv->http) : NULL;
}

const char *bpci_cluster_server_token(const bpci_cluster_server *srv)
{
	return srv ? srv->token : NULL;
}

void bpci__cm_queue(bpci_cluster_server *srv, bpci__job_fn fn, bpci__http_req *req)
{
	(void)bpci__jobs_add(&srv->jobs, fn, 0, req);
}

int bpci_cluster_server_step(bpci_cluster_server *srv, int timeout_ms)
{
	int rc, busy;

	if (!srv)
		return BPCI_EINVAL;
	/* A job in steps (a rebalance waiting for a new instance) looks
	 * again after a short turn; the tree's sync runs in between. */
	busy = bpci__jobs_run(&srv->jobs, srv);
	rc = bpci_coordinator_step(bpci_cluster_manager_coordinator(srv->cm),
				   busy ? (timeout_ms >= 0 && timeout_ms < BUSY_TURN_MS
					   ? timeout_ms : BUSY_TURN_MS)
				   : bpci__jobs_pending(&srv->jobs) ? 0 : timeout_ms);
	(void)bpci__jobs_run(&srv->jobs, srv);
	bpci__cm_tree_sync(srv->cm, 0);
	bpci__cm_migrate_resume(srv->cm);
	/* Converging while a move or removal is half done would spawn again a
	 * daemon that its new parent already adopted. */
	if (!bpci__jobs_pending(&srv->jobs) && !bpci__cm_migrate_pending(srv->cm))
		bpci__cm_converge_step(srv->converge, srv->cm);
	/* Leases end on their own: each iteration releases the expired ones
	 * (journaled); a failed journal write is retried next time. */
	bpci_cluster_manager_expire_ports(srv->cm, NULL, NULL);
	trail_flush(srv);
	return rc;
}

void bpci_cluster_server_free(bpci_cluster_server *srv)
{
	if (!srv)
		return;
	bpci__jobs_drop(&srv->jobs, "the cluster manager is shutting down");
	bpci__cm_converge_free(srv->converge);
	bpci__cm_set_url(srv->cm, NULL);
	bpci__http_server_free(srv->http);
	trail_flush(srv);
	trail_clear(srv);
	bpci__free(srv->trail);
	if (srv->url_path)
		unlink(srv->url_path);
	bpci__free(srv->url_path);
	bpci__free(srv->token);
	bpci__free(srv);
}
