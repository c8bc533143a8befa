/*
 * bpci-enterprise — the cluster manager's command line.
 *
 *   bpci-enterprise cluster-manager add-replica --name N --cpu-cores C
 *       --memory-gb M --storage-gb S [--network-mbps B] --dry-run
 *   bpci-enterprise cluster-manager register-node --name N --type T
 *       --capabilities a,b,c --dry-run
 *   bpci-enterprise daemon-tree add-daemon --daemon-id ID --parent-id PID
 *       [--responsibilities a,b] [--capacity cpu=8,...] [--labels k=v,...]
 *       [--remote] --dry-run
 *
 * Each command checks its input with the cluster model's rules and prints
 * the result. The cluster manager daemon, which would act on it, is not
 * part of this release, so --dry-run is required.
 * Exit statuses: see cli.h and bpci-enterprise(1).
 */
#include <stdlib.h>
#include <string.h>

#include <bpci.h>

#include "audit.h"
#include "cli.h"
#include "cluster.h"
#include "tree.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define DRY_RUN_OPT                                                                  \
	{"dry-run", CLI_SWITCH, 0, NULL,                                             \
	 "only check and print (without it, add-replica and register-node go to the " \
	 "cluster manager; see bpci-enterprise(1))", NULL}

/*
 * The steps every command shares: parse, answer --help and --version,
 * insist on the required options and on --dry-run. Returns -1 when the
 * command should go on, else the exit status.
 */
static int prologue(cli_ctx *ctx, cli_parsed *p, const cli_option *opts, size_t n,
		    int argc, char **argv, const char *synopsis, const char *desc,
		    const char *const *required)
{
	size_t i;

	cli_parse_options(ctx, p, opts, n, argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout, synopsis, desc, opts, n);
		return CLI_EXIT_OK;
	}
	if (ctx->version)
		return cli_print_version(ctx);
	for (i = 0; required[i]; i++)
		if (!cli_parsed_get(p, required[i]))
			cli_usage_error(ctx, "%s needs --%s; see '%s %s %s --help'.",
					ctx->command, required[i], ctx->prog, ctx->group,
					ctx->command);
	if (ctx->usage_errors)
		return CLI_EXIT_USAGE;
	if (!cli_parsed_flag(p, "dry-run"))
		return cli_usage_error(ctx, "%s without --dry-run needs a running cluster "
				       "manager daemon; it is not part of this release "
				       "(use --dry-run to validate)", ctx->command);
	return -1;
}

static bpci_diag *new_diag(const cli_ctx *ctx)
{
	bpci_diag *d = NULL;

	if (bpci_diag_new(&d) != 0)
		cli_error(ctx, "out of memory");
	return d;
}

/* Print a library JSON string, or report that it could not be made. */
static int print_json(const cli_ctx *ctx, int rc, char *json)
{
	if (rc != 0) {
		cli_error(ctx, "%s", bpci_strerror(rc));
		return cli_exit_for(rc);
	}
	printf("%s\n", json);
	bpci_free(json);
	return CLI_EXIT_OK;
}

/* Rows "key  value" from "cpu=8,memory=16Gi" (bpci_resources_format()). */
static void resource_rows(cli_table *t, const char *prefix, const char *formatted)
{
	char *copy = cli_xstrdup(formatted), *save = NULL, *item;

	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), key[64];
		const char *row[2];

		if (!eq)
			continue;
		*eq = '\0';
		snprintf(key, sizeof(key), "%s%s", prefix, item);
		row[0] = key;
		row[1] = eq + 1;
		cli_table_row(t, row);
	}
	free(copy);
}

/* ---- cluster-manager add-replica --------------------------------------- */

static const cli_option replica_opts[] = {
	{"name", CLI_VALUE, 0, "NAME", "the replica's name (identifier)", NULL},
	{"cpu-cores", CLI_VALUE, 0, "CPU", "CPU it offers: cores (8) or millicores (500m)",
	 NULL},
	{"memory-gb", CLI_VALUE, 0, "SIZE", "memory it offers (16 = 16 GiB, 512Mi, 1Ti)",
	 NULL},
	{"storage-gb", CLI_VALUE, 0, "SIZE", "storage it offers (500 = 500 GiB, 2Ti)", NULL},
	{"network-mbps", CLI_VALUE, 0, "MBPS",
	 "network bandwidth it offers (1000 = 1000 Mbit/s, 1Gbps)", NULL},
	{"gpu-units", CLI_VALUE, 0, "N", "GPUs it offers", NULL},
	DRY_RUN_OPT,
};

/* Flag -> key of bpci_resources_parse(). */
static const char *const replica_keys[][2] = {
	{"cpu-cores", "cpu_cores"}, {"memory-gb", "memory_gb"}, {"storage-gb", "storage_gb"},
	{"network-mbps", "network_bandwidth_mbps"}, {"gpu-units", "gpu_units"}};

/* Gather the amount flags into "cpu_cores=8,memory_gb=16,..." for the
 * library's parser, refusing text that would read as more than one item. */
static char *replica_resource_text(cli_ctx *ctx, const cli_parsed *p)
{
	cli_buf b = {0};
	size_t i;

	for (i = 0; i < NELEM(replica_keys); i++) {
		const char *v = cli_parsed_get(p, replica_keys[i][0]);

		if (!v)
			continue;
		if (strpbrk(v, ",=")) {
			cli_usage_error(ctx, "--%s must be one amount, got '%s'",
					replica_keys[i][0], v);
			continue;
		}
		cli_buf_add(&b, "%s%s=%s", b.len ? "," : "", replica_keys[i][1], v);
	}
	return cli_buf_take(&b);
}

/* {"name":...,"resources":{"cpu":"8",...}}: amounts as strings in the
 * units of bpci_resources_format(), like a daemon spec's capacity. The
 * name is a checked identifier and the amounts are [0-9A-Za-z.], so
 * neither needs escaping. Keys come sorted from the fixed order below. */
static void replica_json(const char *name, const char *formatted)
{
	static const char *const order[] = {"cpu", "gpu", "memory", "network", "storage"};
	size_t i, n = 0;

	printf("{\"name\":\"%s\",\"resources\":{", name);
	for (i = 0; i < NELEM(order); i++) {
		const char *at = formatted;
		size_t kl = strlen(order[i]);

		while (at && *at) {
			if (strncmp(at, order[i], kl) == 0 && at[kl] == '=') {
				size_t vl = strcspn(at + kl + 1, ",");

				printf("%s\"%s\":\"%.*s\"", n++ ? "," : "", order[i], (int)vl,
				       at + kl + 1);
				break;
			}
			at = strchr(at, ',');
			at = at ? at + 1 : NULL;
		}
	}
	printf("}}\n");
}

static int show_replica(const cli_ctx *ctx, const char *name, const bpci_resources *res)
{
	char *formatted = NULL;
	cli_table t;
	const char *head[] = {"FIELD", "VALUE"}, *row[] = {"name", name};

	if (bpci_resources_format(&formatted, res) != 0) {
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	if (ctx->output == CLI_OUTPUT_JSON) {
		replica_json(name, formatted);
	} else {
		cli_table_init(&t, 2);
		cli_table_row(&t, head);
		cli_table_row(&t, row);
		resource_rows(&t, "", formatted);
		cli_table_print(&t, stdout);
		cli_table_free(&t);
	}
	bpci_free(formatted);
	return CLI_EXIT_OK;
}

static int cmd_add_replica(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"name", "cpu-cores", "memory-gb", "storage-gb",
					       NULL};
	bpci_resources res = {0};
	bpci_diag *diag = NULL;
	cli_parsed p;
	char *text = NULL;
	int status, rc;

	if (!cluster_wants_dry_run(argc, argv))
		return cmd_cluster_add_replica(ctx, argc, argv);
	status = prologue(ctx, &p, replica_opts, NELEM(replica_opts), argc, argv,
			  "--name NAME --cpu-cores CPU --memory-gb SIZE --storage-gb SIZE "
			  "[--network-mbps MBPS] [--gpu-units N] --dry-run",
			  "Check an ENC replica (its name and the resources it offers) "
			  "the way the cluster manager would before adding it, and print "
			  "it. Every problem is one line on stderr, exit status 2.",
			  required);
	if (status >= 0)
		goto out;
	text = replica_resource_text(ctx, &p);
	status = CLI_EXIT_USAGE;
	if (ctx->usage_errors || !(diag = new_diag(ctx)))
		goto out;
	rc = bpci_resources_parse(&res, text, diag);
	if (rc == 0)
		rc = bpci_replica_validate(cli_parsed_get(&p, "name"), &res, diag);
	cli_print_diag(ctx, diag);
	status = rc ? cli_exit_for(rc) : show_replica(ctx, cli_parsed_get(&p, "name"), &res);
out:
	free(text);
	bpci_diag_free(diag);
	cli_parsed_free(&p);
	return status;
}

/* ---- cluster-manager register-node ------------------------------------- */

static char *cluster_type_names(const char *sep)
{
	cli_buf b = {0};
	int t;

	for (t = 1; t <= BPCI_CLUSTER_NODE_TYPE_COUNT; t++)
		cli_buf_add(&b, "%s%s", t > 1 ? sep : "",
			    bpci_cluster_node_type_name((bpci_cluster_node_type)t));
	return cli_buf_take(&b);
}

static char *cluster_type_help(void)
{
	char *names = cluster_type_names(" ");
	cli_buf b = {0};

	cli_buf_add(&b, "what the node is: %s (any case) Required.", names);
	free(names);
	return cli_buf_take(&b);
}

static const cli_option register_opts[] = {
	{"name", CLI_VALUE, 0, "NAME", "the node's name (identifier)", NULL},
	{"type", CLI_VALUE, 0, "TYPE", NULL /* from the library: type_help() */, NULL},
	{"capabilities", CLI_VALUE, 0, "A,B,...",
	 "what the node can do, comma-separated names matching [a-z][a-z0-9_]* "
	 "(compute, storage, networking, security, audit, distributed_storage, "
	 "encryption, replication, ...)", NULL},
	DRY_RUN_OPT,
};

static int parse_cluster_type(cli_ctx *ctx, bpci_cluster_node_type *out, const char *name)
{
	const char *cands[BPCI_CLUSTER_NODE_TYPE_COUNT], *pick;
	char *names;
	int t;

	if (bpci_cluster_node_type_parse(out, name) == 0)
		return 0;
	for (t = 1; t <= BPCI_CLUSTER_NODE_TYPE_COUNT; t++)
		cands[t - 1] = bpci_cluster_node_type_name((bpci_cluster_node_type)t);
	pick = cli_suggest(name, cands, BPCI_CLUSTER_NODE_TYPE_COUNT);
	names = cluster_type_names(", ");
	if (pick)
		cli_usage_error(ctx, "--type must be one of %s, got '%s'; did you mean '%s'?",
				names, name, pick);
	else
		cli_usage_error(ctx, "--type must be one of %s, got '%s'", names, name);
	free(names);
	return -1;
}

static int show_cluster_node(const cli_ctx *ctx, const bpci_cluster_node *node)
{
	char *json = NULL, *caps = NULL;
	const char *head[] = {"NAME", "TYPE", "CAPABILITIES"}, *row[3];
	cli_table t;
	int rc;

	if (ctx->output == CLI_OUTPUT_JSON) {
		rc = bpci_cluster_node_to_json(&json, node);
		return print_json(ctx, rc, json);
	}
	if ((rc = bpci_capabilities_format(&caps, bpci_cluster_node_capabilities(node))) != 0) {
		cli_error(ctx, "%s", bpci_strerror(rc));
		return CLI_EXIT_FAILED;
	}
	row[0] = bpci_cluster_node_name(node);
	row[1] = bpci_cluster_node_type_name(bpci_cluster_node_type_of(node));
	row[2] = *caps ? caps : NULL;
	cli_table_init(&t, 3);
	cli_table_row(&t, head);
	cli_table_row(&t, row);
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	bpci_free(caps);
	return CLI_EXIT_OK;
}

static int cmd_register_node(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"name", "type", "capabilities", NULL};
	cli_option opts[NELEM(register_opts)];
	char *type_help;
	bpci_cluster_node_type type;
	bpci_capabilities *caps = NULL;
	bpci_cluster_node *node = NULL;
	bpci_diag *diag = NULL;
	cli_parsed p;
	int status, rc;

	if (!cluster_wants_dry_run(argc, argv))
		return cmd_cluster_register_node(ctx, argc, argv);
	memcpy(opts, register_opts, sizeof(opts));
	opts[1].help = type_help = cluster_type_help();
	status = prologue(ctx, &p, opts, NELEM(opts), argc, argv,
			  "--name NAME --type TYPE --capabilities A,B,... --dry-run",
			  "Check a cluster node registration (name, type and capabilities) "
			  "the way the cluster manager would, and print it. Every problem "
			  "is one line on stderr, exit status 2.",
			  required);
	if (status >= 0)
		goto out;
	status = CLI_EXIT_USAGE;
	if (parse_cluster_type(ctx, &type, cli_parsed_get(&p, "type")) != 0 ||
	    !(diag = new_diag(ctx)))
		goto out;
	rc = bpci_capabilities_parse(&caps, cli_parsed_get(&p, "capabilities"), diag);
	if (rc == 0)
		rc = bpci_cluster_node_new(&node, cli_parsed_get(&p, "name"), type, caps, diag);
	cli_print_diag(ctx, diag);
	status = rc ? cli_exit_for(rc) : show_cluster_node(ctx, node);
out:
	bpci_cluster_node_free(node);
	bpci_capabilities_free(caps);
	bpci_diag_free(diag);
	cli_parsed_free(&p);
	free(type_help);
	return status;
}

/* ---- daemon-tree add-daemon -------------------------------------------- */

static int show_daemon(const cli_ctx *ctx, const bpci_daemon_spec *spec)
{
	const char *head[] = {"FIELD", "VALUE"};
	char *resp = NULL, *cap = NULL, *json = NULL;
	cli_table t;
	size_t i, n;
	int rc;

	if (ctx->output == CLI_OUTPUT_JSON) {
		rc = bpci_daemon_spec_to_json(&json, spec);
		return print_json(ctx, rc, json);
	}
	if (bpci_responsibilities_format(&resp, bpci_daemon_spec_responsibilities(spec)) != 0 ||
	    bpci_resources_format(&cap, bpci_daemon_spec_capacity(spec)) != 0) {
		bpci_free(resp);
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	cli_table_init(&t, 2);
	cli_table_row(&t, head);
	{
		const char *rows[][2] = {
			{"id", bpci_daemon_spec_id(spec)},
			{"parent", bpci_daemon_spec_parent(spec)},
			{"responsibilities", resp},
			{"remote", bpci_daemon_spec_remote(spec) ? "true" : "false"},
		};

		for (i = 0; i < NELEM(rows); i++)
			cli_table_row(&t, rows[i]);
	}
	resource_rows(&t, "capacity.", cap);
	n = bpci_daemon_spec_label_count(spec);
	for (i = 0; i < n; i++) {
		const char *k = NULL, *v = NULL, *row[2];
		char key[160];

		if (bpci_daemon_spec_label_at(spec, i, &k, &v) != 0)
			continue;
		snprintf(key, sizeof(key), "labels.%s", k);
		row[0] = key;
		row[1] = v;
		cli_table_row(&t, row);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	bpci_free(resp);
	bpci_free(cap);
	return CLI_EXIT_OK;
}

static int cmd_add_daemon(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"daemon-id", "parent-id", NULL};
	bpci_daemon_spec *spec = NULL;
	bpci_diag *diag = NULL;
	cli_parsed p;
	int status, failed;

	if (!cluster_wants_dry_run(argc, argv))
		return cmd_tree_add_daemon(ctx, argc, argv);
	status = prologue(ctx, &p, tree_daemon_opts, tree_daemon_nopts, argc, argv,
			  "--daemon-id ID --parent-id ID [--responsibilities A,B,...] "
			  "[--capacity cpu=N,memory=SIZE,...] [--labels K=V,...] [--remote] "
			  "--dry-run",
			  "Check a daemon of the daemon tree (id, parent, responsibilities, "
			  "capacity, labels, local or remote) the way the cluster manager "
			  "would before adding it, and print it. Every problem is one line "
			  "on stderr, exit status 2.",
			  required);
	if (status >= 0)
		goto out;
	status = CLI_EXIT_FAILED;
	if (!(diag = new_diag(ctx)))
		goto out;
	if (bpci_daemon_spec_new(&spec) != 0) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	failed = tree_apply_daemon_flags(spec, &p, diag);
	if (!failed)
		failed = bpci_daemon_spec_validate(spec, diag) != 0;
	cli_print_diag(ctx, diag);
	status = failed ? CLI_EXIT_USAGE : show_daemon(ctx, spec);
out:
	bpci_daemon_spec_free(spec);
	bpci_diag_free(diag);
	cli_parsed_free(&p);
	return status;
}

/* ---- the program ------------------------------------------------------- */

static const cli_command manager_commands[] = {
	{"start", "run the cluster manager (root daemon) in the foreground", cmd_cluster_start},
	{"add-replica", "add an ENC replica (--dry-run: only check it)", cmd_add_replica},
	{"remove-replica", "stop and remove an ENC replica", cmd_cluster_remove_replica},
	{"register-node", "register a cluster node (--dry-run: only check it)",
	 cmd_register_node},
	{"unregister-node", "remove a cluster node registration", cmd_cluster_unregister_node},
	{"allocate-port", "lease a free port", cmd_cluster_allocate_port},
	{"release-port", "end a port lease", cmd_cluster_release_port},
	{"metrics", "show the cluster metrics", cmd_cluster_metrics},
	{"replicas", "list the ENC replicas", cmd_cluster_replicas},
	{"nodes", "list the registered cluster nodes", cmd_cluster_nodes},
	{"ports", "list the leased ports", cmd_cluster_ports},
};

static const cli_command tree_commands[] = {
	{"init", "name the root daemon and set the depth limit", cmd_tree_init},
	{"add-daemon", "add a daemon to the tree (--dry-run: only check it)", cmd_add_daemon},
	{"remove-daemon", "remove a daemon (its nodes and children move first)",
	 cmd_tree_remove_daemon},
	{"move-daemon", "put a daemon under another parent", cmd_tree_move_daemon},
	{"status", "show the tree with each daemon's health, load and nodes", cmd_tree_status},
	{"rebalance", "even the daemons' load (--dry-run: only print the moves)",
	 cmd_tree_rebalance},
};

int main(int argc, char **argv)
{
	const cli_group groups[] = {
	{"cluster-manager", "The cluster's control plane: ENC replicas and registered nodes.",
	 manager_commands, NELEM(manager_commands),
	 "deploy-agreement is not part of this release."},
	{"daemon-tree", "The hierarchy of supervising daemons, kept by the cluster manager.",
	 tree_commands, NELEM(tree_commands),
	 "The commands talk to a running cluster manager (--state-dir DIR, or --url "
	 "and --token); add-daemon --dry-run only checks its input. Responsibilities "
	 "change what a daemon does: only node_lifecycle daemons host replicas; a "
	 "load_balancing daemon (and the root) is a placement domain for its subtree "
	 "(cluster-manager add-replica --under ID places within it; rebalance balances "
	 "each domain separately, innermost first, never moving a replica out of its "
	 "domain; rebalance --under ID balances one); when a daemon fails, its nearest "
	 "ancestor with fault_recovery fails its replicas over within its own subtree "
	 "first, then the next one's, up to the root, and the journal says who acted "
	 "(\"by\"); a health_monitoring daemon probes its children's /healthz every "
	 "heartbeat interval and reports a child that fails 3 probes in a row as "
	 "unhealthy. Daemons below one that vanished show \"unknown\" with the reason "
	 "until they report again."},
	{"audit", "The audit ledger: entries, proofs, checkpoints, verification.",
	 cli_audit_commands, CLI_AUDIT_NCOMMANDS, cli_audit_note},
	{"ledger", "Remote ledgers: serve a verified mirror, ship entries to one.",
	 cli_ledger_commands, CLI_LEDGER_NCOMMANDS, cli_ledger_note},
	};
	const cli_program prog = {
		"bpci-enterprise",
		"bpci-enterprise checks what the cluster manager would be asked to do "
		"(ENC replicas, cluster node registrations, daemons of the daemon tree) "
		"with the same rules the cluster manager applies, and reads, proves, "
		"verifies, serves and ships the audit ledger.",
		groups, NELEM(groups)};

	return cli_main(&prog, argc, argv);
}
