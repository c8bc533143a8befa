/*
 * bpci_ledger_serve(): a ledger served over HTTP as a verified mirror.
 * The mirror stores the sender's entries byte for byte at the same
 * positions, so its tree must have the sender's root at every size; a
 * batch is checked for its place (it starts at the mirror's size), its
 * entries (canonical, seq = position) and, once appended, its root.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bpci/ledger_server.h"
#include "bpci/merkle.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"
#include "api/ledger_remote.h"
#include "runtime/fsutil.h"
#include "runtime/token.h"
#include "runtime/http_server.h"

#define MAX_PROOF 128 /* hashes: enough for 2^64 leaves */
#define MAX_GET_COUNT 1000

typedef struct server {
	bpci_ledger *ledger;
	char *dir;
	char *origin;      /* the origin mirrored, or NULL before the first batch */
	int diverged;
	struct event_base *base;
} server;

static char *path_in(const char *dir, const char *name)
{
	return bpci__asprintf("%s/%s", dir, name);
}

/* {"size":N,"root":hex,"checkpoint":note}: signs a new checkpoint when the
 * tree grew. */
static json_t *head_json(server *sv)
{
	char hex[65], *note = NULL;
	uint8_t root[32];
	uint64_t size = bpci_ledger_size(sv->ledger);
	json_t *j;

	if (bpci_ledger_root(root, sv->ledger, size) < 0)
		return NULL;
	bpci__hex(hex, root, 32);
	if (size > 0 && bpci_ledger_checkpoint(&note, sv->ledger, NULL) < 0)
		note = NULL;
	j = json_pack("{s:I,s:s,s:s?,s:b}", "size", (json_int_t)size, "root", hex,
		      "checkpoint", note, "diverged", sv->diverged);
	bpci__free(note);
	return j;
}

static void reply_conflict(bpci__http_req *req, server *sv, const char *code, const char *msg)
{
	json_t *j = head_json(sv);

	if (j == NULL) {
		bpci__http_reply_error(req, 500, "internal", "cannot read the tree", NULL);
		return;
	}
	json_object_set_new(j, "error", json_pack("{s:s,s:s}", "code", code, "message", msg));
	bpci__http_reply_json(req, 409, j);
}

static int mark_diverged(server *sv)
{
	char *p = path_in(sv->dir, "mirror-diverged");
	int rc;

	sv->diverged = 1;
	if (p == NULL)
		return BPCI_ENOMEM;
	rc = bpci__write_file_atomic(p, "diverged\n", 9, 0644, NULL);
	bpci__free(p);
	return rc;
}

static int adopt_origin(server *sv, const char *origin)
{
	char *p, *text;
	int rc;

	if (sv->origin)
		return strcmp(sv->origin, origin) == 0 ? 0 : BPCI_EINVAL;
	p = path_in(sv->dir, "mirror-origin");
	text = bpci__asprintf("%s\n", origin);
	rc = (p && text) ? bpci__write_file_atomic(p, text, strlen(text), 0644, NULL) : BPCI_ENOMEM;
	if (rc == 0 && (sv->origin = bpci__strdup(origin)) == NULL)
		rc = BPCI_ENOMEM;
	bpci__free(p);
	bpci__free(text);
	return rc;
}

/* Validates the batch's shape and collects its entries. */
static int batch_parse(json_t *body, bpci__raw_batch *raw, const char ***data, size_t **lens,
		       size_t *n, uint8_t root[32], uint64_t *size, const char **origin,
		       char *why, size_t whylen)
{
	json_t *ents = json_object_get(body, "entries"), *f = json_object_get(body, "from");
	json_t *sz = json_object_get(body, "size"), *o = json_object_get(body, "origin");
	const char *rh = json_string_value(json_object_get(body, "root"));
	size_t i;

	if (!json_is_array(ents) || !json_is_integer(f) || json_integer_value(f) < 0 ||
	    !json_is_integer(sz) || !json_is_string(o) || !rh) {
		snprintf(why, whylen, "the batch needs origin (string), from and size "
				      "(integers >= 0), root (hex) and entries (array of strings)");
		return BPCI_EINVAL;
	}
	if (bpci__unhex(root, 32, rh) < 0) {
		snprintf(why, whylen, "root must be 64 hex digits, got \"%.80s\"", rh);
		return BPCI_EINVAL;
	}
	*n = json_array_size(ents);
	raw->first = (uint64_t)json_integer_value(f);
	*size = (uint64_t)json_integer_value(sz);
	*origin = json_string_value(o);
	if (*size != raw->first + *n) {
		snprintf(why, whylen, "size must be from + number of entries (%llu), got %llu",
			 (unsigned long long)(raw->first + *n), (unsigned long long)*size);
		return BPCI_EINVAL;
	}
	*data = bpci__calloc(*n + 1, sizeof(**data));
	*lens = bpci__calloc(*n + 1, sizeof(**lens));
	if (!*data || !*lens)
		return BPCI_ENOMEM;
	for (i = 0; i < *n; i++) {
		json_t *e = json_array_get(ents, i);

		if (!json_is_string(e)) {
			snprintf(why, whylen, "entries[%zu] must be a string", i);
			return BPCI_EINVAL;
		}
		(*data)[i] = json_string_value(e);
		(*lens)[i] = json_string_length(e);
	}
	raw->data = *data;
	raw->lens = *lens;
	return 0;
}

/* 0 when the mirror's tree plus the batch has root @want, 1 when not. */
static int root_matches(server *sv, const bpci__raw_batch *raw, size_t n,
			const uint8_t want[32])
{
	uint8_t *leaves = bpci__malloc(n ? n * 32 : 1), got[32];
	size_t i;
	int rc;

	if (leaves == NULL)
		return BPCI_ENOMEM;
	for (i = 0; i < n; i++)
		bpci_merkle_leaf_hash(leaves + 32 * i, raw->data[i], raw->lens[i]);
	rc = bpci__ledger_root_after(sv->ledger, raw->first, leaves, n, got);
	bpci__free(leaves);
	if (rc < 0)
		return rc;
	return memcmp(got, want, 32) != 0;
}

static void append_batch(server *sv, bpci__http_req *req, json_t *body)
{
	bpci__raw_batch raw = {0, NULL, NULL};
	const char **data = NULL, *origin = NULL;
	size_t *lens = NULL, n = 0;
	uint8_t want[32], got[32];
	uint64_t size = 0;
	char why[256] = "";
	bpci_diag *d = NULL;
	int rc;

	rc = batch_parse(body, &raw, &data, &lens, &n, want, &size, &origin, why, sizeof(why));
	if (rc < 0) {
		bpci__http_reply_error(req, rc == BPCI_ENOMEM ? 500 : 400, "bad_request", why,
				       NULL);
		goto out;
	}
	if (sv->diverged) {
		reply_conflict(req, sv, "diverged", "this mirror diverged from its origin");
		goto out;
	}
	if (adopt_origin(sv, origin) < 0) {
		snprintf(why, sizeof(why), "this mirror follows origin \"%s\", got \"%.80s\"",
			 sv->origin ? sv->origin : "?", origin);
		reply_conflict(req, sv, "wrong_origin", why);
		goto out;
	}
	if (raw.first != bpci_ledger_size(sv->ledger)) {
		snprintf(why, sizeof(why), "the batch starts at %llu but the mirror holds %llu",
			 (unsigned long long)raw.first,
			 (unsigned long long)bpci_ledger_size(sv->ledger));
		reply_conflict(req, sv, "out_of_order", why);
		goto out;
	}
	if ((rc = root_matches(sv, &raw, n, want)) != 0) {
		if (rc < 0)
			bpci__http_reply_error(req, 500, "internal", bpci_strerror(rc), NULL);
		else
			reply_conflict(req, sv, "root_mismatch",
				       "the sender's root is not the root of this mirror's "
				       "entries followed by the batch; nothing appended");
		goto out;
	}
	bpci_diag_new(&d);
	rc = bpci__ledger_append_raw(sv->ledger, &raw, n, d);
	if (rc == BPCI_EEXISTS) {
		reply_conflict(req, sv, "out_of_order", "the mirror's size changed");
		goto out;
	}
	if (rc < 0) {
		bpci__http_reply_error(req, rc == BPCI_EIO || rc == BPCI_ENOMEM ? 500 : 400,
				       "bad_entries", d ? bpci_diag_last_text(d) : bpci_strerror(rc),
				       "entries");
		goto out;
	}
	if (bpci_ledger_root(got, sv->ledger, size) < 0 || memcmp(got, want, 32) != 0) {
		mark_diverged(sv);
		reply_conflict(req, sv, "root_mismatch",
			       "the mirror's root after the batch differs from the sender's");
		goto out;
	}
	bpci__http_reply_json(req, 200, head_json(sv));
out:
	bpci_diag_free(d);
	bpci__free(data);
	bpci__free(lens);
}

static void on_post_entries(bpci__http_req *req, void *payload)
{
	size_t len = 0;
	const char *text = bpci__http_req_body(req, &len);
	json_error_t err;
	json_t *body = json_loadb(text, len, 0, &err);

	if (!json_is_object(body)) {
		json_decref(body);
		bpci__http_reply_error(req, 400, "bad_request",
				       "the body must be a JSON object (a batch)", NULL);
		return;
	}
	append_batch(payload, req, body);
	json_decref(body);
}

static void on_checkpoint(bpci__http_req *req, void *payload)
{
	bpci__http_reply_json(req, 200, head_json(payload));
}

static void on_healthz(bpci__http_req *req, void *payload)
{
	server *sv = payload;

	bpci__http_reply_json(req, 200, json_pack("{s:s,s:I}", "status", "ok", "size",
						  (json_int_t)bpci_ledger_size(sv->ledger)));
}

/* A query parameter that must be a decimal number. */
static int query_u64(bpci__http_req *req, const char *name, uint64_t *out, int required)
{
	const char *v = bpci__http_req_query(req, name);
	char msg[160];

	if (v == NULL && !required)
		return 0;
	if (v == NULL || bpci__parse_u64(out, v) < 0) {
		snprintf(msg, sizeof(msg), "%s must be a decimal number, got \"%.60s\"", name,
			 v ? v : "(missing)");
		bpci__http_reply_error(req, 400, "bad_request", msg, name);
		return -1;
	}
	return 0;
}

static void on_get_entries(bpci__http_req *req, void *payload)
{
	server *sv = payload;
	uint64_t from = 0, count = 100, i, size = bpci_ledger_size(sv->ledger);
	json_t *arr, *j;

	if (query_u64(req, "from", &from, 0) < 0 || query_u64(req, "count", &count, 0) < 0)
		return;
	if (count > MAX_GET_COUNT)
		count = MAX_GET_COUNT;
	arr = json_array();
	for (i = from; arr && i < size && i - from < count; i++) {
		char *e = NULL;
		size_t len = 0;

		if (bpci_ledger_get(&e, &len, sv->ledger, i, NULL) < 0) {
			json_decref(arr);
			bpci__http_reply_error(req, 500, "internal", "cannot read an entry", NULL);
			return;
		}
		json_array_append_new(arr, json_stringn(e, len));
		bpci_free(e);
	}
	j = json_pack("{s:I,s:I,s:o}", "from", (json_int_t)from, "size", (json_int_t)size,
		      "entries", arr);
	bpci__http_reply_json(req, 200, j);
}

static json_t *path_json(const uint8_t *path, size_t n)
{
	json_t *arr = json_array();
	char hex[65];
	size_t i;

	for (i = 0; arr && i < n; i++) {
		bpci__hex(hex, path + i * 32, 32);
		json_array_append_new(arr, json_string(hex));
	}
	return arr;
}

static void reply_proof(bpci__http_req *req, int rc, json_t *j)
{
	if (rc == BPCI_EINVAL) {
		json_decref(j);
		bpci__http_reply_error(req, 400, "bad_request",
				       "the sizes or index are outside the tree", NULL);
		return;
	}
	if (rc < 0) {
		json_decref(j);
		bpci__http_reply_error(req, 500, "internal", bpci_strerror(rc), NULL);
		return;
	}
	bpci__http_reply_json(req, 200, j);
}

static void on_inclusion(bpci__http_req *req, void *payload)
{
	server *sv = payload;
	uint8_t path[MAX_PROOF * 32], leaf[32], root[32];
	uint64_t index = 0, size = bpci_ledger_size(sv->ledger);
	size_t n = MAX_PROOF;
	char lh[65], rh[65];
	int rc;

	if (query_u64(req, "index", &index, 1) < 0 || query_u64(req, "size", &size, 0) < 0)
		return;
	rc = bpci_ledger_inclusion_proof(path, &n, sv->ledger, index, size);
	if (rc == 0)
		rc = bpci_ledger_leaf_hash(leaf, sv->ledger, index);
	if (rc == 0)
		rc = bpci_ledger_root(root, sv->ledger, size);
	if (rc < 0) {
		reply_proof(req, rc == BPCI_ENOTFOUND ? BPCI_EINVAL : rc, NULL);
		return;
	}
	bpci__hex(lh, leaf, 32);
	bpci__hex(rh, root, 32);
	reply_proof(req, 0, json_pack("{s:I,s:I,s:s,s:s,s:o}", "index", (json_int_t)index,
				      "size", (json_int_t)size, "leaf_hash", lh, "root", rh,
				      "path", path_json(path, n)));
}

static void on_consistency(bpci__http_req *req, void *payload)
{
	server *sv = payload;
	uint8_t path[MAX_PROOF * 32], r1[32], r2[32];
	uint64_t from = 0, to = 0;
	size_t n = MAX_PROOF;
	char h1[65], h2[65];
	int rc;

	if (query_u64(req, "from", &from, 1) < 0 || query_u64(req, "to", &to, 1) < 0)
		return;
	rc = bpci_ledger_consistency_proof(path, &n, sv->ledger, from, to);
	if (rc == 0)
		rc = bpci_ledger_root(r1, sv->ledger, from);
	if (rc == 0)
		rc = bpci_ledger_root(r2, sv->ledger, to);
	if (rc < 0) {
		reply_proof(req, rc, NULL);
		return;
	}
	bpci__hex(h1, r1, 32);
	bpci__hex(h2, r2, 32);
	reply_proof(req, 0, json_pack("{s:I,s:I,s:s,s:s,s:o}", "from", (json_int_t)from, "to",
				      (json_int_t)to, "root_from", h1, "root_to", h2, "path",
				      path_json(path, n)));
}

static void on_signal(evutil_socket_t sig, short what, void *payload)
{
	(void)sig;
	(void)what;
	event_base_loopexit(payload, NULL);
}

/* Reads mirror-origin and mirror-diverged, left by an earlier run. */
static int load_mirror_state(server *sv)
{
	char *p = path_in(sv->dir, "mirror-origin"), line[300];
	FILE *f;

	if (p == NULL)
		return BPCI_ENOMEM;
	if ((f = fopen(p, "re")) != NULL) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			sv->origin = bpci__strdup(line);
		}
		fclose(f);
	}
	bpci__free(p);
	if ((p = path_in(sv->dir, "mirror-diverged")) == NULL)
		return BPCI_ENOMEM;
	sv->diverged = access(p, F_OK) == 0;
	bpci__free(p);
	return 0;
}

static int add_routes(bpci__http_server *srv, server *sv)
{
	int rc = 0;

	rc |= bpci__http_route(srv, "POST", "/api/ledger/entries", on_post_entries, sv);
	rc |= bpci__http_route(srv, "GET", "/api/ledger/entries", on_get_entries, sv);
	rc |= bpci__http_route(srv, "GET", "/api/ledger/checkpoint", on_checkpoint, sv);
	rc |= bpci__http_route(srv, "GET", "/api/ledger/proof/inclusion", on_inclusion, sv);
	rc |= bpci__http_route(srv, "GET", "/api/ledger/proof/consistency", on_consistency, sv);
	rc |= bpci__http_route(srv, "GET", "/healthz", on_healthz, sv);
	return rc ? BPCI_ENOMEM : 0;
}

static int run(server *sv, const bpci_ledger_serve_options *o, const char *token,
	       bpci_diag *diag)
{
	bpci__http_server_opts ho = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci__http_server *srv = NULL;
	struct event *term = NULL, *intr = NULL;
	int rc;

	ho.listen = o->listen ? o->listen : "127.0.0.1:8090";
	ho.max_body = o->max_body ? o->max_body : (size_t)64 << 20;
	ho.token = token;
	if ((sv->base = event_base_new()) == NULL)
		return BPCI_ENOMEM;
	rc = bpci__http_server_new(&srv, sv->base, &ho, diag);
	if (rc == 0)
		rc = add_routes(srv, sv);
	if (rc == 0) {
		term = evsignal_new(sv->base, SIGTERM, on_signal, sv->base);
		intr = evsignal_new(sv->base, SIGINT, on_signal, sv->base);
		if (!term || !intr || event_add(term, NULL) < 0 || event_add(intr, NULL) < 0)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "signals",
					    "cannot watch SIGTERM and SIGINT");
	}
	if (rc == 0) {
		if (o->ready)
			o->ready(bpci__http_server_url(srv), o->ready_payload);
		if (event_base_dispatch(sv->base) < 0)
			rc = BPCI_EIO;
	}
	if (term)
		event_free(term);
	if (intr)
		event_free(intr);
	bpci__http_server_free(srv);
	event_base_free(sv->base);
	return rc;
}

int bpci_ledger_serve(const char *ledger_dir, const bpci_ledger_serve_options *options,
		      bpci_diag *diag)
{
	bpci_ledger_serve_options o = BPCI_LEDGER_SERVE_OPTIONS_INIT;
	server sv;
	char *token = NULL, *tfile = NULL;
	int rc;

	if (options)
		o = *options;
	if (ledger_dir == NULL || o.version != BPCI_LEDGER_SERVE_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "options",
				      "need a ledger directory and version %d",
				      BPCI_LEDGER_SERVE_OPTIONS_VERSION);
	memset(&sv, 0, sizeof(sv));
	if (mkdir(ledger_dir, 0755) < 0 && errno != EEXIST)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "ledger", "%s: %s",
				      ledger_dir, strerror(errno));
	if ((sv.dir = bpci__strdup(ledger_dir)) == NULL)
		return BPCI_ENOMEM;
	tfile = o.token_file ? bpci__strdup(o.token_file) : path_in(ledger_dir, "api-token");
	rc = tfile ? 0 : BPCI_ENOMEM;
	if (rc == 0)
		rc = bpci_ledger_open(&sv.ledger, ledger_dir, NULL, diag);
	if (rc == 0)
		rc = load_mirror_state(&sv);
	if (rc == 0)
		rc = bpci__token_load(&token, tfile, "token_file", diag);
	if (rc == 0)
		rc = run(&sv, &o, token, diag);
	bpci_ledger_free(sv.ledger);
	bpci__free(sv.dir);
	bpci__free(sv.origin);
	bpci__free(token);
	bpci__free(tfile);
	return rc;
}
