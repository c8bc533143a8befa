/*
 * The cluster manager's API server handle: the bearer token and URL files
 * in the state directory and the queue of mutations, which run between
 * loop iterations because stopping a replica runs the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"
#include "runtime/coordinator_api.h"
#include "runtime/fsutil.h"

#define TOKEN_BYTES 32
#define TOKEN_MAX 512

/* DIR/api.token as the coordinator's API keeps it: one line, generated
 * (32 random bytes in hex, mode 0600) when missing. */
static int load_token(char **out, const char *dir, bpci_diag *diag)
{
	static const char hex[] = "0123456789abcdef";
	char *path = bpci__asprintf("%s/api.token", dir), buf[TOKEN_MAX + 1];
	unsigned char raw[TOKEN_BYTES];
	ssize_t n = -1;
	size_t i;
	int fd, rc = 0;

	if (!path)
		return BPCI_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, TOKEN_MAX);
		close(fd);
		while (n > 0 && strchr("\r\n ", buf[n - 1]))
			n--;
	}
	if (n > 0) {
		buf[n] = '\0';
	} else if (fd >= 0 || errno == ENOENT) {
		if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "token",
					    "cannot draw random bytes for the API token");
		for (i = 0; i < TOKEN_BYTES; i++) {
			buf[2 * i] = hex[raw[i] >> 4];
			buf[2 * i + 1] = hex[raw[i] & 15];
		}
		buf[2 * TOKEN_BYTES] = '\n';
		if (rc == 0)
			rc = bpci__write_file_atomic(path, buf, 2 * TOKEN_BYTES + 1, 0600, diag);
		buf[2 * TOKEN_BYTES] = '\0';
	} else {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "token",
				    "cannot read %s: %s", path, strerror(errno));
	}
	bpci__free(path);
	if (rc == 0 && !(*out = bpci__strdup(buf)))
		rc = BPCI_ENOMEM;
	return rc;
}

static int write_url(bpci_cluster_server *srv, bpci_diag *diag)
{
	char *text = bpci__asprintf("%s\n", bpci__http_server_url(srv->http));
	int rc;

	srv->url_path = bpci__asprintf("%s/api.url", bpci_cluster_manager_state_dir(srv->cm));
	if (!text || !srv->url_path) {
		bpci__free(text);
		return BPCI_ENOMEM;
	}
	rc = bpci__write_file_atomic(srv->url_path, text, strlen(text), 0644, diag);
	bpci__free(text);
	if (rc != 0) {
		bpci__free(srv->url_path);
		srv->url_path = NULL;
	}
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
		rc = write_url(srv, diag);
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
	bpci__http_server_free(srv->http);
	if (srv->url_path)
		unlink(srv->url_path);
	bpci__free(srv->url_path);
	bpci__free(srv->token);
	bpci__free(srv);
}
