/*
 * validate_config - check a node-distribution configuration file.
 *
 *   validate_config [FILE]     (default: examples/node-distribution-config.yaml)
 *
 * Prints every problem the loader found ("file:line:col: path message"),
 * then the cluster id and one line per node. Exit status: 0 the file is
 * valid (warnings may have been printed), 1 it has errors, 2 it could not
 * be read or memory ran out.
 */
#include <stdio.h>

#include <bpci.h>

static void print_problems(const bpci_diag *diag)
{
	size_t i;

	for (i = 0; i < bpci_diag_count(diag); i++)
		fprintf(stderr, "%s\n", bpci_diag_get(diag, i)->text);
}

static int print_nodes(const bpci_config *config)
{
	size_t i;

	for (i = 0; i < bpci_config_node_count(config); i++) {
		const bpci_node_spec *spec = bpci_config_node(config, i);
		const char *name = "(unnamed)";

		if (!spec)
			return -1;
		/* name is optional: the default above stands when it is unset */
		if (bpci_node_spec_has(spec, "name") &&
		    bpci_node_spec_get_string(spec, "name", &name) != 0)
			return -1;
		printf("  %-16s %s\n", bpci_node_type_name(bpci_node_spec_type(spec)), name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "examples/node-distribution-config.yaml";
	bpci_config *config = NULL;
	bpci_cluster_settings cluster;
	bpci_diag *diag = NULL;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [FILE]\n", argv[0]);
		return 2;
	}
	if (bpci_diag_new(&diag) != 0) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 2;
	}
	rc = bpci_config_load_file(&config, path, 0, diag);
	print_problems(diag);
	bpci_diag_free(diag);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", path, bpci_strerror(rc));
		return rc == BPCI_EIO || rc == BPCI_ENOMEM ? 2 : 1;
	}
	bpci_config_cluster(config, &cluster);
	printf("cluster %s: %zu nodes\n", *cluster.cluster_id ? cluster.cluster_id : "(no id)",
	       bpci_config_node_count(config));
	rc = print_nodes(config);
	bpci_config_free(config);
	return rc == 0 ? 0 : 1;
}
