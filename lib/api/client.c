/*
 * The client handle: where the coordinator is (URL and token, given or
 * read from the state directory) and one request with the API's errors
 * turned into codes and diagnostics.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/client_internal.h"
#include "common/alloc.h"
#include "common/diag.h"

#define DEFAULT_TIMEOUT_MS 60000L
#define FILE_MAX 4096

int bpci_client_default_state_dir(char **out)
{
	const char *env = getenv("BPCI_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (!out)
		return BPCI_EINVAL;
	if (env && *env)
		*out = bpci__strdup(env);
	else if (geteuid() == 0)
		*out = bpci__strdup("/var/lib/bpci");
	else if (xdg && *xdg == '/')
		*out = bpci__asprintf("%s/bpci", xdg);
	else if (home && *home)
		*out = bpci__asprintf("%s/.local/state/bpci", home);
	else
		return BPCI_ENOTFOUND;
	return *out ? 0 : BPCI_ENOMEM;
}

/* The first line of a small file; 1 when it does not exist. */
static int read_line(char **out, const char *path, bpci_diag *diag)
{
	char buf[FILE_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot read %s: %s", path, strerror(errno));
	n = read(fd, buf, FILE_MAX);
	close(fd);
	if (n < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot read %s: %s", path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = bpci__strdup(buf);
	return *out ? 0 : BPCI_ENOMEM;
}

static int from_state_dir(bpci_client *cl, const char *dir, int need_url, bpci_diag *diag)
{
	char *path = bpci__asprintf("%s/api.url", dir);
	int rc = path ? 0 : BPCI_ENOMEM;

	if (rc == 0 && need_url) {
		rc = read_line(&cl->url, path, diag);
		if (rc == 1)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "",
					    "no coordinator is running on state directory %s "
					    "(%s does not exist); start one with 'bpi-core "
					    "node-coordinator start --config FILE --state-dir %s'",
					    dir, path, dir);
	}
	bpci__free(path);
	if (rc != 0 || cl->token)
		return rc;
	path = bpci__asprintf("%s/api.token", dir);
	if (!path)
		return BPCI_ENOMEM;
	rc = read_line(&cl->token, path, diag);
	bpci__free(path);
	return rc == 1 ? 0 : rc; /* without a token, reads still work */
}

static int check_url(bpci_client *cl, bpci_diag *diag)
{
	size_t n = strlen(cl->url);

	if (strncmp(cl->url, "http://", 7) != 0 && strncmp(cl->url, "https://", 8) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "url",
				      "must be an http:// or https:// URL, got '%s'", cl->url);
	while (n > 0 && cl->url[n - 1] == '/')
		cl->url[--n] = '\0';
	return 0;
}

int bpci_client_new(bpci_client **out, const bpci_client_options *opts, bpci_diag *diag)
{
	static const bpci_client_options defaults = BPCI_CLIENT_OPTIONS_INIT;
	const bpci_client_options *o = opts ? opts : &defaults;
	bpci_client *cl;
	char *dir = NULL;
	int rc = 0;

	if (!out)
		return BPCI_EINVAL;
	if (o->version != BPCI_CLIENT_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown client options version %u (this library "
				      "knows %u)", o->version, BPCI_CLIENT_OPTIONS_VERSION);
	cl = bpci__calloc(1, sizeof(*cl));
	if (!cl)
		return BPCI_ENOMEM;
	cl->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	if ((o->url && !(cl->url = bpci__strdup(o->url))) ||
	    (o->token && *o->token && !(cl->token = bpci__strdup(o->token))))
		rc = BPCI_ENOMEM;
	if (rc == 0 && o->state_dir && !(dir = bpci__strdup(o->state_dir)))
		rc = BPCI_ENOMEM;
	if (rc == 0 && !dir && !o->url)
		rc = bpci_client_default_state_dir(&dir);
	if (rc == 0 && dir)
		rc = from_state_dir(cl, dir, !o->url, diag);
	if (rc == 0)
		rc = check_url(cl, diag);
	bpci__free(dir);
	if (rc != 0) {
		bpci_client_free(cl);
		return rc;
	}
	*out = cl;
	return 0;
}

void bpci_client_free(bpci_client *cl)
{
	if (!cl)
		return;
	bpci__free(cl->url);
	bpci__free(cl->token);
	bpci__free(cl);
}

const char *bpci_client_url(const bpci_client *cl)
{
	return cl ? cl->url : NULL;
}

/* ---- requests ------------------------------------------------------------ */

char *bpci__client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = bpci__malloc(3 * strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return out;
}

/* Copy the server's problems ("errors", else "error") into @diag. */
static void copy_errors(bpci_diag *diag, int code, const bpci__http_response *resp)
{
	json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
	json_t *errs = json_object_get(doc, "errors"), *e;
	size_t i, added = 0;

	if (!json_is_array(errs) || json_array_size(errs) == 0) {
		errs = NULL;
		e = json_object_get(doc, "error");
		if (json_is_object(e)) {
			const char *f = json_string_value(json_object_get(e, "field"));
			const char *m = json_string_value(json_object_get(e, "message"));

			bpci__diag_add(diag, BPCI_SEVERITY_ERROR, code, f ? f : "", "%s",
				       m ? m : "(no message)");
			added++;
		}
	}
	json_array_foreach(errs, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		const char *m = json_string_value(json_object_get(e, "message"));

		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, code, f ? f : "", "%s", m ? m : "");
		added++;
	}
	if (!added)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, code, "",
			       "the coordinator answered HTTP %ld", resp->status);
	json_decref(doc);
}

/* Transport problems of the inner request, copied as they are. */
static void copy_diag(bpci_diag *to, const bpci_diag *from)
{
	size_t i, n = bpci_diag_count(from);

	for (i = 0; i < n; i++) {
		const bpci_diag_entry *e = bpci_diag_get(from, i);

		bpci__diag_add(to, e->severity, e->code, e->field, "%s", e->message);
	}
}

static int map_failure(const bpci_client *cl, int rc, const bpci__http_response *resp,
		       const bpci_diag *inner, bpci_diag *diag)
{
	if (resp->status == 0 || (resp->status >= 200 && resp->status < 300)) {
		copy_diag(diag, inner); /* transport, or a stream cut midway */
		return rc;
	}
	if (resp->status == 401)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "token",
				      "was refused by the coordinator at %s (%s); give the "
				      "one in its state directory's api.token",
				      cl->url, cl->token ? "wrong token" : "none was sent");
	if (resp->status == 400 || resp->status == 422)
		rc = BPCI_EINVAL;
	copy_errors(diag, rc, resp);
	return rc;
}

int bpci__client_call(bpci_client *cl, const char *method, const char *path,
		      const char *body, size_t len, bpci__http_response *resp,
		      bpci_diag *diag)
{
	bpci__http_client_opts ho = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci_diag *inner = NULL;
	char *url = bpci__asprintf("%s%s", cl->url, path);
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (!url || bpci_diag_new(&inner) != 0) {
		bpci__free(url);
		return BPCI_ENOMEM;
	}
	ho.token = cl->token;
	ho.timeout_ms = cl->timeout_ms;
	rc = bpci__http_request(&ho, method, url, body, len, resp, inner);
	if (rc != 0)
		rc = map_failure(cl, rc, resp, inner, diag);
	bpci_diag_free(inner);
	bpci__free(url);
	return rc;
}

int bpci__client_stream(bpci_client *cl, const char *path, bpci__http_chunk_cb cb,
			void *payload, bpci_diag *diag)
{
	bpci__http_client_opts ho = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response resp = {0};
	bpci_diag *inner = NULL;
	char *url = bpci__asprintf("%s%s", cl->url, path);
	int rc;

	if (!url || bpci_diag_new(&inner) != 0) {
		bpci__free(url);
		return BPCI_ENOMEM;
	}
	ho.token = cl->token;
	rc = bpci__http_stream(&ho, url, &resp, cb, payload, inner);
	/* A non-zero value from @cb comes back as it is, with nothing in inner. */
	if (rc != 0 && (bpci_diag_count(inner) || resp.status >= 300 || resp.status == 0))
		rc = map_failure(cl, rc, &resp, inner, diag);
	bpci__http_response_clear(&resp);
	bpci_diag_free(inner);
	bpci__free(url);
	return rc;
}
