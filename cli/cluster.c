/*
 * bpci-enterprise cluster-manager: the daemon (start) and the commands
 * that talk to it over its HTTP API. The client options follow bpi-core's:
 * --state-dir DIR (default $BPCI_STATE_DIR/cluster-manager, else the
 * per-user state directory's cluster-manager), --url URL (overrides
 * DIR/api.url), --token TOKEN (overrides DIR/api.token). Exit status 3 when
 * the daemon cannot be reached.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "cluster_flat.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CLIENT_NOPTS 3

static const cli_option client_opts[CLIENT_NOPTS] = {
	{"state-dir", CLI_VALUE, 0, "DIR",
	 "the cluster manager's state directory (default: $BPCI_STATE_DIR/cluster-manager, "
	 "else ~/.local/state/bpci/cluster-manager; /var/lib/bpci/cluster-manager for root)",
	 NULL},
	{"url", CLI_VALUE, 0, "URL", "the cluster manager's API URL (overrides DIR/api.url)",
	 NULL},
	{"token", CLI_VALUE, 0, "TOKEN", "the API token for changes (overrides DIR/api.token)",
	 NULL},
};

int cluster_wants_dry_run(int argc, char **argv)
{
	int i;

	/* --help shows the dry-run form's help, which describes both. */
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static char *state_dir(const cli_parsed *p)
{
	const char *given = cli_parsed_get(p, "state-dir");
	char *base = NULL, *out;

	if (given)
		return cli_xstrdup(given);
	if (bpci_client_default_state_dir(&base) != 0)
		return NULL;
	out = cli_xmalloc(strlen(base) + 32);
	sprintf(out, "%s/cluster-manager", base);
	bpci_free(base);
	return out;
}

/* First line of DIR/NAME, or NULL. */
static char *read_line(const char *dir, const char *name)
{
	char path[4096], buf[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? cli_xstrdup(buf) : NULL;
}

void cluster_json_str(cli_buf *b, const char *s)
{
	cli_buf_add(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			cli_buf_add(b, "\\%c", c);
		else if (c < 0x20)
			cli_buf_add(b, "\\u%04x", c);
		else
			cli_buf_add(b, "%c", c);
	}
	cli_buf_add(b, "\"");
}

int cluster_fetch(cli_ctx *ctx, const cli_parsed *p, const char *method, const char *path,
		  const char *body, char **resp)
{
	char *dir = state_dir(p);
	int status = cluster_fetch_at(ctx, dir, cli_parsed_get(p, "url"), cli_parsed_get(p, "token"),
				      method, path, body, resp);

	free(dir);
	return status;
}

int cluster_fetch_at(cli_ctx *ctx, const char *dir, const char *given_url,
		     const char *given_token, const char *method, const char *path,
		     const char *body, char **resp)
{
	char *url, *token;
	bpci_diag *diag = NULL;
	int rc, status;

	*resp = NULL;
	url = given_url ? cli_xstrdup(given_url) : (dir ? read_line(dir, "api.url") : NULL);
	token = given_token ? cli_xstrdup(given_token) : (dir ? read_line(dir, "api.token") : NULL);
	if (!url) {
		cli_error(ctx, "no cluster manager found: %s/api.url does not exist; start one "
			  "with 'bpci-enterprise cluster-manager start --cluster-id ID "
			  "[--state-dir DIR]' or point at one with --state-dir or --url",
			  dir ? dir : "(no state directory)");
		free(token);
		return CLI_EXIT_UNREACHABLE;
	}
	bpci_diag_new(&diag);
	rc = bpci_cluster_request(resp, url, token, method, path, body, diag);
	if (rc != 0) {
		cli_print_diag(ctx, diag);
		if (!bpci_diag_error_count(diag))
			cli_error(ctx, "%s", bpci_strerror(rc));
		status = cli_exit_for(rc);
		bpci_free(*resp);
		*resp = NULL;
	} else {
		status = CLI_EXIT_OK;
	}
	bpci_diag_free(diag);
	free(url);
	free(token);
	return status;
}

int cluster_call(cli_ctx *ctx, const cli_parsed *p, const char *method, const char *path,
		 const char *body, int print)
{
	char *resp = NULL;
	int status = cluster_fetch(ctx, p, method, path, body, &resp);

	if (status == CLI_EXIT_OK && print && resp) {
		if (ctx->output == CLI_OUTPUT_JSON)
			printf("%s\n", resp);
		else
			cluster_print_flat(resp, stdout);
	}
	bpci_free(resp);
	return status;
}

int cluster_begin(cli_ctx *ctx, cli_parsed *p, const cli_option *own, size_t nown, int argc,
		 char **argv, const char *synopsis, const char *desc,
		 const char *const *required, cli_option **all)
{
	size_t i, n = nown + CLIENT_NOPTS;

	*all = cli_xmalloc(n * sizeof(**all));
	if (nown)
		memcpy(*all, own, nown * sizeof(*own));
	memcpy(*all + nown, client_opts, sizeof(client_opts));
	cli_parse_options(ctx, p, *all, n, argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout, synopsis, desc, *all, n);
		return CLI_EXIT_OK;
	}
	if (ctx->version)
		return cli_print_version(ctx);
	for (i = 0; required && required[i]; i++)
		if (!cli_parsed_get(p, required[i]))
			cli_usage_error(ctx, "%s needs --%s; see '%s %s %s --help'.", ctx->command,
					required[i], ctx->prog, ctx->group, ctx->command);
	return ctx->usage_errors ? CLI_EXIT_USAGE : -1;
}

void cluster_finish(cli_parsed *p, cli_option *all)
{
	cli_parsed_free(p);
	free(all);
}

/* ---- listings ---------------------------------------------------------- */

static int simple_get(cli_ctx *ctx, int argc, char **argv, const char *path, const char *desc)
{
	cli_option *all = NULL;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, NULL, 0, argc, argv,
			   "[--state-dir DIR | --url URL] [--output table|json]", desc, NULL, &all);

	if (status < 0)
		status = cluster_call(ctx, &p, "GET", path, NULL, 1);
	cluster_finish(&p, all);
	return status;
}

int cmd_cluster_metrics(cli_ctx *ctx, int argc, char **argv)
{
	return simple_get(ctx, argc, argv, "/api/cluster/metrics",
			  "Show the cluster metrics (the original's ClusterMetrics field names "
			  "with --output json): nodes, replicas, measured and reserved resource "
			  "utilization, daemon tree health, port utilization, audit counts.");
}

int cmd_cluster_replicas(cli_ctx *ctx, int argc, char **argv)
{
	return simple_get(ctx, argc, argv, "/api/replicas",
			  "List the ENC replicas with their node's state and pid.");
}

int cmd_cluster_nodes(cli_ctx *ctx, int argc, char **argv)
{
	return simple_get(ctx, argc, argv, "/api/cluster/nodes",
			  "List the registered cluster nodes.");
}

int cmd_cluster_ports(cli_ctx *ctx, int argc, char **argv)
{
	return simple_get(ctx, argc, argv, "/api/ports", "List the leased ports.");
}

/* ---- mutations --------------------------------------------------------- */

static const cli_option replica_opts[] = {
	{"name", CLI_VALUE, 0, "NAME", "the replica's name (identifier)", NULL},
	{"cpu-cores", CLI_VALUE, 0, "CPU", "CPU it reserves: cores (8) or millicores (500m)",
	 NULL},
	{"memory-gb", CLI_VALUE, 0, "SIZE", "memory it reserves (16 = 16 GiB, 512Mi)", NULL},
	{"storage-gb", CLI_VALUE, 0, "SIZE", "storage it reserves (500 = 500 GiB)", NULL},
	{"network-mbps", CLI_VALUE, 0, "MBPS", "network bandwidth it reserves", NULL},
	{"under", CLI_VALUE, 0, "ID",
	 "place only within daemon ID's subtree (it needs load_balancing; the root always "
	 "may); the replica then stays in that domain on rebalance", NULL},
};

int cmd_cluster_add_replica(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"name", "cpu-cores", "memory-gb", "storage-gb",
					       NULL};
	static const char *const keys[][2] = {{"cpu-cores", "cpu_cores"},
					      {"memory-gb", "memory_gb"},
					      {"storage-gb", "storage_gb"},
					      {"network-mbps", "network_bandwidth_mbps"}};
	cli_option *all = NULL;
	cli_buf text = {0}, body = {0};
	bpci_resources res;
	bpci_diag *diag = NULL;
	char *t = NULL, *fmt = NULL, *b = NULL;
	cli_parsed p;
	size_t i;
	int status = cluster_begin(ctx, &p, replica_opts, NELEM(replica_opts), argc, argv,
			   "--name NAME --cpu-cores CPU --memory-gb SIZE --storage-gb SIZE "
			   "[--network-mbps MBPS] [--under ID] "
			   "[--state-dir DIR | --url URL --token TOKEN]",
			   "Add an ENC replica: an enc-cluster node with that reservation, placed "
			   "on a node_lifecycle daemon of the tree (with --under, of the subtree "
			   "of that load_balancing daemon) within the utilization ceiling and "
			   "started. Prints its id. (--dry-run only checks, see the dry-run "
			   "form.)",
			   required, &all);

	if (status >= 0)
		goto out;
	for (i = 0; i < NELEM(keys); i++) {
		const char *v = cli_parsed_get(&p, keys[i][0]);

		if (v && strpbrk(v, ",="))
			cli_usage_error(ctx, "--%s must be one amount, got '%s'", keys[i][0], v);
		else if (v)
			cli_buf_add(&text, "%s%s=%s", text.len ? "," : "", keys[i][1], v);
	}
	t = cli_buf_take(&text);
	bpci_diag_new(&diag);
	status = CLI_EXIT_USAGE;
	if (ctx->usage_errors || bpci_resources_parse(&res, t ? t : "", diag) != 0 ||
	    bpci_resources_format(&fmt, &res) != 0) {
		cli_print_diag(ctx, diag);
		goto out;
	}
	cli_buf_add(&body, "{\"name\":");
	cluster_json_str(&body, cli_parsed_get(&p, "name"));
	cli_buf_add(&body, ",\"resources\":");
	cluster_json_str(&body, fmt);
	if (cli_parsed_get(&p, "under")) {
		cli_buf_add(&body, ",\"under\":");
		cluster_json_str(&body, cli_parsed_get(&p, "under"));
	}
	cli_buf_add(&body, "}");
	b = cli_buf_take(&body);
	status = cluster_call(ctx, &p, "POST", "/api/replicas", b, 1);
out:
	bpci_free(fmt);
	free(t);
	free(b);
	bpci_diag_free(diag);
	cluster_finish(&p, all);
	return status;
}

static const cli_option id_opts[] = {
	{"id", CLI_VALUE, 0, "ID", "the id (or name)", NULL},
};

static int delete_by_id(cli_ctx *ctx, int argc, char **argv, const char *prefix,
			const char *desc)
{
	static const char *const required[] = {"id", NULL};
	cli_option *all = NULL;
	cli_buf path = {0};
	char *ps;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, id_opts, NELEM(id_opts), argc, argv,
			   "--id ID [--state-dir DIR | --url URL --token TOKEN]", desc, required,
			   &all);

	if (status < 0) {
		const char *id = cli_parsed_get(&p, "id");

		if (strpbrk(id, "/?#% ")) {
			status = cli_usage_error(ctx, "--id must not contain '/', '?', '#', '%%' or "
						 "blanks, got '%s'", id);
		} else {
			cli_buf_add(&path, "%s/%s", prefix, id);
			ps = cli_buf_take(&path);
			status = cluster_call(ctx, &p, "DELETE", ps, NULL, 1);
			free(ps);
		}
	}
	cluster_finish(&p, all);
	return status;
}

int cmd_cluster_remove_replica(cli_ctx *ctx, int argc, char **argv)
{
	return delete_by_id(ctx, argc, argv, "/api/replicas",
			    "Stop an ENC replica's node and remove the replica.");
}

int cmd_cluster_unregister_node(cli_ctx *ctx, int argc, char **argv)
{
	return delete_by_id(ctx, argc, argv, "/api/cluster/nodes",
			    "Remove a cluster node registration.");
}

static const cli_option node_opts[] = {
	{"name", CLI_VALUE, 0, "NAME", "the node's name (identifier)", NULL},
	{"type", CLI_VALUE, 0, "TYPE",
	 "validator, auditor, compute, daemon, gateway, storage or oracle", NULL},
	{"capabilities", CLI_VALUE, 0, "A,B,...", "its capabilities", NULL},
};

int cmd_cluster_register_node(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"name", "type", NULL};
	cli_option *all = NULL;
	cli_buf body = {0};
	char *b;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, node_opts, NELEM(node_opts), argc, argv,
			   "--name NAME --type TYPE [--capabilities A,B,...] "
			   "[--state-dir DIR | --url URL --token TOKEN]",
			   "Register a cluster node (a host with a type and capabilities). "
			   "Prints its id.",
			   required, &all);

	if (status < 0) {
		cli_buf_add(&body, "{\"name\":");
		cluster_json_str(&body, cli_parsed_get(&p, "name"));
		cli_buf_add(&body, ",\"type\":");
		cluster_json_str(&body, cli_parsed_get(&p, "type"));
		if (cli_parsed_get(&p, "capabilities")) {
			cli_buf_add(&body, ",\"capabilities\":");
			cluster_json_str(&body, cli_parsed_get(&p, "capabilities"));
		}
		cli_buf_add(&body, "}");
		b = cli_buf_take(&body);
		status = cluster_call(ctx, &p, "POST", "/api/cluster/nodes", b, 1);
		free(b);
	}
	cluster_finish(&p, all);
	return status;
}

int cluster_parse_duration(const char *s, unsigned long long *ms)
{
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10), mul = 1000;

	if (end == s || *s == '-')
		return -1;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s") || !*end)
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else if (!strcmp(end, "d"))
		mul = 86400000;
	else
		return -1;
	*ms = v * mul;
	return 0;
}

static const cli_option port_opts[] = {
	{"service", CLI_VALUE, 0, "NAME", "the service the port is for", NULL},
	{"ttl", CLI_VALUE, 0, "DURATION", "lease length (30s, 5m, 1h); default: until released",
	 NULL},
};

int cmd_cluster_allocate_port(cli_ctx *ctx, int argc, char **argv)
{
	cli_option *all = NULL;
	cli_buf body = {0};
	unsigned long long ttl = 0;
	char *b;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, port_opts, NELEM(port_opts), argc, argv,
			   "[--service NAME] [--ttl DURATION] [--state-dir DIR | --url URL "
			   "--token TOKEN]",
			   "Lease a free port of the cluster's ranges (one no other program "
			   "listens on) and print it.",
			   NULL, &all);

	if (status < 0 && cli_parsed_get(&p, "ttl") && cluster_parse_duration(cli_parsed_get(&p, "ttl"), &ttl))
		status = cli_usage_error(ctx, "--ttl must be a duration like 30s, 5m or 1h, got "
					 "'%s'", cli_parsed_get(&p, "ttl"));
	if (status < 0) {
		cli_buf_add(&body, "{\"service\":");
		cluster_json_str(&body, cli_parsed_get(&p, "service") ? cli_parsed_get(&p, "service") : "");
		cli_buf_add(&body, ",\"ttl_ms\":%llu}", ttl);
		b = cli_buf_take(&body);
		status = cluster_call(ctx, &p, "POST", "/api/ports", b, 1);
		free(b);
	}
	cluster_finish(&p, all);
	return status;
}

static const cli_option release_opts[] = {
	{"port", CLI_VALUE, 0, "PORT", "the leased port", NULL},
};

int cmd_cluster_release_port(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"port", NULL};
	cli_option *all = NULL;
	char path[64], *end = NULL;
	cli_parsed p;
	long port;
	int status = cluster_begin(ctx, &p, release_opts, NELEM(release_opts), argc, argv,
			   "--port PORT [--state-dir DIR | --url URL --token TOKEN]",
			   "End a port lease.", required, &all);

	if (status < 0) {
		port = strtol(cli_parsed_get(&p, "port"), &end, 10);
		if (!end || *end || port < 1 || port > 65535) {
			status = cli_usage_error(ctx, "--port must be 1..65535, got '%s'",
						 cli_parsed_get(&p, "port"));
		} else {
			snprintf(path, sizeof(path), "/api/ports/%ld", port);
			status = cluster_call(ctx, &p, "DELETE", path, NULL, 1);
		}
	}
	cluster_finish(&p, all);
	return status;
}
