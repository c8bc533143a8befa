/*
 * Local child daemons: spawning (the contract's command line and
 * environment), exits seen through the pidfd, the OTP decision
 * (plan/supervisor.h) carried out with backoff, group restarts, stops,
 * and escalation.
 *
 * A group restart (one_for_all, rest_for_one) stops the siblings first;
 * the children marked pending_start are spawned, in start order, once
 * every stopped sibling has exited and the failed child's backoff delay
 * has passed.
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

static void set_exit(bpci__dchild *k, const char *text)
{
	char *copy = bpci__strdup(text);

	if (copy) {
		bpci__free(k->last_exit);
		k->last_exit = copy;
	}
}

static void describe(char *buf, size_t size, int status)
{
	if (status == BPCI__PROC_STATUS_UNKNOWN)
		snprintf(buf, size, "exited (status unknown: adopted)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "ended (status %d)", status);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	bpci__dchild *k = arg;

	(void)fd;
	(void)what;
	if (!k->proc)
		return;
	if (!k->stopping && !k->ready)
		bpci__d_log(k->d, "child %s not ready after %u ms: killing it", k->id,
			    BPCI__D_START_TIMEOUT_MS);
	(void)bpci__proc_signal_group(k->proc, SIGKILL);
}

static void arm(bpci__dchild *k, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

	if (!k->timer)
		k->timer = evtimer_new(k->d->base, on_timer, k);
	if (k->timer)
		evtimer_add(k->timer, &tv);
}

void bpci__d_release(bpci__dchild *k)
{
	if (k->exit_ev) {
		event_free(k->exit_ev);
		k->exit_ev = NULL;
	}
	if (k->timer)
		evtimer_del(k->timer);
	bpci__proc_free(k->proc);
	k->proc = NULL;
}

void bpci__d_signal_stop(bpci__dchild *k)
{
	if (!k->proc)
		return;
	k->stopping = 1;
	(void)bpci__proc_signal_group(k->proc, SIGTERM);
	arm(k, BPCI__D_STOP_TIMEOUT_MS);
}

void bpci__d_ready(bpci__dchild *k)
{
	if (k->ready)
		return;
	k->ready = 1;
	if (k->timer)
		evtimer_del(k->timer);
	if (k->state == BPCI__D_STARTING || k->state == BPCI__D_UNREACHABLE)
		bpci__d_set_state(k, BPCI__D_RUNNING, k->last_exit);
	bpci__d_log(k->d, "child %s ready (pid %d)", k->id,
		    k->proc ? (int)bpci__proc_pid(k->proc) : 0);
	(void)bpci__d_save(k->d);
}

/* ---- spawning ---- */

typedef struct spawn_args {
	char *dir, *log, *listen, *token_env, *notify_env;
} spawn_args;

static void args_free(spawn_args *a)
{
	bpci__free(a->dir);
	bpci__free(a->log);
	bpci__free(a->listen);
	bpci__free(a->token_env);
	bpci__free(a->notify_env);
}

static int args_make(spawn_args *a, bpci__dchild *k)
{
	bpci__daemons *d = k->d;

	memset(a, 0, sizeof(*a));
	a->dir = bpci__asprintf("%s/%s", d->dir, k->id);
	a->log = bpci__asprintf("%s/%s/daemon.log", d->dir, k->id);
	a->listen = bpci__asprintf("127.0.0.1:%u", (unsigned int)k->port);
	a->token_env = bpci__asprintf("BPCI_JOIN_TOKEN=%s", d->token);
	a->notify_env = bpci__asprintf("NOTIFY_SOCKET=%s", d->notify_addr ? d->notify_addr : "");
	if (!a->dir || !a->log || !a->listen || !a->token_env || !a->notify_env)
		return BPCI_ENOMEM;
	return 0;
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg);

int bpci__d_watch(bpci__dchild *k, bpci_diag *diag)
{
	(void)diag;
	k->exit_ev = event_new(k->d->base, bpci__proc_fd(k->proc), EV_READ, on_exit_ready, k);
	if (!k->exit_ev || event_add(k->exit_ev, NULL) < 0)
		return BPCI_ENOMEM;
	return 0;
}

static int spawn_with(bpci__dchild *k, spawn_args *a, bpci_diag *diag)
{
	bpci__daemons *d = k->d;
	const char *argv[] = {d->program, "node-coordinator", "start", "--daemon-id", k->id,
			      "--join", d->url, "--state-dir", a->dir, "--listen", a->listen,
			      NULL};
	const char *env[] = {a->token_env, a->notify_env, NULL};
	bpci__proc_opts po = BPCI__PROC_OPTS_INIT;
	int logfd, rc;

	if (mkdir(a->dir, 0700) != 0 && errno != EEXIST)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot create %s: %s", a->dir, strerror(errno));
	logfd = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	po.argv = argv;
	po.env = env;
	po.stdout_fd = logfd;
	po.stderr_fd = logfd;
	rc = bpci__proc_spawn(&k->proc, &po, diag);
	if (logfd >= 0)
		close(logfd);
	if (rc != 0)
		return rc;
	rc = bpci__d_watch(k, diag);
	if (rc != 0) {
		(void)bpci__proc_signal_group(k->proc, SIGKILL);
		(void)bpci__proc_wait(k->proc, -1, NULL);
		bpci__d_release(k);
	}
	return rc;
}

int bpci__d_spawn(bpci__dchild *k, bpci_diag *diag)
{
	spawn_args a;
	int rc = args_make(&a, k);

	if (rc == 0)
		rc = spawn_with(k, &a, diag);
	args_free(&a);
	if (rc != 0) {
		bpci__d_set_state(k, BPCI__D_FAILED, k->last_exit);
		set_exit(k, rc == BPCI_ENOTFOUND ? "daemon program not found" : "spawn failed");
		(void)bpci__d_save(k->d);
		return rc;
	}
	bpci__d_set_state(k, BPCI__D_STARTING, k->last_exit);
	k->ready = 0;
	k->joined = 0;
	k->stopping = 0;
	k->want = 1;
	bpci__backoff_started(&k->backoff, bpci__d_mono_ms());
	arm(k, BPCI__D_START_TIMEOUT_MS);
	bpci__d_log(k->d, "child %s spawned (pid %d)", k->id, (int)bpci__proc_pid(k->proc));
	(void)bpci__d_save(k->d);
	return 0;
}

/* ---- group restarts ---- */

static void on_group_due(evutil_socket_t fd, short what, void *arg);

static void arm_group(bpci__daemons *d, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

	if (!d->group_ev)
		d->group_ev = evtimer_new(d->base, on_group_due, d);
	if (d->group_ev)
		evtimer_add(d->group_ev, &tv);
}

/* Spawn the pending children once the stopped siblings are gone and the
 * delay has passed. */
static void try_group(bpci__daemons *d)
{
	uint64_t now = bpci__d_mono_ms();
	size_t i;

	if (d->stopping_all)
		return;
	for (i = 0; i < d->nkids; i++)
		if (d->kids[i]->stopping && d->kids[i]->proc)
			return; /* its exit calls us again */
	if (now < d->group_due_mono) {
		arm_group(d, d->group_due_mono - now);
		return;
	}
	for (i = 0; i < d->nkids; i++) {
		bpci__dchild *k = d->kids[i];

		if (!k->pending_start)
			continue;
		k->pending_start = 0;
		(void)bpci__d_spawn(k, NULL);
	}
}

static void on_group_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_group(arg);
}

/* ---- escalation ---- */

static void escalate(bpci__daemons *d, bpci__dchild *k, const bpci__sup_plan *p)
{
	size_t i;

	d->escalated = 1;
	bpci__free(d->escalate_reason);
	d->escalate_reason = bpci__asprintf("child daemon '%s': %s", k->id, p->reason);
	bpci__d_set_state(k, BPCI__D_FAILED, k->last_exit);
	set_exit(k, p->reason);
	bpci__d_log(d, "escalating: %s", d->escalate_reason ? d->escalate_reason : p->reason);
	d->stopping_all = 1;
	for (i = 0; i < d->nkids; i++)
		d->kids[i]->pending_start = 0;
	(void)bpci__d_save(d);
	bpci__d_post_escalate(d, k->id, p->reason);
	bpci_coordinator_request_stop(d->c);
}

/* ---- deciding ---- */

static void carry_out(bpci__daemons *d, bpci__dchild **loc, const bpci__sup_plan *p,
		      size_t failed)
{
	bpci__dchild *k = loc[failed];
	uint64_t now = bpci__d_mono_ms(), delay;
	size_t i;

	delay = bpci__backoff_next(&k->backoff, &d->backoff, now, bpci__rand_splitmix64, &d->rng);
	for (i = 0; i < p->nforget; i++)
		loc[p->forget[i]]->forget_on_exit = 1;
	for (i = 0; i < p->nstart; i++) {
		bpci__dchild *s = loc[p->start[i]];

		s->pending_start = 1;
		s->restarts++;
		bpci__d_set_state(s, BPCI__D_RESTARTING, s->last_exit);
	}
	for (i = 0; i < p->nstop; i++) {
		bpci__dchild *s = loc[p->stop[i]];

		bpci__d_log(d, "stopping %s (%s restart with %s)", s->id,
			    bpci_supervisor_strategy_name(d->sup.strategy), k->id);
		bpci__d_signal_stop(s);
		if (s->forget_on_exit)
			s->want = 0;
	}
	if (now + delay > d->group_due_mono)
		d->group_due_mono = now + delay;
	bpci__d_log(d, "restarting %s in %llu ms", k->id, (unsigned long long)delay);
	try_group(d);
}

/* Local children in start order, for the decision. */
static int decide(bpci__daemons *d, bpci__dchild *k, int abnormal)
{
	bpci__dchild **loc = bpci__calloc(d->nkids, sizeof(*loc));
	bpci__sup_child *sc = bpci__calloc(d->nkids, sizeof(*sc));
	bpci__sup_plan p;
	size_t i, n = 0, failed = 0;
	int rc = BPCI_ENOMEM;

	memset(&p, 0, sizeof(p));
	if (!loc || !sc)
		goto out;
	for (i = 0; i < d->nkids; i++) {
		if (d->kids[i]->remote)
			continue;
		if (d->kids[i] == k)
			failed = n;
		loc[n] = d->kids[i];
		sc[n].restart = d->kids[i]->restart;
		sc[n].running = (d->kids[i]->proc && !d->kids[i]->stopping) ||
				d->kids[i]->pending_start;
		n++;
	}
	rc = bpci__sup_decide(&p, sc, n, failed, abnormal, d->sup.strategy, &d->window,
			      bpci__d_mono_ms());
	if (rc != 0)
		goto out;
	if (p.action == BPCI__SUP_ESCALATE && !d->parent_url) {
		/* a root has nobody to escalate to: the child is failed */
		bpci__d_set_state(k, BPCI__D_FAILED, k->last_exit);
		k->want = 0;
		set_exit(k, p.reason);
		bpci__d_log(d, "child %s failed: %s", k->id, p.reason);
	} else if (p.action == BPCI__SUP_ESCALATE) {
		escalate(d, k, &p);
		for (i = 0; i < p.nstop; i++)
			bpci__d_signal_stop(loc[p.stop[i]]);
	} else if (p.action == BPCI__SUP_RESTART) {
		carry_out(d, loc, &p, failed);
	} else {
		bpci__d_set_state(k, abnormal ? BPCI__D_FAILED : BPCI__D_STOPPED,
				  k->last_exit);
		k->want = 0;
		for (i = 0; i < p.nforget; i++)
			if (loc[p.forget[i]] == k)
				k->forget_on_exit = 1;
	}
out:
	bpci__sup_plan_release(&p);
	bpci__free(loc);
	bpci__free(sc);
	return rc;
}

/* The child's process is gone: a stop we asked for, or a failure. */
void bpci__d_ended(bpci__dchild *k, int status)
{
	bpci__daemons *d = k->d;
	char why[96];
	int abnormal, was_stop = k->stopping;

	bpci__d_release(k);
	describe(why, sizeof(why), status);
	set_exit(k, why);
	k->joined = 0;
	k->stopping = 0;
	if (!k->ready)
		k->port = 0; /* perhaps the port was taken: pick a new one */
	bpci__d_log(d, "child %s %s", k->id, why);
	abnormal = status == BPCI__PROC_STATUS_UNKNOWN || !WIFEXITED(status) ||
		   WEXITSTATUS(status) != 0;
	if (was_stop || d->stopping_all) {
		if (!k->pending_start)
			bpci__d_set_state(k, BPCI__D_STOPPED, k->last_exit);
	} else if (decide(d, k, abnormal) != 0) {
		bpci__d_set_state(k, BPCI__D_FAILED, k->last_exit);
	}
	if (k->forget_on_exit && !k->pending_start) {
		bpci__d_remove_child(d, k);
	}
	(void)bpci__d_save(d);
	try_group(d);
}

/* The pidfd of an adopted process may belong to our own child after all
 * (a coordinator opened again in the same program): reap it then. */
static int reap_adopted(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid != pid)
		return BPCI__PROC_STATUS_UNKNOWN;
	if (si.si_code == CLD_EXITED)
		return (si.si_status & 0xff) << 8;
	return si.si_status & 0x7f;
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
	bpci__dchild *k = arg;
	int status = 0, rc;

	(void)fd;
	(void)what;
	rc = bpci__proc_reap(k->proc, &status);
	if (rc == 0) {
		event_add(k->exit_ev, NULL);
		return;
	}
	if (rc < 0)
		status = BPCI__PROC_STATUS_UNKNOWN;
	if (status == BPCI__PROC_STATUS_UNKNOWN && !bpci__proc_is_child(k->proc))
		status = reap_adopted(bpci__proc_pid(k->proc));
	bpci__d_ended(k, status);
}

/* ---- public operations ---- */

bpci__daemons *bpci__d_of(bpci_coordinator *c, bpci_diag *diag)
{
	if (c && c->daemons)
		return c->daemons;
	bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
		       "this coordinator is not a daemon: start it with a daemon id");
	return NULL;
}

int bpci_coordinator_add_daemon(bpci_coordinator *c, const bpci_daemon_spec *spec,
				bpci_child_restart restart, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k;
	const char *id;
	int rc;

	if (!d)
		return BPCI_EINVAL;
	if (!spec || bpci_daemon_spec_validate(spec, diag) != 0)
		return spec ? BPCI_EINVAL
			    : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "spec",
					     "a daemon spec is required");
	if (bpci_daemon_spec_remote(spec))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "remote",
				      "a remote daemon is started on its own host with --join, "
				      "not spawned: got remote true");
	if (!bpci_child_restart_name(restart))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "restart",
				      "must be permanent, transient or temporary, got %d",
				      (int)restart);
	id = bpci_daemon_spec_id(spec);
	if (bpci__d_find(d, id) || strcmp(id, d->id) == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "daemon_id",
				      "'%s' is already a daemon here", id);
	if (d->stopping_all)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "daemon_id",
				      "daemon '%s' is shutting down", d->id);
	rc = bpci__d_add_child(&k, d, id);
	if (rc != 0)
		return rc;
	k->restart = restart;
	if (bpci_daemon_spec_dup(&k->spec, spec) != 0) {
		bpci__d_remove_child(d, k);
		return BPCI_ENOMEM;
	}
	rc = bpci__d_spawn(k, diag);
	if (rc != 0) {
		bpci__d_remove_child(d, k);
		(void)bpci__d_save(d);
	}
	return rc;
}

int bpci_coordinator_remove_daemon(bpci_coordinator *c, const char *daemon_id, bpci_diag *diag)
{
	bpci__daemons *d = bpci__d_of(c, diag);
	bpci__dchild *k = d ? bpci__d_find(d, daemon_id) : NULL;

	if (!d)
		return BPCI_EINVAL;
	if (!k)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "'%s' is no child daemon of '%s'", daemon_id ? daemon_id : "",
				      d->id);
	k->want = 0;
	k->pending_start = 0;
	if (k->proc) {
		k->forget_on_exit = 1;
		bpci__d_set_state(k, BPCI__D_STOPPED, k->last_exit);
		bpci__d_signal_stop(k);
	} else {
		bpci__d_remove_child(d, k);
	}
	(void)bpci__d_save(d);
	return 0;
}

static int any_alive(const bpci__daemons *d)
{
	size_t i;

	for (i = 0; i < d->nkids; i++)
		if (d->kids[i]->proc)
			return 1;
	return 0;
}

int bpci_coordinator_stop_daemons(bpci_coordinator *c, bpci_diag *diag)
{
	bpci__daemons *d;
	size_t i;
	int rc;

	if (!c)
		return BPCI_EINVAL;
	d = c->daemons;
	if (!d)
		return 0;
	if (c->loop_depth > 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "",
				      "cannot stop child daemons from inside the loop");
	d->stopping_all = 1;
	for (i = d->nkids; i-- > 0;) {
		bpci__dchild *k = d->kids[i];

		k->pending_start = 0;
		k->forget_on_exit = 0;
		if (!k->proc)
			continue;
		bpci__d_signal_stop(k);
		while (k->proc && bpci__coord_iterate(c, 100) >= 0)
			;
	}
	while (any_alive(d) && bpci__coord_iterate(c, 100) >= 0)
		;
	/* After an escalation the children are kept (want stays set), so that
	 * this daemon, restarted by its parent, starts them again. */
	for (i = d->nkids; !d->escalated && i-- > 0;)
		bpci__d_remove_child(d, d->kids[i]);
	for (i = 0; i < d->nkids; i++)
		if (d->kids[i]->state != BPCI__D_FAILED)
			bpci__d_set_state(d->kids[i], BPCI__D_STOPPED, d->kids[i]->last_exit);
	rc = bpci__d_save(d);
	if (rc != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "", "cannot write %s",
				      d->json_path);
	return 0;
}
