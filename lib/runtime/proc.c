#include "runtime/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/proc_clone.h"
#include "runtime/spawner.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct bpci__proc {
	pid_t pid;
	int pidfd;
	uint64_t start_time;
	int is_child;
	int group_leader;  /* pgid == pid: signal the whole group */
	int reaped;
	int status;        /* valid once reaped */
};

/* Everything the child needs, prepared before fork so the child only makes
 * async-signal-safe calls. */
typedef struct spawn_plan {
	char *path;        /* resolved executable */
	char **envp;       /* merged environment, NULL-terminated */
	size_t envc;
	int switch_user, switch_group;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *home, *username; /* of the target user, for HOME/USER */
	int devnull;
} spawn_plan;

/* What the child writes to the error pipe when a step fails. */
enum child_step { STEP_SETPGID = 1, STEP_SIGNALS, STEP_FDS, STEP_CHDIR, STEP_SETGROUPS,
		  STEP_SETGID, STEP_SETUID, STEP_EXEC };
typedef struct child_error {
	int step;
	int err;
} child_error;

static const char *const base_env_keys[] = {"PATH", "HOME", "LANG", "TZ", "USER"};

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* ---- environment ---------------------------------------------------- */

static int env_set(spawn_plan *plan, size_t *cap, const char *key, size_t klen, const char *kv)
{
	size_t i;
	char *copy = bpci__strdup(kv);

	if (!copy)
		return BPCI_ENOMEM;
	for (i = 0; i < plan->envc; i++) {
		if (strncmp(plan->envp[i], key, klen) == 0 && plan->envp[i][klen] == '=') {
			bpci__free(plan->envp[i]);
			plan->envp[i] = copy;
			return 0;
		}
	}
	if (bpci__grow((void **)&plan->envp, cap, plan->envc + 2, sizeof(char *)) < 0) {
		bpci__free(copy);
		return BPCI_ENOMEM;
	}
	plan->envp[plan->envc++] = copy;
	plan->envp[plan->envc] = NULL;
	return 0;
}

static int env_set_pair(spawn_plan *plan, size_t *cap, const char *key, const char *value)
{
	char *kv = bpci__asprintf("%s=%s", key, value);
	int rc;

	if (!kv)
		return BPCI_ENOMEM;
	rc = env_set(plan, cap, key, strlen(key), kv);
	bpci__free(kv);
	return rc;
}

static int build_env(spawn_plan *plan, const bpci__proc_opts *opts, bpci_diag *diag)
{
	size_t cap = 0, i;
	int rc;

	if (bpci__grow((void **)&plan->envp, &cap, 1, sizeof(char *)) < 0)
		return BPCI_ENOMEM;
	plan->envp[0] = NULL;
	for (i = 0; i < sizeof(base_env_keys) / sizeof(base_env_keys[0]); i++) {
		const char *v = getenv(base_env_keys[i]);

		if (v && (rc = env_set_pair(plan, &cap, base_env_keys[i], v)) < 0)
			return rc;
	}
	if (plan->home && (rc = env_set_pair(plan, &cap, "HOME", plan->home)) < 0)
		return rc;
	if (plan->username && (rc = env_set_pair(plan, &cap, "USER", plan->username)) < 0)
		return rc;
	for (i = 0; opts->env && opts->env[i]; i++) {
		const char *eq = strchr(opts->env[i], '=');
		char field[32];

		snprintf(field, sizeof(field), "env[%zu]", i);
		if (!eq || eq == opts->env[i])
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "must be KEY=VALUE with a non-empty KEY, got \"%s\"",
					      opts->env[i]);
		if ((rc = env_set(plan, &cap, opts->env[i], (size_t)(eq - opts->env[i]),
				  opts->env[i])) < 0)
			return rc;
	}
	return 0;
}

static const char *env_get(const spawn_plan *plan, const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < plan->envc; i++)
		if (strncmp(plan->envp[i], key, klen) == 0 && plan->envp[i][klen] == '=')
			return plan->envp[i] + klen + 1;
	return NULL;
}

/* ---- executable lookup ---------------------------------------------- */

static int is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Like execvp's search, done in the parent: the child must not allocate. */
static int resolve_path(spawn_plan *plan, const char *name, bpci_diag *diag)
{
	const char *path = env_get(plan, "PATH");
	const char *p, *end;

	if (strchr(name, '/')) {
		plan->path = bpci__strdup(name);
		return plan->path ? 0 : BPCI_ENOMEM;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		char *cand;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		cand = bpci__asprintf("%.*s/%s", end == p ? 1 : (int)(end - p),
				      end == p ? "." : p, name);
		if (!cand)
			return BPCI_ENOMEM;
		if (is_executable_file(cand)) {
			plan->path = cand;
			return 0;
		}
		bpci__free(cand);
		if (!*end)
			break;
	}
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "argv[0]",
			      "executable not found: %s (searched PATH=%s)", name, path);
}

/* ---- user and group ------------------------------------------------- */

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || *end || *out > (unsigned long)INT_MAX) ? -1 : 0;
}

static int lookup_user(spawn_plan *plan, const char *user, bpci_diag *diag)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long id;
	int err;

	if (parse_id(user, &id) == 0)
		err = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	else
		err = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (!res) {
		if (parse_id(user, &id) == 0) { /* a bare uid needs no passwd entry */
			plan->uid = (uid_t)id;
			plan->switch_user = 1;
			return 0;
		}
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "user",
				      "no such user \"%s\"%s%s", user, err ? ": " : "",
				      err ? strerror(err) : "");
	}
	plan->uid = pw.pw_uid;
	plan->gid = pw.pw_gid;
	plan->switch_user = 1;
	plan->home = bpci__strdup(pw.pw_dir);
	plan->username = bpci__strdup(pw.pw_name);
	if (!plan->home || !plan->username)
		return BPCI_ENOMEM;
	return 0;
}

static int lookup_group(spawn_plan *plan, const char *group, bpci_diag *diag)
{
	struct group gr, *res = NULL;
	char buf[8192];
	unsigned long id;
	int err;

	if (parse_id(group, &id) == 0) {
		plan->gid = (gid_t)id;
		plan->switch_group = 1;
		return 0;
	}
	err = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (!res)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "group",
				      "no such group \"%s\"%s%s", group, err ? ": " : "",
				      err ? strerror(err) : "");
	plan->gid = gr.gr_gid;
	plan->switch_group = 1;
	return 0;
}

/* The supplementary groups: the user's (initgroups is not async-signal-
 * safe, so the list is computed here), or just the one group. */
static int plan_groups(spawn_plan *plan)
{
	int n = 32;

	if (plan->username) {
		for (;;) {
			gid_t *g = bpci__realloc(plan->groups, (size_t)n * sizeof(gid_t));

			if (!g)
				return BPCI_ENOMEM;
			plan->groups = g;
			if (getgrouplist(plan->username, plan->gid, plan->groups, &n) >= 0)
				break;
			n *= 2;
		}
		plan->ngroups = n;
		return 0;
	}
	plan->groups = bpci__malloc(sizeof(gid_t));
	if (!plan->groups)
		return BPCI_ENOMEM;
	plan->groups[0] = plan->gid;
	plan->ngroups = 1;
	return 0;
}

static int plan_identity(spawn_plan *plan, const bpci__proc_opts *opts, bpci_diag *diag)
{
	int rc;

	if (!opts->user && !opts->group)
		return 0;
	if (geteuid() != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      opts->user ? "user" : "group",
				      "switching to \"%s\" requires running as root",
				      opts->user ? opts->user : opts->group);
	if (opts->user && (rc = lookup_user(plan, opts->user, diag)) < 0)
		return rc;
	if (opts->group && (rc = lookup_group(plan, opts->group, diag)) < 0)
		return rc;
	if (opts->user && !opts->group && !plan->username) /* bare uid */
		plan->gid = getegid();
	plan->switch_group = 1;
	return plan_groups(plan);
}

static void plan_free(spawn_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->envc; i++)
		bpci__free(plan->envp[i]);
	bpci__free(plan->envp);
	bpci__free(plan->path);
	bpci__free(plan->groups);
	bpci__free(plan->home);
	bpci__free(plan->username);
	if (plan->devnull >= 0)
		close(plan->devnull);
}

static int plan_build(spawn_plan *plan, const bpci__proc_opts *opts, bpci_diag *diag)
{
	int rc;

	if (!opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "argv",
				      "must hold at least the program name");
	if ((rc = plan_identity(plan, opts, diag)) < 0)
		return rc;
	if ((rc = build_env(plan, opts, diag)) < 0)
		return rc;
	return resolve_path(plan, opts->argv[0], diag);
}

/* /dev/null for the standard descriptors not given, opened only by the
 * paths that need it in our table (the spawner has its own). */
static int plan_devnull(spawn_plan *plan, const bpci__proc_opts *opts, bpci_diag *diag)
{
	if (plan->devnull >= 0 || (opts->stdin_fd >= 0 && opts->stdout_fd >= 0 &&
				   opts->stderr_fd >= 0))
		return 0;
	plan->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (plan->devnull < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "cannot open /dev/null: %s", strerror(errno));
	return 0;
}

/* ---- the child ------------------------------------------------------ */

static void child_fail(int errfd, int step)
{
	child_error ce;
	ssize_t n;

	ce.step = step;
	ce.err = errno;
	do
		n = write(errfd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

static void child_reset_signals(int errfd)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL); /* glibc-reserved ones fail */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(errfd, STEP_SIGNALS);
}

/* Move the sources above 2 first so that, e.g., stdout_fd == 2 is not
 * clobbered before it is copied; dup2 clears CLOEXEC on 0..2. */
static void child_fds(const bpci__proc_opts *opts, const spawn_plan *plan, int errfd)
{
	int src[3] = {opts->stdin_fd, opts->stdout_fd, opts->stderr_fd};
	int i;

	for (i = 0; i < 3; i++) {
		if (src[i] < 0)
			src[i] = plan->devnull;
		src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
		if (src[i] < 0)
			child_fail(errfd, STEP_FDS);
	}
	for (i = 0; i < 3; i++)
		if (dup2(src[i], i) < 0)
			child_fail(errfd, STEP_FDS);
	/* Everything from 3 up closes at exec, the error pipe included. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		if (errfd > 3 && syscall(SYS_close_range, 3U, (unsigned)errfd - 1, 0U) < 0)
			child_fail(errfd, STEP_FDS);
		if (syscall(SYS_close_range, (unsigned)errfd + 1, ~0U, 0U) < 0)
			child_fail(errfd, STEP_FDS);
	}
}

static void child_run(const bpci__proc_opts *opts, const spawn_plan *plan, int errfd)
{
	if (setpgid(0, 0) < 0)
		child_fail(errfd, STEP_SETPGID);
	child_reset_signals(errfd);
	child_fds(opts, plan, errfd);
	if (opts->working_dir && chdir(opts->working_dir) < 0)
		child_fail(errfd, STEP_CHDIR);
	if (plan->switch_group && setgroups((size_t)plan->ngroups, plan->groups) < 0)
		child_fail(errfd, STEP_SETGROUPS);
	if (plan->switch_group && setgid(plan->gid) < 0)
		child_fail(errfd, STEP_SETGID);
	if (plan->switch_user && setuid(plan->uid) < 0)
		child_fail(errfd, STEP_SETUID);
	execve(plan->path, (char *const *)opts->argv, plan->envp);
	child_fail(errfd, STEP_EXEC);
}

/* ---- the parent ----------------------------------------------------- */

static int report_child_error(const child_error *ce, const bpci__proc_opts *opts,
			      const spawn_plan *plan, bpci_diag *diag)
{
	static const char *const steps[] = {"", "setpgid", "signal reset", "descriptor setup",
					    "chdir", "setgroups", "setgid", "setuid", "execve"};
	const char *step = ce->step > 0 && ce->step <= STEP_EXEC ? steps[ce->step] : "?";

	if (ce->step == STEP_EXEC && ce->err == ENOENT)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "argv[0]",
				      "executable not found: %s", plan->path);
	if (ce->step == STEP_EXEC)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "argv[0]",
				      "cannot execute %s: %s", plan->path, strerror(ce->err));
	if (ce->step == STEP_CHDIR)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "working_dir",
				      "cannot change to %s: %s", opts->working_dir,
				      strerror(ce->err));
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
			      "child setup failed at %s: %s", step, strerror(ce->err));
}

static void reap_blocking(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Read the child's verdict: EOF means execve succeeded. */
static int await_exec(pid_t pid, int rfd, const bpci__proc_opts *opts,
		      const spawn_plan *plan, bpci_diag *diag)
{
	child_error ce;
	ssize_t n;

	do
		n = read(rfd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	reap_blocking(pid);
	if (n != (ssize_t)sizeof(ce))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "lost the child's exec report (%zd bytes)", n);
	return report_child_error(&ce, opts, plan, diag);
}

static int fork_exec(pid_t *pid_out, const bpci__proc_opts *opts, const spawn_plan *plan,
		     bpci_diag *diag)
{
	sigset_t all, old;
	int pipefd[2], rc, err;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "pipe2: %s", strerror(errno));
	/* No handler of ours may run in the child between fork and the reset. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_run(opts, plan, pipefd[1]);
	}
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "fork: %s", strerror(err));
	}
	(void)setpgid(pid, pid); /* closes the race with an early signal_group */
	rc = await_exec(pid, pipefd[0], opts, plan, diag);
	close(pipefd[0]);
	*pid_out = pid;
	return rc;
}

static int spawn_fds(pid_t *pid_out, const int *src, const bpci__proc_opts *opts,
		     const spawn_plan *plan)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int i, err = 0;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return 1;
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return 1;
	}
	sigfillset(&all);
	sigemptyset(&none);
	for (i = 0; i < 3 && !err; i++)
		err = posix_spawn_file_actions_adddup2(&fa, src[i], i);
	/* what fork's child does with close_range(3, ~0, CLOEXEC) */
	if (!err)
		err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!err && opts->working_dir)
		err = posix_spawn_file_actions_addchdir_np(&fa, opts->working_dir);
	if (!err)
		err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
							 POSIX_SPAWN_SETSIGMASK);
	if (!err)
		err = posix_spawnattr_setpgroup(&at, 0);
	if (!err)
		err = posix_spawnattr_setsigdefault(&at, &all);
	if (!err)
		err = posix_spawnattr_setsigmask(&at, &none);
	if (!err)
		err = posix_spawn(pid_out, plan->path, &fa, &at, (char *const *)opts->argv,
				  plan->envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/* A spawn under way (bpci__proc_spawn_begin). */
struct bpci__proc_pending {
	bpci__proc_opts opts;     /* the caller's; its strings and fds stay valid */
	spawn_plan plan;
	bpci__spawner_req req;
	int queued;               /* req is on the spawner */
	int rc;                   /* < 0: failed before spawning */
	pid_t pid;
};

/* On a spawner thread: @fds are its copies of the three sources, above
 * 2, or i itself for a /dev/null at i. */
static int spawn_on_spawner(const int *fds, void *payload)
{
	bpci__proc_pending *pp = payload;
	int rc = bpci__proc_clone_spawn(&pp->pid, pp->plan.path, (char *const *)pp->opts.argv,
					pp->plan.envp, fds, pp->opts.working_dir);

	return rc >= 0 ? rc : spawn_fds(&pp->pid, fds, &pp->opts, &pp->plan);
}

/* The three sources of the child's 0..2, /dev/null as plan->devnull or,
 * when that is -1, as -1 (the spawner's own); 1 when one is in 0..2 (the
 * posix_spawn path does not apply: its dup2 order would matter). */
static int std_sources(int *src, const bpci__proc_opts *opts, const spawn_plan *plan)
{
	int i;

	src[0] = opts->stdin_fd;
	src[1] = opts->stdout_fd;
	src[2] = opts->stderr_fd;
	for (i = 0; i < 3; i++) {
		if (src[i] < 0)
			src[i] = plan->devnull;
		if (src[i] >= 0 && src[i] < 3)
			return 1;
	}
	return 0;
}

/*
 * posix_spawn: glibc runs the child with clone(CLONE_VM | CLONE_VFORK) on a
 * small stack of its own, so the parent copies no page tables (fork of a
 * coordinator with a thousand nodes spent most of a spawn in dup_mmap)
 * and is resumed only once the child has exec'd or failed: the exec's
 * outcome is known when the call returns, without a pipe to wait on.
 * It runs on a spawner thread (spawner.h), whose descriptor table is a
 * handful, so that the clone does not copy ours nor the child close it,
 * and meanwhile the caller can go on (bpci__proc_spawn_begin); here when
 * the spawner is unavailable. Not for a user or group switch, which
 * posix_spawn cannot do, nor a standard descriptor wired to another of
 * 0..2: bpci__proc_spawn_end runs the fork path then, and also when the
 * spawn failed (a positive errno), to report the exact step (chdir or
 * exec) that failed.
 */
int bpci__proc_spawn_begin(bpci__proc_pending **out, const bpci__proc_opts *opts,
			   bpci_diag *diag)
{
	bpci__proc_pending *pp = bpci__calloc(1, sizeof(*pp));

	*out = NULL;
	if (!pp)
		return BPCI_ENOMEM;
	pp->plan.devnull = -1;
	pp->pid = -1;
	pp->rc = plan_build(&pp->plan, opts, diag);
	if (pp->rc < 0) {
		int rc = pp->rc;

		plan_free(&pp->plan);
		bpci__free(pp);
		return rc;
	}
	pp->opts = *opts;
	if (!pp->plan.switch_user && !pp->plan.switch_group &&
	    std_sources(pp->req.fds, opts, &pp->plan) == 0) {
		pp->req.fn = spawn_on_spawner;
		pp->req.nfds = 3;
		pp->req.payload = pp;
		pp->queued = bpci__spawner_submit(&pp->req) == 0;
	}
	*out = pp;
	return 0;
}

/* The spawn's pid: from the spawner, else posix_spawn here, else fork. */
static int spawn_result(bpci__proc_pending *pp, bpci_diag *diag)
{
	int src[3], err = 1, rc;

	if (pp->queued)
		err = bpci__spawner_wait(&pp->req);
	if (err == 0)
		return 0;
	if ((rc = plan_devnull(&pp->plan, &pp->opts, diag)) < 0)
		return rc;
	if (err == BPCI__SPAWNER_UNAVAILABLE || (err == 1 && !pp->queued)) {
		err = 1;
		if (!pp->plan.switch_user && !pp->plan.switch_group &&
		    std_sources(src, &pp->opts, &pp->plan) == 0)
			err = spawn_fds(&pp->pid, src, &pp->opts, &pp->plan);
	}
	return err == 0 ? 0 : fork_exec(&pp->pid, &pp->opts, &pp->plan, diag);
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	reap_blocking(pid);
}

int bpci__proc_spawn_end(bpci__proc **out, bpci__proc_pending *pp, bpci_diag *diag)
{
	bpci__proc *p = bpci__calloc(1, sizeof(*p));
	int rc = spawn_result(pp, diag);
	pid_t pid = pp->pid;

	*out = NULL;
	plan_free(&pp->plan);
	bpci__free(pp);
	if (rc == 0 && !p) {
		kill_and_reap(pid);
		rc = BPCI_ENOMEM;
	}
	if (rc < 0) {
		bpci__free(p);
		return rc;
	}
	p->pid = pid;
	p->is_child = 1;
	p->group_leader = 1;
	p->pidfd = sys_pidfd_open(pid);
	if (p->pidfd < 0 || bpci__proc_start_time(pid, &p->start_time) < 0) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				    "cannot identify new process %ld: %s", (long)pid,
				    strerror(errno));
		kill_and_reap(pid);
		if (p->pidfd >= 0)
			close(p->pidfd);
		bpci__free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int bpci__proc_spawn(bpci__proc **out, const bpci__proc_opts *opts, bpci_diag *diag)
{
	bpci__proc_pending *pp;
	int rc = bpci__proc_spawn_begin(&pp, opts, diag);

	*out = NULL;
	return rc < 0 ? rc : bpci__proc_spawn_end(out, pp, diag);
}

/* ---- identity ------------------------------------------------------- */

int bpci__proc_parse_stat(const char *text, uint64_t *out)
{
	const char *s = strrchr(text, ')');
	unsigned long long v;
	char *end;
	int field;

	if (!s)
		return BPCI_EPARSE;
	s++;
	/* After ')' comes field 3 (state); field 22 is 19 more fields on. */
	for (field = 2; field < 22; field++) {
		while (*s == ' ')
			s++;
		if (!*s)
			return BPCI_EPARSE;
		if (field < 21)
			s += strcspn(s, " ");
	}
	if (*s < '0' || *s > '9')
		return BPCI_EPARSE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return BPCI_EPARSE;
	*out = (uint64_t)v;
	return 0;
}

/* Reads /proc/PID/stat; *state gets field 3 ('R', 'S', 'Z', ...). */
static int read_stat(pid_t pid, uint64_t *start, char *state)
{
	char path[64], buf[1024];
	const char *s;
	ssize_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? BPCI_ENOTFOUND : BPCI_EIO;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return n == 0 || errno == ESRCH ? BPCI_ENOTFOUND : BPCI_EIO;
	buf[n] = '\0';
	if ((rc = bpci__proc_parse_stat(buf, start)) < 0)
		return rc;
	s = strrchr(buf, ')') + 1;
	while (*s == ' ')
		s++;
	*state = *s;
	return 0;
}

int bpci__proc_start_time(pid_t pid, uint64_t *out)
{
	char state;

	if (pid <= 0)
		return BPCI_ENOTFOUND;
	return read_stat(pid, out, &state);
}

int bpci__proc_identify(pid_t pid, uint64_t start_time)
{
	uint64_t st;
	char state;

	if (pid <= 0 || read_stat(pid, &st, &state) < 0)
		return 0;
	return st == start_time && state != 'Z' && state != 'X';
}

int bpci__proc_adopt(bpci__proc **out, pid_t pid, uint64_t start_time, bpci_diag *diag)
{
	bpci__proc *p;
	int fd;

	*out = NULL;
	if (pid <= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "pid",
				      "must be positive, got %ld", (long)pid);
	fd = sys_pidfd_open(pid);
	if (fd < 0) {
		if (errno == ESRCH)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "pid",
					      "process %ld no longer exists", (long)pid);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "pid",
				      "pidfd_open(%ld): %s", (long)pid, strerror(errno));
	}
	/* Checked after the pidfd exists: from here on the pid cannot be reused
	 * under us, so a match now means the fd names the process we knew. */
	if (!bpci__proc_identify(pid, start_time)) {
		close(fd);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "pid",
				      "process %ld started at %llu is gone (pid reused or exited)",
				      (long)pid, (unsigned long long)start_time);
	}
	p = bpci__calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return BPCI_ENOMEM;
	}
	p->pid = pid;
	p->pidfd = fd;
	p->start_time = start_time;
	p->group_leader = getpgid(pid) == pid;
	*out = p;
	return 0;
}

void bpci__proc_free(bpci__proc *p)
{
	if (!p)
		return;
	if (p->pidfd >= 0)
		close(p->pidfd);
	bpci__free(p);
}

pid_t bpci__proc_pid(const bpci__proc *p) { return p->pid; }
int bpci__proc_fd(const bpci__proc *p) { return p->pidfd; }
uint64_t bpci__proc_started(const bpci__proc *p) { return p->start_time; }
int bpci__proc_is_child(const bpci__proc *p) { return p->is_child; }

/* ---- signals and exit ----------------------------------------------- */

int bpci__proc_signal_group(bpci__proc *p, int sig)
{
	/* kill(-pid) is safe even after the leader was reaped: Linux does not
	 * reuse a pid while a process group still carries it. */
	if (p->group_leader && kill(-p->pid, sig) == 0)
		return 0;
	if (p->group_leader && errno != ESRCH)
		return BPCI_EIO;
	if (p->reaped)
		return BPCI_ENOTFOUND;
	if (sys_pidfd_send_signal(p->pidfd, sig) == 0)
		return 0;
	return errno == ESRCH ? BPCI_ENOTFOUND : BPCI_EIO;
}

static int status_from_siginfo(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return si->si_status & 0x7f;
	}
}

static int pidfd_ready(const bpci__proc *p, int timeout_ms)
{
	struct pollfd pfd = {p->pidfd, POLLIN, 0};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return BPCI_EIO;
	return n > 0;
}

int bpci__proc_reap(bpci__proc *p, int *status)
{
	siginfo_t si;
	int rc;

	if (!p->reaped && !p->is_child) {
		if ((rc = pidfd_ready(p, 0)) <= 0)
			return rc;
		p->reaped = 1;
		p->status = BPCI__PROC_STATUS_UNKNOWN;
	}
	if (!p->reaped) {
		memset(&si, 0, sizeof(si));
		while ((rc = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG)) < 0 &&
		       errno == EINTR)
			;
		if (rc < 0 && errno != ECHILD)
			return BPCI_EIO;
		if (rc == 0 && si.si_pid == 0)
			return 0;
		/* ECHILD: someone else reaped it (SIGCHLD ignored, waitpid(-1)
		 * elsewhere); it is gone but how it ended is lost. */
		p->reaped = 1;
		p->status = rc < 0 ? BPCI__PROC_STATUS_UNKNOWN : status_from_siginfo(&si);
	}
	if (status)
		*status = p->status;
	return 1;
}

int bpci__proc_wait(bpci__proc *p, int timeout_ms, int *status)
{
	int rc;

	if (!p->reaped && (rc = pidfd_ready(p, timeout_ms)) <= 0)
		return rc;
	return bpci__proc_reap(p, status);
}
