/*
 * Supervise one node with the coordinator: start it, show its status,
 * stop it, shut down. Runs with no arguments and cleans up after itself.
 *
 *   cc coordinator.c $(pkg-config --cflags --libs bpci)
 */
#define _XOPEN_SOURCE 700
#include <bpci.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int fail(const char *what, int rc, const bpci_diag *diag)
{
	fprintf(stderr, "%s: %s: %s\n", what, bpci_strerror(rc), bpci_diag_last_text(diag));
	return 1;
}

static int run(const char *dir, bpci_diag *diag)
{
	bpci_coordinator_options opts = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_node_spec *spec = NULL;
	bpci_node_status *st = NULL;
	bpci_node_state state;
	char *id = NULL, *json = NULL;
	int rc, status = 1;

	opts.state_dir = dir;
	if ((rc = bpci_coordinator_new(&c, &opts, diag)) < 0)
		return fail("coordinator", rc, diag);
	if ((rc = bpci_node_spec_new(&spec, BPCI_NODE_LOGBOOK)) < 0 ||
	    (rc = bpci_node_spec_set(spec, "logbook_type", "transaction", diag)) < 0 ||
	    (rc = bpci_node_spec_set(spec, "command", "/bin/sh -c 'exec sleep 30'", diag)) < 0 ||
	    (rc = bpci_node_spec_set(spec, "health.type", "none", diag)) < 0 ||
	    (rc = bpci_node_spec_set(spec, "stop.timeout", "2s", diag)) < 0) {
		fail("spec", rc, diag);
		goto out;
	}
	if ((rc = bpci_coordinator_start_node(&id, c, spec, NULL, diag)) < 0) {
		fail("start_node", rc, diag);
		goto out;
	}
	rc = bpci_coordinator_wait_node(&state, c, id,
					BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING), 5000, diag);
	if (rc != 0) {
		fprintf(stderr, "node %s is %s, not running\n", id, bpci_node_state_name(state));
		goto out;
	}
	if ((rc = bpci_coordinator_get_node(&st, c, id, diag)) < 0 ||
	    (rc = bpci_node_status_to_json(&json, st)) < 0) {
		fail("status", rc, diag);
		goto out;
	}
	printf("node %s: %s, pid %d, endpoint %s\n%s\n", st->id,
	       bpci_node_state_name(st->state), st->pid, st->endpoint, json);
	if ((rc = bpci_coordinator_stop_node(c, id, diag)) < 0) {
		fail("stop_node", rc, diag);
		goto out;
	}
	printf("node %s stopped\n", id);
	status = 0;
out:
	if ((rc = bpci_coordinator_shutdown(c, diag)) < 0)
		status = fail("shutdown", rc, diag);
	bpci_free(json);
	bpci_node_status_free(st);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_coordinator_free(c);
	return status;
}

int main(void)
{
	char dir[] = "/tmp/bpci-coordinator-example-XXXXXX";
	bpci_diag *diag = NULL;
	int status;

	if (!mkdtemp(dir) || bpci_diag_new(&diag) < 0) {
		perror("setup");
		return 1;
	}
	status = run(dir, diag);
	bpci_diag_free(diag);
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		perror("remove state directory");
		status = 1;
	}
	return status;
}
