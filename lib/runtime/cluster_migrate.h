/*
 * Internal: moving running LOCAL daemons between parents for the cluster
 * manager (cluster_migrate.c), used by move-daemon (cluster_tree.c) and
 * remove-daemon (cluster_tree_move.c).
 *
 * A local daemon D moves from parent P1 to P2 without a restart of D, of
 * its nodes or of its children:
 *   1. P1 describes D (GET P1/api/daemons/D: pid, start time, port, state
 *      directory, spec),
 *   2. DIR/migration.json records the operation (so a restarted manager
 *      finishes it),
 *   3. P2 adopts D (POST P2/api/daemons {"adopt":RECORD}): from now on at
 *      least one parent supervises it,
 *   4. the tree change is journaled and committed,
 *   5. D is told its new parent (POST D/api/daemon-tree/parent) and joins
 *      P2, which it heartbeats from then on (told before the release, so
 *      that it stops calling P1 before P1 forgets it),
 *   6. P1 releases D (DELETE P1/api/daemons/D?release=1, no signal),
 *   7. DIR/migration.json goes.
 * When P1 or P2 is the root, its coordinator is called directly. Steps 3,
 * 5 and 6 may be repeated harmlessly, which is what the resume does.
 */
#ifndef BPCI_LIB_RUNTIME_CLUSTER_MIGRATE_H
#define BPCI_LIB_RUNTIME_CLUSTER_MIGRATE_H

#include <jansson.h>

#include "runtime/cluster_internal.h"

/* One progress line on stderr (the manager's terminal) while served. */
void bpci__cm_progress(const bpci_cluster_manager *cm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Move local daemon @id from @from to @to: @t (consumed) is the tree with
 * the move made, committed as daemon.moved after the adoption. Nothing
 * changes when the handover or the adoption is refused. */
int bpci__cm_move_local(bpci_cluster_manager *cm, bpci_daemon_tree *t, const char *id,
			const char *from, const char *to, bpci_diag *diag);

/* BPCI_EINVAL (naming @id and both hosts) unless @from and @to run on
 * the same host: the nearest remote daemon (or the root) at or above
 * each is the same. A running process cannot be adopted across hosts. */
int bpci__cm_same_host(const bpci_cluster_manager *cm, const char *id, const char *from,
		       const char *to, bpci_diag *diag);

/* The handover records of @id's running LOCAL children (a JSON array of
 * {"daemon_id","record"}) into *@out; refused (BPCI_EBUSY / unreachable)
 * when one cannot be described, before anything changes. An empty array
 * when the manager does not run the tree. */
int bpci__cm_children_records(json_t **out, bpci_cluster_manager *cm, const char *id,
			      bpci_diag *diag);
/* Step 3 for each child of @kids (from bpci__cm_children_records) to
 * @parent; on failure the ones adopted are released again. */
int bpci__cm_adopt_children(bpci_cluster_manager *cm, json_t *kids, const char *parent,
			    bpci_diag *diag);
/* Steps 5 and 6 for each child: told @parent, released by @from. Failures
 * are warnings. */
void bpci__cm_hand_children(bpci_cluster_manager *cm, json_t *kids, const char *from,
			    const char *parent, bpci_diag *diag);

/* DIR/migration.json: the operation under way ({"op":"move"|"remove",
 * "daemon", "from", "to", "children"}), written before its first change.
 * @kids may be NULL. */
int bpci__cm_pending_write(bpci_cluster_manager *cm, const char *op, const char *id,
			   const char *from, const char *to, json_t *kids);
void bpci__cm_pending_clear(bpci_cluster_manager *cm);
/* Finish an operation a previous manager left in DIR/migration.json
 * (called from the server's step; at most once a second, and only once
 * the daemons it needs have joined). */
void bpci__cm_migrate_resume(bpci_cluster_manager *cm);
/* Whether a move or removal is recorded as unfinished (DIR/migration.json). */
int bpci__cm_migrate_pending(bpci_cluster_manager *cm);

#endif
