/*
 * Internal: the placement handle's representation, shared by the files of
 * lib/plan/placement*.c.
 *
 * Daemons and nodes live in arrays and are referred to by index; the hot
 * data of the selection loop (free amount under the ceiling per resource,
 * the strategy's key) is kept in flat arrays so that one scan over 1,000
 * daemons touches a few contiguous cache lines. Nodes with the same
 * required labels and capabilities share a "class" whose list of
 * statically eligible daemons is computed once, not per node.
 */
#ifndef BPCI_LIB_PLAN_PLACEMENT_INTERNAL_H
#define BPCI_LIB_PLAN_PLACEMENT_INTERNAL_H

#include "bpci/placement.h"
#include "plan/strmap.h"

#define NRES 5
#define NONE UINT32_MAX
/* Daemons per block: a block whose best free amounts cannot take a node is
 * skipped whole, so scans over full daemons cost 1/BLOCK of a daemon each. */
#define BLOCK 64

typedef struct pl_group_count {
	uint32_t group, count;
} pl_group_count;

typedef struct pl_daemon {
	bpci_daemon_spec *spec;       /* owned copy; its id names the daemon */
	bpci_capabilities *caps;      /* owned copy, NULL for none */
	int healthy, lifecycle;
	double measured;              /* measured load 0..1 */
	uint64_t connections;
	unsigned int weight;
	uint64_t base[NRES];          /* state's reservation */
	uint64_t cap[NRES], limit[NRES], reserved[NRES];
	double inv_cap[NRES];         /* 0 where the capacity is 0 */
	size_t hosted;
	pl_group_count *groups;       /* anti-affinity groups hosted here */
	size_t ngroups, groups_cap;
} pl_daemon;

typedef struct pl_node {
	char *id;                     /* NULL once removed */
	uint64_t need[NRES];
	uint32_t daemon, cls, group;  /* NONE when unset */
} pl_node;

typedef struct pl_class {
	char *key;                    /* canonical "labels|caps" */
	char **lkeys, **lvals;        /* required labels */
	size_t nl;
	char **caps;                  /* required capabilities */
	size_t ncaps;
	uint32_t *elig;               /* statically eligible daemons, ascending */
	size_t nelig;
	int valid;                    /* elig is up to date */
} pl_class;

struct bpci_placement {
	bpci_load_balancing strategy;
	unsigned int pct;
	pl_daemon *d;
	size_t nd, dcap;
	uint64_t *avail;              /* nd * NRES: limit - reserved, floor 0 */
	uint64_t *bmax;               /* per block of BLOCK daemons: max avail per resource */
	double *key;                  /* per daemon: the strategy's key, lower wins */
	double *util;                 /* per daemon: load */
	size_t acap, kcap, ucap, bcap;
	pl_node *n;
	size_t nn, ncap, live;
	pl_class *c;
	size_t nc, ccap;
	char **groups;
	size_t ng, gcap;
	bpci__strmap dmap, nmap, cmap, gmap;
	size_t rr;                    /* round-robin cursor (a daemon index) */
};

struct bpci_placement_plan {
	bpci_placement_move *m;
	size_t n, cap, refused;
};

/* placement.c */
void bpci__pl_vec(uint64_t out[NRES], const bpci_resources *r);
void bpci__pl_refresh(bpci_placement *p, uint32_t d);
int bpci__pl_class_ready(bpci_placement *p, uint32_t cls);
int bpci__pl_fits(const bpci_placement *p, uint32_t d, const pl_node *node);
int bpci__pl_group_on(const pl_daemon *dm, uint32_t group);
int bpci__pl_assign(bpci_placement *p, uint32_t node, uint32_t d);
void bpci__pl_unassign(bpci_placement *p, uint32_t node);
double bpci__pl_util_delta(const bpci_placement *p, uint32_t d, const pl_node *node, int sign);
int bpci__pl_node_from_request(bpci_placement *p, const bpci_placement_request *req,
			       const char *field, bpci_diag *diag);
void bpci__pl_drop_last_node(bpci_placement *p);

/* placement_plan.c */
/* Would daemon @daemon_id take @req now, were it the only daemon allowed
 * to (eligible, fits under the ceiling, anti-affinity)? The outcome of
 * placing @req with every other daemon unhealthy, without the work.
 * 1 yes, 0 no (also an unknown daemon), or a negative code from reading
 * @req. Nothing changes. */
int bpci__pl_would_take(bpci_placement *p, const bpci_placement_request *req,
			const char *daemon_id);

/* placement_place.c */
uint32_t bpci__pl_choose(bpci_placement *p, uint32_t node, uint32_t exclude);
char *bpci__pl_refusal(bpci_placement *p, uint32_t node, uint32_t exclude);

/* placement_plan.c */
int bpci__pl_plan_new(bpci_placement_plan **out);
int bpci__pl_plan_add(bpci_placement_plan *plan, const char *node, const char *from,
		      const char *to, const char *reason);

#endif
