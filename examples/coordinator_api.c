/*
 * coordinator_api — a node coordinator with its HTTP API, and a client of
 * that API, in one small program.
 *
 * The parent process runs a coordinator on a temporary state directory
 * and serves its API on a free port of 127.0.0.1. A child process finds it
 * through the state directory (api.url, api.token), starts a node, waits
 * until it runs, reads its log, lists the nodes and stops the node; the
 * parent drives the loop until the child is done, then stops everything.
 *
 *   cc coordinator_api.c $(pkg-config --cflags --libs bpci)
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpci.h>

static const char spec_json[] =
	"{\"type\":\"storage\",\"name\":\"demo\","
	"\"params\":{\"storage_type\":\"distributed\",\"capacity_gb\":10},"
	"\"command\":[\"/bin/sh\",\"-c\",\"echo hello from the node; exec sleep 60\"],"
	"\"health\":{\"type\":\"none\"}}";

static int fail(const char *what, int rc, const bpci_diag *diag)
{
	fprintf(stderr, "%s: %s: %s\n", what, bpci_strerror(rc), bpci_diag_last_text(diag));
	return 1;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Poll until the node runs (the spec has no health check: at once). */
static int wait_running(bpci_client *cl, const char *id, bpci_diag *diag)
{
	int i, rc;

	for (i = 0; i < 100; i++) {
		bpci_node_status *st = NULL;
		int running;

		rc = bpci_client_get_node(&st, cl, id, diag);
		if (rc != 0)
			return fail("get_node", rc, diag);
		running = st->state == BPCI_NODE_STATE_RUNNING;
		if (running)
			printf("%s is running, pid %d, endpoint %s\n", id, st->pid, st->endpoint);
		bpci_node_status_free(st);
		if (running)
			return 0;
		pause_ms(50);
	}
	fprintf(stderr, "%s did not start\n", id);
	return 1;
}

/* The log holds what the node printed once it has been read from its pipe. */
static int show_log(bpci_client *cl, const char *id, bpci_diag *diag)
{
	int i, rc;

	for (i = 0; i < 100; i++) {
		char *text = NULL;
		int got;

		rc = bpci_client_node_logs(&text, cl, id, 10, diag);
		if (rc != 0)
			return fail("node_logs", rc, diag);
		got = *text != '\0';
		if (got)
			printf("log of %s: %s", id, text);
		bpci_free(text);
		if (got)
			return 0;
		pause_ms(50);
	}
	fprintf(stderr, "%s wrote nothing\n", id);
	return 1;
}

static int client_main(const char *state_dir)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_client *cl = NULL;
	bpci_node_spec *spec = NULL;
	bpci_node_status_list *list = NULL;
	bpci_diag *diag = NULL;
	char *id = NULL;
	int rc, status = 1;

	if (bpci_diag_new(&diag) != 0)
		return 1;
	o.state_dir = state_dir;
	if ((rc = bpci_client_new(&cl, &o, diag)) != 0)
		status = fail("client_new", rc, diag);
	else if ((rc = bpci_node_spec_from_json(&spec, spec_json, strlen(spec_json), diag)) != 0)
		status = fail("spec", rc, diag);
	else if ((rc = bpci_client_start_node(&id, cl, spec, NULL, diag)) != 0)
		status = fail("start_node", rc, diag);
	else if (wait_running(cl, id, diag) == 0 && show_log(cl, id, diag) == 0) {
		if ((rc = bpci_client_list_nodes(&list, cl, 0, diag)) != 0)
			status = fail("list_nodes", rc, diag);
		else if (printf("%zu node(s)\n", bpci_node_status_list_count(list)) < 0 ||
			 (rc = bpci_client_stop_node(cl, id, diag)) != 0)
			status = fail("stop_node", rc, diag);
		else
			status = printf("%s stopped\n", id) < 0;
	}
	fflush(stdout);
	bpci_node_status_list_free(list);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	bpci_diag_free(diag);
	return status;
}

/* Serve until the child has finished; its exit status is ours. */
static int serve_until(bpci_server *srv, pid_t child)
{
	int status = 0;

	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		if (w < 0 || bpci_server_step(srv, 50) < 0)
			return 1;
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char dir[] = "/tmp/bpci-example-XXXXXX";
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_server *srv = NULL;
	bpci_diag *diag = NULL;
	pid_t child;
	int rc, status = 1;

	if (!mkdtemp(dir) || bpci_diag_new(&diag) != 0)
		return 1;
	co.state_dir = dir;
	so.listen = "127.0.0.1:0";
	if ((rc = bpci_coordinator_new(&c, &co, diag)) != 0)
		status = fail("coordinator_new", rc, diag);
	else if ((rc = bpci_coordinator_serve(&srv, c, &so, diag)) != 0)
		status = fail("serve", rc, diag);
	else {
		printf("coordinator API on %s\n", bpci_server_url(srv));
		fflush(stdout);
		child = fork();
		if (child == 0)
			_exit(client_main(dir));
		if (child > 0)
			status = serve_until(srv, child);
	}
	bpci_server_free(srv);
	if (c && (rc = bpci_coordinator_shutdown(c, diag)) != 0)
		status = fail("shutdown", rc, diag);
	bpci_coordinator_free(c);
	bpci_diag_free(diag);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return status;
}
