/*
 * Internal: the OTP supervision decision, as a pure function. Given a
 * supervisor's children in start order, its strategy and restart
 * intensity, and the end of one child, it says which running siblings to
 * stop (reverse start order), which children to start again (start
 * order), which to forget (temporary ones), or that the supervisor must
 * give up and escalate. No clock, no I/O: the caller passes the time.
 *
 * Semantics (Erlang/OTP supervisor):
 *   - a permanent child is always restarted; a transient one only after an
 *     abnormal exit; a temporary one never, and it is forgotten;
 *   - a child that is not restarted affects no sibling;
 *   - one_for_all restarts every running sibling with it, rest_for_one the
 *     running siblings started after it; temporary siblings caught in such
 *     a restart are stopped and forgotten, not restarted; siblings that
 *     are not running (a transient child that ended normally) stay so;
 *   - each restart (one per failure, whatever the number of siblings) is
 *     recorded; more than max_restarts within period_ms means escalate:
 *     stop every running child, start none.
 *
 * Thread-safety: touches only its arguments.
 */
#ifndef BPCI_LIB_PLAN_SUPERVISOR_H
#define BPCI_LIB_PLAN_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "bpci/daemon.h"

typedef struct bpci__sup_child {
	bpci_child_restart restart;
	int running;   /* a process runs (or is starting or backing off) */
} bpci__sup_child;

/* The restart intensity window: the times of the last restarts. */
typedef struct bpci__sup_window {
	unsigned int max_restarts;
	uint64_t period_ms;
	uint64_t *times;  /* oldest first, at most max_restarts + 1 */
	size_t count;
} bpci__sup_window;

/* Returns 0, BPCI_EINVAL (period_ms 0), BPCI_ENOMEM. */
int bpci__sup_window_init(bpci__sup_window *w, unsigned int max_restarts, uint64_t period_ms);
void bpci__sup_window_release(bpci__sup_window *w);
/* Restarts that still count at @now_ms. */
size_t bpci__sup_window_count(const bpci__sup_window *w, uint64_t now_ms);

typedef enum bpci__sup_action {
	BPCI__SUP_NONE = 0,     /* nothing to restart (forget may be set) */
	BPCI__SUP_RESTART = 1,  /* stop, then start */
	BPCI__SUP_ESCALATE = 2  /* stop every running child and give up */
} bpci__sup_action;

typedef struct bpci__sup_plan {
	bpci__sup_action action;
	size_t *stop, nstop;     /* indices, reverse start order */
	size_t *start, nstart;   /* indices, start order */
	size_t *forget, nforget; /* indices of temporary children to drop */
	char reason[192];        /* why (escalation: the intensity exceeded) */
} bpci__sup_plan;

/*
 * Child @failed of @kids (@n, start order) ended at @now_ms, @abnormal or
 * not (@kids[failed].running is ignored: it has ended). Records the restart
 * in @w when there is one. Fills @out (release with bpci__sup_plan_release,
 * also after an error). Returns 0, BPCI_EINVAL (failed >= n, unknown
 * strategy or restart type), BPCI_ENOMEM.
 */
int bpci__sup_decide(bpci__sup_plan *out, const bpci__sup_child *kids, size_t n, size_t failed,
		     int abnormal, bpci_supervisor_strategy strategy, bpci__sup_window *w,
		     uint64_t now_ms);
void bpci__sup_plan_release(bpci__sup_plan *p);

#endif
