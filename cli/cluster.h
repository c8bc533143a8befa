/*
 * The cluster-manager commands of bpci-enterprise that talk to (or run)
 * the cluster manager daemon: start, add-replica and register-node without
 * --dry-run, remove-replica, unregister-node, allocate-port, release-port,
 * metrics, replicas, nodes, ports.
 */
#ifndef BPCI_CLI_CLUSTER_H
#define BPCI_CLI_CLUSTER_H

#include "cli.h"

/* Non-zero when --dry-run is among the words (the checking forms). */
int cluster_wants_dry_run(int argc, char **argv);

int cmd_cluster_start(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_add_replica(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_remove_replica(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_register_node(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_unregister_node(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_allocate_port(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_release_port(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_metrics(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_replicas(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_nodes(cli_ctx *ctx, int argc, char **argv);
int cmd_cluster_ports(cli_ctx *ctx, int argc, char **argv);

#endif
