/*
 * A REMOTE daemon is started by hand with --join PARENT_URL; when the
 * tree changes its parent (its parent was removed: it moves to the
 * grandparent; or it was moved) it would keep heartbeating the old URL,
 * a dead process or a parent that no longer relays it. The root tells it
 * its new parent on its own API (POST /api/daemon-tree/parent with the
 * token it relayed), and it joins there at once. A daemon that cannot be
 * told now (not joined yet, unreachable) is reported; it is told again by
 * nobody, so the warning names the --join its user must give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"

/* URL and token of daemon @id's API (the root: this manager's). */
static int api_of(const char **url, const char **token, bpci_cluster_manager *cm,
		  const char *id)
{
	bpci_daemon_live l;

	if (bpci__cm_is_root(cm, id)) {
		*url = cm->url;
		*token = cm->token;
	} else if (bpci_daemon_tree_get_live(&l, cm->tree, id) == 0) {
		*url = l.url;
		*token = l.token;
	} else {
		return BPCI_ENOTFOUND;
	}
	return *url ? 0 : BPCI_EUNREACHABLE;
}

int bpci__cm_redirect(bpci_cluster_manager *cm, const char *id, bpci_diag *diag)
{
	const bpci_daemon_spec *s = bpci_daemon_tree_get(cm->tree, id);
	const char *parent = s ? bpci_daemon_spec_parent(s) : NULL;
	const char *purl = NULL, *ptoken = NULL, *curl = NULL, *ctoken = NULL;
	char *body = NULL, *resp = NULL;
	json_t *b;
	int rc;

	if (!cm->daemon_on || !s || !parent || !bpci_daemon_spec_remote(s))
		return 0;
	rc = api_of(&purl, &ptoken, cm, parent);
	if (rc == 0)
		rc = api_of(&curl, &ctoken, cm, id);
	if (rc != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc, "daemon_id",
				      "remote daemon \"%s\" cannot be told its new parent \"%s\" "
				      "(%s not joined): restart it with --join %s", id, parent,
				      purl ? id : parent, purl ? purl : "PARENT_URL");
	b = json_pack("{s:s, s:s}", "parent_url", purl, "join_token", ptoken ? ptoken : "");
	body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	if (!body)
		return BPCI_ENOMEM;
	rc = bpci_cluster_request(&resp, curl, ctoken, "POST", "/api/daemon-tree/parent", body,
				  NULL);
	free(body);
	bpci_free(resp);
	if (rc != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc, "daemon_id",
				      "remote daemon \"%s\" at %s cannot be told its new parent "
				      "\"%s\": %s; restart it with --join %s", id, curl, parent,
				      bpci_strerror(rc), purl);
	return 0;
}
