/*
 * Internal to the cluster manager's HTTP API (lib/api/cluster_*.c):
 *   cluster_api.c        the server handle: token, URL file, job queue
 *   cluster_api_read.c   GET routes (health, resources, metrics, lists)
 *   cluster_api_mut.c    mutations, run between loop iterations
 *   cluster_api_tree.c   the daemon tree's routes
 *   cluster_api_rebalance.c  POST /api/daemon-tree/rebalance, in steps
 *   cluster_client.c     bpci_cluster_request()
 */
#ifndef BPCI_LIB_API_CLUSTER_API_H
#define BPCI_LIB_API_CLUSTER_API_H

#include "api/api_jobs.h"
#include "bpci/cluster_manager.h"
#include "runtime/http_server.h"

struct bpci_cluster_server {
	bpci_cluster_manager *cm;
	bpci__http_server *http;
	char *token;
	char *url_path;
	bpci__jobs jobs;            /* mutations waiting for the loop */
	uint64_t started_ms;
	struct bpci__cm_converge *converge; /* after a clean stop (cluster_converge.h) */
	/* api.request entries waiting for the end of the loop turn: one
	 * append (one fsync) for all of them (cluster_api.c) */
	struct bpci__cm_trail {
		char *subject, *details;
	} *trail;
	size_t ntrail, captrail;
};

/* Queue @req for @fn (called with the server) between loop iterations
 * (answers 500 when out of memory). */
void bpci__cm_queue(bpci_cluster_server *srv, bpci__job_fn fn, bpci__http_req *req);

/* A route handler q_NAME that queues a one-turn job running
 * NAME(bpci_cluster_server *, bpci__http_req *). */
#define BPCI__CM_QUEUE_HANDLER(name) \
	static int j_##name(void *srv, bpci__job *job) \
	{ \
		name(srv, job->req); \
		return 0; \
	} \
	static void q_##name(bpci__http_req *req, void *payload) \
	{ \
		bpci__cm_queue(payload, j_##name, req); \
	}

int bpci__cm_routes_read(bpci_cluster_server *srv);
int bpci__cm_routes_mut(bpci_cluster_server *srv);
int bpci__cm_routes_tree(bpci_cluster_server *srv);
/* POST /api/daemon-tree/rebalance (cluster_api_rebalance.c): a job in steps. */
void bpci__cm_rebalance_route(bpci__http_req *req, void *payload);

#endif
