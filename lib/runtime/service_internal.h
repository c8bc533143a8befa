/*
 * Internal: the service handle (public side: bpci/service.h), shared by
 * service.c (handle, getters, notify), service_env.c (reading the
 * contract), service_http.c (routes and the HTTP server),
 * service_metrics.c (the /metrics text) and service_run.c (the loop).
 */
#ifndef BPCI_LIB_RUNTIME_SERVICE_INTERNAL_H
#define BPCI_LIB_RUNTIME_SERVICE_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "bpci/service.h"

#include "runtime/metrics.h"
#include "runtime/procstat.h"

struct event_base;
struct bpci__http_server;

typedef struct bpci__service_route {
	bpci_service *svc;
	char *method;
	char *path;         /* the pattern, "/items/{id}" */
	bpci_service_route_cb cb;
	void *payload;
} bpci__service_route;

/* Payload of one collected metric family: which one, for which service. */
typedef struct bpci__service_family {
	bpci_service *svc;
	unsigned int index;
} bpci__service_family;

#define BPCI__SERVICE_FAMILIES 14

struct bpci_service {
	char *id;
	bpci_node_type type;
	unsigned int port;
	char *config_path;
	bpci_node_spec *spec;
	char *coordinator_url;     /* NULL: none */
	char *notify_socket;       /* NULL: none */
	uint64_t watchdog_usec;    /* 0: none */

	int stop_pipe[2];          /* request_stop writes, the loop reads */
	int ran;
	struct timespec started;   /* CLOCK_MONOTONIC at bpci_service_new */

	bpci__service_route **routes;
	size_t nroutes, routes_cap;

	bpci__metrics *metrics;    /* request counters and collected families */
	bpci__service_family families[BPCI__SERVICE_FAMILIES];
	bpci__procstat group;      /* sampled at each scrape */

	bpci_service_ready_cb ready_cb;
	void *ready_payload;

	/* Valid while bpci_service_run() runs. */
	struct event_base *base;
	struct bpci__http_server *http;
};

/* Fill @svc's contract fields from @opts and the environment. */
int bpci__service_load(bpci_service *svc, const bpci_service_options *opts,
		       bpci_diag *diag);

/* Seconds since bpci_service_new, monotonic. */
double bpci__service_uptime(const bpci_service *svc);

/* Register /health and /metrics. */
int bpci__service_builtin_routes(bpci_service *svc);
void bpci__service_route_free(bpci__service_route *rt);

/* Create svc->metrics with its collected families. */
int bpci__service_metrics_init(bpci_service *svc);

/* Bind 127.0.0.1:svc->port, start serving svc's routes on svc->base
 * (svc->http set, svc->port updated). */
int bpci__service_http_start(bpci_service *svc, bpci_diag *diag);
void bpci__service_http_stop(bpci_service *svc);

/* Count one answered request of route @path. */
void bpci__service_count_request(bpci_service *svc, const char *path, int code);

/* The Prometheus text exposition for GET /metrics; free with bpci_free. */
int bpci__service_metrics_text(char **out, size_t *len, bpci_service *svc);

#endif
