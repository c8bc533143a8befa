/*
 * Error answers of the API: a library code becomes an HTTP status and an
 * error code string, and a diagnostics list becomes the "errors" array so
 * that a client sees every problem, not only the first.
 */
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "common/alloc.h"

int bpci__api_status_for(int rc, const char **code)
{
	switch (rc) {
	case BPCI_EPARSE:
		*code = "parse";
		return 400;
	case BPCI_EINVAL:
	case BPCI_ELIMIT:
		*code = "invalid";
		return 400;
	case BPCI_ENOTFOUND:
		*code = "not_found";
		return 404;
	case BPCI_EEXISTS:
		*code = "exists";
		return 409;
	case BPCI_EBUSY:
		*code = "busy";
		return 503;
	case BPCI_EUNSUPPORTED:
		*code = "unsupported";
		return 400;
	default:
		*code = "internal";
		return 500;
	}
}

static json_t *entry_json(const bpci_diag_entry *e, const char *code)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "code", code, "message",
			 e->message ? e->message : "", "field", e->field ? e->field : "",
			 "text", e->text ? e->text : "");
}

void bpci__api_reply_diag(bpci__http_req *req, int rc, const bpci_diag *diag,
			  const char *fallback)
{
	const char *code;
	int status = bpci__api_status_for(rc, &code);
	size_t i, n = bpci_diag_count(diag);
	const bpci_diag_entry *first = NULL;
	json_t *doc, *errors = json_array();

	for (i = 0; i < n && errors; i++) {
		const bpci_diag_entry *e = bpci_diag_get(diag, i);

		if (!e || e->severity != BPCI_SEVERITY_ERROR)
			continue;
		if (!first)
			first = e;
		json_array_append_new(errors, entry_json(e, code));
	}
	if (!first) {
		json_decref(errors);
		bpci__http_reply_error(req, status, code, fallback ? fallback : bpci_strerror(rc),
				       NULL);
		return;
	}
	doc = json_pack("{s:{s:s, s:s}, s:o}", "error", "code", code, "message",
			first->text && *first->text ? first->text : first->message, "errors",
			errors);
	if (doc && first->field && *first->field)
		json_object_set_new(json_object_get(doc, "error"), "field",
				    json_string(first->field));
	bpci__http_reply_json(req, status, doc);
}

void bpci__api_reply_text_json(bpci__http_req *req, int status, char *text)
{
	if (!text) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	bpci__http_reply_text(req, status, "application/json", text);
	bpci__free(text);
}
