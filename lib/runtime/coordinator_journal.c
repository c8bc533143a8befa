/*
 * The coordinator's journal: every change of the node table is an entry
 * of the ledger in DIR/ledger (include/bpci/ledger.h), and from time to
 * time a snapshot of the whole table records the tree size it covers. On
 * start the table is the latest snapshot plus the entries after it.
 *
 * Entries (actor "coordinator", subject the node id, details JSON):
 *   node.started    a node entered the table: its spec and every recorded
 *                   field (id, seq, pid, start_time, state, ...)
 *   node.restarted  a new process (pid, start_time) for a known node
 *   node.exited     its process ended (pid 0, exit code or signal)
 *   node.stopping   a stop was requested (remove_on_exit) or is under way
 *   node.state      its state or another recorded field changed
 *   node.removed    it left the table ({"id","seq"})
 * Every entry but node.removed carries all recorded fields (not the
 * spec), so replaying one means setting them: no entry depends on how the
 * previous one was classified.
 *
 * History that is not table state is queued (bpci__coord_journal_event)
 * and goes out with the same flush, after the table's changes:
 *   node.health     a health transition (coordinator_health.c)
 *   api.request     a mutating API request (lib/api/coordinator_api.c)
 * Replaying skips both. After each flush the shipper, if any, is told
 * (coordinator_ship.c).
 *
 * Why diffing: the table's fields are changed from many places (spawns,
 * exits, probes, reloads); instead of each of them composing an entry, a
 * flush compares each node with what the journal last recorded for it
 * (its jkey) and appends what differs, all in one bpci_ledger_append_many
 * call: one fsync for a whole reload of n nodes. Heartbeat times and
 * STATUS= texts are left out of that comparison (see
 * bpci__coord_key_journal_same) and reach the journal with the next
 * entry or snapshot.
 *
 * Replaying is coordinator_journal_replay.c.
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

/* A snapshot after this many entries bounds the replay on start (a few
 * thousand entries parse in milliseconds) without writing the whole
 * table often: a table of 1,000 nodes is about 1 MB. */
#define SNAPSHOT_EVERY 4096u

int bpci__coord_journal_open(bpci_coordinator *c, const char *name, bpci_diag *diag)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	int rc;

	bpci__free(c->ledger_dir);
	c->ledger_dir = bpci__asprintf("%s/%s", c->state_dir, name);
	if (!c->ledger_dir)
		return BPCI_ENOMEM;
	c->snapshot_every = SNAPSHOT_EVERY;
	lo.actor = BPCI__COORD_JOURNAL_ACTOR;
	/* one thread appends: waiting for company would only add latency */
	lo.batch_max_delay_ms = 0;
	lo.batch_max_entries = 65536;
	rc = bpci_ledger_open(&c->ledger, c->ledger_dir, &lo, diag);
	if (rc == BPCI_EVERIFY || rc == BPCI_EUNSUPPORTED || rc == BPCI_EINVAL)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, rc, c->ledger_dir, 0, 0, "",
					 "the coordinator's journal cannot be opened (%s); it is "
					 "left untouched (find the damage with `bpci-enterprise "
					 "audit verify --ledger %s`, cut it on your word with "
					 "`bpci-enterprise audit repair --ledger %s`, or move the "
					 "directory away to start with no nodes)",
					 bpci_strerror(rc), c->ledger_dir, c->ledger_dir);
	if (rc == BPCI_EBUSY)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, rc, c->ledger_dir, 0, 0, "",
					 "the coordinator's journal %s is held open for writing "
					 "elsewhere (another process, or a cluster manager's ledger)",
					 c->ledger_dir);
	return rc;
}

int bpci_coordinator_audit(bpci_coordinator *c, const char *event, const char *details,
			   bpci_diag *diag)
{
	int rc;

	if (!c)
		return BPCI_EINVAL;
	if (!event || !*event)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "event",
				      "must name the audit event, got nothing");
	if (!c->ledger)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "event",
				      "the coordinator has no journal open");
	rc = bpci_ledger_audit(c->ledger, event, details);
	if (rc == 0)
		bpci__coord_ship_notify(c);
	return rc;
}

/* Queued entries beyond this wait for a journal that cannot be written:
 * dropping the newest keeps memory bounded. */
#define EVENTS_MAX 65536u

int bpci__coord_journal_event(bpci_coordinator *c, const char *type, const char *subject,
			      char *details)
{
	char *subj;

	if (!details)
		return BPCI_ENOMEM;
	if (!c->ledger || c->nevents >= EVENTS_MAX) {
		bpci__free(details);
		return c->ledger ? BPCI_ELIMIT : 0;
	}
	subj = bpci__strdup(subject ? subject : "");
	if (!subj || bpci__grow((void **)&c->events, &c->capevents, c->nevents + 1,
				sizeof(*c->events)) < 0) {
		bpci__free(subj);
		bpci__free(details);
		return BPCI_ENOMEM;
	}
	c->events[c->nevents].type = type;
	c->events[c->nevents].subject = subj;
	c->events[c->nevents++].details = details;
	bpci__coord_dirty(c);
	return 0;
}

static void events_clear(bpci_coordinator *c)
{
	size_t i;

	for (i = 0; i < c->nevents; i++) {
		bpci__free(c->events[i].subject);
		bpci__free(c->events[i].details);
	}
	c->nevents = 0;
}

void bpci__coord_journal_close(bpci_coordinator *c)
{
	size_t i;

	bpci__coord_ship_stop(c); /* it reads the ledger */
	events_clear(c);
	bpci__free(c->events);
	c->events = NULL;
	c->capevents = 0;

	bpci_ledger_free(c->ledger);
	c->ledger = NULL;
	for (i = 0; i < c->nremoved; i++)
		bpci__free(c->removed[i].id);
	bpci__free(c->removed);
	c->removed = NULL;
	c->nremoved = c->capremoved = 0;
	bpci__free(c->ledger_dir);
	c->ledger_dir = NULL;
}

void bpci__coord_journal_forget(bpci_coordinator *c, const bpci__cnode *n)
{
	char *id;

	if (!n->journaled)
		return; /* never recorded: nothing to undo */
	id = bpci__strdup(n->id);
	if (!id || bpci__grow((void **)&c->removed, &c->capremoved, c->nremoved + 1,
			      sizeof(*c->removed)) < 0) {
		bpci__free(id);
		/* the next flush writes a snapshot, which has the node gone */
		c->snapshot_due = 1;
		return;
	}
	c->removed[c->nremoved].id = id;
	c->removed[c->nremoved++].seq = n->seq;
}

/* ---- appending --------------------------------------------------------- */

static const char *change_type(const bpci__cfrag_key *was, const bpci__cfrag_key *now)
{
	if (now->pid != 0 && now->pid != was->pid)
		return "node.restarted";
	if (now->pid == 0 && was->pid != 0)
		return "node.exited";
	if ((now->remove_on_exit && !was->remove_on_exit) ||
	    (now->state == BPCI_NODE_STATE_STOPPING && was->state != now->state))
		return "node.stopping";
	return "node.state";
}

/* The entries of one flush; details are owned when owned[i]. */
typedef struct jbatch {
	bpci_ledger_event *ev;
	char **owned;
	bpci__cnode **node;   /* the node of entry i (NULL: a removal) */
	size_t n;
} jbatch;

static void batch_free(jbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		bpci__free(b->owned[i]);
	bpci__free(b->ev);
	bpci__free(b->owned);
	bpci__free(b->node);
}

static int batch_add(jbatch *b, const char *type, const char *subject, const char *details,
		     char *owned, bpci__cnode *n)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;

	if (!details) {
		bpci__free(owned);
		return BPCI_ENOMEM;
	}
	ev.type = type;
	ev.actor = BPCI__COORD_JOURNAL_ACTOR;
	ev.subject = subject;
	ev.details_json = details;
	b->ev[b->n] = ev;
	b->owned[b->n] = owned;
	b->node[b->n++] = n;
	return 0;
}

static int removal_entry(jbatch *b, const bpci__cremoved *r)
{
	char *d;
	json_t *o = json_pack("{s:s, s:I}", "id", r->id, "seq", (json_int_t)r->seq);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	d = text ? bpci__strdup(text) : NULL;
	free(text);
	return batch_add(b, "node.removed", r->id, d, d, NULL);
}

static int node_entry(jbatch *b, bpci__cnode *n)
{
	bpci__cfrag_key now;
	char *d;

	if (!n->journaled)
		return batch_add(b, "node.started", n->id, bpci__coord_node_entry(n), NULL, n);
	bpci__coord_key_now(&now, n);
	if (n->jkey.endpoint && bpci__coord_key_journal_same(&now, &n->jkey))
		return 0;
	d = bpci__coord_node_fields_json(n);
	return batch_add(b, change_type(&n->jkey, &now), n->id, d, d, n);
}

static int batch_build(jbatch *b, bpci_coordinator *c)
{
	size_t i, cap = c->nremoved + c->nnodes + c->nevents;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if (cap == 0)
		return 0;
	b->ev = bpci__calloc(cap, sizeof(*b->ev));
	b->owned = bpci__calloc(cap, sizeof(*b->owned));
	b->node = bpci__calloc(cap, sizeof(*b->node));
	if (!b->ev || !b->owned || !b->node)
		return BPCI_ENOMEM;
	/* removals first: a successor may take the id of a removed node */
	for (i = 0; rc == 0 && i < c->nremoved; i++)
		rc = removal_entry(b, &c->removed[i]);
	for (i = 0; rc == 0 && i < c->nnodes; i++)
		rc = node_entry(b, c->nodes[i]);
	/* after the table's changes: a node.health follows its node.state */
	for (i = 0; rc == 0 && i < c->nevents; i++)
		rc = batch_add(b, c->events[i].type, c->events[i].subject, c->events[i].details,
			       NULL, NULL);
	return rc;
}

/* The batch is durable: remember what each node's journal now says. */
static void batch_done(bpci_coordinator *c, const jbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		bpci__cnode *n = b->node[i];
		bpci__cfrag_key now;

		if (!n)
			continue;
		bpci__coord_key_now(&now, n);
		n->journaled = 1;
		/* on ENOMEM jkey stays as it was (without strings for a new
		 * node: never the same), so the node is journaled again */
		(void)bpci__coord_key_copy(&n->jkey, &now);
	}
	for (i = 0; i < c->nremoved; i++)
		bpci__free(c->removed[i].id);
	c->nremoved = 0;
	events_clear(c);
	c->since_snapshot += b->n;
}

int bpci__coord_journal_flush(bpci_coordinator *c, bpci_diag *diag)
{
	jbatch b;
	int rc;

	if (!c->ledger)
		return 0;
	rc = batch_build(&b, c);
	if (rc == 0 && b.n > 0 && (rc = bpci_ledger_append_many(NULL, c->ledger, b.ev, b.n,
								  diag)) == 0)
		bpci__coord_ship_notify(c);
	if (rc == 0)
		batch_done(c, &b);
	batch_free(&b);
	if (rc < 0)
		return rc == BPCI_ENOMEM ? rc
					 : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "",
							  "cannot append to the journal %s",
							  c->ledger_dir);
	/* The entries are durable whatever happens to the snapshot: one that
	 * fails is tried again with the next flush. */
	if ((c->snapshot_due || c->since_snapshot >= c->snapshot_every) &&
	    bpci__coord_journal_snapshot(c, NULL) < 0)
		c->snapshot_due = 1;
	return 0;
}

int bpci__coord_journal_snapshot(bpci_coordinator *c, bpci_diag *diag)
{
	char *doc;
	size_t len;
	int rc;

	if (!c->ledger)
		return 0;
	rc = bpci__coord_state_doc(&doc, &len, c);
	if (rc < 0)
		return rc;
	rc = bpci_ledger_snapshot_write(c->ledger, BPCI__COORD_JOURNAL_SNAPSHOT, doc, len,
					bpci_ledger_size(c->ledger), diag);
	bpci__free(doc);
	if (rc == 0) {
		c->since_snapshot = 0;
		c->snapshot_due = 0;
	}
	return rc;
}
