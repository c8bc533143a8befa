/*
 * The shipper: sends a local ledger's entries to a remote mirror
 * (bpci_ledger_serve()) in batches. The mirror holds byte-identical
 * entries at the same positions, so at every size its root must be ours:
 * any difference means one of the two logs was rewritten, and the shipper
 * stops and raises the alarm instead of papering over it.
 *
 * How far the mirror got is kept in a small state file, rewritten
 * atomically after every accepted batch; on start the mirror's own size
 * (GET checkpoint) is authoritative once its root checks out, which also
 * covers a crash between the mirror's answer and the state write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bpci/ledger_server.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "api/ledger_remote.h"
#include "runtime/fsutil.h"
#include "runtime/http_client.h"

#define MAX_BACKOFF_MS 30000u

struct bpci_ledger_shipper {
	bpci_ledger *ledger;
	bpci_ledger_shipper_options o;
	char *endpoint, *token, *state_path, *origin;
	pthread_mutex_t run_mu;  /* one run at a time */
	pthread_mutex_t mu;      /* the fields below */
	pthread_cond_t cv;
	pthread_t thread;
	int started, stop, notified, synced;
	bpci_ledger_ship_stats st;
};

/* ---- the state file ---- */

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int state_save(bpci_ledger_shipper *s, bpci_diag *diag)
{
	json_t *j;
	char *text;
	int rc;

	pthread_mutex_lock(&s->mu);
	j = json_pack("{s:s,s:I,s:b}", "endpoint", s->endpoint, "shipped",
		      (json_int_t)s->st.shipped, "diverged", s->st.diverged);
	pthread_mutex_unlock(&s->mu);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (text == NULL)
		return BPCI_ENOMEM;
	rc = bpci__write_file_atomic(s->state_path, text, strlen(text), 0644, diag);
	free(text);
	return rc;
}

static int state_load(bpci_ledger_shipper *s, bpci_diag *diag)
{
	json_error_t err;
	json_t *j = json_load_file(s->state_path, 0, &err), *sh, *dv;

	if (j == NULL) {
		FILE *f = fopen(s->state_path, "re");

		if (f == NULL && errno == ENOENT)
			return 0;
		if (f)
			fclose(f);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "state",
				      "%s is damaged: %s", s->state_path, err.text);
	}
	sh = json_object_get(j, "shipped");
	dv = json_object_get(j, "diverged");
	if (!json_is_integer(sh) || json_integer_value(sh) < 0 || !json_is_boolean(dv)) {
		json_decref(j);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "state",
				      "%s needs shipped (integer >= 0) and diverged (boolean)",
				      s->state_path);
	}
	s->st.shipped = (uint64_t)json_integer_value(sh);
	s->st.diverged = json_is_true(dv);
	json_decref(j);
	return 0;
}

/* ---- construction ---- */

static int check_options(const bpci_ledger_shipper_options *o, bpci_diag *diag)
{
	if (o->version != BPCI_LEDGER_SHIPPER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "must be BPCI_LEDGER_SHIPPER_OPTIONS_VERSION (%d), got %u",
				      BPCI_LEDGER_SHIPPER_OPTIONS_VERSION, o->version);
	if (o->endpoint == NULL || (strncmp(o->endpoint, "http://", 7) != 0 &&
				    strncmp(o->endpoint, "https://", 8) != 0))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "endpoint",
				      "must be an http:// or https:// URL, got \"%.100s\"",
				      o->endpoint ? o->endpoint : "(null)");
	if (o->batch < 1 || o->batch > 10000)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "batch",
				      "must be 1..10000, got %u", o->batch);
	if (o->flush_ms < 1 || o->flush_ms > 3600000)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "flush_ms",
				      "must be 1..3600000, got %u", o->flush_ms);
	if (o->retries > 100)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "retries",
				      "must be 0..100, got %u", o->retries);
	return 0;
}

/* The local origin: the verifier key is "<origin>+<key id>+<key>". */
static int local_origin(bpci_ledger_shipper *s)
{
	char *vkey = NULL, *plus;
	int rc = bpci_ledger_public_key(&vkey, NULL, s->ledger);

	if (rc < 0)
		return rc;
	if ((plus = strchr(vkey, '+')) != NULL)
		*plus = '\0';
	s->origin = bpci__strdup(vkey);
	bpci_free(vkey);
	return s->origin ? 0 : BPCI_ENOMEM;
}

int bpci_ledger_shipper_new(bpci_ledger_shipper **out, bpci_ledger *ledger, const char *ledger_dir,
			    const bpci_ledger_shipper_options *options, bpci_diag *diag)
{
	bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	bpci_ledger_shipper *s;
	size_t el;
	int rc;

	*out = NULL;
	if (options)
		o = *options;
	if (ledger == NULL || ledger_dir == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "and its directory are required");
	if ((rc = check_options(&o, diag)) < 0)
		return rc;
	if ((s = bpci__calloc(1, sizeof(*s))) == NULL)
		return BPCI_ENOMEM;
	s->ledger = ledger;
	s->o = o;
	s->st.version = BPCI_LEDGER_SHIP_STATS_VERSION;
	s->endpoint = bpci__strdup(o.endpoint);
	s->token = o.token ? bpci__strdup(o.token) : NULL;
	rc = (s->endpoint && (s->token || !o.token)) ? 0 : BPCI_ENOMEM;
	if (rc == 0) {
		el = strlen(s->endpoint);
		while (el > 0 && s->endpoint[el - 1] == '/')
			s->endpoint[--el] = '\0';
		s->state_path = bpci__asprintf("%s/ship-%08x.state", ledger_dir,
					       fnv1a(s->endpoint));
		rc = s->state_path ? 0 : BPCI_ENOMEM;
	}
	pthread_mutex_init(&s->run_mu, NULL);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (rc == 0)
		rc = local_origin(s);
	if (rc == 0)
		rc = state_load(s, diag);
	if (rc < 0) {
		bpci_ledger_shipper_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- talking to the mirror ---- */

/* Sleeps @ms unless the shipper is being stopped; 1 when stopped. */
static int nap(bpci_ledger_shipper *s, unsigned int ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&s->mu);
	while (!s->stop)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
			break;
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void count_failure(bpci_ledger_shipper *s)
{
	pthread_mutex_lock(&s->mu);
	s->st.failures++;
	pthread_mutex_unlock(&s->mu);
}

/*
 * One request with retries for what may pass (the mirror down or busy);
 * a 409 is an answer, not a failure: it comes back as BPCI_EEXISTS with
 * @resp filled. 401/403 become BPCI_EINVAL ("refused").
 */
static int request(bpci_ledger_shipper *s, const char *method, const char *path,
		   const char *body, bpci__http_response *resp, bpci_diag *diag)
{
	bpci__http_client_opts co = BPCI__HTTP_CLIENT_OPTS_INIT;
	char *url = bpci__asprintf("%s%s", s->endpoint, path);
	unsigned int attempt, delay = s->o.backoff_ms ? s->o.backoff_ms : 200;
	int rc = BPCI_ENOMEM;

	co.token = s->token;
	co.timeout_ms = s->o.timeout_ms;
	for (attempt = 0; url; attempt++) {
		bpci_diag *d = NULL;

		bpci_diag_new(&d);
		rc = bpci__http_request(&co, method, url, body, body ? strlen(body) : 0, resp, d);
		if (rc == 0 || resp->status == 409) {
			bpci_diag_free(d);
			rc = rc == 0 ? 0 : BPCI_EEXISTS;
			break;
		}
		count_failure(s);
		if (resp->status == 401 || resp->status == 403) {
			bpci_diag_free(d);
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "token",
					    "the mirror %s refused the request (HTTP %ld): wrong "
					    "or missing bearer token", s->endpoint, resp->status);
			break;
		}
		if ((rc != BPCI_EUNREACHABLE && rc != BPCI_EBUSY && resp->status < 500) ||
		    attempt >= s->o.retries || nap(s, delay)) {
			if (d && bpci_diag_count(d) > 0)
				bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "endpoint", "%s",
					       bpci_diag_last_text(d));
			bpci_diag_free(d);
			break;
		}
		bpci_diag_free(d);
		bpci__http_response_clear(resp);
		delay = delay * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : delay * 2;
	}
	bpci__free(url);
	return rc;
}

/* {"size":N,"root":hex} of a mirror's answer. */
static int parse_head(const bpci__http_response *resp, uint64_t *size, uint8_t root[32],
		      const char **code)
{
	json_t *j = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
	json_t *sz = json_object_get(j, "size");
	const char *rh = json_string_value(json_object_get(j, "root"));
	static const char *const codes[] = {"root_mismatch", "diverged", "wrong_origin",
					    "out_of_order"};
	const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	size_t i;
	int rc = BPCI_EPARSE;

	*code = NULL;
	for (i = 0; c && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(c, codes[i]) == 0)
			*code = codes[i];
	if (json_is_integer(sz) && json_integer_value(sz) >= 0 && rh &&
	    bpci__unhex(root, 32, rh) == 0) {
		*size = (uint64_t)json_integer_value(sz);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/* ---- the alarm ---- */

static int diverge(bpci_ledger_shipper *s, uint64_t rsize, const uint8_t rroot[32],
		   const char *why, bpci_diag *diag)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	char rh[65], *details = NULL;
	json_t *j;

	pthread_mutex_lock(&s->mu);
	s->st.diverged = 1;
	pthread_mutex_unlock(&s->mu);
	state_save(s, NULL);
	bpci__hex(rh, rroot, 32);
	j = json_pack("{s:s,s:s,s:I,s:s}", "endpoint", s->endpoint, "remote_root", rh,
		      "remote_size", (json_int_t)rsize, "reason", why);
	if (j)
		details = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ev.type = "audit.divergence";
	ev.actor = "bpci-shipper";
	ev.subject = s->endpoint;
	ev.details_json = details;
	/* Best effort: a read-only handle refuses, and the alarm stands anyway. */
	if (details)
		bpci_ledger_append(NULL, s->ledger, &ev, NULL);
	free(details);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
			      "the mirror %s diverged from the local ledger: %s (mirror size "
			      "%llu, root %s); shipping stopped until an operator acts",
			      s->endpoint, why, (unsigned long long)rsize, rh);
}

/* The mirror's tree of @rsize entries must be our prefix. */
static int check_prefix(bpci_ledger_shipper *s, uint64_t rsize, const uint8_t rroot[32],
			bpci_diag *diag)
{
	uint8_t mine[32];
	uint64_t local = bpci_ledger_size(s->ledger);
	int rc;

	if (rsize > local)
		return diverge(s, rsize, rroot, "the mirror holds more entries than the "
						 "local ledger", diag);
	if ((rc = bpci_ledger_root(mine, s->ledger, rsize)) < 0)
		return rc;
	if (memcmp(mine, rroot, 32) != 0)
		return diverge(s, rsize, rroot, "its root differs from the local root at "
						 "that size", diag);
	return 0;
}

/* Learns the mirror's size and checks its tree (GET checkpoint). */
static int sync_head(bpci_ledger_shipper *s, bpci_diag *diag)
{
	bpci__http_response resp = {0, NULL, 0, NULL};
	uint8_t root[32];
	uint64_t size = 0;
	const char *code;
	int rc = request(s, "GET", "/api/ledger/checkpoint", NULL, &resp, diag);

	if (rc == 0 && parse_head(&resp, &size, root, &code) < 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "endpoint",
				    "%s answered GET /api/ledger/checkpoint without size and "
				    "root", s->endpoint);
	bpci__http_response_clear(&resp);
	if (rc == 0)
		rc = check_prefix(s, size, root, diag);
	if (rc == 0) {
		pthread_mutex_lock(&s->mu);
		s->st.shipped = size;
		s->synced = 1;
		pthread_mutex_unlock(&s->mu);
		rc = state_save(s, diag);
	}
	return rc;
}

static char *batch_body(bpci_ledger_shipper *s, uint64_t from, uint64_t n)
{
	json_t *arr = json_array(), *j;
	uint8_t root[32];
	char hex[65], *text = NULL;
	uint64_t i;

	for (i = 0; arr && i < n; i++) {
		char *e = NULL;
		size_t len = 0;

		if (bpci_ledger_get(&e, &len, s->ledger, from + i, NULL) < 0) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_stringn(e, len));
		bpci_free(e);
	}
	if (arr == NULL || bpci_ledger_root(root, s->ledger, from + n) < 0) {
		json_decref(arr);
		return NULL;
	}
	bpci__hex(hex, root, 32);
	j = json_pack("{s:s,s:I,s:I,s:s,s:o}", "origin", s->origin, "from", (json_int_t)from,
		      "size", (json_int_t)(from + n), "root", hex, "entries", arr);
	if (j)
		text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

/* POSTs entries [from, from+n); 1 when the mirror wants a resync. */
static int ship_batch(bpci_ledger_shipper *s, uint64_t from, uint64_t n, bpci_diag *diag)
{
	bpci__http_response resp = {0, NULL, 0, NULL};
	char *body = batch_body(s, from, n);
	uint8_t root[32];
	uint64_t size = 0;
	const char *code = NULL;
	int rc;

	if (body == NULL)
		return BPCI_ENOMEM;
	rc = request(s, "POST", "/api/ledger/entries", body, &resp, diag);
	free(body);
	if ((rc == 0 || rc == BPCI_EEXISTS) && parse_head(&resp, &size, root, &code) < 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "endpoint",
				    "%s answered a batch without size and root", s->endpoint);
	bpci__http_response_clear(&resp);
	if (rc == BPCI_EEXISTS) {
		if (code && (!strcmp(code, "root_mismatch") || !strcmp(code, "diverged")))
			return diverge(s, size, root, "the mirror refused the batch's root",
				       diag);
		if (code && !strcmp(code, "wrong_origin"))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "endpoint",
					      "%s mirrors another origin than \"%s\"",
					      s->endpoint, s->origin);
		return 1;
	}
	if (rc < 0)
		return rc;
	if (size != from + n)
		return diverge(s, size, root, "the mirror's size after the batch is not the "
					      "batch's end", diag);
	if ((rc = check_prefix(s, size, root, diag)) < 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	s->st.shipped = size;
	s->st.batches++;
	pthread_mutex_unlock(&s->mu);
	return state_save(s, diag);
}

static int run(bpci_ledger_shipper *s, bpci_diag *diag)
{
	uint64_t local, shipped;
	int rc, resyncs = 0;

	if (s->st.diverged)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "",
				      "the mirror %s diverged earlier; shipping stays stopped "
				      "until an operator removes %s", s->endpoint, s->state_path);
	if ((rc = bpci_ledger_refresh(s->ledger, diag)) < 0)
		return rc;
	local = bpci_ledger_size(s->ledger);
	pthread_mutex_lock(&s->mu);
	s->st.local_size = local;
	pthread_mutex_unlock(&s->mu);
	if (!s->synced && (rc = sync_head(s, diag)) < 0)
		return rc;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		shipped = s->st.shipped;
		pthread_mutex_unlock(&s->mu);
		if (shipped >= local)
			return 0;
		rc = ship_batch(s, shipped,
				local - shipped < s->o.batch ? local - shipped : s->o.batch, diag);
		if (rc == 1) {
			s->synced = 0;
			if (++resyncs > 3 || (rc = sync_head(s, diag)) < 0)
				return rc < 0 ? rc : BPCI_ERROR;
			continue;
		}
		if (rc < 0)
			return rc;
	}
}

int bpci_ledger_shipper_run_once(bpci_ledger_shipper *s, bpci_diag *diag)
{
	int rc;

	if (s == NULL)
		return BPCI_EINVAL;
	pthread_mutex_lock(&s->run_mu);
	rc = run(s, diag);
	pthread_mutex_unlock(&s->run_mu);
	pthread_mutex_lock(&s->mu);
	s->st.last_error = rc;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the background thread ---- */

static void *ship_thread(void *arg)
{
	bpci_ledger_shipper *s = arg;
	struct timespec ts;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(s->o.flush_ms % 1000) * 1000000L;
		ts.tv_sec += s->o.flush_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		/* After divergence only a stop matters: wait without a timer. */
		while (!s->stop && s->st.diverged)
			pthread_cond_wait(&s->cv, &s->mu);
		while (!s->stop && !s->notified)
			if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
				break;
		s->notified = 0;
		if (s->stop) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		pthread_mutex_unlock(&s->mu);
		bpci_ledger_shipper_run_once(s, NULL);
	}
}

int bpci_ledger_shipper_start(bpci_ledger_shipper *s, bpci_diag *diag)
{
	if (s == NULL)
		return BPCI_EINVAL;
	if (s->started)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "shipper",
				      "is already started");
	if (pthread_create(&s->thread, NULL, ship_thread, s) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ERROR, "shipper",
				      "cannot start its thread");
	s->started = 1;
	return 0;
}

void bpci_ledger_shipper_notify(bpci_ledger_shipper *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->notified = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int bpci_ledger_shipper_stats(bpci_ledger_ship_stats *out, bpci_ledger_shipper *s)
{
	if (out == NULL || s == NULL || out->version != BPCI_LEDGER_SHIP_STATS_VERSION)
		return BPCI_EINVAL;
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void bpci_ledger_shipper_free(bpci_ledger_shipper *s)
{
	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->run_mu);
	bpci__free(s->endpoint);
	bpci__free(s->token);
	bpci__free(s->state_path);
	bpci__free(s->origin);
	bpci__free(s);
}
