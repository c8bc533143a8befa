/*
 * Replica moves in steps. A move starts the new instance, then each turn
 * looks once whether it runs; once it does, replica.moved is journaled,
 * the old instance stopped and the model updated. Between turns the
 * server runs the loop and the tree's sync, so a daemon that fails during
 * a long rebalance is failed over at once, not after the rebalance. The
 * model is changed on a copy of the tree as it is at the move's end, so a
 * failover that happened meanwhile is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bpci/client.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_migrate.h"
#include "runtime/cluster_moves.h"

#define READY_TIMEOUT_MS 15000

struct bpci__cm_moves {
	bpci_cluster_manager *cm;
	bpci_daemon_tree_plan *plan;
	size_t next;                 /* the next step of the plan */
	const bpci_daemon_step *cur; /* the move under way, or NULL */
	uint64_t deadline;           /* its new instance runs by then (monotonic ms) */
	size_t done;
	json_t *skipped;
	int skip_code;               /* the last skip: code, field, message */
	const char *skip_field;
	char skip_text[384];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int bpci__cm_moves_new(bpci__cm_moves **out, bpci_cluster_manager *cm, const char *plan_json,
		       bpci_diag *diag)
{
	bpci__cm_moves *m = bpci__calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return BPCI_ENOMEM;
	m->cm = cm;
	m->skipped = json_array();
	rc = m->skipped ? bpci_daemon_tree_plan_parse(&m->plan, plan_json, strlen(plan_json),
						      diag)
			: BPCI_ENOMEM;
	if (rc != 0) {
		bpci__cm_moves_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* The state of daemon @id when it is down, else NULL. */
static const char *down(const bpci_cluster_manager *cm, const char *id)
{
	long n = bpci__dt_find(cm->tree, id);
	const char *st = n >= 0 ? bpci__dt_state(cm->tree, (size_t)n) : "removed";

	return n < 0 || bpci__dt_state_down(st) ? st : NULL;
}

static int runs_on(const bpci_cluster_manager *cm, const bpci__replica *r, const char *daemon)
{
	return r->daemon ? !strcmp(r->daemon, daemon) : bpci__cm_is_root(cm, daemon);
}

/* Skip the current move (@code and @field say why, for callers that need
 * every move); returns 1 (more turns). */
static int skip(bpci__cm_moves *m, int code, const char *field, const char *fmt,
		const char *arg)
{
	const bpci_daemon_step *s = m->cur;
	char reason[256];

	snprintf(reason, sizeof(reason), fmt, arg ? arg : "");
	m->skip_code = code;
	m->skip_field = field;
	snprintf(m->skip_text, sizeof(m->skip_text), "the move of replica %s from \"%s\" to "
		 "\"%s\" cannot go on: %s", s->subject, s->from, s->to, reason);
	json_array_append_new(m->skipped, json_pack("{s:s, s:s, s:s, s:s}", "node", s->subject,
						     "from", s->from, "to", s->to,
						     "reason", reason));
	fprintf(stderr, "cluster manager: move of %s from %s to %s skipped: %s\n", s->subject,
		s->from, s->to, reason);
	m->cur = NULL;
	return 1;
}

static int begin(bpci__cm_moves *m, bpci_diag *diag)
{
	const bpci_daemon_step *s = m->cur;
	long i = bpci__cm_find_replica(m->cm, s->subject);
	const char *st;
	int rc;

	if (i < 0)
		return skip(m, BPCI_ENOTFOUND, "node", "no replica \"%s\"", s->subject);
	if (!runs_on(m->cm, &m->cm->replicas[i], s->from))
		return skip(m, BPCI_EBUSY, "from", "it runs on \"%s\" now", m->cm->replicas[i].daemon
			    ? m->cm->replicas[i].daemon : bpci_daemon_tree_root(m->cm->tree));
	if ((st = down(m->cm, s->to)) != NULL)
		return skip(m, BPCI_EUNREACHABLE, "to", "the target daemon is %s", st);
	if ((st = down(m->cm, s->from)) != NULL)
		return skip(m, BPCI_EUNREACHABLE, "from", "its daemon is %s: it fails over instead",
			    st);
	rc = bpci__cm_replica_start(m->cm, &m->cm->replicas[i], s->to, diag);
	if (rc != 0 && (st = down(m->cm, s->to)) != NULL)
		return skip(m, BPCI_EUNREACHABLE, "to", "the target daemon is %s", st);
	if (rc != 0) {
		m->cur = NULL; /* nothing was started */
		return rc;
	}
	m->deadline = mono_ms() + READY_TIMEOUT_MS;
	return 1;
}

static int node_state(bpci_cluster_manager *cm, const char *id, const char *daemon)
{
	bpci_node_status *st = NULL;
	int state = -1;

	if (bpci__cm_node_status(&st, cm, id, daemon) == 0)
		state = (int)st->state;
	bpci_node_status_free(st);
	return state;
}

/* The new instance runs: journal, stop the old one (unless its daemon is
 * down: fencing stops it if it ever reports again), record. */
static int commit(bpci__cm_moves *m, bpci__replica *r, bpci_diag *diag)
{
	const bpci_daemon_step *s = m->cur;
	bpci_daemon_tree *copy = NULL;
	bpci_daemon_tree_plan *one = NULL;
	char *to = NULL, *text, *details = NULL;
	int rc;

	text = bpci__asprintf("{\"steps\":[{\"action\":\"move_node\",\"node\":\"%s\","
			      "\"from\":\"%s\",\"to\":\"%s\"}]}", s->subject, s->from, s->to);
	rc = text ? bpci_daemon_tree_plan_parse(&one, text, strlen(text), diag) : BPCI_ENOMEM;
	bpci__free(text);
	if (rc == 0)
		rc = bpci_daemon_tree_dup(&copy, m->cm->tree);
	if (rc == 0)
		rc = bpci_daemon_tree_apply(copy, one, diag);
	bpci_daemon_tree_plan_free(one);
	if (rc == 0 && !bpci__cm_is_root(m->cm, s->to) && !(to = bpci__strdup(s->to)))
		rc = BPCI_ENOMEM;
	if (rc == 0 && !(details = bpci__asprintf("{\"from\":\"%s\",\"to\":\"%s\"}", s->from,
						  s->to)))
		rc = BPCI_ENOMEM;
	if (rc == 0)
		rc = bpci__cm_journal(m->cm, "replica.moved", r->id, details, diag);
	bpci__free(details);
	if (rc != 0) {
		bpci__cm_replica_stop(m->cm, r, s->to, NULL);
		m->cur = NULL;
		bpci__free(to);
		bpci_daemon_tree_free(copy);
		return rc;
	}
	if (!down(m->cm, s->from))
		bpci__cm_replica_stop(m->cm, r, s->from, NULL);
	bpci__cm_progress(m->cm, "move replica %s: running on %s, stopped on %s", r->id, s->to,
			  s->from);
	bpci__free(r->daemon);
	r->daemon = to;
	bpci_daemon_tree_free(m->cm->tree);
	m->cm->tree = copy;
	m->done++;
	m->cur = NULL;
	rc = bpci__cm_persist(m->cm, diag);
	return rc == 0 ? 1 : rc;
}

static int watch(bpci__cm_moves *m, bpci_diag *diag)
{
	const bpci_daemon_step *s = m->cur;
	long i = bpci__cm_find_replica(m->cm, s->subject);
	bpci__replica *r = i >= 0 ? &m->cm->replicas[i] : NULL;
	const char *st;
	int state;

	if (!r)
		return skip(m, BPCI_ENOTFOUND, "node", "replica \"%s\" was removed", s->subject);
	if (!runs_on(m->cm, r, s->from)) {
		/* It failed over meanwhile: the new instance is one too many,
		 * unless the failover chose the same daemon. */
		if (!runs_on(m->cm, r, s->to) && !down(m->cm, s->to))
			bpci__cm_replica_stop(m->cm, r, s->to, NULL);
		return skip(m, BPCI_EBUSY, "from", "it failed over to \"%s\" meanwhile",
			    r->daemon ? r->daemon : bpci_daemon_tree_root(m->cm->tree));
	}
	if ((st = down(m->cm, s->to)) != NULL)
		return skip(m, BPCI_EUNREACHABLE, "to", "the target daemon became %s", st);
	state = node_state(m->cm, r->id, s->to);
	if (state == (int)BPCI_NODE_STATE_RUNNING)
		return commit(m, r, diag);
	if (state != (int)BPCI_NODE_STATE_FAILED && mono_ms() <= m->deadline)
		return 1;
	bpci__cm_replica_stop(m->cm, r, s->to, NULL);
	m->cur = NULL;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNREACHABLE, "to",
			      "replica %s did not become ready on daemon \"%s\" (%s)", r->id, s->to,
			      state == (int)BPCI_NODE_STATE_FAILED ? "it failed" : "timed out");
}

int bpci__cm_moves_step(bpci__cm_moves *m, bpci_diag *diag)
{
	size_t n = bpci_daemon_tree_plan_count(m->plan);

	if (m->cur)
		return watch(m, diag);
	while (m->next < n && bpci_daemon_tree_plan_at(m->plan, m->next)->kind !=
			      BPCI_DAEMON_STEP_MOVE_NODE)
		m->next++;
	if (m->next == n)
		return 0;
	m->cur = bpci_daemon_tree_plan_at(m->plan, m->next++);
	return begin(m, diag);
}

size_t bpci__cm_moves_done(const bpci__cm_moves *m)
{
	return m->done;
}

int bpci__cm_moves_skip_error(const bpci__cm_moves *m, bpci_diag *diag)
{
	if (!json_array_size(m->skipped))
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, m->skip_code, m->skip_field, "%s",
			      m->skip_text);
}

int bpci__cm_moves_run(bpci_cluster_manager *cm, const bpci_daemon_tree_plan *plan,
		       bpci_diag *diag)
{
	bpci__cm_moves *m = NULL;
	char *text = NULL;
	int rc = bpci_daemon_tree_plan_to_json(&text, plan);

	if (rc == 0)
		rc = bpci__cm_moves_new(&m, cm, text, diag);
	bpci__free(text);
	while (rc == 0) {
		rc = bpci__cm_moves_step(m, diag);
		if (rc != 1)
			break;
		rc = bpci__cm_moves_skip_error(m, diag);
		if (rc == 0)
			bpci_coordinator_step(cm->c, 50); /* the root's nodes' events */
	}
	bpci__cm_moves_free(m);
	return rc;
}

char *bpci__cm_moves_skipped_json(const bpci__cm_moves *m)
{
	char *text = json_dumps(m->skipped, JSON_COMPACT), *out;

	out = text ? bpci__strdup(text) : NULL;
	free(text);
	return out;
}

void bpci__cm_moves_free(bpci__cm_moves *m)
{
	long i;

	if (!m)
		return;
	if (m->cur && (i = bpci__cm_find_replica(m->cm, m->cur->subject)) >= 0 &&
	    !runs_on(m->cm, &m->cm->replicas[i], m->cur->to) && !down(m->cm, m->cur->to))
		bpci__cm_replica_stop(m->cm, &m->cm->replicas[i], m->cur->to, NULL);
	bpci_daemon_tree_plan_free(m->plan);
	json_decref(m->skipped);
	bpci__free(m);
}
