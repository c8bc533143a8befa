/*
 * The cluster-manager commands of bpci-enterprise that talk to (or run)
 * the cluster manager daemon: start, add-replica and register-node without
 * --dry-run, remove-replica, unregister-node, allocate-port, release-port,
 * metrics, replicas, nodes, ports.
 */
#ifndef BPCI_CLI_CLUSTER_H
#define BPCI_CLI_CLUSTER_H

#include "cli.h"

/* The client side shared by every command that talks to the manager
 * (cluster.c): --state-dir, --url and --token are added to @own.
 * Parse own options + client options into @p (*@all: the merged table,
 * freed by cluster_finish()); -1 to go on, else the exit status. */
int cluster_begin(cli_ctx *ctx, cli_parsed *p, const cli_option *own, size_t nown, int argc,
		  char **argv, const char *synopsis, const char *desc,
		  const char *const *required, cli_option **all);
void cluster_finish(cli_parsed *p, cli_option *all);
/* One request; the answer's body in *@resp on success (bpci_free() it).
 * Returns the exit status (errors already printed). */
int cluster_fetch(cli_ctx *ctx, const cli_parsed *p, const char *method, const char *path,
		  const char *body, char **resp);
/* cluster_fetch() to the daemon whose api.url and api.token are in @dir
 * (any daemon of this project: the same request and error rules), unless
 * @url / @token are given. */
int cluster_fetch_at(cli_ctx *ctx, const char *dir, const char *url, const char *token,
		     const char *method, const char *path, const char *body, char **resp);
/* One request; prints the answer (JSON, or flattened rows) when @print. */
int cluster_call(cli_ctx *ctx, const cli_parsed *p, const char *method, const char *path,
		 const char *body, int print);
/* Append @s as a JSON string to @b. */
void cluster_json_str(cli_buf *b, const char *s);

/* "30s", "5m", "1h", "250ms", "2d" or plain seconds into milliseconds;
 * -1 for anything else. */
int cluster_parse_duration(const char *s, unsigned long long *ms);

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
