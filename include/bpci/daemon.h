/*
 * libbpci — a coordinator as a daemon of the daemon tree: it supervises
 * local child daemons with Erlang/OTP semantics, joins its parent and sends
 * it heartbeats, and keeps a registry of the children that joined it
 * (local and remote).
 *
 * Supervision (OTP): each daemon is the supervisor of its child daemons,
 * with one strategy (one_for_one: only the child that ended is restarted;
 * one_for_all: every running sibling is stopped, in reverse start order,
 * and all are started again in start order; rest_for_one: the siblings
 * started after it likewise), a restart type per child (permanent: always
 * restarted; transient: restarted only after an abnormal exit, i.e. not
 * status 0 and not a stop we asked for; temporary: never restarted, and
 * forgotten when it ends), and a restart intensity: when more than
 * max_restarts restarts fall within max_seconds, the supervisor gives up,
 * stops every child daemon (not its nodes) and escalates: it exits with
 * status BPCI_DAEMON_EXIT_ESCALATE so that its own parent applies its
 * policy. A root (no parent) marks the child failed instead. Restarts wait
 * for an exponential backoff (100 ms doubling to 10 s with jitter by
 * default, reset after 10 s of stable running).
 *
 * A local child daemon is spawned as `BPI_CORE node-coordinator start
 * --daemon-id ID --join PARENT_URL --state-dir STATE/daemons/ID --listen
 * 127.0.0.1:PORT` (PORT is 0 for its first start; restarts reuse the port
 * it served on, so that its own children and its parent keep reaching it)
 * in its own process group with BPCI_JOIN_TOKEN (this daemon's API token)
 * and NOTIFY_SOCKET (this coordinator's notify socket) in its environment.
 * It is ready when it sends READY=1. Its output goes to
 * STATE/daemons/ID/daemon.log. Children, their pids and process start
 * times are kept in STATE/daemons.json (atomically replaced), so that a
 * restarted parent re-adopts the child daemons that still run.
 *
 * Joining (child side): every heartbeat interval the daemon POSTs to
 * PARENT_URL/api/daemon-tree/join until it is accepted, then
 * /api/daemon-tree/heartbeat with its nodes, load and subtree; a failed
 * heartbeat is retried every interval forever and a 404 makes it join
 * again. The requests run on a helper thread: the loop never blocks.
 *
 * Thread-safety: as the coordinator (one thread, the loop's).
 */
#ifndef BPCI_DAEMON_H
#define BPCI_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "common.h"
#include "coordinator.h"
#include "error.h"

BPCI_BEGIN_DECLS

/** The exit status of a daemon that escalates (sysexits' EX_TEMPFAIL). */
#define BPCI_DAEMON_EXIT_ESCALATE 75

/** When a child daemon is restarted (OTP restart types). Values are stable. */
typedef enum bpci_child_restart {
	BPCI_CHILD_PERMANENT = 1, /**< always */
	BPCI_CHILD_TRANSIENT = 2, /**< only after an abnormal exit */
	BPCI_CHILD_TEMPORARY = 3  /**< never; forgotten when it ends */
} bpci_child_restart;

/** bpci_child_restart_name - "permanent", "transient" or "temporary";
 *  NULL for another value. Static. */
BPCI_EXTERN const char *bpci_child_restart_name(bpci_child_restart restart);

/** bpci_child_restart_parse - the restart type named @name. Returns 0 or
 *  BPCI_EINVAL (reported through @diag, field "restart", with the allowed
 *  names). */
BPCI_EXTERN int bpci_child_restart_parse(bpci_child_restart *out, const char *name,
					 bpci_diag *diag);

/** Which siblings are restarted with a child (OTP strategies). Stable. */
typedef enum bpci_supervisor_strategy {
	BPCI_STRATEGY_ONE_FOR_ONE = 1, /**< the child alone */
	BPCI_STRATEGY_ONE_FOR_ALL = 2, /**< every child */
	BPCI_STRATEGY_REST_FOR_ONE = 3 /**< the child and those started after it */
} bpci_supervisor_strategy;

/** bpci_supervisor_strategy_name - "one_for_one", "one_for_all" or
 *  "rest_for_one"; NULL for another value. Static. */
BPCI_EXTERN const char *bpci_supervisor_strategy_name(bpci_supervisor_strategy strategy);

/** bpci_supervisor_strategy_parse - the strategy named @name. Returns 0 or
 *  BPCI_EINVAL (field "strategy", with the allowed names, via @diag). */
BPCI_EXTERN int bpci_supervisor_strategy_parse(bpci_supervisor_strategy *out,
					       const char *name, bpci_diag *diag);

#define BPCI_SUPERVISOR_OPTIONS_VERSION 1

/** A supervisor's policy. */
typedef struct bpci_supervisor_options {
	unsigned int version;              /**< BPCI_SUPERVISOR_OPTIONS_VERSION */
	bpci_supervisor_strategy strategy; /**< default one_for_one */
	unsigned int max_restarts;         /**< intensity: restarts allowed ... (3) */
	unsigned int max_seconds;          /**< ... within this period (5), >= 1 */
	uint64_t backoff_initial_ms;       /**< first restart delay (100) */
	uint64_t backoff_max_ms;           /**< cap (10000) */
	unsigned int backoff_jitter_pct;   /**< 0..100: share taken off at random (20) */
	uint64_t backoff_reset_ms;         /**< a run this long resets the delay (10000) */
} bpci_supervisor_options;

#define BPCI_SUPERVISOR_OPTIONS_INIT \
	{BPCI_SUPERVISOR_OPTIONS_VERSION, BPCI_STRATEGY_ONE_FOR_ONE, 3, 5, 100, 10000, 20, 10000}

#define BPCI_DAEMON_OPTIONS_VERSION 1

/**
 * Receives one line of the daemon's log (a child spawned, exited,
 * restarted, joined; escalation; a link failing), without the newline,
 * on the loop's thread. @message is borrowed for the call.
 */
typedef void (*bpci_daemon_log_cb)(const char *daemon_id, const char *message, void *payload);

/**
 * A child daemon changed state: @old_state and @new_state are "new",
 * "starting", "running", "restarting", "unreachable", "failed" or
 * "stopped"; @reason is the child's last exit or failure ("" when none).
 * A remote child is "failed" once silent for the failover timeout: its
 * nodes (in bpci_coordinator_daemon_tree_json()) are to be rescheduled.
 * Called on the loop's thread; strings are borrowed for the call. It may
 * read the coordinator but must not add or remove daemons or nodes.
 */
typedef void (*bpci_daemon_child_cb)(const char *child_id, int remote, const char *old_state,
				     const char *new_state, const char *reason, void *payload);

/** What bpci_coordinator_daemon_start() makes of a coordinator. Strings
 *  are copied. */
typedef struct bpci_daemon_options {
	unsigned int version;         /**< BPCI_DAEMON_OPTIONS_VERSION */
	const char *daemon_id;        /**< required: [A-Za-z0-9][A-Za-z0-9._-]{0,127} */
	const char *url;              /**< this daemon's API (bpci_server_url()); required */
	const char *token;            /**< this daemon's API token (bpci_server_token()) */
	const char *parent_url;       /**< the parent to join; NULL: a root */
	const char *join_token;       /**< the parent's API token */
	int remote;                   /**< non-zero: joins as a remote daemon */
	const bpci_daemon_spec *spec; /**< responsibilities, capacity, labels sent
					   in the join; NULL: defaults */
	const bpci_supervisor_options *supervisor; /**< NULL: defaults */
	uint64_t heartbeat_interval_ms; /**< to the children in the join reply,
					     and ours until the parent says; 0: 1000 */
	uint64_t failover_timeout_ms;   /**< a child silent this long is failed
					     (remote) or unreachable (local); 0: 3000 */
	int notify_ready;             /**< non-zero: send READY=1 to $NOTIFY_SOCKET
					   once serving and joined (at once for a root) */
	bpci_daemon_log_cb on_log;    /**< the daemon's log lines, or NULL: none */
	void *log_payload;            /**< handed to on_log */
	bpci_daemon_child_cb on_child; /**< child state changes, or NULL */
	void *child_payload;          /**< handed to on_child */
} bpci_daemon_options;

#define BPCI_DAEMON_OPTIONS_INIT \
	{BPCI_DAEMON_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, 0, \
	 NULL, NULL, NULL, NULL}

/**
 * bpci_coordinator_daemon_start - make @c a daemon of the tree: load
 * STATE/daemons.json and re-adopt the child daemons that still run (by pid
 * and process start time), restart per their restart type those that died,
 * start joining the parent when there is one, and watch the joined
 * children's heartbeats. Call it once, after bpci_coordinator_serve().
 *
 * Returns 0; BPCI_EINVAL (bad or missing id, url, options version; the
 * field is named); BPCI_EEXISTS (called twice); BPCI_EPARSE (daemons.json
 * is corrupt; left untouched); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_start(bpci_coordinator *c,
					      const bpci_daemon_options *opts, bpci_diag *diag);

/**
 * bpci_coordinator_add_daemon - spawn a local child daemon for @spec (its
 * id names it; it must not be remote) and supervise it with @restart.
 * Returns once it is spawned (readiness comes with its READY=1).
 *
 * Returns 0; BPCI_EINVAL (invalid spec, remote spec, not a daemon yet:
 * call bpci_coordinator_daemon_start() first); BPCI_EEXISTS (the id is a
 * child already); BPCI_ENOTFOUND (the daemon program is missing); BPCI_EIO;
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_add_daemon(bpci_coordinator *c, const bpci_daemon_spec *spec,
					    bpci_child_restart restart, bpci_diag *diag);

/**
 * bpci_coordinator_remove_daemon - stop the child daemon @daemon_id
 * (SIGTERM, SIGKILL after 10 s; it stops its own nodes and children
 * first) and forget it once it has exited; a remote child is forgotten at
 * once. Does not wait. Returns 0 or BPCI_ENOTFOUND.
 */
BPCI_EXTERN int bpci_coordinator_remove_daemon(bpci_coordinator *c, const char *daemon_id,
					       bpci_diag *diag);

/**
 * bpci_coordinator_stop_daemons - stop every local child daemon in reverse
 * start order and forget them (the shutdown of a daemon), running the loop
 * until they have exited. Remote children are forgotten.
 * Returns 0, BPCI_EBUSY (inside the loop), BPCI_EIO (state write failed).
 */
BPCI_EXTERN int bpci_coordinator_stop_daemons(bpci_coordinator *c, bpci_diag *diag);

/**
 * bpci_coordinator_daemon_escalated - non-zero once this daemon gave up
 * (a child exceeded the restart intensity): the loop was asked to stop, the
 * child daemons are stopped, and the program should exit with
 * BPCI_DAEMON_EXIT_ESCALATE without stopping its nodes. @reason receives
 * why (borrowed), or may be NULL.
 */
BPCI_EXTERN int bpci_coordinator_daemon_escalated(const bpci_coordinator *c,
						  const char **reason);

/**
 * bpci_coordinator_daemon_join - the parent side of POST
 * /api/daemon-tree/join: register (or refresh) the child of the body.
 * @reply_json receives {"parent_id","heartbeat_interval_ms",
 * "failover_timeout_ms"} (free with bpci_free()).
 * Returns 0; BPCI_EPARSE / BPCI_EINVAL (bad body; field named);
 * BPCI_EEXISTS (another live daemon holds the id); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_join(char **reply_json, bpci_coordinator *c,
					     const char *body, size_t len, bpci_diag *diag);

/**
 * bpci_coordinator_daemon_heartbeat - the parent side of POST
 * /api/daemon-tree/heartbeat. @reply_json receives {"seq"}.
 * Returns 0; BPCI_EPARSE / BPCI_EINVAL; BPCI_ENOTFOUND (the daemon has
 * not joined: it should join again); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_heartbeat(char **reply_json, bpci_coordinator *c,
						  const char *body, size_t len, bpci_diag *diag);

/**
 * bpci_coordinator_daemon_escalation - POST /api/daemon-tree/escalate: a
 * child reports that it gives up ({"daemon_id","child_id","reason"}); it is
 * logged on stderr and kept as the child's last exit reason.
 * Returns 0, BPCI_EPARSE / BPCI_EINVAL, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_escalation(bpci_coordinator *c, const char *body,
						   size_t len, bpci_diag *diag);

/**
 * bpci_coordinator_daemon_tree_json - this daemon's subtree as one
 * SUBTREE entry (daemon_id, parent_id, url, remote, state, pid, restarts,
 * token, nodes, node_ids, link, children...), API tokens included: hand
 * it only to authenticated callers. Free *@out with bpci_free().
 * Returns 0, BPCI_EINVAL (not a daemon), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_tree_json(char **out, bpci_coordinator *c);

/**
 * bpci_coordinator_daemons_json - {"daemons":[{"daemon_id","pid","state",
 * "restarts","restart","remote","last_exit"}]}, children in start order.
 * Free *@out with bpci_free(). Returns 0, BPCI_EINVAL, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemons_json(char **out, bpci_coordinator *c);

/**
 * bpci_coordinator_daemon_metrics - the link metrics in the Prometheus
 * text format: bpci_daemon_link_rtt_seconds, bpci_daemon_link_heartbeats_total,
 * bpci_daemon_link_errors_total, labelled daemon_id (per child, plus this
 * daemon's link to its parent with direction="parent") and
 * bpci_daemon_children{state=...}. Free *@out with bpci_free().
 * Returns 0, BPCI_EINVAL (not a daemon), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_daemon_metrics(char **out, bpci_coordinator *c);

BPCI_END_DECLS

#endif
