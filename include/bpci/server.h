/*
 * libbpci — the node coordinator's HTTP API server.
 *
 * bpci_coordinator_serve() attaches an HTTP/1.1 server to a coordinator's
 * event loop. It answers (JSON unless stated):
 *
 *   GET    /api/node-coordinator/health  {"status":"healthy","nodes":N,
 *                                         "states":{"running":R,...},"version":V,
 *                                         "state_dir":DIR,"started_ms":T}
 *   GET    /healthz                      200 "ok" while the loop serves
 *   GET    /readyz                       200 when every node is running (or
 *                                         stopped); else 503 naming the others
 *   GET    /api/nodes[?type=T]           {"nodes":[status,...]} (start order)
 *   GET    /api/nodes/status[?type=T]    the same (the original's path)
 *   GET    /api/nodes/{id}               one status (bpci_node_status_to_json)
 *   POST   /api/nodes[?endpoint=URL]     body: a spec (bpci_node_spec_to_json's
 *                                         shape); 201 {"id","state",
 *                                         "failure_reason"} + Location
 *   DELETE /api/nodes/{id}               stop and forget; 200 {"id","state"}
 *   POST   /api/nodes/{id}/restart       200 with the node's status
 *   GET    /api/nodes/{id}/logs?tail=N&follow=1
 *                                        text/plain: the last N lines (default
 *                                         100, at most 100000); with follow=1
 *                                         the answer is chunked and carries new
 *                                         output (across log rotation) until the
 *                                         client goes away or the node is stopped
 *   POST   /api/reload                   re-read the configuration file;
 *                                         200 {"config":PATH,"nodes":N}; a file
 *                                         that cannot be read, validated or
 *                                         applied: 400 with every problem
 *   POST   /api/audit                    {"event":E,"details":D}: an
 *                                         audit.custom entry (subject E) in the
 *                                         coordinator's journal, durable before
 *                                         201 {"event":E,"journaled":true}
 *   GET    /metrics                      Prometheus text exposition 0.0.4:
 *                                         node_distribution_total_nodes,
 *                                         _active_nodes, _nodes{status},
 *                                         _node_restarts_total, _node_uptime_seconds
 *                                         and _node_last_startup_time_seconds
 *                                         {node_id,node_type};
 *                                         bpci_node_start_seconds, a histogram of
 *                                         every start that reached readiness,
 *                                         bpci_coordinator_restart_requests_total,
 *                                         _reloads_total, _reload_failures_total,
 *                                         _last_reload_success_timestamp_seconds,
 *                                         _last_reload_failure_timestamp_seconds
 *
 * A log follower that reads slower than the node writes gets at most
 * 1 MiB queued; the rest waits in the log file until the connection drains.
 *
 * Errors are {"error":{"code":C,"message":M,"field":F}} ("field" only when a
 * field is at fault) with the HTTP status: 400 invalid/parse/bad_request,
 * 401 unauthorized, 404 not_found, 405 method_not_allowed, 409 exists/
 * no_config, 413 (body over the limit), 500 internal, 503 shutting_down.
 * A 400 for a node spec or a configuration also carries every problem:
 * {"error":{first problem},"errors":[{"code","message","field","text"},...]}
 * where "text" is the full diagnostic line and "field" may be "".
 *
 * Requests that change something (POST, PUT, PATCH, DELETE) need
 * "Authorization: Bearer TOKEN". Unless the options give one, the token is
 * read from STATE_DIR/api.token, or, on first start, made of 32 random bytes
 * (hex) and written there with mode 0600. The bound URL is written to
 * STATE_DIR/api.url (atomically, mode 0644) so that clients given only the
 * state directory find the server; bpci_server_free() removes it.
 *
 * Operations that wait for a node to exit (stop, restart, reload) cannot run
 * inside a loop callback, so the server queues every mutating request and
 * carries it out between loop iterations: drive the loop with
 * bpci_server_run() or bpci_server_step(), not bpci_coordinator_run(),
 * while a server is attached (reads are answered in any case).
 *
 * Thread-safety: like the coordinator, a server is used from the thread
 * that runs the coordinator's loop.
 */
#ifndef BPCI_SERVER_H
#define BPCI_SERVER_H

#include "common.h"
#include "coordinator.h"
#include "error.h"

BPCI_BEGIN_DECLS

/** An HTTP API server attached to a coordinator (opaque). */
typedef struct bpci_server bpci_server;

#define BPCI_SERVER_OPTIONS_VERSION 1

/** Options for bpci_coordinator_serve(). Strings are copied. */
typedef struct bpci_server_options {
	unsigned int version;       /**< BPCI_SERVER_OPTIONS_VERSION */
	const char *listen;         /**< "HOST:PORT" or "[V6]:PORT" (numeric host or
					 "localhost"); port 0 picks a free port;
					 NULL: "127.0.0.1:8080" */
	const char *token;          /**< bearer token; NULL: STATE_DIR/api.token
					 (generated on first start) */
	size_t max_body;            /**< request body limit in bytes; 0: 1 MiB */
	unsigned int timeout_ms;    /**< per-connection read/write timeout; 0: 10 s */
	const char *config_path;    /**< the file POST /api/reload re-reads; NULL:
					 reload answers 409 no_config */
	int reload_on_sighup;       /**< non-zero (with config_path): SIGHUP reloads
					 the file, applied between iterations; the
					 outcome is written to standard error, as
					 nobody waits for an answer (a failed reload,
					 SIGHUP or POST /api/reload, is always
					 written there with every problem) */
} bpci_server_options;

#define BPCI_SERVER_OPTIONS_INIT {BPCI_SERVER_OPTIONS_VERSION, NULL, NULL, 0, 0, NULL, 0}

/**
 * bpci_coordinator_serve - bind the API server and attach it to @c's loop.
 *
 * @out: receives the server; free it with bpci_server_free() before
 *       bpci_coordinator_free(). Set only on success.
 * @c: the coordinator (borrowed; must outlive the server).
 * @opts: options, or NULL for the defaults.
 * @diag: receives the reason of a failure, or NULL.
 *
 * Returns 0; BPCI_EINVAL (field "listen": malformed address; unknown
 * options version); BPCI_EBUSY (the address is in use); BPCI_EIO (the
 * token or URL file cannot be read or written, other socket errors);
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_coordinator_serve(bpci_server **out, bpci_coordinator *c,
				       const bpci_server_options *opts, bpci_diag *diag);

/** bpci_server_url - "http://127.0.0.1:PORT" with the bound port (borrowed). */
BPCI_EXTERN const char *bpci_server_url(const bpci_server *srv);

/** bpci_server_token - the bearer token mutations need (borrowed). */
BPCI_EXTERN const char *bpci_server_token(const bpci_server *srv);

/**
 * bpci_server_step - bpci_coordinator_step() on the server's coordinator,
 * then carry out the mutating requests that arrived.
 * Returns 0, 1 when a stop was requested, or BPCI_EIO.
 */
BPCI_EXTERN int bpci_server_step(bpci_server *srv, int timeout_ms);

/**
 * bpci_server_run - step until a stop is requested
 * (bpci_coordinator_request_stop(), or SIGTERM/SIGINT when the coordinator
 * handles signals). Stops no node. Returns 0 or BPCI_EIO.
 */
BPCI_EXTERN int bpci_server_run(bpci_server *srv);

/**
 * bpci_server_free - close the listener and every connection (queued
 * mutations are answered 503 shutting_down, log streams end) and remove
 * STATE_DIR/api.url. The coordinator is untouched. NULL is a no-op.
 */
BPCI_EXTERN void bpci_server_free(bpci_server *srv);

BPCI_END_DECLS

#endif
