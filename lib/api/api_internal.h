/*
 * Internal to the coordinator's HTTP API (lib/api):
 *   coordinator_api.c   the server handle: token, URL file, loop, job queue
 *   api_reply.c         JSON helpers shared by the handlers (diag -> errors)
 *   api_nodes.c         node routes (list, get, start, stop, restart, reload)
 *   api_logs.c          log tail and follow (inotify on the logs directory)
 *   api_metrics.c       health, readiness and the Prometheus exposition
 *   api_audit.c         POST /api/audit into the coordinator's journal
 *   client*.c           the client handle (bpci/client.h)
 */
#ifndef BPCI_LIB_API_API_INTERNAL_H
#define BPCI_LIB_API_API_INTERNAL_H

#include "api/api_jobs.h"
#include "bpci/server.h"
#include "runtime/http_server.h"

struct event;

typedef struct bpci__api_follow bpci__api_follow;

/* A mutating request waiting to run between loop iterations. */
typedef enum bpci__api_job_kind {
	BPCI__JOB_START = 1,
	BPCI__JOB_STOP,
	BPCI__JOB_RESTART,
	BPCI__JOB_RELOAD
} bpci__api_job_kind;

/* A queued job (api_jobs.h): its kind is a bpci__api_job_kind; its
 * request is NULL for a SIGHUP reload. */
typedef bpci__job bpci__api_job;

struct bpci_server {
	bpci_coordinator *c;
	bpci__http_server *http;
	char *token;
	char *url_path;            /* STATE_DIR/api.url */
	char *config_path;
	struct event *hup_ev;
	bpci__jobs jobs;            /* mutations waiting for the loop */
	bpci__api_follow *follows; /* live log streams */
	uint64_t started_ms;
	size_t list_hint;          /* length of the last GET /api/nodes answer */
	/* reloads (SIGHUP and POST /api/reload), for /metrics */
	uint64_t reloads_ok, reload_failures;
	int64_t reload_ok_ms, reload_failed_ms; /* wall clock; 0: never */
	size_t follow_max_pending; /* most bytes a log follower ever had queued */
};

/* Count a reload's outcome (0 or a BPCI_E* code) for /metrics. */
void bpci__api_reload_done(bpci_server *srv, int rc);

/* Queue @req for the job runner; answers 500 itself when out of memory. */
void bpci__api_queue(bpci_server *srv, bpci__api_job_kind kind, bpci__http_req *req);

/* Answer 400 (or the code's status) with every error of @diag. */
void bpci__api_reply_diag(bpci__http_req *req, int rc, const bpci_diag *diag,
			  const char *fallback);
/* The HTTP status and error code string for a BPCI_E* code. */
int bpci__api_status_for(int rc, const char **code);
/* Answer a JSON text made by the library (takes @text; NULL: 500). */
void bpci__api_reply_text_json(bpci__http_req *req, int status, char *text);

/* Route registration, one per file. */
int bpci__api_routes_nodes(bpci_server *srv);
int bpci__api_routes_logs(bpci_server *srv);
int bpci__api_routes_metrics(bpci_server *srv);
int bpci__api_routes_audit(bpci_server *srv);   /* api_audit.c: POST /api/audit */

/* Jobs (api_nodes.c): carry out a queued mutation and answer it. */
void bpci__api_run_job(bpci_server *srv, bpci__api_job *job);

/* End every follow stream (server teardown). */
void bpci__api_follows_free(bpci_server *srv);
/* End the follow streams of node @id (it was stopped and forgotten). */
void bpci__api_follows_end(bpci_server *srv, const char *id);

#endif
