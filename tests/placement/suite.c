/* The placement suite: strategies, constraints, refusals, rebalance,
 * failover and the port pool (lib/plan). */
#include <stdlib.h>
#include <string.h>

#include "placement_test.h"

bpci_placement *pt_new(bpci_load_balancing strategy, unsigned int pct)
{
	bpci_placement_options o = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement *p = NULL;

	o.strategy = strategy;
	o.max_utilization_percent = pct;
	ck_assert_int_eq(bpci_placement_new(&p, &o, NULL), 0);
	return p;
}

void pt_daemon_state(bpci_placement *p, const char *id, const char *capacity,
		     const char *labels, const char *caps, bpci_placement_daemon_state st)
{
	bpci_daemon_spec *spec = NULL;
	bpci_capabilities *c = NULL;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_daemon_spec_new(&spec), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "id", id, d), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "capacity", capacity, d), 0);
	if (labels)
		ck_assert_int_eq(bpci_daemon_spec_set(spec, "labels", labels, d), 0);
	if (caps)
		ck_assert_int_eq(bpci_capabilities_parse(&c, caps, d), 0);
	st.capabilities = c;
	ck_assert_msg(bpci_placement_add_daemon(p, spec, &st, d) == 0, "%s",
		      bpci_diag_last_text(d));
	bpci_capabilities_free(c);
	bpci_daemon_spec_free(spec);
	bpci_diag_free(d);
}

void pt_daemon(bpci_placement *p, const char *id, const char *capacity, const char *labels,
	       const char *resp, const char *caps, int healthy)
{
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	bpci_daemon_spec *spec = NULL;
	bpci_capabilities *c = NULL;

	st.healthy = healthy;
	if (!resp) {
		pt_daemon_state(p, id, capacity, labels, caps, st);
		return;
	}
	ck_assert_int_eq(bpci_daemon_spec_new(&spec), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "capacity", capacity, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "responsibilities", resp, NULL), 0);
	if (labels)
		ck_assert_int_eq(bpci_daemon_spec_set(spec, "labels", labels, NULL), 0);
	if (caps)
		ck_assert_int_eq(bpci_capabilities_parse(&c, caps, NULL), 0);
	st.capabilities = c;
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, &st, NULL), 0);
	bpci_capabilities_free(c);
	bpci_daemon_spec_free(spec);
}

bpci_placement_request pt_req(const char *id, const char *need, const char *labels,
			      const char *caps, const char *group)
{
	bpci_placement_request r = BPCI_PLACEMENT_REQUEST_INIT;
	bpci_capabilities *c = NULL;

	r.id = id;
	ck_assert_int_eq(bpci_resources_parse(&r.need, need, NULL), 0);
	r.labels = labels;
	if (caps)
		ck_assert_int_eq(bpci_capabilities_parse(&c, caps, NULL), 0);
	r.capabilities = c;
	r.anti_affinity = group;
	return r;
}

void pt_req_done(bpci_placement_request *r)
{
	bpci_capabilities_free((bpci_capabilities *)r->capabilities);
	r->capabilities = NULL;
}

const char *pt_place(bpci_placement *p, const char *id, const char *need, char **why)
{
	bpci_placement_request r = pt_req(id, need, NULL, NULL, NULL);
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;
	int rc = bpci_placement_place(&plan, p, &r, 1, 0, NULL);

	ck_assert_msg(rc == 0 || rc == BPCI_ELIMIT, "rc=%d", rc);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 1);
	m = bpci_placement_plan_at(plan, 0);
	ck_assert_str_eq(m->node, id);
	ck_assert_ptr_null(m->from);
	ck_assert_int_eq(rc == 0, m->to != NULL);
	if (why) {
		*why = NULL;
		if (m->reason) {
			*why = malloc(strlen(m->reason) + 1);
			strcpy(*why, m->reason);
		}
	}
	bpci_placement_plan_free(plan);
	return bpci_placement_node_daemon(p, id);
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("placement");

	pt_add_place_tests(s);
	pt_add_rebalance_tests(s);
	pt_add_port_tests(s);
	pt_add_reference_tests(s);
	return s;
}
