/*
 * Spawning a node and signalling it.
 *
 * Output: the node's stdout and stderr are a FIFO, DIR/nodes/ID.output,
 * that the child holds open read-write. A plain pipe would break when the
 * coordinator dies: the node's next write would meet a pipe without reader
 * and kill it with SIGPIPE. The FIFO keeps a reader (the node itself)
 * while no coordinator runs, so the node at worst blocks once the pipe
 * buffer is full, and the next coordinator reopens the FIFO and carries on
 * logging. EOF comes when every process holding it has exited.
 *
 * Exits: the pidfd becomes readable; no SIGCHLD handler is involved.
 */
#include "runtime/coordinator_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/json_member.h"

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	bpci__cnode *n = arg;

	(void)fd;
	(void)what;
	if (n->state == BPCI_NODE_STATE_STOPPING || n->killing) {
		if (n->proc)
			(void)bpci__proc_signal_group(n->proc, SIGKILL);
	} else if (n->state == BPCI_NODE_STATE_PENDING) {
		bpci__coord_restart_due(n);
	} else if (n->state == BPCI_NODE_STATE_STARTING) {
		bpci__coord_start_timeout(n);
	}
}

void bpci__coord_arm_timer(bpci__cnode *n, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

	if (!n->timer)
		n->timer = evtimer_new(n->c->base, on_timer, n);
	if (n->timer)
		evtimer_add(n->timer, &tv);
}

void bpci__coord_disarm(bpci__cnode *n)
{
	if (n->timer)
		evtimer_del(n->timer);
}

void bpci__coord_release_proc(bpci__cnode *n)
{
	if (n->exit_ev) {
		event_free(n->exit_ev);
		n->exit_ev = NULL;
	}
	bpci__proc_free(n->proc);
	n->proc = NULL;
}

/* An adopted process may still be our child (a coordinator freed and
 * opened again in the same program): then reap it, which both removes the
 * zombie and gives its real status. Anyone else's child gives ECHILD. The
 * pidfd has reported the exit, so the pid cannot have been reused: an
 * exited child stays a zombie until reaped. */
static int reap_adopted(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid != pid)
		return BPCI__PROC_STATUS_UNKNOWN;
	if (si.si_code == CLD_EXITED)
		return (si.si_status & 0xff) << 8;
	return (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
	bpci__cnode *n = arg;
	int status = 0, rc;

	(void)fd;
	(void)what;
	rc = bpci__proc_reap(n->proc, &status);
	if (rc == 0) { /* spurious wakeup: keep watching */
		event_add(n->exit_ev, NULL);
		return;
	}
	if (rc < 0)
		status = BPCI__PROC_STATUS_UNKNOWN;
	if (status == BPCI__PROC_STATUS_UNKNOWN && !bpci__proc_is_child(n->proc))
		status = reap_adopted(bpci__proc_pid(n->proc));
	if (n->log)
		(void)bpci__logfile_drain(n->log);
	bpci__coord_release_proc(n);
	bpci__coord_exited(n, status);
}

/*
 * A node's files lie flat in the runtime directory (ID.json, ID.output;
 * coordinator_rundir.c), on tmpfs: a directory per node cost a mkdir and
 * an rmdir per node, and creating inodes on ext4 is most of a spawn's file
 * work. Nodes spawned by an older coordinator have DIR/nodes/ID.output or
 * DIR/nodes/ID/output, which is where their FIFO is found when they are
 * adopted.
 */
static char *fifo_path(const bpci__cnode *n)
{
	return bpci__asprintf("%s/%s.output", n->c->run_dir, n->id);
}

/* Open the node's FIFO for reading (the older layouts as fallbacks). */
static int open_fifo(const bpci__cnode *n, const char *fifo)
{
	static const char *const older[] = {"%s/%s.output", "%s/%s/output"};
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	size_t i;
	char *old;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	for (i = 0; i < 2 && fd < 0; i++) {
		if (!(old = bpci__asprintf(older[i], n->c->nodes_dir, n->id)))
			break;
		fd = open(old, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		bpci__free(old);
	}
	if (fd < 0)
		errno = ENOENT; /* about @fifo, the one that should be there */
	return fd;
}

/* A fresh log handle reading the node's FIFO. */
static int open_log(bpci__cnode *n, bpci_diag *diag)
{
	bpci__logfile_opts lo = {n->c->logs_dir, n->id, n->c->log_max_bytes, n->c->log_keep};
	char *fifo = fifo_path(n);
	int rfd, rc;

	if (!fifo)
		return BPCI_ENOMEM;
	bpci__logfile_free(n->log);
	n->log = NULL;
	rc = bpci__logfile_open(&n->log, n->c->base, &lo, diag);
	if (rc == 0) {
		rfd = open_fifo(n, fifo);
		if (rfd < 0)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "open %s: %s",
					    fifo, strerror(errno));
		else
			rc = bpci__logfile_watch(n->log, rfd, diag);
	}
	bpci__free(fifo);
	return rc;
}

int bpci__coord_watch(bpci__cnode *n, bpci_diag *diag)
{
	n->exit_ev = event_new(n->c->base, bpci__proc_fd(n->proc), EV_READ, on_exit_ready, n);
	if (!n->exit_ev || event_add(n->exit_ev, NULL) < 0)
		return BPCI_ENOMEM;
	if (!n->log)
		(void)open_log(n, diag); /* logging is best effort for adopted nodes */
	return 0;
}

/* The spec's text with its id and endpoint put in, or 1 when that text
 * is not of the shape bpci__json_insert_string takes. */
static int spliced_config(bpci__cnode *n, char **json)
{
	const char *spec = bpci__coord_spec_text(n);
	char *with_id = NULL;
	int rc = spec ? 0 : BPCI_ENOMEM;

	if (rc == 0 && !bpci_node_spec_has(n->spec, "id"))
		rc = bpci__json_insert_string(&with_id, spec, "id", n->id);
	if (rc == 0 && !bpci_node_spec_has(n->spec, "endpoint") && n->endpoint && *n->endpoint)
		rc = bpci__json_insert_string(json, with_id ? with_id : spec, "endpoint",
					      n->endpoint);
	else if (rc == 0)
		rc = (*json = with_id ? with_id : bpci__strdup(spec)) ? 0 : BPCI_ENOMEM;
	if (with_id && *json != with_id)
		bpci__free(with_id);
	return rc == BPCI_EINVAL || rc == BPCI_EEXISTS ? 1 : rc;
}

/* The node's own view of its spec: the stored spec stays as given (reload
 * compares it with the configuration), the file also names the id and the
 * endpoint the coordinator chose. Spliced into the spec's canonical text,
 * which the journal needs too; built from a copy of the spec only when
 * that text is of another shape. */
static int write_config(bpci__cnode *n, char **json)
{
	bpci_node_spec *dup = NULL;
	int rc = spliced_config(n, json);

	if (rc <= 0)
		return rc;
	rc = bpci_node_spec_dup(&dup, n->spec);
	if (rc < 0)
		return rc;
	if (!bpci_node_spec_has(dup, "id"))
		(void)bpci_node_spec_set(dup, "id", n->id, NULL);
	if (!bpci_node_spec_has(dup, "endpoint") && n->endpoint && *n->endpoint)
		(void)bpci_node_spec_set(dup, "endpoint", n->endpoint, NULL);
	rc = bpci_node_spec_to_json(json, dup);
	bpci_node_spec_free(dup);
	return rc;
}

/* Write a new file @path that nobody reads yet: no temporary file and no
 * rename (the node it is for is spawned after it is complete). Returns 1
 * when the file exists already. */
static int write_new(const char *path, const char *data, bpci_diag *diag)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(data), done = 0;
	ssize_t w;

	if (fd < 0)
		return errno == EEXIST ? 1
				       : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
							"create %s: %s", path, strerror(errno));
	while (done < len && ((w = write(fd, data + done, len - done)) > 0 || errno == EINTR))
		done += w > 0 ? (size_t)w : 0;
	if (close(fd) < 0 || done < len) {
		(void)unlink(path);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "write %s: %s",
				      path, strerror(errno));
	}
	return 0;
}

/* RUN/ID.json (BPCI_NODE_CONFIG) and the output FIFO RUN/ID.output. */
static int prepare_dir(bpci__cnode *n, char **config_path, bpci_diag *diag)
{
	char *fifo = fifo_path(n);
	char *json = NULL;
	int rc = BPCI_ENOMEM;

	*config_path = bpci__asprintf("%s/%s.json", n->c->run_dir, n->id);
	if (!fifo || !*config_path)
		goto out;
	/* A respawn finds what the last spawn of this node made: its file's
	 * content depends only on the spec, id and endpoint, which never
	 * change for a node, so it is not rewritten (creating a file costs
	 * ext4 an inode allocation, the largest part of a restart's file
	 * work). Only its presence is checked, in case it was removed. */
	if (n->config_written && access(*config_path, F_OK) == 0 &&
	    mkfifo(fifo, 0600) < 0 && errno == EEXIST) {
		rc = 0;
		goto out;
	}
	if (mkfifo(fifo, 0600) < 0 && errno != EEXIST) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "mkfifo %s: %s",
				    fifo, strerror(errno));
		goto out;
	}
	if (write_config(n, &json) < 0)
		goto out;
	/* A file left by an earlier coordinator may be read by a process of
	 * this node that is still running: replace it atomically. A new one
	 * is written in place. Neither needs an fsync: it is regenerated
	 * before any spawn that finds it missing. */
	rc = write_new(*config_path, json, diag);
	if (rc == 1)
		rc = bpci__coord_write_fast(*config_path, json, strlen(json), diag);
	n->config_written = rc == 0;
out:
	bpci_free(json);
	bpci__free(fifo);
	return rc;
}

/* The contract's variables come last so that the spec cannot override them. */
static char **build_env(const bpci__cnode *n, const char *config_path)
{
	const char *const *items = NULL;
	size_t count = 0, i, k = 0;
	char **env;

	(void)bpci_node_spec_get_list(n->spec, "environment", &items, &count);
	env = bpci__calloc(count + 10, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < count; i++)
		env[k++] = bpci__strdup(items[i]);
	env[k++] = bpci__asprintf("BPCI_NODE_ID=%s", n->id);
	env[k++] = bpci__asprintf("BPCI_NODE_TYPE=%s",
				  bpci_node_type_name(bpci_node_spec_type(n->spec)));
	env[k++] = bpci__asprintf("BPCI_NODE_PORT=%u", (unsigned int)n->port);
	env[k++] = bpci__asprintf("BPCI_NODE_ENDPOINT=%s", n->endpoint);
	env[k++] = bpci__asprintf("BPCI_NODE_CONFIG=%s", config_path);
	env[k++] = bpci__asprintf("NOTIFY_SOCKET=%s", bpci__notify_server_address(n->c->notify));
	if (n->c->coordinator_url)
		env[k++] = bpci__asprintf("BPCI_COORDINATOR_URL=%s", n->c->coordinator_url);
	if (n->set.check == BPCI__CHECK_NOTIFY)
		env[k++] = bpci__asprintf("WATCHDOG_USEC=%llu",
					  (unsigned long long)n->set.interval_ms * 1000u);
	for (i = 0; i < k; i++)
		if (!env[i]) {
			for (i = 0; i < k; i++)
				bpci__free(env[i]);
			bpci__free(env);
			return NULL;
		}
	return env;
}

static void free_env(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		bpci__free(env[i]);
	bpci__free(env);
}

/* What a spawn holds between its halves: the child's argv, environment
 * and output descriptor must stay until the spawner has used them. */
struct bpci__cspawn {
	bpci__proc_pending *pp;
	const char **argv;
	char **env;
	int out_fd;
	bpci_diag *local;
};

static void cspawn_free(struct bpci__cspawn *sp)
{
	if (!sp)
		return;
	bpci__free(sp->argv);
	free_env(sp->env);
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	bpci_diag_free(sp->local);
	bpci__free(sp);
}

static int do_spawn(bpci__cnode *n, struct bpci__cspawn *sp, const char *config_path)
{
	bpci__proc_opts po = BPCI__PROC_OPTS_INIT;
	const char *const *cmd = NULL;
	size_t count = 0, i;

	sp->env = build_env(n, config_path);
	if (!sp->env)
		return BPCI_ENOMEM;
	if (bpci_node_spec_get_list(n->spec, "command", &cmd, &count) < 0)
		count = 0;
	sp->argv = bpci__calloc(count + 2, sizeof(*sp->argv));
	if (!sp->argv)
		return BPCI_ENOMEM;
	for (i = 0; i < count; i++)
		sp->argv[i] = cmd[i];
	if (count == 0)
		sp->argv[0] = n->c->node_program;
	po.argv = sp->argv;
	po.env = (const char *const *)sp->env;
	(void)bpci_node_spec_get_string(n->spec, "working_dir", &po.working_dir);
	(void)bpci_node_spec_get_string(n->spec, "user", &po.user);
	(void)bpci_node_spec_get_string(n->spec, "group", &po.group);
	po.stdout_fd = po.stderr_fd = sp->out_fd;
	return bpci__proc_spawn_begin(&sp->pp, &po, sp->local);
}

/* Copy the last diagnostic's message into the node's failure reason. */
static void keep_reason(bpci__cnode *n, const bpci_diag *d, int rc)
{
	size_t cnt = bpci_diag_count(d);
	const bpci_diag_entry *e = cnt ? bpci_diag_get(d, cnt - 1) : NULL;

	if (e)
		bpci__coord_set_failure(n, "%s", e->message);
	else
		bpci__coord_set_failure(n, "spawn failed: %s", bpci_strerror(rc));
}

/* A spawn that failed: the reason on the node and in @diag. */
static int spawn_failed(bpci__cnode *n, const struct bpci__cspawn *sp, int rc, bpci_diag *diag)
{
	keep_reason(n, sp->local, rc);
	(void)bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "command", "%s",
			     n->failure_reason ? n->failure_reason : "");
	return rc;
}

int bpci__coord_spawn_begin(bpci__cnode *n, bpci_diag *diag)
{
	struct bpci__cspawn *sp = bpci__calloc(1, sizeof(*sp));
	char *config_path = NULL, *fifo = NULL;
	int rc = sp ? 0 : BPCI_ENOMEM, spawned_reason = 0;

	if (rc == 0) {
		sp->out_fd = -1;
		rc = prepare_dir(n, &config_path, diag);
	}
	if (rc == 0)
		rc = open_log(n, diag);
	if (rc == 0 && !(fifo = fifo_path(n)))
		rc = BPCI_ENOMEM;
	if (rc == 0 && (sp->out_fd = open(fifo, O_RDWR | O_CLOEXEC)) < 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "", "open %s: %s", fifo,
				    strerror(errno));
	if (rc == 0 && bpci_diag_new(&sp->local) < 0)
		rc = BPCI_ENOMEM;
	if (rc == 0 && (rc = do_spawn(n, sp, config_path)) < 0) {
		spawned_reason = 1;
		spawn_failed(n, sp, rc, diag);
	}
	bpci__free(fifo);
	bpci__free(config_path);
	if (rc < 0) {
		cspawn_free(sp);
		if (!spawned_reason)
			bpci__coord_set_failure(n, "cannot start: %s", bpci_strerror(rc));
		return rc;
	}
	n->spawning = sp;
	return 0;
}

int bpci__coord_spawn_end(bpci__cnode *n, bpci_diag *diag)
{
	struct bpci__cspawn *sp = n->spawning;
	int rc;

	n->spawning = NULL;
	rc = bpci__proc_spawn_end(&n->proc, sp->pp, sp->local);
	if (rc < 0)
		spawn_failed(n, sp, rc, diag);
	cspawn_free(sp);
	if (rc < 0)
		return rc;
	if ((rc = bpci__coord_watch(n, diag)) < 0) {
		int st;

		/* an unwatched process would escape supervision: end it */
		(void)bpci__proc_signal_group(n->proc, SIGKILL);
		(void)bpci__proc_wait(n->proc, 5000, &st);
		bpci__coord_release_proc(n);
		bpci__coord_set_failure(n, "cannot start: %s", bpci_strerror(rc));
		return rc;
	}
	n->started_ms = bpci__coord_wall_ms();
	n->started_mono = bpci__coord_mono_ms();
	n->last_hb_mono = n->started_mono;
	n->start_latency_ms = 0;
	n->missed = 0;
	n->killing = 0;
	bpci__free(n->kill_reason);
	n->kill_reason = NULL;
	bpci__backoff_started(&n->backoff, n->started_mono);
	bpci__coord_set_state(n, BPCI_NODE_STATE_STARTING, "spawned");
	bpci__coord_health_start(n);
	/* The new pid reaches the file at the end of this loop iteration,
	 * together with every other change of the iteration (one write, not
	 * one per spawn; an API call that spawned writes durably before it
	 * returns). A coordinator killed before that write leaves a process
	 * the file does not name: its successor's orphan scan
	 * (coordinator_orphans.c) finds it by its NOTIFY_SOCKET and
	 * BPCI_NODE_ID and adopts it for the node the file records without a
	 * live process, or kills it when the node is unknown or already has
	 * one, so the node never runs twice. */
	bpci__coord_dirty(n->c);
	return 0;
}

int bpci__coord_spawn(bpci__cnode *n, bpci_diag *diag)
{
	int rc = bpci__coord_spawn_begin(n, diag);

	return rc < 0 ? rc : bpci__coord_spawn_end(n, diag);
}

void bpci__coord_signal_stop(bpci__cnode *n)
{
	bpci__coord_health_stop(n);
	if (!n->proc)
		return;
	if (bpci__proc_signal_group(n->proc, n->set.stop_signal) == BPCI_ENOTFOUND)
		return; /* already gone: the pidfd event follows */
	bpci__coord_arm_timer(n, n->set.stop_timeout_ms);
}
