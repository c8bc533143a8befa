/*
 * bpi-core's node-coordinator commands that run or talk to the coordinator
 * daemon: start (the daemon itself, in the foreground) and its clients
 * (status, stop-node, restart-node, logs, reload, and start-node without
 * --dry-run). Clients find the daemon through --url/--token or the state
 * directory's api.url and api.token.
 */
#ifndef BPCI_CLI_COORD_H
#define BPCI_CLI_COORD_H

#include "cli.h"

/* The options every client command takes: --state-dir, --url, --token. */
#define COORD_CLIENT_NOPTS 3
extern const cli_option coord_client_opts[COORD_CLIENT_NOPTS];

/*
 * A client from the parsed --state-dir/--url/--token. Returns CLI_EXIT_OK
 * or the exit status after printing why (3 with a hint to start a
 * coordinator when none can be found).
 */
int coord_client(cli_ctx *ctx, const cli_parsed *p, bpci_client **out);

/* Print @diag and map @rc to an exit status; an unreachable coordinator
 * gets the hint how to start one. */
int coord_fail(cli_ctx *ctx, const bpci_client *cl, int rc, const bpci_diag *diag);

/* start-node without --dry-run: start @spec through the coordinator;
 * with --wait, follow it until it is ready, failed or the timeout passed. */
int coord_start_node(cli_ctx *ctx, const cli_parsed *p, const bpci_node_spec *spec);

/* The status table (ID NAME TYPE STATE PID RESTARTS UPTIME ENDPOINT, then
 * the reasons of failed nodes), or JSON with --output json. */
int coord_print_status(cli_ctx *ctx, const bpci_node_status_list *list);

int cmd_coord_start(cli_ctx *ctx, int argc, char **argv);
int cmd_coord_status(cli_ctx *ctx, int argc, char **argv);
int cmd_coord_stop_node(cli_ctx *ctx, int argc, char **argv);
int cmd_coord_restart_node(cli_ctx *ctx, int argc, char **argv);
int cmd_coord_logs(cli_ctx *ctx, int argc, char **argv);
int cmd_coord_reload(cli_ctx *ctx, int argc, char **argv);

#endif
