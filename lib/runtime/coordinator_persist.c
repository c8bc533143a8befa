/*
 * DIR/coordinator.json: what a new coordinator needs to take over.
 *
 * {"version":1,"next_seq":N,"nodes":[{"id","seq","spec":{...},"endpoint",
 *  "port","from_config","remove_on_exit","state","pid","start_time",
 *  "restarts","last_exit_code","last_exit_signal","last_exit_ms",
 *  "started_ms","last_heartbeat_ms","start_latency_ms","failure_reason",
 *  "status_text"}]}
 *
 * Written whole and atomically (temporary file, rename) after each change,
 * from per-node entries cached as text (node_frag below):
 * synchronously and durably (fsync'ed, fsutil) before an API call
 * returns; otherwise once at the end of the loop iteration that made
 * changes (spawns included: see coordinator_orphans.c), without fsync.
 * The fsync only matters across a power loss, which no node process
 * survives either: what must survive it are the specs, and those change only through the API. A
 * killed coordinator loses nothing that reached rename().
 * Loading is all or nothing: a file that does not parse, or a node entry
 * that does not, refuses the whole start and leaves the file as it is.
 */
#include "runtime/coordinator_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/fsutil.h"

/* The entry's inputs, as they are now; strings are borrowed. */
static void frag_key_now(bpci__cfrag_key *k, const bpci__cnode *n)
{
	memset(k, 0, sizeof(*k));
	k->seq = n->seq;
	k->start_time = n->proc ? bpci__proc_started(n->proc) : 0;
	k->start_latency_ms = n->start_latency_ms;
	k->last_exit_ms = n->last_exit_ms;
	k->last_heartbeat_ms = n->last_heartbeat_ms;
	k->started_ms = n->started_ms;
	k->pid = n->proc ? (long)bpci__proc_pid(n->proc) : 0;
	k->state = (int)n->state;
	k->port = (int)n->port;
	k->from_config = n->from_config;
	k->remove_on_exit = n->remove_on_exit;
	k->last_exit_code = n->last_exit_code;
	k->last_exit_signal = n->last_exit_signal;
	k->restarts = n->restarts;
	k->endpoint = n->endpoint ? n->endpoint : "";
	k->failure_reason = n->failure_reason ? n->failure_reason : "";
	k->status_text = n->status_text ? n->status_text : "";
}

static int frag_key_same(const bpci__cfrag_key *a, const bpci__cfrag_key *b)
{
	return a->seq == b->seq && a->start_time == b->start_time &&
	       a->start_latency_ms == b->start_latency_ms && a->last_exit_ms == b->last_exit_ms &&
	       a->last_heartbeat_ms == b->last_heartbeat_ms && a->started_ms == b->started_ms &&
	       a->pid == b->pid && a->state == b->state && a->port == b->port &&
	       a->from_config == b->from_config && a->remove_on_exit == b->remove_on_exit &&
	       a->last_exit_code == b->last_exit_code &&
	       a->last_exit_signal == b->last_exit_signal && a->restarts == b->restarts &&
	       strcmp(a->endpoint, b->endpoint) == 0 &&
	       strcmp(a->failure_reason, b->failure_reason) == 0 &&
	       strcmp(a->status_text, b->status_text) == 0;
}

static void frag_key_clear(bpci__cfrag_key *k)
{
	bpci__free(k->endpoint);
	bpci__free(k->failure_reason);
	bpci__free(k->status_text);
	memset(k, 0, sizeof(*k));
}

void bpci__coord_frag_free(bpci__cnode *n)
{
	bpci__free(n->spec_text);
	bpci__free(n->frag);
	frag_key_clear(&n->frag_key);
	n->spec_text = n->frag = NULL;
	n->frag_len = 0;
}

/* "{...dynamic fields...}" of @k, compact, keys sorted; free() it. */
static char *dynamic_json(const bpci__cfrag_key *k, const char *id)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:i, s:b, s:b, s:s, s:i, s:I, s:i, s:i, s:i,"
			      " s:I, s:I, s:I, s:I, s:s, s:s}",
			      "id", id, "seq", (json_int_t)k->seq, "endpoint", k->endpoint, "port",
			      k->port, "from_config", k->from_config, "remove_on_exit",
			      k->remove_on_exit, "state",
			      bpci_node_state_name((bpci_node_state)k->state), "pid", (int)k->pid,
			      "start_time", (json_int_t)k->start_time, "restarts", (int)k->restarts,
			      "last_exit_code", k->last_exit_code, "last_exit_signal",
			      k->last_exit_signal, "last_exit_ms", (json_int_t)k->last_exit_ms,
			      "started_ms", (json_int_t)k->started_ms, "last_heartbeat_ms",
			      (json_int_t)k->last_heartbeat_ms, "start_latency_ms",
			      (json_int_t)k->start_latency_ms, "failure_reason", k->failure_reason,
			      "status_text", k->status_text);
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/*
 * Bring @n's cached entry up to date. A save used to rebuild and dump
 * every node's JSON, which made each change O(nodes) in jansson work and
 * a start of N nodes O(N^2); now an entry is re-rendered only when one of
 * its inputs differs from what it was rendered from (compared here, so
 * no code path that changes a field can forget to invalidate it), and a
 * save concatenates the cached texts. The spec never changes for a node
 * (a reload replaces the node), so its text is built once.
 */
static int node_frag(bpci__cnode *n)
{
	bpci__cfrag_key now, copy;
	char *spec = NULL, *dyn, *frag;

	frag_key_now(&now, n);
	if (n->frag && frag_key_same(&now, &n->frag_key))
		return 0;
	if (!n->spec_text) {
		if (bpci_node_spec_to_json(&spec, n->spec) < 0)
			return BPCI_ENOMEM;
		n->spec_text = bpci__strdup(spec);
		bpci_free(spec);
		if (!n->spec_text)
			return BPCI_ENOMEM;
	}
	copy = now;
	copy.endpoint = bpci__strdup(now.endpoint);
	copy.failure_reason = bpci__strdup(now.failure_reason);
	copy.status_text = bpci__strdup(now.status_text);
	dyn = dynamic_json(&now, n->id);
	/* {"spec":SPEC, + the dynamic object without its opening brace */
	frag = dyn && dyn[0] == '{' && dyn[1] != '}'
		       ? bpci__asprintf("{\"spec\":%s,%s", n->spec_text, dyn + 1)
		       : NULL;
	free(dyn);
	if (!frag || !copy.endpoint || !copy.failure_reason || !copy.status_text) {
		bpci__free(frag);
		frag_key_clear(&copy);
		return BPCI_ENOMEM;
	}
	frag_key_clear(&n->frag_key);
	n->frag_key = copy;
	bpci__free(n->frag);
	n->frag = frag;
	n->frag_len = strlen(frag);
	return 0;
}

int bpci__coord_write_fast(const char *path, const char *data, size_t len, bpci_diag *diag)
{
	char *tmp = bpci__asprintf("%s.tmp", path);
	ssize_t n;
	size_t off = 0;
	int fd, err = 0;

	if (!tmp)
		return BPCI_ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		err = errno;
	while (fd >= 0 && !err && off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno != EINTR)
			err = errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		(void)unlink(tmp);
		bpci__free(tmp);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "cannot write %s: %s",
				      path, strerror(err));
	}
	bpci__free(tmp);
	return 0;
}

static int write_state(bpci_coordinator *c, int durable, bpci_diag *diag)
{
	char head[96];
	char *text, *p;
	size_t i, len, hlen;
	int rc;

	hlen = (size_t)snprintf(head, sizeof(head), "{\"next_seq\":%llu,\"nodes\":[",
				(unsigned long long)c->next_seq);
	len = hlen + 32;
	for (i = 0; i < c->nnodes; i++) {
		if ((rc = node_frag(c->nodes[i])) < 0)
			return rc;
		len += c->nodes[i]->frag_len + 1;
	}
	text = bpci__malloc(len);
	if (!text)
		return BPCI_ENOMEM;
	memcpy(text, head, hlen);
	p = text + hlen;
	for (i = 0; i < c->nnodes; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, c->nodes[i]->frag, c->nodes[i]->frag_len);
		p += c->nodes[i]->frag_len;
	}
	p += sprintf(p, "],\"version\":%d}", BPCI__COORD_STATE_VERSION);
	rc = durable ? bpci__write_file_atomic(c->state_path, text, (size_t)(p - text), 0600, diag)
		     : bpci__coord_write_fast(c->state_path, text, (size_t)(p - text), diag);
	bpci__free(text);
	if (rc == 0)
		c->dirty = 0;
	return rc;
}

int bpci__coord_save(bpci_coordinator *c, bpci_diag *diag)
{
	if (c->batch > 0) {
		c->dirty = 1;
		return 0;
	}
	return write_state(c, 1, diag);
}

void bpci__coord_batch_begin(bpci_coordinator *c)
{
	c->batch++;
}

int bpci__coord_batch_end(bpci_coordinator *c, bpci_diag *diag)
{
	if (--c->batch > 0)
		return 0;
	return write_state(c, 1, diag);
}

static void on_save(evutil_socket_t fd, short what, void *arg)
{
	bpci_coordinator *c = arg;

	(void)fd;
	(void)what;
	/* inside a batch the batch's end writes (the orphan scan covers a
	 * crash before it); else retried with the next change on failure */
	if (c->dirty && c->batch == 0)
		(void)write_state(c, 0, NULL);
}

void bpci__coord_dirty(bpci_coordinator *c)
{
	c->dirty = 1;
	if (!c->save_ev)
		c->save_ev = event_new(c->base, -1, 0, on_save, c);
	if (c->save_ev)
		event_active(c->save_ev, EV_TIMEOUT, 0);
	if (c->loop_depth == 0)
		bpci__coord_fd_rearm(c, 1); /* an embedding program steps soon */
}

/* ---- loading ---------------------------------------------------------- */

static int bad(bpci_coordinator *c, bpci_diag *diag, size_t i, const char *field,
	       const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "nodes[%zu].%s", i, field);
	return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, c->state_path, 0, 0,
				 path,
				 "%s; the state file is left untouched (move it away to start "
				 "with no nodes)",
				 what);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int64_t jint(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static int load_node(bpci_coordinator *c, const json_t *o, size_t i, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	bpci_node_state st;
	bpci__cnode *n;
	json_t *js = json_object_get(o, "spec");
	char *text;
	int rc;

	if (!json_is_object(o))
		return bad(c, diag, i, "id", "a node entry must be an object");
	if (!json_is_string(json_object_get(o, "id")) || !*jstr(o, "id"))
		return bad(c, diag, i, "id", "missing node id");
	if (bpci_node_state_parse(&st, jstr(o, "state")) < 0)
		return bad(c, diag, i, "state", "unknown state");
	if (!json_is_object(js) || !(text = json_dumps(js, JSON_COMPACT)))
		return bad(c, diag, i, "spec", "missing node spec");
	rc = bpci_node_spec_from_json(&spec, text, strlen(text), NULL);
	free(text);
	if (rc < 0)
		return bad(c, diag, i, "spec", "the node spec does not parse");
	rc = bpci__coord_node_add(&n, c, spec, jstr(o, "id"), diag);
	if (rc < 0) {
		bpci_node_spec_free(spec);
		return rc;
	}
	n->seq = (uint64_t)jint(o, "seq");
	n->state = st;
	n->endpoint = bpci__strdup(jstr(o, "endpoint"));
	n->port = (uint16_t)jint(o, "port");
	n->from_config = json_is_true(json_object_get(o, "from_config"));
	n->remove_on_exit = json_is_true(json_object_get(o, "remove_on_exit"));
	n->restarts = (unsigned int)jint(o, "restarts");
	n->last_exit_code = (int)jint(o, "last_exit_code");
	n->last_exit_signal = (int)jint(o, "last_exit_signal");
	n->last_exit_ms = jint(o, "last_exit_ms");
	n->started_ms = jint(o, "started_ms");
	n->last_heartbeat_ms = jint(o, "last_heartbeat_ms");
	n->start_latency_ms = (uint64_t)jint(o, "start_latency_ms");
	if (*jstr(o, "failure_reason"))
		n->failure_reason = bpci__strdup(jstr(o, "failure_reason"));
	if (*jstr(o, "status_text"))
		n->status_text = bpci__strdup(jstr(o, "status_text"));
	/* pid and start time wait for the adoption pass */
	n->last_exit_ms = n->last_exit_ms ? n->last_exit_ms : 0;
	return n->endpoint ? 0 : BPCI_ENOMEM;
}

/* Take over one loaded node: adopt its process or act on its death. */
static void take_over(bpci__cnode *n, pid_t pid, uint64_t start_time)
{
	bpci_node_state st = n->state;

	if (n->remove_on_exit && st != BPCI_NODE_STATE_STOPPING) {
		/* a stop or a shutdown was under way: finish it */
		if (pid <= 0 || st == BPCI_NODE_STATE_STOPPED || st == BPCI_NODE_STATE_FAILED ||
		    st == BPCI_NODE_STATE_PENDING) {
			bpci__coord_node_remove(n->c, n);
			return;
		}
		st = n->state = BPCI_NODE_STATE_STOPPING;
	}
	if (st == BPCI_NODE_STATE_STOPPED || st == BPCI_NODE_STATE_FAILED)
		return;
	if (st == BPCI_NODE_STATE_PENDING) {
		bpci__coord_arm_timer(n, n->set.backoff.initial_ms);
		return;
	}
	if (pid <= 0 || bpci__proc_adopt(&n->proc, pid, start_time, NULL) < 0 ||
	    bpci__coord_watch(n, NULL) < 0) {
		bpci__coord_release_proc(n);
		bpci__coord_exited(n, BPCI__PROC_STATUS_UNKNOWN);
		return;
	}
	n->started_mono = bpci__coord_mono_ms();
	bpci__backoff_started(&n->backoff, n->started_mono);
	if (st == BPCI_NODE_STATE_STOPPING)
		bpci__coord_signal_stop(n);
	else if (st == BPCI_NODE_STATE_STARTING)
		bpci__coord_health_start(n);
	else
		bpci__coord_health_resume(n);
}

static int read_state(bpci_coordinator *c, json_t **root, bpci_diag *diag)
{
	json_error_t err;
	struct stat sb;

	*root = NULL;
	if (stat(c->state_path, &sb) < 0)
		return errno == ENOENT ? 0
				       : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
							"cannot read %s: %s", c->state_path,
							strerror(errno));
	*root = json_load_file(c->state_path, JSON_REJECT_DUPLICATES, &err);
	if (!*root)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, c->state_path,
					 (unsigned int)(err.line > 0 ? err.line : 0),
					 (unsigned int)(err.column > 0 ? err.column : 0), "",
					 "corrupt state file: %s; it is left untouched (move it "
					 "away to start with no nodes)",
					 err.text);
	return 0;
}

int bpci__coord_load(bpci_coordinator *c, bpci_diag *diag)
{
	json_t *root, *nodes;
	json_int_t version;
	size_t i, count;
	int rc = read_state(c, &root, diag);

	if (rc < 0)
		return rc;
	if (!root) {
		bpci__coord_find_orphans(c);
		return 0;
	}
	version = json_integer_value(json_object_get(root, "version"));
	nodes = json_object_get(root, "nodes");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "version")) ||
	    !json_is_array(nodes)) {
		json_decref(root);
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, c->state_path, 0,
					 0, "", "corrupt state file: expected an object with "
					 "\"version\" and \"nodes\"; it is left untouched");
	}
	if (version != BPCI__COORD_STATE_VERSION) {
		json_decref(root);
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED,
					 c->state_path, 0, 0, "version",
					 "state file version %lld, this build reads version %d",
					 (long long)version, BPCI__COORD_STATE_VERSION);
	}
	count = json_array_size(nodes);
	for (i = 0; i < count && rc == 0; i++)
		rc = load_node(c, json_array_get(nodes, i), i, diag);
	if (rc == 0) {
		json_int_t next = json_integer_value(json_object_get(root, "next_seq"));

		if ((uint64_t)next > c->next_seq)
			c->next_seq = (uint64_t)next;
		/* Taking over may remove a node (a stop that completed meanwhile),
		 * so walk a copy of the table. */
		bpci__cnode **copy = bpci__calloc(count ? count : 1, sizeof(*copy));

		if (!copy) {
			json_decref(root);
			return BPCI_ENOMEM;
		}
		if (count)
			memcpy(copy, c->nodes, count * sizeof(*copy));
		for (i = 0; i < count; i++) {
			json_t *o = json_array_get(nodes, i);

			take_over(copy[i], (pid_t)jint(o, "pid"), (uint64_t)jint(o, "start_time"));
		}
		bpci__free(copy);
		bpci__coord_find_orphans(c);
		bpci__coord_dirty(c);
	}
	json_decref(root);
	return rc;
}
