/*
 * Rebuilding the node table from the journal (coordinator_journal.c): the
 * latest snapshot, then every entry after the tree size it covers.
 * Loading is all or nothing: an entry that does not make sense refuses
 * the start, naming it (entry[SEQ].field), and changes no file.
 *
 * Entries of other actors are skipped: tools such as `bpci-enterprise
 * audit append` write to <state dir>/ledger too.
 */
#include "runtime/coordinator_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/ledger.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_journal.h"

typedef struct jreplay {
	bpci_coordinator *c;
	bpci_diag *diag;
	int found;       /* a snapshot or an entry of ours was seen */
} jreplay;

static int corrupt(jreplay *r, uint64_t seq, const char *field, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "entry[%llu].%s", (unsigned long long)seq, field);
	return bpci__diag_add_at(r->diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, r->c->ledger_dir, 0, 0,
				 path,
				 "corrupt journal: %s; it is left untouched (move the state "
				 "directory's ledger away to start with no nodes)",
				 what);
}

/* The node @id of seq @seq, or NULL. */
static bpci__cnode *find_seq(bpci_coordinator *c, const char *id, const json_t *d)
{
	bpci__cnode *n = bpci__coord_find(c, id);
	json_t *seq = json_object_get(d, "seq");

	return n && json_is_integer(seq) && (uint64_t)json_integer_value(seq) == n->seq ? n
											: NULL;
}

/* Take @n out of the table. Not bpci__coord_node_remove(): its files
 * (nodes/ID) may belong to a successor of the same id by now. */
static void drop(bpci_coordinator *c, bpci__cnode *n)
{
	bpci__coord_table_unlink(c, n);
	bpci__coord_node_free(n);
}

static int replay_entry(jreplay *r, uint64_t seq, const bpci_ledger_entry_info *e,
			const json_t *d)
{
	char prefix[40];
	bpci__cnode *n;

	snprintf(prefix, sizeof(prefix), "entry[%llu].details", (unsigned long long)seq);
	if (!json_is_object(d))
		return corrupt(r, seq, "details", "the details are not an object");
	if (strcmp(e->type, "node.started") == 0)
		return bpci__coord_node_load(r->c, d, r->c->ledger_dir, prefix, r->diag);
	if (strcmp(e->type, "node.removed") == 0) {
		uint64_t s = (uint64_t)json_integer_value(json_object_get(d, "seq"));

		if (s >= r->c->next_seq)
			r->c->next_seq = s + 1;
		/* not found: gone already (a snapshot taken after the removal) */
		if ((n = find_seq(r->c, e->subject, d)))
			drop(r->c, n);
		return 0;
	}
	/* a health transition is history: the state entries around it hold
	 * everything the table needs */
	if (strcmp(e->type, "node.health") == 0)
		return 0;
	if (strcmp(e->type, "node.restarted") != 0 && strcmp(e->type, "node.exited") != 0 &&
	    strcmp(e->type, "node.stopping") != 0 && strcmp(e->type, "node.state") != 0)
		return corrupt(r, seq, "type", "unknown entry type");
	n = find_seq(r->c, e->subject, d);
	if (!n)
		return corrupt(r, seq, "subject", "a change of a node the journal does not have");
	if (bpci__coord_node_apply(n, d) == BPCI_EPARSE)
		return corrupt(r, seq, "details.state", "unknown state");
	return 0;
}

static int replay_cb(uint64_t seq, const char *entry, size_t len, void *payload)
{
	jreplay *r = payload;
	bpci_ledger_entry_info e;
	json_t *d;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = bpci_ledger_entry_parse(&e, entry, len);
	if (rc == BPCI_ENOMEM)
		return rc;
	if (rc < 0)
		return corrupt(r, seq, "", "an entry does not parse");
	if (strcmp(e.actor, BPCI__COORD_JOURNAL_ACTOR) != 0 ||
	    strncmp(e.type, "node.", 5) != 0) {
		bpci_ledger_entry_info_clear(&e);
		return 0; /* someone else's entry */
	}
	r->found = 1;
	d = json_loads(e.details, JSON_REJECT_DUPLICATES, NULL);
	rc = replay_entry(r, seq, &e, d);
	json_decref(d);
	bpci_ledger_entry_info_clear(&e);
	return rc;
}

static int load_snapshot(jreplay *r, uint64_t *from)
{
	void *data = NULL;
	size_t len = 0;
	char *where;
	int rc;

	*from = 0;
	rc = bpci_ledger_snapshot_read(&data, &len, from, r->c->ledger,
				       BPCI__COORD_JOURNAL_SNAPSHOT, r->diag);
	if (rc == BPCI_ENOTFOUND) {
		*from = 0;
		return 0;
	}
	if (rc < 0)
		return bpci__diag_add_at(r->diag, BPCI_SEVERITY_ERROR, rc, r->c->ledger_dir, 0, 0,
					 "", "cannot read the coordinator's snapshot: %s",
					 bpci_strerror(rc));
	r->found = 1;
	where = bpci__asprintf("%s/snapshots/" BPCI__COORD_JOURNAL_SNAPSHOT ".snap",
			       r->c->ledger_dir);
	rc = where ? bpci__coord_doc_load(r->c, data, len, where, r->diag) : BPCI_ENOMEM;
	bpci__free(where);
	bpci_free(data);
	return rc;
}

/* What the journal says about each loaded node is what was loaded. */
static int mark_journaled(bpci_coordinator *c)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		bpci__cnode *n = c->nodes[i];
		bpci__cfrag_key k;

		bpci__coord_key_now(&k, n);
		k.pid = n->load_pid;
		k.start_time = n->load_start_time;
		if (bpci__coord_key_copy(&n->jkey, &k) < 0)
			return BPCI_ENOMEM;
		n->journaled = 1;
	}
	return 0;
}

int bpci__coord_journal_replay(bpci_coordinator *c, bpci_diag *diag)
{
	jreplay r = {c, diag, 0};
	uint64_t from;
	int rc = load_snapshot(&r, &from);

	if (rc == 0 && from > bpci_ledger_size(c->ledger))
		rc = bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, c->ledger_dir, 0, 0,
				       "", "the coordinator's snapshot covers %llu entries, the "
				       "journal has only %llu; it is left untouched",
				       (unsigned long long)from,
				       (unsigned long long)bpci_ledger_size(c->ledger));
	if (rc == 0)
		rc = bpci_ledger_foreach(c->ledger, from, replay_cb, &r);
	if (rc == BPCI_EVERIFY || rc == BPCI_EIO)
		rc = bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, rc, c->ledger_dir, 0, 0, "",
				       "cannot read the coordinator's journal: %s; it is left "
				       "untouched (find the damage with `bpci-enterprise audit "
				       "verify --ledger %s`, cut it on your word with "
				       "`bpci-enterprise audit repair --ledger %s`, or move the "
				       "directory away to start with no nodes)",
				       bpci_strerror(rc), c->ledger_dir, c->ledger_dir);
	if (rc == 0)
		rc = mark_journaled(c);
	if (rc == 0)
		c->since_snapshot = bpci_ledger_size(c->ledger) - from;
	return rc < 0 ? rc : !r.found;
}
