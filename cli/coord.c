/*
 * The node-coordinator client commands: each parses its flags, makes a
 * bpci_client, makes one or a few calls and prints the answer.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpci.h>

#include "cli.h"
#include "coord.h"
#include "nodeflags.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const cli_option coord_client_opts[COORD_CLIENT_NOPTS] = {
	{"state-dir", CLI_VALUE, 0, "DIR",
	 "the coordinator's state directory, where it wrote api.url and api.token "
	 "(default: $BPCI_STATE_DIR, else /var/lib/bpci for root, else "
	 "$XDG_STATE_HOME/bpci or ~/.local/state/bpci)", NULL},
	{"url", CLI_VALUE, 0, "URL", "the coordinator's API URL (overrides api.url)", NULL},
	{"token", CLI_VALUE, 0, "TOKEN",
	 "the API token for changes (overrides api.token)", NULL},
};

static void start_hint(const cli_ctx *ctx)
{
	fprintf(stderr, "%s: start a coordinator with '%s node-coordinator start --config "
			"FILE [--state-dir DIR]', or point at one with --state-dir or --url\n",
		ctx->prog, ctx->prog);
}

int coord_fail(cli_ctx *ctx, const bpci_client *cl, int rc, const bpci_diag *diag)
{
	if (bpci_diag_error_count(diag))
		cli_print_diag(ctx, diag);
	else
		cli_error(ctx, "%s", bpci_strerror(rc));
	if (rc == BPCI_EUNREACHABLE) {
		if (cl)
			cli_error(ctx, "no coordinator answers at %s", bpci_client_url(cl));
		start_hint(ctx);
	}
	return cli_exit_for(rc);
}

int coord_client(cli_ctx *ctx, const cli_parsed *p, bpci_client **out)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_diag *diag = NULL;
	int rc, status = CLI_EXIT_OK;

	o.state_dir = cli_parsed_get(p, "state-dir");
	o.url = cli_parsed_get(p, "url");
	o.token = cli_parsed_get(p, "token");
	if (bpci_diag_new(&diag) != 0) {
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	rc = bpci_client_new(out, &o, diag);
	if (rc != 0) {
		cli_print_diag(ctx, diag);
		if (!bpci_diag_error_count(diag))
			cli_error(ctx, "%s", bpci_strerror(rc));
		status = cli_exit_for(rc);
	}
	bpci_diag_free(diag);
	return status;
}

/* ---- a command skeleton ------------------------------------------------ */

/* Options of one command: its own, then the client options. */
typedef struct coord_cmd {
	const char *synopsis;
	const char *description;
	const cli_option *own;
	size_t nown;
} coord_cmd;

typedef struct coord_run {
	cli_parsed p;
	cli_option *all;
	size_t n;
	bpci_client *cl;
	bpci_diag *diag;
} coord_run;

static void run_free(coord_run *r)
{
	cli_parsed_free(&r->p);
	free(r->all);
	bpci_client_free(r->cl);
	bpci_diag_free(r->diag);
}

/* Parse, answer --help/--version, check --node-id when @need_id, make the
 * client. Returns -1 to go on, else the exit status (after run_free). */
static int run_begin(coord_run *r, const coord_cmd *cmd, cli_ctx *ctx, int argc, char **argv,
		     int need_id)
{
	int status;

	memset(r, 0, sizeof(*r));
	r->n = cmd->nown + COORD_CLIENT_NOPTS;
	r->all = cli_xmalloc(r->n * sizeof(*r->all));
	if (cmd->nown)
		memcpy(r->all, cmd->own, cmd->nown * sizeof(*r->all));
	memcpy(r->all + cmd->nown, coord_client_opts, sizeof(coord_client_opts));
	cli_parse_options(ctx, &r->p, r->all, r->n, argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout, cmd->synopsis, cmd->description, r->all, r->n);
		status = CLI_EXIT_OK;
	} else if (ctx->version) {
		status = cli_print_version(ctx);
	} else {
		if (need_id && !cli_parsed_get(&r->p, "node-id") && !ctx->usage_errors)
			cli_usage_error(ctx, "%s needs --node-id ID; see '%s %s status' for "
					"the ids", ctx->command, ctx->prog, ctx->group);
		status = ctx->usage_errors ? CLI_EXIT_USAGE : -1;
	}
	if (status < 0 && bpci_diag_new(&r->diag) != 0) {
		cli_error(ctx, "out of memory");
		status = CLI_EXIT_FAILED;
	}
	if (status < 0) {
		status = coord_client(ctx, &r->p, &r->cl);
		if (status == CLI_EXIT_OK)
			status = -1;
	}
	if (status >= 0)
		run_free(r);
	return status;
}

static int run_end(coord_run *r, cli_ctx *ctx, int rc)
{
	int status = rc == 0 ? CLI_EXIT_OK : coord_fail(ctx, r->cl, rc, r->diag);

	run_free(r);
	return status;
}

/* ---- status ------------------------------------------------------------ */

static const cli_option status_own[] = {
	{"type", CLI_VALUE, 0, "TYPE", "only nodes of this type", NULL},
};

static const coord_cmd status_cmd = {
	"[--type TYPE] [--state-dir DIR | --url URL] [--output table|json]",
	"Show every node of the running coordinator: id, name, type, state, pid, "
	"restarts, uptime and endpoint (a table, or with --output json the "
	"coordinator's {\"nodes\":[...]} document).",
	status_own, NELEM(status_own)};

static void status_row(cli_table *t, const bpci_node_status *s)
{
	char pid[16], restarts[16], uptime[32];
	const char *row[8];

	snprintf(pid, sizeof(pid), "%d", s->pid);
	snprintf(restarts, sizeof(restarts), "%u", s->restarts);
	/* Whole seconds once past one: a table is not a stopwatch. */
	cli_format_duration(uptime, sizeof(uptime),
			    s->uptime_ms >= 1000 ? s->uptime_ms / 1000 * 1000 : s->uptime_ms);
	row[0] = s->id;
	row[1] = *s->name ? s->name : NULL;
	row[2] = bpci_node_type_name(s->type);
	row[3] = bpci_node_state_name(s->state);
	row[4] = s->pid ? pid : NULL;
	row[5] = restarts;
	row[6] = s->uptime_ms ? uptime : NULL;
	row[7] = *s->endpoint ? s->endpoint : NULL;
	cli_table_row(t, row);
}

static void print_status_table(const bpci_node_status_list *list)
{
	static const char *head[] = {"ID", "NAME", "TYPE", "STATE", "PID", "RESTARTS",
				     "UPTIME", "ENDPOINT"};
	size_t i, n = bpci_node_status_list_count(list);
	cli_table t;

	cli_table_init(&t, 8);
	cli_table_row(&t, head);
	for (i = 0; i < n; i++)
		status_row(&t, bpci_node_status_list_get(list, i));
	cli_table_print(&t, stdout);
	cli_table_free(&t);
	for (i = 0; i < n; i++) {
		const bpci_node_status *s = bpci_node_status_list_get(list, i);

		if (*s->failure_reason && (s->state == BPCI_NODE_STATE_FAILED ||
					   s->state == BPCI_NODE_STATE_UNHEALTHY ||
					   s->state == BPCI_NODE_STATE_PENDING))
			printf("%s: %s\n", s->id, s->failure_reason);
	}
}

int coord_print_status(cli_ctx *ctx, const bpci_node_status_list *list)
{
	char *json = NULL;

	if (ctx->output != CLI_OUTPUT_JSON) {
		print_status_table(list);
		return CLI_EXIT_OK;
	}
	if (bpci_node_status_list_to_json(&json, list) != 0) {
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	printf("%s\n", json);
	bpci_free(json);
	return CLI_EXIT_OK;
}

int cmd_coord_status(cli_ctx *ctx, int argc, char **argv)
{
	coord_run r;
	bpci_node_status_list *list = NULL;
	bpci_node_type type = (bpci_node_type)0;
	const char *tn;
	int rc, status = run_begin(&r, &status_cmd, ctx, argc, argv, 0);

	if (status >= 0)
		return status;
	tn = cli_parsed_get(&r.p, "type");
	if (tn && bpci_node_type_parse(&type, tn) != 0) {
		char *names = cli_node_type_names(", ");

		cli_usage_error(ctx, "--type must be one of %s, got '%s'", names, tn);
		free(names);
		run_free(&r);
		return CLI_EXIT_USAGE;
	}
	rc = bpci_client_list_nodes(&list, r.cl, type, r.diag);
	if (rc == 0)
		status = coord_print_status(ctx, list);
	bpci_node_status_list_free(list);
	if (rc == 0) {
		run_free(&r);
		return status;
	}
	return run_end(&r, ctx, rc);
}

/* ---- stop-node, restart-node, reload ------------------------------------ */

static const cli_option id_own[] = {
	{"node-id", CLI_VALUE, 0, "ID", "the node (see 'status' for the ids)", NULL},
};

static const coord_cmd stop_cmd = {
	"--node-id ID [--state-dir DIR | --url URL --token TOKEN]",
	"Stop a node: its stop signal to its process group, SIGKILL after its stop "
	"timeout; the coordinator forgets it once it has exited (its log stays).",
	id_own, NELEM(id_own)};

static const coord_cmd restart_cmd = {
	"--node-id ID [--state-dir DIR | --url URL --token TOKEN]",
	"Stop a node and start it again with the same spec, id and port; a failed "
	"node gets a fresh restart budget.",
	id_own, NELEM(id_own)};

static const coord_cmd reload_cmd = {
	"[--state-dir DIR | --url URL --token TOKEN]",
	"Make the coordinator re-read its configuration file and apply the "
	"difference: new nodes start, removed nodes stop, changed nodes are "
	"replaced. A file with errors changes nothing; every problem is printed. "
	"(SIGHUP to the coordinator does the same.)",
	NULL, 0};

int cmd_coord_stop_node(cli_ctx *ctx, int argc, char **argv)
{
	coord_run r;
	const char *id;
	int rc, status = run_begin(&r, &stop_cmd, ctx, argc, argv, 1);

	if (status >= 0)
		return status;
	id = cli_parsed_get(&r.p, "node-id");
	rc = bpci_client_stop_node(r.cl, id, r.diag);
	if (rc == 0)
		printf("%s stopped\n", id);
	return run_end(&r, ctx, rc);
}

int cmd_coord_restart_node(cli_ctx *ctx, int argc, char **argv)
{
	coord_run r;
	bpci_node_status *st = NULL;
	const char *id;
	int rc, status = run_begin(&r, &restart_cmd, ctx, argc, argv, 1);

	if (status >= 0)
		return status;
	id = cli_parsed_get(&r.p, "node-id");
	rc = bpci_client_restart_node(r.cl, id, r.diag);
	if (rc == 0)
		rc = bpci_client_get_node(&st, r.cl, id, r.diag);
	if (rc == 0)
		printf("%s restarted: %s, pid %d\n", id, bpci_node_state_name(st->state), st->pid);
	bpci_node_status_free(st);
	return run_end(&r, ctx, rc);
}

int cmd_coord_reload(cli_ctx *ctx, int argc, char **argv)
{
	coord_run r;
	int rc, status = run_begin(&r, &reload_cmd, ctx, argc, argv, 0);

	if (status >= 0)
		return status;
	rc = bpci_client_reload(r.cl, r.diag);
	if (rc == 0)
		printf("configuration reloaded\n");
	return run_end(&r, ctx, rc);
}

/* ---- logs ---------------------------------------------------------------- */

static const cli_option logs_own[] = {
	{"node-id", CLI_VALUE, 0, "ID", "the node (see 'status' for the ids)", NULL},
	{"tail", CLI_VALUE, 0, "N", "the last N lines (0..100000; default 100)", NULL},
	{"follow", CLI_SWITCH, 0, NULL,
	 "keep printing new output until interrupted (Ctrl-C)", NULL},
};

static const coord_cmd logs_cmd = {
	"--node-id ID [--tail N] [--follow] [--state-dir DIR | --url URL]",
	"Print the end of a node's captured stdout and stderr; with --follow, keep "
	"printing what it writes.",
	logs_own, NELEM(logs_own)};

static int write_out(const char *data, size_t len, void *payload)
{
	(void)payload;
	if (fwrite(data, 1, len, stdout) != len)
		return 1;
	fflush(stdout);
	return 0;
}

static int parse_tail(cli_ctx *ctx, const char *t, size_t *out)
{
	char *end;
	unsigned long v;

	*out = 100;
	if (!t)
		return 0;
	v = strtoul(t, &end, 10);
	if (*t < '0' || *t > '9' || *end || v > 100000)
		return cli_usage_error(ctx, "--tail must be a number of lines 0..100000, got '%s'",
				       t);
	*out = (size_t)v;
	return 0;
}

int cmd_coord_logs(cli_ctx *ctx, int argc, char **argv)
{
	coord_run r;
	const char *id;
	char *text = NULL;
	size_t tail;
	int rc, status = run_begin(&r, &logs_cmd, ctx, argc, argv, 1);

	if (status >= 0)
		return status;
	if (parse_tail(ctx, cli_parsed_get(&r.p, "tail"), &tail) != 0) {
		run_free(&r);
		return CLI_EXIT_USAGE;
	}
	id = cli_parsed_get(&r.p, "node-id");
	if (cli_parsed_flag(&r.p, "follow")) {
		rc = bpci_client_follow_logs(r.cl, id, tail, write_out, NULL, r.diag);
		return run_end(&r, ctx, rc > 0 ? 0 : rc);
	}
	rc = bpci_client_node_logs(&text, r.cl, id, tail, r.diag);
	if (rc == 0)
		fputs(text, stdout);
	bpci_free(text);
	return run_end(&r, ctx, rc);
}

/* ---- start-node through the coordinator --------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int settled(bpci_node_state s)
{
	return s == BPCI_NODE_STATE_RUNNING || s == BPCI_NODE_STATE_FAILED ||
	       s == BPCI_NODE_STATE_STOPPED;
}

/* Poll the node, printing each new state, until it settles or @timeout_s. */
static int wait_ready(cli_ctx *ctx, bpci_client *cl, const char *id, unsigned long timeout_s,
		      bpci_diag *diag)
{
	struct timespec t0, now;
	bpci_node_state last = (bpci_node_state)0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		bpci_node_status *st = NULL;

		rc = bpci_client_get_node(&st, cl, id, diag);
		if (rc != 0)
			return coord_fail(ctx, cl, rc, diag);
		if (st->state != last)
			fprintf(stderr, "%s: %s%s%s\n", id, bpci_node_state_name(st->state),
				*st->failure_reason ? ": " : "", st->failure_reason);
		last = st->state;
		rc = settled(st->state) ? (st->state == BPCI_NODE_STATE_RUNNING ? 0 : 1) : -1;
		bpci_node_status_free(st);
		if (rc >= 0)
			return rc ? CLI_EXIT_FAILED : CLI_EXIT_OK;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((unsigned long)(now.tv_sec - t0.tv_sec) >= timeout_s) {
			cli_error(ctx, "%s did not become ready within %lus (still %s)", id,
				  timeout_s, bpci_node_state_name(last));
			return CLI_EXIT_FAILED;
		}
		sleep_ms(100);
	}
}

int coord_start_node(cli_ctx *ctx, const cli_parsed *p, const bpci_node_spec *spec)
{
	bpci_client *cl = NULL;
	bpci_diag *diag = NULL;
	const char *ts = cli_parsed_get(p, "timeout");
	unsigned long timeout_s = 60;
	char *id = NULL, *end;
	int rc, status;

	if (ts) {
		timeout_s = strtoul(ts, &end, 10);
		if (*ts < '0' || *ts > '9' || *end || timeout_s == 0 || timeout_s > 86400)
			return cli_usage_error(ctx, "--timeout must be 1..86400 seconds, got '%s'",
					       ts);
	}
	status = coord_client(ctx, p, &cl);
	if (status != CLI_EXIT_OK)
		return status;
	if (bpci_diag_new(&diag) != 0) {
		bpci_client_free(cl);
		cli_error(ctx, "out of memory");
		return CLI_EXIT_FAILED;
	}
	rc = bpci_client_start_node(&id, cl, spec, NULL, diag);
	if (rc != 0) {
		status = coord_fail(ctx, cl, rc, diag);
	} else {
		printf("%s\n", id);
		fflush(stdout);
		status = cli_parsed_flag(p, "wait") ? wait_ready(ctx, cl, id, timeout_s, diag)
						    : CLI_EXIT_OK;
	}
	bpci_free(id);
	bpci_diag_free(diag);
	bpci_client_free(cl);
	return status;
}
