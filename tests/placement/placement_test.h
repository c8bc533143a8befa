/* Shared helpers of the placement suite. */
#ifndef BPCI_TESTS_PLACEMENT_H
#define BPCI_TESTS_PLACEMENT_H

#include "bpci.h"
#include "test.h"

/* A handle with @strategy and ceiling @pct. */
bpci_placement *pt_new(bpci_load_balancing strategy, unsigned int pct);

/* Add daemon @id with @capacity ("cpu=8,memory=16Gi"), @labels (NULL or
 * "k=v,..."), @resp (NULL = all), @caps (NULL or "a,b") and @healthy. */
void pt_daemon(bpci_placement *p, const char *id, const char *capacity, const char *labels,
	       const char *resp, const char *caps, int healthy);
/* Same with a full state (its capabilities field is ignored: @caps wins). */
void pt_daemon_state(bpci_placement *p, const char *id, const char *capacity,
		     const char *labels, const char *caps, bpci_placement_daemon_state st);

/* A request: caller frees the capabilities with pt_req_done(). */
bpci_placement_request pt_req(const char *id, const char *need, const char *labels,
			      const char *caps, const char *group);
void pt_req_done(bpci_placement_request *r);

/* Place one node, best effort; returns the daemon id (borrowed from @p) or
 * NULL when refused, and the refusal reason in *@why (free() it) when
 * @why is not NULL. */
const char *pt_place(bpci_placement *p, const char *id, const char *need, char **why);

void pt_add_place_tests(Suite *s);
void pt_add_rebalance_tests(Suite *s);
void pt_add_port_tests(Suite *s);
void pt_add_reference_tests(Suite *s);

#endif
