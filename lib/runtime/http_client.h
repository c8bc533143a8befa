/*
 * Internal: a blocking HTTP client for the command-line programs, which
 * talk to a daemon's API (libcurl easy interface, one request per call).
 *
 * Thread-safe: calls share nothing but libcurl's global state, set up once.
 */
#ifndef BPCI_LIB_RUNTIME_HTTP_CLIENT_H
#define BPCI_LIB_RUNTIME_HTTP_CLIENT_H

#include <stddef.h>

#include "bpci/error.h"

typedef struct bpci__http_client_opts {
	unsigned int version;
	const char *token;          /* sent as Authorization: Bearer; NULL for none */
	long connect_timeout_ms;    /* 0 gives 2000 */
	long timeout_ms;            /* whole request; 0 gives 30000 (streams: none) */
	size_t max_response;        /* bytes kept of a body; 0 gives 16 MiB */
	const char *content_type;   /* of a request body; NULL gives application/json */
} bpci__http_client_opts;

#define BPCI__HTTP_CLIENT_OPTS_VERSION 1
#define BPCI__HTTP_CLIENT_OPTS_INIT {BPCI__HTTP_CLIENT_OPTS_VERSION, NULL, 0, 0, 0, NULL}

typedef struct bpci__http_response {
	long status;           /* HTTP status; 0 when no answer came */
	char *body;            /* NUL-terminated (also for binary bodies); owned */
	size_t len;            /* without the NUL */
	char *content_type;    /* owned; NULL when the server sent none */
} bpci__http_response;

/* Frees the response's buffers and zeroes it (safe on a zeroed response). */
void bpci__http_response_clear(bpci__http_response *resp);

/*
 * Sends @method (GET, POST, PUT, PATCH, DELETE, HEAD) to @url with @body
 * of @len bytes (NULL/0 for none) and waits for the whole answer in @resp
 * (zeroed first; clear it after use, whatever the result).
 *
 * Returns 0 for a 2xx or 3xx answer. For 4xx/5xx answers @resp is filled
 * and the result is BPCI_EINVAL (400, 405, 422), BPCI_ENOTFOUND (404),
 * BPCI_EEXISTS (409), BPCI_ELIMIT (413), BPCI_EBUSY (503) or BPCI_ERROR
 * (others), with a diagnostic whose field and message come from a JSON
 * body {"error":{"code","message","field"}} when there is one.
 * Transport failures: BPCI_EUNREACHABLE (connection refused, host not
 * resolved, timeouts; the message names the URL), BPCI_ELIMIT (answer over
 * max_response), BPCI_EINVAL (field "url": malformed or not http/https),
 * BPCI_EIO (other), BPCI_ENOMEM.
 */
int bpci__http_request(const bpci__http_client_opts *opts, const char *method,
		       const char *url, const char *body, size_t len,
		       bpci__http_response *resp, bpci_diag *diag);

/*
 * Receives one chunk of a streamed 2xx answer as it arrives. A non-zero
 * return stops the transfer and becomes bpci__http_stream's result.
 */
typedef int (*bpci__http_chunk_cb)(const char *data, size_t len, void *payload);

/*
 * GETs @url and hands each piece of a 2xx body to @cb until the server
 * ends the answer. Without opts->timeout_ms there is no overall timeout
 * (a "follow" runs until stopped). A 4xx/5xx answer is collected into
 * @resp and reported as bpci__http_request does; @resp->status is set in
 * every case. Returns 0 when the server ended the stream, @cb's non-zero
 * value when it stopped it, or the codes above.
 */
int bpci__http_stream(const bpci__http_client_opts *opts, const char *url,
		      bpci__http_response *resp, bpci__http_chunk_cb cb, void *payload,
		      bpci_diag *diag);

#endif
