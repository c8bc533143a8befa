/*
 * libbpci — the node side of the node process contract: what a program
 * needs to run as a node under a coordinator.
 *
 * A coordinator starts each node with the environment variables
 *
 *   BPCI_NODE_ID          the node's id (an identifier)
 *   BPCI_NODE_TYPE        one of the eight node types ("storage", ...)
 *   BPCI_NODE_PORT        the TCP port to serve on, 1..65535 (0: any free)
 *   BPCI_NODE_CONFIG      path of a JSON file holding the node's typed spec
 *   BPCI_COORDINATOR_URL  the coordinator's API, e.g. http://127.0.0.1:8080
 *   NOTIFY_SOCKET         where to send sd_notify(3) messages (READY=1, ...)
 *   WATCHDOG_USEC         heartbeat deadline in microseconds (optional)
 *
 * bpci_service_new() reads and checks them all (options may override each,
 * for running a node by hand); bpci_service_run() then serves
 * GET /health and GET /metrics on 127.0.0.1:PORT plus the program's own
 * routes, tells the coordinator READY=1, sends WATCHDOG=1 at half the
 * watchdog interval, and on SIGTERM or SIGINT sends STOPPING=1 and returns.
 *
 *   bpci_service *svc;
 *   if (bpci_service_new(&svc, NULL, diag) != 0) exit(2);    // bad contract
 *   bpci_service_route(svc, "GET", "/hello", hello, NULL);
 *   rc = bpci_service_run(svc, diag);                          // until SIGTERM
 *   bpci_service_free(svc);
 *
 * Thread-safety: a handle is used from one thread at a time, except
 * bpci_service_request_stop(), which any thread or signal handler may call.
 */
#ifndef BPCI_SERVICE_H
#define BPCI_SERVICE_H

#include <stdint.h>

#include "common.h"
#include "error.h"
#include "node.h"

BPCI_BEGIN_DECLS

/** A node program's service handle (opaque). */
typedef struct bpci_service bpci_service;

#define BPCI_SERVICE_OPTIONS_VERSION 1

/**
 * Overrides for the contract's environment variables. Every field left at
 * its BPCI_SERVICE_OPTIONS_INIT value means "take it from the environment".
 * Installed structs only grow at the end; set @version to
 * BPCI_SERVICE_OPTIONS_VERSION.
 */
typedef struct bpci_service_options {
	unsigned int version;
	const char *id;              /**< BPCI_NODE_ID */
	const char *type;            /**< BPCI_NODE_TYPE, a type name */
	int port;                    /**< BPCI_NODE_PORT; -1: from the environment,
					  0: any free port, 1..65535 */
	const char *config_path;     /**< BPCI_NODE_CONFIG */
	const char *coordinator_url; /**< BPCI_COORDINATOR_URL; "" for none */
	const char *notify_socket;   /**< NOTIFY_SOCKET; "" for none */
	int64_t watchdog_usec;       /**< WATCHDOG_USEC; -1: from the environment,
					  0: no watchdog */
	/** The spec itself instead of a config file (a program that embeds a
	 *  node); copied. Exclusive with @config_path; BPCI_NODE_CONFIG is then
	 *  not read. */
	const bpci_node_spec *spec;
} bpci_service_options;

#define BPCI_SERVICE_OPTIONS_INIT \
	{BPCI_SERVICE_OPTIONS_VERSION, NULL, NULL, -1, NULL, NULL, NULL, -1, NULL}

/**
 * bpci_service_new - read and check the node process contract.
 *
 * @out: receives the handle; free it with bpci_service_free().
 * @opts: overrides (see bpci_service_options), or NULL for the environment
 *        alone.
 * @diag: receives one entry per problem, each naming the variable (or the
 *        option) and the bad value, or NULL.
 *
 * The type and the port are required; the config file (or the spec
 * option) is required and must hold a valid spec (bpci_node_spec_from_json()
 * and bpci_node_spec_validate()) of that same type. The id, when neither given
 * nor set, is the spec's "id" field, else the type's name. The coordinator
 * URL, the notify socket and the watchdog are optional. WATCHDOG_USEC is
 * ignored when WATCHDOG_PID is set to another process (sd_watchdog_enabled(3)).
 *
 * Returns 0, BPCI_EINVAL (a missing or invalid value, or an invalid spec),
 * BPCI_ENOTFOUND (the config file does not exist), BPCI_EPARSE (the config
 * file is not JSON), BPCI_EIO (it cannot be read), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_service_new(bpci_service **out, const bpci_service_options *opts,
				 bpci_diag *diag);

/** bpci_service_free - free the handle. Call it after bpci_service_run()
 *  has returned. NULL is a no-op. */
BPCI_EXTERN void bpci_service_free(bpci_service *svc);

/** bpci_service_id - the node's id. Borrowed; valid until the handle is freed. */
BPCI_EXTERN const char *bpci_service_id(const bpci_service *svc);

/** bpci_service_type - the node's type. */
BPCI_EXTERN bpci_node_type bpci_service_type(const bpci_service *svc);

/** bpci_service_port - the port: the one asked for until bpci_service_run()
 *  has bound it, then the one really bound (when 0 was asked for, the
 *  kernel's pick). */
BPCI_EXTERN unsigned int bpci_service_port(const bpci_service *svc);

/** bpci_service_spec - the node's spec, read from the config file.
 *  Borrowed: valid until the handle is freed; do not modify it. */
BPCI_EXTERN const bpci_node_spec *bpci_service_spec(const bpci_service *svc);

/** bpci_service_config_path - the path of the config file the spec was read
 *  from, or NULL when the spec came as an option. Borrowed. */
BPCI_EXTERN const char *bpci_service_config_path(const bpci_service *svc);

/** bpci_service_coordinator_url - the coordinator's URL, or NULL when none
 *  was given. Borrowed. */
BPCI_EXTERN const char *bpci_service_coordinator_url(const bpci_service *svc);

/** bpci_service_watchdog_usec - the watchdog interval in microseconds, or 0
 *  when there is none. WATCHDOG=1 goes out every half of it. */
BPCI_EXTERN uint64_t bpci_service_watchdog_usec(const bpci_service *svc);

/**
 * bpci_service_notify - send one sd_notify(3) message, e.g. "READY=1" or
 * "STATUS=loading\nEXTEND_TIMEOUT_USEC=5000000", to the notify socket.
 *
 * Returns 0 (also when there is no notify socket: then nothing is sent),
 * BPCI_EINVAL (empty text), BPCI_ELIMIT (over 4096 bytes),
 * BPCI_ENOTFOUND (nobody listens at the socket), BPCI_EIO.
 */
BPCI_EXTERN int bpci_service_notify(bpci_service *svc, const char *state);

/** bpci_service_ready - bpci_service_notify(svc, "READY=1"). bpci_service_run()
 *  calls it itself once it serves; call it only when not using run. */
BPCI_EXTERN int bpci_service_ready(bpci_service *svc);

/**
 * bpci_service_status - send STATUS=<text> formatted like printf. Line
 * breaks in the text become spaces (the protocol is line-based). Returns
 * as bpci_service_notify(), or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_service_status(bpci_service *svc, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/** A request to one of the program's routes; valid during the callback. */
typedef struct bpci_service_request bpci_service_request;
/** The response being built for it; valid during the callback. */
typedef struct bpci_service_response bpci_service_response;

/**
 * A route handler. Fill @res with bpci_service_respond(); a handler that
 * responds nothing sends 204 No Content. A non-zero return sends
 * 500 {"error":{"code":"internal","message":...}} instead of @res.
 * Runs on the service's loop: a slow handler delays every other request.
 */
typedef int (*bpci_service_route_cb)(bpci_service_response *res,
				     const bpci_service_request *req, void *payload);

/**
 * bpci_service_route - serve @method @path with @cb.
 *
 * @method: "GET", "POST", "PUT", "DELETE", "PATCH" or "HEAD" (a GET route
 *          also answers HEAD).
 * @path: an absolute path pattern without query: literal segments and
 *        "{name}" segments that match any one segment and are read with
 *        bpci_service_request_param(), e.g. "/items/{id}". No empty
 *        segments, no trailing '/', no white space, '?' or '#'.
 *
 * Routes are tried in the order added (GET /health and GET /metrics come
 * first). A request whose path matches a route but not its method gets 405
 * with an Allow header; a request for no route gets 404; both as JSON
 * {"error":{"code","message"}}. Routes may be added before or during
 * bpci_service_run() (from a handler).
 *
 * Returns 0, BPCI_EINVAL (bad method or pattern, NULL @cb), BPCI_EEXISTS
 * (this method and pattern are taken, e.g. GET /health), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_service_route(bpci_service *svc, const char *method, const char *path,
				   bpci_service_route_cb cb, void *payload);

/** bpci_service_request_method - "GET", "POST", ... Borrowed (valid during
 *  the callback, like every string a request gives). */
BPCI_EXTERN const char *bpci_service_request_method(const bpci_service_request *req);
/** bpci_service_request_path - the path as sent (not percent-decoded),
 *  without the query. */
BPCI_EXTERN const char *bpci_service_request_path(const bpci_service_request *req);
/** bpci_service_request_param - the decoded value of the route's "{@name}"
 *  segment, or NULL when the route has none of that name. */
BPCI_EXTERN const char *bpci_service_request_param(const bpci_service_request *req,
						   const char *name);
/** bpci_service_request_query - the decoded value of query parameter @name
 *  (its first occurrence), or NULL when absent. */
BPCI_EXTERN const char *bpci_service_request_query(const bpci_service_request *req,
						   const char *name);
/** bpci_service_request_header - the value of header @name (case-insensitive),
 *  or NULL. */
BPCI_EXTERN const char *bpci_service_request_header(const bpci_service_request *req,
						    const char *name);
/** bpci_service_request_body - the request body, NUL-terminated for
 *  convenience (*@len, when not NULL, receives its length without the NUL).
 *  Bodies over 1 MiB are refused with 413 before any handler runs. */
BPCI_EXTERN const char *bpci_service_request_body(const bpci_service_request *req,
						  size_t *len);

/**
 * bpci_service_respond - set the response: HTTP @status (200..599), the
 * @content_type (NULL: "application/json") and the text @body (copied;
 * NULL: empty). A second call replaces the first.
 * Returns 0, BPCI_EINVAL (bad status), BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_service_respond(bpci_service_response *res, int status,
				     const char *content_type, const char *body);

/** Called once bpci_service_run() serves and has sent READY=1. */
typedef void (*bpci_service_ready_cb)(bpci_service *svc, void *payload);

/** bpci_service_on_ready - have @cb called when the service is ready (NULL
 *  removes it); e.g. to log the bound port or to start the program's own
 *  work. Returns 0. */
BPCI_EXTERN int bpci_service_on_ready(bpci_service *svc, bpci_service_ready_cb cb,
				      void *payload);

/**
 * bpci_service_run - serve until asked to stop.
 *
 * Binds 127.0.0.1:PORT, serves GET /health (200 {"status":"ok","id","type",
 * "uptime_seconds"}), GET /metrics and the routes added, sends READY=1
 * with a STATUS, then WATCHDOG=1 every half watchdog interval. On SIGTERM,
 * SIGINT or bpci_service_request_stop() it sends STOPPING=1, closes the
 * server and returns. While it runs it handles SIGTERM and SIGINT (their
 * previous handlers are restored on return); a SIGPIPE left at its
 * default is set to ignored for good (a client that hangs up must not
 * kill the node). Run it once per handle.
 *
 * GET /metrics is the Prometheus text format 0.0.4 of values measured at
 * the scrape: process_cpu_seconds_total, process_resident_memory_bytes,
 * process_open_fds and process_start_time_seconds of this process,
 * bpci_node_uptime_seconds of the service (since bpci_service_new()); when
 * the node leads its process group, as the coordinator starts it, the
 * group's node_distribution_node_{cpu_seconds_total,memory_usage_bytes,
 * open_fds,threads,processes,uptime_seconds,io_read_bytes_total,
 * io_write_bytes_total,active_connections}{node_id,node_type}; and
 * bpci_node_http_requests_total{path,code} for the requests the routes
 * answered (path is the route's pattern). A figure that cannot be read is
 * left out, never given as 0.
 *
 * Returns 0 after a requested stop, BPCI_EBUSY (the port is in use),
 * BPCI_EIO (another system call failed; the message names it),
 * BPCI_EINVAL (run twice), BPCI_ENOMEM. A notify socket nobody listens on
 * is not an error (the coordinator may have gone).
 */
BPCI_EXTERN int bpci_service_run(bpci_service *svc, bpci_diag *diag);

/**
 * bpci_service_request_stop - make bpci_service_run() stop and return 0 as
 * if SIGTERM had come (before run: run returns as soon as it is ready).
 * Async-signal-safe and thread-safe.
 */
BPCI_EXTERN void bpci_service_request_stop(bpci_service *svc);

BPCI_END_DECLS

#endif
