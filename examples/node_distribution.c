/*
 * node_distribution — the original description's "Complete Node
 * Distribution Setup", for real: a node coordinator starts an ENC cluster,
 * an oracle, a shadow registry and a storage node (real bpci-node
 * processes, found on PATH or beside the program), then a cluster manager
 * adds an ENC replica and registers a cluster node, and the ids are
 * printed. Everything runs in temporary state directories and is stopped
 * and removed at the end.
 *
 * Two differences from the original, both on purpose:
 * - Its endpoints (https://enc-node.bpci.local:9001, ...) name hosts that
 *   do not exist here, so each node gets a free port on 127.0.0.1 from the
 *   coordinator instead (pass an endpoint to start_node to choose one).
 * - Its replica reserves 8 cores, 16 GB and 500 GB. Placement never lets
 *   reservations pass 80 % of a daemon's capacity, so on a smaller machine
 *   the request is refused with the reason, and the example then reserves
 *   a size that fits.
 *
 *   cc node_distribution.c $(pkg-config --cflags --libs bpci) -o node_distribution
 */
#define _XOPEN_SOURCE 700
#include <bpci.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READY_MS 15000

struct field {
	const char *name, *value;
};

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int fail(const char *what, int rc, const bpci_diag *diag)
{
	fprintf(stderr, "%s: %s: %s\n", what, bpci_strerror(rc), bpci_diag_last_text(diag));
	return rc < 0 ? rc : BPCI_ERROR;
}

/* Start a node of @type from name/value pairs and wait until it runs.
 * *@id receives its id (free with bpci_free()). */
static int start(char **id, bpci_coordinator *c, bpci_node_type type,
		 const struct field *fields, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	bpci_node_state state = BPCI_NODE_STATE_PENDING;
	size_t i;
	int rc = bpci_node_spec_new(&spec, type);

	for (i = 0; rc == 0 && fields[i].name; i++)
		rc = bpci_node_spec_set(spec, fields[i].name, fields[i].value, diag);
	if (rc == 0)
		rc = bpci_coordinator_start_node(id, c, spec, NULL, diag);
	bpci_node_spec_free(spec);
	if (rc != 0)
		return fail(bpci_node_type_name(type), rc, diag);
	rc = bpci_coordinator_wait_node(&state, c, *id,
					BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING), READY_MS, diag);
	if (rc != 0)
		fprintf(stderr, "%s: node %s is %s, not running\n", bpci_node_type_name(type), *id,
			bpci_node_state_name(state));
	return rc;
}

static int start_nodes(char *ids[4], bpci_coordinator *c, bpci_diag *diag)
{
	static const struct field enc[] = {{"cluster_id", "enc-cluster-001"},
					   {"encryption_level", "military"},
					   {"gateway_endpoint", "https://enc.bpci.local:8888"},
					   {"mempool_size", "10000"},
					   {NULL, NULL}};
	static const struct field oracle[] = {{"oracle_type", "price-feed"},
					      {"supported_chains", "ethereum,polygon"},
					      {"update_frequency_ms", "1000"},
					      {"reliability_score", "0.98"},
					      {NULL, NULL}};
	/* The original's contract address has a wrong EIP-55 checksum: it is
	 * accepted with a warning naming the right spelling (in @diag). */
	static const struct field shadow[] = {
		{"registry_type", "web2-web3-bridge"},
		{"web2_endpoints", "https://api.bank.example.com"},
		{"web3_contracts", "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8"},
		{"bridge_capacity", "1000"},
		{NULL, NULL}};
	static const struct field storage[] = {{"storage_type", "distributed"},
					       {"capacity_gb", "1000"},
					       {"replication_factor", "3"},
					       {"encryption_enabled", "true"},
					       {NULL, NULL}};
	int rc;

	if ((rc = start(&ids[0], c, BPCI_NODE_ENC_CLUSTER, enc, diag)) != 0 ||
	    (rc = start(&ids[1], c, BPCI_NODE_ORACLE, oracle, diag)) != 0 ||
	    (rc = start(&ids[2], c, BPCI_NODE_SHADOW_REGISTRY, shadow, diag)) != 0)
		return rc;
	return start(&ids[3], c, BPCI_NODE_STORAGE, storage, diag);
}

/* The original's replica, or one that fits when that one is refused. */
static int add_replica(char **id, bpci_cluster_manager *cm, bpci_diag *diag)
{
	bpci_resources res;
	int rc;

	if ((rc = bpci_resources_parse(&res, "cpu=8,memory=16Gi,storage=500Gi,network=1000",
				       diag)) != 0)
		return fail("resources", rc, diag);
	rc = bpci_cluster_manager_add_enc_replica(id, cm, "enc-replica-001", &res, diag);
	if (rc == BPCI_ELIMIT) {
		printf("enc-replica-001 as the original sizes it does not fit here:\n  %s\n"
		       "reserving cpu=250m,memory=256Mi,storage=64Mi,network=100 instead\n",
		       bpci_diag_last_text(diag));
		bpci_diag_clear(diag);
		if ((rc = bpci_resources_parse(&res, "cpu=250m,memory=256Mi,storage=64Mi,"
						     "network=100", diag)) == 0)
			rc = bpci_cluster_manager_add_enc_replica(id, cm, "enc-replica-001", &res,
								  diag);
	}
	if (rc != 0)
		return fail("add_enc_replica", rc, diag);
	rc = bpci_coordinator_wait_node(NULL, bpci_cluster_manager_coordinator(cm), *id,
					BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING), READY_MS, diag);
	return rc == 0 ? 0 : fail("replica", rc, diag);
}

static int cluster(char **replica, char **node, const char *dir, bpci_diag *diag)
{
	bpci_cluster_manager_options o = BPCI_CLUSTER_MANAGER_OPTIONS_INIT;
	bpci_cluster_manager *cm = NULL;
	bpci_capabilities *caps = NULL;
	int rc;

	o.cluster_id = "production-cluster";
	o.state_dir = dir;
	if ((rc = bpci_cluster_manager_new(&cm, &o, diag)) != 0)
		return fail("cluster manager", rc, diag);
	rc = add_replica(replica, cm, diag); /* says why itself when it fails */
	if (rc == 0) {
		rc = bpci_capabilities_parse(&caps, "compute,storage,networking,security,audit",
					     diag);
		if (rc == 0)
			rc = bpci_cluster_manager_register_node(node, cm, "cluster-node-001",
								BPCI_CLUSTER_NODE_COMPUTE, caps,
								diag);
		if (rc != 0)
			fail("register_node", rc, diag);
	}
	bpci_capabilities_free(caps);
	if (bpci_cluster_manager_shutdown(cm, diag) != 0 && rc == 0)
		rc = fail("cluster manager shutdown", BPCI_EIO, diag);
	bpci_cluster_manager_free(cm);
	return rc;
}

static int run(const char *coord_dir, const char *cluster_dir, bpci_diag *diag)
{
	bpci_coordinator_options opts = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	char *ids[4] = {NULL, NULL, NULL, NULL}, *replica = NULL, *node = NULL;
	size_t i;
	int rc;

	opts.state_dir = coord_dir;
	if ((rc = bpci_coordinator_new(&c, &opts, diag)) != 0)
		return fail("coordinator", rc, diag);
	rc = start_nodes(ids, c, diag);
	if (rc == 0)
		rc = cluster(&replica, &node, cluster_dir, diag);
	if (rc == 0) {
		printf("Node Distribution Setup Complete:\n");
		printf("ENC Node: %s\nOracle Node: %s\nShadow Node: %s\nStorage Node: %s\n",
		       ids[0], ids[1], ids[2], ids[3]);
		printf("Cluster Replica: %s\nCluster Node: %s\n", replica, node);
	}
	if (bpci_coordinator_shutdown(c, diag) != 0 && rc == 0)
		rc = fail("coordinator shutdown", BPCI_EIO, diag);
	bpci_coordinator_free(c);
	for (i = 0; i < 4; i++)
		bpci_free(ids[i]);
	bpci_free(replica);
	bpci_free(node);
	return rc;
}

int main(void)
{
	char coord_dir[] = "/tmp/bpci-distribution-coordinator-XXXXXX";
	char cluster_dir[] = "/tmp/bpci-distribution-cluster-XXXXXX";
	bpci_diag *diag = NULL;
	int rc = 1;

	if (!mkdtemp(coord_dir) || !mkdtemp(cluster_dir) || bpci_diag_new(&diag) != 0) {
		perror("setup");
		return 1;
	}
	rc = run(coord_dir, cluster_dir, diag);
	bpci_diag_free(diag);
	if (nftw(coord_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 ||
	    nftw(cluster_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		perror("remove state directories");
		rc = 1;
	}
	return rc == 0 ? 0 : 1;
}
