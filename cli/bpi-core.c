/*
 * bpi-core — the node coordinator's command line.
 *
 *   bpi-core node-coordinator validate --config FILE [--strict]
 *   bpi-core node-coordinator start --config FILE [--state-dir DIR] [--listen ADDR]
 *   bpi-core node-coordinator start-node --type T [flags] [--dry-run | --wait]
 *   bpi-core node-coordinator status [--type T]
 *   bpi-core node-coordinator stop-node|restart-node --node-id ID
 *   bpi-core node-coordinator logs --node-id ID [--tail N] [--follow]
 *   bpi-core node-coordinator reload
 *
 * The daemon and its clients live in coord_daemon.c and coord.c.
 * Exit statuses: see cli.h and bpi-core(1).
 */
#include <stdlib.h>
#include <string.h>

#include <bpci.h>

#include "cli.h"
#include "coord.h"
#include "nodeflags.h"

/* ---- validate -------------------------------------------------------- */

static const cli_option validate_opts[] = {
	{"config", CLI_VALUE, 0, "FILE",
	 "the configuration file to check (node-distribution-config.yaml)", NULL},
	{"strict", CLI_SWITCH, 0, NULL,
	 "treat warnings (such as a web3 address whose EIP-55 checksum fails) as errors",
	 NULL},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* "k=v k=v" of the type parameters that are set. */
static char *key_params(const bpci_node_spec *spec)
{
	const bpci_field_info *f;
	size_t n, i;
	cli_buf b = {0};

	if (bpci_node_type_fields(&f, &n, bpci_node_spec_type(spec)) != 0)
		return cli_xstrdup("");
	for (i = 0; i < n; i++) {
		char *v = cli_spec_value(spec, &f[i]);

		if (v)
			cli_buf_add(&b, "%s%s=%s", b.len ? " " : "", f[i].name, v);
		free(v);
	}
	return cli_buf_take(&b);
}

static const char *spec_string(const bpci_node_spec *spec, const char *field)
{
	const char *s;

	return bpci_node_spec_get_string(spec, field, &s) == 0 ? s : NULL;
}

static void print_nodes(const bpci_config *cfg)
{
	size_t i, n = bpci_config_node_count(cfg);
	const char *head[] = {"NAME", "TYPE", "ENDPOINT", "KEY-PARAMS"};
	cli_table t;

	if (!n)
		return;
	cli_table_init(&t, 4);
	cli_table_row(&t, head);
	for (i = 0; i < n; i++) {
		const bpci_node_spec *spec = bpci_config_node(cfg, i);
		const char *name = spec_string(spec, "name");
		char *params = key_params(spec);
		const char *row[4];

		row[0] = name ? name : spec_string(spec, "id");
		row[1] = bpci_node_type_name(bpci_node_spec_type(spec));
		row[2] = spec_string(spec, "endpoint");
		row[3] = *params ? params : NULL;
		cli_table_row(&t, row);
		free(params);
	}
	putchar('\n');
	cli_table_print(&t, stdout);
	cli_table_free(&t);
}

static char *type_defaults_list(const bpci_config *cfg)
{
	cli_buf b = {0};
	int ty;

	for (ty = 1; ty <= BPCI_NODE_TYPE_COUNT; ty++)
		if (bpci_config_type_defaults(cfg, (bpci_node_type)ty))
			cli_buf_add(&b, "%s%s", b.len ? ", " : "",
				    bpci_node_type_name((bpci_node_type)ty));
	return cli_buf_take(&b);
}

static int print_summary(const bpci_config *cfg)
{
	bpci_cluster_settings cs;
	bpci_resources res;
	bpci_audit_settings au;
	char levels[16], nodes[32], freq[32], retention[48], *resources = NULL, *defaults;
	cli_table t;

	bpci_config_cluster(cfg, &cs);
	bpci_config_resources(cfg, &res);
	bpci_config_audit(cfg, &au);
	if (bpci_resources_format(&resources, &res) != 0)
		return CLI_EXIT_FAILED;
	defaults = type_defaults_list(cfg);
	snprintf(levels, sizeof(levels), "%u", cs.hierarchy_levels);
	snprintf(nodes, sizeof(nodes), "%zu", bpci_config_node_count(cfg));
	cli_format_duration(freq, sizeof(freq), au.audit_frequency_ms);
	snprintf(retention, sizeof(retention), "%llu days",
		 (unsigned long long)au.retention_days);
	cli_table_init(&t, 2);
	{
		const char *rows[][2] = {
			{"cluster id", *cs.cluster_id ? cs.cluster_id : NULL},
			{"root daemon", *cs.root_daemon ? cs.root_daemon : NULL},
			{"hierarchy levels", levels},
			{"load balancing", bpci_load_balancing_name(cs.load_balancing)},
			{"fault tolerance", bpci_fault_tolerance_name(cs.fault_tolerance)},
			{"resources", *resources ? resources : NULL},
			{"audit ledger", *au.ledger_endpoint ? au.ledger_endpoint : NULL},
			{"audit frequency", freq},
			{"audit retention", retention},
			{"type defaults", *defaults ? defaults : NULL},
			{"nodes", nodes},
		};
		size_t i;

		for (i = 0; i < NELEM(rows); i++)
			cli_table_row(&t, rows[i]);
	}
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	bpci_free(resources);
	free(defaults);
	print_nodes(cfg);
	return CLI_EXIT_OK;
}

static int print_config_json(const bpci_config *cfg)
{
	char *json = NULL;

	if (bpci_config_to_json(&json, cfg) != 0)
		return CLI_EXIT_FAILED;
	printf("%s\n", json);
	bpci_free(json);
	return CLI_EXIT_OK;
}

static int load_and_print(cli_ctx *ctx, const char *path, unsigned int flags)
{
	bpci_config *cfg = NULL;
	bpci_diag *diag = NULL;
	int rc, status;

	if (bpci_diag_new(&diag) != 0) {
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	rc = bpci_config_load_file(&cfg, path, flags, diag);
	cli_print_diag(NULL, diag);
	if (rc != 0) {
		if (!bpci_diag_error_count(diag))
			cli_error(ctx, "%s: %s", path, bpci_strerror(rc));
		bpci_diag_free(diag);
		return cli_exit_for(rc);
	}
	bpci_diag_free(diag);
	status = ctx->output == CLI_OUTPUT_JSON ? print_config_json(cfg) : print_summary(cfg);
	if (status != CLI_EXIT_OK)
		cli_error(ctx, "out of memory");
	bpci_config_free(cfg);
	return status;
}

static int cmd_validate(cli_ctx *ctx, int argc, char **argv)
{
	cli_parsed p;
	const char *path;
	int status;

	cli_parse_options(ctx, &p, validate_opts, NELEM(validate_opts), argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout, "--config FILE [--strict] [--output table|json]",
				 "Load a node distribution configuration, check every value "
				 "with the node model's rules and print every problem "
				 "(file:line:column: field message) on stderr, warnings "
				 "included. On success print a summary of the cluster and "
				 "its nodes. An unreadable file is an operation failure "
				 "(exit 1); an invalid file is a validation error (exit 2).",
				 validate_opts, NELEM(validate_opts));
		cli_parsed_free(&p);
		return CLI_EXIT_OK;
	}
	if (ctx->version) {
		cli_parsed_free(&p);
		return cli_print_version(ctx);
	}
	path = cli_parsed_get(&p, "config");
	if (!path && !ctx->usage_errors)
		cli_usage_error(ctx, "validate needs --config FILE; see '%s %s validate --help'.",
				ctx->prog, ctx->group);
	if (ctx->usage_errors) {
		cli_parsed_free(&p);
		return CLI_EXIT_USAGE;
	}
	status = load_and_print(ctx, path,
				cli_parsed_flag(&p, "strict") ? BPCI_VALIDATE_STRICT : 0);
	cli_parsed_free(&p);
	return status;
}

/* ---- start-node ------------------------------------------------------ */

static const char start_node_desc[] =
	"Build a node specification from the flags, check every value and the "
	"spec as a whole, then start it on the running coordinator (found through "
	"--state-dir, or --url and --token) and print its id; with --wait, show "
	"its progress until it is ready (exit 0) or failed (exit 1). With "
	"--dry-run, print the spec instead (a FIELD VALUE table, or canonical JSON "
	"with --output json) and start nothing. Every problem is one line on "
	"stderr and the exit status is 2. Type flags belong to one node type: "
	"giving another type's flag is an error. BOOL flags take no value "
	"(--no-FLAG sets false); K=V flags repeat; --flag=value works too.";

/* The options start-node knows for one type (or for none). */
typedef struct start_opts {
	cli_option *all;
	size_t n;
	bpci_node_type type;    /* 0 when --type is missing or bad */
	int type_given;         /* --type was written (perhaps misspelt) */
	const cli_option *alias; /* --node-id, or NULL */
	char *type_help;
} start_opts;

/* --type as written, found before parsing because it decides the flags. */
static const char *prescan_type(int argc, char **argv)
{
	const char *t = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
			t = argv[++i];
		else if (strncmp(argv[i], "--type=", 7) == 0)
			t = argv[i] + 7;
	}
	return t;
}

static void append(start_opts *so, const cli_option *o, size_t n)
{
	so->all = cli_xrealloc(so->all, (so->n + n) * sizeof(*so->all));
	memcpy(so->all + so->n, o, n * sizeof(*o));
	so->n += n;
}

/* Find the common "id" field, for the --node-id spelling of the original. */
static const bpci_field_info *id_field(const bpci_field_info *common, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(common[i].name, "id") == 0)
			return &common[i];
	return NULL;
}

/* Options of start-node that are not node fields; their help is static,
 * except --type's (so->type_help). */
#define START_OWN 5
#define START_FIXED (START_OWN + COORD_CLIENT_NOPTS)

static char *type_option_help(void)
{
	char *names = cli_node_type_names(" ");
	cli_buf b = {0};

	cli_buf_add(&b, "the node type: %s (also the original's spellings such as "
		    "enc_cluster) Required.", names);
	free(names);
	return cli_buf_take(&b);
}

/* The original CLI writes --node-id; the model's "id" field may have
 * another flag (or none). */
static void add_id_alias(start_opts *so, const bpci_field_info *cf, size_t cn)
{
	const bpci_field_info *idf = id_field(cf, cn);
	cli_option alias = {"node-id", CLI_VALUE, 0, "ID", NULL, NULL};

	if (!idf || (idf->flag && strcmp(idf->flag, "node-id") == 0))
		return;
	alias.help = cli_xstrdup("the node's id, as the original CLI spells it");
	alias.data = idf;
	append(so, &alias, 1);
	so->alias = &so->all[so->n - 1];
}

static void append_fields(start_opts *so, const bpci_field_info *f, size_t n)
{
	cli_option *o;
	size_t k = cli_field_options(&o, f, n);

	append(so, o, k);
	free(o);
}

static void build_start_opts(start_opts *so, bpci_node_type type)
{
	const bpci_field_info *tf = NULL, *cf = NULL;
	size_t tn = 0, cn = 0;

	memset(so, 0, sizeof(*so));
	so->type = type;
	so->type_help = type_option_help();
	{
		const cli_option fixed[START_OWN] = {
			{"type", CLI_VALUE, 0, "TYPE", so->type_help, NULL},
			{"dry-run", CLI_SWITCH, 0, NULL,
			 "check and print the spec without starting anything", NULL},
			{"strict", CLI_SWITCH, 0, NULL,
			 "treat warnings (such as a bad EIP-55 checksum) as errors", NULL},
			{"wait", CLI_SWITCH, 0, NULL,
			 "show the node's progress until it is ready or failed", NULL},
			{"timeout", CLI_VALUE, 0, "SECONDS",
			 "how long --wait waits (default 60)", NULL},
		};
		append(so, fixed, START_OWN);
		append(so, coord_client_opts, COORD_CLIENT_NOPTS);
	}
	if (type && bpci_node_type_fields(&tf, &tn, type) == 0)
		append_fields(so, tf, tn);
	if (bpci_node_common_fields(&cf, &cn) == 0) {
		append_fields(so, cf, cn);
		add_id_alias(so, cf, cn);
	}
}

static void free_start_opts(start_opts *so)
{
	size_t i;

	for (i = START_FIXED; i < so->n; i++)
		free((char *)so->all[i].help);
	free(so->all);
	free(so->type_help);
}

/* A type parameter given for another type: say whose it is. */
static char *explain_flag(const char *name, void *payload)
{
	const start_opts *so = payload;
	char *owners = cli_flag_owners(name);
	cli_buf b = {0};

	if (!owners)
		return NULL;
	if (so->type)
		cli_buf_add(&b, "--%s is not a flag of %s nodes (it belongs to %s)", name,
			    bpci_node_type_name(so->type), owners);
	else if (so->type_given)
		cli_buf_add(&b, "--%s is a flag of %s nodes", name, owners);
	else
		cli_buf_add(&b, "--%s is a flag of %s nodes; give --type", name, owners);
	free(owners);
	return cli_buf_take(&b);
}

static void start_node_help(const cli_ctx *ctx, const start_opts *so)
{
	const bpci_field_info *f;
	size_t n, k;
	cli_option *o;
	int ty;

	cli_help_usage(ctx, stdout, "--type TYPE [TYPE FLAGS] [COMMON FLAGS] [--wait | "
				    "--dry-run] [--strict] [--output table|json]");
	fputc('\n', stdout);
	cli_help_paragraph(stdout, start_node_desc);
	cli_help_options(stdout, "Options", so->all, START_FIXED);
	if (so->alias)
		cli_help_options(stdout, "Alias", so->alias, 1);
	if (bpci_node_common_fields(&f, &n) == 0) {
		k = cli_field_options(&o, f, n);
		cli_help_options(stdout, "Common node flags", o, k);
		cli_field_options_free(o, k);
	}
	for (ty = 1; ty <= BPCI_NODE_TYPE_COUNT; ty++) {
		char title[64];

		if (so->type && (int)so->type != ty)
			continue;
		if (bpci_node_type_fields(&f, &n, (bpci_node_type)ty) != 0)
			continue;
		snprintf(title, sizeof(title), "Flags of %s nodes (--type %s)",
			 bpci_node_type_name((bpci_node_type)ty),
			 bpci_node_type_name((bpci_node_type)ty));
		k = cli_field_options(&o, f, n);
		cli_help_options(stdout, title, o, k);
		cli_field_options_free(o, k);
	}
	cli_help_globals(stdout);
	cli_help_exit_status(stdout);
}

/* Fields whose value was refused by a setter: their "is required" or
 * cross-field complaints from validate() would only repeat the problem. */
typedef struct failed_fields {
	const char **names;
	size_t n;
} failed_fields;

static int failed_has(const failed_fields *ff, const char *name)
{
	size_t i;

	for (i = 0; i < ff->n; i++)
		if (strcmp(ff->names[i], name) == 0)
			return 1;
	return 0;
}

/* Every value given for LIST option @opt, comma-joined (lists repeat). */
static char *joined_values(const cli_parsed *p, const cli_option *opt)
{
	cli_buf b = {0};
	size_t i;

	for (i = 0; i < p->count; i++)
		if (p->occ[i].opt == opt)
			cli_buf_add(&b, "%s%s", b.len ? "," : "", p->occ[i].value);
	return cli_buf_take(&b);
}

static int later_occurrence(const cli_parsed *p, size_t i)
{
	size_t j;

	for (j = i + 1; j < p->count; j++)
		if (p->occ[j].opt == p->occ[i].opt)
			return 1;
	return 0;
}

static int apply_one(bpci_node_spec *spec, const cli_parsed *p, size_t i, bpci_diag *diag)
{
	const cli_occurrence *oc = &p->occ[i];
	const bpci_field_info *f = oc->opt->data;
	char *joined;
	int rc;

	if (f->kind == BPCI_FIELD_BOOL && !oc->value)
		return bpci_node_spec_set_bool(spec, f->name, !oc->negated, diag);
	if (f->kind != BPCI_FIELD_LIST)
		return bpci_node_spec_set(spec, f->name, oc->value, diag);
	if (later_occurrence(p, i))
		return 0;
	joined = joined_values(p, oc->opt);
	rc = bpci_node_spec_set(spec, f->name, joined, diag);
	free(joined);
	return rc;
}

/* Set every flag; returns the number of refused values. */
static size_t apply_flags(bpci_node_spec *spec, const cli_parsed *p, failed_fields *ff,
			  bpci_diag *diag)
{
	size_t i;

	ff->names = cli_xmalloc((p->count ? p->count : 1) * sizeof(*ff->names));
	ff->n = 0;
	for (i = 0; i < p->count; i++) {
		const bpci_field_info *f = p->occ[i].opt->data;

		if (f && apply_one(spec, p, i, diag) != 0)
			ff->names[ff->n++] = f->name;
	}
	return ff->n;
}

static void print_filtered(const cli_ctx *ctx, const bpci_diag *diag, const failed_fields *ff)
{
	size_t i, n = bpci_diag_count(diag);

	for (i = 0; i < n; i++) {
		const bpci_diag_entry *e = bpci_diag_get(diag, i);

		if (e && !failed_has(ff, e->field))
			fprintf(stderr, "%s: %s\n", ctx->prog, e->text);
	}
}

static void spec_rows(cli_table *t, const bpci_node_spec *spec, const bpci_field_info *f,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *v = cli_spec_value(spec, &f[i]);
		const char *row[2];

		if (!v)
			continue;
		row[0] = f[i].name;
		row[1] = v;
		cli_table_row(t, row);
		free(v);
	}
}

static int print_spec(const cli_ctx *ctx, const bpci_node_spec *spec)
{
	const bpci_field_info *f;
	size_t n;
	cli_table t;
	const char *head[] = {"FIELD", "VALUE"};
	const char *type[] = {"type", bpci_node_type_name(bpci_node_spec_type(spec))};

	if (ctx->output == CLI_OUTPUT_JSON) {
		char *json = NULL;

		if (bpci_node_spec_to_json(&json, spec) != 0) {
			cli_error(ctx, "out of memory");
			return CLI_EXIT_FAILED;
		}
		printf("%s\n", json);
		bpci_free(json);
		return CLI_EXIT_OK;
	}
	cli_table_init(&t, 2);
	cli_table_row(&t, head);
	cli_table_row(&t, type);
	if (bpci_node_type_fields(&f, &n, bpci_node_spec_type(spec)) == 0)
		spec_rows(&t, spec, f, n);
	if (bpci_node_common_fields(&f, &n) == 0)
		spec_rows(&t, spec, f, n);
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	return CLI_EXIT_OK;
}

/* Build and check the spec; print it (dry run) or start it (@start). */
static int dry_run(cli_ctx *ctx, const cli_parsed *p, bpci_node_type type, int start)
{
	bpci_node_spec *spec = NULL;
	bpci_diag *sdiag = NULL, *vdiag = NULL;
	failed_fields ff = {0};
	unsigned int flags = cli_parsed_flag(p, "strict") ? BPCI_VALIDATE_STRICT : 0;
	int rc, status;

	if (bpci_diag_new(&sdiag) != 0 || bpci_diag_new(&vdiag) != 0 ||
	    bpci_node_spec_new(&spec, type) != 0) {
		cli_error(ctx, "out of memory");
		status = CLI_EXIT_FAILED;
		goto out;
	}
	apply_flags(spec, p, &ff, sdiag);
	rc = bpci_node_spec_validate(spec, flags, vdiag);
	cli_print_diag(ctx, sdiag);
	print_filtered(ctx, vdiag, &ff);
	if (ff.n || rc != 0)
		status = CLI_EXIT_USAGE;
	else if (start)
		status = coord_start_node(ctx, p, spec);
	else
		status = print_spec(ctx, spec);
out:
	free(ff.names);
	bpci_node_spec_free(spec);
	bpci_diag_free(sdiag);
	bpci_diag_free(vdiag);
	return status;
}

static void bad_type(cli_ctx *ctx, const char *name, const char *types)
{
	const char *cands[BPCI_NODE_TYPE_COUNT];
	const char *pick;
	int t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++)
		cands[t - 1] = bpci_node_type_name((bpci_node_type)t);
	pick = cli_suggest(name, cands, BPCI_NODE_TYPE_COUNT);
	if (pick)
		cli_usage_error(ctx, "--type must be one of %s, got '%s'; did you mean '%s'?",
				types, name, pick);
	else
		cli_usage_error(ctx, "--type must be one of %s, got '%s'", types, name);
}

static int cmd_start_node(cli_ctx *ctx, int argc, char **argv)
{
	const char *tname = prescan_type(argc, argv);
	bpci_node_type type = (bpci_node_type)0;
	start_opts so;
	cli_parsed p;
	char *types = cli_node_type_names(", ");
	int status = CLI_EXIT_USAGE;

	if (tname && bpci_node_type_parse(&type, tname) != 0)
		type = (bpci_node_type)0;
	build_start_opts(&so, type);
	so.type_given = tname != NULL;
	cli_parse_options(ctx, &p, so.all, so.n, argc, argv, explain_flag, &so);
	if (ctx->help) {
		start_node_help(ctx, &so);
		status = CLI_EXIT_OK;
		goto out;
	}
	if (ctx->version) {
		status = cli_print_version(ctx);
		goto out;
	}
	if (!tname)
		cli_usage_error(ctx, "start-node needs --type TYPE (one of %s)", types);
	else if (!type)
		bad_type(ctx, tname, types);
	if (ctx->usage_errors)
		goto out;
	status = dry_run(ctx, &p, type, !cli_parsed_flag(&p, "dry-run"));
out:
	cli_parsed_free(&p);
	free_start_opts(&so);
	free(types);
	return status;
}

/* ---- the program ----------------------------------------------------- */

static const cli_command coordinator_commands[] = {
	{"validate", "check a node distribution configuration file and summarise it",
	 cmd_validate},
	{"start", "run the coordinator in the foreground: nodes, supervision, API",
	 cmd_coord_start},
	{"start-node", "start a node on the running coordinator (or check it: --dry-run)",
	 cmd_start_node},
	{"status", "show the coordinator's nodes", cmd_coord_status},
	{"stop-node", "stop a node and forget it", cmd_coord_stop_node},
	{"restart-node", "stop a node and start it again", cmd_coord_restart_node},
	{"logs", "print (or follow) a node's output", cmd_coord_logs},
	{"reload", "re-read the coordinator's configuration file", cmd_coord_reload},
};

static const cli_group groups[] = {
	{"node-coordinator", "Run the node coordinator of this host and manage its nodes.",
	 coordinator_commands, NELEM(coordinator_commands),
	 "'start' runs the coordinator; the other commands except 'validate' and "
	 "'start-node --dry-run' are clients of its HTTP API, found through "
	 "--state-dir (its api.url and api.token) or --url and --token. When no "
	 "coordinator answers they exit with status 3."},
};

int main(int argc, char **argv)
{
	static const cli_program prog = {
		"bpi-core",
		"bpi-core runs the BPI node coordinator, which starts, supervises, "
		"restarts and stops the nodes of this host, and talks to it; it also "
		"checks configurations and node specifications with the rules the "
		"coordinator applies.",
		groups, NELEM(groups)};

	return cli_main(&prog, argc, argv);
}
