/*
 * libbpci — the daemon tree model: which daemon supervises which, what
 * each may host, and the plans that change it.
 *
 * A pure model in the plan layer (no I/O, no clock, no randomness): the
 * cluster manager keeps one, journals every change and carries out the
 * plans it returns (starting and stopping real processes is the
 * manager's job).
 *
 * Rules, each checked on every change, a refusal naming what and why:
 *   - daemon ids are unique; the root is the only daemon without a parent;
 *   - levels: the root is level 1, a child one more than its parent; no
 *     daemon is deeper than the tree's `levels` (1..16);
 *   - branching: a daemon has at most `max_children` children (default 64);
 *   - capacity: a LOCAL child runs on its parent's host, so for every
 *     resource the parent has a capacity in (non-zero), the capacities of
 *     its local children plus the reservations of the nodes it hosts
 *     itself stay within its capacity. The children's share is carved out
 *     of the parent's capacity for placement. (A remote daemon brings its
 *     own host: its capacity is not taken from its parent's.)
 *   - no cycles: a daemon never moves under itself or its own subtree.
 * Every change is all or nothing: on error the tree is exactly as before.
 *
 * Nodes: the tree records which daemon hosts each node (id, resource
 * need, required labels and capabilities). Only daemons with the
 * node_lifecycle responsibility host nodes; placement, failover and
 * rebalance use bpci_placement (include/bpci/placement.h) over the
 * tree's daemons, under the utilization ceiling (default 80 %).
 *
 * Responsibilities change what a daemon does:
 *   - node_lifecycle: only these daemons host nodes.
 *   - load_balancing: the daemon is a placement DOMAIN for its subtree
 *     (the root always is one). A node placed "under" a domain
 *     (bpci_daemon_tree_place_node_under()) lands within its subtree and
 *     belongs to it: a rebalance never moves it out (every move of
 *     bpci_daemon_tree_apply() is checked), and a plain rebalance
 *     balances each domain separately, innermost first, moving only the
 *     domain's own nodes (the others count as fixed reservations). A
 *     node recorded without a domain (old state files) is the root's.
 *   - fault_recovery: the nodes of a failed daemon are failed over by its
 *     nearest ancestor with fault_recovery, within that ancestor's
 *     subtree first, then the next such ancestor's, up to the root, which
 *     always acts as the last resort (bpci_daemon_tree_failover()).
 *   - health_monitoring: the daemon probes its child daemons (GET
 *     /healthz) and reports the result upward (the "probe" of a SUBTREE
 *     entry); without it children are judged by their heartbeats alone.
 *   - resource_coordination: recorded, no behaviour of its own yet.
 *
 * Live data (state, pid, load, link measurements) comes from outside
 * (heartbeats, the manager's own coordinator) through
 * bpci_daemon_tree_set_live(); it is merged into the status but is not
 * part of the persisted JSON.
 *
 * Thread-safety: a tree must not be used from two threads at once;
 * distinct trees are independent.
 */
#ifndef BPCI_DAEMON_TREE_H
#define BPCI_DAEMON_TREE_H

#include "common.h"
#include "error.h"
#include "resources.h"
#include "cluster.h"
#include "config.h"
#include "placement.h"

BPCI_BEGIN_DECLS

/** A daemon tree (opaque). */
typedef struct bpci_daemon_tree bpci_daemon_tree;

#define BPCI_DAEMON_TREE_MAX_LEVELS 16
#define BPCI_DAEMON_TREE_OPTIONS_VERSION 1

/** Options of bpci_daemon_tree_new(); zero fields take the defaults. */
typedef struct bpci_daemon_tree_options {
	unsigned int version;                 /**< BPCI_DAEMON_TREE_OPTIONS_VERSION */
	unsigned int max_children;            /**< 1..65535; 0: 64 */
	unsigned int max_utilization_percent; /**< 1..100; 0: 80 */
	bpci_load_balancing strategy;         /**< 0: resource_based */
} bpci_daemon_tree_options;

#define BPCI_DAEMON_TREE_OPTIONS_INIT { BPCI_DAEMON_TREE_OPTIONS_VERSION, 0, 0, 0 }

/**
 * bpci_daemon_tree_new - a tree holding only its root.
 *
 * @out: receives the tree; free it with bpci_daemon_tree_free().
 * @root: the root daemon's spec (copied): an id, no parent, its capacity
 *        (the host's), responsibilities and labels.
 * @levels: the maximum depth, 1..16 (the root alone is 1 level).
 * @opts: options, or NULL for the defaults.
 * @diag: the reason of a refusal (fields "root", "levels", "max_children",
 *        "max_utilization_percent", "strategy"), or NULL.
 *
 * Returns 0, BPCI_EINVAL, BPCI_EUNSUPPORTED (options version) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_new(bpci_daemon_tree **out, const bpci_daemon_spec *root,
				     unsigned int levels, const bpci_daemon_tree_options *opts,
				     bpci_diag *diag);

/** bpci_daemon_tree_free - free a tree. NULL is a no-op. */
BPCI_EXTERN void bpci_daemon_tree_free(bpci_daemon_tree *t);

/** bpci_daemon_tree_dup - deep copy (live data included) into *@out.
 *  Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_dup(bpci_daemon_tree **out, const bpci_daemon_tree *t);

/**
 * bpci_daemon_tree_add - add a daemon under the parent its spec names.
 * Refuses: an invalid spec (BPCI_EINVAL), no parent or an unknown one
 * (BPCI_ENOTFOUND, field "parent"), a taken id (BPCI_EEXISTS, field "id"),
 * a level over the limit or a full parent (BPCI_ELIMIT, fields "levels",
 * "max_children"), a local capacity its parent cannot give (BPCI_ELIMIT,
 * field "capacity"). Returns 0 or one of those, or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_add(bpci_daemon_tree *t, const bpci_daemon_spec *spec,
				     bpci_diag *diag);

/** Kinds of plan steps. Values are stable. */
typedef enum bpci_daemon_step_kind {
	BPCI_DAEMON_STEP_REPARENT = 1, /**< daemon @subject goes from parent @from to @to */
	BPCI_DAEMON_STEP_MOVE_NODE,    /**< node @subject goes from daemon @from to @to */
	BPCI_DAEMON_STEP_REMOVE        /**< daemon @subject is removed (@from: its parent) */
} bpci_daemon_step_kind;

/** One step of a plan; strings are borrowed from the plan. */
typedef struct bpci_daemon_step {
	bpci_daemon_step_kind kind;
	const char *subject;
	const char *from;
	const char *to;     /**< NULL for BPCI_DAEMON_STEP_REMOVE */
	const char *by;     /**< failover moves: the daemon that acted; else NULL */
} bpci_daemon_step;

/** An ordered list of steps (opaque). */
typedef struct bpci_daemon_tree_plan bpci_daemon_tree_plan;

/** bpci_daemon_tree_plan_free - free a plan. NULL is a no-op. */
BPCI_EXTERN void bpci_daemon_tree_plan_free(bpci_daemon_tree_plan *plan);
/** bpci_daemon_tree_plan_count - number of steps. */
BPCI_EXTERN size_t bpci_daemon_tree_plan_count(const bpci_daemon_tree_plan *plan);
/** bpci_daemon_tree_plan_at - the @index-th step (borrowed), or NULL past the end. */
BPCI_EXTERN const bpci_daemon_step *bpci_daemon_tree_plan_at(const bpci_daemon_tree_plan *plan,
							     size_t index);
/**
 * bpci_daemon_tree_plan_to_json - {"steps":[{"action":"reparent",
 * "daemon":"d3","from":"d1","to":"root"},{"action":"move_node","node":"n1",
 * "from":"d1","to":"d2"},{"action":"remove","daemon":"d1","from":"root"}]}.
 * @out: free with bpci_free(). Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_plan_to_json(char **out, const bpci_daemon_tree_plan *plan);

/**
 * bpci_daemon_tree_remove - remove a daemon; first its children are
 * re-parented to its parent (moving up never breaks the depth limit; the
 * parent's branching and capacity limits are checked), then its nodes are
 * re-placed on the remaining daemons (bpci_placement_failover()).
 *
 * @plan: receives the steps carried out, in order (children, nodes, the
 *        removal); free with bpci_daemon_tree_plan_free(); may be NULL.
 *
 * Returns 0; BPCI_ENOTFOUND (no such daemon); BPCI_EINVAL (the root);
 * BPCI_ELIMIT (the parent cannot take the children, or a node fits
 * nowhere: every reason in @diag); BPCI_ENOMEM. Nothing changes on error.
 */
BPCI_EXTERN int bpci_daemon_tree_remove(bpci_daemon_tree_plan **plan, bpci_daemon_tree *t,
					const char *daemon_id, bpci_diag *diag);

/**
 * bpci_daemon_tree_move - put a daemon (with its subtree) under another
 * parent. Refuses the root, an unknown daemon or parent (BPCI_ENOTFOUND),
 * a cycle (the new parent is the daemon or in its subtree: BPCI_EINVAL,
 * field "parent"), a depth overflow of the deepest daemon of the subtree,
 * a full parent or a local capacity it cannot give (BPCI_ELIMIT).
 * Moving to the current parent is a no-op. Returns 0 or those codes.
 */
BPCI_EXTERN int bpci_daemon_tree_move(bpci_daemon_tree *t, const char *daemon_id,
				      const char *new_parent, bpci_diag *diag);

/* ---- accessors ---------------------------------------------------- */

/** bpci_daemon_tree_root - the root's id (borrowed). */
BPCI_EXTERN const char *bpci_daemon_tree_root(const bpci_daemon_tree *t);
/** bpci_daemon_tree_levels - the depth limit. */
BPCI_EXTERN unsigned int bpci_daemon_tree_levels(const bpci_daemon_tree *t);
/** bpci_daemon_tree_count - number of daemons, the root included. */
BPCI_EXTERN size_t bpci_daemon_tree_count(const bpci_daemon_tree *t);
/** bpci_daemon_tree_at - the @index-th daemon's spec in parent-first
 *  order (the root is 0), borrowed; NULL past the end. Indices change
 *  when the tree changes. */
BPCI_EXTERN const bpci_daemon_spec *bpci_daemon_tree_at(const bpci_daemon_tree *t, size_t index);
/** bpci_daemon_tree_get - the spec of daemon @id (borrowed), or NULL. */
BPCI_EXTERN const bpci_daemon_spec *bpci_daemon_tree_get(const bpci_daemon_tree *t,
							  const char *id);
/** bpci_daemon_tree_level - the level of daemon @id (root: 1), 0 when unknown. */
BPCI_EXTERN unsigned int bpci_daemon_tree_level(const bpci_daemon_tree *t, const char *id);
/** bpci_daemon_tree_children - number of children of @id (0 when unknown). */
BPCI_EXTERN size_t bpci_daemon_tree_children(const bpci_daemon_tree *t, const char *id);

/* ---- nodes -------------------------------------------------------- */

/**
 * bpci_daemon_tree_place_node - place a new node with the tree's strategy
 * on a daemon with node_lifecycle that satisfies its constraints and
 * ceiling, and record it.
 * @daemon: receives the chosen daemon's id (borrowed from the tree); may be NULL.
 * @req: as for bpci_placement_place(); copied.
 * Returns 0; BPCI_ELIMIT (fits nowhere: the reason per daemon in @diag,
 * field "resources"); BPCI_EEXISTS (the node id is recorded); BPCI_EINVAL;
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_place_node(const char **daemon, bpci_daemon_tree *t,
					    const bpci_placement_request *req, bpci_diag *diag);

/** bpci_daemon_tree_add_node - record a node already running on @daemon_id
 *  (recovery: no constraint is checked). Returns 0, BPCI_ENOTFOUND,
 *  BPCI_EEXISTS, BPCI_EINVAL or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_add_node(bpci_daemon_tree *t, const bpci_placement_request *req,
					  const char *daemon_id, bpci_diag *diag);

/** bpci_daemon_tree_remove_node - forget a node. Returns 0 or BPCI_ENOTFOUND. */
BPCI_EXTERN int bpci_daemon_tree_remove_node(bpci_daemon_tree *t, const char *node_id);

/** bpci_daemon_tree_node_daemon - the daemon hosting @node_id (borrowed), or NULL. */
BPCI_EXTERN const char *bpci_daemon_tree_node_daemon(const bpci_daemon_tree *t,
						      const char *node_id);

/**
 * bpci_daemon_tree_rebalance - plan node moves (BPCI_DAEMON_STEP_MOVE_NODE
 * steps) that bring the most loaded daemon as close to the mean as
 * possible with few moves (bpci_placement_rebalance()), each
 * load_balancing domain separately, innermost (deepest) first, the root's
 * last; each domain's moves are planned on the outcome of the ones before.
 * A node only moves within the domain it belongs to. The tree is not
 * changed. Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_rebalance(bpci_daemon_tree_plan **out, bpci_daemon_tree *t,
					   bpci_diag *diag);

/**
 * bpci_daemon_tree_rebalance_under - the same for one domain: the nodes
 * that belong to domain @under (NULL: the root's), within its subtree.
 * Returns 0; BPCI_ENOTFOUND (no such daemon, field "under"); BPCI_EINVAL
 * (@under has no load_balancing and is not the root, field "under");
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_rebalance_under(bpci_daemon_tree_plan **out,
						 bpci_daemon_tree *t, const char *under,
						 bpci_diag *diag);

/**
 * bpci_daemon_tree_check_domain - may nodes be placed under @under? NULL
 * and the root always; another daemon only with load_balancing.
 * Returns 0, BPCI_ENOTFOUND or BPCI_EINVAL (field "under", naming the
 * daemon and why), BPCI_EINVAL for a NULL tree.
 */
BPCI_EXTERN int bpci_daemon_tree_check_domain(const bpci_daemon_tree *t, const char *under,
					      bpci_diag *diag);

/**
 * bpci_daemon_tree_place_node_under - bpci_daemon_tree_place_node() within
 * the subtree of domain @under (NULL: the root, the whole tree), and
 * record the node as belonging to that domain. Refusals as
 * bpci_daemon_tree_check_domain(), then as bpci_daemon_tree_place_node()
 * (the reasons name only the daemons of the subtree).
 */
BPCI_EXTERN int bpci_daemon_tree_place_node_under(const char **daemon, bpci_daemon_tree *t,
						  const bpci_placement_request *req,
						  const char *under, bpci_diag *diag);

/** bpci_daemon_tree_node_domain - the id of the domain node @node_id
 *  belongs to (the root's id when none is recorded), borrowed; NULL for
 *  an unknown node. */
BPCI_EXTERN const char *bpci_daemon_tree_node_domain(const bpci_daemon_tree *t,
						      const char *node_id);

/** bpci_daemon_tree_set_node_domain - record that node @node_id belongs to
 *  domain @domain (NULL or the root: the root's). Returns 0, BPCI_ENOTFOUND,
 *  BPCI_EINVAL (as bpci_daemon_tree_check_domain()) or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_set_node_domain(bpci_daemon_tree *t, const char *node_id,
						 const char *domain, bpci_diag *diag);

/**
 * bpci_daemon_tree_failover - plan where the nodes of failed daemon
 * @daemon_id go: each, in the order recorded, is placed (the tree's
 * strategy and rules, never on @daemon_id nor on a daemon that is down)
 * within the subtree of @daemon_id's nearest ancestor with
 * fault_recovery, else of the next one, up to the root. Each
 * BPCI_DAEMON_STEP_MOVE_NODE step names in @by the ancestor whose subtree
 * took it. The tree is not changed; a node that moves out of its
 * load_balancing domain is then the nearest enclosing domain's.
 * @out: set on 0 and BPCI_ELIMIT.
 * Returns 0; BPCI_ELIMIT (some node fits nowhere: the plan holds the
 * others, @diag the reasons); BPCI_ENOTFOUND (no such daemon); BPCI_EINVAL
 * (the root); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_failover(bpci_daemon_tree_plan **out,
					  const bpci_daemon_tree *t, const char *daemon_id,
					  bpci_diag *diag);

/** bpci_daemon_tree_recovery_daemon - the daemon that acts when
 *  @daemon_id fails: its nearest ancestor with fault_recovery, else the
 *  root (borrowed); NULL for the root or an unknown daemon. */
BPCI_EXTERN const char *bpci_daemon_tree_recovery_daemon(const bpci_daemon_tree *t,
							  const char *daemon_id);

/**
 * bpci_daemon_tree_apply - carry out the MOVE_NODE steps of a plan, all or
 * nothing (other steps are not accepted). Each node must be on its @from
 * and @to must satisfy every constraint and lie within the node's
 * load_balancing domain (BPCI_ELIMIT, field "to").
 * Returns 0, BPCI_EINVAL, BPCI_ENOTFOUND, BPCI_ELIMIT or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_apply(bpci_daemon_tree *t, const bpci_daemon_tree_plan *plan,
				       bpci_diag *diag);

/**
 * bpci_daemon_tree_plan_parse - a plan from the JSON
 * bpci_daemon_tree_plan_to_json() writes (used to apply a plan shown
 * earlier, move by move). Returns 0, BPCI_EPARSE, BPCI_EINVAL or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_plan_parse(bpci_daemon_tree_plan **out, const char *json,
					    size_t len, bpci_diag *diag);

/** bpci_daemon_tree_set_capabilities - the capabilities daemon @id offers
 *  to placement (copied; NULL: none), e.g. those of the cluster node
 *  registered under its id. Not persisted. Returns 0, BPCI_ENOTFOUND or
 *  BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_set_capabilities(bpci_daemon_tree *t, const char *id,
						  const bpci_capabilities *caps);

/* ---- live data and status ----------------------------------------- */

#define BPCI_DAEMON_LIVE_VERSION 1

/**
 * What is known about a running daemon right now. Strings are copied.
 * @state: "starting", "running", "restarting", "unreachable", "failed",
 * "stopped" or "unknown" (the manager lost sight of it: see
 * bpci_daemon_tree_set_state()); a daemon in "unreachable", "failed",
 * "stopped" or "unknown" hosts no new nodes.
 */
typedef struct bpci_daemon_live {
	unsigned int version;         /**< BPCI_DAEMON_LIVE_VERSION */
	const char *state;
	const char *url;              /**< its API, NULL: unknown */
	const char *token;            /**< its API token (kept, never shown in status) */
	long pid;                     /**< 0: unknown */
	unsigned int restarts;
	unsigned int nodes_running, nodes_failed;
	double cpu_percent;           /**< measured CPU of the daemon and its nodes */
	uint64_t rss_bytes;
	double rtt_ms;                /**< -1: not measured */
	uint64_t heartbeats, errors;
	int64_t last_heartbeat_ms_ago; /**< -1: none */
} bpci_daemon_live;

#define BPCI_DAEMON_LIVE_INIT \
	{ BPCI_DAEMON_LIVE_VERSION, NULL, NULL, NULL, 0, 0, 0, 0, 0.0, 0, -1.0, 0, 0, -1 }

/** bpci_daemon_tree_set_live - replace daemon @id's live data.
 *  Returns 0, BPCI_ENOTFOUND, BPCI_EINVAL (unknown state) or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_set_live(bpci_daemon_tree *t, const char *id,
					  const bpci_daemon_live *live, bpci_diag *diag);

/** bpci_daemon_tree_get_live - daemon @id's live data (strings borrowed
 *  from the tree; defaults when nothing was set). Returns 0 or BPCI_ENOTFOUND. */
BPCI_EXTERN int bpci_daemon_tree_get_live(bpci_daemon_live *out, const bpci_daemon_tree *t,
					  const char *id);

/**
 * bpci_daemon_tree_set_state - set daemon @id's state as the manager
 * judges it, with @reason (copied; NULL: none), keeping the rest of its
 * live data: e.g. "unknown" for a daemon below one that failed, was
 * removed, or stopped relaying it. The next report
 * (bpci_daemon_tree_set_live()) replaces state and reason.
 * Returns 0, BPCI_ENOTFOUND, BPCI_EINVAL (unknown state) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_set_state(bpci_daemon_tree *t, const char *id,
					   const char *state, const char *reason,
					   bpci_diag *diag);

/** bpci_daemon_tree_state_reason - the reason given with the state of
 *  daemon @id by bpci_daemon_tree_set_state() (borrowed), or NULL. */
BPCI_EXTERN const char *bpci_daemon_tree_state_reason(const bpci_daemon_tree *t,
						       const char *id);

#define BPCI_DAEMON_PROBE_VERSION 1

/**
 * The last health probe of a daemon by its health_monitoring parent (GET
 * its /healthz). @unhealthy: the probes failed @failures times in a row,
 * reaching the parent's retries, although the daemon may still send
 * heartbeats: it is reported degraded.
 */
typedef struct bpci_daemon_probe {
	unsigned int version;   /**< BPCI_DAEMON_PROBE_VERSION */
	int ok;                 /**< the last probe answered 2xx in time */
	double latency_ms;      /**< of the last probe; -1: no answer */
	unsigned int failures;  /**< consecutive failed probes */
	int unhealthy;
	const char *error;      /**< why the last probe failed; NULL when ok */
} bpci_daemon_probe;

#define BPCI_DAEMON_PROBE_INIT { BPCI_DAEMON_PROBE_VERSION, 0, -1.0, 0, 0, NULL }

/** bpci_daemon_tree_set_probe - record (@probe copied) or with NULL forget
 *  daemon @id's last probe; not persisted, not replaced by reports.
 *  Returns 0, BPCI_ENOTFOUND, BPCI_EUNSUPPORTED or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_tree_set_probe(bpci_daemon_tree *t, const char *id,
					   const bpci_daemon_probe *probe);

/** bpci_daemon_tree_get_probe - daemon @id's last probe (strings borrowed).
 *  Returns 0 or BPCI_ENOTFOUND (no such daemon, or never probed). */
BPCI_EXTERN int bpci_daemon_tree_get_probe(bpci_daemon_probe *out, const bpci_daemon_tree *t,
					   const char *id);

/**
 * bpci_daemon_tree_status_json - the whole tree as one SUBTREE entry of
 * the daemon tree protocol: {"daemon_id","parent_id","url","remote",
 * "state","pid","restarts","nodes":{"total","running","failed"},
 * "node_ids":[...],"link":{"rtt_ms","heartbeats","errors",
 * "last_heartbeat_ms_ago"},"children":[...]} plus "level",
 * "responsibilities", "capacity", "labels" and "load":{"reserved_percent",
 * "cpu_percent","rss_bytes"} (reserved_percent: the dominant share of
 * the capacity reserved by its nodes and local children), "state_reason"
 * when the manager set the state (bpci_daemon_tree_set_state()) and
 * "probe":{"ok","latency_ms","failures","unhealthy","error"} when the
 * daemon was probed (bpci_daemon_tree_set_probe()). Tokens are
 * never included. Without live data a daemon is "starting" (the root:
 * "running") and its node counts are the model's.
 * @out: free with bpci_free(). Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_status_json(char **out, const bpci_daemon_tree *t);

/**
 * bpci_daemon_tree_render - an indented text tree from a SUBTREE entry
 * (what bpci_daemon_tree_status_json() or GET /api/daemon-tree/status
 * gives): one line per daemon with its health, load and nodes, then a
 * line with its link when it has a parent, e.g.
 *   root [running] pid 4242, load 12.5% reserved, cpu 3.1%, nodes 2/2 running: replica-1, replica-2
 *   `-- eu-1 [unreachable, remote] pid 0, load 0.0% reserved, nodes 0/0 running
 *         link: rtt 1.20 ms, 40 heartbeats, 2 errors, last 3100 ms ago
 * @out: free with bpci_free().
 * Returns 0, BPCI_EPARSE (not a SUBTREE entry: the field in @diag) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_render(char **out, const char *subtree_json, size_t len,
					bpci_diag *diag);

/* ---- persistence -------------------------------------------------- */

/**
 * bpci_daemon_tree_to_json - canonical JSON of the model (no live data):
 * {"daemons":[spec...],"levels":3,"max_children":64,
 *  "max_utilization_percent":80,"nodes":[{"capabilities":[],"daemon":"root",
 *  "id":"n1","labels":"","need":"cpu=1"}],"strategy":4,"version":1}
 * with the daemons parent first (as bpci_daemon_spec_to_json()); a node
 * of another domain than the root's has "domain":"ID".
 * @out: free with bpci_free(). Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_to_json(char **out, const bpci_daemon_tree *t);

/**
 * bpci_daemon_tree_from_json - rebuild a tree from bpci_daemon_tree_to_json()
 * text, checking every rule as bpci_daemon_tree_add() does (node
 * reservations are taken as they are).
 * Returns 0, BPCI_EPARSE, BPCI_EINVAL, BPCI_ENOTFOUND, BPCI_EEXISTS,
 * BPCI_ELIMIT, BPCI_EUNSUPPORTED (another version) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_tree_from_json(bpci_daemon_tree **out, const char *json, size_t len,
					   bpci_diag *diag);

BPCI_END_DECLS

#endif
