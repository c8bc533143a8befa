/*
 * The coordinator's API server handle: its token and URL files in the
 * state directory, the routes, and the queue of mutating requests that run
 * between loop iterations (they wait for processes to exit, which runs the
 * loop, and libevent's loop cannot be entered from its own callbacks).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/api_internal.h"
#include "api/api_trail.h"
#include "api/api_tree.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_api.h"
#include "runtime/coordinator_journal.h"
#include "runtime/fsutil.h"
#include "runtime/token.h"

static int load_token(bpci_server *srv, const bpci_server_options *o, bpci_diag *diag)
{
	char *path;
	int rc;

	if (o->token && *o->token) {
		srv->token = bpci__strdup(o->token);
		return srv->token ? 0 : BPCI_ENOMEM;
	}
	path = bpci__asprintf("%s/api.token", bpci_coordinator_state_dir(srv->c));
	if (!path)
		return BPCI_ENOMEM;
	rc = bpci__token_load(&srv->token, path, "token", diag);
	bpci__free(path);
	return rc;
}

static int write_url(bpci_server *srv, bpci_diag *diag)
{
	int rc;

	srv->url_path = bpci__asprintf("%s/api.url", bpci_coordinator_state_dir(srv->c));
	if (!srv->url_path)
		return BPCI_ENOMEM;
	rc = bpci__url_file_write(srv->url_path, bpci__http_server_url(srv->http), diag);
	if (rc != 0) {
		bpci__free(srv->url_path);
		srv->url_path = NULL;
	}
	return rc;
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	bpci__api_queue(arg, BPCI__JOB_RELOAD, NULL);
}

/* api.request: queued for the journal's next group commit (no fsync of
 * its own); a refused 401 has no state change to ride along with, so it
 * goes out with the commit's timer, within a few milliseconds. */
static void on_answer(const bpci__http_req *req, int status, void *payload)
{
	bpci_server *srv = payload;
	char *details;

	if (bpci__api_trail_details(&details, req, status) == 1)
		(void)bpci__coord_journal_event(srv->c, "api.request", bpci__http_req_path(req),
						details);
}

static int start_http(bpci_server *srv, const bpci_server_options *o, bpci_diag *diag)
{
	bpci__http_server_opts ho = BPCI__HTTP_SERVER_OPTS_INIT;
	int rc;

	ho.listen = o->listen;
	ho.max_body = o->max_body;
	ho.timeout_ms = o->timeout_ms;
	ho.token = srv->token;
	rc = bpci__http_server_new(&srv->http, bpci__coordinator_base(srv->c), &ho, diag);
	if (rc == 0)
		bpci__http_server_on_answer(srv->http, on_answer, srv);
	if (rc == 0)
		rc = bpci__api_routes_metrics(srv);
	if (rc == 0)
		rc = bpci__api_routes_nodes(srv);
	if (rc == 0)
		rc = bpci__api_routes_logs(srv);
	if (rc == 0)
		rc = bpci__api_routes_daemons(srv);
	if (rc == 0)
		rc = bpci__api_routes_tree(srv);
	if (rc == 0)
		rc = bpci__api_routes_audit(srv);
	return rc;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bpci_coordinator_serve(bpci_server **out, bpci_coordinator *c,
			   const bpci_server_options *opts, bpci_diag *diag)
{
	static const bpci_server_options defaults = BPCI_SERVER_OPTIONS_INIT;
	const bpci_server_options *o = opts ? opts : &defaults;
	bpci_server *srv;
	int rc;

	if (!out || !c)
		return BPCI_EINVAL;
	if (o->version != BPCI_SERVER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown server options version %u (this library "
				      "knows %u)", o->version, BPCI_SERVER_OPTIONS_VERSION);
	srv = bpci__calloc(1, sizeof(*srv));
	if (!srv)
		return BPCI_ENOMEM;
	srv->c = c;
	bpci__jobs_init(&srv->jobs);
	srv->started_ms = (uint64_t)wall_ms();
	rc = load_token(srv, o, diag);
	if (rc == 0 && o->config_path && !(srv->config_path = bpci__strdup(o->config_path)))
		rc = BPCI_ENOMEM;
	if (rc == 0)
		rc = start_http(srv, o, diag);
	if (rc == 0 && o->config_path && o->reload_on_sighup) {
		srv->hup_ev = evsignal_new(bpci__coordinator_base(c), SIGHUP, on_hup, srv);
		if (!srv->hup_ev || evsignal_add(srv->hup_ev, NULL) != 0)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
					    "cannot watch SIGHUP");
	}
	if (rc == 0)
		rc = write_url(srv, diag);
	if (rc != 0) {
		bpci_server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

const char *bpci_server_url(const bpci_server *srv)
{
	return srv ? bpci__http_server_url(srv->http) : NULL;
}

const char *bpci_server_token(const bpci_server *srv)
{
	return srv ? srv->token : NULL;
}

static int run_job(void *owner, bpci__job *job)
{
	bpci__api_run_job(owner, job);
	return 0;
}

void bpci__api_queue(bpci_server *srv, bpci__api_job_kind kind, bpci__http_req *req)
{
	(void)bpci__jobs_add(&srv->jobs, run_job, (int)kind, req);
}

int bpci_server_step(bpci_server *srv, int timeout_ms)
{
	int rc;

	if (!srv)
		return BPCI_EINVAL;
	/* Jobs queued while someone else ran the loop (a wait, a shutdown). */
	(void)bpci__jobs_run(&srv->jobs, srv);
	rc = bpci_coordinator_step(srv->c, bpci__jobs_pending(&srv->jobs) ? 0 : timeout_ms);
	(void)bpci__jobs_run(&srv->jobs, srv);
	return rc;
}

int bpci_server_run(bpci_server *srv)
{
	int rc;

	while ((rc = bpci_server_step(srv, -1)) == 0)
		;
	return rc < 0 ? rc : 0;
}

void bpci_server_free(bpci_server *srv)
{
	if (!srv)
		return;
	bpci__jobs_drop(&srv->jobs, "the coordinator is shutting down");
	if (srv->hup_ev)
		event_free(srv->hup_ev);
	bpci__api_follows_free(srv);
	bpci__http_server_free(srv->http);
	if (srv->url_path)
		unlink(srv->url_path);
	bpci__free(srv->url_path);
	bpci__free(srv->config_path);
	bpci__free(srv->token);
	bpci__free(srv);
}
