/*
 * Starting many nodes at once: bpci_coordinator_start_nodes().
 *
 * One bpci_coordinator_start_node() per node acknowledges each start with
 * a durable journal write, an fsync per node: a thousand nodes took about
 * three seconds of fsyncs alone. A batch goes through the reload's
 * pipeline instead (spawns overlap on the spawner's workers, READY=1 is
 * handled meanwhile, the journal is written as the starts go) and is
 * acknowledged by one durable write at its end. All or nothing: every
 * spec is checked before the first spawn, and a failed spawn or write
 * stops and forgets every node the call started.
 */
#include "runtime/coordinator_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

/* Every spec valid, every given id free and given once; every problem in
 * @diag, each under "nodes[i]". */
static int check_all(bpci_coordinator *c, const bpci_node_spec *const *specs, size_t count,
		     bpci_diag *diag)
{
	bpci__strmap seen = {0};
	bpci__diag_ctx ctx = {NULL, 0, 0, NULL}, saved;
	char prefix[32];
	const char *id;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < count; i++) {
		snprintf(prefix, sizeof(prefix), "nodes[%zu]", i);
		ctx.prefix = prefix;
		saved = bpci__diag_set_ctx(diag, ctx);
		r = specs[i] ? bpci_node_spec_validate(specs[i], 0, diag) < 0 ? BPCI_EINVAL : 0
			     : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "",
					      "no spec given");
		if (r == 0 && bpci_node_spec_get_string(specs[i], "id", &id) == 0 && id) {
			if (bpci__coord_find(c, id))
				r = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
						   "a node with id \"%s\" already exists", id);
			else if (bpci__strmap_get(&seen, id) != BPCI__STRMAP_NONE)
				r = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
						   "\"%s\" is given to nodes[%u] already", id,
						   (unsigned int)bpci__strmap_get(&seen, id));
			else if (bpci__strmap_put(&seen, id, (uint32_t)i) < 0)
				r = BPCI_ENOMEM;
		}
		bpci__diag_set_ctx(diag, saved);
		/* the first error, but an invalid spec outranks a taken id */
		if (r < 0 && (rc == 0 || rc == BPCI_EEXISTS))
			rc = r;
	}
	bpci__strmap_free(&seen);
	return rc;
}

/* Stop and forget the nodes this call started (ids[0..count), NULL holes). */
static void undo(bpci_coordinator *c, char **ids, size_t count)
{
	bpci__cnode *n;
	size_t i;

	for (i = 0; i < count; i++)
		if (ids[i] && (n = bpci__coord_find(c, ids[i])))
			bpci__coord_discard(n);
}

static void free_ids(char **ids, size_t count)
{
	size_t i;

	for (i = 0; ids && i < count; i++)
		bpci__free(ids[i]);
	bpci__free(ids);
}

/* Start all; the first error that undoes the batch, else BPCI_ENOTFOUND
 * when a program was missing (that node is failed and stays), else 0. */
static int start_all(bpci_coordinator *c, const bpci_node_spec *const *specs, size_t count,
		     char **ids, bpci_diag *diag)
{
	size_t i;
	int rc = 0, missing = 0, r;

	for (i = 0; i < count && rc == 0; i++) {
		r = bpci__coord_start_pipelined(c, specs[i], 0, &ids[i], diag);
		if (r == BPCI_ENOTFOUND)
			missing = 1;
		else if (r < 0)
			rc = r;
	}
	r = bpci__coord_start_done(c, diag);
	if (r == BPCI_ENOTFOUND)
		missing = 1;
	else if (r < 0 && rc == 0)
		rc = r;
	return rc < 0 ? rc : missing ? BPCI_ENOTFOUND : 0;
}

int bpci_coordinator_start_nodes(char ***node_ids, bpci_coordinator *c,
				 const bpci_node_spec *const *specs, size_t count,
				 bpci_diag *diag)
{
	char **ids;
	int rc, w;

	if (node_ids)
		*node_ids = NULL;
	if (!c || (!specs && count))
		return BPCI_EINVAL;
	if ((rc = check_all(c, specs, count, diag)) < 0)
		return rc;
	if (!(ids = bpci__calloc(count + 1, sizeof(*ids))))
		return BPCI_ENOMEM;
	bpci__coord_batch_begin(c);
	rc = start_all(c, specs, count, ids, diag);
	if (rc < 0 && rc != BPCI_ENOTFOUND)
		undo(c, ids, count);
	w = bpci__coord_batch_end(c, diag);
	if (w < 0 && (rc == 0 || rc == BPCI_ENOTFOUND)) {
		/* not durable, so not acknowledged: nothing stays */
		undo(c, ids, count);
		(void)bpci__coord_save(c, NULL);
		rc = w;
	}
	if (rc < 0 && rc != BPCI_ENOTFOUND) {
		free_ids(ids, count);
		return rc;
	}
	if (node_ids)
		*node_ids = ids;
	else
		free_ids(ids, count);
	return rc;
}
