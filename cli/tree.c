/*
 * bpci-enterprise daemon-tree: the daemon tree of a running cluster
 * manager, through its API. Exit status as the cluster-manager commands:
 * 0, 1 failed, 2 refused (the message names what and why), 3 unreachable.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include <bpci.h>

#include "cluster.h"
#include "cluster_flat.h"
#include "tree.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const cli_option tree_daemon_opts[] = {
	{"daemon-id", CLI_VALUE, 0, "ID", "the new daemon's id (identifier)", NULL},
	{"parent-id", CLI_VALUE, 0, "ID", "the id of the daemon it joins under", NULL},
	{"responsibilities", CLI_VALUE, 0, "A,B,...",
	 "what it takes care of: resource_coordination (also resource_management), "
	 "node_lifecycle (hosts replicas), health_monitoring (probes its children's "
	 "/healthz), load_balancing (a placement domain: add-replica --under it, "
	 "rebalance --under it), fault_recovery (fails over the replicas of failed "
	 "daemons below it, within its subtree first), or all (the default)", NULL},
	{"capacity", CLI_VALUE, 0, "cpu=N,memory=SIZE,...",
	 "resources it offers to nodes: keys cpu, memory, storage, network, gpu "
	 "(cpu=8,memory=16Gi,storage=500Gi,network=1000)", NULL},
	{"labels", CLI_REPEAT, 0, "K=V,...",
	 "labels such as region=eu,jurisdiction=EU (repeatable)", NULL},
	{"remote", CLI_SWITCH, 1, NULL,
	 "another host that joins and is watched by heartbeats (default: local, "
	 "spawned and restarted by its parent)", NULL},
	{"dry-run", CLI_SWITCH, 0, NULL,
	 "only check and print (without it, the daemon is added to the running "
	 "cluster manager's tree)", NULL},
	{"no-wait", CLI_SWITCH, 0, NULL,
	 "return once the daemon is added (default: a local daemon is waited for "
	 "until it runs and has joined, up to 30 s, so that the next command can "
	 "put daemons or replicas under it)", NULL},
};
const size_t tree_daemon_nopts = NELEM(tree_daemon_opts);

int tree_apply_daemon_flags(bpci_daemon_spec *spec, const cli_parsed *p, bpci_diag *diag)
{
	static const char *const fields[][2] = {
		{"daemon-id", "id"}, {"parent-id", "parent"},
		{"responsibilities", "responsibilities"}, {"capacity", "capacity"},
		{"labels", "labels"}};
	int failed = 0;
	size_t i, k;

	for (i = 0; i < p->count; i++) {
		const cli_occurrence *oc = &p->occ[i];

		if (strcmp(oc->opt->name, "remote") == 0) {
			failed |= bpci_daemon_spec_set(spec, "remote",
						       oc->negated ? "false" : "true", diag) != 0;
			continue;
		}
		for (k = 0; k < NELEM(fields); k++)
			if (strcmp(oc->opt->name, fields[k][0]) == 0)
				failed |= bpci_daemon_spec_set(spec, fields[k][1], oc->value,
							       diag) != 0;
	}
	return failed;
}

/* An id for a URL path: no separators or escapes. */
static int check_id(cli_ctx *ctx, const char *flag, const char *id)
{
	if (strpbrk(id, "/?#% "))
		return cli_usage_error(ctx, "--%s must not contain '/', '?', '#', '%%' or blanks, "
				       "got '%s'", flag, id);
	return -1;
}

static const cli_option init_opts[] = {
	{"root-daemon", CLI_VALUE, 0, "ID", "the root daemon's id (this cluster manager)", NULL},
	{"levels", CLI_VALUE, 0, "N", "the maximum depth, 1..16 (the root is level 1)", NULL},
};

int cmd_tree_init(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"root-daemon", "levels", NULL};
	cli_option *all = NULL;
	cli_buf body = {0};
	char *b, *end = NULL;
	cli_parsed p;
	long levels;
	int status = cluster_begin(ctx, &p, init_opts, NELEM(init_opts), argc, argv,
				   "--root-daemon ID --levels N [--state-dir DIR | --url URL "
				   "--token TOKEN]",
				   "Name the root daemon (the cluster manager itself) and set the "
				   "tree's depth limit. Allowed while the tree has no other daemons; "
				   "journaled as tree.initialized.",
				   required, &all);

	if (status < 0) {
		levels = strtol(cli_parsed_get(&p, "levels"), &end, 10);
		if (!end || *end || levels < 1 || levels > 16)
			status = cli_usage_error(ctx, "--levels must be 1..16, got '%s'",
						 cli_parsed_get(&p, "levels"));
	}
	if (status < 0) {
		cli_buf_add(&body, "{\"root_daemon\":");
		cluster_json_str(&body, cli_parsed_get(&p, "root-daemon"));
		cli_buf_add(&body, ",\"levels\":%ld}", levels);
		b = cli_buf_take(&body);
		status = cluster_call(ctx, &p, "POST", "/api/daemon-tree/init", b, 1);
		free(b);
	}
	cluster_finish(&p, all);
	return status;
}

/* 2 when daemon @id of a status answer runs with a pid (its state in
 * @state), 1 when it is there without, 0 when it is not. The answer is
 * read through its flattened rows ("children[0].daemon_id  mid"): the
 * programs carry no JSON library. */
static int joined_in(const char *answer, const char *id, char *state, size_t size)
{
	char *rows = NULL, *line, *save = NULL, prefix[256] = "", key[300];
	size_t len = 0, n;
	FILE *f = open_memstream(&rows, &len);
	int found = 0, pid = 0;

	if (!f)
		return 0;
	cluster_print_flat(answer ? answer : "{}", f);
	fclose(f);
	for (line = strtok_r(rows, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[256], value[256];

		if (sscanf(line, "%255s %255s", path, value) != 2)
			continue;
		n = strlen(path);
		if (!found && n >= 9 && !strcmp(path + n - 9, "daemon_id") && !strcmp(value, id)) {
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 9), path);
			found = 1;
		} else if (found) {
			snprintf(key, sizeof(key), "%sstate", prefix);
			if (!strcmp(path, key))
				snprintf(state, size, "%s", value);
			snprintf(key, sizeof(key), "%spid", prefix);
			if (!strcmp(path, key) && atoi(value) > 0)
				pid = 1;
		}
	}
	free(rows);
	return found + pid;
}

/* Wait (up to 30 s) until local daemon @id runs: a child put under it, or a
 * replica placed on it, needs it joined. */
static int wait_joined(cli_ctx *ctx, const cli_parsed *p, const char *id)
{
	struct timespec t0, now, nap = {0, 100 * 1000 * 1000};
	char state[256] = "", *answer = NULL;
	double waited = 0;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		status = cluster_fetch(ctx, p, "GET", "/api/daemon-tree/status", NULL, &answer);
		if (status != 0)
			return status;
		if (joined_in(answer, id, state, sizeof(state)) == 2 && !strcmp(state, "running")) {
			bpci_free(answer);
			return 0;
		}
		bpci_free(answer);
		answer = NULL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (!strcmp(state, "failed") || waited > 30.0)
			break;
		nanosleep(&nap, NULL);
	}
	cli_error(ctx, "daemon %s was added but is %s after %.0f s; see `daemon-tree status` "
		  "and its log (STATE_DIR/daemons/%s/daemon.log under its parent)",
		  id, state[0] ? state : "not reported", waited, id);
	return CLI_EXIT_FAILED;
}

int cmd_tree_add_daemon(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"daemon-id", "parent-id", NULL};
	bpci_daemon_spec *spec = NULL;
	bpci_diag *diag = NULL;
	cli_option *all = NULL;
	char *json = NULL;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, tree_daemon_opts, tree_daemon_nopts, argc, argv,
				   "--daemon-id ID --parent-id ID [--responsibilities A,B,...] "
				   "[--capacity cpu=N,memory=SIZE,...] [--labels K=V,...] [--remote] "
				   "[--state-dir DIR | --url URL --token TOKEN]",
				   "Add a daemon to the running cluster manager's tree, under its "
				   "parent. Refused (exit 2, with the reason) for an unknown parent, "
				   "a taken id, a depth over the tree's levels, a full parent or a "
				   "local capacity the parent cannot give. Journaled as daemon.added.",
				   required, &all);

	if (status >= 0)
		goto out;
	status = CLI_EXIT_FAILED;
	if (bpci_diag_new(&diag) != 0 || bpci_daemon_spec_new(&spec) != 0) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	if (tree_apply_daemon_flags(spec, &p, diag) || bpci_daemon_spec_validate(spec, diag)) {
		cli_print_diag(ctx, diag);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (bpci_daemon_spec_to_json(&json, spec) != 0) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	status = cluster_call(ctx, &p, "POST", "/api/daemon-tree/daemons", json, 1);
	if (status == 0 && !cli_parsed_flag(&p, "remote") && !cli_parsed_flag(&p, "no-wait"))
		status = wait_joined(ctx, &p, cli_parsed_get(&p, "daemon-id"));
out:
	bpci_free(json);
	bpci_daemon_spec_free(spec);
	bpci_diag_free(diag);
	cluster_finish(&p, all);
	return status;
}

/* The plan of an answer ({"plan":{"steps":[...]},...}); NULL when none. */
static bpci_daemon_tree_plan *plan_of(const char *answer)
{
	const char *at = answer ? strstr(answer, "\"plan\":") : NULL;
	bpci_daemon_tree_plan *plan = NULL;
	size_t depth = 0, len = 0;

	if (!at)
		return NULL;
	at += 7;
	/* The plan object's extent: braces balanced (ids hold no braces). */
	for (len = 0; at[len]; len++) {
		if (at[len] == '{')
			depth++;
		else if (at[len] == '}' && --depth == 0) {
			len++;
			break;
		}
	}
	return bpci_daemon_tree_plan_parse(&plan, at, len, NULL) == 0 ? plan : NULL;
}

/* The plan of an answer as lines on stdout. */
static void print_steps(const char *answer)
{
	bpci_daemon_tree_plan *plan = plan_of(answer);
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < bpci_daemon_tree_plan_count(plan); i++) {
		const bpci_daemon_step *s = bpci_daemon_tree_plan_at(plan, i);

		if (s->kind == BPCI_DAEMON_STEP_REPARENT)
			printf("reparent   daemon %s: %s -> %s\n", s->subject, s->from, s->to);
		else if (s->kind == BPCI_DAEMON_STEP_MOVE_NODE)
			printf("move       node %s: %s -> %s\n", s->subject, s->from, s->to);
		else
			printf("remove     daemon %s (from under %s)\n", s->subject, s->from);
	}
	bpci_daemon_tree_plan_free(plan);
}

static const cli_option remove_opts[] = {
	{"daemon-id", CLI_VALUE, 0, "ID", "the daemon to remove", NULL},
};

int cmd_tree_remove_daemon(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"daemon-id", NULL};
	cli_option *all = NULL;
	char path[512], *resp = NULL;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, remove_opts, NELEM(remove_opts), argc, argv,
				   "--daemon-id ID [--state-dir DIR | --url URL --token TOKEN]",
				   "Remove a daemon: its children move to its parent, its nodes "
				   "move to other daemons (started there before they stop here), "
				   "then it goes. Prints the steps taken. Journaled as "
				   "daemon.removed.",
				   required, &all);

	if (status < 0)
		status = check_id(ctx, "daemon-id", cli_parsed_get(&p, "daemon-id"));
	if (status < 0) {
		snprintf(path, sizeof(path), "/api/daemon-tree/daemons/%s",
			 cli_parsed_get(&p, "daemon-id"));
		status = cluster_fetch(ctx, &p, "DELETE", path, NULL, &resp);
	}
	if (status == CLI_EXIT_OK && resp) {
		if (ctx->output == CLI_OUTPUT_JSON)
			printf("%s\n", resp);
		else
			print_steps(resp);
	}
	bpci_free(resp);
	cluster_finish(&p, all);
	return status;
}

static const cli_option move_opts[] = {
	{"daemon-id", CLI_VALUE, 0, "ID", "the daemon to move (with its subtree)", NULL},
	{"parent-id", CLI_VALUE, 0, "ID", "its new parent", NULL},
};

int cmd_tree_move_daemon(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"daemon-id", "parent-id", NULL};
	cli_option *all = NULL;
	cli_buf body = {0};
	char path[512], *b;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, move_opts, NELEM(move_opts), argc, argv,
				   "--daemon-id ID --parent-id ID [--state-dir DIR | --url URL "
				   "--token TOKEN]",
				   "Put a daemon and its subtree under another parent. Refused "
				   "(exit 2) for a cycle (the new parent is in its subtree), a depth "
				   "over the tree's levels, a full parent or a local capacity the "
				   "parent cannot give. A local daemon keeps running: its new "
				   "parent adopts the process, and its nodes and children keep "
				   "their pids. Journaled as daemon.moved.",
				   required, &all);

	if (status < 0)
		status = check_id(ctx, "daemon-id", cli_parsed_get(&p, "daemon-id"));
	if (status < 0) {
		snprintf(path, sizeof(path), "/api/daemon-tree/daemons/%s/move",
			 cli_parsed_get(&p, "daemon-id"));
		cli_buf_add(&body, "{\"parent_id\":");
		cluster_json_str(&body, cli_parsed_get(&p, "parent-id"));
		cli_buf_add(&body, "}");
		b = cli_buf_take(&body);
		status = cluster_call(ctx, &p, "POST", path, b, 1);
		free(b);
	}
	cluster_finish(&p, all);
	return status;
}

int cmd_tree_status(cli_ctx *ctx, int argc, char **argv)
{
	cli_option *all = NULL;
	bpci_diag *diag = NULL;
	char *resp = NULL, *text = NULL;
	cli_parsed p;
	int status = cluster_begin(ctx, &p, NULL, 0, argc, argv,
				   "[--state-dir DIR | --url URL] [--output table|json]",
				   "Show the daemon tree as an indented tree: each daemon with its "
				   "health, load and nodes, and the link to its parent (round trip, "
				   "heartbeats, errors). --output json prints the SUBTREE document.",
				   NULL, &all);

	if (status < 0)
		status = cluster_fetch(ctx, &p, "GET", "/api/daemon-tree/status", NULL, &resp);
	if (status == CLI_EXIT_OK && ctx->output == CLI_OUTPUT_JSON) {
		printf("%s\n", resp);
	} else if (status == CLI_EXIT_OK) {
		bpci_diag_new(&diag);
		if (bpci_daemon_tree_render(&text, resp, strlen(resp), diag) == 0) {
			fputs(text, stdout);
		} else {
			cli_print_diag(ctx, diag);
			status = CLI_EXIT_FAILED;
		}
	}
	bpci_free(text);
	bpci_free(resp);
	bpci_diag_free(diag);
	cluster_finish(&p, all);
	return status;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One move of the plan through the API, with a progress line. */
static int one_move(cli_ctx *ctx, const cli_parsed *p, const bpci_daemon_step *s, size_t i,
		    size_t n)
{
	cli_buf body = {0};
	char *b, *resp = NULL;
	double t0 = now_ms();
	int status;

	fprintf(stderr, "[%zu/%zu] %s: %s -> %s: starting on %s, then stopping on %s ...", i + 1,
		n, s->subject, s->from, s->to, s->to, s->from);
	fflush(stderr);
	cli_buf_add(&body, "{\"steps\":[{\"action\":\"move_node\",\"node\":");
	cluster_json_str(&body, s->subject);
	cli_buf_add(&body, ",\"from\":");
	cluster_json_str(&body, s->from);
	cli_buf_add(&body, ",\"to\":");
	cluster_json_str(&body, s->to);
	cli_buf_add(&body, "}]}");
	b = cli_buf_take(&body);
	status = cluster_fetch(ctx, p, "POST", "/api/daemon-tree/rebalance", b, &resp);
	fprintf(stderr, " %s (%.0f ms)\n", status == CLI_EXIT_OK ? "done" : "FAILED",
		now_ms() - t0);
	free(b);
	bpci_free(resp);
	return status;
}

static const cli_option rebalance_opts[] = {
	{"dry-run", CLI_SWITCH, 0, NULL, "only print the moves", NULL},
	{"under", CLI_VALUE, 0, "ID",
	 "balance only the load_balancing domain of daemon ID (its own replicas, within "
	 "its subtree)", NULL},
};

int cmd_tree_rebalance(cli_ctx *ctx, int argc, char **argv)
{
	bpci_daemon_tree_plan *plan = NULL;
	cli_option *all = NULL;
	char *resp = NULL;
	cli_buf path = {0};
	char *url = NULL;
	cli_parsed p;
	size_t i, n = 0;
	int status = cluster_begin(ctx, &p, rebalance_opts, NELEM(rebalance_opts), argc, argv,
				   "[--dry-run] [--under ID] [--state-dir DIR | --url URL --token "
				   "TOKEN]",
				   "Even the daemons' load: bring the most loaded daemon as close to "
				   "the mean as possible with the fewest moves. Each load_balancing "
				   "daemon (and the root) is a domain: a plain rebalance balances "
				   "each domain separately, innermost first, and never moves a "
				   "replica out of the domain it was placed in (add-replica "
				   "--under); --under ID balances only ID's domain. Prints the "
				   "moves; without --dry-run carries them out one by one (each "
				   "replica starts on its new daemon and runs before the old "
				   "instance stops), with progress on stderr.",
				   NULL, &all);

	if (status < 0 && cli_parsed_get(&p, "under") &&
	    strspn(cli_parsed_get(&p, "under"), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		   "vwxyz0123456789-_.") != strlen(cli_parsed_get(&p, "under"))) {
		cli_usage_error(ctx, "--under must be a daemon id, got '%s'",
				cli_parsed_get(&p, "under"));
		status = CLI_EXIT_USAGE;
	}
	cli_buf_add(&path, "/api/daemon-tree/rebalance?dry_run=1");
	if (cli_parsed_get(&p, "under"))
		cli_buf_add(&path, "&under=%s", cli_parsed_get(&p, "under"));
	url = cli_buf_take(&path);
	if (status < 0)
		status = cluster_fetch(ctx, &p, "POST", url, NULL, &resp);
	if (status != CLI_EXIT_OK)
		goto out;
	if (ctx->output == CLI_OUTPUT_JSON && cli_parsed_flag(&p, "dry-run"))
		printf("%s\n", resp);
	plan = plan_of(resp);
	n = bpci_daemon_tree_plan_count(plan);
	if (ctx->output != CLI_OUTPUT_JSON) {
		if (n == 0)
			printf("nothing to move: no move lowers the most loaded daemon's load\n");
		else if (cli_parsed_flag(&p, "dry-run"))
			print_steps(resp);
	}
	for (i = 0; !cli_parsed_flag(&p, "dry-run") && i < n && status == CLI_EXIT_OK; i++)
		status = one_move(ctx, &p, bpci_daemon_tree_plan_at(plan, i), i, n);
	if (!cli_parsed_flag(&p, "dry-run") && ctx->output == CLI_OUTPUT_JSON)
		printf("%s\n", resp);
out:
	free(url);
	bpci_daemon_tree_plan_free(plan);
	bpci_free(resp);
	cluster_finish(&p, all);
	return status;
}
