/*
 * DIR/manager.lock: one manager per state directory. A primary takes it
 * at once; a standby blocks in flock() until the primary exits - the
 * kernel releases the lock however the primary dies (kill -9 included),
 * so the standby wakes within the scheduler's latency, not a polling
 * interval. The descriptor is close-on-exec: replica processes must not
 * inherit it, or they would hold the lock after the primary died.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static long holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)len, 0) == len)
		return;
	/* Only the message of a second manager uses the pid: not fatal. */
}

int bpci__cm_lock(bpci_cluster_manager *cm, int wait, bpci_diag *diag)
{
	char *path = bpci__asprintf("%s/manager.lock", cm->state_dir);
	uint64_t t0 = mono_ms();
	int fd;

	if (!path)
		return BPCI_ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	bpci__free(path);
	if (fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot open %s/manager.lock: %s", cm->state_dir,
				      strerror(errno));
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		if (err == EWOULDBLOCK && !wait) {
			long pid = holder(fd);

			close(fd);
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "state_dir",
					      "a cluster manager (pid %ld) already runs on %s; "
					      "start a standby with --standby to take over when "
					      "it exits", pid, cm->state_dir);
		}
		close(fd);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot lock %s/manager.lock: %s", cm->state_dir,
				      strerror(err));
	}
	cm->takeover_wait_ms = mono_ms() - t0;
	write_pid(fd);
	cm->lock_fd = fd;
	return 0;
}
