/*
 * node_specs — build and validate the node specs of the original
 * description's "Complete Node Distribution Setup" example, and print each
 * one as canonical JSON.
 *
 * The shadow-registry node uses the original's web3 contract address,
 * whose mixed-case EIP-55 checksum is wrong: validation accepts it with a
 * warning that names the correctly checksummed form.
 *
 *   cc node_specs.c $(pkg-config --cflags --libs bpci) -o node_specs
 */
#include <bpci.h>
#include <stdio.h>

struct field {
	const char *name;
	const char *value;
};

/* Create a spec of @type from name/value pairs, validate it, print it. */
static int build(bpci_node_type type, const struct field *fields, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	char *json = NULL;
	size_t i;
	int rc;

	rc = bpci_node_spec_new(&spec, type);
	for (i = 0; rc == 0 && fields[i].name; i++)
		rc = bpci_node_spec_set(spec, fields[i].name, fields[i].value, diag);
	if (rc == 0)
		rc = bpci_node_spec_validate(spec, 0, diag);
	if (rc == 0)
		rc = bpci_node_spec_to_json(&json, spec);
	if (rc == 0)
		printf("%s: %s\n", bpci_node_type_name(type), json);
	else
		fprintf(stderr, "%s: %s: %s\n", bpci_node_type_name(type),
			bpci_strerror(rc), bpci_diag_last_text(diag));
	bpci_free(json);
	bpci_node_spec_free(spec);
	return rc;
}

int main(void)
{
	static const struct field enc[] = {
		{"cluster_id", "enc-cluster-001"},
		{"encryption_level", "military"},
		{"gateway_endpoint", "https://enc.bpci.local:8888"},
		{"mempool_size", "10000"},
		{"endpoint", "https://enc-node.bpci.local:9001"},
		{NULL, NULL}};
	static const struct field oracle[] = {
		{"oracle_type", "price-feed"},
		{"supported_chains", "ethereum,polygon"},
		{"update_frequency_ms", "1000"},
		{"reliability_score", "0.98"},
		{"endpoint", "https://oracle-node.bpci.local:9002"},
		{NULL, NULL}};
	static const struct field shadow[] = {
		{"registry_type", "web2-web3-bridge"},
		{"web2_endpoints", "https://api.bank.example.com"},
		{"web3_contracts", "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8"},
		{"bridge_capacity", "1000"},
		{"endpoint", "https://shadow-node.bpci.local:9003"},
		{NULL, NULL}};
	static const struct field storage[] = {
		{"storage_type", "distributed"},
		{"capacity_gb", "1000"},
		{"replication_factor", "3"},
		{"encryption_enabled", "true"},
		{"endpoint", "https://storage-node.bpci.local:9004"},
		{NULL, NULL}};
	bpci_diag *diag = NULL;
	size_t i;
	int failed = 0;

	if (bpci_diag_new(&diag) != 0)
		return 1;
	failed |= build(BPCI_NODE_ENC_CLUSTER, enc, diag) != 0;
	failed |= build(BPCI_NODE_ORACLE, oracle, diag) != 0;
	failed |= build(BPCI_NODE_SHADOW_REGISTRY, shadow, diag) != 0;
	failed |= build(BPCI_NODE_STORAGE, storage, diag) != 0;
	for (i = 0; i < bpci_diag_count(diag); i++)
		fprintf(stderr, "%s\n", bpci_diag_get(diag, i)->text);
	/* The original's shadow-registry address must draw exactly one warning. */
	if (!failed && (bpci_diag_count(diag) != 1 || bpci_diag_error_count(diag) != 0)) {
		fprintf(stderr, "expected one EIP-55 warning, got %zu entries\n",
			bpci_diag_count(diag));
		failed = 1;
	}
	bpci_diag_free(diag);
	return failed ? 1 : 0;
}
