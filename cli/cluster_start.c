/*
 * bpci-enterprise cluster-manager start: the root daemon in the
 * foreground. SIGTERM or SIGINT stops the local subtree (local child
 * daemons, then the replicas' nodes) and exits 0; remote daemons keep
 * running.
 * With --standby it first waits for the primary on the same state
 * directory to exit, then takes over: same state, same replicas (their
 * processes re-adopted), same address.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "ship_watch.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const cli_option start_opts[] = {
	{"cluster-id", CLI_VALUE, 0, "ID", "the cluster's identifier", NULL},
	{"state-dir", CLI_VALUE, 0, "DIR",
	 "state directory: ledger, replicas, registrations, ports, api.url, api.token "
	 "(default: $BPCI_STATE_DIR/cluster-manager, else ~/.local/state/bpci/cluster-manager)",
	 NULL},
	{"listen", CLI_VALUE, 0, "ADDR", "API address (default 127.0.0.1:8081; port 0 picks one)",
	 NULL},
	{"port-ranges", CLI_VALUE, 0, "RANGES",
	 "dynamic port ranges of a new cluster (default 20000-32000)", NULL},
	{"reserved-ports", CLI_VALUE, 0, "PORTS", "ports never handed out", NULL},
	{"heartbeat-interval", CLI_VALUE, 0, "DURATION",
	 "heartbeat interval of the daemons joined to this root (default 1s)", NULL},
	{"failover-timeout", CLI_VALUE, 0, "DURATION",
	 "a child daemon silent this long is failed and its replicas fail over "
	 "(default 3s; longer than the heartbeat interval)", NULL},
	{"ledger-endpoint", CLI_VALUE, 0, "URL",
	 "ship the manager's ledger to this remote ledger (`bpci-enterprise ledger serve`; "
	 "the original's audit_integration.bpi_ledger_endpoint) on a thread of its own", NULL},
	{"ledger-token-file", CLI_VALUE, 0, "FILE",
	 "the remote ledger's bearer token (default: $BPCI_LEDGER_TOKEN)", NULL},
	{"standby", CLI_SWITCH, 0, NULL,
	 "wait until the primary on the same state directory exits, then take over "
	 "(on --listen, else the primary's address from DIR/api.url)", NULL},
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "HOST:PORT" of the URL in DIR/api.url (the primary's), or NULL. */
static char *primary_address(const char *dir)
{
	char path[4096], buf[512], *at, *end;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/api.url", dir);
	if (!(f = fopen(path, "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	at = strstr(buf, "://");
	if (!at)
		return NULL;
	at += 3;
	end = strchr(at, '/');
	if (end)
		*end = '\0';
	return *at ? cli_xstrdup(at) : NULL;
}

/* --heartbeat-interval and --failover-timeout into @o (0: defaults). */
static void timing(cli_ctx *ctx, const cli_parsed *p, bpci_cluster_manager_options *o)
{
	static const char *const flags[] = {"heartbeat-interval", "failover-timeout"};
	uint64_t *fields[] = {&o->heartbeat_interval_ms, &o->failover_timeout_ms};
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = cli_parsed_get(p, flags[i]);
		unsigned long long ms = 0;

		if (!v)
			continue;
		if (cluster_parse_duration(v, &ms) != 0 || ms == 0 || ms > 86400000ull)
			cli_usage_error(ctx, "--%s must be a duration like 500ms, 2s or 1m "
					"(up to 1d), got '%s'", flags[i], v);
		else
			*fields[i] = ms;
	}
}

static char *default_dir(void)
{
	char *base = NULL, *out;

	if (bpci_client_default_state_dir(&base) != 0)
		return NULL;
	out = cli_xmalloc(strlen(base) + 32);
	sprintf(out, "%s/cluster-manager", base);
	bpci_free(base);
	return out;
}

static int serve(cli_ctx *ctx, bpci_cluster_manager *cm, const char *listen, int standby,
		 double t0)
{
	bpci_cluster_server *srv = NULL;
	bpci_diag *diag = NULL;
	ship_watch watch = {0, 0, 0};
	int rc, tries = 0;

	bpci_diag_new(&diag);
	/* A standby binds the address the dead primary held: the kernel may
	 * need a moment to let it go. */
	while ((rc = bpci_cluster_manager_serve(&srv, cm, listen, NULL, diag)) == BPCI_EBUSY &&
	       standby && tries++ < 100) {
		bpci_diag_clear(diag);
		usleep(20000);
	}
	if (rc != 0) {
		cli_print_diag(ctx, diag);
		bpci_diag_free(diag);
		return cli_exit_for(rc) == CLI_EXIT_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
	if (standby)
		printf("standby took over in %.0f ms after the primary's lock was released\n",
		       now_ms() - t0);
	printf("cluster manager listening on %s (state %s)\n", bpci_cluster_server_url(srv),
	       bpci_cluster_manager_state_dir(cm));
	fflush(stdout);
	/* Wake at least once a second so that port leases expire on time
	 * (and the shipper's alarm is logged within a second). */
	do {
		bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;

		ship_watch_check(&watch, ctx, bpci_cluster_manager_ship_stats(&st, cm) == 0, &st);
	} while ((rc = bpci_cluster_server_step(srv, 1000)) == 0);
	bpci_cluster_server_free(srv);
	rc = bpci_cluster_manager_shutdown(cm, diag);
	cli_print_diag(ctx, diag);
	bpci_diag_free(diag);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* --ledger-endpoint: ship the ledger from now on. */
static int ship(cli_ctx *ctx, bpci_cluster_manager *cm, const cli_parsed *p, bpci_diag *diag)
{
	bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	int failed, rc;
	char *token;

	if (!cli_parsed_get(p, "ledger-endpoint"))
		return 0;
	token = ship_read_token(ctx, "--ledger-token-file", cli_parsed_get(p, "ledger-token-file"),
				&failed);
	if (failed)
		return -1;
	o.endpoint = cli_parsed_get(p, "ledger-endpoint");
	o.token = token;
	bpci_diag_clear(diag);
	rc = bpci_cluster_manager_ship_to(cm, &o, diag);
	free(token);
	cli_print_diag(ctx, diag);
	bpci_diag_clear(diag);
	return rc;
}

int cmd_cluster_start(cli_ctx *ctx, int argc, char **argv)
{
	bpci_cluster_manager_options o = BPCI_CLUSTER_MANAGER_OPTIONS_INIT;
	bpci_cluster_manager *cm = NULL;
	bpci_diag *diag = NULL;
	char *dir = NULL, *listen = NULL;
	cli_parsed p;
	int status = CLI_EXIT_USAGE, rc, standby;
	double t0;

	cli_parse_options(ctx, &p, start_opts, NELEM(start_opts), argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout,
				 "--cluster-id ID [--state-dir DIR] [--listen ADDR] "
				 "[--port-ranges RANGES] [--reserved-ports PORTS] "
				 "[--heartbeat-interval DURATION] [--failover-timeout DURATION] "
				 "[--ledger-endpoint URL [--ledger-token-file FILE]] [--standby]",
				 "Run the cluster manager (the root daemon) in the foreground: "
				 "it hosts the ENC replicas, keeps registrations and port leases, "
				 "journals every change to its ledger and serves the HTTP API. "
				 "SIGTERM or SIGINT stops the local subtree (the root's local "
				 "child daemons, each with its nodes and children, then the "
				 "replicas' nodes) and exits 0; the next start brings them "
				 "back. Remote daemons run on other "
				 "hosts, keep running and join again when a manager returns. "
				 "After kill -9 everything keeps running and the next start "
				 "re-adopts it. With --standby it "
				 "waits for the running manager of the state directory to exit "
				 "(however it dies) and takes over its state, replicas and "
				 "address.",
				 start_opts, NELEM(start_opts));
		status = CLI_EXIT_OK;
		goto out;
	}
	if (ctx->version) {
		status = cli_print_version(ctx);
		goto out;
	}
	if (!cli_parsed_get(&p, "cluster-id"))
		cli_usage_error(ctx, "start needs --cluster-id; see '%s %s start --help'.",
				ctx->prog, ctx->group);
	timing(ctx, &p, &o);
	if (ctx->usage_errors)
		goto out;
	dir = cli_parsed_get(&p, "state-dir") ? cli_xstrdup(cli_parsed_get(&p, "state-dir"))
					      : default_dir();
	if (!dir) {
		status = cli_usage_error(ctx, "no state directory: give --state-dir");
		goto out;
	}
	o.cluster_id = cli_parsed_get(&p, "cluster-id");
	o.state_dir = dir;
	o.port_ranges = cli_parsed_get(&p, "port-ranges");
	o.reserved_ports = cli_parsed_get(&p, "reserved-ports");
	o.handle_signals = 1;
	o.standby = standby = cli_parsed_flag(&p, "standby");
	if (standby) {
		printf("standby: waiting for the cluster manager on %s to exit\n", dir);
		fflush(stdout);
	}
	bpci_diag_new(&diag);
	rc = bpci_cluster_manager_new(&cm, &o, diag);
	t0 = now_ms();
	cli_print_diag(ctx, diag);
	if (rc != 0) {
		status = cli_exit_for(rc) == CLI_EXIT_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto out;
	}
	if (ship(ctx, cm, &p, diag) != 0) {
		status = CLI_EXIT_FAILED;
		goto out;
	}
	listen = cli_parsed_get(&p, "listen") ? cli_xstrdup(cli_parsed_get(&p, "listen"))
		 : standby ? primary_address(dir) : NULL;
	status = serve(ctx, cm, listen, standby, t0);
out:
	bpci_cluster_manager_free(cm);
	bpci_diag_free(diag);
	free(listen);
	free(dir);
	cli_parsed_free(&p);
	return status;
}
