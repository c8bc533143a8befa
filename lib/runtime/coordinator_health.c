/*
 * Readiness and heartbeats.
 *
 * notify: READY=1 makes a starting node running; afterwards WATCHDOG=1
 * messages are its heartbeats (WATCHDOG_USEC tells it the interval; like
 * systemd, we expect one at least every interval and the node sends them
 * twice as often). A message counts for a node when its sender is the
 * node's process or any process in the node's process group, so a shell
 * wrapper's children may notify too.
 *
 * probes (http, tcp, exec): while starting, probe every 100 ms until one
 * passes; then every health.interval. health.retries misses in a row make
 * the node unhealthy, and its restart policy decides what follows.
 *
 * The heartbeat timer is the only periodic thing and exists only while a
 * node is supervised by heartbeats: an idle coordinator sleeps.
 */
#include "runtime/coordinator_internal.h"

#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/alloc.h"
#include "runtime/coordinator_journal.h"
#include "runtime/procstat_internal.h"

#define READY_PROBE_MS 100

static void arm_hb(bpci__cnode *n, uint64_t ms);

/* The process group of @pid from /proc/PID/stat, or 0. */
static pid_t pgid_of(pid_t pid)
{
	bpci__proc_stat_fields f;

	return bpci__read_proc_stat(pid, &f) == 0 ? (pid_t)f.pgrp : 0;
}

static void set_status_text(bpci__cnode *n, const char *text)
{
	char *copy = bpci__strdup(text);

	if (!copy)
		return;
	bpci__free(n->status_text);
	n->status_text = copy;
	bpci__coord_dirty(n->c);
}

/*
 * STOPPING=1: the node is on its way out by itself. No more heartbeat or
 * probe checks (a stopping node that misses them must not be restarted for
 * it), and its exit is a stop, not a failure (coordinator_restart.c). It
 * gets stop.timeout to exit, then SIGKILL, as if we had stopped it.
 */
static void stopping_by_itself(bpci__cnode *n)
{
	n->self_stopping = 1;
	bpci__coord_health_stop(n);
	bpci__coord_disarm(n);
	bpci__coord_arm_timer(n, n->set.stop_timeout_ms);
	bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPING, "the node is stopping (STOPPING=1)");
}

void bpci__coord_notify_cb(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	bpci_coordinator *c = payload;
	bpci__cnode *n = bpci__coord_find_pid(c, pid);
	pid_t pgid;

	if (!n && (pgid = pgid_of(pid)) > 0)
		n = bpci__coord_find_pid(c, pgid);
	if (!n || !n->proc || n->state == BPCI_NODE_STATE_STOPPING)
		return;
	if (msg->present & BPCI__NOTIFY_STATUS)
		set_status_text(n, msg->status);
	if ((msg->present & BPCI__NOTIFY_STOPPING) && !n->killing) {
		stopping_by_itself(n);
		return;
	}
	if ((msg->present & BPCI__NOTIFY_EXTEND_TIMEOUT) && n->state == BPCI_NODE_STATE_STARTING &&
	    !n->killing)
		bpci__coord_arm_timer(n, msg->extend_timeout_usec / 1000u);
	if (n->set.check != BPCI__CHECK_NOTIFY || n->killing)
		return;
	if (msg->present & BPCI__NOTIFY_WATCHDOG_TRIGGER) {
		bpci__coord_set_failure(n, "watchdog triggered by the node");
		bpci__coord_kill_for(n, "watchdog triggered by the node");
		return;
	}
	if (msg->present & BPCI__NOTIFY_READY)
		bpci__coord_heartbeat(n, 1);
	else if ((msg->present & BPCI__NOTIFY_WATCHDOG) && n->state != BPCI_NODE_STATE_STARTING)
		bpci__coord_heartbeat(n, 0);
}

static const char *check_name(bpci__check check)
{
	switch (check) {
	case BPCI__CHECK_NOTIFY:
		return "notify";
	case BPCI__CHECK_HTTP:
		return "http";
	case BPCI__CHECK_TCP:
		return "tcp";
	case BPCI__CHECK_EXEC:
		return "exec";
	default:
		return "none";
	}
}

/*
 * node.health: only transitions are journaled (healthy -> unhealthy ->
 * healthy), never a probe that merely passed again, so a node probed
 * every second does not grow the journal. The entry goes out with the
 * next group commit. Whether the last entry said unhealthy is not
 * persisted: a restarted coordinator sees every node as healthy.
 */
static void journal_health(bpci__cnode *n, int healthy, const char *reason)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "health", healthy ? "healthy" : "unhealthy",
			      "reason", reason, "check", check_name(n->set.check), "pid",
			      (json_int_t)(n->proc ? bpci__proc_pid(n->proc) : 0));
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	if (bpci__coord_journal_event(n->c, "node.health", n->id,
				      text ? bpci__strdup(text) : NULL) == 0)
		n->health_bad = !healthy;
	free(text);
}

static void became_unhealthy(bpci__cnode *n, const char *why)
{
	char reason[320];

	snprintf(reason, sizeof(reason), "%s %u time%s in a row%s%s",
		 n->set.check == BPCI__CHECK_NOTIFY ? "missed its heartbeat" : "failed its probe",
		 n->missed, n->missed == 1 ? "" : "s", why && *why ? ": " : "",
		 why ? why : "");
	bpci__coord_set_failure(n, "%s", reason);
	if (!n->health_bad)
		journal_health(n, 0, reason);
	if (n->state != BPCI_NODE_STATE_UNHEALTHY)
		bpci__coord_set_state(n, BPCI_NODE_STATE_UNHEALTHY, reason);
	if (n->set.policy != BPCI__POLICY_TEMPORARY)
		bpci__coord_kill_for(n, reason);
}

static void probe_done(bpci__cnode *n, int passed, const char *why)
{
	if (n->killing || !n->proc)
		return;
	if (passed) {
		bpci__coord_heartbeat(n, 1);
		return;
	}
	if (n->state == BPCI_NODE_STATE_STARTING)
		return; /* not ready yet: the start timeout decides */
	n->missed++;
	if (n->missed >= n->set.retries)
		became_unhealthy(n, why);
}

static void on_hb(evutil_socket_t fd, short what, void *arg)
{
	bpci__cnode *n = arg;
	uint64_t now = bpci__coord_mono_ms();

	(void)fd;
	(void)what;
	if (n->killing || !n->proc)
		return;
	if (n->set.check == BPCI__CHECK_NOTIFY) {
		if (now - n->last_hb_mono <= n->set.interval_ms)
			return;
		n->missed++;
		n->last_hb_mono = now; /* count each interval once */
		if (n->missed >= n->set.retries)
			became_unhealthy(n, NULL);
		return;
	}
	if (!n->probe && bpci__cprobe_start(n, probe_done) < 0)
		probe_done(n, 0, "cannot start the probe");
}

static void arm_hb(bpci__cnode *n, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

	if (n->hb_timer)
		event_free(n->hb_timer);
	n->hb_timer = event_new(n->c->base, -1, EV_PERSIST, on_hb, n);
	if (n->hb_timer)
		event_add(n->hb_timer, &tv);
}

void bpci__coord_health_start(bpci__cnode *n)
{
	if (n->set.check == BPCI__CHECK_NONE) {
		bpci__coord_heartbeat(n, 1);
		return;
	}
	if (n->set.start_timeout_ms)
		bpci__coord_arm_timer(n, n->set.start_timeout_ms);
	if (n->set.check != BPCI__CHECK_NOTIFY)
		arm_hb(n, READY_PROBE_MS);
}

/* An adopted node that was running: supervise it as running now. */
void bpci__coord_health_stop(bpci__cnode *n)
{
	bpci__cprobe_cancel(n);
	if (n->hb_timer) {
		event_free(n->hb_timer);
		n->hb_timer = NULL;
	}
}

void bpci__coord_heartbeat(bpci__cnode *n, int ready)
{
	uint64_t now = bpci__coord_mono_ms();

	n->last_heartbeat_ms = bpci__coord_wall_ms();
	n->last_hb_mono = now;
	n->missed = 0;
	if (n->state == BPCI_NODE_STATE_STARTING && (ready || n->set.check == BPCI__CHECK_NONE)) {
		bpci__coord_disarm(n);
		n->start_latency_ms = now - n->started_mono;
		bpci__coord_stats_start(&n->c->stats, n->start_latency_ms);
		if (n->start_latency_ms == 0)
			n->start_latency_ms = 1; /* 0 means "not yet" */
		bpci__free(n->failure_reason);
		n->failure_reason = NULL;
		bpci__coord_set_state(n, BPCI_NODE_STATE_RUNNING, "ready");
		if (n->health_bad)
			journal_health(n, 1, n->set.check == BPCI__CHECK_NOTIFY
						     ? "ready (READY=1) after a restart"
						     : "ready after a restart: its probe passed");
		if (n->set.check != BPCI__CHECK_NONE)
			arm_hb(n, n->set.interval_ms);
	} else if (n->state == BPCI_NODE_STATE_UNHEALTHY) {
		bpci__free(n->failure_reason);
		n->failure_reason = NULL;
		bpci__coord_set_state(n, BPCI_NODE_STATE_RUNNING, "healthy again");
		if (n->health_bad)
			journal_health(n, 1, n->set.check == BPCI__CHECK_NOTIFY
						     ? "healthy again: its heartbeat arrived"
						     : "healthy again: its probe passed");
	}
}

void bpci__coord_start_timeout(bpci__cnode *n)
{
	char reason[96];

	snprintf(reason, sizeof(reason), "not ready after %llums",
		 (unsigned long long)n->set.start_timeout_ms);
	bpci__coord_set_failure(n, "%s", reason);
	bpci__coord_kill_for(n, reason);
}

void bpci__coord_health_resume(bpci__cnode *n)
{
	n->last_hb_mono = bpci__coord_mono_ms();
	n->missed = 0;
	if (n->set.check != BPCI__CHECK_NONE)
		arm_hb(n, n->set.interval_ms);
}
