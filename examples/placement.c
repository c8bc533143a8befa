/*
 * placement — place the original description's "NodeDistribution"
 * agreement (3 enc-cluster replicas of 8 cores/16Gi/500Gi and 2 oracles of
 * 4 cores/8Gi/100Gi, jurisdiction US) onto a small daemon tree, all or
 * nothing, and print where each node goes. Then ask for a node that fits
 * nowhere and print the refusal, which names every daemon and its reason.
 *
 *   cc placement.c $(pkg-config --cflags --libs bpci) -o placement
 */
#include <bpci.h>
#include <stdio.h>

struct daemon {
	const char *id, *capacity, *labels, *responsibilities;
};

static const struct daemon daemons[] = {
	{"daemon-us-1", "cpu=32,memory=64Gi,storage=2Ti,network=10000",
	 "region=us-east,jurisdiction=US", "all"},
	{"daemon-us-2", "cpu=16,memory=32Gi,storage=1Ti,network=10000",
	 "region=us-west,jurisdiction=US", "all"},
	{"daemon-us-3", "cpu=16,memory=32Gi,storage=1Ti,network=10000",
	 "region=us-west,jurisdiction=US", "node_lifecycle,health_monitoring"},
	{"daemon-eu-1", "cpu=32,memory=64Gi,storage=2Ti,network=10000",
	 "region=eu-central,jurisdiction=EU", "all"},
	{"monitor-1", "cpu=4,memory=8Gi", "jurisdiction=US", "health_monitoring"},
};

static int add_daemons(bpci_placement *p, bpci_diag *diag)
{
	bpci_daemon_spec *spec = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		rc = bpci_daemon_spec_new(&spec);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "id", daemons[i].id, diag);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "capacity", daemons[i].capacity, diag);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "labels", daemons[i].labels, diag);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "responsibilities",
						  daemons[i].responsibilities, diag);
		if (rc == 0)
			rc = bpci_placement_add_daemon(p, spec, NULL, diag);
		bpci_daemon_spec_free(spec);
		spec = NULL;
	}
	return rc;
}

/* The five nodes of the agreement: replicas of one type never share a daemon. */
static int build_requests(bpci_placement_request *r, char ids[5][32])
{
	static const bpci_placement_request init = BPCI_PLACEMENT_REQUEST_INIT;
	int i, rc = 0;

	for (i = 0; rc == 0 && i < 5; i++) {
		int enc = i < 3;

		r[i] = init;
		snprintf(ids[i], sizeof(ids[i]), "%s-%d", enc ? "enc-cluster" : "oracle",
			 enc ? i + 1 : i - 2);
		r[i].id = ids[i];
		r[i].labels = "jurisdiction=US";
		r[i].anti_affinity = enc ? "enc-cluster" : "oracle";
		rc = bpci_resources_parse(&r[i].need,
					  enc ? "cpu=8 cores,memory=16Gi,storage=500Gi"
					      : "cpu=4 cores,memory=8Gi,storage=100Gi", NULL);
	}
	return rc;
}

static int print_plan(const bpci_placement_plan *plan)
{
	const bpci_placement_move *m;
	size_t i;

	for (i = 0; i < bpci_placement_plan_count(plan); i++) {
		m = bpci_placement_plan_at(plan, i);
		if (m->to)
			printf("  %-14s -> %s\n", m->node, m->to);
		else
			printf("  %-14s refused: %s\n", m->node, m->reason ? m->reason
									   : "(batch refused)");
	}
	return 0;
}

static int run(bpci_placement *p, bpci_diag *diag)
{
	bpci_placement_request r[5], big = BPCI_PLACEMENT_REQUEST_INIT;
	bpci_placement_plan *plan = NULL;
	char ids[5][32];
	int rc;

	if ((rc = add_daemons(p, diag)) < 0 || (rc = build_requests(r, ids)) < 0)
		return rc;
	rc = bpci_placement_place(&plan, p, r, 5, BPCI_PLACEMENT_ALL_OR_NOTHING, diag);
	if (rc < 0 && rc != BPCI_ELIMIT)
		return rc;
	printf("production-distribution (jurisdiction US):\n");
	print_plan(plan);
	bpci_placement_plan_free(plan);
	if (rc < 0)
		return rc;   /* the agreement did not fit: nothing was placed */

	/* A storage node for the EU needing more than any daemon may give. */
	big.id = "storage-eu-1";
	big.labels = "jurisdiction=EU";
	if ((rc = bpci_resources_parse(&big.need, "cpu=4,memory=16Gi,storage=1800Gi",
				       NULL)) < 0)
		return rc;
	rc = bpci_placement_place(&plan, p, &big, 1, 0, diag);
	if (rc != BPCI_ELIMIT) {
		bpci_placement_plan_free(plan);
		return rc < 0 ? rc : BPCI_ERROR;   /* it was meant to be refused */
	}
	printf("\nrefusal:\n");
	print_plan(plan);
	bpci_placement_plan_free(plan);
	return 0;
}

int main(void)
{
	bpci_placement_options opts = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement *p = NULL;
	bpci_diag *diag = NULL;
	int rc;

	opts.strategy = BPCI_LB_RESOURCE_BASED;
	opts.max_utilization_percent = 80;
	rc = bpci_diag_new(&diag);
	if (rc == 0)
		rc = bpci_placement_new(&p, &opts, diag);
	if (rc == 0)
		rc = run(p, diag);
	if (rc < 0)
		fprintf(stderr, "placement: %s: %s\n", bpci_strerror(rc), bpci_diag_last_text(diag));
	bpci_placement_free(p);
	bpci_diag_free(diag);
	return rc < 0 ? 1 : 0;
}
