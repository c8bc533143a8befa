/*
 * Internal: the daemon tree's representation, shared by lib/plan/daemon_tree*.c:
 *   daemon_tree.c        handle, copies, lookups, live data
 *   daemon_tree_edit.c   add, move, remove and the rules they check
 *   daemon_tree_nodes.c  nodes: placement, rebalance, plans
 *   daemon_tree_domain.c load_balancing domains, fault_recovery scopes
 *   daemon_tree_json.c   persistence and the status document
 *   daemon_tree_text.c   the indented text rendering
 *   daemon_tree_index.c  a per-operation index (ids hashed, sums precomputed)
 *   daemon_tree_cache.c  the placement view kept between placements
 *
 * Daemons are kept in parent-first (depth-first preorder) order, the root
 * at index 0; parents are named by id in the spec, indices are looked up.
 * Trees are small (thousands of daemons at most), so a single lookup is a
 * scan; work over every node against every daemon goes through a
 * dt_index built once per operation, nodes are found through the node
 * map, and placements reuse the kept view (daemon_tree_cache.c).
 */
#ifndef BPCI_LIB_PLAN_DAEMON_TREE_INTERNAL_H
#define BPCI_LIB_PLAN_DAEMON_TREE_INTERNAL_H

#include "bpci/daemon_tree.h"
#include "plan/strmap.h"

#define DT_NRES 5

typedef struct dt_live {
	int set;
	char *state, *url, *token;
	long pid;
	unsigned int restarts, running, failed;
	double cpu;
	uint64_t rss;
	double rtt;
	uint64_t heartbeats, errors;
	int64_t last;
	char *reason;              /* why the state is what it is; NULL: reported */
} dt_live;

/* The last health probe of a daemon by its health_monitoring parent. */
typedef struct dt_probe {
	int set, ok, unhealthy;
	double ms;
	unsigned int failures;
	char *error;
} dt_probe;

typedef struct dt_daemon {
	bpci_daemon_spec *spec;
	bpci_capabilities *caps;   /* NULL: none */
	dt_live live;
	dt_probe probe;
} dt_daemon;

typedef struct dt_node {
	char *id, *daemon, *labels, *anti;
	char *domain;              /* load_balancing domain; NULL: the root's */
	bpci_resources need;
	bpci_capabilities *caps;
} dt_node;

struct bpci_daemon_tree {
	dt_daemon *d;
	size_t nd;
	dt_node *n;
	size_t nn, ncap;           /* ncap: room in @n (grown by doubling) */
	unsigned int levels, max_children, pct;
	bpci_load_balancing strategy;
	/* Placing nodes one by one must not rebuild a placement problem of
	 * every daemon and node per node (daemon_tree_cache.c): */
	bpci_placement *cache;     /* the whole tree's view, NULL: none */
	bpci_resources cache_root; /* the root's capacity when it was built */
	bpci__strmap nmap;         /* node id -> index, valid when nmap_ok */
	int nmap_ok;
};

struct bpci_daemon_tree_plan {
	bpci_daemon_step *s;
	size_t ns, cap;   /* cap: room in @s (grown by doubling) */
};

/* Index of daemon / node @id, or -1. */
long bpci__dt_find(const bpci_daemon_tree *t, const char *id);
long bpci__dt_find_node(const bpci_daemon_tree *t, const char *id);
/* Index of the parent of daemon @i, -1 for the root. */
long bpci__dt_parent(const bpci_daemon_tree *t, size_t i);
unsigned int bpci__dt_level(const bpci_daemon_tree *t, size_t i);
size_t bpci__dt_nchildren(const bpci_daemon_tree *t, size_t i);
/* Amount of resource @k (0 cpu, 1 memory, 2 storage, 3 network, 4 gpu). */
uint64_t bpci__dt_res(const bpci_resources *r, int k);
void bpci__dt_res_add(bpci_resources *r, const bpci_resources *x);
/* What local children and hosted nodes take of daemon @i's capacity. */
void bpci__dt_taken(const bpci_daemon_tree *t, size_t i, bpci_resources *children,
		    bpci_resources *nodes);
/* Put the daemons back in parent-first order (after a move). */
int bpci__dt_reorder(bpci_daemon_tree *t);
/* Check the capacity rule on daemon @i; 0 or BPCI_ELIMIT. */
int bpci__dt_check_capacity(const bpci_daemon_tree *t, size_t i, bpci_diag *diag);
/* A placement problem holding the tree's daemons and nodes; with @only
 * set, every other daemon is marked unhealthy (to check one target). */
int bpci__dt_placement(bpci_placement **out, const bpci_daemon_tree *t, const char *only,
		       bpci_diag *diag);
/* What a placement problem over the tree holds. */
typedef struct dt_view {
	long within;       /* -1: every daemon; else only this daemon's subtree */
	long domain;       /* -1: every node may move; else the nodes of other
			    * domains are fixed reservations of their daemon */
	const char *only;  /* NULL, or the only daemon that may host */
	long skip;         /* -1, or a daemon that may not host */
} dt_view;
#define DT_VIEW_ALL { -1, -1, NULL, -1 }
int bpci__dt_placement_view(bpci_placement **out, const bpci_daemon_tree *t, const dt_view *v,
			    bpci_diag *diag);
/* Place one node on @t within view @v: *@where is the chosen daemon
 * (borrowed from @t). 0, BPCI_ELIMIT (the reasons in @diag, field
 * "resources"), BPCI_EINVAL, BPCI_EEXISTS or BPCI_ENOMEM. */
/* *@where: the daemon a one-node placement chose (@rc and @plan from
 * bpci_placement_place(), daemons looked up with @find), or the refusal
 * in @diag naming the node and the reason. */
int bpci__dt_place_answer(const char **where, const bpci_daemon_tree *t,
			  const bpci_placement_request *req, int rc,
			  const bpci_placement_plan *plan,
			  long (*find)(const bpci_daemon_tree *, const char *), bpci_diag *diag);
int bpci__dt_place_one(const char **where, const bpci_daemon_tree *t,
		       const bpci_placement_request *req, const dt_view *v, bpci_diag *diag);
/* A per-operation index of the tree (daemon_tree_index.c): stale after
 * any change to the tree. Daemon and node arrays are by tree index. */
typedef struct dt_index {
	bpci__strmap dmap;          /* daemon id -> index */
	long *parent;               /* -1: none */
	bpci_resources *children;   /* capacity of the local children */
	bpci_resources *nodes;      /* needs of the nodes hosted */
	long *node_daemon;          /* per node: its daemon, -1: unknown */
} dt_index;
int bpci__dt_index_build(dt_index *x, const bpci_daemon_tree *t);
void bpci__dt_index_free(dt_index *x);
long bpci__dt_index_find(const dt_index *x, const char *id);
int bpci__dt_index_in_subtree(const dt_index *x, size_t nd, size_t i, size_t anc);
/* bpci__dt_node_domain() of node @k. */
size_t bpci__dt_index_node_domain(const dt_index *x, const bpci_daemon_tree *t, size_t k);
/* Is daemon @i a load_balancing domain (the root always is)? */
int bpci__dt_is_domain(const bpci_daemon_tree *t, size_t i);
/* The tree changed: drop the cached placement view. Every function that
 * changes what a view holds (daemons, their specs, capabilities or live
 * state, nodes, their daemons) calls it first; so must code outside the
 * plan layer that edits the representation directly. NULL is a no-op. */
void bpci__dt_changed(bpci_daemon_tree *t);
/* Node indices changed (a node removed, arrays replaced): drop the node map. */
void bpci__dt_nodes_moved(bpci_daemon_tree *t);
/* Nodes from index @from on moved down one (a node was removed, its id
 * already out of the map): renumber them in the node map. */
void bpci__dt_nodes_renumbered(bpci_daemon_tree *t, size_t from);
/* Index the nodes by id for bpci__dt_find_node() (kept by
 * bpci__dt_node_push()). 0 or BPCI_ENOMEM. */
int bpci__dt_index_nodes(bpci_daemon_tree *t);
/* bpci__dt_place_one() over the whole tree with the cached view: the
 * placed node stays in the view, so the caller must record it in the
 * tree (bpci__dt_node_push()) or call bpci__dt_changed(). */
int bpci__dt_place_cached(const char **where, bpci_daemon_tree *t,
			  const bpci_placement_request *req, bpci_diag *diag);
/* Is daemon @i daemon @anc or below it? */
int bpci__dt_in_subtree(const bpci_daemon_tree *t, size_t i, size_t anc);
/* Index of the load_balancing domain node @n belongs to (the root when it
 * names none or a daemon no longer in the tree). */
size_t bpci__dt_node_domain(const bpci_daemon_tree *t, const dt_node *n);
/* After node @n moved: widen its domain to the innermost domain (an
 * ancestor of the old one, or the root) whose subtree holds its daemon. */
int bpci__dt_fix_domain(bpci_daemon_tree *t, dt_node *n);
/* The placement request describing node @n (strings borrowed). */
void bpci__dt_node_request(bpci_placement_request *req, const dt_node *n);
/* Append a step (strings copied). 0 or BPCI_ENOMEM. */
int bpci__dt_plan_add(bpci_daemon_tree_plan *plan, bpci_daemon_step_kind kind,
		      const char *subject, const char *from, const char *to);
/* The same with the daemon that acted (failover), copied; may be NULL. */
int bpci__dt_plan_add_by(bpci_daemon_tree_plan *plan, bpci_daemon_step_kind kind,
			 const char *subject, const char *from, const char *to, const char *by);
/* Record a node (copies the request) on daemon @daemon. */
int bpci__dt_node_push(bpci_daemon_tree *t, const bpci_placement_request *req,
		       const char *daemon);
/* Swap the contents of two trees (commit a changed copy). */
void bpci__dt_swap(bpci_daemon_tree *a, bpci_daemon_tree *b);
/* Is the state one that hosts no new nodes? */
int bpci__dt_state_down(const char *state);
/* The live state shown for daemon @i. */
const char *bpci__dt_state(const bpci_daemon_tree *t, size_t i);

#endif
