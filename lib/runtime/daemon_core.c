/*
 * The daemon handle of a coordinator: bpci_coordinator_daemon_start(),
 * the child table, the heartbeat tick (join/heartbeat to the parent,
 * failure detection of the children) and the notify hook that routes a
 * child daemon's READY=1 here instead of to the node table.
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"
#include "runtime/daemon_handover.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

static const char *const state_names[] = {NULL, "starting", "running", "restarting",
					  "unreachable", "failed", "stopped"};

const char *bpci__dstate_name(int state)
{
	return state >= 1 && state <= BPCI__D_STATE_COUNT ? state_names[state] : "unknown";
}

uint64_t bpci__d_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void bpci__d_log(bpci__daemons *d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!d->on_log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->on_log(d->id, line, d->log_payload);
}

void bpci__d_set_state(bpci__dchild *k, int state, const char *reason)
{
	int old = k->state;

	if (old == state)
		return;
	k->state = state;
	if (k->d->on_child)
		k->d->on_child(k->id, k->remote, old ? bpci__dstate_name(old) : "new",
			       bpci__dstate_name(state), reason ? reason : "",
			       k->d->child_payload);
}

bpci__dchild *bpci__d_find(bpci__daemons *d, const char *id)
{
	size_t i;

	for (i = 0; d && id && i < d->nkids; i++)
		if (strcmp(d->kids[i]->id, id) == 0)
			return d->kids[i];
	return NULL;
}

bpci__dchild *bpci__d_find_pid(bpci__daemons *d, pid_t pid)
{
	size_t i;

	for (i = 0; d && i < d->nkids; i++)
		if (d->kids[i]->proc && bpci__proc_pid(d->kids[i]->proc) == pid)
			return d->kids[i];
	return NULL;
}

int bpci__d_add_child(bpci__dchild **out, bpci__daemons *d, const char *id)
{
	bpci__dchild *k;

	if (d->nkids == d->capkids &&
	    bpci__grow((void **)&d->kids, &d->capkids, d->nkids + 1, sizeof(*d->kids)) != 0)
		return BPCI_ENOMEM;
	k = bpci__calloc(1, sizeof(*k));
	if (!k || !(k->id = bpci__strdup(id))) {
		bpci__free(k);
		return BPCI_ENOMEM;
	}
	k->d = d;
	k->seq = d->next_seq++;
	k->rtt_ms = -1;
	k->restart = BPCI_CHILD_PERMANENT;
	bpci__backoff_init(&k->backoff);
	d->kids[d->nkids++] = k;
	*out = k;
	return 0;
}

static void child_free(bpci__dchild *k)
{
	bpci__d_probe_free(k);
	bpci__d_release(k);
	if (k->timer)
		event_free(k->timer);
	bpci_daemon_spec_free(k->spec);
	json_decref(k->report);
	bpci__free(k->id);
	bpci__free(k->last_exit);
	bpci__free(k->url);
	bpci__free(k->token);
	bpci__free(k);
}

void bpci__d_remove_child(bpci__daemons *d, bpci__dchild *k)
{
	size_t i;

	for (i = 0; i < d->nkids; i++) {
		if (d->kids[i] != k)
			continue;
		memmove(d->kids + i, d->kids + i + 1, (d->nkids - i - 1) * sizeof(*d->kids));
		d->nkids--;
		break;
	}
	child_free(k);
}

void bpci__daemons_free(bpci__daemons *d)
{
	size_t i;

	if (!d)
		return;
	bpci__d_link_free(d);
	bpci__d_reapers_free(d);
	for (i = 0; i < d->nkids; i++)
		child_free(d->kids[i]);
	bpci__free(d->kids);
	if (d->tick)
		event_free(d->tick);
	if (d->group_ev)
		event_free(d->group_ev);
	bpci__sup_window_release(&d->window);
	json_decref(d->join_fields);
	json_decref(d->tree_resp);
	bpci__free(d->id);
	bpci__free(d->url);
	bpci__free(d->token);
	bpci__free(d->parent_url);
	bpci__free(d->join_token);
	bpci__free(d->parent_id);
	bpci__free(d->program);
	bpci__free(d->dir);
	bpci__free(d->json_path);
	bpci__free(d->parent_url_file);
	bpci__free(d->escalate_reason);
	bpci__free(d);
}

int bpci__daemons_notify(bpci__daemons *d, pid_t pid, const bpci__notify_msg *msg)
{
	bpci__dchild *k = bpci__d_find_pid(d, pid);

	if (!k)
		return 0;
	if (msg->present & BPCI__NOTIFY_READY)
		bpci__d_ready(k);
	return 1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	bpci__daemons *d = arg;

	(void)fd;
	(void)what;
	bpci__d_check_children(d);
	bpci__d_probe_children(d);
	if (d->parent_url && !d->escalated)
		bpci__d_link_tick(d);
	bpci__d_tick_in(d, d->hb_ms);
}

void bpci__d_tick_in(bpci__daemons *d, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

	if (d->tick)
		evtimer_add(d->tick, &tv);
}

/* ---- bpci_coordinator_daemon_start ---- */

static int check_id(const char *id, bpci_diag *diag)
{
	bpci_daemon_spec *s = NULL;
	int rc;

	if (!id || !*id)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "a daemon id is required");
	rc = bpci_daemon_spec_new(&s);
	if (rc == 0)
		rc = bpci_daemon_spec_set(s, "id", id, diag);
	bpci_daemon_spec_free(s);
	return rc;
}

static int check_sup(const bpci_supervisor_options *o, bpci_diag *diag)
{
	if (o->version != BPCI_SUPERVISOR_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "supervisor.version",
				      "unknown supervisor options version %u, expected %u",
				      o->version, BPCI_SUPERVISOR_OPTIONS_VERSION);
	if (!bpci_supervisor_strategy_name(o->strategy))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "strategy",
				      "must be one_for_one, one_for_all or rest_for_one, got %d",
				      (int)o->strategy);
	if (o->max_seconds == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "max_seconds",
				      "must be at least 1, got 0");
	if (o->backoff_jitter_pct > 100 || o->backoff_max_ms < o->backoff_initial_ms)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "backoff",
				      "needs jitter 0..100 and max >= initial, got jitter %u, "
				      "initial %llu ms, max %llu ms", o->backoff_jitter_pct,
				      (unsigned long long)o->backoff_initial_ms,
				      (unsigned long long)o->backoff_max_ms);
	return 0;
}

static int check_opts(const bpci_daemon_options *o, bpci_diag *diag)
{
	if (!o)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "daemon options are required");
	if (o->version != BPCI_DAEMON_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown daemon options version %u, expected %u",
				      o->version, BPCI_DAEMON_OPTIONS_VERSION);
	if (!o->url || strncmp(o->url, "http", 4) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "url",
				      "this daemon's API URL is required, got '%s'",
				      o->url ? o->url : "");
	if (o->parent_url && strncmp(o->parent_url, "http://", 7) != 0 &&
	    strncmp(o->parent_url, "https://", 8) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "join",
				      "must be an http:// or https:// URL, got '%s'",
				      o->parent_url);
	return check_id(o->daemon_id, diag);
}

/* responsibilities, capacity and labels of the spec, for the join body. */
static int join_fields(bpci__daemons *d, const bpci_daemon_spec *spec)
{
	char *text = NULL;
	json_t *all;
	int rc;

	d->join_fields = json_object();
	if (!d->join_fields)
		return BPCI_ENOMEM;
	if (!spec)
		return 0;
	rc = bpci_daemon_spec_to_json(&text, spec);
	if (rc != 0)
		return rc;
	all = json_loads(text, 0, NULL);
	bpci_free(text);
	if (!all)
		return BPCI_ENOMEM;
	json_object_set(d->join_fields, "responsibilities", json_object_get(all, "responsibilities"));
	if (json_object_get(all, "capacity"))
		json_object_set(d->join_fields, "capacity", json_object_get(all, "capacity"));
	if (json_object_get(all, "labels"))
		json_object_set(d->join_fields, "labels", json_object_get(all, "labels"));
	json_decref(all);
	return 0;
}

/* PARENT_STATE/api.url when @state is PARENT_STATE/daemons/ID, else NULL. */
static char *parent_url_file(const char *state)
{
	const char *slash = strrchr(state, '/');
	size_t n;

	if (!slash || slash - state < 8)
		return NULL;
	n = (size_t)(slash - state);
	if (strncmp(slash - 8, "/daemons", 8) != 0)
		return NULL;
	return bpci__asprintf("%.*s/api.url", (int)(n - 8), state);
}

static int copy_opts(bpci__daemons *d, const bpci_daemon_options *o)
{
	const char *state = bpci_coordinator_state_dir(d->c);

	d->id = bpci__strdup(o->daemon_id);
	d->url = bpci__strdup(o->url);
	d->token = bpci__strdup(o->token ? o->token : "");
	d->parent_url = o->parent_url ? bpci__strdup(o->parent_url) : NULL;
	d->join_token = bpci__strdup(o->join_token ? o->join_token : "");
	d->program = bpci__strdup(d->c->daemon_program);
	d->dir = bpci__asprintf("%s/daemons", state);
	d->json_path = bpci__asprintf("%s/daemons.json", state);
	if (!d->id || !d->url || !d->token || (o->parent_url && !d->parent_url) ||
	    !d->join_token || !d->program || !d->dir || !d->json_path)
		return BPCI_ENOMEM;
	d->remote = o->remote != 0;
	d->hb_ms = o->heartbeat_interval_ms ? o->heartbeat_interval_ms : 1000;
	d->failover_ms = o->failover_timeout_ms ? o->failover_timeout_ms : 3000;
	d->notify_ready = o->notify_ready;
	d->on_log = o->on_log;
	d->log_payload = o->log_payload;
	d->on_child = o->on_child;
	d->child_payload = o->child_payload;
	d->backoff.initial_ms = d->sup.backoff_initial_ms;
	d->backoff.max_ms = d->sup.backoff_max_ms;
	d->backoff.factor = 2;
	d->backoff.jitter_pct = d->sup.backoff_jitter_pct;
	d->backoff.reset_after_ms = d->sup.backoff_reset_ms;
	d->link.rtt_ms = -1;
	d->parent_url_file = parent_url_file(state);
	return join_fields(d, o->spec);
}

static int setup(bpci__daemons *d, const bpci_daemon_options *o, bpci_diag *diag)
{
	int rc = copy_opts(d, o);

	if (rc != 0)
		return rc;
	if (mkdir(d->dir, 0700) != 0 && errno != EEXIST)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot create %s: %s", d->dir, strerror(errno));
	rc = bpci__sup_window_init(&d->window, d->sup.max_restarts,
				   (uint64_t)d->sup.max_seconds * 1000u);
	if (rc != 0)
		return rc;
	if (getrandom(&d->rng, sizeof(d->rng), GRND_NONBLOCK) != (ssize_t)sizeof(d->rng))
		d->rng = bpci__d_mono_ms() ^ (uint64_t)getpid();
	d->tick = evtimer_new(d->base, on_tick, d);
	if (!d->tick)
		return BPCI_ENOMEM;
	return bpci__d_load(d, diag);
}

int bpci_coordinator_daemon_start(bpci_coordinator *c, const bpci_daemon_options *opts,
				  bpci_diag *diag)
{
	static const bpci_supervisor_options sup_defaults = BPCI_SUPERVISOR_OPTIONS_INIT;
	bpci__daemons *d;
	int rc;

	if (!c)
		return BPCI_EINVAL;
	if (c->daemons)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "daemon_id",
				      "this coordinator is already daemon '%s'", c->daemons->id);
	rc = check_opts(opts, diag);
	if (rc == 0)
		rc = check_sup(opts->supervisor ? opts->supervisor : &sup_defaults, diag);
	if (rc != 0)
		return rc;
	d = bpci__calloc(1, sizeof(*d));
	if (!d)
		return BPCI_ENOMEM;
	d->c = c;
	d->base = c->base;
	d->sup = opts->supervisor ? *opts->supervisor : sup_defaults;
	d->notify_addr = bpci__notify_server_address(c->notify);
	c->daemons = d;
	rc = setup(d, opts, diag);
	if (rc != 0) {
		c->daemons = NULL;
		bpci__daemons_free(d);
		return rc;
	}
	if (!d->parent_url)
		bpci__d_send_ready(d);
	bpci__d_tick_in(d, 0);
	return 0;
}

int bpci_coordinator_daemon_escalated(const bpci_coordinator *c, const char **reason)
{
	if (!c || !c->daemons || !c->daemons->escalated)
		return 0;
	if (reason)
		*reason = c->daemons->escalate_reason ? c->daemons->escalate_reason : "";
	return 1;
}
