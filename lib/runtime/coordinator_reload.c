/*
 * Applying a configuration: only the difference.
 *
 * Nodes started by a reload (from_config) are matched with the
 * configuration's nodes by id, else by name; unnamed nodes match the
 * unnamed nodes of the same type in order. A match with an equal spec is
 * left alone; a changed one is replaced (the old process stops, then the
 * new spec starts under the same id); configuration nodes without a match
 * start; from_config nodes without one stop. Nodes started through the
 * API are never touched.
 *
 * A replacement waits for the old process to exit (its "successor" spec
 * starts from the exit handling), so it works from inside the loop too,
 * where nothing may block. A crash between the two loses the successor
 * until the next reload, never a running process.
 */
#include "runtime/coordinator_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_journal.h"

static const char *key_of(const bpci_node_spec *spec)
{
	const char *v;

	if (bpci_node_spec_get_string(spec, "id", &v) == 0 && v)
		return v;
	if (bpci_node_spec_get_string(spec, "name", &v) == 0 && v)
		return v;
	return NULL;
}

static bpci__cnode *match(bpci_coordinator *c, const bpci_node_spec *spec,
			  const unsigned char *taken)
{
	const char *key = key_of(spec);
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		bpci__cnode *n = c->nodes[i];
		const char *nk = key_of(n->spec);

		if (!n->from_config || taken[i] || n->remove_on_exit)
			continue;
		if (key ? nk && strcmp(key, nk) == 0
			: !nk && bpci_node_spec_type(n->spec) == bpci_node_spec_type(spec))
			return n;
	}
	return NULL;
}

static size_t index_of(const bpci_coordinator *c, const bpci__cnode *n)
{
	size_t i;

	for (i = 0; i < c->nnodes && c->nodes[i] != n; i++)
		;
	return i;
}

void bpci__coord_start_successor(bpci__cnode *n)
{
	bpci_coordinator *c = n->c;
	bpci_node_spec *succ = n->successor;
	char *id = succ ? bpci__strdup(n->id) : NULL;

	n->successor = NULL;
	bpci__coord_node_remove(c, n);
	if (succ) {
		(void)bpci__coord_start(NULL, c, succ, 1, id, NULL);
		bpci_node_spec_free(succ);
	}
	bpci__free(id);
}

static int replace(bpci__cnode *n, const bpci_node_spec *spec, bpci_diag *diag)
{
	bpci_coordinator *c = n->c;
	char *id;
	int rc;

	bpci_node_spec_free(n->successor);
	n->successor = NULL;
	rc = bpci_node_spec_dup(&n->successor, spec);
	if (rc < 0)
		return rc;
	if (!n->proc) {
		bpci__coord_disarm(n);
		bpci__coord_start_successor(n);
		return bpci__coord_save(c, diag);
	}
	id = bpci__strdup(n->id);
	if (!id)
		return BPCI_ENOMEM;
	rc = bpci_coordinator_stop_node(c, id, diag);
	bpci__free(id);
	return rc;
}

int bpci_coordinator_reload(bpci_coordinator *c, const bpci_config *config, bpci_diag *diag)
{
	size_t count = bpci_config_node_count(config), i, nold = c->nnodes;
	unsigned char *taken = bpci__calloc(nold + 1, 1);
	bpci__cnode **old = bpci__calloc(nold + 1, sizeof(*old));
	bpci__cnode **pair = bpci__calloc(count + 1, sizeof(*pair));
	int rc = 0, r;

	if (!taken || !old || !pair) {
		bpci__free(taken);
		bpci__free(old);
		bpci__free(pair);
		return BPCI_ENOMEM;
	}
	if (nold)
		memcpy(old, c->nodes, nold * sizeof(*old));
	bpci__coord_batch_begin(c); /* one state write for the whole diff */
	for (i = 0; i < count; i++) {
		pair[i] = match(c, bpci_config_node(config, i), taken);
		if (pair[i])
			taken[index_of(c, pair[i])] = 1;
	}
	/* stops first: they free ports and ids the new nodes may want */
	for (i = 0; i < nold; i++)
		if (old[i]->from_config && !taken[i] && !old[i]->remove_on_exit) {
			char *id = bpci__strdup(old[i]->id);

			r = id ? bpci_coordinator_stop_node(c, id, diag) : BPCI_ENOMEM;
			bpci__free(id);
			rc = rc < 0 ? rc : r;
		}
	for (i = 0; i < count; i++) {
		const bpci_node_spec *spec = bpci_config_node(config, i);

		if (!pair[i]) {
			r = bpci__coord_start_pipelined(c, spec, 1, NULL, diag);
		} else if (!bpci_node_spec_equal(pair[i]->spec, spec)) {
			r = bpci__coord_start_flush(c, diag); /* a stop may run the loop */
			rc = rc < 0 ? rc : r;
			r = replace(pair[i], spec, diag);
		} else {
			r = 0;
		}
		rc = rc < 0 ? rc : r;
	}
	r = bpci__coord_start_done(c, diag);
	rc = rc < 0 ? rc : r;
	r = bpci__coord_batch_end(c, diag);
	rc = rc < 0 ? rc : r;
	bpci__coord_ship_reloaded(c, config, diag); /* coordinator_ship.c */
	bpci__free(taken);
	bpci__free(old);
	bpci__free(pair);
	return rc;
}
