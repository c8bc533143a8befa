/*
 * The client's operations: one request each, answers parsed with the
 * same functions the server uses to write them.
 */
#include <string.h>

#include <jansson.h>

#include "api/client_internal.h"
#include "common/alloc.h"
#include "common/diag.h"

/* "/api/nodes/ID" + @suffix, with ID escaped. */
static char *node_path(const char *id, const char *suffix)
{
	char *esc = bpci__client_escape(id ? id : "");
	char *p = esc ? bpci__asprintf("/api/nodes/%s%s", esc, suffix) : NULL;

	bpci__free(esc);
	return p;
}

static int take_body(char **out, bpci__http_response *resp)
{
	if (!out)
		return 0;
	*out = bpci__strndup(resp->body ? resp->body : "", resp->len);
	return *out ? 0 : BPCI_ENOMEM;
}

static int simple(bpci_client *cl, const char *method, char *path, char **out,
		  bpci_diag *diag)
{
	bpci__http_response resp;
	int rc;

	if (!path)
		return BPCI_ENOMEM;
	rc = bpci__client_call(cl, method, path, NULL, 0, &resp, diag);
	if (rc == 0)
		rc = take_body(out, &resp);
	bpci__http_response_clear(&resp);
	bpci__free(path);
	return rc;
}

int bpci_client_health(char **out, bpci_client *cl, bpci_diag *diag)
{
	if (!cl)
		return BPCI_EINVAL;
	return simple(cl, "GET", bpci__strdup("/api/node-coordinator/health"), out, diag);
}

int bpci_client_metrics(char **out, bpci_client *cl, bpci_diag *diag)
{
	if (!cl || !out)
		return BPCI_EINVAL;
	return simple(cl, "GET", bpci__strdup("/metrics"), out, diag);
}

int bpci_client_stop_node(bpci_client *cl, const char *id, bpci_diag *diag)
{
	if (!cl || !id)
		return BPCI_EINVAL;
	return simple(cl, "DELETE", node_path(id, ""), NULL, diag);
}

int bpci_client_restart_node(bpci_client *cl, const char *id, bpci_diag *diag)
{
	if (!cl || !id)
		return BPCI_EINVAL;
	return simple(cl, "POST", node_path(id, "/restart"), NULL, diag);
}

int bpci_client_reload(bpci_client *cl, bpci_diag *diag)
{
	if (!cl)
		return BPCI_EINVAL;
	return simple(cl, "POST", bpci__strdup("/api/reload"), NULL, diag);
}

int bpci_client_node_logs(char **out, bpci_client *cl, const char *id, size_t lines,
			  bpci_diag *diag)
{
	char suffix[48];

	if (!out || !cl || !id)
		return BPCI_EINVAL;
	snprintf(suffix, sizeof(suffix), "/logs?tail=%zu", lines);
	return simple(cl, "GET", node_path(id, suffix), out, diag);
}

int bpci_client_follow_logs(bpci_client *cl, const char *id, size_t lines, bpci_log_cb cb,
			    void *payload, bpci_diag *diag)
{
	char suffix[64];
	char *path;
	int rc;

	if (!cl || !id || !cb)
		return BPCI_EINVAL;
	snprintf(suffix, sizeof(suffix), "/logs?tail=%zu&follow=1", lines);
	path = node_path(id, suffix);
	if (!path)
		return BPCI_ENOMEM;
	rc = bpci__client_stream(cl, path, cb, payload, diag);
	bpci__free(path);
	return rc;
}

int bpci_client_get_node(bpci_node_status **out, bpci_client *cl, const char *id,
			 bpci_diag *diag)
{
	char *body = NULL;
	int rc;

	if (!out || !cl || !id)
		return BPCI_EINVAL;
	rc = simple(cl, "GET", node_path(id, ""), &body, diag);
	if (rc == 0 && bpci_node_status_from_json(out, body, strlen(body), diag) != 0)
		rc = BPCI_EPARSE; /* the answer, not the caller, is at fault */
	bpci__free(body);
	return rc;
}

int bpci_client_list_nodes(bpci_node_status_list **out, bpci_client *cl,
			   bpci_node_type type, bpci_diag *diag)
{
	const char *tn = type ? bpci_node_type_name(type) : NULL;
	char *body = NULL;
	int rc;

	if (!out || !cl || (type && !tn))
		return BPCI_EINVAL;
	rc = simple(cl, "GET",
		    tn ? bpci__asprintf("/api/nodes/status?type=%s", tn)
		       : bpci__strdup("/api/nodes"),
		    &body, diag);
	if (rc == 0 && bpci_node_status_list_from_json(out, body, strlen(body), diag) != 0)
		rc = BPCI_EPARSE;
	bpci__free(body);
	return rc;
}

static int parse_id(char **node_id, const bpci__http_response *resp, bpci_diag *diag)
{
	json_t *doc = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
	const char *id = json_string_value(json_object_get(doc, "id"));
	int rc = 0;

	if (!id)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "",
				    "the coordinator's answer to a start has no node id: %.200s",
				    resp->body ? resp->body : "");
	else if (node_id && !(*node_id = bpci__strdup(id)))
		rc = BPCI_ENOMEM;
	json_decref(doc);
	return rc;
}

int bpci_client_start_node(char **node_id, bpci_client *cl, const bpci_node_spec *spec,
			   const char *endpoint, bpci_diag *diag)
{
	bpci__http_response resp;
	char *json = NULL, *esc = NULL, *path;
	int rc;

	if (!cl || !spec)
		return BPCI_EINVAL;
	if (bpci_node_spec_to_json(&json, spec) != 0)
		return BPCI_ENOMEM;
	if (endpoint && !(esc = bpci__client_escape(endpoint))) {
		bpci__free(json);
		return BPCI_ENOMEM;
	}
	path = esc ? bpci__asprintf("/api/nodes?endpoint=%s", esc) : bpci__strdup("/api/nodes");
	rc = path ? bpci__client_call(cl, "POST", path, json, strlen(json), &resp, diag)
		  : BPCI_ENOMEM;
	if (path && rc == 0)
		rc = parse_id(node_id, &resp, diag);
	if (path)
		bpci__http_response_clear(&resp);
	bpci__free(path);
	bpci__free(esc);
	bpci__free(json);
	return rc;
}
