/*
 * Internal to the cluster manager (lib/runtime/cluster_*.c):
 *   cluster_manager.c   open, close, the state file, the journal helper
 *   cluster_replica.c   ENC replicas: placement on the root, start, stop
 *   cluster_ports.c     registrations, port leases, audit
 *   cluster_metrics.c   measured metrics and JSON listings
 *   cluster_tree.c      the daemon tree: init, add, move, remove, status
 *   cluster_tree_move.c replica moves: rebalance and removal plans
 *   cluster_lock.c      the manager lock (DIR/manager.lock), standby waits
 *   cluster_fence.c     fencing a failed daemon that reports again
 *   cluster_redirect.c  telling a remote daemon its new parent
 *   cluster_migrate.c   handing running local daemons to another parent
 */
#ifndef BPCI_LIB_RUNTIME_CLUSTER_INTERNAL_H
#define BPCI_LIB_RUNTIME_CLUSTER_INTERNAL_H

#include "bpci/cluster_manager.h"
#include "bpci/daemon_tree.h"
#include "bpci/ledger.h"
#include "bpci/placement.h"
#include "bpci/node.h"

typedef struct bpci__replica {
	char *id;            /* "replica-N", also the coordinator node id */
	char *name;
	bpci_resources res;
	char *daemon;        /* hosting daemon; NULL: the root (this process) */
} bpci__replica;

typedef struct bpci__regnode {
	char *id;            /* "node-N" */
	bpci_cluster_node *node;
} bpci__regnode;

typedef struct bpci__port_service {
	uint16_t port;
	char *service;
} bpci__port_service;

struct bpci_cluster_manager {
	char *cluster_id;
	char *state_dir;
	char *state_path;           /* DIR/cluster.json */
	char **replica_command;     /* NULL-terminated, or NULL */
	unsigned int ceiling;
	bpci_coordinator *c;
	bpci_ledger *ledger;
	bpci_port_pool *pool;
	bpci__replica *replicas;
	size_t nreplicas;
	bpci__regnode *nodes;
	size_t nnodes;
	bpci__port_service *services;
	size_t nservices;
	uint64_t next_replica, next_node;
	bpci_resources capacity;    /* the root daemon's */
	uint64_t journaled, audits;
	const char *adding;         /* replica being added: its status events wait */
	bpci_cluster_event_cb on_event;
	void *event_payload;
	bpci_daemon_tree *tree;     /* the daemon tree; the root is this manager */
	int lock_fd;                /* DIR/manager.lock, held while open */
	uint64_t takeover_wait_ms;  /* standby: how long it waited for the lock */
	char *url;                  /* the API's URL while served, else NULL */
	char *token;                /* the API's token while served, else NULL */
	int daemon_on;              /* the coordinator is the tree's root daemon */
	int tree_dirty;             /* a join, heartbeat or child change since the last sync */
	uint64_t synced_ms, failover_ms; /* last tree sync / failover attempt */
	uint64_t hb_ms, failover_timeout_ms; /* the root daemon's; 0: defaults */
	uint64_t fence_ms;          /* last failed fencing attempt, 0: none */
	uint64_t migrate_ms;        /* last look at DIR/migration.json (cluster_migrate.c) */
	int migration;              /* DIR/migration.json: 0 not looked at yet, 1 none,
				     * 2 one recorded (kept by cluster_migrate.c) */
	struct bpci__shipping *ship; /* DIR/ledger shipped (cluster_ship.c), or NULL */
};

/* Append one event (type, subject, details JSON object text) durably. */
int bpci__cm_journal(bpci_cluster_manager *cm, const char *type, const char *subject,
		     const char *details_json, bpci_diag *diag);
/* Replace DIR/cluster.json with the current state. */
int bpci__cm_persist(bpci_cluster_manager *cm, bpci_diag *diag);
/* Deliver an event to the subscriber, if any. */
void bpci__cm_emit(bpci_cluster_manager *cm, bpci_cluster_event_kind kind, const char *id,
		   const char *detail, unsigned int port);
/* The state file's JSON document / loading it back. */
char *bpci__cm_state_json(const bpci_cluster_manager *cm);
int bpci__cm_state_load(bpci_cluster_manager *cm, const char *text, size_t len,
			bpci_diag *diag);
/* The spec of replica @r's enc-cluster node. */
int bpci__cm_replica_spec(bpci_node_spec **out, const bpci_cluster_manager *cm,
			  const bpci__replica *r, bpci_diag *diag);
/* Start the node of every replica the coordinator does not know (it was
 * shut down); failures are warnings. */
int bpci__cm_start_missing(bpci_cluster_manager *cm, bpci_diag *diag);
/* Index of the replica / registration with id or name @key, or -1. */
long bpci__cm_find_replica(const bpci_cluster_manager *cm, const char *key);
long bpci__cm_find_node(const bpci_cluster_manager *cm, const char *key);
/* The service of a leased port ("" when none recorded). */
const char *bpci__cm_port_service(const bpci_cluster_manager *cm, uint16_t port);
int bpci__cm_set_service(bpci_cluster_manager *cm, uint16_t port, const char *service);
void bpci__cm_drop_service(bpci_cluster_manager *cm, uint16_t port);
/* Wall clock in milliseconds. */
uint64_t bpci__cm_now_ms(void);
/* Reserved totals of all replicas. */
void bpci__cm_reserved(const bpci_cluster_manager *cm, bpci_resources *out);
/* What placement reserves for a replica (network is not placed against). */
bpci_resources bpci__cm_placed_need(const bpci_resources *res);
/* After loading: a default tree when none was stored (root "root"), the
 * measured capacity on the root, every replica recorded as a node. */
int bpci__cm_tree_ready(bpci_cluster_manager *cm, bpci_diag *diag);
/* The tree's state-file form / loading it (text of a JSON value). */
int bpci__cm_tree_load(bpci_cluster_manager *cm, const char *json, size_t len,
		       bpci_diag *diag);
/* Is @daemon (NULL: the root) this process? */
int bpci__cm_is_root(const bpci_cluster_manager *cm, const char *daemon);
/* The plan of removing daemon @id (its replicas' moves included) as JSON
 * in *@plan_json, changing nothing; the refusals of
 * bpci_cluster_manager_remove_daemon() (unknown daemon, the root, a
 * replica that fits nowhere). */
int bpci__cm_removal_plan(char **plan_json, bpci_cluster_manager *cm, const char *id,
			  bpci_diag *diag);
/* Choose the daemon for a new replica (a copy in *@daemon), within the
 * subtree of load_balancing domain @under (NULL: the whole tree). */
int bpci__cm_tree_place(char **daemon, bpci_cluster_manager *cm, const char *id,
			const bpci_resources *res, const char *under, bpci_diag *diag);
/* Start / stop replica @r's node where it lives (the root's coordinator,
 * or the hosting daemon's coordinator API). */
int bpci__cm_replica_start(bpci_cluster_manager *cm, const bpci__replica *r,
			   const char *daemon, bpci_diag *diag);
int bpci__cm_replica_stop(bpci_cluster_manager *cm, const bpci__replica *r,
			  const char *daemon, bpci_diag *diag);
/* The status of replica node @id where it runs (NULL daemon: the root). */
int bpci__cm_node_status(bpci_node_status **out, bpci_cluster_manager *cm, const char *id,
			 const char *daemon);
/* Journal (@type, @subject, @details JSON), then replace the tree with
 * @copy (consumed), persist and emit DAEMON_TREE_UPDATED (@event). */
int bpci__cm_tree_commit(bpci_cluster_manager *cm, bpci_daemon_tree *copy, const char *type,
			 const char *subject, const char *details, const char *event,
			 bpci_diag *diag);
/* Record (or with NULL forget) the URL the API serves on: the root's
 * live data in the tree's status. */
int bpci__cm_set_url(bpci_cluster_manager *cm, const char *url);
/* Take DIR/manager.lock: at once (BPCI_EBUSY when held) or, @wait, block
 * until the holder exits. */
int bpci__cm_lock(bpci_cluster_manager *cm, int wait, bpci_diag *diag);

/* A copy of the tree for placing: unreachable daemons host nothing. */
int bpci__cm_placement_view(bpci_daemon_tree **out, const bpci_cluster_manager *cm);
/* Spawn LOCAL daemon @spec under its parent (the root's coordinator, or
 * POST /api/daemons on the parent's API) / stop daemon @id under @parent.
 * Both are no-ops (0) while the manager is not the tree's root daemon
 * (not served). */
int bpci__cm_spawn_local(bpci_cluster_manager *cm, const bpci_daemon_spec *spec,
			 bpci_diag *diag);
int bpci__cm_stop_local(bpci_cluster_manager *cm, const char *id, const char *parent,
			bpci_diag *diag);
/* Stop the daemon of @spec under its parent when it is LOCAL; errors are
 * ignored (an undo). */
int bpci__cm_stop_local_spec(bpci_cluster_manager *cm, const bpci_daemon_spec *spec);
/* Make the manager's coordinator the tree's root daemon (after serving on
 * @url with @token) and spawn the root's local children it does not run. */
int bpci__cm_daemon_start(bpci_cluster_manager *cm, const char *url, const char *token,
			  bpci_diag *diag);
/* Feed the model with the coordinator's view of the tree (live data of
 * every daemon, relayed subtrees too), journal state changes and fail
 * over the replicas of failed daemons. Cheap when nothing changed. */
void bpci__cm_tree_sync(bpci_cluster_manager *cm, int force);
/* A join or heartbeat was answered: sync at the next step. */
void bpci__cm_tree_touch(bpci_cluster_manager *cm);
/* Journal a child's escalation report (POST /api/daemon-tree/escalate). */
int bpci__cm_escalated(bpci_cluster_manager *cm, const char *body, size_t len,
		       bpci_diag *diag);
/* Daemon @id, failed until now, reports again: stop on it every replica
 * that runs elsewhere now and that @node_ids (the node ids it reported,
 * a JSON array; NULL: unknown, try all) lists, journaling replica.fenced
 * for each. Returns 0 when none is left there (it may count as healthy),
 * BPCI_EBUSY within a second of a failed attempt, else the stop's error. */
struct json_t;
/* Remote daemon @id's parent in the model changed: tell it (POST
 * /api/daemon-tree/parent on its API). 0 when told or nothing to tell;
 * else a warning in @diag naming the --join to use, and its code. */
int bpci__cm_redirect(bpci_cluster_manager *cm, const char *id, bpci_diag *diag);
int bpci__cm_fence(bpci_cluster_manager *cm, const char *id, struct json_t *node_ids);
/* Per-daemon families for /metrics: each daemon's state (with the reason
 * the manager set it) and its parent's last health probe. */
#include <stdio.h>
void bpci__cm_daemon_metrics(FILE *f, const bpci_cluster_manager *cm);
/* Fraction of the tree's daemons that are healthy (running). */
double bpci__cm_tree_health(const bpci_cluster_manager *cm);
/* {id: [responsibilities]} of daemon @id and every daemon below it, as the
 * model has them (new reference), or NULL (unknown @id, out of memory).
 * O(daemons + nodes): an index of the tree, not a lookup per ancestor. */
struct json_t *bpci__cm_subtree_responsibilities(const bpci_cluster_manager *cm,
						 const char *id);

#endif
