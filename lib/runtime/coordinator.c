/*
 * The coordinator handle: the state directory and its lock, the event
 * loop, stop requests and signals.
 *
 * Child exits come from pidfds (coordinator_spawn.c), so there is no
 * SIGCHLD handler: a program embedding the coordinator keeps its own
 * SIGCHLD disposition, except that it must not set it to SIG_IGN or reap
 * with waitpid(-1) (the kernel would then hide the nodes' exit statuses:
 * they would read as "unknown").
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_journal.h"

uint64_t bpci__coord_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t bpci__coord_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct event_base *bpci__coordinator_base(bpci_coordinator *c)
{
	return c->base;
}

const char *bpci_coordinator_state_dir(const bpci_coordinator *c)
{
	return c->state_dir;
}


static int make_dir(const char *path, bpci_diag *diag)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
			      "cannot create directory %s: %s", path, strerror(errno));
}

/* Exclusive flock on DIR/coordinator.lock, holding our pid for the message
 * a second coordinator prints. The kernel drops the lock when we die. */
static int take_lock(bpci_coordinator *c, bpci_diag *diag)
{
	char *path = bpci__asprintf("%s/coordinator.lock", c->state_dir);
	char buf[32];
	ssize_t n;
	int len;

	if (!path)
		return BPCI_ENOMEM;
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		int err = errno;

		bpci__free(path);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot open %s/coordinator.lock: %s", c->state_dir,
				      strerror(err));
	}
	bpci__free(path);
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		long pid = 0;

		n = pread(c->lock_fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
		}
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "state_dir",
				      "state directory %s is in use by pid %ld", c->state_dir,
				      pid);
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(c->lock_fd, 0) < 0 || pwrite(c->lock_fd, buf, (size_t)len, 0) != len)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot write %s/coordinator.lock: %s", c->state_dir,
				      strerror(errno));
	return 0;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	bpci_coordinator *c = arg;
	uint64_t v;

	(void)what;
	while (read(fd, &v, sizeof(v)) > 0)
		;
	c->stop_requested = 1;
	event_base_loopbreak(c->base);
}

void bpci_coordinator_request_stop(bpci_coordinator *c)
{
	uint64_t one = 1;
	int saved = errno; /* async-signal-safe: keep the interrupted errno */

	if (c && c->stop_fd >= 0)
		(void)!write(c->stop_fd, &one, sizeof(one));
	errno = saved;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	bpci_coordinator *c = arg;

	(void)what;
	if (sig == SIGHUP) {
		/* reload may wait for processes: do it outside the loop */
		c->reload_requested = 1;
		event_base_loopbreak(c->base);
		return;
	}
	c->stop_requested = 1;
	event_base_loopbreak(c->base);
}

static int setup_loop(bpci_coordinator *c, int signals, bpci_diag *diag)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	uint64_t seed = 0;
	int i;

	c->base = bpci__coord_new_base(&c->backend_fd);
	if (!c->base)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "cannot create the event loop");
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "eventfd: %s", strerror(errno));
	c->stop_ev = event_new(c->base, c->stop_fd, EV_READ | EV_PERSIST, on_stop, c);
	if (!c->stop_ev || event_add(c->stop_ev, NULL) < 0)
		return BPCI_ENOMEM;
	for (i = 0; signals && i < 3; i++) {
		c->sig_ev[i] = evsignal_new(c->base, sigs[i], on_signal, c);
		if (!c->sig_ev[i] || event_add(c->sig_ev[i], NULL) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
					      "cannot watch signal %d", sigs[i]);
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)bpci__coord_mono_ms() ^ (uint64_t)getpid();
	c->rng = seed;
	return 0;
}

/* @name beside /proc/self/exe when it is there, else on PATH. */
static char *default_program(const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *path;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			path = bpci__asprintf("%s/%s", exe, name);
			if (path && access(path, X_OK) == 0)
				return path;
			bpci__free(path);
		}
	}
	return bpci__strdup(name);
}

static int copy_opts(bpci_coordinator *c, const bpci_coordinator_options *o)
{
	char real[PATH_MAX];

	if (!realpath(o->state_dir, real))
		return BPCI_EIO;
	c->state_dir = bpci__strdup(real);
	c->nodes_dir = bpci__asprintf("%s/nodes", real);
	c->logs_dir = bpci__asprintf("%s/logs", real);
	c->state_path = bpci__asprintf("%s/coordinator.json", real);
	c->node_program = o->node_program ? bpci__strdup(o->node_program)
					  : default_program("bpci-node");
	c->daemon_program = o->daemon_program ? bpci__strdup(o->daemon_program)
					      : default_program("bpi-core");
	if (o->coordinator_url)
		c->coordinator_url = bpci__strdup(o->coordinator_url);
	if (o->config_path)
		c->config_path = bpci__strdup(o->config_path);
	if (!c->state_dir || !c->nodes_dir || !c->logs_dir || !c->state_path ||
	    !c->node_program || !c->daemon_program || (o->coordinator_url && !c->coordinator_url) ||
	    (o->config_path && !c->config_path))
		return BPCI_ENOMEM;
	c->log_max_bytes = o->log_max_bytes ? o->log_max_bytes : BPCI__COORD_DEFAULT_LOG_MAX;
	c->log_keep = o->log_keep ? o->log_keep : BPCI__COORD_DEFAULT_LOG_KEEP;
	c->on_event = o->on_event;
	c->event_payload = o->event_payload;
	return 0;
}

/* Child daemons (daemon_*.c) and nodes share the socket. */
static void notify_cb(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	bpci_coordinator *c = payload;

	if (c->daemons && bpci__daemons_notify(c->daemons, pid, msg))
		return;
	bpci__coord_notify_cb(pid, msg, payload);
}

/* The notify socket lives in the state directory; a path too long for
 * sun_path falls back to an abstract name derived from the directory, so
 * that adopted nodes (whose NOTIFY_SOCKET cannot change) still reach us. */
static int open_notify(bpci_coordinator *c, bpci_diag *diag)
{
	char *addr = bpci__asprintf("%s/notify.sock", c->state_dir);
	int rc;

	if (!addr)
		return BPCI_ENOMEM;
	if (strlen(addr) >= 100) {
		uint64_t h = 1469598103934665603ull;
		const char *p;

		for (p = c->state_dir; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		bpci__free(addr);
		addr = bpci__asprintf("@bpci-notify-%016llx", (unsigned long long)h);
		if (!addr)
			return BPCI_ENOMEM;
	}
	rc = bpci__notify_server_new(&c->notify, c->base, addr, notify_cb, c,
				     diag);
	bpci__free(addr);
	return rc;
}

static int check_opts(const bpci_coordinator_options *o, bpci_diag *diag)
{
	if (!o)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "state_dir",
				      "options with a state directory are required");
	if (o->version != BPCI_COORDINATOR_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown options version %u, expected %u", o->version,
				      BPCI_COORDINATOR_OPTIONS_VERSION);
	if (!o->state_dir || !*o->state_dir)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "state_dir",
				      "a state directory is required");
	return 0;
}

int bpci_coordinator_new(bpci_coordinator **out, const bpci_coordinator_options *opts,
			 bpci_diag *diag)
{
	return bpci__coordinator_new_journal(out, opts, BPCI__COORD_JOURNAL_DEFAULT, diag);
}

int bpci__coordinator_new_journal(bpci_coordinator **out, const bpci_coordinator_options *opts,
				  const char *journal_name, bpci_diag *diag)
{
	bpci_coordinator *c;
	int rc;

	if (!out)
		return BPCI_EINVAL;
	*out = NULL;
	rc = check_opts(opts, diag);
	if (rc < 0)
		return rc;
	rc = make_dir(opts->state_dir, diag);
	if (rc < 0)
		return rc;
	c = bpci__calloc(1, sizeof(*c));
	if (!c)
		return BPCI_ENOMEM;
	c->lock_fd = c->stop_fd = c->backend_fd = c->embed_fd = c->timer_fd = -1;
	c->next_seq = 1;
	rc = copy_opts(c, opts);
	if (rc == BPCI_EIO)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				    "cannot resolve %s: %s", opts->state_dir, strerror(errno));
	if (rc == 0)
		rc = take_lock(c, diag);
	if (rc == 0)
		rc = make_dir(c->nodes_dir, diag);
	if (rc == 0)
		rc = make_dir(c->logs_dir, diag);
	if (rc == 0)
		rc = bpci__coord_rundir_open(c);
	if (rc == 0)
		rc = setup_loop(c, opts->handle_signals, diag);
	if (rc == 0)
		rc = open_notify(c, diag);
	if (rc == 0)
		rc = bpci__coord_journal_open(c, journal_name, diag);
	if (rc == 0)
		rc = bpci__coord_load(c, diag);
	if (rc < 0) {
		bpci_coordinator_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void bpci_coordinator_free(bpci_coordinator *c)
{
	size_t i;

	if (!c)
		return;
	(void)bpci__coord_start_flush(c, NULL);
	if (c->dirty && c->lock_fd >= 0)
		(void)bpci__coord_save(c, NULL);
	/* a clean close: the next start reads one snapshot, no tail */
	if (c->loaded && c->dirty == 0 && c->since_snapshot > 0)
		(void)bpci__coord_journal_snapshot(c, NULL);
	bpci__coord_journal_close(c);
	if (c->lock_fd >= 0) /* only when empty: a running node has its FIFO there */
		bpci__coord_rundir_close(c);
	/* Nodes keep running: only our handles on them go. */
	for (i = 0; i < c->nnodes; i++)
		bpci__coord_node_free(c->nodes[i]);
	bpci__free(c->nodes);
	bpci__strmap_free(&c->ids);
	bpci__daemons_free(c->daemons);
	bpci__probe_ctx_free(c->probes);
	bpci__notify_server_free(c->notify);
	for (i = 0; i < 3; i++)
		if (c->sig_ev[i])
			event_free(c->sig_ev[i]);
	if (c->stop_ev)
		event_free(c->stop_ev);
	if (c->save_ev)
		event_free(c->save_ev);
	if (c->wake_ev)
		event_free(c->wake_ev);
	bpci__coord_fd_close(c);
	if (c->base)
		event_base_free(c->base);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	bpci__free(c->state_dir);
	bpci__free(c->nodes_dir);
	bpci__free(c->run_dir);
	bpci__free(c->logs_dir);
	bpci__free(c->state_path);
	bpci__free(c->node_program);
	bpci__free(c->daemon_program);
	bpci__free(c->coordinator_url);
	bpci__free(c->config_path);
	bpci__free(c);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int bpci__coord_iterate(bpci_coordinator *c, int timeout_ms)
{
	int rc;

	if (timeout_ms == 0) {
		c->loop_depth++;
		rc = event_base_loop(c->base, EVLOOP_NONBLOCK);
		c->loop_depth--;
		return rc < 0 ? BPCI_EIO : 0;
	}
	if (timeout_ms > 0) {
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

		if (!c->wake_ev) {
			c->wake_ev = evtimer_new(c->base, on_wake, c->base);
			if (!c->wake_ev)
				return BPCI_ENOMEM;
		}
		evtimer_add(c->wake_ev, &tv);
	}
	c->loop_depth++;
	rc = event_base_loop(c->base, EVLOOP_ONCE);
	c->loop_depth--;
	if (c->wake_ev)
		evtimer_del(c->wake_ev);
	return rc < 0 ? BPCI_EIO : 0;
}

static void reload_file(bpci_coordinator *c)
{
	bpci_config *cfg = NULL;

	c->reload_requested = 0;
	if (!c->config_path)
		return;
	/* A bad file leaves the running set alone; the API's reload is the
	 * way to see the problems. */
	if (bpci_config_load_file(&cfg, c->config_path, 0, NULL) == 0)
		(void)bpci_coordinator_reload(c, cfg, NULL);
	bpci_config_free(cfg);
}

int bpci_coordinator_step(bpci_coordinator *c, int timeout_ms)
{
	int rc;

	if (c->reload_requested)
		reload_file(c);
	if (c->stop_requested) {
		c->stop_requested = 0;
		return 1;
	}
	rc = bpci__coord_iterate(c, timeout_ms);
	if (rc < 0)
		return rc;
	if (c->reload_requested)
		reload_file(c);
	bpci__coord_fd_rearm(c, 0);
	if (c->stop_requested) {
		c->stop_requested = 0;
		return 1;
	}
	return 0;
}

int bpci_coordinator_run(bpci_coordinator *c)
{
	int rc;

	while ((rc = bpci_coordinator_step(c, -1)) == 0)
		;
	return rc < 0 ? rc : 0;
}
