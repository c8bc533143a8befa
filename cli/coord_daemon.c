/*
 * bpi-core node-coordinator start: the coordinator daemon in the
 * foreground. It logs node state changes to stderr, starts the
 * configuration's nodes, serves the HTTP API, prints its URL and the
 * status table, reloads the file on SIGHUP and stops every node on
 * SIGTERM or SIGINT.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpci.h>

#include "cli.h"
#include "coord.h"
#include "ship_watch.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define INITIAL_WAIT_MS 15000

static const cli_option start_opts[] = {
	{"config", CLI_VALUE, 0, "FILE",
	 "the node distribution configuration whose nodes to run (required unless "
	 "--daemon-id is given: a daemon gets its nodes over its API)", NULL},
	{"state-dir", CLI_VALUE, 0, "DIR",
	 "where state, node logs, api.url and api.token live (default: "
	 "$BPCI_STATE_DIR, else /var/lib/bpci for root, else $XDG_STATE_HOME/bpci "
	 "or ~/.local/state/bpci)", NULL},
	{"listen", CLI_VALUE, 0, "ADDR",
	 "the API's address HOST:PORT (default 127.0.0.1:8080; port 0 picks a free "
	 "port, written to DIR/api.url)", NULL},
	{"node-program", CLI_VALUE, 0, "PATH",
	 "the program of nodes without a command (default: bpci-node beside "
	 "bpi-core, else on PATH)", NULL},
	{"daemon-id", CLI_VALUE, 0, "ID",
	 "run as daemon ID of the daemon tree: supervise child daemons (POST "
	 "/api/daemons), join a parent, send heartbeats", NULL},
	{"join", CLI_VALUE, 0, "PARENT_URL",
	 "the parent daemon's API to join (without it the daemon is a root)", NULL},
	{"join-token", CLI_VALUE, 0, "TOKEN",
	 "the parent's API token (default: $BPCI_JOIN_TOKEN)", NULL},
	{"remote", CLI_SWITCH, 0, NULL,
	 "join as a remote daemon (started on its own host, watched by heartbeats)", NULL},
	{"strategy", CLI_VALUE, 0, "STRATEGY",
	 "how child daemons are restarted: one_for_one (default), one_for_all or "
	 "rest_for_one", NULL},
	{"max-restarts", CLI_VALUE, 0, "N",
	 "restart intensity: more than N child restarts (default 3) ...", NULL},
	{"max-seconds", CLI_VALUE, 0, "S",
	 "... within S seconds (default 5) make this daemon give up and exit 75", NULL},
	{"heartbeat-interval", CLI_VALUE, 0, "DURATION",
	 "heartbeat period of the links (default 1s; children use their parent's)", NULL},
	{"failover-timeout", CLI_VALUE, 0, "DURATION",
	 "a child silent this long is failed (remote) or unreachable (default 3s)", NULL},
	{"ledger-token-file", CLI_VALUE, 0, "FILE",
	 "the bearer token of the remote ledger that the configuration's "
	 "audit_integration.bpi_ledger_endpoint names (default: $BPCI_LEDGER_TOKEN)", NULL},
};

static const char start_desc[] =
	"Run the node coordinator in the foreground: start the configuration's "
	"nodes, supervise them (readiness, heartbeats, restarts), and serve the "
	"HTTP API that the other node-coordinator commands use. Node state "
	"changes are logged on stderr. SIGHUP re-reads the configuration and "
	"applies the difference; SIGTERM or SIGINT (Ctrl-C) stops every node and "
	"exits 0. Nodes left running by a coordinator that was killed are adopted "
	"when one starts again on the same state directory. With --daemon-id it is "
	"a daemon of the daemon tree: it supervises child daemons with OTP "
	"semantics, joins --join PARENT_URL and sends READY=1 to $NOTIFY_SOCKET "
	"once serving and joined; when a child exceeds the restart intensity it "
	"stops its child daemons (not its nodes) and exits 75. When the "
	"configuration has audit_integration.bpi_ledger_endpoint, the journal is "
	"shipped to that remote ledger (`bpci-enterprise ledger serve`) on a "
	"thread of its own; a reload with another endpoint restarts the shipper, "
	"and a divergence is logged as an ALARM and shown by the health endpoint "
	"and /metrics.";

static void on_event(const bpci_node_event *ev, void *payload)
{
	char stamp[32], pid[32] = "";
	time_t now = time(NULL);
	struct tm tm;

	(void)payload;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (ev->pid)
		snprintf(pid, sizeof(pid), " (pid %d)", ev->pid);
	/* One write per line (stderr is unbuffered): a 1,000-node start
	 * logs 2,000 of them. */
	fprintf(stderr, "%s bpi-core: node %s (%s): %s -> %s%s%s%s\n", stamp, ev->node_id,
		bpci_node_type_name(ev->type),
		ev->old_state ? bpci_node_state_name(ev->old_state) : "new",
		bpci_node_state_name(ev->new_state), *ev->reason ? ": " : "", ev->reason, pid);
}

static void on_daemon_log(const char *daemon_id, const char *message, void *payload)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)payload;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	fprintf(stderr, "%s daemon %s: %s\n", stamp, daemon_id, message);
}

/* Wait a while for the configuration's nodes to come up, so that the
 * first table shows them running (or why not). */
static void wait_initial(bpci_coordinator *c)
{
	const unsigned int mask = BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING) |
				  BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_FAILED) |
				  BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_STOPPED) |
				  BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_UNHEALTHY);
	bpci_node_status_list *list = NULL;
	struct timespec t0, now;
	size_t i, n;

	if (bpci_coordinator_list_nodes(&list, c, (bpci_node_type)0, NULL) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = bpci_node_status_list_count(list);
	for (i = 0; i < n; i++) {
		long spent;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= INITIAL_WAIT_MS)
			break;
		if (bpci_coordinator_wait_node(NULL, c, bpci_node_status_list_get(list, i)->id,
					       mask, (int)(INITIAL_WAIT_MS - spent), NULL) < 0)
			continue;
	}
	bpci_node_status_list_free(list);
}

static void print_table(cli_ctx *ctx, bpci_coordinator *c)
{
	bpci_node_status_list *list = NULL;

	if (bpci_coordinator_list_nodes(&list, c, (bpci_node_type)0, NULL) == 0)
		(void)coord_print_status(ctx, list);
	bpci_node_status_list_free(list);
	fflush(stdout);
}

/* Everything the daemon holds, released in reverse. */
typedef struct daemon_state {
	bpci_config *cfg;
	bpci_coordinator *c;
	bpci_server *srv;
	bpci_diag *diag;
	char *state_dir;
	int is_daemon;
} daemon_state;

static int fail(cli_ctx *ctx, daemon_state *d, int rc)
{
	cli_print_diag(ctx, d->diag);
	if (!bpci_diag_error_count(d->diag))
		cli_error(ctx, "%s", bpci_strerror(rc));
	return cli_exit_for(rc) == CLI_EXIT_UNREACHABLE ? CLI_EXIT_FAILED : cli_exit_for(rc);
}

/* BPCI_COORDINATOR_URL for the nodes, known before binding unless the port
 * is to be picked (":0"): then the nodes do without it. Malloc'd or NULL. */
static char *coordinator_url(const char *listen)
{
	const char *addr = listen ? listen : "127.0.0.1:8080";
	const char *colon = strrchr(addr, ':');
	cli_buf b = {0};

	if (!colon || strcmp(colon, ":0") == 0)
		return NULL;
	cli_buf_add(&b, "http://%s", addr);
	return cli_buf_take(&b);
}

static int open_coordinator(cli_ctx *ctx, daemon_state *d, const cli_parsed *p)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	char *url = coordinator_url(cli_parsed_get(p, "listen"));
	int rc;

	co.coordinator_url = url;
	co.state_dir = d->state_dir;
	co.node_program = cli_parsed_get(p, "node-program");
	co.handle_signals = 1; /* TERM and INT; SIGHUP reloads through the server */
	co.on_event = on_event;
	rc = bpci_coordinator_new(&d->c, &co, d->diag);
	free(url); /* copied by the coordinator */
	if (rc != 0)
		return fail(ctx, d, rc);
	/* Warnings of a successful open (a power-loss hole cut from the
	 * journal, a legacy state migrated) are the operator's to see now. */
	cli_print_diag(ctx, d->diag);
	bpci_diag_clear(d->diag);
	so.listen = cli_parsed_get(p, "listen");
	so.config_path = cli_parsed_get(p, "config");
	so.reload_on_sighup = 1;
	rc = bpci_coordinator_serve(&d->srv, d->c, &so, d->diag);
	return rc == 0 ? CLI_EXIT_OK : fail(ctx, d, rc);
}

/* "500ms", "2s", "1m" or a bare number of seconds, in ms; 0 when bad. */
static uint64_t parse_ms(const char *text)
{
	char *end;
	double v;

	if (!text)
		return 0;
	v = strtod(text, &end);
	if (end == text || v <= 0)
		return 0;
	if (strcmp(end, "ms") == 0)
		return (uint64_t)v;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return (uint64_t)(v * 1000.0);
	if (strcmp(end, "m") == 0)
		return (uint64_t)(v * 60000.0);
	return 0;
}

static int parse_count(unsigned int *out, const char *text)
{
	char *end;
	unsigned long v;

	if (!text)
		return 0;
	v = strtoul(text, &end, 10);
	if (end == text || *end || v > 1000000 || *text == '-')
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* The daemon flags into options; usage errors are reported on @ctx. */
static void daemon_flags(cli_ctx *ctx, const cli_parsed *p, bpci_daemon_options *o,
			 bpci_supervisor_options *so)
{
	const char *v;

	o->parent_url = cli_parsed_get(p, "join");
	o->join_token = cli_parsed_get(p, "join-token");
	if (!o->join_token)
		o->join_token = getenv("BPCI_JOIN_TOKEN");
	o->remote = cli_parsed_flag(p, "remote");
	o->supervisor = so;
	o->notify_ready = 1;
	o->on_log = on_daemon_log;
	if ((v = cli_parsed_get(p, "strategy")) &&
	    bpci_supervisor_strategy_parse(&so->strategy, v, NULL) != 0)
		cli_usage_error(ctx, "--strategy must be one_for_one, one_for_all or "
			       "rest_for_one, got '%s'", v);
	if (parse_count(&so->max_restarts, cli_parsed_get(p, "max-restarts")) != 0)
		cli_usage_error(ctx, "--max-restarts must be a number 0..1000000, got '%s'",
				cli_parsed_get(p, "max-restarts"));
	if (parse_count(&so->max_seconds, cli_parsed_get(p, "max-seconds")) != 0 ||
	    so->max_seconds == 0)
		cli_usage_error(ctx, "--max-seconds must be a number 1..1000000, got '%s'",
				cli_parsed_get(p, "max-seconds"));
	if ((v = cli_parsed_get(p, "heartbeat-interval")) &&
	    !(o->heartbeat_interval_ms = parse_ms(v)))
		cli_usage_error(ctx, "--heartbeat-interval must be a duration like 500ms or "
			       "2s, got '%s'", v);
	if ((v = cli_parsed_get(p, "failover-timeout")) &&
	    !(o->failover_timeout_ms = parse_ms(v)))
		cli_usage_error(ctx, "--failover-timeout must be a duration like 3s, got '%s'", v);
	if (o->remote && !o->parent_url)
		cli_usage_error(ctx, "--remote needs --join PARENT_URL");
}

static int start_daemon(cli_ctx *ctx, daemon_state *d, const cli_parsed *p)
{
	bpci_daemon_options o = BPCI_DAEMON_OPTIONS_INIT;
	bpci_supervisor_options so = BPCI_SUPERVISOR_OPTIONS_INIT;
	int rc;

	daemon_flags(ctx, p, &o, &so);
	if (ctx->usage_errors)
		return CLI_EXIT_USAGE;
	o.daemon_id = cli_parsed_get(p, "daemon-id");
	o.url = bpci_server_url(d->srv);
	o.token = bpci_server_token(d->srv);
	rc = bpci_coordinator_daemon_start(d->c, &o, d->diag);
	if (rc != 0)
		return fail(ctx, d, rc);
	d->is_daemon = 1;
	return CLI_EXIT_OK;
}

/* After the loop: an escalation leaves the nodes running (the restarted
 * daemon re-adopts them) and exits 75; a stop stops everything. */
static int finish(cli_ctx *ctx, daemon_state *d, int rc)
{
	const char *why = NULL;

	if (d->is_daemon && bpci_coordinator_daemon_escalated(d->c, &why)) {
		fprintf(stderr, "%s: escalating to the parent: %s\n", ctx->prog, why);
		(void)bpci_coordinator_stop_daemons(d->c, d->diag);
		return BPCI_DAEMON_EXIT_ESCALATE;
	}
	if (d->is_daemon) {
		fprintf(stderr, "%s: stopping every child daemon\n", ctx->prog);
		(void)bpci_coordinator_stop_daemons(d->c, d->diag);
	}
	fprintf(stderr, "%s: stopping every node\n", ctx->prog);
	bpci_server_free(d->srv);
	d->srv = NULL;
	if (bpci_coordinator_shutdown(d->c, d->diag) != 0 || rc != 0)
		return fail(ctx, d, rc ? rc : BPCI_EIO);
	return CLI_EXIT_OK;
}

/* With a configuration, the journal follows its bpi_ledger_endpoint
 * (applied by each reload, the first one included). */
static int ship_setup(cli_ctx *ctx, daemon_state *d, const cli_parsed *p)
{
	bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	int failed, rc;
	char *token;

	if (!d->cfg)
		return CLI_EXIT_OK;
	token = ship_read_token(ctx, "--ledger-token-file", cli_parsed_get(p, "ledger-token-file"),
				&failed);
	if (failed)
		return CLI_EXIT_USAGE;
	o.token = token;
	rc = bpci_coordinator_ship_to(d->c, &o, d->diag);
	free(token);
	return rc == 0 ? CLI_EXIT_OK : fail(ctx, d, rc);
}

/* The loop; while shipping, it looks at the shipper once a second to log
 * its alarm and errors. */
static int serve_loop(cli_ctx *ctx, daemon_state *d)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;
	ship_watch w = {0, 0, 0};
	int rc, shipping;

	do {
		shipping = bpci_coordinator_ship_stats(&st, d->c) == 0;
		ship_watch_check(&w, ctx, shipping, &st);
		rc = bpci_server_step(d->srv, shipping ? 1000 : -1);
	} while (rc == 0);
	return rc < 0 ? rc : 0;
}

static int run_daemon(cli_ctx *ctx, daemon_state *d, const cli_parsed *p)
{
	int rc, status = open_coordinator(ctx, d, p);

	if (status == CLI_EXIT_OK)
		status = ship_setup(ctx, d, p);
	if (status == CLI_EXIT_OK && cli_parsed_get(p, "daemon-id"))
		status = start_daemon(ctx, d, p);
	if (status != CLI_EXIT_OK)
		return status;
	if (d->cfg) {
		rc = bpci_coordinator_reload(d->c, d->cfg, d->diag);
		bpci_config_free(d->cfg); /* the coordinator copied the specs; SIGHUP re-reads */
		d->cfg = NULL;
		cli_print_diag(ctx, d->diag); /* a node that cannot start is no reason to stop */
		bpci_diag_clear(d->diag);
	}
	if (d->is_daemon)
		printf("daemon %s listening on %s (state directory %s)\n",
		       cli_parsed_get(p, "daemon-id"), bpci_server_url(d->srv), d->state_dir);
	else
		printf("node coordinator listening on %s (state directory %s)\n",
		       bpci_server_url(d->srv), d->state_dir);
	fflush(stdout);
	wait_initial(d->c);
	print_table(ctx, d->c);
	rc = serve_loop(ctx, d);
	return finish(ctx, d, rc);
}

static int load_config(cli_ctx *ctx, daemon_state *d, const char *path)
{
	int rc = bpci_config_load_file(&d->cfg, path, 0, d->diag);

	cli_print_diag(NULL, d->diag);
	bpci_diag_clear(d->diag);
	if (rc != 0)
		cli_error(ctx, "%s: not started: the configuration has errors", path);
	return rc == 0 ? CLI_EXIT_OK : cli_exit_for(rc);
}

/* --state-dir, or the library's default; malloc'd, NULL when there is none. */
static char *default_state_dir(const char *given)
{
	char *lib = NULL, *copy;

	if (given)
		return cli_xstrdup(given);
	if (bpci_client_default_state_dir(&lib) != 0)
		return NULL;
	copy = cli_xstrdup(lib);
	bpci_free(lib);
	return copy;
}

int cmd_coord_start(cli_ctx *ctx, int argc, char **argv)
{
	daemon_state d = {0};
	cli_parsed p;
	const char *config;
	int status = CLI_EXIT_USAGE;

	cli_parse_options(ctx, &p, start_opts, NELEM(start_opts), argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout,
				 "--config FILE | --daemon-id ID [--join URL] [options]",
				 start_desc, start_opts, NELEM(start_opts));
		status = CLI_EXIT_OK;
		goto out;
	}
	if (ctx->version) {
		status = cli_print_version(ctx);
		goto out;
	}
	config = cli_parsed_get(&p, "config");
	if (!config && !cli_parsed_get(&p, "daemon-id") && !ctx->usage_errors)
		cli_usage_error(ctx, "start needs --config FILE or --daemon-id ID; see "
				"'%s %s start --help'.", ctx->prog, ctx->group);
	if (ctx->usage_errors)
		goto out;
	if (bpci_diag_new(&d.diag) != 0) {
		cli_error(ctx, "out of memory");
		status = CLI_EXIT_FAILED;
		goto out;
	}
	d.state_dir = default_state_dir(cli_parsed_get(&p, "state-dir"));
	if (!d.state_dir) {
		cli_error(ctx, "no state directory: give --state-dir DIR or set BPCI_STATE_DIR");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	status = config ? load_config(ctx, &d, config) : CLI_EXIT_OK;
	if (status == CLI_EXIT_OK)
		status = run_daemon(ctx, &d, &p);
out:
	bpci_server_free(d.srv);
	bpci_coordinator_free(d.c);
	bpci_config_free(d.cfg);
	bpci_diag_free(d.diag);
	free(d.state_dir);
	cli_parsed_free(&p);
	return status;
}
