/*
 * Handing a running local child daemon to another parent
 * (daemon_handover.h): handover, adopt, release.
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"
#include "runtime/daemon_handover.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

static char *dump(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL, *out;

	json_decref(j);
	out = text ? bpci__strdup(text) : NULL;
	free(text);
	return out;
}

/* STATE/daemons/ID resolved (it may be a link made by an adoption). */
static char *real_dir(const bpci__daemons *d, const char *id)
{
	char *path = bpci__asprintf("%s/%s", d->dir, id), *out = NULL;
	char buf[PATH_MAX];

	if (path && realpath(path, buf))
		out = bpci__strdup(buf);
	bpci__free(path);
	return out;
}

int bpci__coordinator_daemon_handover(char **out, bpci_coordinator *c, const char *id,
				      bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k = d ? bpci__d_find(d, id) : NULL;
	char *spec = NULL, *dir;
	json_t *j;

	*out = NULL;
	if (!d)
		return BPCI_EINVAL;
	if (!k || k->remote)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "'%s' is no local child daemon of '%s'", id ? id : "",
				      d->id);
	if (!k->proc || k->stopping || k->pending_start || k->state != BPCI__D_RUNNING)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "daemon_id",
				      "child daemon '%s' is %s, not running: it can be handed "
				      "over once it runs", id, bpci__dstate_name(k->state));
	if (!(dir = real_dir(d, id)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "the state directory %s/%s of '%s' cannot be resolved",
				      d->dir, id, id);
	if (k->spec && bpci_daemon_spec_to_json(&spec, k->spec) != 0) {
		bpci__free(dir);
		return BPCI_ENOMEM;
	}
	j = json_pack("{s:s, s:I, s:I, s:i, s:s, s:s, s:i, s:o, s:s, s:s}", "daemon_id", id,
		      "pid", (json_int_t)bpci__proc_pid(k->proc), "start_time",
		      (json_int_t)bpci__proc_started(k->proc), "port", (int)k->port, "state_dir",
		      dir, "restart", bpci_child_restart_name(k->restart), "restarts",
		      (int)k->restarts, "spec", spec ? json_loads(spec, 0, NULL) : json_object(),
		      "url", k->url ? k->url : "", "token", k->token ? k->token : "");
	bpci_free(spec);
	bpci__free(dir);
	*out = dump(j);
	return *out ? 0 : BPCI_ENOMEM;
}

/* ---- adopt ---- */

typedef struct record {
	const char *id, *dir, *restart, *url, *token;
	json_int_t pid, start_time;
	int port, restarts;
	json_t *spec;
} record;

static int bad_field(bpci_diag *diag, const char *field, const char *what)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field, "%s", what);
}

static int read_record(record *r, json_t *j, bpci_diag *diag)
{
	memset(r, 0, sizeof(*r));
	r->restart = "permanent";
	r->url = r->token = "";
	if (json_unpack(j, "{s:s, s:I, s:I, s:s, s?i, s?s, s?i, s?o, s?s, s?s}", "daemon_id",
			&r->id, "pid", &r->pid, "start_time", &r->start_time, "state_dir",
			&r->dir, "port", &r->port, "restart", &r->restart, "restarts",
			&r->restarts, "spec", &r->spec, "url", &r->url, "token", &r->token) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "adopt",
				      "must hold daemon_id and state_dir (strings), pid and "
				      "start_time (integers), as GET /api/daemons/ID gives");
	if (!*r->id)
		return bad_field(diag, "adopt.daemon_id", "must be a non-empty string");
	if (r->pid <= 0 || r->pid > INT_MAX)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "adopt.pid",
				      "must be a process id 1..%d, got %lld", INT_MAX,
				      (long long)r->pid);
	if (r->start_time <= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "adopt.start_time",
				      "must be the process start time (clock ticks since boot, "
				      "> 0), got %lld", (long long)r->start_time);
	if (r->dir[0] != '/')
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "adopt.state_dir",
				      "must be an absolute path, got \"%s\"", r->dir);
	if (r->port < 0 || r->port > 65535)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "adopt.port",
				      "must be 0..65535, got %d", r->port);
	if (r->spec && !json_is_object(r->spec))
		return bad_field(diag, "adopt.spec", "must be a daemon spec object");
	return 0;
}

/* Point STATE/daemons/ID at @dir unless it is that directory already. A
 * directory left there by an earlier daemon of that id is kept aside. */
static int link_dir(bpci__daemons *d, const char *id, const char *dir, bpci_diag *diag)
{
	char *path = bpci__asprintf("%s/%s", d->dir, id), *aside = NULL;
	char here[PATH_MAX], there[PATH_MAX];
	struct stat st;
	int rc = 0;

	if (!path)
		return BPCI_ENOMEM;
	if (!realpath(dir, there)) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "adopt.state_dir",
				    "%s: %s", dir, strerror(errno));
	} else if (realpath(path, here) && strcmp(here, there) == 0) {
		rc = 0;
	} else if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (unlink(path) != 0)
			rc = BPCI_EIO;
	} else if (lstat(path, &st) == 0) {
		aside = bpci__asprintf("%s.replaced-%lld", path, (long long)time(NULL));
		if (!aside)
			rc = BPCI_ENOMEM;
		else if (rename(path, aside) != 0)
			rc = BPCI_EIO;
		else
			bpci__d_log(d, "kept the old %s as %s", path, aside);
	}
	if (rc == 0 && (!realpath(path, here) || strcmp(here, there) != 0) &&
	    symlink(there, path) != 0)
		rc = BPCI_EIO;
	if (rc == BPCI_EIO)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "adopt.state_dir",
				    "cannot link %s to %s: %s", path, there, strerror(errno));
	bpci__free(aside);
	bpci__free(path);
	return rc;
}

static int fill(bpci__dchild *k, const record *r, bpci_diag *diag)
{
	char *text;
	int rc = bpci_child_restart_parse(&k->restart, r->restart, diag);

	if (rc == 0 && r->spec) {
		text = json_dumps(r->spec, JSON_COMPACT);
		rc = text ? bpci_daemon_spec_from_json(&k->spec, text, strlen(text), diag)
			  : BPCI_ENOMEM;
		free(text);
	}
	if (rc == 0 && (!(k->url = bpci__strdup(r->url)) || !(k->token = bpci__strdup(r->token))))
		rc = BPCI_ENOMEM;
	k->port = (uint16_t)r->port;
	k->restarts = r->restarts > 0 ? (unsigned int)r->restarts : 0;
	return rc;
}

static int adopted_reply(char **reply, bpci__daemons *d, const char *id)
{
	char *file = bpci__asprintf("%s/api.url", bpci_coordinator_state_dir(d->c));

	*reply = file ? dump(json_pack("{s:s, s:s}", "daemon_id", id, "parent_url_file", file))
		      : NULL;
	bpci__free(file);
	return *reply ? 0 : BPCI_ENOMEM;
}

/* The same process adopted before: nothing to do. */
static int same_process(const bpci__dchild *k, const record *r)
{
	return !k->remote && k->proc && bpci__proc_pid(k->proc) == (pid_t)r->pid &&
	       bpci__proc_started(k->proc) == (uint64_t)r->start_time;
}

static int take(bpci__daemons *d, const record *r, bpci_diag *diag)
{
	bpci__proc *proc = NULL;
	bpci__dchild *k;
	int rc = bpci__proc_adopt(&proc, (pid_t)r->pid, (uint64_t)r->start_time, NULL);

	if (rc == BPCI_ENOTFOUND)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "adopt.pid",
				      "daemon '%s' (pid %lld) does not run any more (or its pid "
				      "belongs to another process now): nothing to adopt", r->id,
				      (long long)r->pid);
	if (rc == 0)
		rc = link_dir(d, r->id, r->dir, diag);
	if (rc == 0)
		rc = bpci__d_add_child(&k, d, r->id);
	if (rc != 0) {
		bpci__proc_free(proc);
		return rc;
	}
	k->proc = proc;
	rc = fill(k, r, diag);
	if (rc == 0)
		rc = bpci__d_watch(k, diag);
	if (rc != 0) {
		bpci__d_remove_child(d, k);
		return rc;
	}
	k->want = 1;
	k->ready = 1;
	bpci__backoff_started(&k->backoff, bpci__d_mono_ms());
	bpci__d_set_state(k, BPCI__D_RUNNING, k->last_exit);
	bpci__d_log(d, "child %s adopted from another parent (pid %lld)", r->id,
		    (long long)r->pid);
	return bpci__d_save(d);
}

int bpci__coordinator_daemon_adopt(char **reply, bpci_coordinator *c, const char *body,
				   size_t len, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	json_error_t err;
	json_t *j;
	bpci__dchild *k;
	record r;
	int rc;

	*reply = NULL;
	if (!d)
		return BPCI_EINVAL;
	j = json_loadb(body ? body : "", body ? len : 0, 0, &err);
	if (!json_is_object(j)) {
		json_decref(j);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "adopt",
				      "must be a JSON object (a handover record): %d:%d: %s",
				      err.line, err.column, *err.text ? err.text : "not an object");
	}
	rc = read_record(&r, j, diag);
	k = rc == 0 ? bpci__d_find(d, r.id) : NULL;
	if (rc == 0 && strcmp(r.id, d->id) == 0)
		rc = bad_field(diag, "adopt.daemon_id", "is this daemon's own id");
	else if (rc == 0 && k && !same_process(k, &r))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "adopt.daemon_id",
				    "'%s' is already a child daemon of '%s' (pid %ld)", r.id, d->id,
				    k->proc ? (long)bpci__proc_pid(k->proc) : k->pid_reported);
	else if (rc == 0 && !k && d->stopping_all)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "adopt",
				    "daemon '%s' is shutting down", d->id);
	else if (rc == 0 && !k)
		rc = take(d, &r, diag);
	if (rc == 0)
		rc = adopted_reply(reply, d, r.id);
	json_decref(j);
	return rc;
}

/* ---- release ---- */

struct bpci__reaper {
	bpci__daemons *d;
	bpci__proc *proc;
	struct event *ev;
	struct bpci__reaper *next;
};

static void reaper_free(struct bpci__reaper *r)
{
	if (r->ev)
		event_free(r->ev);
	bpci__proc_free(r->proc);
	bpci__free(r);
}

static void on_released_exit(evutil_socket_t fd, short what, void *arg)
{
	struct bpci__reaper *r = arg, **at;
	int status = 0;

	(void)fd;
	(void)what;
	if (bpci__proc_reap(r->proc, &status) == 0) {
		event_add(r->ev, NULL);
		return;
	}
	for (at = &r->d->reapers; *at && *at != r; at = &(*at)->next)
		;
	if (*at)
		*at = r->next;
	reaper_free(r);
}

/* Keep reaping @k's process (our own child) after it is forgotten. */
static void keep_reaping(bpci__daemons *d, bpci__dchild *k)
{
	struct bpci__reaper *r;

	if (!k->proc || !bpci__proc_is_child(k->proc) || !(r = bpci__calloc(1, sizeof(*r))))
		return;
	r->d = d;
	r->ev = event_new(d->base, bpci__proc_fd(k->proc), EV_READ, on_released_exit, r);
	if (!r->ev || event_add(r->ev, NULL) < 0) {
		if (r->ev)
			event_free(r->ev);
		bpci__free(r);
		return;
	}
	if (k->exit_ev) {
		event_free(k->exit_ev);
		k->exit_ev = NULL;
	}
	r->proc = k->proc;
	k->proc = NULL;
	r->next = d->reapers;
	d->reapers = r;
}

void bpci__d_reapers_free(bpci__daemons *d)
{
	while (d && d->reapers) {
		struct bpci__reaper *r = d->reapers;

		d->reapers = r->next;
		reaper_free(r);
	}
}

int bpci__coordinator_daemon_release(bpci_coordinator *c, const char *id, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k = d ? bpci__d_find(d, id) : NULL;
	char *path;
	struct stat st;

	if (!d)
		return BPCI_EINVAL;
	if (!k)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "'%s' is no child daemon of '%s'", id ? id : "", d->id);
	if (k->remote)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "'%s' is a remote child: it only joined, there is nothing "
				      "to release", id);
	/* Our link to a directory that lives elsewhere goes; a directory of
	 * our own stays (the daemon runs in it). */
	path = bpci__asprintf("%s/%s", d->dir, id);
	if (path && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		(void)unlink(path);
	bpci__free(path);
	bpci__d_log(d, "child %s released to another parent (pid %ld)", id,
		    k->proc ? (long)bpci__proc_pid(k->proc) : 0L);
	keep_reaping(d, k);
	bpci__d_remove_child(d, k);
	return bpci__d_save(d);
}
