/*
 * The coordinator's state document: what a new coordinator needs to take
 * over, as the journal's snapshots hold it (coordinator_journal.c) and as
 * DIR/coordinator.json held it before the journal (read once, migrated).
 *
 * {"version":1,"next_seq":N,"nodes":[{"id","seq","spec":{...},"endpoint",
 *  "port","from_config","remove_on_exit","state","pid","start_time",
 *  "restarts","last_exit_code","last_exit_signal","last_exit_ms",
 *  "started_ms","last_heartbeat_ms","start_latency_ms","failure_reason",
 *  "status_text"}]}
 *
 * A node's entry is cached as text (node_frag below) and rendered again
 * only when one of its fields changed; the same fields, without the spec,
 * are the details of its journal entries. Saving means journaling
 * (bpci__coord_journal_flush): synchronously and durably before an API
 * call returns; otherwise once at the end of the loop iteration that made
 * changes (spawns included: see coordinator_orphans.c).
 * Loading is all or nothing: a document, snapshot or journal entry that
 * does not parse refuses the whole start and leaves every file as it is.
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
void bpci__coord_key_now(bpci__cfrag_key *k, const bpci__cnode *n)
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

/* Heartbeat times and STATUS= texts change all the time without being
 * state: they ride along in snapshots and in entries made for other
 * reasons, but do not make entries of their own (a node sending a
 * heartbeat a second would otherwise grow the journal forever). */
int bpci__coord_key_journal_same(const bpci__cfrag_key *a, const bpci__cfrag_key *b)
{
	return a->seq == b->seq && a->start_time == b->start_time &&
	       a->start_latency_ms == b->start_latency_ms && a->last_exit_ms == b->last_exit_ms &&
	       a->started_ms == b->started_ms && a->pid == b->pid && a->state == b->state &&
	       a->port == b->port && a->from_config == b->from_config &&
	       a->remove_on_exit == b->remove_on_exit && a->last_exit_code == b->last_exit_code &&
	       a->last_exit_signal == b->last_exit_signal && a->restarts == b->restarts &&
	       strcmp(a->endpoint, b->endpoint) == 0 &&
	       strcmp(a->failure_reason, b->failure_reason) == 0;
}

void bpci__coord_key_clear(bpci__cfrag_key *k)
{
	bpci__free(k->endpoint);
	bpci__free(k->failure_reason);
	bpci__free(k->status_text);
	memset(k, 0, sizeof(*k));
}

int bpci__coord_key_copy(bpci__cfrag_key *dst, const bpci__cfrag_key *src)
{
	bpci__cfrag_key copy = *src;

	copy.endpoint = bpci__strdup(src->endpoint ? src->endpoint : "");
	copy.failure_reason = bpci__strdup(src->failure_reason ? src->failure_reason : "");
	copy.status_text = bpci__strdup(src->status_text ? src->status_text : "");
	if (!copy.endpoint || !copy.failure_reason || !copy.status_text) {
		bpci__coord_key_clear(&copy);
		return BPCI_ENOMEM;
	}
	bpci__coord_key_clear(dst);
	*dst = copy;
	return 0;
}

void bpci__coord_frag_free(bpci__cnode *n)
{
	bpci__free(n->spec_text);
	bpci__free(n->frag);
	bpci__coord_key_clear(&n->frag_key);
	bpci__coord_key_clear(&n->jkey);
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

char *bpci__coord_node_fields_json(bpci__cnode *n)
{
	bpci__cfrag_key now;
	char *dyn, *out;

	bpci__coord_key_now(&now, n);
	dyn = dynamic_json(&now, n->id);
	out = dyn ? bpci__strdup(dyn) : NULL;
	free(dyn);
	return out;
}

/*
 * Bring @n's cached entry up to date. A save used to rebuild and dump
 * every node's JSON, which made each change O(nodes) in jansson work and
 * a start of N nodes O(N^2); now an entry is re-rendered only when one of
 * its inputs differs from what it was rendered from (compared here, so
 * no code path that changes a field can forget to invalidate it), and a
 * snapshot concatenates the cached texts. The spec never changes for a
 * node (a reload replaces the node), so its text is built once.
 */
const char *bpci__coord_spec_text(bpci__cnode *n)
{
	if (!n->spec_text && bpci_node_spec_to_json(&n->spec_text, n->spec) < 0)
		return NULL;
	return n->spec_text;
}

static int node_frag(bpci__cnode *n)
{
	bpci__cfrag_key now;
	char *dyn, *frag;

	bpci__coord_key_now(&now, n);
	if (n->frag && frag_key_same(&now, &n->frag_key))
		return 0;
	if (!bpci__coord_spec_text(n))
		return BPCI_ENOMEM;
	dyn = dynamic_json(&now, n->id);
	/* {"spec":SPEC, + the dynamic object without its opening brace */
	frag = dyn && dyn[0] == '{' && dyn[1] != '}'
		       ? bpci__asprintf("{\"spec\":%s,%s", n->spec_text, dyn + 1)
		       : NULL;
	free(dyn);
	if (!frag || bpci__coord_key_copy(&n->frag_key, &now) < 0) {
		bpci__free(frag);
		return BPCI_ENOMEM;
	}
	bpci__free(n->frag);
	n->frag = frag;
	n->frag_len = strlen(frag);
	return 0;
}

const char *bpci__coord_node_entry(bpci__cnode *n)
{
	return node_frag(n) == 0 ? n->frag : NULL;
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

int bpci__coord_state_doc(char **out, size_t *out_len, bpci_coordinator *c)
{
	char head[96];
	char *text, *p;
	size_t i, len, hlen;
	int rc;

	*out = NULL;
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
	*out = text;
	*out_len = (size_t)(p - text);
	return 0;
}

static int flush(bpci_coordinator *c, bpci_diag *diag)
{
	int rc;

	if (!c->loaded)
		return 0;
	rc = bpci__coord_journal_flush(c, diag);
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
	return flush(c, diag);
}

void bpci__coord_batch_begin(bpci_coordinator *c)
{
	c->batch++;
}

int bpci__coord_batch_end(bpci_coordinator *c, bpci_diag *diag)
{
	if (--c->batch > 0)
		return 0;
	return flush(c, diag);
}

static void on_save(evutil_socket_t fd, short what, void *arg)
{
	bpci_coordinator *c = arg;

	(void)fd;
	(void)what;
	/* inside a batch the batch's end writes (the orphan scan covers a
	 * crash before it); else retried with the next change on failure */
	if (c->dirty && c->batch == 0)
		(void)flush(c, NULL);
}

/*
 * Changes the loop makes on its own that a successor can recover without
 * the journal are group-committed: the first one arms a timer, and
 * everything changed until it fires goes into one append, so the loop
 * does not wait for the disk after every spawn. These are the pid and
 * start time of a respawn, its starting and pending states, an exit, a
 * removal after an exit, heartbeat texts: a process whose pid did not reach
 * the journal is found by the orphan scan (coordinator_orphans.c) and
 * adopted; a recorded process that is gone is treated as exited; a
 * removal the journal missed is finished from remove_on_exit.
 * Nothing is acknowledged meanwhile: an API call flushes the pending
 * changes with its own before it returns.
 */
#define GROUP_COMMIT_MS 20

void bpci__coord_dirty(bpci_coordinator *c)
{
	struct timeval tv = {0, GROUP_COMMIT_MS * 1000};

	c->dirty = 1;
	if (!c->save_ev)
		c->save_ev = evtimer_new(c->base, on_save, c);
	if (c->save_ev && !evtimer_pending(c->save_ev, NULL))
		evtimer_add(c->save_ev, &tv);
	if (c->loop_depth == 0)
		bpci__coord_fd_rearm(c, 1); /* an embedding program steps soon */
}

/*
 * Other state changes are appended at the end of the loop iteration that
 * made them, before a wait, a status call or an event callback can report
 * them: a node that became running would otherwise be adopted as starting
 * after a crash and wait for a READY=1 it sent already; one that failed
 * would get a fresh restart budget.
 */
void bpci__coord_dirty_state(bpci_coordinator *c, bpci_node_state st)
{
	bpci__coord_dirty(c);
	if (st != BPCI_NODE_STATE_STARTING && st != BPCI_NODE_STATE_PENDING && c->save_ev)
		event_active(c->save_ev, EV_TIMEOUT, 0);
}

/* ---- loading ---------------------------------------------------------- */

static int bad(bpci_diag *diag, const char *where, const char *prefix, const char *field,
	       const char *what)
{
	char path[96];

	snprintf(path, sizeof(path), "%s.%s", prefix, field);
	return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, where, 0, 0, path,
				 "%s; the state is left untouched (move the state directory's "
				 "ledger and coordinator.json away to start with no nodes)",
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

static int set_str(char **dst, const char *v, int empty_is_null)
{
	char *copy = NULL;

	if (!empty_is_null || *v) {
		copy = bpci__strdup(v);
		if (!copy)
			return BPCI_ENOMEM;
	}
	bpci__free(*dst);
	*dst = copy;
	return 0;
}

int bpci__coord_node_apply(bpci__cnode *n, const json_t *o)
{
	bpci_node_state st;

	if (bpci_node_state_parse(&st, jstr(o, "state")) < 0)
		return BPCI_EPARSE;
	n->state = st;
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
	/* pid and start time wait for the adoption pass */
	n->load_pid = (long)jint(o, "pid");
	n->load_start_time = (uint64_t)jint(o, "start_time");
	if (set_str(&n->endpoint, jstr(o, "endpoint"), 0) < 0 ||
	    set_str(&n->failure_reason, jstr(o, "failure_reason"), 1) < 0 ||
	    set_str(&n->status_text, jstr(o, "status_text"), 1) < 0)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__coord_node_load(bpci_coordinator *c, const json_t *o, const char *where,
			  const char *prefix, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	bpci_node_state st;
	bpci__cnode *n;
	json_t *js = json_object_get(o, "spec");
	char *text;
	int rc;

	if (!json_is_object(o))
		return bad(diag, where, prefix, "id", "a node entry must be an object");
	if (!json_is_string(json_object_get(o, "id")) || !*jstr(o, "id"))
		return bad(diag, where, prefix, "id", "missing node id");
	if (bpci__coord_find(c, jstr(o, "id")))
		return bad(diag, where, prefix, "id", "a node of this id is already recorded");
	if (bpci_node_state_parse(&st, jstr(o, "state")) < 0)
		return bad(diag, where, prefix, "state", "unknown state");
	if (!json_is_object(js) || !(text = json_dumps(js, JSON_COMPACT)))
		return bad(diag, where, prefix, "spec", "missing node spec");
	rc = bpci_node_spec_from_json(&spec, text, strlen(text), NULL);
	free(text);
	if (rc < 0)
		return bad(diag, where, prefix, "spec", "the node spec does not parse");
	rc = bpci__coord_node_add(&n, c, spec, jstr(o, "id"), diag);
	if (rc < 0) {
		bpci_node_spec_free(spec);
		return rc;
	}
	n->seq = (uint64_t)jint(o, "seq");
	if (n->seq >= c->next_seq)
		c->next_seq = n->seq + 1;
	return bpci__coord_node_apply(n, o);
}

int bpci__coord_doc_load(bpci_coordinator *c, const char *text, size_t len, const char *where,
			 bpci_diag *diag)
{
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err), *nodes;
	json_int_t version;
	size_t i;
	int rc = 0;

	if (!root)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, where,
					 (unsigned int)(err.line > 0 ? err.line : 0),
					 (unsigned int)(err.column > 0 ? err.column : 0), "",
					 "corrupt state file: %s; it is left untouched (move it "
					 "away to start with no nodes)",
					 err.text);
	version = json_integer_value(json_object_get(root, "version"));
	nodes = json_object_get(root, "nodes");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "version")) ||
	    !json_is_array(nodes))
		rc = bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, where, 0, 0, "",
				       "corrupt state file: expected an object with "
				       "\"version\" and \"nodes\"; it is left untouched");
	else if (version != BPCI__COORD_STATE_VERSION)
		rc = bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, where, 0, 0,
				       "version",
				       "state file version %lld, this build reads version %d",
				       (long long)version, BPCI__COORD_STATE_VERSION);
	for (i = 0; rc == 0 && i < json_array_size(nodes); i++) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "nodes[%zu]", i);
		rc = bpci__coord_node_load(c, json_array_get(nodes, i), where, prefix, diag);
	}
	if (rc == 0) {
		json_int_t next = json_integer_value(json_object_get(root, "next_seq"));

		if ((uint64_t)next > c->next_seq)
			c->next_seq = (uint64_t)next;
	}
	json_decref(root);
	return rc;
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

/* Before the journal the state was DIR/coordinator.json, rewritten whole
 * on every change. Read it once into the table; the caller journals a
 * snapshot of it, and from then on the journal is the state (the file
 * stays, renamed, for whoever wants to look at it). */
static int load_legacy(bpci_coordinator *c, int *found, bpci_diag *diag)
{
	FILE *f = fopen(c->state_path, "rb");
	char *text = NULL;
	long size;
	int rc;

	*found = 0;
	if (!f)
		return errno == ENOENT ? 0
				       : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
							"cannot read %s: %s", c->state_path,
							strerror(errno));
	*found = 1;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = bpci__malloc((size_t)size + 1)) &&
	    fread(text, 1, (size_t)size, f) == (size_t)size)
		rc = bpci__coord_doc_load(c, text, (size_t)size, c->state_path, diag);
	else
		rc = text ? bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
					   "cannot read %s", c->state_path)
			  : BPCI_ENOMEM;
	bpci__free(text);
	fclose(f);
	return rc;
}

/* The legacy file is journaled: keep it, out of the way of the next start. */
static int retire_legacy(bpci_coordinator *c, bpci_diag *diag)
{
	char *to = bpci__asprintf("%s.migrated", c->state_path);
	int rc = 0;

	if (!to)
		return BPCI_ENOMEM;
	if (rename(c->state_path, to) < 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "rename %s: %s",
				    c->state_path, strerror(errno));
	bpci__free(to);
	return rc;
}

/* The table from the journal, or from the legacy file (*@migrate set). */
static int load_table(bpci_coordinator *c, int *migrate, bpci_diag *diag)
{
	int rc = bpci__coord_journal_replay(c, diag);

	*migrate = 0;
	return rc == 1 ? load_legacy(c, migrate, diag) : rc;
}

/* Journal the migrated table (its takeover included) and a snapshot, then
 * rename the file: a crash in between leaves a journal with state, which
 * wins over the file at the next start. */
static int migrate_legacy(bpci_coordinator *c, bpci_diag *diag)
{
	int rc = bpci__coord_journal_flush(c, diag);

	if (rc == 0)
		rc = bpci__coord_journal_snapshot(c, diag);
	return rc == 0 ? retire_legacy(c, diag) : rc;
}

int bpci__coord_load(bpci_coordinator *c, bpci_diag *diag)
{
	bpci__cnode **copy;
	size_t i, count;
	int migrate, rc = load_table(c, &migrate, diag);

	if (rc < 0)
		return rc;
	c->loaded = 1;
	/* Taking over may remove a node (a stop that completed meanwhile),
	 * so walk a copy of the table. */
	count = c->nnodes;
	copy = bpci__calloc(count ? count : 1, sizeof(*copy));
	if (!copy)
		return BPCI_ENOMEM;
	if (count)
		memcpy(copy, c->nodes, count * sizeof(*copy));
	for (i = 0; i < count; i++)
		take_over(copy[i], (pid_t)copy[i]->load_pid, copy[i]->load_start_time);
	bpci__free(copy);
	bpci__coord_find_orphans(c);
	if (migrate)
		return migrate_legacy(c, diag);
	if (count)
		bpci__coord_dirty(c);
	return 0;
}
