/*
 * The client side of the cluster manager's API: one blocking request.
 */
#include <string.h>

#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/http_client.h"

int bpci_cluster_request(char **response, const char *url, const char *token,
			 const char *method, const char *path, const char *body, bpci_diag *diag)
{
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response resp;
	char *full;
	size_t n;
	int rc;

	if (response)
		*response = NULL;
	if (!url || !method || !path)
		return BPCI_EINVAL;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	full = bpci__asprintf("%.*s%s", (int)n, url, path);
	if (!full)
		return BPCI_ENOMEM;
	o.token = token;
	memset(&resp, 0, sizeof(resp));
	rc = bpci__http_request(&o, method, full, body, body ? strlen(body) : 0, &resp, diag);
	bpci__free(full);
	if (response && resp.body && !(*response = bpci__strdup(resp.body)))
		rc = BPCI_ENOMEM;
	bpci__http_response_clear(&resp);
	return rc;
}
