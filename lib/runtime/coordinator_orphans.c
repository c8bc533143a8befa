/*
 * Processes a dead coordinator spawned but did not record.
 *
 * The state file records a spawn at the end of the loop iteration that
 * made it (an API call: before it returns), so a coordinator killed
 * between the fork and that write (or inside a reload, which writes once
 * at its end) leaves a node process that the file does not name. On
 * takeover we look for them: a process leading its own group whose
 * environment holds our NOTIFY_SOCKET (unique to this state directory) and
 * a BPCI_NODE_ID. One that belongs to a node without a process is adopted
 * (rather than starting a second); one that duplicates a node's recorded
 * process, or names a node we do not know (a start that was never
 * acknowledged), is killed with its group. Only processes we may read the
 * environment of are seen, which are the ones a coordinator of ours can
 * have started.
 */
#include "runtime/coordinator_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "runtime/procstat_internal.h"

#define ENV_MAX (256 * 1024)

/* 1 when @pid leads its own process group. */
static int leads_group(pid_t pid)
{
	return getpgid(pid) == pid;
}

/* The value of @key in /proc/PID/environ, copied into @out; 0 or -1. */
static int env_value(const char *env, size_t len, const char *key, char *out, size_t olen)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *var = env + i;
		size_t vlen = strnlen(var, len - i);

		if (vlen > klen && strncmp(var, key, klen) == 0 && var[klen] == '=') {
			snprintf(out, olen, "%.*s", (int)(vlen - klen - 1), var + klen + 1);
			return 0;
		}
		i += vlen + 1;
	}
	return -1;
}

static char *read_environ(pid_t pid, size_t *len)
{
	char path[64];
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = bpci__malloc(ENV_MAX);
	n = buf ? read(fd, buf, ENV_MAX - 1) : -1;
	close(fd);
	if (n <= 0) {
		bpci__free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* The parent of @pid from /proc/PID/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
	bpci__proc_stat_fields f;

	return bpci__read_proc_stat(pid, &f) == 0 ? (pid_t)f.ppid : 0;
}

/* 1 when @pid descends from @ancestor (a node's helper in its own group). */
static int descends_from(pid_t pid, pid_t ancestor)
{
	int depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		pid = parent_of(pid);
		if (pid == ancestor)
			return 1;
	}
	return 0;
}

static void take_orphan(bpci_coordinator *c, pid_t pid, const char *id)
{
	bpci__cnode *n = bpci__coord_find(c, id);
	uint64_t start;

	if (n && n->proc && (bpci__proc_pid(n->proc) == pid ||
			     descends_from(pid, bpci__proc_pid(n->proc))))
		return; /* the recorded process itself, or its own helper */
	if (n && !n->proc && n->state != BPCI_NODE_STATE_STOPPED &&
	    n->state != BPCI_NODE_STATE_FAILED && n->state != BPCI_NODE_STATE_STOPPING &&
	    bpci__proc_start_time(pid, &start) == 0 &&
	    bpci__proc_adopt(&n->proc, pid, start, NULL) == 0) {
		if (bpci__coord_watch(n, NULL) < 0) {
			bpci__coord_release_proc(n);
			(void)kill(-pid, SIGKILL);
			return;
		}
		bpci__coord_disarm(n);
		n->started_ms = bpci__coord_wall_ms();
		n->started_mono = bpci__coord_mono_ms();
		bpci__backoff_started(&n->backoff, n->started_mono);
		bpci__coord_set_state(n, BPCI_NODE_STATE_RUNNING, "adopted an unrecorded process");
		bpci__coord_health_resume(n);
		return;
	}
	/* a duplicate, or a start nobody acknowledged */
	(void)kill(-pid, SIGKILL);
}

void bpci__coord_find_orphans(bpci_coordinator *c)
{
	const char *ours = bpci__notify_server_address(c->notify);
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char sock[256], id[256], *env;
		pid_t pid = (pid_t)atol(de->d_name);
		size_t len = 0;

		if (pid <= 1 || pid == getpid() || !leads_group(pid))
			continue;
		env = read_environ(pid, &len);
		if (!env)
			continue;
		if (env_value(env, len, "NOTIFY_SOCKET", sock, sizeof(sock)) == 0 &&
		    strcmp(sock, ours) == 0 &&
		    env_value(env, len, "BPCI_NODE_ID", id, sizeof(id)) == 0)
			take_orphan(c, pid, id);
		bpci__free(env);
	}
	closedir(d);
}
