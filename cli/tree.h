/*
 * bpci-enterprise daemon-tree: init, add-daemon (without --dry-run),
 * remove-daemon, move-daemon, status, rebalance, as clients of the
 * cluster manager's API (cluster.c's client helpers).
 */
#ifndef BPCI_CLI_TREE_H
#define BPCI_CLI_TREE_H

#include "cli.h"

/* The options of add-daemon (both forms), --dry-run included. */
extern const cli_option tree_daemon_opts[];
extern const size_t tree_daemon_nopts;
/* Apply add-daemon's flags to @spec in the order given; non-zero when
 * one was refused (reported through @diag). */
int tree_apply_daemon_flags(bpci_daemon_spec *spec, const cli_parsed *p, bpci_diag *diag);

int cmd_tree_init(cli_ctx *ctx, int argc, char **argv);
int cmd_tree_add_daemon(cli_ctx *ctx, int argc, char **argv);
int cmd_tree_remove_daemon(cli_ctx *ctx, int argc, char **argv);
int cmd_tree_move_daemon(cli_ctx *ctx, int argc, char **argv);
int cmd_tree_status(cli_ctx *ctx, int argc, char **argv);
int cmd_tree_rebalance(cli_ctx *ctx, int argc, char **argv);

#endif
