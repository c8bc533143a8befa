/*
 * The cluster manager: the root daemon of a cluster, mirroring the
 * original's MetanodeClusterManager. This first increment is one daemon
 * (no daemon tree yet): it hosts ENC replicas itself through its own
 * coordinator, keeps registered cluster nodes, hands out ports from a
 * port pool, measures cluster metrics and journals every change to its
 * ledger.
 *
 * State directory (created 0700 when missing):
 *   DIR/cluster.json      replicas, registrations, the port pool and the
 *                         services holding ports (atomic replacement)
 *   DIR/ledger/           the ledger every mutation is journaled to
 *   DIR/coordinator-ledger/, DIR/nodes/, DIR/logs/   the coordinator's state
 *                         (its journal, beside the manager's DIR/ledger/)
 *   DIR/api.token, DIR/api.url                    the HTTP API (when served)
 *
 * Journal and acknowledgement: a mutation is checked first; a refused one
 * changes nothing and journals nothing (refusals are answered, not
 * audited). An accepted one is applied, appended durably to the ledger
 * (types replica.added, replica.removed, node.registered,
 * node.unregistered, port.allocated, port.released, audit.custom), then
 * the state file is replaced, and only then does the call return 0. When
 * the journal write fails the mutation is undone and the call fails.
 *
 * Restart: a new manager on the same directory reloads cluster.json and
 * its coordinator re-adopts the replicas' still running processes (same
 * pids).
 *
 * Thread-safety: a manager is used from one thread at a time (the thread
 * that runs its coordinator's loop). Distinct managers on distinct state
 * directories are independent.
 */
#ifndef BPCI_CLUSTER_MANAGER_H
#define BPCI_CLUSTER_MANAGER_H

#include "cluster.h"
#include "common.h"
#include "coordinator.h"
#include "daemon_tree.h"
#include "error.h"
#include "resources.h"

BPCI_BEGIN_DECLS

/** A cluster manager (opaque). */
typedef struct bpci_cluster_manager bpci_cluster_manager;

/** Kinds of cluster events. Values are stable. */
typedef enum bpci_cluster_event_kind {
	BPCI_CLUSTER_REPLICA_ADDED = 1,
	BPCI_CLUSTER_REPLICA_REMOVED,
	BPCI_CLUSTER_REPLICA_STATUS,   /**< a replica's node changed state */
	BPCI_CLUSTER_NODE_REGISTERED,
	BPCI_CLUSTER_NODE_UNREGISTERED,
	BPCI_CLUSTER_PORT_ALLOCATED,
	BPCI_CLUSTER_PORT_RELEASED,
	BPCI_CLUSTER_AUDIT,
	BPCI_CLUSTER_METRICS_UPDATED,
	BPCI_CLUSTER_DAEMON_TREE_UPDATED  /**< id: the daemon; detail: "added", "removed", "moved", "initialized", "rebalanced"; id: a replica, detail: "failover by ID" (the daemon that acted) */
} bpci_cluster_event_kind;

/** An event; pointers are borrowed for the callback only. */
typedef struct bpci_cluster_event {
	bpci_cluster_event_kind kind;
	const char *id;      /**< replica or node id, audit event name; "" otherwise */
	const char *detail;  /**< new state name, service, audit details; never NULL */
	unsigned int port;   /**< for port events, else 0 */
} bpci_cluster_event;

/** Called on the manager's thread after the change is journaled. It must
 *  not call functions of the manager that change state. */
typedef void (*bpci_cluster_event_cb)(const bpci_cluster_event *event, void *payload);

#define BPCI_CLUSTER_MANAGER_OPTIONS_VERSION 2

/** Options of bpci_cluster_manager_new(). Strings are copied. */
typedef struct bpci_cluster_manager_options {
	unsigned int version;       /**< BPCI_CLUSTER_MANAGER_OPTIONS_VERSION */
	const char *cluster_id;     /**< required, an identifier; must match a stored one */
	const char *state_dir;      /**< required */
	const char *port_ranges;    /**< NULL: "20000-32000" (used when no pool is stored) */
	const char *reserved_ports; /**< NULL: none */
	unsigned int max_utilization_percent; /**< 0: 80 */
	/** Command of replica nodes (NULL-terminated argv); NULL: the
	 *  coordinator's node program (bpci-node). */
	const char *const *replica_command;
	int handle_signals;         /**< as bpci_coordinator_options.handle_signals */
	bpci_cluster_event_cb on_event;
	void *event_payload;
	/** Non-zero: a standby root. bpci_cluster_manager_new() blocks on
	 *  DIR/manager.lock until the primary holding it exits (however it
	 *  dies, the kernel releases the lock), then opens the directory as
	 *  the primary would: state, journal, re-adopted replica processes. */
	int standby;
	/* Version 2 (read only when version >= 2): */
	/** The root daemon's heartbeat interval, handed to the daemons that
	 *  join it (they heartbeat at this pace); 0: 1000. 10..3600000. */
	uint64_t heartbeat_interval_ms;
	/** A child daemon silent this long is failed (remote: its replicas
	 *  fail over) or unreachable (local); 0: 3000. Must exceed the
	 *  heartbeat interval; at most 86400000. */
	uint64_t failover_timeout_ms;
} bpci_cluster_manager_options;

#define BPCI_CLUSTER_MANAGER_OPTIONS_INIT \
	{BPCI_CLUSTER_MANAGER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, \
	 0, 0}

/**
 * bpci_cluster_manager_new - open (or create) a cluster in a state directory.
 * @out: receives the manager (free with bpci_cluster_manager_free()).
 * The manager holds an exclusive lock on DIR/manager.lock (close-on-exec,
 * so replica processes never inherit it) for its lifetime.
 * Returns 0; BPCI_EINVAL (missing or bad cluster_id, ranges, ceiling; a
 * cluster_id other than the stored one); BPCI_EBUSY (directory in use by
 * another manager, and not a standby);
 * BPCI_EPARSE (corrupt cluster.json); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_new(bpci_cluster_manager **out,
					 const bpci_cluster_manager_options *opts,
					 bpci_diag *diag);

/**
 * bpci_cluster_manager_ship_to - ship the manager's ledger (DIR/ledger)
 * to a remote ledger (bpci_ledger_serve()) on a thread of its own, as
 * bpci_coordinator_ship_to() does for a coordinator: appends never wait
 * for it, it is told after each append, how far it shipped is durable
 * (DIR/ledger/ship-*.state), and a divergence stops it and raises the
 * alarm in GET /api/cluster-manager/health ("status":"degraded", "alarm")
 * and /metrics (bpci_ledger_ship_divergence_alarm). Calling it again with
 * another endpoint or token restarts the shipper; the same ones change
 * nothing.
 *
 * @options: NULL, or an endpoint NULL or "", stops shipping.
 *
 * Returns 0; BPCI_EINVAL (bad options: the diag names the field); errors
 * of bpci_ledger_shipper_new(). Loop thread only.
 */
BPCI_EXTERN int bpci_cluster_manager_ship_to(bpci_cluster_manager *cm,
					     const bpci_ledger_shipper_options *options,
					     bpci_diag *diag);

/**
 * bpci_cluster_manager_ship_stats - what the manager's shipper did so far
 * (@out's version set by the caller). Returns 0, BPCI_ENOTFOUND (not
 * shipping), BPCI_EINVAL.
 */
BPCI_EXTERN int bpci_cluster_manager_ship_stats(bpci_ledger_ship_stats *out,
						bpci_cluster_manager *cm);

/** bpci_cluster_manager_free - release the manager; replica processes keep
 *  running and are re-adopted by the next manager. NULL is a no-op. */
BPCI_EXTERN void bpci_cluster_manager_free(bpci_cluster_manager *cm);

/** bpci_cluster_manager_shutdown - stop the manager's local subtree: when
 *  served (the root daemon), its LOCAL child daemons in reverse start order
 *  (bpci_coordinator_stop_daemons(): each stops its own nodes and child
 *  daemons; SIGKILL after the stop timeout), then every replica's node on
 *  the root. Replicas and daemons stay recorded: the next manager starts
 *  them again. REMOTE daemons (other hosts) keep running and join the next
 *  manager. Call it outside the loop (after bpci_cluster_server_free()).
 *  Returns 0, BPCI_EBUSY (inside the loop) or BPCI_EIO. */
BPCI_EXTERN int bpci_cluster_manager_shutdown(bpci_cluster_manager *cm, bpci_diag *diag);

/** bpci_cluster_manager_coordinator - the coordinator hosting the replicas
 *  (borrowed: run its loop with bpci_coordinator_step()). */
BPCI_EXTERN bpci_coordinator *bpci_cluster_manager_coordinator(bpci_cluster_manager *cm);

/** bpci_cluster_manager_state_dir - the state directory (borrowed). */
BPCI_EXTERN const char *bpci_cluster_manager_state_dir(const bpci_cluster_manager *cm);

/**
 * bpci_cluster_manager_add_enc_replica - place an enc-cluster node reserving
 * @res on the root daemon (capacity: the host's CPUs and MemTotal, and the
 * state directory's file system) within the utilization ceiling, start it,
 * journal replica.added.
 * @id: receives the replica id ("replica-N", also its node id); free with
 *      bpci_free(); may be NULL.
 * Returns 0; BPCI_EINVAL (bad name or resources); BPCI_EEXISTS (name
 * taken); BPCI_ELIMIT (does not fit: the reason is in @diag, field
 * "resources"); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_add_enc_replica(char **id, bpci_cluster_manager *cm,
						     const char *name,
						     const bpci_resources *res, bpci_diag *diag);

/**
 * bpci_cluster_manager_add_enc_replica_under - the same, placed only
 * within the subtree of daemon @under, a load_balancing domain (NULL or
 * the root: the whole tree, as bpci_cluster_manager_add_enc_replica()).
 * The replica belongs to that domain: a rebalance never moves it out
 * (bpci_daemon_tree_place_node_under()); replica.added names it
 * ("domain").
 * Returns as bpci_cluster_manager_add_enc_replica(), and BPCI_ENOTFOUND
 * (no daemon @under) or BPCI_EINVAL (@under has no load_balancing), both
 * with field "under".
 */
BPCI_EXTERN int bpci_cluster_manager_add_enc_replica_under(char **id, bpci_cluster_manager *cm,
							   const char *name,
							   const bpci_resources *res,
							   const char *under, bpci_diag *diag);

/** bpci_cluster_manager_remove_replica - stop the replica's node, journal
 *  replica.removed. @id is the id or the name. Returns 0, BPCI_ENOTFOUND, BPCI_EIO. */
BPCI_EXTERN int bpci_cluster_manager_remove_replica(bpci_cluster_manager *cm, const char *id,
						    bpci_diag *diag);

/** bpci_cluster_manager_register_node - record a cluster node ("node-N" into
 *  *@id, free with bpci_free()), journal node.registered. @caps may be NULL.
 *  Returns 0, BPCI_EINVAL, BPCI_EEXISTS (name taken), BPCI_EIO, BPCI_ENOMEM. */
BPCI_EXTERN int bpci_cluster_manager_register_node(char **id, bpci_cluster_manager *cm,
						   const char *name, bpci_cluster_node_type type,
						   const bpci_capabilities *caps, bpci_diag *diag);

/** bpci_cluster_manager_unregister_node - forget a registration (id or
 *  name), journal node.unregistered. Returns 0, BPCI_ENOTFOUND, BPCI_EIO. */
BPCI_EXTERN int bpci_cluster_manager_unregister_node(bpci_cluster_manager *cm, const char *id,
						     bpci_diag *diag);

/**
 * bpci_cluster_manager_allocate_port - lease a port for @service (NULL:
 * ""), for @ttl_ms milliseconds (0: until released). Expired leases are
 * released first (journaled as port.released). Each candidate is
 * test-bound on 127.0.0.1; one another program holds is kept busy for a
 * minute and the next is tried. Journals port.allocated.
 * Returns 0; BPCI_ELIMIT (no free port: field "port"); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_allocate_port(uint16_t *port, bpci_cluster_manager *cm,
						   const char *service, uint64_t ttl_ms,
						   bpci_diag *diag);

/** bpci_cluster_manager_release_port - end a lease, journal port.released.
 *  Returns 0, BPCI_ENOTFOUND (not leased), BPCI_EIO. */
BPCI_EXTERN int bpci_cluster_manager_release_port(bpci_cluster_manager *cm, uint16_t port,
						  bpci_diag *diag);

/** bpci_cluster_manager_expire_ports - release leases expired at the wall
 *  clock's now (journaled). *@count (may be NULL) receives how many. */
BPCI_EXTERN int bpci_cluster_manager_expire_ports(bpci_cluster_manager *cm, size_t *count,
						  bpci_diag *diag);

/** bpci_cluster_manager_audit - the original's audit_to_bpi(): journal an
 *  audit.custom entry (subject @event, non-empty; details @details, may be
 *  NULL). Returns as bpci_ledger_audit(). */
BPCI_EXTERN int bpci_cluster_manager_audit(bpci_cluster_manager *cm, const char *event,
					   const char *details, bpci_diag *diag);

/**
 * Cluster metrics, the original's ClusterMetrics. Measured values:
 * cpu_usage_percent (the replicas' process groups' CPU time over their
 * lifetime, in percent of the host's CPUs), memory_usage_percent (their RSS
 * over MemTotal); *_measured is 0 when nothing could be measured (then the
 * value is 0, not invented). Reserved values are the replicas' reservations
 * over the root daemon's capacity. daemon_tree_health: one daemon, the
 * root: 1.0 when its coordinator answers and its ledger accepts appends,
 * else 0.0. total_nodes counts replicas' nodes and registrations;
 * active_nodes the running replica nodes plus registrations (a
 * registration is a record, active until unregistered).
 */
typedef struct bpci_cluster_metrics {
	uint32_t total_nodes, active_nodes;
	uint32_t total_replicas, active_replicas, registered_nodes;
	double cpu_usage_percent, memory_usage_percent;
	int cpu_measured, memory_measured;
	double reserved_cpu_percent, reserved_memory_percent, reserved_storage_percent;
	double daemon_tree_health;
	double port_utilization;      /**< 0..1 (leased + busy) / capacity */
	uint64_t ports_allocated, ports_capacity;
	uint64_t ledger_entries;      /**< audit_metrics: entries in the ledger */
	uint64_t audit_events;        /**< audit.custom entries journaled by this process */
	uint64_t journaled;           /**< entries journaled by this process */
} bpci_cluster_metrics;

/** bpci_cluster_manager_get_metrics - measure now; emits METRICS_UPDATED.
 *  Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_cluster_manager_get_metrics(bpci_cluster_metrics *out,
						 bpci_cluster_manager *cm);

/** bpci_cluster_metrics_to_json - {"total_nodes":..,"active_nodes":..,
 *  "resource_utilization":{"cpu_usage_percent":..,"memory_usage_percent":..,
 *  "reserved":{..}},"audit_metrics":{..},"daemon_tree_health":..,
 *  "port_utilization":..,...}. Free with bpci_free(). Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_cluster_metrics_to_json(char **out, const bpci_cluster_metrics *m);

/** JSON listings ({"replicas":[...]}, {"nodes":[...]}, {"ports":[...]}):
 *  each replica with id, name, node state, pid and resources; each
 *  registration with id, name, type, capabilities; each lease with port,
 *  service and expires_ms. Free with bpci_free(). Return 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_cluster_manager_replicas_json(char **out, bpci_cluster_manager *cm);
BPCI_EXTERN int bpci_cluster_manager_nodes_json(char **out, bpci_cluster_manager *cm);
BPCI_EXTERN int bpci_cluster_manager_ports_json(char **out, bpci_cluster_manager *cm);
/** bpci_cluster_manager_resources_json - capacity, reserved, free (the
 *  placement view of the root daemon). */
BPCI_EXTERN int bpci_cluster_manager_resources_json(char **out, bpci_cluster_manager *cm);


/* ------------------------------------------------------------------ */
/* The daemon tree                                                     */

/*
 * The manager keeps the daemon tree (include/bpci/daemon_tree.h); its
 * root is the manager itself, whose coordinator hosts nodes. A new cluster
 * has the root "root" with 3 levels until bpci_cluster_manager_tree_init().
 * Every change is checked on a copy, journaled (tree.initialized,
 * daemon.added, daemon.removed, daemon.moved, replica.moved), then
 * committed and written to DIR/cluster.json ("tree"), so a restarted or
 * standby manager restores it. A refused change journals nothing.
 *
 * Replicas are placed on the tree's daemons with node_lifecycle (labels,
 * capabilities of the cluster node registered under the daemon's id, the
 * utilization ceiling). A daemon other than the root takes part once it
 * has reported its API URL (bpci_cluster_manager_daemon_report(), fed by
 * joins and heartbeats); its replicas are started through its
 * coordinator's API with its token.
 */

/** bpci_cluster_manager_tree - the tree (borrowed; valid until the next change). */
BPCI_EXTERN const bpci_daemon_tree *bpci_cluster_manager_tree(const bpci_cluster_manager *cm);

/**
 * bpci_cluster_manager_tree_init - name the root daemon (this manager) and
 * set the depth limit. Allowed while the tree holds only the root (its
 * replicas stay); journals tree.initialized.
 * Returns 0; BPCI_EINVAL (a bad id or levels); BPCI_EEXISTS (the tree has
 * other daemons: remove them first); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_tree_init(bpci_cluster_manager *cm, const char *root_id,
					       unsigned int levels, bpci_diag *diag);

/**
 * bpci_cluster_manager_add_daemon - add a daemon to the tree (rules of
 * bpci_daemon_tree_add()), journal daemon.added. While the manager is
 * served (the tree's root daemon), a LOCAL daemon is spawned by its parent
 * before the journal (the root's coordinator, or POST /api/daemons on the
 * parent's API): a refused spawn records nothing. A remote one is only
 * recorded until it joins.
 * Returns as bpci_daemon_tree_add(); the spawn's codes
 * (bpci_coordinator_add_daemon(): BPCI_ENOTFOUND for a missing daemon
 * program; BPCI_EUNREACHABLE when the parent has not joined or does not
 * answer; the parent's refusal); BPCI_EIO.
 */
BPCI_EXTERN int bpci_cluster_manager_add_daemon(bpci_cluster_manager *cm,
						const bpci_daemon_spec *spec, bpci_diag *diag);

/**
 * bpci_cluster_manager_remove_daemon - remove a daemon: its children go to
 * its parent, its replicas move to other daemons (each started where it
 * goes, then stopped where it was), then it is removed; journals
 * replica.moved per replica and daemon.removed with the plan.
 * @plan_json: receives the plan carried out (bpci_daemon_tree_plan_to_json();
 *             free with bpci_free()); may be NULL.
 * The whole plan is made first: a replica that fits nowhere refuses the
 * removal before anything changes (BPCI_ELIMIT, the message names it and
 * the reason per daemon). Served, the daemon's running LOCAL children are
 * adopted by its parent without a restart (same pids, their nodes too),
 * the removal is journaled, the children are told their parent and
 * released, then a LOCAL daemon is stopped by its parent (a failed stop is
 * a warning in @diag). An operation cut short by a crash is finished by
 * the next manager (DIR/migration.json).
 * Returns as bpci_daemon_tree_remove(), or BPCI_EIO / BPCI_EUNREACHABLE
 * (a replica could not be started on its new daemon; the replicas moved
 * before stay moved, journaled); BPCI_EBUSY / BPCI_EUNREACHABLE (served: a
 * local child daemon is not running or its parent cannot be reached: it
 * cannot be handed over, nothing changed); BPCI_EINVAL (a remote daemon's
 * local children cannot change hosts).
 */
BPCI_EXTERN int bpci_cluster_manager_remove_daemon(char **plan_json, bpci_cluster_manager *cm,
						   const char *daemon_id, bpci_diag *diag);

/** bpci_cluster_manager_move_daemon - put a daemon under another parent
 *  (rules of bpci_daemon_tree_move()), journal daemon.moved. Served, a
 *  running LOCAL daemon keeps running: the new parent adopts the process
 *  (by pid and start time), the move is journaled, the daemon is told its
 *  new parent and the old parent releases it without a signal, so that
 *  neither it nor its nodes nor its children restart; a crash midway is
 *  finished by the next manager (DIR/migration.json). A REMOTE daemon is
 *  told its new parent once journaled. Returns 0 (also when it is under
 *  @new_parent already: nothing journaled), the model's codes, BPCI_EBUSY
 *  (the local daemon is not running now), BPCI_EUNREACHABLE (a parent
 *  has not joined), BPCI_ENOTFOUND (the process is gone), BPCI_EINVAL
 *  (the new parent runs on another host). Not thread-safe. */
BPCI_EXTERN int bpci_cluster_manager_move_daemon(bpci_cluster_manager *cm, const char *daemon_id,
						 const char *new_parent, bpci_diag *diag);

/**
 * bpci_cluster_manager_rebalance - plan replica moves that even the
 * daemons' load (bpci_daemon_tree_rebalance()), or, with @moves (plan JSON
 * text, @len bytes), take those moves instead. Unless @dry_run, carry
 * them out one by one: start the replica on its new daemon, wait until it
 * runs, stop the old instance (no downtime), journal replica.moved.
 * @plan_json: receives the plan (the moves done, or planned with
 *             @dry_run); free with bpci_free(); may be NULL.
 * Returns 0; BPCI_EINVAL / BPCI_ENOTFOUND / BPCI_ELIMIT (a given move is
 * not possible: nothing moved); BPCI_EUNREACHABLE / BPCI_EIO (a move
 * failed: the moves before it stand, the plan lists them); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_rebalance(char **plan_json, bpci_cluster_manager *cm,
					       const char *moves, size_t len, int dry_run,
					       bpci_diag *diag);

/**
 * bpci_cluster_manager_rebalance_under - bpci_cluster_manager_rebalance()
 * of one load_balancing domain: the replicas that belong to daemon
 * @under's domain, within its subtree (bpci_daemon_tree_rebalance_under();
 * NULL: every domain, as bpci_cluster_manager_rebalance()).
 * Returns as bpci_cluster_manager_rebalance(), and BPCI_ENOTFOUND /
 * BPCI_EINVAL (field "under") as bpci_daemon_tree_check_domain().
 */
BPCI_EXTERN int bpci_cluster_manager_rebalance_under(char **plan_json, bpci_cluster_manager *cm,
						     const char *under, int dry_run,
						     bpci_diag *diag);

/** bpci_cluster_manager_tree_status - the tree as one SUBTREE entry
 *  (bpci_daemon_tree_status_json()), the root's live data measured now
 *  (pid, its replicas' states). Free with bpci_free(). Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_cluster_manager_tree_status(char **out, bpci_cluster_manager *cm);

/**
 * bpci_cluster_manager_daemon_report - live data of a daemon of the tree
 * (from its join or heartbeat): state, URL and token of its API, pid,
 * load, link measurements. Not journaled (it is measured, not decided).
 * Returns 0, BPCI_ENOTFOUND (not in the tree), BPCI_EINVAL, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_daemon_report(bpci_cluster_manager *cm,
						   const char *daemon_id,
						   const bpci_daemon_live *live, bpci_diag *diag);

/* ------------------------------------------------------------------ */
/* HTTP API                                                            */

/** The cluster manager's HTTP API server (opaque). */
typedef struct bpci_cluster_server bpci_cluster_server;

/**
 * bpci_cluster_manager_serve - serve the API on @listen ("HOST:PORT", port
 * 0 picks one; NULL: "127.0.0.1:8081") on the manager's loop. Routes:
 * GET /api/cluster-manager/health, /api/cluster/resources,
 * /api/cluster/metrics, /metrics (Prometheus), GET/POST /api/replicas,
 * DELETE /api/replicas/{id}, GET/POST /api/cluster/nodes, DELETE
 * /api/cluster/nodes/{id}, GET/POST /api/ports, DELETE /api/ports/{port},
 * POST /api/audit; the daemon tree's GET /api/daemon-tree/status, POST
 * /api/daemon-tree/init, POST /api/daemon-tree/daemons, DELETE
 * /api/daemon-tree/daemons/{id}, POST /api/daemon-tree/daemons/{id}/move,
 * POST /api/daemon-tree/rebalance[?dry_run=1], and the daemon tree
 * protocol's POST /api/daemon-tree/join, /heartbeat, /escalate: served,
 * the manager's coordinator is the tree's root daemon
 * (bpci_coordinator_daemon_start()), its local daemons are spawned and
 * supervised, and each bpci_cluster_server_step() copies the daemons'
 * live data into the tree, journals their state changes and fails over
 * the replicas of failed daemons. Mutations need "Authorization: Bearer TOKEN": @token,
 * or else the one in DIR/api.token (generated, mode 0600, when missing).
 * The URL is written to DIR/api.url. Errors have the coordinator API's
 * shape {"error":{"code","message","field"},"errors":[...]}.
 * Returns 0, BPCI_EINVAL, BPCI_EBUSY (address in use), BPCI_EIO, BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_manager_serve(bpci_cluster_server **out, bpci_cluster_manager *cm,
					   const char *listen, const char *token,
					   bpci_diag *diag);
/** bpci_cluster_server_url - "http://127.0.0.1:PORT" (borrowed). */
BPCI_EXTERN const char *bpci_cluster_server_url(const bpci_cluster_server *srv);
/** bpci_cluster_server_token - the bearer token (borrowed). */
BPCI_EXTERN const char *bpci_cluster_server_token(const bpci_cluster_server *srv);
/** bpci_cluster_server_step - run the loop once (up to @timeout_ms, -1: no
 *  limit), carry out queued mutations and release expired port leases
 *  (pass a finite timeout for leases to expire while the API is idle). Returns 0, 1 when a stop was
 *  requested (SIGTERM with handle_signals), or a negative code. */
BPCI_EXTERN int bpci_cluster_server_step(bpci_cluster_server *srv, int timeout_ms);
/** bpci_cluster_server_free - stop serving, remove DIR/api.url. NULL is a no-op. */
BPCI_EXTERN void bpci_cluster_server_free(bpci_cluster_server *srv);

/**
 * bpci_cluster_request - one request to a cluster manager's API (the
 * client side, used by the CLI): @method to @url + @path with @body (JSON
 * text or NULL), bearer @token (NULL for none). *@response receives the
 * body (free with bpci_free(); may be NULL). Returns 0 for 2xx;
 * BPCI_EUNREACHABLE when no server answers; for error answers the code of
 * the status (BPCI_EINVAL, BPCI_ENOTFOUND, BPCI_EEXISTS, BPCI_ELIMIT,
 * BPCI_EBUSY, BPCI_ERROR) with the server's message in @diag.
 */
BPCI_EXTERN int bpci_cluster_request(char **response, const char *url, const char *token,
				     const char *method, const char *path, const char *body,
				     bpci_diag *diag);

BPCI_END_DECLS

#endif
