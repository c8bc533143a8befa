/*
 * Internal: the api.request entries of the daemons' audit trail
 * (api_trail.c), shared by the coordinator's and the cluster manager's API.
 */
#ifndef BPCI_LIB_API_API_TRAIL_H
#define BPCI_LIB_API_API_TRAIL_H

#include "runtime/http_server.h"

/*
 * The details of an api.request entry for @req answered with @status:
 * {"method","path","remote","status"} (never the token, the query string
 * or the body). Only mutating requests (POST, PUT, PATCH, DELETE) that
 * were accepted (status below 400) or refused for authentication (401,
 * 403) are journaled; reads, requests refused for their content and
 * accepted daemon heartbeats (POST /api/daemon-tree/heartbeat) are not.
 * Returns 1 with *out (bpci__free) set, 0 when @req is not
 * journaled, BPCI_ENOMEM.
 */
int bpci__api_trail_details(char **out, const bpci__http_req *req, int status);

#endif
