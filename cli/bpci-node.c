/*
 * bpci-node — the reference node program: a generic node of any of the
 * eight types, run by a coordinator (or by hand) under the node process
 * contract. It reads and checks its config, serves GET /health and
 * GET /metrics, reports readiness and heartbeats over NOTIFY_SOCKET and
 * stops cleanly on SIGTERM. The type-specific services are not part of
 * this release, and the program says so instead of pretending.
 *
 * Exit statuses (bpci-node(1)): 0 stopped on request, 1 runtime failure
 * (port in use, system error), 2 usage or contract error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpci.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

static const char *prog = "bpci-node";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [--type TYPE --port PORT --config FILE [--id ID]]\n"
"       %s --help | --version\n"
"\n"
"The reference node program of libbpci: a generic node of any type. It\n"
"reads its spec, serves GET /health and GET /metrics on 127.0.0.1:PORT,\n"
"sends READY=1 and periodic WATCHDOG=1 to the coordinator, logs to stderr\n"
"and exits 0 on SIGTERM or SIGINT (after sending STOPPING=1).\n"
"\n"
"The type-specific services (for example the enc-cluster encryption gateway,\n"
"oracle price feeds, storage replication, proof generation) come in a later\n"
"release. This program does not perform them and does not pretend to: it\n"
"only serves health and metrics, so that supervision, readiness, heartbeats\n"
"and restarts can be run and tested with every node type today.\n"
"\n"
"Under a coordinator, everything comes from the environment (the node\n"
"process contract):\n"
"  BPCI_NODE_ID          node id (default: the spec's id, else the type)\n"
"  BPCI_NODE_TYPE        enc-cluster, oracle, shadow-registry, pipeline-api,\n"
"                        storage, proof, audit or logbook (required)\n"
"  BPCI_NODE_PORT        TCP port on 127.0.0.1, 1..65535 (required)\n"
"  BPCI_NODE_CONFIG      JSON file with the node's spec (required)\n"
"  BPCI_COORDINATOR_URL  the coordinator's API URL (optional)\n"
"  NOTIFY_SOCKET         sd_notify socket for READY/WATCHDOG/STOPPING (optional)\n"
"  WATCHDOG_USEC         heartbeat deadline; WATCHDOG=1 every half of it (optional)\n"
"\n"
"Options (to run by hand; each overrides its variable):\n"
"  --type TYPE     the node type\n"
"  --port PORT     0..65535; 0 picks a free port (logged when ready)\n"
"  --config FILE   the spec, as written by bpi-core or bpci_node_spec_to_json()\n"
"  --id ID         the node id\n"
"  --help          show this help and exit\n"
"  --version       show the version and exit\n"
"\n"
"Exit status: 0 stopped on request, 1 runtime failure (port in use, system\n"
"error), 2 usage or contract error (bad option, variable or config).\n"
"See bpci-node(1).\n",
		prog, prog);
}

/* An amount in the largest unit that divides it exactly ("16Gi", "90d"). */
static void amount_text(char *buf, size_t size, bpci_field_kind kind, uint64_t u)
{
	static const struct unit { uint64_t div; const char *unit; } sizes[] = {
		{1ull << 40, "Ti"}, {1ull << 30, "Gi"}, {1ull << 20, "Mi"}, {1ull << 10, "Ki"},
		{1, "B"}}, times[] = {
		{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
	size_t i;

	if (kind == BPCI_FIELD_SIZE || kind == BPCI_FIELD_DURATION) {
		const struct unit *t = kind == BPCI_FIELD_SIZE ? sizes : times;

		for (i = 0; i < 4 && (u == 0 || u % t[i].div != 0); i++)
			;
		snprintf(buf, size, "%" PRIu64 "%s", u / t[i].div, t[i].unit);
	} else if (kind == BPCI_FIELD_CPU) {
		snprintf(buf, size, "%gcores", (double)u / 1000.0);
	} else {
		snprintf(buf, size, "%" PRIu64 "%s", u, kind == BPCI_FIELD_BANDWIDTH ? "Mbps" : "");
	}
}

/* A field's value as text for the start-up log; 0 when it is unset. */
static int field_text(char *buf, size_t size, const bpci_node_spec *spec,
		      const bpci_field_info *f)
{
	const char *s;
	const char *const *items;
	uint64_t u;
	double d;
	int b;
	size_t i, n, len = 0;

	switch (f->kind) {
	case BPCI_FIELD_UINT:
	case BPCI_FIELD_BANDWIDTH:
	case BPCI_FIELD_SIZE:
	case BPCI_FIELD_DURATION:
	case BPCI_FIELD_CPU:
		if (bpci_node_spec_get_uint(spec, f->name, &u) != 0)
			return 0;
		amount_text(buf, size, f->kind, u);
		return 1;
	case BPCI_FIELD_NUMBER:
		if (bpci_node_spec_get_number(spec, f->name, &d) != 0)
			return 0;
		snprintf(buf, size, "%g", d);
		return 1;
	case BPCI_FIELD_BOOL:
		if (bpci_node_spec_get_bool(spec, f->name, &b) != 0)
			return 0;
		snprintf(buf, size, "%s", b ? "true" : "false");
		return 1;
	case BPCI_FIELD_LIST:
	case BPCI_FIELD_MAP:
	case BPCI_FIELD_ARGV:
		if (bpci_node_spec_get_list(spec, f->name, &items, &n) != 0)
			return 0;
		buf[0] = '\0';
		for (i = 0; i < n && len + 1 < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
						items[i]);
		return 1;
	default:
		if (bpci_node_spec_get_string(spec, f->name, &s) != 0)
			return 0;
		snprintf(buf, size, "%s", s);
		return 1;
	}
}

/* One line per start: who we are and what the spec says. */
static void log_start(const bpci_service *svc)
{
	const bpci_node_spec *spec = bpci_service_spec(svc);
	const bpci_field_info *fields;
	const char *url = bpci_service_coordinator_url(svc);
	char value[256];
	size_t i, n;

	fprintf(stderr, "%s: %s node '%s', config %s, coordinator %s\n", prog,
		bpci_node_type_name(bpci_service_type(svc)), bpci_service_id(svc),
		bpci_service_config_path(svc) ? bpci_service_config_path(svc) : "(in the program)",
		url ? url : "(none)");
	if (bpci_node_type_fields(&fields, &n, bpci_service_type(svc)) == 0) {
		fprintf(stderr, "%s: params:", prog);
		for (i = 0; i < n; i++)
			if (field_text(value, sizeof(value), spec, &fields[i]))
				fprintf(stderr, " %s=%s", fields[i].name, value);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "%s: the %s service itself is not part of this release; "
		"serving /health and /metrics only\n", prog,
		bpci_node_type_name(bpci_service_type(svc)));
}

static void on_ready(bpci_service *svc, void *payload)
{
	(void)payload;
	fprintf(stderr, "%s: ready on http://127.0.0.1:%u (watchdog %s)\n", prog,
		bpci_service_port(svc), bpci_service_watchdog_usec(svc) ? "on" : "off");
}

static void print_diag(const bpci_diag *diag)
{
	size_t i;

	for (i = 0; i < bpci_diag_count(diag); i++)
		fprintf(stderr, "%s: %s: %s\n", prog,
			bpci_diag_get(diag, i)->severity == BPCI_SEVERITY_ERROR ? "error"
										 : "warning",
			bpci_diag_get(diag, i)->text);
}

/* Parse the options into @o; returns -1 to go on, else an exit status. */
static int parse_args(bpci_service_options *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"type", required_argument, NULL, 't'}, {"port", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'}, {"id", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},       {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	char *end;
	long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 't': o->type = optarg; break;
		case 'c': o->config_path = optarg; break;
		case 'i': o->id = optarg; break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 65535) {
				fprintf(stderr, "%s: --port must be 0..65535, got '%s'\n", prog,
					optarg);
				return EXIT_USAGE;
			}
			o->port = (int)v;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s (libbpci %s)\n", prog, BPCI_VERSION, bpci_version());
			return 0;
		default:
			fprintf(stderr, "%s: unknown or incomplete option '%s'; see '%s --help'\n",
				prog, argv[optind - 1], prog);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; see '%s --help'\n", prog,
			argv[optind], prog);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	bpci_service_options opts = BPCI_SERVICE_OPTIONS_INIT;
	bpci_service *svc = NULL;
	bpci_diag *diag = NULL;
	int rc, status = parse_args(&opts, argc, argv);

	if (status >= 0)
		return status;
	if (bpci_diag_new(&diag) != 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_RUNTIME;
	}
	rc = bpci_service_new(&svc, &opts, diag);
	if (rc != 0) {
		print_diag(diag);
		fprintf(stderr, "%s: cannot start: %s\n", prog, bpci_strerror(rc));
		bpci_diag_free(diag);
		return rc == BPCI_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	print_diag(diag); /* warnings, e.g. about the spec */
	bpci_diag_clear(diag);
	log_start(svc);
	bpci_service_on_ready(svc, on_ready, NULL);
	rc = bpci_service_run(svc, diag);
	if (rc != 0) {
		print_diag(diag);
		fprintf(stderr, "%s: %s\n", prog, bpci_strerror(rc));
	} else {
		fprintf(stderr, "%s: stopped\n", prog);
	}
	bpci_service_free(svc);
	bpci_diag_free(diag);
	return rc == 0 ? 0 : EXIT_RUNTIME;
}
