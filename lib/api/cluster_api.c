/*
 * The cluster manager's API server handle: the bearer token and URL files
 * in the state directory and the queue of mutations, which run between
 * loop iterations because stopping a replica runs the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>


#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_migrate.h"
#include "runtime/cluster_internal.h"
#include "runtime/coordinator_api.h"
#include "runtime/fsutil.h"
#include "runtime/token.h"

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
	srv->jobs_tail = &srv->jobs;
	srv->started_ms = bpci__cm_now_ms();
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

void bpci__cm_queue(bpci_cluster_server *srv, bpci__cm_job_fn fn, bpci__http_req *req)
{
	bpci__cm_job *job = bpci__calloc(1, sizeof(*job));

	if (!job) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	job->fn = fn;
	job->req = req;
	*srv->jobs_tail = job;
	srv->jobs_tail = &job->next;
}

static void run_jobs(bpci_cluster_server *srv)
{
	bpci__cm_job *job;

	while ((job = srv->jobs) != NULL) {
		srv->jobs = job->next;
		if (!srv->jobs)
			srv->jobs_tail = &srv->jobs;
		job->fn(srv, job->req);
		bpci__free(job);
	}
}

int bpci_cluster_server_step(bpci_cluster_server *srv, int timeout_ms)
{
	int rc;

	if (!srv)
		return BPCI_EINVAL;
	run_jobs(srv);
	rc = bpci_coordinator_step(bpci_cluster_manager_coordinator(srv->cm),
				   srv->jobs ? 0 : timeout_ms);
	run_jobs(srv);
	bpci__cm_tree_sync(srv->cm, 0);
	bpci__cm_migrate_resume(srv->cm);
	/* Leases end on their own: each iteration releases the expired ones
	 * (journaled); a failed journal write is retried next time. */
	bpci_cluster_manager_expire_ports(srv->cm, NULL, NULL);
	return rc;
}

void bpci_cluster_server_free(bpci_cluster_server *srv)
{
	bpci__cm_job *job;

	if (!srv)
		return;
	while ((job = srv->jobs) != NULL) {
		srv->jobs = job->next;
		bpci__http_reply_error(job->req, 503, "shutting_down",
				       "the cluster manager is shutting down", NULL);
		bpci__free(job);
	}
	bpci__cm_set_url(srv->cm, NULL);
	bpci__http_server_free(srv->http);
	if (srv->url_path)
		unlink(srv->url_path);
	bpci__free(srv->url_path);
	bpci__free(srv->token);
	bpci__free(srv);
}
