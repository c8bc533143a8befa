/*
 * DIR/daemons.json: the local child daemons, kept apart from
 * coordinator.json. Written atomically (and durably) after every change of
 * what a restarted parent needs: which children exist, their spec and
 * restart type, whether they should run, and the pid and process start
 * time of the running ones, so that a restarted parent re-adopts them
 * (pidfd) instead of starting them twice.
 *
 * {"version":1,"daemons":[{"daemon_id","restart","spec":{...},"want",
 *   "pid","start_time","port","restarts","state","url","token"}]}
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/fsutil.h"

#define STATE_VERSION 1

static json_t *entry(const bpci__dchild *k)
{
	json_t *e, *spec = NULL;
	char *text = NULL;

	if (k->spec && bpci_daemon_spec_to_json(&text, k->spec) == 0)
		spec = json_loads(text, 0, NULL);
	bpci_free(text);
	e = json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:i, s:i, s:s, s:s, s:s}",
		      "daemon_id", k->id, "restart", bpci_child_restart_name(k->restart),
		      "spec", spec ? spec : json_object(), "want", k->want,
		      "pid", (json_int_t)(k->proc ? bpci__proc_pid(k->proc) : 0),
		      "start_time", (json_int_t)(k->proc ? bpci__proc_started(k->proc) : 0),
		      "port", (int)k->port, "restarts", (int)k->restarts,
		      "state", bpci__dstate_name(k->state), "url", k->url ? k->url : "",
		      "token", k->token ? k->token : "");
	return e;
}

int bpci__d_save(bpci__daemons *d)
{
	json_t *doc = json_pack("{s:i, s:[]}", "version", STATE_VERSION, "daemons");
	json_t *arr = doc ? json_object_get(doc, "daemons") : NULL;
	char *text;
	size_t i;
	int rc;

	if (!arr) {
		json_decref(doc);
		return BPCI_ENOMEM;
	}
	for (i = 0; i < d->nkids; i++) {
		if (d->kids[i]->remote)
			continue; /* remote children join again on their own */
		if (json_array_append_new(arr, entry(d->kids[i])) != 0) {
			json_decref(doc);
			return BPCI_ENOMEM;
		}
	}
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		return BPCI_ENOMEM;
	rc = bpci__write_file_atomic(d->json_path, text, strlen(text), 0600, NULL);
	free(text);
	return rc;
}

static int bad(bpci_diag *diag, const char *path, const char *what)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "daemons",
			      "%s: %s (the file is left as it is)", path, what);
}

static int restore_spec(bpci__dchild *k, json_t *spec, bpci_diag *diag)
{
	char *text = json_dumps(spec, JSON_COMPACT);
	int rc;

	if (!text)
		return BPCI_ENOMEM;
	rc = bpci_daemon_spec_from_json(&k->spec, text, strlen(text), diag);
	free(text);
	return rc;
}

/* Re-adopt a running child, or restart per its type one that died. */
static void revive(bpci__dchild *k, long pid, uint64_t start_time, const char *state)
{
	bpci__daemons *d = k->d;

	if (pid > 0 && bpci__proc_adopt(&k->proc, (pid_t)pid, start_time, NULL) == 0) {
		if (bpci__d_watch(k, NULL) == 0) {
			k->ready = strcmp(state, "starting") != 0;
			bpci__d_set_state(k, k->ready ? BPCI__D_RUNNING : BPCI__D_STARTING,
					  k->last_exit);
			bpci__d_log(d, "child %s re-adopted (pid %ld)", k->id, pid);
			return;
		}
		bpci__d_release(k);
	}
	if (!k->want || k->restart == BPCI_CHILD_TEMPORARY) {
		bpci__d_set_state(k, strcmp(state, "failed") == 0 ? BPCI__D_FAILED
								   : BPCI__D_STOPPED, k->last_exit);
		k->want = 0;
		return;
	}
	if (pid > 0)
		k->restarts++;
	(void)bpci__d_spawn(k, NULL);
}

static int load_one(bpci__daemons *d, json_t *e, const char *path, bpci_diag *diag)
{
	const char *id = NULL, *restart = "permanent", *state = "stopped", *url = "", *token = "";
	json_t *spec = NULL;
	json_int_t pid = 0, start_time = 0;
	int want = 0, port = 0, restarts = 0, rc;
	bpci__dchild *k;

	if (json_unpack(e, "{s:s, s?s, s?o, s?b, s?I, s?I, s?i, s?i, s?s, s?s, s?s}",
			"daemon_id", &id, "restart", &restart, "spec", &spec, "want", &want,
			"pid", &pid, "start_time", &start_time, "port", &port, "restarts",
			&restarts, "state", &state, "url", &url, "token", &token) != 0)
		return bad(diag, path, "a daemon entry lacks daemon_id or has a wrong type");
	if (bpci__d_find(d, id))
		return bad(diag, path, "a daemon id appears twice");
	rc = bpci__d_add_child(&k, d, id);
	if (rc != 0)
		return rc;
	if (bpci_child_restart_parse(&k->restart, restart, diag) != 0 ||
	    (spec && restore_spec(k, spec, diag) != 0)) {
		bpci__d_remove_child(d, k);
		return bad(diag, path, "a daemon entry has a bad restart type or spec");
	}
	k->want = want;
	k->port = port > 0 && port < 65536 ? (uint16_t)port : 0;
	k->restarts = restarts > 0 ? (unsigned int)restarts : 0;
	if (*url)
		k->url = bpci__strdup(url);
	if (*token)
		k->token = bpci__strdup(token);
	revive(k, (long)pid, (uint64_t)start_time, state);
	return 0;
}

int bpci__d_load(bpci__daemons *d, bpci_diag *diag)
{
	json_error_t err;
	json_t *doc = json_load_file(d->json_path, 0, &err), *arr, *e;
	size_t i;
	int rc = 0;

	if (!doc) {
		FILE *f = fopen(d->json_path, "r");

		if (!f && errno == ENOENT)
			return 0;
		if (f)
			fclose(f);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "daemons",
				      "%s:%d:%d: %s", d->json_path, err.line, err.column, err.text);
	}
	arr = json_object_get(doc, "daemons");
	if (json_integer_value(json_object_get(doc, "version")) != STATE_VERSION ||
	    !json_is_array(arr))
		rc = bad(diag, d->json_path, "not a version 1 daemons file");
	json_array_foreach(arr, i, e) {
		if (rc != 0)
			break;
		rc = load_one(d, e, d->json_path, diag);
	}
	json_decref(doc);
	if (rc == 0)
		rc = bpci__d_save(d);
	return rc;
}
