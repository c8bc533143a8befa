/*
 * api.request entries: which API requests the daemons journal, and what
 * an entry says. Why only mutating ones: reads change nothing and a
 * dashboard polling /metrics every second would bury the changes; for
 * the same reason accepted daemon heartbeats are left out.
 */
#include "api/api_trail.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

static int mutating(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

int bpci__api_trail_details(char **out, const bpci__http_req *req, int status)
{
	char peer[96], *text;
	json_t *o;

	*out = NULL;
	if (!mutating(bpci__http_req_method(req)) ||
	    (status >= 400 && status != 401 && status != 403))
		return 0;
	/* A daemon's accepted heartbeat (every interval, from every child)
	 * would bury the changes: what it changes, the tree journals itself.
	 * A refused one is kept: someone without the token is knocking. */
	if (status < 400 && strcmp(bpci__http_req_path(req), "/api/daemon-tree/heartbeat") == 0)
		return 0;
	o = json_pack("{s:s, s:s, s:s, s:i}", "method", bpci__http_req_method(req), "path",
		      bpci__http_req_path(req), "remote", bpci__http_req_peer(req, peer, sizeof(peer)),
		      "status", status);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	*out = text ? bpci__strdup(text) : NULL;
	free(text);
	return *out ? 1 : BPCI_ENOMEM;
}
