/*
 * The node table and the state machine: lookup, ids, transitions and the
 * event callback. Transitions are the only place that tells the outside
 * world (the callback) and that marks the state for writing.
 */
#include "runtime/coordinator_internal.h"

#include <event2/event.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

static const char *const state_names[] = {NULL,       "pending", "starting", "running",
					  "unhealthy", "stopping", "stopped", "failed"};

const char *bpci_node_state_name(bpci_node_state state)
{
	if ((int)state < 1 || (int)state > BPCI_NODE_STATE_COUNT)
		return NULL;
	return state_names[state];
}

int bpci_node_state_parse(bpci_node_state *out, const char *name)
{
	int i;

	for (i = 1; name && i <= BPCI_NODE_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (bpci_node_state)i;
			return 0;
		}
	return BPCI_EINVAL;
}

/* By id through the index: a start looks its id up among all the nodes,
 * and a scan made starting n nodes cost O(n^2) string compares. */
bpci__cnode *bpci__coord_find(bpci_coordinator *c, const char *id)
{
	uint32_t i;
	size_t k;

	if (!id)
		return NULL;
	if (!c->ids_lost) {
		i = bpci__strmap_get(&c->ids, id);
		return i == BPCI__STRMAP_NONE ? NULL : c->nodes[i];
	}
	for (k = 0; k < c->nnodes; k++)
		if (strcmp(c->nodes[k]->id, id) == 0)
			return c->nodes[k];
	return NULL;
}

void bpci__coord_table_unlink(bpci_coordinator *c, bpci__cnode *n)
{
	size_t i;

	for (i = c->nnodes; i-- > 0;)
		if (c->nodes[i] == n)
			break;
	if (i == (size_t)-1)
		return;
	bpci__strmap_del(&c->ids, n->id);
	memmove(&c->nodes[i], &c->nodes[i + 1], (c->nnodes - i - 1) * sizeof(*c->nodes));
	c->nnodes--;
	/* the nodes after it moved down one place */
	for (; i < c->nnodes && !c->ids_lost; i++)
		if (bpci__strmap_put(&c->ids, c->nodes[i]->id, (uint32_t)i) < 0)
			c->ids_lost = 1;
}

/* Newest first: notifications come mostly from nodes just (re)started,
 * so a start of n nodes does not look through all of them n times. */
bpci__cnode *bpci__coord_find_pid(bpci_coordinator *c, pid_t pid)
{
	size_t i;

	for (i = c->nnodes; i-- > 0;)
		if (c->nodes[i]->proc && bpci__proc_pid(c->nodes[i]->proc) == pid)
			return c->nodes[i];
	return NULL;
}

char *bpci__coord_new_id(bpci_coordinator *c, bpci_node_type type)
{
	unsigned long n;

	for (n = 1;; n++) {
		char *id = bpci__asprintf("%s-%lu", bpci_node_type_name(type), n);

		if (!id || !bpci__coord_find(c, id))
			return id;
		bpci__free(id);
	}
}

static uint64_t get_ms(const bpci_node_spec *spec, const char *field, uint64_t dflt)
{
	uint64_t v;

	return bpci_node_spec_get_uint(spec, field, &v) == 0 ? v : dflt;
}

static const char *get_str(const bpci_node_spec *spec, const char *field, const char *dflt)
{
	const char *v;

	return bpci_node_spec_get_string(spec, field, &v) == 0 ? v : dflt;
}

static int parse_signal(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"QUIT", SIGQUIT},
		    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"KILL", SIGKILL}};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	return SIGTERM;
}

int bpci__coord_read_settings(bpci__csettings *s, const bpci_node_spec *spec)
{
	const char *check = get_str(spec, "health.type", "notify");
	const char *policy = get_str(spec, "restart.policy", "permanent");

	memset(s, 0, sizeof(*s));
	s->check = strcmp(check, "http") == 0   ? BPCI__CHECK_HTTP
		   : strcmp(check, "tcp") == 0  ? BPCI__CHECK_TCP
		   : strcmp(check, "exec") == 0 ? BPCI__CHECK_EXEC
		   : strcmp(check, "none") == 0 ? BPCI__CHECK_NONE
						: BPCI__CHECK_NOTIFY;
	s->policy = strcmp(policy, "transient") == 0   ? BPCI__POLICY_TRANSIENT
		    : strcmp(policy, "temporary") == 0 ? BPCI__POLICY_TEMPORARY
						       : BPCI__POLICY_PERMANENT;
	s->interval_ms = get_ms(spec, "health.interval", 10000);
	if (s->interval_ms < 100)
		s->interval_ms = 100;
	s->timeout_ms = get_ms(spec, "health.timeout", 2000);
	if (s->timeout_ms == 0 || s->timeout_ms > s->interval_ms)
		s->timeout_ms = s->interval_ms;
	s->retries = (unsigned int)get_ms(spec, "health.retries", 3);
	if (s->retries == 0)
		s->retries = 1;
	s->start_timeout_ms = get_ms(spec, "health.start_timeout", 30000);
	s->stop_timeout_ms = get_ms(spec, "stop.timeout", 10000);
	s->stop_signal = parse_signal(get_str(spec, "stop.signal", "TERM"));
	s->backoff.initial_ms = get_ms(spec, "restart.backoff_initial", 100);
	s->backoff.max_ms = get_ms(spec, "restart.backoff_max", 30000);
	if (s->backoff.max_ms < s->backoff.initial_ms)
		s->backoff.max_ms = s->backoff.initial_ms;
	s->backoff.factor = 2;
	s->backoff.jitter_pct = 10;
	s->backoff.reset_after_ms = get_ms(spec, "restart.reset_after", 60000);
	s->max_restarts = (unsigned int)get_ms(spec, "restart.max_restarts", 5);
	s->period_ms = get_ms(spec, "restart.period", 60000);
	if (s->period_ms == 0)
		s->period_ms = 1;
	return 0;
}

int bpci__coord_node_add(bpci__cnode **out, bpci_coordinator *c, bpci_node_spec *spec,
			 const char *id, bpci_diag *diag)
{
	bpci__cnode *n;
	const char *name;

	*out = NULL;
	if (bpci__grow((void **)&c->nodes, &c->capnodes, c->nnodes + 1, sizeof(*c->nodes)) < 0)
		return BPCI_ENOMEM;
	n = bpci__calloc(1, sizeof(*n));
	if (!n)
		return BPCI_ENOMEM;
	n->c = c;
	n->spec = spec;
	n->state = BPCI_NODE_STATE_PENDING;
	n->last_exit_code = -1;
	n->id = bpci__strdup(id);
	name = get_str(spec, "name", NULL);
	if (name)
		n->name = bpci__strdup(name);
	bpci__coord_read_settings(&n->set, spec);
	bpci__backoff_init(&n->backoff);
	if (!n->id || (name && !n->name) ||
	    bpci__intensity_init(&n->intensity, n->set.max_restarts, n->set.period_ms) < 0) {
		n->spec = NULL; /* the caller still owns it on failure */
		bpci__coord_node_free(n);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOMEM, "", "out of memory");
	}
	n->intensity_ready = 1;
	n->seq = c->next_seq++;
	if (!c->ids_lost && bpci__strmap_put(&c->ids, n->id, (uint32_t)c->nnodes) < 0)
		c->ids_lost = 1;
	c->nodes[c->nnodes++] = n;
	*out = n;
	return 0;
}

void bpci__coord_node_free(bpci__cnode *n)
{
	if (!n)
		return;
	bpci__cprobe_cancel(n);
	if (n->timer)
		event_free(n->timer);
	if (n->hb_timer)
		event_free(n->hb_timer);
	if (n->exit_ev)
		event_free(n->exit_ev);
	bpci__logfile_free(n->log);
	bpci__proc_free(n->proc);
	if (n->intensity_ready)
		bpci__intensity_release(&n->intensity);
	bpci__coord_frag_free(n);
	bpci__coord_list_frag_free(n);
	bpci_node_spec_free(n->spec);
	bpci_node_spec_free(n->successor);
	bpci__free(n->id);
	bpci__free(n->name);
	bpci__free(n->endpoint);
	bpci__free(n->kill_reason);
	bpci__free(n->failure_reason);
	bpci__free(n->status_text);
	bpci__free(n);
}

/* RUN/ID.* go with the node (and DIR/nodes/ID.* or DIR/nodes/ID/ of nodes
 * spawned by an older coordinator); its logs stay for the post-mortem. */
static void remove_files(const bpci__cnode *n)
{
	static const char *const fmt[] = {"%s/%s.json", "%s/%s.output", "%s/%s/config.json",
					  "%s/%s/output"};
	char *path;
	size_t i;

	for (i = 0; i < 2 && n->c->run_dir; i++)
		if ((path = bpci__asprintf(fmt[i], n->c->run_dir, n->id))) {
			(void)unlink(path);
			bpci__free(path);
		}
	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++)
		if ((path = bpci__asprintf(fmt[i], n->c->nodes_dir, n->id))) {
			(void)unlink(path);
			bpci__free(path);
		}
	if ((path = bpci__asprintf("%s/%s", n->c->nodes_dir, n->id))) {
		(void)rmdir(path);
		bpci__free(path);
	}
}

void bpci__coord_node_remove(bpci_coordinator *c, bpci__cnode *n)
{
	remove_files(n);
	bpci__coord_journal_forget(c, n);
	bpci__coord_table_unlink(c, n);
	bpci__coord_node_free(n);
	bpci__coord_dirty(c);
}

void bpci__coord_set_state(bpci__cnode *n, bpci_node_state st, const char *reason)
{
	bpci_node_state old = n->state;
	bpci_node_event ev;

	n->state = st;
	bpci__coord_dirty_state(n->c, st);
	if (!n->c->on_event || old == st)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.node_id = n->id;
	ev.type = bpci_node_spec_type(n->spec);
	ev.old_state = old;
	ev.new_state = st;
	ev.reason = reason ? reason : "";
	ev.pid = n->proc ? (int)bpci__proc_pid(n->proc) : 0;
	n->c->on_event(&ev, n->c->event_payload);
}

void bpci__coord_set_failure(bpci__cnode *n, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bpci__free(n->failure_reason);
	n->failure_reason = bpci__strdup(buf);
}
