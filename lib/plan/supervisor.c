/*
 * The OTP supervision decision (see supervisor.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "plan/supervisor.h"

int bpci__sup_window_init(bpci__sup_window *w, unsigned int max_restarts, uint64_t period_ms)
{
	memset(w, 0, sizeof(*w));
	if (period_ms == 0)
		return BPCI_EINVAL;
	w->times = bpci__calloc((size_t)max_restarts + 1, sizeof(*w->times));
	if (!w->times)
		return BPCI_ENOMEM;
	w->max_restarts = max_restarts;
	w->period_ms = period_ms;
	return 0;
}

void bpci__sup_window_release(bpci__sup_window *w)
{
	bpci__free(w->times);
	memset(w, 0, sizeof(*w));
}

/* Drop the restarts that no longer count: a restart exactly period_ms ago
 * is out of the window (OTP counts those within the last MaxT seconds). */
static void expire(bpci__sup_window *w, uint64_t now_ms)
{
	size_t k = 0;

	while (k < w->count && now_ms >= w->times[k] && now_ms - w->times[k] >= w->period_ms)
		k++;
	if (k) {
		memmove(w->times, w->times + k, (w->count - k) * sizeof(*w->times));
		w->count -= k;
	}
}

size_t bpci__sup_window_count(const bpci__sup_window *w, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < w->count; i++)
		if (now_ms < w->times[i] || now_ms - w->times[i] < w->period_ms)
			n++;
	return n;
}

/* Record one restart; 1 when it makes more than max_restarts. */
static int record(bpci__sup_window *w, uint64_t now_ms)
{
	expire(w, now_ms);
	if (w->count == (size_t)w->max_restarts + 1) {
		memmove(w->times, w->times + 1, (w->count - 1) * sizeof(*w->times));
		w->count--;
	}
	w->times[w->count++] = now_ms;
	return w->count > w->max_restarts;
}

void bpci__sup_plan_release(bpci__sup_plan *p)
{
	bpci__free(p->stop);
	bpci__free(p->start);
	bpci__free(p->forget);
	memset(p, 0, sizeof(*p));
}

static int wants_restart(bpci_child_restart r, int abnormal)
{
	return r == BPCI_CHILD_PERMANENT || (r == BPCI_CHILD_TRANSIENT && abnormal);
}

static int valid(const bpci__sup_child *kids, size_t n, bpci_supervisor_strategy s)
{
	size_t i;

	if (s != BPCI_STRATEGY_ONE_FOR_ONE && s != BPCI_STRATEGY_ONE_FOR_ALL &&
	    s != BPCI_STRATEGY_REST_FOR_ONE)
		return 0;
	for (i = 0; i < n; i++)
		if (kids[i].restart < BPCI_CHILD_PERMANENT || kids[i].restart > BPCI_CHILD_TEMPORARY)
			return 0;
	return 1;
}

/* Every running child but @failed, stopped last-started first. */
static void escalate(bpci__sup_plan *out, const bpci__sup_child *kids, size_t n, size_t failed,
		     const bpci__sup_window *w)
{
	size_t i;

	out->action = BPCI__SUP_ESCALATE;
	for (i = n; i-- > 0;)
		if (i != failed && kids[i].running)
			out->stop[out->nstop++] = i;
	snprintf(out->reason, sizeof(out->reason),
		 "restart intensity exceeded: more than %u restarts within %llu ms",
		 w->max_restarts, (unsigned long long)w->period_ms);
}

/* The siblings a strategy takes along: from index @first on (all: 0). */
static void group_restart(bpci__sup_plan *out, const bpci__sup_child *kids, size_t n,
			  size_t failed, size_t first)
{
	size_t i;

	out->action = BPCI__SUP_RESTART;
	for (i = n; i-- > first;) {
		if (i == failed || !kids[i].running)
			continue;
		out->stop[out->nstop++] = i;
		if (kids[i].restart == BPCI_CHILD_TEMPORARY)
			out->forget[out->nforget++] = i;
	}
	for (i = first; i < n; i++) {
		if (i == failed || (kids[i].running && kids[i].restart != BPCI_CHILD_TEMPORARY))
			out->start[out->nstart++] = i;
	}
}

int bpci__sup_decide(bpci__sup_plan *out, const bpci__sup_child *kids, size_t n, size_t failed,
		     int abnormal, bpci_supervisor_strategy strategy, bpci__sup_window *w,
		     uint64_t now_ms)
{
	memset(out, 0, sizeof(*out));
	if (!kids || failed >= n || !valid(kids, n, strategy) || !w || !w->times)
		return BPCI_EINVAL;
	out->stop = bpci__calloc(n, sizeof(size_t));
	out->start = bpci__calloc(n, sizeof(size_t));
	out->forget = bpci__calloc(n, sizeof(size_t));
	if (!out->stop || !out->start || !out->forget)
		return BPCI_ENOMEM;
	if (!wants_restart(kids[failed].restart, abnormal)) {
		if (kids[failed].restart == BPCI_CHILD_TEMPORARY)
			out->forget[out->nforget++] = failed;
		return 0;
	}
	if (record(w, now_ms)) {
		escalate(out, kids, n, failed, w);
		return 0;
	}
	switch (strategy) {
	case BPCI_STRATEGY_ONE_FOR_ALL:
		group_restart(out, kids, n, failed, 0);
		break;
	case BPCI_STRATEGY_REST_FOR_ONE:
		group_restart(out, kids, n, failed, failed);
		break;
	default:
		out->action = BPCI__SUP_RESTART;
		out->start[out->nstart++] = failed;
		break;
	}
	return 0;
}
