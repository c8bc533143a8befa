/*
 * The CLI's blocking HTTP client on libcurl's easy interface.
 *
 * A transport failure and an error answer are told apart for the caller:
 * "no daemon there" (BPCI_EUNREACHABLE, which the CLI turns into exit 3
 * and a hint to start one) is not "the daemon said no" (the answer's own
 * JSON error, surfaced into the diagnostics).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpci/common.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/curl_global.h"
#include "runtime/curl_lazy.h"
#include "runtime/http_client.h"

#define DEFAULT_CONNECT_MS 2000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_RESPONSE ((size_t)16 << 20)

typedef struct xfer {
	CURL *easy;
	bpci__http_response *resp;
	size_t cap, max;
	int too_big, oom;
	bpci__http_chunk_cb cb;
	void *payload;
	int cb_rc;
} xfer;

void bpci__http_response_clear(bpci__http_response *resp)
{
	if (!resp)
		return;
	bpci__free(resp->body);
	bpci__free(resp->content_type);
	memset(resp, 0, sizeof(*resp));
}

static int append(xfer *x, const char *data, size_t n)
{
	bpci__http_response *r = x->resp;

	if (n > x->max - r->len) {
		x->too_big = 1;
		return -1;
	}
	if (bpci__grow((void **)&r->body, &x->cap, r->len + n + 1, 1) < 0) {
		x->oom = 1;
		return -1;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	if (x->cb) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			x->cb_rc = n ? x->cb(data, n, x->payload) : 0;
			return x->cb_rc ? 0 : n;
		}
	}
	return append(x, data, n) < 0 ? 0 : n;
}

static int set_method(CURL *e, const char *method, const char *body, size_t len)
{
	static const char *const ok[] = {"POST", "PUT", "PATCH", "DELETE"};
	size_t i;

	if (strcmp(method, "GET") == 0)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0 : -1;
	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : -1;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(method, ok[i]) == 0)
			break;
	if (i == sizeof(ok) / sizeof(ok[0]))
		return -1;
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body || strcmp(method, "DELETE") != 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
	}
	return 0;
}

static struct curl_slist *make_headers(const bpci__http_client_opts *o, int has_body)
{
	struct curl_slist *h = NULL, *t;
	char *line;

	/* No "Expect: 100-continue" round trip: our bodies are small. */
	h = curl_slist_append(h, "Expect:");
	if (h && (t = curl_slist_append(h, "Accept: application/json, */*")))
		h = t;
	if (h && has_body) {
		line = bpci__asprintf("Content-Type: %s",
				      o && o->content_type ? o->content_type : "application/json");
		t = line ? curl_slist_append(h, line) : NULL;
		bpci__free(line);
		if (!t)
			goto fail;
	}
	if (h && o && o->token && o->token[0]) {
		line = bpci__asprintf("Authorization: Bearer %s", o->token);
		t = line ? curl_slist_append(h, line) : NULL;
		if (line)
			explicit_bzero(line, strlen(line));
		bpci__free(line);
		if (!t)
			goto fail;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

static int transport_error(CURLcode cc, const xfer *x, const char *url, const char *errbuf,
			   bpci_diag *diag)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

	if (x->cb_rc)
		return x->cb_rc;
	if (x->too_big)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "",
				      "the answer from %s exceeds %zu bytes", url, x->max);
	if (x->oom || cc == CURLE_OUT_OF_MEMORY)
		return BPCI_ENOMEM;
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "",
				      "cannot reach %s: %s", url, why);
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "url",
				      "must be an http:// or https:// URL, got \"%s\": %s", url, why);
	default:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "request to %s failed: %s", url, why);
	}
}

static int status_code(long status)
{
	switch (status) {
	case 400: case 405: case 422: return BPCI_EINVAL;
	case 404: return BPCI_ENOTFOUND;
	case 409: return BPCI_EEXISTS;
	case 413: return BPCI_ELIMIT;
	case 503: return BPCI_EBUSY;
	default: return BPCI_ERROR;
	}
}

/* Turns a 4xx/5xx answer into a diagnostic, preferring its JSON error. */
static int answer_error(const bpci__http_response *r, const char *method, const char *url,
			bpci_diag *diag)
{
	int rc = status_code(r->status);
	json_t *doc = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *err = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	const char *field = json_string_value(json_object_get(err, "field"));

	if (msg)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, field, "%s (HTTP %ld%s%s)", msg,
			       r->status, code ? " " : "", code ? code : "");
	else
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "", "%s %s answered HTTP %ld%s%.200s",
			       method, url, r->status, r->len ? ": " : "",
			       r->len ? r->body : "");
	json_decref(doc);
	return rc;
}

static int perform(const bpci__http_client_opts *o, const char *method, const char *url,
		   const char *body, size_t len, xfer *x, bpci_diag *diag)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	const char *ctype = NULL;
	CURLcode cc;
	int rc;

	if (!url || !method)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "url",
				      "a method and a URL are required");
	if (bpci__curl_global_init() < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "libcurl failed to initialise%s%s",
				      *bpci__curl_load_error() ? ": " : "", bpci__curl_load_error());
	x->max = o && o->max_response ? o->max_response : DEFAULT_MAX_RESPONSE;
	x->easy = curl_easy_init();
	headers = x->easy ? make_headers(o, body != NULL || len > 0) : NULL;
	if (!headers) {
		curl_easy_cleanup(x->easy);
		return BPCI_ENOMEM;
	}
	if (set_method(x->easy, method, body, len) < 0) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "method",
				    "must be GET, HEAD, POST, PUT, PATCH or DELETE, got \"%s\"",
				    method);
		goto out;
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "libbpci/" BPCI_VERSION);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
			 o && o->connect_timeout_ms ? o->connect_timeout_ms : DEFAULT_CONNECT_MS);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
			 o && o->timeout_ms ? o->timeout_ms : x->cb ? 0L : DEFAULT_TIMEOUT_MS);
	cc = curl_easy_perform(x->easy);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->resp->status);
	if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		x->resp->content_type = bpci__strdup(ctype);
	if (!x->resp->body && !x->oom)
		x->resp->body = bpci__calloc(1, 1);
	if (cc != CURLE_OK)
		rc = transport_error(cc, x, url, errbuf, diag);
	else if (!x->resp->body || (ctype && !x->resp->content_type))
		rc = BPCI_ENOMEM;
	else if (x->resp->status >= 400)
		rc = answer_error(x->resp, method, url, diag);
	else
		rc = 0;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(x->easy);
	return rc;
}

int bpci__http_request(const bpci__http_client_opts *opts, const char *method,
		       const char *url, const char *body, size_t len,
		       bpci__http_response *resp, bpci_diag *diag)
{
	xfer x;

	memset(&x, 0, sizeof(x));
	memset(resp, 0, sizeof(*resp));
	x.resp = resp;
	return perform(opts, method, url, body, len, &x, diag);
}

int bpci__http_stream(const bpci__http_client_opts *opts, const char *url,
		      bpci__http_response *resp, bpci__http_chunk_cb cb, void *payload,
		      bpci_diag *diag)
{
	xfer x;

	memset(&x, 0, sizeof(x));
	memset(resp, 0, sizeof(*resp));
	x.resp = resp;
	x.cb = cb;
	x.payload = payload;
	if (!cb)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "cb",
				      "a chunk callback is required");
	return perform(opts, "GET", url, NULL, 0, &x, diag);
}
