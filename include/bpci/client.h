/*
 * libbpci — a client of a running node coordinator's HTTP API (see
 * bpci/server.h): the coordinator's operations, over HTTP. The command
 * line (bpi-core node-coordinator ...) is built on it.
 *
 * Error codes of every call: 0; BPCI_EUNREACHABLE (no coordinator answers
 * at the URL: connection refused, timeout, unknown host; the message names
 * the URL); BPCI_ENOTFOUND (404: no such node); BPCI_EINVAL (400: every
 * problem the server found is copied into @diag, field by field; also 401:
 * the token was refused, reported on field "token" because a token is an
 * argument the caller gave or the state directory provided); BPCI_EEXISTS
 * (409: the node id is taken; also reload without a configuration file);
 * BPCI_ELIMIT (413: the request is over the server's body limit);
 * BPCI_EBUSY (503: shutting down); BPCI_EPARSE (the answer is not the JSON
 * expected); BPCI_ERROR (another HTTP error; the server's message is in
 * @diag); BPCI_ENOMEM.
 *
 * Thread-safety: a client holds only its URL and token; distinct threads
 * may use distinct clients, or one client when they do not free it
 * meanwhile. Each call is one blocking HTTP request.
 */
#ifndef BPCI_CLIENT_H
#define BPCI_CLIENT_H

#include "common.h"
#include "coordinator.h"
#include "error.h"
#include "node.h"

BPCI_BEGIN_DECLS

/** A client of one coordinator (opaque). */
typedef struct bpci_client bpci_client;

#define BPCI_CLIENT_OPTIONS_VERSION 1

/** Options for bpci_client_new(). Strings are copied. */
typedef struct bpci_client_options {
	unsigned int version;   /**< BPCI_CLIENT_OPTIONS_VERSION */
	const char *url;        /**< "http://127.0.0.1:8080"; NULL: read from
				     STATE_DIR/api.url */
	const char *token;      /**< bearer token; NULL: read from
				     STATE_DIR/api.token when there is one */
	const char *state_dir;  /**< where a coordinator wrote api.url and
				     api.token; NULL: bpci_client_default_state_dir()
				     when url is NULL too */
	long timeout_ms;        /**< per request (not log follows); 0: 60 s */
} bpci_client_options;

#define BPCI_CLIENT_OPTIONS_INIT {BPCI_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, 0}

/**
 * bpci_client_default_state_dir - the state directory used when none is
 * given: $BPCI_STATE_DIR, else /var/lib/bpci for root, else
 * $XDG_STATE_HOME/bpci, else $HOME/.local/state/bpci.
 * @out: receives the path; free with bpci_free(). Returns 0, BPCI_ENOTFOUND
 * (no HOME to derive it from) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_client_default_state_dir(char **out);

/**
 * bpci_client_new - a client for the coordinator at opts->url, or the one
 * whose api.url (and api.token) are in the state directory. Sends nothing.
 *
 * @out: receives the client; free with bpci_client_free(). Set only on
 *       success.
 * Returns 0; BPCI_EUNREACHABLE (no api.url in the state directory: no
 * coordinator has been started there; the message says how to start one);
 * BPCI_EINVAL (field "url": not an http:// or https:// URL; unknown
 * options version); BPCI_EIO (api.url or api.token unreadable);
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_client_new(bpci_client **out, const bpci_client_options *opts,
				bpci_diag *diag);

/** bpci_client_free - free a client. NULL is a no-op. */
BPCI_EXTERN void bpci_client_free(bpci_client *cl);

/** bpci_client_url - the coordinator's base URL (borrowed). */
BPCI_EXTERN const char *bpci_client_url(const bpci_client *cl);

/**
 * bpci_client_health - GET /api/node-coordinator/health.
 * @out: receives the JSON document (free with bpci_free()), or NULL.
 */
BPCI_EXTERN int bpci_client_health(char **out, bpci_client *cl, bpci_diag *diag);

/**
 * bpci_client_start_node - POST /api/nodes: validate and start @spec on
 * the coordinator. Like bpci_coordinator_start_node(), a node whose
 * executable is missing is still recorded (as failed) and its id returned
 * with 0: look at its status.
 * @node_id: receives the id (free with bpci_free()), or NULL.
 * @endpoint: the URL the node serves on, or NULL (the spec's, or a free
 *            local port).
 */
BPCI_EXTERN int bpci_client_start_node(char **node_id, bpci_client *cl,
				       const bpci_node_spec *spec, const char *endpoint,
				       bpci_diag *diag);

/** bpci_client_stop_node - DELETE /api/nodes/ID: stop the node and forget it. */
BPCI_EXTERN int bpci_client_stop_node(bpci_client *cl, const char *id, bpci_diag *diag);

/** bpci_client_restart_node - POST /api/nodes/ID/restart. */
BPCI_EXTERN int bpci_client_restart_node(bpci_client *cl, const char *id, bpci_diag *diag);

/**
 * bpci_client_get_node - GET /api/nodes/ID.
 * @out: receives the status; free with bpci_node_status_free().
 */
BPCI_EXTERN int bpci_client_get_node(bpci_node_status **out, bpci_client *cl,
				     const char *id, bpci_diag *diag);

/**
 * bpci_client_list_nodes - GET /api/nodes/status[?type=T].
 * @out: receives the list; free with bpci_node_status_list_free().
 * @type: only this type, or 0 for all.
 */
BPCI_EXTERN int bpci_client_list_nodes(bpci_node_status_list **out, bpci_client *cl,
				       bpci_node_type type, bpci_diag *diag);

/**
 * bpci_client_node_logs - the last @lines lines of the node's log.
 * @out: receives the text (free with bpci_free()).
 */
BPCI_EXTERN int bpci_client_node_logs(char **out, bpci_client *cl, const char *id,
				      size_t lines, bpci_diag *diag);

/**
 * Receives a piece of a followed log as it arrives (not split at line
 * boundaries). A non-zero return stops the follow and is handed back.
 */
typedef int (*bpci_log_cb)(const char *data, size_t len, void *payload);

/**
 * bpci_client_follow_logs - the last @lines lines, then every new output
 * of the node, handed to @cb until @cb returns non-zero, the coordinator
 * ends the stream (it stopped) or the connection fails.
 * Returns 0 (the stream ended), @cb's non-zero value, or the codes above.
 */
BPCI_EXTERN int bpci_client_follow_logs(bpci_client *cl, const char *id, size_t lines,
					bpci_log_cb cb, void *payload, bpci_diag *diag);

/**
 * bpci_client_reload - POST /api/reload: the coordinator re-reads its
 * configuration file and applies the difference. A configuration with
 * errors changes nothing and its every problem is copied into @diag
 * (BPCI_EINVAL).
 */
BPCI_EXTERN int bpci_client_reload(bpci_client *cl, bpci_diag *diag);

/**
 * bpci_client_metrics - GET /metrics (Prometheus text).
 * @out: receives the text; free with bpci_free().
 */
BPCI_EXTERN int bpci_client_metrics(char **out, bpci_client *cl, bpci_diag *diag);

BPCI_END_DECLS

#endif
