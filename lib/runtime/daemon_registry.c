/*
 * The parent side of the links: children join (local ones spawned here,
 * remote ones started on their own with --join), send heartbeats, and are
 * watched for silence: a remote child silent for the failover timeout is
 * failed, a local one unreachable (its process is watched anyway).
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

static int parse(json_t **out, const char *body, size_t len, bpci_diag *diag)
{
	json_error_t err;

	*out = json_loadb(body ? body : "", body ? len : 0, 0, &err);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "",
				      "the body must be a JSON object: %d:%d: %s", err.line,
				      err.column, *err.text ? err.text : "not an object");
	}
	return 0;
}

/* The field @name of @o as a string, or an error naming it. */
static int need_string(const char **out, json_t *o, const char *name, bpci_diag *diag)
{
	json_t *v = json_object_get(o, name);

	*out = json_string_value(v);
	if (*out && **out)
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, name,
			      "must be a non-empty string");
}

static int replace(char **field, const char *value)
{
	char *copy = bpci__strdup(value ? value : "");

	if (!copy)
		return BPCI_ENOMEM;
	bpci__free(*field);
	*field = copy;
	return 0;
}

static int fresh(const bpci__daemons *d, const bpci__dchild *k)
{
	return k->joined && k->last_hb_mono &&
	       bpci__d_mono_ms() - k->last_hb_mono < d->failover_ms;
}

/* The port a local child serves on, kept for its restarts. */
static uint16_t port_of(const char *url)
{
	const char *colon = strrchr(url, ':');
	long p = colon ? strtol(colon + 1, NULL, 10) : 0;

	return p > 0 && p < 65536 ? (uint16_t)p : 0;
}

static int check_join(bpci__daemons *d, bpci__dchild *k, const char *id, const char *url,
		      long pid, bpci_diag *diag)
{
	if (strcmp(id, d->id) == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "'%s' is this daemon's own id", id);
	if (!k || !fresh(d, k))
		return 0;
	if (k->proc && bpci__proc_pid(k->proc) == (pid_t)pid)
		return 0; /* our own child, joining again */
	if (k->pid_reported != pid || !k->url || strcmp(k->url, url) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "daemon_id",
				      "daemon '%s' is alive at %s (pid %ld): another daemon "
				      "cannot join under its id", id, k->url ? k->url : "?",
				      k->pid_reported);
	return 0;
}

static int register_join(bpci__daemons *d, json_t *b, bpci__dchild **out, bpci_diag *diag)
{
	const char *id, *url, *token = json_string_value(json_object_get(b, "token"));
	long pid = (long)json_integer_value(json_object_get(b, "pid"));
	bpci__dchild *k;
	int rc;

	if ((rc = need_string(&id, b, "daemon_id", diag)) != 0 ||
	    (rc = need_string(&url, b, "url", diag)) != 0)
		return rc;
	k = bpci__d_find(d, id);
	if ((rc = check_join(d, k, id, url, pid, diag)) != 0)
		return rc;
	if (!k) {
		rc = bpci__d_add_child(&k, d, id);
		if (rc != 0)
			return rc;
		k->remote = 1;
		k->restart = BPCI_CHILD_TEMPORARY;
	}
	if (replace(&k->url, url) != 0 || replace(&k->token, token) != 0)
		return BPCI_ENOMEM;
	k->pid_reported = pid;
	k->joined = 1;
	k->last_hb_mono = bpci__d_mono_ms();
	if (k->remote)
		bpci__d_set_state(k, BPCI__D_RUNNING, k->last_exit);
	else if (k->state == BPCI__D_UNREACHABLE)
		bpci__d_set_state(k, k->ready ? BPCI__D_RUNNING : BPCI__D_STARTING, k->last_exit);
	if (!k->remote && k->proc && bpci__proc_pid(k->proc) == (pid_t)pid)
		k->port = port_of(url);
	*out = k;
	return 0;
}

int bpci_coordinator_daemon_join(char **reply_json, bpci_coordinator *c, const char *body,
				 size_t len, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k = NULL;
	json_t *b = NULL, *r;
	int rc;

	if (!d)
		return BPCI_EINVAL;
	if ((rc = parse(&b, body, len, diag)) != 0)
		return rc;
	rc = register_join(d, b, &k, diag);
	json_decref(b);
	if (rc != 0)
		return rc;
	bpci__d_log(d, "%s child %s joined from %s", k->remote ? "remote" : "local", k->id,
		    k->url);
	if (!k->remote)
		(void)bpci__d_save(d);
	r = json_pack("{s:s, s:I, s:I}", "parent_id", d->id, "heartbeat_interval_ms",
		      (json_int_t)d->hb_ms, "failover_timeout_ms", (json_int_t)d->failover_ms);
	/* A daemon is started without its spec on the command line: it
	 * learns what it is responsible for (health_monitoring...) here. */
	if (r)
		bpci__d_reply_responsibilities(d, k, r);
	*reply_json = r ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(r);
	return *reply_json ? 0 : BPCI_ENOMEM;
}

static void take_report(bpci__dchild *k, json_t *b)
{
	json_t *rep = json_object();

	if (!rep)
		return;
	json_object_set(rep, "nodes", json_object_get(b, "nodes"));
	json_object_set(rep, "node_ids", json_object_get(b, "node_ids"));
	json_object_set(rep, "load", json_object_get(b, "load"));
	json_object_set(rep, "children", json_object_get(b, "children"));
	json_decref(k->report);
	k->report = rep;
}

int bpci_coordinator_daemon_heartbeat(char **reply_json, bpci_coordinator *c, const char *body,
				      size_t len, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k;
	const char *id, *url = NULL;
	json_t *b = NULL, *r;
	json_int_t seq, rtt;
	int rc;

	if (!d)
		return BPCI_EINVAL;
	if ((rc = parse(&b, body, len, diag)) != 0)
		return rc;
	if ((rc = need_string(&id, b, "daemon_id", diag)) != 0) {
		json_decref(b);
		return rc;
	}
	k = bpci__d_find(d, id);
	if (!k || !k->joined) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				    "daemon '%s' has not joined '%s': join first", id, d->id);
		json_decref(b);
		return rc;
	}
	seq = json_integer_value(json_object_get(b, "seq"));
	rtt = json_is_integer(json_object_get(b, "rtt_ms"))
		      ? json_integer_value(json_object_get(b, "rtt_ms")) : -1;
	url = json_string_value(json_object_get(b, "url"));
	if (url && *url)
		(void)replace(&k->url, url);
	k->seq_seen = (uint64_t)seq;
	k->rtt_ms = rtt;
	k->heartbeats++;
	k->last_hb_mono = bpci__d_mono_ms();
	if (k->state == BPCI__D_UNREACHABLE || (k->remote && k->state == BPCI__D_FAILED)) {
		bpci__d_log(d, "child %s heard from again", k->id);
		bpci__d_set_state(k, k->remote || k->ready ? BPCI__D_RUNNING : BPCI__D_STARTING,
				  k->last_exit);
	}
	take_report(k, b);
	json_decref(b);
	r = json_pack("{s:I}", "seq", seq);
	if (r)
		bpci__d_reply_responsibilities(d, k, r);
	*reply_json = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	return *reply_json ? 0 : BPCI_ENOMEM;
}

int bpci_coordinator_daemon_escalation(bpci_coordinator *c, const char *body, size_t len,
				       bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	const char *id, *child = "", *reason = "";
	bpci__dchild *k;
	json_t *b = NULL;
	int rc;

	if (!d)
		return BPCI_EINVAL;
	if ((rc = parse(&b, body, len, diag)) != 0)
		return rc;
	rc = need_string(&id, b, "daemon_id", diag);
	if (rc == 0) {
		if (json_is_string(json_object_get(b, "child_id")))
			child = json_string_value(json_object_get(b, "child_id"));
		if (json_is_string(json_object_get(b, "reason")))
			reason = json_string_value(json_object_get(b, "reason"));
		bpci__d_log(d, "child %s escalates (its child %s): %s", id, child, reason);
		k = bpci__d_find(d, id);
		if (k) {
			char *text = bpci__asprintf("escalated: child %s: %s", child, reason);

			if (text) {
				bpci__free(k->last_exit);
				k->last_exit = text;
			}
		}
	}
	json_decref(b);
	return rc;
}

void bpci__d_check_children(bpci__daemons *d)
{
	uint64_t now = bpci__d_mono_ms();
	size_t i;

	for (i = 0; i < d->nkids; i++) {
		bpci__dchild *k = d->kids[i];
		uint64_t age;

		if (!k->joined || !k->last_hb_mono)
			continue;
		age = now - k->last_hb_mono;
		if (age > d->hb_ms + d->hb_ms / 2 && k->state == BPCI__D_RUNNING)
			k->errors++; /* a heartbeat is overdue */
		if (age < d->failover_ms)
			continue;
		if (k->remote && k->state != BPCI__D_FAILED) {
			char *why = bpci__asprintf("no heartbeat for %llu ms",
						   (unsigned long long)age);

			if (why) {
				bpci__free(k->last_exit);
				k->last_exit = why;
			}
			bpci__d_set_state(k, BPCI__D_FAILED, k->last_exit);
			bpci__d_log(d, "remote child %s failed: no heartbeat for %llu ms", k->id,
				    (unsigned long long)age);
		} else if (!k->remote && k->state == BPCI__D_RUNNING) {
			bpci__d_set_state(k, BPCI__D_UNREACHABLE, k->last_exit);
			bpci__d_log(d, "child %s unreachable: no heartbeat for %llu ms", k->id,
				    (unsigned long long)age);
		}
	}
}
