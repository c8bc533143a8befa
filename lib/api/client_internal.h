/*
 * Internal to the client files (client.c: handle and requests;
 * client_nodes.c: the operations).
 */
#ifndef BPCI_LIB_API_CLIENT_INTERNAL_H
#define BPCI_LIB_API_CLIENT_INTERNAL_H

#include "bpci/client.h"
#include "runtime/http_client.h"

struct bpci_client {
	char *url;      /* without a trailing slash */
	char *token;    /* NULL: none */
	long timeout_ms;
};

/* @s percent-encoded for a path segment or query value; NULL on ENOMEM. */
char *bpci__client_escape(const char *s);

/*
 * One request to cl->url + @path; @resp is zeroed first and must be
 * cleared by the caller. Failures carry the server's problems into @diag
 * and a code as bpci/client.h documents.
 */
int bpci__client_call(bpci_client *cl, const char *method, const char *path,
		      const char *body, size_t len, bpci__http_response *resp,
		      bpci_diag *diag);

/* A streamed GET of @path; @cb's non-zero value comes back as it is. */
int bpci__client_stream(bpci_client *cl, const char *path, bpci__http_chunk_cb cb,
			void *payload, bpci_diag *diag);

#endif
