/* Cluster node types, capability sets and daemon responsibilities. */
#include <string.h>

#include "cluster_tests.h"
#include "common/alloc.h"

START_TEST(node_type_names_round_trip)
{
	static const char *const names[] = {
		"validator", "auditor", "compute", "daemon", "gateway", "storage", "oracle"
	};
	bpci_cluster_node_type t;
	int i;

	for (i = 1; i <= BPCI_CLUSTER_NODE_TYPE_COUNT; i++) {
		ck_assert_str_eq(bpci_cluster_node_type_name((bpci_cluster_node_type)i), names[i - 1]);
		ck_assert_int_eq(bpci_cluster_node_type_parse(&t, names[i - 1]), 0);
		ck_assert_int_eq(t, i);
	}
	ck_assert_int_eq(BPCI_CLUSTER_NODE_VALIDATOR, 1);
	ck_assert_int_eq(BPCI_CLUSTER_NODE_ORACLE, 7);
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, "Compute"), 0);
	ck_assert_int_eq(t, BPCI_CLUSTER_NODE_COMPUTE);
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, "STORAGE"), 0);
	ck_assert_int_eq(t, BPCI_CLUSTER_NODE_STORAGE);
	t = BPCI_CLUSTER_NODE_GATEWAY;
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, "computer"), BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, ""), BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, " compute"), BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_node_type_parse(&t, NULL), BPCI_EINVAL);
	ck_assert_int_eq(t, BPCI_CLUSTER_NODE_GATEWAY);
	ck_assert_ptr_null(bpci_cluster_node_type_name((bpci_cluster_node_type)0));
	ck_assert_ptr_null(bpci_cluster_node_type_name((bpci_cluster_node_type)8));
	ck_assert_ptr_null(bpci_cluster_node_type_name((bpci_cluster_node_type)-1));
}
END_TEST

static void format_caps(const bpci_capabilities *c, const char *want)
{
	char *s = NULL;

	ck_assert_int_eq(bpci_capabilities_format(&s, c), 0);
	ck_assert_str_eq(s, want);
	bpci_free(s);
}

START_TEST(capabilities_sorted_unique_set)
{
	bpci_capabilities *c, *d;
	bpci_diag *diag = cluster_test_diag();
	char name[80];

	ck_assert_int_eq(bpci_capabilities_new(&c), 0);
	ck_assert_uint_eq(bpci_capabilities_count(c), 0);
	format_caps(c, "");
	ck_assert_int_eq(bpci_capabilities_add(c, "storage", diag), 0);
	ck_assert_int_eq(bpci_capabilities_add(c, "audit", diag), 0);
	ck_assert_int_eq(bpci_capabilities_add(c, "storage", diag), 0);
	ck_assert_int_eq(bpci_capabilities_add(c, "compute", diag), 0);
	ck_assert_int_eq(bpci_capabilities_add(c, "a", diag), 0);
	ck_assert_uint_eq(bpci_capabilities_count(c), 4);
	ck_assert_str_eq(bpci_capabilities_get(c, 0), "a");
	ck_assert_str_eq(bpci_capabilities_get(c, 1), "audit");
	ck_assert_str_eq(bpci_capabilities_get(c, 3), "storage");
	ck_assert_ptr_null(bpci_capabilities_get(c, 4));
	ck_assert(bpci_capabilities_has(c, "compute"));
	ck_assert(!bpci_capabilities_has(c, "networking"));
	ck_assert(!bpci_capabilities_has(c, NULL));
	format_caps(c, "a,audit,compute,storage");

	/* Bounds of a name: 64 bytes is the longest. */
	memset(name, 'x', 64);
	name[64] = '\0';
	ck_assert_int_eq(bpci_capabilities_add(c, name, diag), 0);
	name[64] = 'x';
	name[65] = '\0';
	ck_assert_int_eq(bpci_capabilities_add(c, name, diag), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_error_count(diag), 1);
	ck_assert_str_eq(bpci_diag_get(diag, 0)->field, "capabilities");
	bpci_diag_clear(diag);
	ck_assert_int_eq(bpci_capabilities_add(c, "Storage", diag), BPCI_EINVAL);
	cluster_assert_diag(diag, 1, "capabilities", "\"Storage\" is not a capability name");
	ck_assert_int_eq(bpci_capabilities_add(c, "1abc", NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_capabilities_add(c, "_abc", NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_capabilities_add(c, "ab-c", NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_capabilities_add(c, "", NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_capabilities_add(c, NULL, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_capabilities_add(c, "a_1", NULL), 0);
	ck_assert_uint_eq(bpci_capabilities_count(c), 6);

	ck_assert_int_eq(bpci_capabilities_dup(&d, c), 0);
	ck_assert(bpci_capabilities_equal(c, d));
	ck_assert_int_eq(bpci_capabilities_add(d, "zz", NULL), 0);
	ck_assert(!bpci_capabilities_equal(c, d));
	bpci_capabilities_free(d);
	bpci_capabilities_free(c);
	bpci_capabilities_free(NULL);
	bpci_diag_free(diag);
}
END_TEST

START_TEST(capabilities_parse_lists)
{
	bpci_capabilities *c = NULL;
	bpci_diag *diag = cluster_test_diag();

	ck_assert_int_eq(bpci_capabilities_parse(&c, "distributed_storage,encryption,replication",
						 diag), 0);
	ck_assert_uint_eq(bpci_capabilities_count(c), 3);
	format_caps(c, "distributed_storage,encryption,replication");
	bpci_capabilities_free(c);
	ck_assert_int_eq(bpci_capabilities_parse(&c, " storage , compute,storage,audit ", diag), 0);
	format_caps(c, "audit,compute,storage");
	bpci_capabilities_free(c);
	ck_assert_uint_eq(bpci_diag_count(diag), 0);

	c = (bpci_capabilities *)0x1;
	ck_assert_int_eq(bpci_capabilities_parse(&c, "", diag), BPCI_EINVAL);
	ck_assert_ptr_null(c);
	cluster_assert_diag(diag, 1, "capabilities", "is empty");
	bpci_diag_clear(diag);
	ck_assert_int_eq(bpci_capabilities_parse(&c, "a,,b", diag), BPCI_EINVAL);
	cluster_assert_diag(diag, 1, "capabilities", "empty item");
	bpci_diag_clear(diag);
	ck_assert_int_eq(bpci_capabilities_parse(&c, "a,", diag), BPCI_EINVAL);
	cluster_assert_diag(diag, 1, "capabilities", "empty item");
	bpci_diag_clear(diag);
	/* Every bad name is reported. */
	ck_assert_int_eq(bpci_capabilities_parse(&c, "Encryption,ok,bad name,x-y", diag),
			 BPCI_EINVAL);
	cluster_assert_diag(diag, 3, "capabilities", "\"Encryption\"");
	ck_assert_contains(bpci_diag_get(diag, 1)->text, "\"bad name\"");
	ck_assert_contains(bpci_diag_get(diag, 2)->text, "\"x-y\"");
	ck_assert_ptr_null(c);
	ck_assert_int_eq(bpci_capabilities_parse(&c, NULL, NULL), BPCI_EINVAL);
	bpci_diag_free(diag);
}
END_TEST

START_TEST(capabilities_allocation_failures)
{
	bpci_capabilities *c;
	char *s;
	long k;
	int rc = -1;

	for (k = 0; rc != 0 && k < 100; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_capabilities_parse(&c, "e,d,c,b,a,f,g", NULL);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
		if (rc)
			ck_assert_ptr_null(c);
	}
	ck_assert_int_eq(rc, 0);
	bpci__alloc_fail_after(0);
	ck_assert_int_eq(bpci_capabilities_format(&s, c), BPCI_ENOMEM);
	bpci__alloc_fail_after(-1);
	ck_assert_ptr_null(s);
	format_caps(c, "a,b,c,d,e,f,g");
	bpci_capabilities_free(c);
}
END_TEST

static unsigned int resp(const char *list)
{
	unsigned int m = 0xdead;
	bpci_diag *d = cluster_test_diag();

	ck_assert_msg(bpci_responsibilities_parse(&m, list, d) == 0, "refused [%s]: %s", list,
		      bpci_diag_last_text(d));
	bpci_diag_free(d);
	return m;
}

START_TEST(responsibilities_spellings)
{
	ck_assert_uint_eq(resp("resource_coordination"), BPCI_RESPONSIBILITY_RESOURCE_COORDINATION);
	ck_assert_uint_eq(resp("resource_management"), BPCI_RESPONSIBILITY_RESOURCE_COORDINATION);
	ck_assert_uint_eq(resp("ResourceCoordination"), BPCI_RESPONSIBILITY_RESOURCE_COORDINATION);
	ck_assert_uint_eq(resp("NodeLifecycle"), BPCI_RESPONSIBILITY_NODE_LIFECYCLE);
	ck_assert_uint_eq(resp("HealthMonitoring"), BPCI_RESPONSIBILITY_HEALTH_MONITORING);
	ck_assert_uint_eq(resp("LoadBalancing"), BPCI_RESPONSIBILITY_LOAD_BALANCING);
	ck_assert_uint_eq(resp("FaultRecovery"), BPCI_RESPONSIBILITY_FAULT_RECOVERY);
	ck_assert_uint_eq(resp("fault-recovery"), BPCI_RESPONSIBILITY_FAULT_RECOVERY);
	ck_assert_uint_eq(resp("LOAD_BALANCING"), BPCI_RESPONSIBILITY_LOAD_BALANCING);
	ck_assert_uint_eq(resp("resource_management,health_monitoring"),
			  BPCI_RESPONSIBILITY_RESOURCE_COORDINATION |
			  BPCI_RESPONSIBILITY_HEALTH_MONITORING);
	ck_assert_uint_eq(resp(" node_lifecycle , node_lifecycle "), BPCI_RESPONSIBILITY_NODE_LIFECYCLE);
	ck_assert_uint_eq(resp("all"), BPCI_RESPONSIBILITY_ALL);
	ck_assert_uint_eq(resp("resource_coordination,node_lifecycle,health_monitoring,"
			       "load_balancing,fault_recovery"), 0x1f);
}
END_TEST

START_TEST(responsibilities_refusals)
{
	unsigned int m = 7;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_responsibilities_parse(&m, "health_monitor", d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "responsibilities",
			    "\"health_monitor\" is not a responsibility; did you mean "
			    "\"health_monitoring\"?");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_responsibilities_parse(&m, "cooking", d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "responsibilities", "expected resource_coordination");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_responsibilities_parse(&m, "", d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "responsibilities", "is empty");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_responsibilities_parse(&m, "all,,x", d), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_error_count(d), 2);
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_responsibilities_parse(&m, "node_lifecycle,", d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "responsibilities", "empty item");
	ck_assert_int_eq(bpci_responsibilities_parse(&m, NULL, NULL), BPCI_EINVAL);
	ck_assert_uint_eq(m, 7);
	bpci_diag_free(d);
}
END_TEST

START_TEST(responsibilities_format)
{
	char *s;
	unsigned int m, back;

	ck_assert_int_eq(bpci_responsibilities_format(&s, 0x1f), 0);
	ck_assert_str_eq(s, "resource_coordination,node_lifecycle,health_monitoring,"
			    "load_balancing,fault_recovery");
	bpci_free(s);
	ck_assert_int_eq(bpci_responsibilities_format(&s, BPCI_RESPONSIBILITY_HEALTH_MONITORING |
						      BPCI_RESPONSIBILITY_RESOURCE_COORDINATION), 0);
	ck_assert_str_eq(s, "resource_coordination,health_monitoring");
	bpci_free(s);
	ck_assert_int_eq(bpci_responsibilities_format(&s, 0), 0);
	ck_assert_str_eq(s, "");
	bpci_free(s);
	ck_assert_int_eq(bpci_responsibilities_format(&s, 0x20), BPCI_EINVAL);
	ck_assert_ptr_null(s);
	for (m = 1; m <= 0x1f; m++) {
		ck_assert_int_eq(bpci_responsibilities_format(&s, m), 0);
		ck_assert_int_eq(bpci_responsibilities_parse(&back, s, NULL), 0);
		ck_assert_uint_eq(back, m);
		bpci_free(s);
	}
	ck_assert_str_eq(bpci_responsibility_name(BPCI_RESPONSIBILITY_LOAD_BALANCING), "load_balancing");
	ck_assert_ptr_null(bpci_responsibility_name(0));
	ck_assert_ptr_null(bpci_responsibility_name(3));
	ck_assert_ptr_null(bpci_responsibility_name(0x20));
}
END_TEST

TCase *cluster_types_tcase(void)
{
	TCase *tc = tcase_create("types");

	tcase_add_test(tc, node_type_names_round_trip);
	tcase_add_test(tc, capabilities_sorted_unique_set);
	tcase_add_test(tc, capabilities_parse_lists);
	tcase_add_test(tc, capabilities_allocation_failures);
	tcase_add_test(tc, responsibilities_spellings);
	tcase_add_test(tc, responsibilities_refusals);
	tcase_add_test(tc, responsibilities_format);
	return tc;
}
