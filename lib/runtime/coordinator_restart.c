/*
 * What happens when a node's process ends: the restart policy.
 *
 * permanent restarts after any exit, transient only after a failure (a
 * non-zero status, a signal, an exit we caused because the node was not
 * ready or unhealthy, or an unknown status of an adopted node), temporary
 * never. Each restart waits out the backoff delay (state pending) and is
 * counted against the intensity window: one restart too many within
 * restart.period and the node is failed for good, with the reason.
 */
#include "runtime/coordinator_internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/alloc.h"

static void describe_exit(char *buf, size_t len, int status)
{
	if (status == BPCI__PROC_STATUS_UNKNOWN)
		snprintf(buf, len, "exited (status unknown)");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %d", status);
}

static void record_exit(bpci__cnode *n, int status)
{
	n->last_exit_code = -1;
	n->last_exit_signal = 0;
	if (status != BPCI__PROC_STATUS_UNKNOWN && WIFEXITED(status))
		n->last_exit_code = WEXITSTATUS(status);
	else if (status != BPCI__PROC_STATUS_UNKNOWN && WIFSIGNALED(status))
		n->last_exit_signal = WTERMSIG(status);
	n->last_exit_ms = bpci__coord_wall_ms();
}

static void fmt_period(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/* The process is gone after a failure (@failed) or a clean exit. */
static void after_exit(bpci__cnode *n, int failed, const char *reason)
{
	uint64_t now = bpci__coord_mono_ms(), delay;
	char msg[400], period[32];

	if (n->set.policy == BPCI__POLICY_TEMPORARY ||
	    (n->set.policy == BPCI__POLICY_TRANSIENT && !failed)) {
		if (failed) {
			bpci__coord_set_failure(n, "%s", reason);
			bpci__coord_set_state(n, BPCI_NODE_STATE_FAILED, reason);
		} else {
			bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPED, reason);
		}
		return;
	}
	if (bpci__intensity_record(&n->intensity, now)) {
		fmt_period(period, sizeof(period), n->set.period_ms);
		bpci__coord_set_failure(n, "restart intensity exceeded: %u restarts in %s",
					n->set.max_restarts, period);
		snprintf(msg, sizeof(msg), "%s; %s", reason, n->failure_reason);
		bpci__coord_set_state(n, BPCI_NODE_STATE_FAILED, msg);
		return;
	}
	delay = bpci__backoff_next(&n->backoff, &n->set.backoff, now, bpci__rand_splitmix64,
				   &n->c->rng);
	n->restarts++;
	if (failed)
		bpci__coord_set_failure(n, "%s", reason);
	snprintf(msg, sizeof(msg), "%s; restarting in %llums", reason,
		 (unsigned long long)delay);
	bpci__coord_set_state(n, BPCI_NODE_STATE_PENDING, msg);
	bpci__coord_arm_timer(n, delay);
}

static void stopped_on_request(bpci__cnode *n, const char *how)
{
	if (n->remove_on_exit) {
		bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPED, how);
		bpci__coord_start_successor(n);
		return;
	}
	if (n->restart_on_exit) {
		n->restart_on_exit = 0;
		bpci__coord_set_state(n, BPCI_NODE_STATE_PENDING, "restarting on request");
		bpci__coord_restart_due(n);
		return;
	}
	bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPED, how);
}

/*
 * The node announced STOPPING=1 and then ended, with no stop or restart
 * asked of us meanwhile: it stopped by itself, whatever its status. Only
 * permanent restarts it (always); transient and temporary leave it
 * stopped, not failed.
 */
static void stopped_by_itself(bpci__cnode *n, const char *how)
{
	char reason[240];

	snprintf(reason, sizeof(reason), "stopped by itself after STOPPING=1 (%s)", how);
	if (n->set.policy == BPCI__POLICY_PERMANENT) {
		after_exit(n, 0, reason);
		return;
	}
	bpci__coord_set_state(n, BPCI_NODE_STATE_STOPPED, reason);
}

void bpci__coord_exited(bpci__cnode *n, int status)
{
	char how[160];
	int failed, self = n->self_stopping;

	n->self_stopping = 0;
	record_exit(n, status);
	bpci__coord_disarm(n);
	bpci__coord_health_stop(n);
	describe_exit(how, sizeof(how), status);
	if (n->state == BPCI_NODE_STATE_STOPPING && self && !n->remove_on_exit &&
	    !n->restart_on_exit) {
		stopped_by_itself(n, how);
		return;
	}
	if (n->state == BPCI_NODE_STATE_STOPPING) {
		stopped_on_request(n, how);
		return;
	}
	failed = n->killing || status == BPCI__PROC_STATUS_UNKNOWN || !WIFEXITED(status) ||
		 WEXITSTATUS(status) != 0;
	if (n->killing && n->kill_reason) {
		char reason[400];

		snprintf(reason, sizeof(reason), "%s (%s)", n->kill_reason, how);
		n->killing = 0;
		after_exit(n, 1, reason);
		return;
	}
	after_exit(n, failed, how);
}

void bpci__coord_spawn_failed(bpci__cnode *n, int rc, const char *why)
{
	char msg[400];

	/* @why is often n->failure_reason itself, which is about to change */
	snprintf(msg, sizeof(msg), "%s", why ? why : "spawn failed");
	bpci__coord_health_stop(n);
	if (rc == BPCI_ENOTFOUND) {
		/* Restarting cannot make a missing program appear: no loop. */
		bpci__coord_set_failure(n, "%s", msg);
		bpci__coord_set_state(n, BPCI_NODE_STATE_FAILED, msg);
		return;
	}
	n->last_exit_code = -1;
	n->last_exit_signal = 0;
	after_exit(n, 1, msg);
}

void bpci__coord_restart_due(bpci__cnode *n)
{
	int rc = bpci__coord_spawn(n, NULL);

	if (rc < 0)
		bpci__coord_spawn_failed(n, rc,
					 n->failure_reason ? n->failure_reason : "spawn failed");
}

void bpci__coord_kill_for(bpci__cnode *n, const char *reason)
{
	char *copy;

	if (!n->proc || n->killing)
		return;
	copy = bpci__strdup(reason);
	n->killing = 1;
	bpci__free(n->kill_reason);
	n->kill_reason = copy;
	bpci__coord_signal_stop(n);
}
