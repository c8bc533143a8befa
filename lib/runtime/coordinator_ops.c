/*
 * The public operations on nodes: start, start with retry, stop, restart,
 * wait, shutdown, logs.
 *
 * Operations that wait (stop, restart, shutdown, wait, the retry delays)
 * run the coordinator's loop while they do, so every other node stays
 * supervised. Called from inside the loop (an event callback, an HTTP
 * handler attached to the loop) they cannot run it again: stop and
 * restart then only start the work and return, the rest happens on the
 * loop; shutdown and wait refuse with BPCI_EBUSY.
 */
#include "runtime/coordinator_internal.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/port.h"

/* (libevent's event_base_get_running_event() dereferences NULL when
 * called outside the loop in 2.1, so we count our own entries.) */
static int in_loop(bpci_coordinator *c)
{
	return c->loop_depth > 0;
}

/* The port of "scheme://host:port/..."; the scheme's default without one. */
static uint16_t url_port(const char *url)
{
	const char *p = strstr(url, "://"), *end, *colon;
	unsigned long v;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		p = rb ? rb : p;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return strncmp(url, "https", 5) == 0 ? 443 : 80;
	v = strtoul(colon + 1, NULL, 10);
	return v <= 65535 ? (uint16_t)v : 0;
}

/* A port nobody holds right now, test-bound just before it is handed out. */
/* 1 when a node of @c has @port already (its process may not have bound
 * it yet, so the kernel could hand it out again). */
static int port_taken(const bpci_coordinator *c, uint16_t port)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i]->port == port)
			return 1;
	return 0;
}

/* A port the kernel has free now (bind to port 0) that no node of ours
 * was given: with a thousand nodes, ephemeral picks repeat. */
static int pick_port(const bpci_coordinator *c, uint16_t *port, bpci_diag *diag)
{
	int tries, rc;

	for (tries = 0; tries < 64; tries++) {
		rc = bpci__port_free_tcp(NULL, port, diag);
		if (rc < 0)
			return rc;
		if (!port_taken(c, *port))
			return 0;
	}
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "endpoint",
			      "no free TCP port found on 127.0.0.1");
}

static int choose_endpoint(char **out, uint16_t *port, const bpci_coordinator *c,
			   const bpci_node_spec *spec, const char *endpoint, bpci_diag *diag)
{
	bpci_node_spec *probe = NULL;
	const char *given = endpoint;
	int rc;

	if (!given && bpci_node_spec_get_string(spec, "endpoint", &given) < 0)
		given = NULL;
	if (given) {
		/* the node model's URL rules, with its messages */
		rc = bpci_node_spec_dup(&probe, spec);
		if (rc == 0)
			rc = bpci_node_spec_set(probe, "endpoint", given, diag);
		bpci_node_spec_free(probe);
		if (rc < 0)
			return rc == BPCI_ENOTFOUND ? BPCI_EINVAL : rc;
		*port = url_port(given);
		*out = bpci__strdup(given);
		return *out ? 0 : BPCI_ENOMEM;
	}
	rc = pick_port(c, port, diag);
	if (rc < 0)
		return rc;
	*out = bpci__asprintf("http://127.0.0.1:%u", (unsigned int)*port);
	return *out ? 0 : BPCI_ENOMEM;
}

static int new_node(bpci__cnode **out, bpci_coordinator *c, const bpci_node_spec *spec,
		    const char *endpoint, const char *want_id, bpci_diag *diag)
{
	bpci_node_spec *copy = NULL;
	const char *given = NULL;
	char *id = NULL, *ep = NULL;
	uint16_t port = 0;
	int rc;

	*out = NULL;
	if (!spec)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "", "no spec given");
	rc = bpci_node_spec_validate(spec, 0, diag);
	if (rc < 0)
		return BPCI_EINVAL;
	if (want_id)
		given = want_id;
	else if (bpci_node_spec_get_string(spec, "id", &given) < 0)
		given = NULL;
	if (given) {
		if (bpci__coord_find(c, given))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
					      "a node with id \"%s\" already exists", given);
		id = bpci__strdup(given);
	} else {
		id = bpci__coord_new_id(c, bpci_node_spec_type(spec));
	}
	if (!id)
		return BPCI_ENOMEM;
	rc = choose_endpoint(&ep, &port, c, spec, endpoint, diag);
	if (rc == 0)
		rc = bpci_node_spec_dup(&copy, spec);
	if (rc == 0) {
		rc = bpci__coord_node_add(out, c, copy, id, diag);
		if (rc < 0)
			bpci_node_spec_free(copy);
	}
	if (rc == 0) {
		(*out)->endpoint = ep;
		(*out)->port = port;
		ep = NULL;
	}
	bpci__free(id);
	bpci__free(ep);
	return rc;
}

/* Undo a node whose start cannot be acknowledged. */
void bpci__coord_discard(bpci__cnode *n)
{
	int st;

	if (n->proc) {
		(void)bpci__proc_signal_group(n->proc, SIGKILL);
		(void)bpci__proc_wait(n->proc, 5000, &st);
	}
	bpci__coord_node_remove(n->c, n);
}

static int start_node(char **node_id, bpci_coordinator *c, const bpci_node_spec *spec,
		      const char *endpoint, int from_config, const char *want_id,
		      bpci_diag *diag)
{
	bpci__cnode *n;
	char *id_copy = NULL;
	int rc, src;

	if (node_id)
		*node_id = NULL;
	rc = new_node(&n, c, spec, endpoint, want_id, diag);
	if (rc < 0)
		return rc;
	n->from_config = from_config;
	/* the id goes out only with a started node: copy it before starting */
	if (node_id && !(id_copy = bpci__strdup(n->id))) {
		bpci__coord_node_remove(c, n);
		return BPCI_ENOMEM;
	}
	/* one durable write acknowledges the start, the spawn's included */
	bpci__coord_batch_begin(c);
	rc = src = bpci__coord_spawn(n, diag);
	if (rc == BPCI_ENOTFOUND) {
		bpci__coord_spawn_failed(n, rc, n->failure_reason ? n->failure_reason : "");
	} else if (rc < 0) {
		bpci__coord_discard(n);
		(void)bpci__coord_batch_end(c, NULL);
		bpci__free(id_copy);
		return rc;
	}
	rc = bpci__coord_batch_end(c, diag);
	if (rc < 0) {
		bpci__coord_discard(n);
		bpci__free(id_copy);
		return rc;
	}
	if (node_id)
		*node_id = id_copy;
	return src;
}

/* Finish the oldest spawn in flight, as start_node would have. */
static int finish_oldest(bpci_coordinator *c, bpci_diag *diag)
{
	bpci__cnode *n = c->inflight[0];
	int rc;

	memmove(c->inflight, c->inflight + 1, --c->ninflight * sizeof(*c->inflight));
	rc = bpci__coord_spawn_end(n, diag);
	if (rc == BPCI_ENOTFOUND)
		bpci__coord_spawn_failed(n, rc, n->failure_reason ? n->failure_reason : "");
	else if (rc < 0)
		bpci__coord_discard(n);
	else
		c->recent[c->nrecent++ % BPCI__COORD_RECENT] = bpci__proc_pid(n->proc);
	return rc;
}

/* Starts between two journal writes of a reload. */
#define JOURNAL_EVERY 200

/* Whether @pid is one of the last BPCI__COORD_RECENT processes a reload
 * spawned: a small array is all each call looks at; the datagrams of any
 * other process wait for bpci__coord_start_done. */
static int started_lately(pid_t pid, void *arg)
{
	const bpci_coordinator *c = arg;
	size_t i, n = c->nrecent < BPCI__COORD_RECENT ? c->nrecent : BPCI__COORD_RECENT;

	for (i = 0; i < n; i++)
		if (c->recent[i] == pid)
			return 1;
	return 0;
}

/* Finish every spawn in flight; the first error. */
int bpci__coord_start_flush(bpci_coordinator *c, bpci_diag *diag)
{
	int rc = 0, r;

	while (c->ninflight) {
		r = finish_oldest(c, diag);
		rc = rc < 0 ? rc : r;
	}
	return rc;
}

int bpci__coord_start_done(bpci_coordinator *c, bpci_diag *diag)
{
	int rc = bpci__coord_start_flush(c, diag);

	c->nrecent = 0;
	c->pipelined = 0; /* the batch's end writes the journal */
	bpci__notify_server_hold(c->notify, 0);
#ifdef __GLIBC__
	/* A reload of many nodes frees a lot: the parsed configuration, the
	 * held notifications, the spawns' plans. glibc keeps freed pages
	 * resident; give them back (the coordinator's RSS is a target). */
	(void)malloc_trim(0);
#endif
	return rc;
}

/*
 * A start of reload's: the node's process is created by the spawner's
 * workers while this thread finishes older nodes (pidfd, watches, state,
 * journal) and prepares the next ones. Up to BPCI__COORD_PIPELINE spawns
 * are in flight, so both workers always have work and spawning and the
 * coordinator's own work per node overlap. Returns this node's error when
 * it failed to begin, else that of the node finished to make room. The
 * caller is inside a batch and calls bpci__coord_start_flush before
 * anything else may look at the nodes, and bpci__coord_start_done at the
 * end. Notifications are drained into memory meanwhile (the nodes send
 * READY=1 while the loop does not run, and the socket's queue is short:
 * bpci__notify_server_hold); those of nodes just spawned are handled at
 * once, the rest by bpci__coord_start_done.
 */
int bpci__coord_start_pipelined(bpci_coordinator *c, const bpci_node_spec *spec,
				int from_config, char **node_id, bpci_diag *diag)
{
	bpci__cnode *n;
	int rc = new_node(&n, c, spec, NULL, NULL, diag), prev = 0;

	if (rc < 0)
		return rc;
	if (node_id && !(*node_id = bpci__strdup(n->id))) {
		bpci__coord_node_remove(c, n);
		return BPCI_ENOMEM;
	}
	n->from_config = from_config;
	bpci__notify_server_hold(c->notify, 1);
	/* The journal is written as the starts go, not all at the end: the
	 * reload's one write of a thousand nodes was the longest stretch after
	 * the last spawn, while this thread mostly waits for the spawner. The
	 * write at the batch's end makes the rest durable; this one may fail
	 * quietly, that one reports. */
	if (++c->pipelined == JOURNAL_EVERY) {
		c->pipelined = 0;
		(void)bpci__coord_journal_flush(c, NULL);
	}
	rc = bpci__coord_spawn_begin(n, diag);
	if (c->ninflight == BPCI__COORD_PIPELINE)
		prev = finish_oldest(c, diag);
	bpci__notify_server_drain(c->notify);
	/* the READY=1 of nodes already spawned are handled now, while the
	 * spawner works, and not all at the end */
	bpci__notify_server_release(c->notify, started_lately, c);
	if (rc == BPCI_ENOTFOUND)
		bpci__coord_spawn_failed(n, rc, n->failure_reason ? n->failure_reason : "");
	else if (rc < 0)
		bpci__coord_discard(n);
	else
		c->inflight[c->ninflight++] = n;
	return rc < 0 ? rc : prev;
}

int bpci__coord_start(char **node_id, bpci_coordinator *c, const bpci_node_spec *spec,
		      int from_config, const char *id, bpci_diag *diag)
{
	return start_node(node_id, c, spec, NULL, from_config, id, diag);
}

int bpci_coordinator_start_node(char **node_id, bpci_coordinator *c,
				const bpci_node_spec *spec, const char *endpoint, bpci_diag *diag)
{
	if (!c)
		return BPCI_EINVAL;
	return start_node(node_id, c, spec, endpoint, 0, NULL, diag);
}

/* Run the loop for @ms milliseconds. */
static void run_for(bpci_coordinator *c, uint64_t ms)
{
	uint64_t end = bpci__coord_mono_ms() + ms, now;

	while ((now = bpci__coord_mono_ms()) < end)
		(void)bpci__coord_iterate(c, (int)(end - now > 60000 ? 60000 : end - now));
}

int bpci_coordinator_start_node_with_retry(char **node_id, bpci_coordinator *c,
					   const bpci_node_spec *spec, const char *endpoint,
					   unsigned int max_retries, uint64_t base_delay_ms,
					   bpci_diag *diag)
{
	unsigned int attempt;
	int rc = BPCI_EINVAL;

	if (!c)
		return rc;
	for (attempt = 0; attempt <= max_retries; attempt++) {
		rc = bpci_coordinator_start_node(node_id, c, spec, endpoint, diag);
		if (rc != BPCI_EIO && rc != BPCI_EBUSY)
			return rc;
		if (attempt == max_retries || in_loop(c))
			break;
		run_for(c, base_delay_ms << (attempt < 32 ? attempt : 32));
	}
	return rc;
}

/* Run the loop until node @id (start number @seq: a successor may take
 * the same id) is gone (@gone) or leaves @state. */
static int wait_while(bpci_coordinator *c, const char *id, uint64_t seq,
		      bpci_node_state state, int gone)
{
	bpci__cnode *n;

	while ((n = bpci__coord_find(c, id)) && n->seq == seq && (gone || n->state == state))
		if (bpci__coord_iterate(c, -1) < 0)
			return BPCI_EIO;
	return 0;
}

int bpci_coordinator_stop_node(bpci_coordinator *c, const char *id, bpci_diag *diag)
{
	bpci__cnode *n = c ? bpci__coord_find(c, id) : NULL;
	char *key;
	int rc;

	if (!n)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no node with id \"%s\"", id ? id : "(null)");
	if (!n->proc) {
		bpci__coord_disarm(n);
		bpci__coord_node_remove(c, n);
		return bpci__coord_save(c, diag);
	}
	n->remove_on_exit = 1;
	n->restart_on_exit = 0;
	if (n->state != BPCI_NODE_STATE_STOPPING) {
		bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPING, "stop requested");
		bpci__coord_signal_stop(n);
	}
	rc = bpci__coord_save(c, diag);
	if (rc < 0 || in_loop(c))
		return rc;
	key = bpci__strdup(n->id);
	if (!key)
		return BPCI_ENOMEM;
	rc = wait_while(c, key, n->seq, BPCI_NODE_STATE_STOPPING, 1);
	bpci__free(key);
	return rc < 0 ? rc : bpci__coord_save(c, diag);
}

int bpci_coordinator_restart_node(bpci_coordinator *c, const char *id, bpci_diag *diag)
{
	bpci__cnode *n = c ? bpci__coord_find(c, id) : NULL;
	char *key;
	int rc;

	if (!n)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no node with id \"%s\"", id ? id : "(null)");
	n->restarts++; /* asked for, but a restart all the same */
	c->stats.restart_requests++;
	/* a fresh restart budget */
	bpci__intensity_release(&n->intensity);
	n->intensity_ready = 0;
	if (bpci__intensity_init(&n->intensity, n->set.max_restarts, n->set.period_ms) < 0)
		return BPCI_ENOMEM;
	n->intensity_ready = 1;
	bpci__backoff_init(&n->backoff);
	n->remove_on_exit = 0;
	if (n->proc) {
		n->restart_on_exit = 1;
		if (n->state != BPCI_NODE_STATE_STOPPING) {
			bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPING, "restart requested");
			bpci__coord_signal_stop(n);
		}
		rc = bpci__coord_save(c, diag);
		if (rc < 0 || in_loop(c))
			return rc;
		key = bpci__strdup(n->id);
		if (!key)
			return BPCI_ENOMEM;
		rc = wait_while(c, key, n->seq, BPCI_NODE_STATE_STOPPING, 0);
		bpci__free(key);
		return rc;
	}
	bpci__coord_disarm(n);
	rc = bpci__coord_spawn(n, diag);
	if (rc < 0)
		bpci__coord_spawn_failed(n, rc, n->failure_reason ? n->failure_reason : "");
	if (bpci__coord_save(c, rc < 0 ? NULL : diag) < 0 && rc == 0)
		rc = BPCI_EIO;
	return rc;
}

int bpci_coordinator_wait_node(bpci_node_state *state, bpci_coordinator *c, const char *id,
			       unsigned int state_mask, int timeout_ms, bpci_diag *diag)
{
	uint64_t end = bpci__coord_mono_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	bpci__cnode *n;

	if (in_loop(c))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "",
				      "cannot wait from inside the coordinator's loop");
	for (;;) {
		uint64_t now = bpci__coord_mono_ms();

		n = bpci__coord_find(c, id);
		if (!n)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
					      "no node with id \"%s\"", id ? id : "(null)");
		if (state)
			*state = n->state;
		if (state_mask & BPCI_NODE_STATE_BIT(n->state))
			return 0;
		if (timeout_ms >= 0 && now >= end)
			return 1;
		if (bpci__coord_iterate(c, timeout_ms < 0 ? -1 : (int)(end - now)) < 0)
			return BPCI_EIO;
	}
}

int bpci_coordinator_shutdown(bpci_coordinator *c, bpci_diag *diag)
{
	size_t i;
	int rc = 0, r;

	if (!c)
		return BPCI_EINVAL;
	if (in_loop(c))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "",
				      "cannot shut down from inside the coordinator's loop");
	/* One durable write marks every node for removal, so that a
	 * coordinator killed halfway is followed by one that finishes the
	 * shutdown instead of restarting what was stopped; the stops
	 * themselves then need no durable write each. */
	for (i = 0; i < c->nnodes; i++) {
		c->nodes[i]->remove_on_exit = 1;
		c->nodes[i]->restart_on_exit = 0;
	}
	rc = bpci__coord_save(c, diag);
	bpci__coord_batch_begin(c);
	while (c->nnodes > 0) {
		r = bpci_coordinator_stop_node(c, c->nodes[c->nnodes - 1]->id, diag);
		if (r < 0 && rc == 0)
			rc = r;
		if (r < 0 && r != BPCI_EIO)
			break;
	}
	r = bpci__coord_batch_end(c, diag);
	return rc < 0 ? rc : r;
}

int bpci_coordinator_node_log_path(char **out, bpci_coordinator *c, const char *id,
				   bpci_diag *diag)
{
	*out = NULL;
	if (!bpci__coord_find(c, id))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no node with id \"%s\"", id ? id : "(null)");
	*out = bpci__asprintf("%s/%s.log", c->logs_dir, id);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci_coordinator_node_logs(char **out, bpci_coordinator *c, const char *id, size_t lines,
			       bpci_diag *diag)
{
	bpci__cnode *n = bpci__coord_find(c, id);
	char *path = NULL;
	int rc;

	*out = NULL;
	rc = bpci_coordinator_node_log_path(&path, c, id, diag);
	if (rc < 0)
		return rc;
	if (n->log)
		(void)bpci__logfile_drain(n->log); /* what the node wrote so far */
	rc = bpci__logfile_tail(path, lines, out);
	if (rc == BPCI_ENOTFOUND && n && n->log) {
		/* the file is created by the node's first output */
		*out = bpci__strdup("");
		rc = *out ? 0 : BPCI_ENOMEM;
	}
	if (rc == BPCI_ENOTFOUND)
		(void)bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "id",
				     "node \"%s\" has no log yet (%s)", id, path);
	else if (rc < 0)
		(void)bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "id", "cannot read %s", path);
	bpci__free(path);
	return rc;
}
