/*
 * libbpci — placement plans (which daemon hosts which node), rebalance and
 * failover plans, and the dynamic port pool.
 *
 * This is the plan layer: pure functions over in-memory state. Nothing here
 * does I/O, reads a clock or draws random numbers, so the same inputs give
 * the same plan on every run and every machine. Starting, moving or
 * stopping nodes, and test-binding a port, are the caller's business.
 *
 * Placement rules (hard constraints; a daemon failing any of them never
 * hosts the node):
 *   - the daemon is healthy and has the node_lifecycle responsibility;
 *   - every label the request requires ("jurisdiction=EU") is set on the
 *     daemon to exactly that value;
 *   - every capability the request requires is in the daemon's set;
 *   - no other node of the request's anti-affinity group is on the daemon;
 *   - after the node is added, the daemon's reservations stay at or below
 *     the utilization ceiling (default 80 %) of its capacity, in every
 *     resource: floor(capacity * percent / 100). A need of zero fits anywhere.
 *
 * The load of a daemon, used by rebalance and by the resource_based and
 * adaptive strategies, is max over the resources with a non-zero capacity
 * of reserved / capacity (the dominant-resource share, 0..1 and above).
 *
 * Thread-safety: a handle must not be used from two threads at once;
 * distinct handles are independent (there is no global state).
 */
#ifndef BPCI_PLACEMENT_H
#define BPCI_PLACEMENT_H

#include "common.h"
#include "error.h"
#include "resources.h"
#include "cluster.h"
#include "config.h"

BPCI_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Placement problems                                                  */

/** The daemons of a cluster and the nodes placed on them (opaque). */
typedef struct bpci_placement bpci_placement;

/**
 * Options of a placement problem.
 *
 * @strategy chooses among the daemons that satisfy every hard constraint
 * (ties always go to the daemon added first):
 *   round_robin          the first fitting daemon at or after a rotating
 *                        cursor, which then moves past it;
 *   weighted_round_robin the daemon with the smallest (hosted + 1) / weight
 *                        (stride scheduling: each daemon receives nodes in
 *                        proportion to its weight);
 *   least_connections    the daemon with the fewest connections + hosted
 *                        nodes (each placed node counts as one connection);
 *   resource_based       best fit (bin packing): the daemon with the
 *                        highest load, so daemons fill up to the ceiling
 *                        before empty ones are opened;
 *   adaptive             the daemon with the lowest max(measured load,
 *                        load): it spreads by what daemons actually carry.
 * @max_utilization_percent is the ceiling, 1..100.
 */
typedef struct bpci_placement_options {
	unsigned int version;                 /**< BPCI_PLACEMENT_OPTIONS_VERSION */
	bpci_load_balancing strategy;         /**< default resource_based */
	unsigned int max_utilization_percent; /**< default 80 */
} bpci_placement_options;

#define BPCI_PLACEMENT_OPTIONS_VERSION 1
#define BPCI_PLACEMENT_OPTIONS_INIT \
	{ BPCI_PLACEMENT_OPTIONS_VERSION, BPCI_LB_RESOURCE_BASED, 80 }

/**
 * What the placement needs to know about a daemon beyond its spec.
 * @capabilities is copied; NULL means none. @reserved is reserved outside
 * the nodes the handle knows of (the daemon's own overhead, say).
 */
typedef struct bpci_placement_daemon_state {
	unsigned int version;       /**< BPCI_PLACEMENT_DAEMON_STATE_VERSION */
	int healthy;                /**< non-zero: may host (default 1) */
	double load;                /**< measured load 0..1, for adaptive */
	uint64_t connections;       /**< for least_connections */
	unsigned int weight;        /**< >= 1, for weighted_round_robin (default 1) */
	const bpci_capabilities *capabilities;
	bpci_resources reserved;
} bpci_placement_daemon_state;

#define BPCI_PLACEMENT_DAEMON_STATE_VERSION 1
#define BPCI_PLACEMENT_DAEMON_STATE_INIT \
	{ BPCI_PLACEMENT_DAEMON_STATE_VERSION, 1, 0.0, 0, 1, NULL, { 0, 0, 0, 0, 0 } }

/**
 * A node to place. @id is any text of 1..255 bytes without control
 * characters or commas. @labels is "key=value[,key=value...]" (NULL or ""
 * for none); @capabilities NULL for none; @anti_affinity a group name, NULL
 * for none. All are read during the call only.
 */
typedef struct bpci_placement_request {
	unsigned int version;                  /**< BPCI_PLACEMENT_REQUEST_VERSION */
	const char *id;
	bpci_resources need;
	const char *labels;
	const bpci_capabilities *capabilities;
	const char *anti_affinity;
} bpci_placement_request;

#define BPCI_PLACEMENT_REQUEST_VERSION 1
#define BPCI_PLACEMENT_REQUEST_INIT \
	{ BPCI_PLACEMENT_REQUEST_VERSION, NULL, { 0, 0, 0, 0, 0 }, NULL, NULL, NULL }

/**
 * One line of a plan. For a placement, @from is NULL and @to the chosen
 * daemon; for a move (rebalance, failover) both are set. @to is NULL when
 * the node was not placed: then @reason says why for a refused node (every
 * daemon and its reason) and is NULL for a node of an all-or-nothing batch
 * that was dropped because another node was refused. Strings are borrowed
 * from the plan.
 */
typedef struct bpci_placement_move {
	const char *node;
	const char *from;
	const char *to;
	const char *reason;
} bpci_placement_move;

/** A list of placements or moves (opaque), in the order they were decided. */
typedef struct bpci_placement_plan bpci_placement_plan;

/** Flag for bpci_placement_place(): place the whole batch or none of it. */
#define BPCI_PLACEMENT_ALL_OR_NOTHING 1u

/**
 * bpci_placement_new - create an empty placement problem.
 *
 * @out: receives the handle; free it with bpci_placement_free().
 * @opts: options, or NULL for BPCI_PLACEMENT_OPTIONS_INIT.
 * @diag: receives the reason for a bad option (field "strategy" or
 *        "max_utilization_percent"), or NULL.
 *
 * Returns 0, BPCI_EINVAL, BPCI_EUNSUPPORTED (an options version this
 * library does not know) or BPCI_ENOMEM (then *@out is NULL).
 */
BPCI_EXTERN int bpci_placement_new(bpci_placement **out, const bpci_placement_options *opts,
				   bpci_diag *diag);

/** bpci_placement_free - free the handle and everything in it. NULL is a no-op. */
BPCI_EXTERN void bpci_placement_free(bpci_placement *p);

/**
 * bpci_placement_add_daemon - add a daemon that may host nodes.
 *
 * @spec: its id, responsibilities, capacity and labels (copied; the id
 *        must be set).
 * @state: health, load, connections, weight, capabilities, reservations;
 *         NULL for BPCI_PLACEMENT_DAEMON_STATE_INIT.
 *
 * Returns 0, BPCI_EINVAL (no id, weight 0, load outside 0..1),
 * BPCI_EEXISTS (the id is taken), BPCI_EUNSUPPORTED or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_placement_add_daemon(bpci_placement *p, const bpci_daemon_spec *spec,
					  const bpci_placement_daemon_state *state,
					  bpci_diag *diag);

/**
 * bpci_placement_set_daemon_state - replace a daemon's state (it was found
 * unhealthy, its measured load changed, ...). Its nodes stay where they are.
 *
 * Returns 0, BPCI_ENOTFOUND, BPCI_EINVAL, BPCI_EUNSUPPORTED or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_placement_set_daemon_state(bpci_placement *p, const char *daemon_id,
						const bpci_placement_daemon_state *state,
						bpci_diag *diag);

/**
 * bpci_placement_add_node - record a node that already runs on a daemon
 * (state recovered from the ledger). No constraint is checked: what runs,
 * runs, and its reservation counts even above the ceiling.
 *
 * Returns 0, BPCI_EINVAL (a bad request), BPCI_EEXISTS (the node id is
 * known), BPCI_ENOTFOUND (no such daemon) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_placement_add_node(bpci_placement *p, const bpci_placement_request *req,
					const char *daemon_id, bpci_diag *diag);

/** bpci_placement_remove_node - forget a node (it was stopped), freeing
 *  its reservation. Its id may be placed again. (Its slot in the handle is
 *  kept until the handle is freed: a few bytes per removed node.)
 *  Returns 0 or BPCI_ENOTFOUND. */
BPCI_EXTERN int bpci_placement_remove_node(bpci_placement *p, const char *node_id);

/**
 * bpci_placement_place - place a batch of new nodes, in order, with the
 * handle's strategy, and record the placements in the handle.
 *
 * A node that fits nowhere is refused, never queued: its plan line has no
 * @to and a @reason naming every daemon (at most 10, then "and N more
 * daemons") with why it cannot host the node, and the same text goes to
 * @diag (field: the node id). With BPCI_PLACEMENT_ALL_OR_NOTHING in @flags
 * a refusal undoes the whole batch (no partial placement is left);
 * otherwise the nodes that fit stay placed.
 *
 * @out: receives the plan, one line per request in order (free it with
 *       bpci_placement_plan_free()); set on 0 and BPCI_ELIMIT, else NULL.
 *
 * Returns 0 (all placed), BPCI_ELIMIT (some refused), BPCI_EINVAL (a bad
 * request: nothing placed), BPCI_EEXISTS (a node id already known or
 * twice in the batch: nothing placed), BPCI_EUNSUPPORTED (a request
 * version this library does not know) or BPCI_ENOMEM (nothing placed).
 */
BPCI_EXTERN int bpci_placement_place(bpci_placement_plan **out, bpci_placement *p,
				     const bpci_placement_request *reqs, size_t count,
				     unsigned int flags, bpci_diag *diag);

/**
 * bpci_placement_rebalance - plan moves that bring the most loaded daemon
 * as close to the mean load as possible with few moves, respecting every
 * hard constraint. The handle is not changed (apply the plan with
 * bpci_placement_apply()).
 *
 * Greedy and deterministic: while some move of a node off the most loaded
 * daemon lowers the higher of the two daemons' loads below the current
 * maximum, the move giving the lowest such value is taken (ties: the
 * emptier target, the earlier node, the earlier daemon); when no single
 * move helps, the best exchange of one of its nodes with a node of another
 * daemon is tried (nodes of anti-affinity groups are not exchanged). Moves
 * after the last one that lowered the cluster's peak load are taken back,
 * then each moved node whose first daemon can take it back without
 * exceeding the final peak goes back; a node moved twice appears once,
 * with its first source and last target. Optimal rebalancing is NP-hard: this finds the least peak with
 * the fewest moves on most small clusters, not all. Only healthy
 * node_lifecycle daemons take part. An empty plan means nothing can be
 * improved.
 *
 * Returns 0 or BPCI_ENOMEM (then *@out is NULL).
 */
BPCI_EXTERN int bpci_placement_rebalance(bpci_placement_plan **out, bpci_placement *p,
					 bpci_diag *diag);

/**
 * bpci_placement_failover - plan where the nodes of a failed daemon go:
 * each of them, in the order they were added, is placed on the other
 * daemons with the handle's strategy and constraints. The handle is not
 * changed (apply the plan with bpci_placement_apply()); mark the daemon
 * unhealthy with bpci_placement_set_daemon_state() so new nodes avoid it.
 *
 * @out: receives the plan (refused nodes have no @to and a @reason); set
 *       on 0 and BPCI_ELIMIT.
 *
 * Returns 0 (every node has a place), BPCI_ELIMIT (some fit nowhere; each
 * reported through @diag), BPCI_ENOTFOUND (no such daemon) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_placement_failover(bpci_placement_plan **out, bpci_placement *p,
					const char *daemon_id, bpci_diag *diag);

/**
 * bpci_placement_apply - carry out the moves of a rebalance or failover
 * plan on the handle, all or nothing. Lines without @to are skipped, as
 * are nodes already on their @to.
 *
 * Returns 0, BPCI_ENOTFOUND (a node or daemon is unknown), BPCI_EINVAL (a
 * line without @from, or a node no longer on its @from) or BPCI_ELIMIT
 * (the target no longer satisfies the constraints); the handle is
 * unchanged on error.
 */
BPCI_EXTERN int bpci_placement_apply(bpci_placement *p, const bpci_placement_plan *plan,
				     bpci_diag *diag);

/** bpci_placement_node_daemon - the id of the daemon hosting @node_id, or
 *  NULL when the node is unknown. Borrowed from the handle. */
BPCI_EXTERN const char *bpci_placement_node_daemon(const bpci_placement *p, const char *node_id);

/** bpci_placement_node_count - number of nodes the handle holds. */
BPCI_EXTERN size_t bpci_placement_node_count(const bpci_placement *p);

/**
 * bpci_placement_daemon_usage - what a daemon has reserved (its nodes plus
 * the state's reservation), its load and its number of nodes; any output
 * may be NULL. Returns 0 or BPCI_ENOTFOUND.
 */
BPCI_EXTERN int bpci_placement_daemon_usage(const bpci_placement *p, const char *daemon_id,
					    bpci_resources *reserved, double *load,
					    size_t *nodes);

/** bpci_placement_plan_free - free a plan. NULL is a no-op. */
BPCI_EXTERN void bpci_placement_plan_free(bpci_placement_plan *plan);

/** bpci_placement_plan_count - number of lines in the plan. */
BPCI_EXTERN size_t bpci_placement_plan_count(const bpci_placement_plan *plan);

/** bpci_placement_plan_refused - number of lines of refused nodes. */
BPCI_EXTERN size_t bpci_placement_plan_refused(const bpci_placement_plan *plan);

/** bpci_placement_plan_at - the @index-th line, borrowed from the plan, or
 *  NULL when @index >= the count. */
BPCI_EXTERN const bpci_placement_move *bpci_placement_plan_at(const bpci_placement_plan *plan,
							     size_t index);

/* ------------------------------------------------------------------ */
/* Port pool                                                           */

/**
 * A pool of TCP/UDP port numbers handed out to nodes (opaque): a bitmap
 * over one or more ranges, some ports reserved (never handed out).
 *
 * Allocation scans from a rotating cursor one 64-bit word at a time, so
 * successive allocations walk the ranges in order and wrap around. Each
 * call costs O(1) amortized while free ports remain: the cursor passes
 * each word once per sweep, a word with a free bit is settled with one
 * count-trailing-zeros, and only an almost full pool makes one call scan
 * many full words (worst case O(size / 64)).
 *
 * Leases: every allocated port carries an expiry time in the caller's
 * units (0 = never). The pool never reads a clock: the caller passes "now"
 * to bpci_port_pool_expire(). Test-binding a port is the caller's job:
 * when the bind fails, bpci_port_pool_mark_busy() holds the port back until
 * a given time, and the caller allocates again.
 */
typedef struct bpci_port_pool bpci_port_pool;

/**
 * Options of a port pool. @ranges and @reserved are lists of ports and
 * ranges, "20000-32000,40000-40100", "22,20100-20110"; ports are 1..65535,
 * ranges must not overlap. Reserved ports outside the ranges are ignored.
 */
typedef struct bpci_port_pool_options {
	unsigned int version;    /**< BPCI_PORT_POOL_OPTIONS_VERSION */
	const char *ranges;      /**< NULL: "20000-32000" */
	const char *reserved;    /**< NULL: none */
} bpci_port_pool_options;

#define BPCI_PORT_POOL_OPTIONS_VERSION 1
#define BPCI_PORT_POOL_OPTIONS_INIT { BPCI_PORT_POOL_OPTIONS_VERSION, NULL, NULL }

/**
 * bpci_port_pool_new - create a pool with every port free.
 * @out: receives the pool; free it with bpci_port_pool_free().
 * @opts: options, or NULL for the defaults.
 * Returns 0, BPCI_EINVAL (a bad list: field "ranges" or "reserved"),
 * BPCI_EUNSUPPORTED or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_port_pool_new(bpci_port_pool **out, const bpci_port_pool_options *opts,
				   bpci_diag *diag);

/** bpci_port_pool_free - free a pool. NULL is a no-op. */
BPCI_EXTERN void bpci_port_pool_free(bpci_port_pool *pool);

/**
 * bpci_port_pool_allocate - hand out the next free port after the cursor.
 * @out: receives the port.
 * @expires: lease expiry in the caller's time units, 0 for none, at most
 *           INT64_MAX.
 * Returns 0, BPCI_ELIMIT (no free port left) or BPCI_EINVAL (@expires).
 */
BPCI_EXTERN int bpci_port_pool_allocate(uint16_t *out, bpci_port_pool *pool, uint64_t expires);

/**
 * bpci_port_pool_allocate_port - hand out one given port.
 * Returns 0, BPCI_EBUSY (allocated or held busy), BPCI_EINVAL (outside the
 * ranges, reserved, or a bad @expires; reported through @diag, field
 * "port").
 */
BPCI_EXTERN int bpci_port_pool_allocate_port(bpci_port_pool *pool, uint16_t port,
					     uint64_t expires, bpci_diag *diag);

/** bpci_port_pool_release - give a port back (allocated or busy).
 *  Returns 0 or BPCI_ENOTFOUND (it was not handed out). */
BPCI_EXTERN int bpci_port_pool_release(bpci_port_pool *pool, uint16_t port);

/**
 * bpci_port_pool_mark_busy - an allocated port turned out to be in use by
 * another program: keep it out of circulation until @until (the caller's
 * time; 0 = until released), without a lease. bpci_port_pool_expire()
 * frees it silently after @until.
 * Returns 0, BPCI_ENOTFOUND (not allocated) or BPCI_EINVAL (@until).
 */
BPCI_EXTERN int bpci_port_pool_mark_busy(bpci_port_pool *pool, uint16_t port, uint64_t until);

/** bpci_port_pool_renew - set a new expiry on an allocated port's lease.
 *  Returns 0, BPCI_ENOTFOUND or BPCI_EINVAL. */
BPCI_EXTERN int bpci_port_pool_renew(bpci_port_pool *pool, uint16_t port, uint64_t expires);

/**
 * bpci_port_pool_is_allocated - 1 when @port is leased, 2 when held busy,
 * 0 otherwise (free, reserved, or outside the ranges).
 */
BPCI_EXTERN int bpci_port_pool_is_allocated(const bpci_port_pool *pool, uint16_t port);

/** bpci_port_pool_expiry - the lease expiry of a leased port in *@out.
 *  Returns 0 or BPCI_ENOTFOUND. */
BPCI_EXTERN int bpci_port_pool_expiry(const bpci_port_pool *pool, uint16_t port,
				      uint64_t *out);

/** bpci_port_pool_count - number of leased ports (busy ones not included). */
BPCI_EXTERN size_t bpci_port_pool_count(const bpci_port_pool *pool);

/** bpci_port_pool_capacity - number of ports that can be handed out at
 *  all: the ranges' size minus the reserved ports. */
BPCI_EXTERN size_t bpci_port_pool_capacity(const bpci_port_pool *pool);

/** bpci_port_pool_utilization - (leased + busy) / capacity, 0..1
 *  (0 for a pool of capacity 0). */
BPCI_EXTERN double bpci_port_pool_utilization(const bpci_port_pool *pool);

/**
 * bpci_port_pool_expire - release every lease whose expiry is at or before
 * @now, and free busy ports whose hold ended.
 * @ports: receives the released leased ports, ascending (free with
 *         bpci_free(); NULL when none).
 * @count: receives their number.
 * Returns 0 or BPCI_ENOMEM (then nothing is released).
 */
BPCI_EXTERN int bpci_port_pool_expire(uint16_t **ports, size_t *count, bpci_port_pool *pool,
				      uint64_t now);

/**
 * bpci_port_pool_to_json - canonical JSON of the whole pool, for
 * persistence:
 * {"busy":[[20003,0]],"cursor":4,"leases":[[20000,0],[20001,1700000000]],
 *  "ranges":"20000-32000","reserved":"","version":1}
 * (leases and busy are [port, expiry] pairs, ascending).
 * @out: receives the text; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_port_pool_to_json(char **out, const bpci_port_pool *pool);

/**
 * bpci_port_pool_from_json - rebuild a pool from bpci_port_pool_to_json()
 * text. Unknown keys, ports outside the ranges or reserved, duplicates
 * and bad numbers are errors.
 * @out: receives the pool (free with bpci_port_pool_free()); NULL on error.
 * Returns 0, BPCI_EPARSE, BPCI_EINVAL, BPCI_ENOTFOUND (unknown key),
 * BPCI_EUNSUPPORTED (another version) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_port_pool_from_json(bpci_port_pool **out, const char *json, size_t len,
					 bpci_diag *diag);

BPCI_END_DECLS

#endif
