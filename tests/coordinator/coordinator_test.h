/* Shared helpers of the coordinator tests (support.c). */
#ifndef BPCI_TEST_COORDINATOR_H
#define BPCI_TEST_COORDINATOR_H

#include <bpci.h>
#include <jansson.h>

#include "test.h"

/* Records every state change the coordinator reports. */
typedef struct ct_events {
	char ids[256][32];
	bpci_node_state from[256], to[256];
	char reasons[256][160];
	size_t count;
} ct_events;

typedef struct ct_env {
	char *dir;
	bpci_coordinator *c;
	bpci_diag *diag;
	ct_events ev;
} ct_env;

/* A temporary state directory and a coordinator on it. */
void ct_setup(ct_env *e);
/* Shut down (stop all nodes), free, remove the directory. */
void ct_teardown(ct_env *e);
/* bpci_coordinator_new on e->dir into *out (events into e->ev); returns rc. */
int ct_open(ct_env *e, bpci_coordinator **out);

/* A logbook spec running this test binary as a node:
 * `--as-node MODE ARGS` (mode args space-separated in @args), health.type
 * @check, health.interval 100ms, stop.timeout 2s, fast backoff. */
bpci_node_spec *ct_spec(const char *args, const char *check);
void ct_set(bpci_node_spec *spec, const char *field, const char *value);

/* Start a node and wait until @state (timeout 10 s); returns the id
 * (free with bpci_free). */
char *ct_start_wait(ct_env *e, bpci_node_spec *spec, bpci_node_state state);
/* Wait for node @id to be in @state; fails the test on timeout. */
void ct_wait(ct_env *e, const char *id, bpci_node_state state, int timeout_ms);
/* Snapshot of @id (fails the test when missing); free with bpci_node_status_free. */
bpci_node_status *ct_status(ct_env *e, const char *id);
/* Run the loop for @ms milliseconds. */
void ct_run_for(bpci_coordinator *c, int ms);
/* Number of events for @id entering @to. */
size_t ct_count(const ct_events *ev, const char *id, bpci_node_state to);
/* 1 when @pid runs (and is not a zombie). */
int ct_alive(int pid);
/* Live processes whose command line holds @marker. */
int ct_count_marked(const char *marker);
long ct_now_ms(void);

/* The journal (journal_test.c), read through a read-only ledger handle on
 * DIR/ledger. The details of the last entry about node @id, of @type (NULL:
 * any type; its type into @type_out when not NULL), or NULL. */
json_t *ct_journal_last(const char *dir, const char *id, const char *type,
			char type_out[64]);
/* The coordinator's latest snapshot (malloc'd) and the tree size it covers. */
char *ct_snapshot(const char *dir, uint64_t *tree_size);
/* The number of entries in DIR/ledger. */
uint64_t ct_journal_size(const char *dir);
/* Rewrite the state with @from replaced by @to, as an old coordinator.json
 * (the latest snapshot, edited; the journal removed): a legacy state. */
void ct_edit_state(const char *dir, const char *from, const char *to);

void ct_add_basic(Suite *s);
void ct_add_policy(Suite *s);
void ct_add_persist(Suite *s);
void ct_add_alloc(Suite *s);
void ct_add_journal(Suite *s);
void ct_add_gaps(Suite *s);
void ct_add_rundir(Suite *s);
void ct_add_health_journal(Suite *s);
void ct_add_batch(Suite *s);

#endif
