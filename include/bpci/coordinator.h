/*
 * libbpci — the node coordinator: starts, watches, restarts and stops node
 * processes on this host, and survives its own crash without losing or
 * duplicating a node.
 *
 * A coordinator owns a state directory (see "State directory" below) and
 * one event loop. Every node runs in its own process group with the node
 * process contract's environment (the spec's environment, then
 * BPCI_NODE_ID, BPCI_NODE_TYPE, BPCI_NODE_PORT, BPCI_NODE_ENDPOINT,
 * BPCI_NODE_CONFIG, BPCI_COORDINATOR_URL, NOTIFY_SOCKET, and WATCHDOG_USEC
 * (health.interval) when heartbeats come by notify; these override the
 * spec's), over a clean base of PATH, HOME, LANG, TZ and USER; its stdout and stderr captured into a rotated log file.
 * Readiness and heartbeats follow the spec's health.type: notify (READY=1
 * and WATCHDOG=1 on the systemd notification socket, attributed to the
 * node by the sender's pid or process group), http, tcp, exec (probes of
 * the endpoint) or none (running as soon as it is spawned). A node that
 * dies or misses health.retries heartbeats is restarted according to
 * restart.policy (permanent: always; transient: only after a failure;
 * temporary: never) with exponential backoff, until more than
 * restart.max_restarts restarts fall within restart.period: then it is
 * `failed` with the reason, and left alone.
 *
 * Every mutation is journaled to DIR/ledger (a bpci_ledger: appended and
 * fsync'ed) before it is acknowledged; state changes the coordinator makes
 * itself at the end of the loop iteration, new pids of respawns within
 * 20 ms (group commit). When the
 * coordinator process dies (even by SIGKILL) the nodes keep running; the
 * next coordinator on the same directory adopts the ones still alive
 * (identified by pid and process start time, so a recycled pid is never
 * mistaken for a node) and restarts per policy the ones that died
 * meanwhile. A node process the journal does not name (the coordinator died
 * between a spawn and its entry) is found by its environment (our
 * NOTIFY_SOCKET and its BPCI_NODE_ID) and adopted, or killed when its
 * start was never acknowledged: never two processes for one node.
 *
 * State directory (created mode 0700 when missing):
 *   DIR/coordinator.lock        flock()ed by the running coordinator
 *   DIR/ledger/                 the journal: node.started, node.restarted,
 *                               node.exited, node.stopping, node.state,
 *                               node.removed entries and snapshots of the
 *                               table (bpci_coordinator(3)); an old
 *                               DIR/coordinator.json is migrated once
 *   DIR/notify.sock             the NOTIFY_SOCKET datagram socket
 *   DIR/nodes/ID.json           the node's spec (BPCI_NODE_CONFIG), with the
 *                               id and endpoint the coordinator chose
 *   DIR/nodes/ID.output         FIFO: the node's stdout and stderr
 *   DIR/logs/ID.log, ID.log.N   the node's output, rotated
 *
 * Node output: the node's stdout and stderr are a FIFO (DIR/nodes/ID.output)
 * that the node holds open for reading and writing, so a node never dies of
 * SIGPIPE while no coordinator runs; the coordinator copies it into
 * DIR/logs/ID.log, rotated at log_max_bytes.
 *
 * Event loop: the coordinator runs on its own libevent base; nothing
 * polls, an idle coordinator uses no CPU. Child exits are seen through
 * pidfds, so there is no SIGCHLD handler and embedding programs keep
 * their own (but must not set SIGCHLD to SIG_IGN or reap with
 * waitpid(-1): the nodes' exit statuses would then read as unknown).
 * Blocking calls (start_node_with_retry, stop_node, restart_node,
 * shutdown, wait_node) run the loop while they wait, so other nodes keep
 * being supervised. Called from inside the loop (an event callback, an
 * HTTP handler attached to the loop), they cannot run it again: stop and
 * restart then start the work and return at once (the node is removed or
 * respawned when its process has exited), start_node_with_retry makes a
 * single attempt, and shutdown and wait_node fail with BPCI_EBUSY.
 *
 * Thread-safety: a coordinator is used from one thread at a time (the
 * thread that runs its loop). bpci_coordinator_request_stop() alone may be
 * called from any thread or from a signal handler. Distinct coordinators
 * (on distinct state directories) are independent.
 */
#ifndef BPCI_COORDINATOR_H
#define BPCI_COORDINATOR_H

#include "common.h"
#include "config.h"
#include "error.h"
#include "ledger_server.h"
#include "node.h"

BPCI_BEGIN_DECLS

/** The life cycle of a node. Values are stable. */
typedef enum bpci_node_state {
	BPCI_NODE_STATE_PENDING = 1,   /**< accepted, waiting to be (re)started (backoff) */
	BPCI_NODE_STATE_STARTING = 2,  /**< spawned, not yet ready */
	BPCI_NODE_STATE_RUNNING = 3,   /**< ready and passing its heartbeats */
	BPCI_NODE_STATE_UNHEALTHY = 4, /**< missed health.retries heartbeats */
	BPCI_NODE_STATE_STOPPING = 5,  /**< stop signal sent, waiting for exit */
	BPCI_NODE_STATE_STOPPED = 6,   /**< exited and not to be restarted */
	BPCI_NODE_STATE_FAILED = 7     /**< gave up: see failure_reason */
} bpci_node_state;

/** Number of states; valid states are 1..BPCI_NODE_STATE_COUNT. */
#define BPCI_NODE_STATE_COUNT 7

/** bpci_node_state_name - "pending", "starting", "running", "unhealthy",
 *  "stopping", "stopped" or "failed"; NULL for any other value. Static. */
BPCI_EXTERN const char *bpci_node_state_name(bpci_node_state state);

/** bpci_node_state_parse - the state named @name (as _name() spells it).
 *  Returns 0 or BPCI_EINVAL. */
BPCI_EXTERN int bpci_node_state_parse(bpci_node_state *out, const char *name);

/**
 * A state change, handed to the event callback. Every pointer is borrowed
 * and valid only during the callback. The library allocates this struct;
 * fields may be appended in later versions.
 */
typedef struct bpci_node_event {
	const char *node_id;
	bpci_node_type type;
	bpci_node_state old_state;
	bpci_node_state new_state;
	const char *reason;   /**< why ("exited with status 3", "ready",
				   "restart intensity exceeded: ..."), never NULL */
	int pid;              /**< the node's current pid, 0 when none */
} bpci_node_event;

/**
 * Called on the loop's thread for every state change. It may read the
 * coordinator (get_node, list_nodes) but must not call functions that run
 * the loop or change nodes (start, stop, restart, reload, shutdown, free).
 */
typedef void (*bpci_node_event_cb)(const bpci_node_event *event, void *payload);

/** A coordinator (opaque). */
typedef struct bpci_coordinator bpci_coordinator;

#define BPCI_COORDINATOR_OPTIONS_VERSION 1

/** Options for bpci_coordinator_new(). Strings are copied. */
typedef struct bpci_coordinator_options {
	unsigned int version;        /**< BPCI_COORDINATOR_OPTIONS_VERSION */
	const char *state_dir;       /**< required; created 0700 when missing */
	const char *node_program;    /**< command of nodes whose spec has none; NULL:
					  "bpci-node" beside the running executable,
					  else on PATH */
	const char *coordinator_url; /**< BPCI_COORDINATOR_URL for nodes; NULL: unset */
	const char *config_path;     /**< reloaded on SIGHUP when handle_signals; NULL:
					  SIGHUP is ignored */
	int handle_signals;          /**< non-zero: from _new() to _free() the
					  coordinator catches SIGTERM, SIGINT and
					  SIGHUP (libevent signal events); in
					  bpci_coordinator_run() or _step(), TERM and
					  INT request a stop, HUP reloads config_path */
	uint64_t log_max_bytes;      /**< rotate node logs at this size; 0: 10 MiB */
	unsigned int log_keep;       /**< rotated files kept; 0: 5 */
	bpci_node_event_cb on_event; /**< state changes, or NULL */
	void *event_payload;         /**< handed to on_event */
	const char *daemon_program;  /**< program of local child daemons
					  (bpci/daemon.h); NULL: "bpi-core" beside
					  the running executable, else on PATH */
} bpci_coordinator_options;

#define BPCI_COORDINATOR_OPTIONS_INIT \
	{BPCI_COORDINATOR_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL}

/**
 * bpci_coordinator_new - open a state directory and take over its nodes.
 *
 * Locks DIR/coordinator.lock (flock, exclusive, released when the process
 * dies), binds the notify socket, loads the node table from the journal
 * DIR/ledger (latest snapshot plus the entries after it; an old
 * DIR/coordinator.json without journal is read and journaled once),
 * adopts the nodes that still run and schedules restarts (per policy) of
 * those that died while no coordinator watched them.
 *
 * @out: receives the coordinator; free it with bpci_coordinator_free().
 *       Set only on success.
 * @opts: options (state_dir is required).
 * @diag: receives the reason of a failure, or NULL.
 *
 * Returns 0; BPCI_EINVAL (no state_dir, unknown options version);
 * BPCI_EBUSY ("state directory DIR is in use by pid N"); BPCI_EPARSE
 * (a journal entry, snapshot or old coordinator.json that does not make
 * sense: the message names the file or entry and the problem; nothing is
 * changed); BPCI_EVERIFY (the journal is damaged; nothing is changed);
 * BPCI_EUNSUPPORTED (a state of a newer version); BPCI_EIO (the directory cannot be created or
 * written, the socket cannot be bound); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_new(bpci_coordinator **out,
				     const bpci_coordinator_options *opts, bpci_diag *diag);

/**
 * bpci_coordinator_free - release the coordinator WITHOUT stopping its
 * nodes: they keep running and the next coordinator on the same state
 * directory adopts them. Call bpci_coordinator_shutdown() first to stop
 * them. Releases the lock. NULL is a no-op.
 */
BPCI_EXTERN void bpci_coordinator_free(bpci_coordinator *c);

/**
 * bpci_coordinator_shutdown - stop every node, in reverse start order:
 * each gets its stop signal and SIGKILL after its stop.timeout. Runs the
 * loop until all have exited. The nodes are removed from the persisted
 * state, so a later coordinator starts empty.
 *
 * Returns 0, BPCI_EIO (the state could not be written; nodes are stopped
 * anyway).
 */
BPCI_EXTERN int bpci_coordinator_shutdown(bpci_coordinator *c, bpci_diag *diag);

/**
 * bpci_coordinator_start_node - validate @spec, give it an id, persist it
 * and spawn it. Returns once the process is spawned (or failed to spawn);
 * readiness comes later (state starting -> running): wait for it with
 * bpci_coordinator_wait_node() or the event callback.
 *
 * @node_id: receives the id (free with bpci_free()), or NULL. The id is
 *           the spec's "id" when set, else "<type>-<n>" (the smallest
 *           unused n from 1).
 * @spec: the node; copied. Without a command, opts->node_program runs.
 * @endpoint: the URL the node serves on, or NULL: the spec's endpoint, or
 *            else a free port on 127.0.0.1 (test-bound before it is handed
 *            out) and http://127.0.0.1:PORT. BPCI_NODE_PORT is the
 *            endpoint's port.
 *
 * Returns 0; BPCI_EINVAL (invalid spec: every problem is in @diag; bad
 * endpoint); BPCI_EEXISTS (the spec's id is taken); BPCI_ENOTFOUND
 * ("executable not found: PATH": the node is recorded as failed, not
 * restarted, and its id is still returned); BPCI_EIO (spawn or state
 * write failed; nothing is left behind); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_start_node(char **node_id, bpci_coordinator *c,
					    const bpci_node_spec *spec, const char *endpoint,
					    bpci_diag *diag);

/**
 * bpci_coordinator_start_node_with_retry - bpci_coordinator_start_node(),
 * retried up to @max_retries times (1 + @max_retries attempts in all) when
 * it fails with BPCI_EIO or BPCI_EBUSY (a failed spawn, a port taken
 * meanwhile): after failed attempt k (k = 0, 1, ...) it waits
 * 2^k * @base_delay_ms, as the original's start_node_with_retry, while
 * running the loop (inside the loop: one attempt only). Invalid specs, taken ids and missing
 * executables are not retried. Returns as bpci_coordinator_start_node();
 * @diag holds the last attempt's problems.
 */
BPCI_EXTERN int bpci_coordinator_start_node_with_retry(char **node_id, bpci_coordinator *c,
						       const bpci_node_spec *spec,
						       const char *endpoint,
						       unsigned int max_retries,
						       uint64_t base_delay_ms, bpci_diag *diag);

/**
 * bpci_coordinator_start_nodes - start @count nodes as one batch: what
 * @count calls of bpci_coordinator_start_node() (endpoint NULL) do, but
 * acknowledged by one durable write instead of one per node, with the
 * spawns overlapping on the coordinator's spawner threads. For starting
 * many nodes: a thousand take well under a second, where a thousand
 * single starts spend that long in fsyncs alone.
 *
 * @node_ids: receives an array of @count ids in the order of @specs plus
 *            a NULL terminator (free each id and the array with
 *            bpci_free()), or NULL. Set only when 0 or BPCI_ENOTFOUND is
 *            returned.
 * @specs: @count specs; copied.
 *
 * All or nothing: every spec is validated, and every given id checked
 * against the existing nodes and the batch itself, before the first
 * spawn; a spawn or the state write that fails stops and forgets every
 * node the call started. Readiness comes later, as for a single start.
 *
 * Returns 0; BPCI_EINVAL (a spec is invalid or missing: every problem is
 * in @diag, fields prefixed "nodes[i]."; nothing started); BPCI_EEXISTS
 * (an id is taken or given twice; nothing started); BPCI_ENOTFOUND (a
 * program was not found: those nodes are recorded as failed, every other
 * node started, and the ids are returned); BPCI_EIO (a spawn or the state
 * write failed; nothing is left behind); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_start_nodes(char ***node_ids, bpci_coordinator *c,
					     const bpci_node_spec *const *specs, size_t count,
					     bpci_diag *diag);

/**
 * bpci_coordinator_stop_node - stop a node and forget it: its stop signal
 * (stop.signal, default SIGTERM) to its process group, SIGKILL after
 * stop.timeout; runs the loop until it has exited, then removes it from
 * the table and the persisted state (its log files stay).
 *
 * Returns 0, BPCI_ENOTFOUND (no node @id), BPCI_EIO (state write failed).
 */
BPCI_EXTERN int bpci_coordinator_stop_node(bpci_coordinator *c, const char *id,
					   bpci_diag *diag);

/**
 * bpci_coordinator_restart_node - stop the node as above (keeping it) and
 * start it again at once with the same spec, id and port; a failed node
 * gets a fresh restart budget and backoff. Returns once the new process is
 * spawned (inside the loop: at once, the respawn follows the exit).
 * Codes as bpci_coordinator_start_node() plus BPCI_ENOTFOUND (no node).
 */
BPCI_EXTERN int bpci_coordinator_restart_node(bpci_coordinator *c, const char *id,
					      bpci_diag *diag);

/**
 * bpci_coordinator_wait_node - run the loop until node @id reaches one of
 * the states in @state_mask (bits BPCI_NODE_STATE_BIT(state)) or
 * @timeout_ms passes (-1: no limit).
 *
 * @state: receives the node's state when the call returns, or NULL.
 *
 * Returns 0 (reached), 1 (timed out: still in another state),
 * BPCI_ENOTFOUND (no node @id, or it was removed while waiting),
 * BPCI_EBUSY (called from inside the loop), BPCI_EIO.
 */
BPCI_EXTERN int bpci_coordinator_wait_node(bpci_node_state *state, bpci_coordinator *c,
					   const char *id, unsigned int state_mask,
					   int timeout_ms, bpci_diag *diag);

/** A bit for @state in bpci_coordinator_wait_node()'s mask. */
#define BPCI_NODE_STATE_BIT(state) (1u << (unsigned int)(state))

/**
 * A snapshot of one node. The library allocates it (fields may be appended
 * in later versions); strings are owned by the snapshot and never NULL
 * ("" when there is nothing). Times are milliseconds since the Unix epoch,
 * 0 when never.
 */
typedef struct bpci_node_status {
	const char *id;
	const char *name;             /**< spec's name, else the id */
	bpci_node_type type;
	bpci_node_state state;
	int pid;                      /**< 0 when no process runs */
	unsigned int restarts;        /**< automatic restarts since the node was
					   started (restart_node() does not count) */
	int last_exit_code;           /**< exit status, -1 when killed or unknown */
	int last_exit_signal;         /**< terminating signal, 0 when none */
	int64_t last_exit_ms;         /**< when the last process ended, 0: never */
	int64_t last_heartbeat_ms;    /**< last READY/WATCHDOG or passed probe */
	int64_t started_ms;           /**< when the current process was spawned */
	uint64_t uptime_ms;           /**< time since started_ms while it runs, else 0 */
	uint64_t start_latency_ms;    /**< spawn to ready of the last start, 0: not yet */
	const char *endpoint;         /**< "http://127.0.0.1:PORT" */
	unsigned int port;            /**< the endpoint's port */
	const char *failure_reason;   /**< why it is failed/unhealthy/restarting */
	const char *status_text;      /**< the node's last STATUS= message */
} bpci_node_status;

/**
 * bpci_coordinator_get_node - a snapshot of node @id.
 *
 * @out: receives it; free with bpci_node_status_free().
 * Returns 0, BPCI_ENOTFOUND, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_get_node(bpci_node_status **out, bpci_coordinator *c,
					  const char *id, bpci_diag *diag);

/** bpci_node_status_free - free a snapshot. NULL is a no-op. */
BPCI_EXTERN void bpci_node_status_free(bpci_node_status *status);

/** A list of snapshots (opaque). */
typedef struct bpci_node_status_list bpci_node_status_list;

/**
 * bpci_coordinator_list_nodes - snapshots of every node, in start order.
 *
 * @out: receives the list; free with bpci_node_status_list_free().
 * @type: only nodes of this type, or 0 for all.
 * Returns 0, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_list_nodes(bpci_node_status_list **out,
					    bpci_coordinator *c, bpci_node_type type,
					    bpci_diag *diag);

/** bpci_node_status_list_count - number of entries. */
BPCI_EXTERN size_t bpci_node_status_list_count(const bpci_node_status_list *list);

/** bpci_node_status_list_get - entry @index (borrowed from the list), or
 *  NULL when out of range. */
BPCI_EXTERN const bpci_node_status *bpci_node_status_list_get(
	const bpci_node_status_list *list, size_t index);

/** bpci_node_status_list_free - free the list and its entries. NULL is a no-op. */
BPCI_EXTERN void bpci_node_status_list_free(bpci_node_status_list *list);

/**
 * bpci_node_status_to_json - one snapshot as compact JSON with sorted keys:
 * {"endpoint","failure_reason","id","last_exit":{"code","signal","time_ms"}
 * or null,"last_heartbeat_ms","name","pid","port","restarts",
 * "start_latency_ms","started_ms","state","status_text","type",
 * "uptime_ms"}; state and type by name.
 *
 * @out: receives the text; free with bpci_free(). Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_node_status_to_json(char **out, const bpci_node_status *status);

/** bpci_node_status_list_to_json - {"nodes":[...]} with one object per entry
 *  as bpci_node_status_to_json() writes it. Free *@out with bpci_free(). */
BPCI_EXTERN int bpci_node_status_list_to_json(char **out, const bpci_node_status_list *list);

/**
 * bpci_node_status_from_json - parse what bpci_node_status_to_json()
 * writes (for clients of the HTTP API). Unknown keys are ignored (newer
 * servers add fields). @out: free with bpci_node_status_free().
 * Returns 0, BPCI_EPARSE, BPCI_EINVAL (a field of the wrong kind or an
 * unknown state/type name), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_node_status_from_json(bpci_node_status **out, const char *json,
					   size_t len, bpci_diag *diag);

/** bpci_node_status_list_from_json - the same for {"nodes":[...]}.
 *  @out: free with bpci_node_status_list_free(). */
BPCI_EXTERN int bpci_node_status_list_from_json(bpci_node_status_list **out,
						const char *json, size_t len,
						bpci_diag *diag);

/**
 * bpci_coordinator_node_logs - the last @lines lines of node @id's log.
 * @out: receives the text; free with bpci_free().
 * Returns 0, BPCI_ENOTFOUND (no node, or no log yet), BPCI_EIO, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_node_logs(char **out, bpci_coordinator *c, const char *id,
					   size_t lines, bpci_diag *diag);

/**
 * bpci_coordinator_node_log_path - the path of node @id's current log
 * file (DIR/logs/ID.log), for following it. Free *@out with bpci_free().
 * Returns 0, BPCI_ENOTFOUND, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_node_log_path(char **out, bpci_coordinator *c,
					       const char *id, bpci_diag *diag);

/**
 * bpci_coordinator_audit - the original's audit_to_bpi(event, details) on
 * a coordinator: append an "audit.custom" entry (actor "coordinator",
 * subject @event, details @details, may be NULL) to the coordinator's
 * journal, durably, before returning. The journal is the ledger at
 * STATE_DIR/ledger, which the running coordinator holds; other programs
 * append through its API (POST /api/audit).
 * Returns 0, BPCI_EINVAL (@event NULL or empty: field "event"), BPCI_EIO,
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_audit(bpci_coordinator *c, const char *event,
				       const char *details, bpci_diag *diag);

/** bpci_coordinator_state_dir - the state directory (absolute, borrowed). */
BPCI_EXTERN const char *bpci_coordinator_state_dir(const bpci_coordinator *c);

/**
 * bpci_coordinator_reload - make the set of nodes match @config's nodes:
 * nodes of the config absent here are started, nodes started from an
 * earlier config (or an earlier reload) that are absent from it are
 * stopped, and nodes whose spec changed (bpci_node_spec_equal) are
 * replaced under the same id (the new spec starts once the old process
 * has exited). Nodes are matched by id, else by name; unnamed nodes match
 * unnamed nodes of the same type in order. Nodes started through
 * bpci_coordinator_start_node() are never touched by a reload. SIGHUP
 * (with opts->handle_signals and opts->config_path) reloads the file from
 * bpci_coordinator_run()/_step(), outside any event callback.
 *
 * Returns 0, or the first error of a start/stop (the others are still
 * applied; every problem is in @diag).
 */
BPCI_EXTERN int bpci_coordinator_reload(bpci_coordinator *c, const bpci_config *config,
					bpci_diag *diag);

/**
 * bpci_coordinator_ship_to - ship the coordinator's journal (its ledger
 * in DIR/ledger) to a remote ledger (bpci_ledger_serve(), the original's
 * audit_integration.bpi_ledger_endpoint) on a thread of its own.
 *
 * Appends never wait for it: the journal tells the shipper after each
 * group commit (bpci_ledger_shipper_notify()), which sends what is
 * pending in batches (@options: batch 100, flush 1000 ms, 3 retries with
 * backoff by default). How far it shipped is durable in the ledger
 * directory (ship-*.state), so a restart resumes there. A remote tree
 * that diverges from the local one stops shipping and raises the alarm:
 * GET /api/node-coordinator/health says "status":"degraded" with
 * "alarm", /metrics has bpci_ledger_ship_divergence_alarm 1, and an
 * "audit.divergence" entry is journaled.
 *
 * @options: NULL stops shipping. With options->endpoint NULL the
 *   coordinator follows the configuration: each bpci_coordinator_reload()
 *   (SIGHUP too) ships to the configuration's bpi_ledger_endpoint,
 *   restarting the shipper when it changed, none when it is empty. The
 *   other fields (token, batch, ...) are copied.
 *
 * Returns 0; BPCI_EINVAL (bad options: the diag names the field);
 * errors of bpci_ledger_shipper_new() (BPCI_EPARSE: a damaged state
 * file). Not thread-safe: call it from the loop's thread.
 */
BPCI_EXTERN int bpci_coordinator_ship_to(bpci_coordinator *c,
					 const bpci_ledger_shipper_options *options,
					 bpci_diag *diag);

/**
 * bpci_coordinator_ship_stats - what the coordinator's shipper did so far
 * (@out's version set by the caller). Returns 0, BPCI_ENOTFOUND (not
 * shipping), BPCI_EINVAL.
 */
BPCI_EXTERN int bpci_coordinator_ship_stats(bpci_ledger_ship_stats *out, bpci_coordinator *c);

/**
 * bpci_coordinator_run - run the loop until bpci_coordinator_request_stop()
 * (or SIGTERM/SIGINT when opts->handle_signals). Does not stop the nodes:
 * call bpci_coordinator_shutdown() after it for that.
 * Returns 0 or BPCI_EIO (the loop failed).
 */
BPCI_EXTERN int bpci_coordinator_run(bpci_coordinator *c);

/**
 * bpci_coordinator_step - one iteration of the loop, for programs with
 * their own: handle what is ready, waiting at most @timeout_ms for
 * something to happen (0: do not wait; -1: until something happens).
 * Returns 0, 1 when a stop was requested (request_stop or a signal), or
 * BPCI_EIO.
 */
BPCI_EXTERN int bpci_coordinator_step(bpci_coordinator *c, int timeout_ms);

/**
 * bpci_coordinator_fd - a descriptor that becomes readable when the
 * coordinator has work (an event source or a timer is ready), to put into
 * the embedding program's poll/epoll set; call bpci_coordinator_step(c, 0)
 * whenever it is readable (the step re-arms it). Borrowed: do not close
 * it; valid until bpci_coordinator_free(). The first call sets it up
 * (after which every step costs one pass over the pending events).
 * Returns -1 when this build cannot provide one (libevent's backend is
 * not epoll, or its descriptor could not be recognised): then call
 * bpci_coordinator_step() with the program's own wait as timeout, at least
 * every 100 ms.
 */
BPCI_EXTERN int bpci_coordinator_fd(const bpci_coordinator *c);

/**
 * bpci_coordinator_request_stop - make bpci_coordinator_run() return (and
 * _step() return 1) soon. Async-signal-safe and thread-safe: it only
 * writes to an eventfd.
 */
BPCI_EXTERN void bpci_coordinator_request_stop(bpci_coordinator *c);

BPCI_END_DECLS

#endif
