/*
 * Process-group resource use from /proc: one scan of /proc's pid entries,
 * each member's stat, statm, io and fd directory read through a directory
 * descriptor so that a pid reused mid-scan cannot mix two processes' files.
 */
#include "runtime/procstat.h"
#include "runtime/procstat_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpci/error.h"
#include "common/alloc.h"

/* Failure bits: what could not be read for some member of a group. */
#define ALL_BITS (BPCI__PS_CPU | BPCI__PS_RSS | BPCI__PS_IO | BPCI__PS_FDS | \
		  BPCI__PS_THREADS | BPCI__PS_PROCESSES | BPCI__PS_START | \
		  BPCI__PS_CONNECTIONS)

typedef struct group_acc {
	bpci__procstat *out;
	unsigned int failed;
	int live;
	uint64_t *inodes;
	size_t ninodes, cap;
} group_acc;

typedef struct scan_ctx {
	group_acc *groups;     /* indexed like the caller's arrays */
	size_t *order;         /* indices sorted by pgid, for lookup */
	size_t n;
	uint64_t tick_ns, page_size;
	ino_t own_netns;
	int have_netns;
} scan_ctx;

uint64_t bpci__boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bpci__read_small_file(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

int bpci__parse_proc_stat(const char *text, bpci__proc_stat_fields *f)
{
	/* comm (field 2) may hold spaces and ')': the fields resume after the
	 * LAST ')' of the line. */
	const char *p = strrchr(text, ')');
	unsigned long long v[20];
	char state;
	int i;

	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	state = *p++;
	if (state == '\0')
		return -1;
	/* Fields 4..22 are numbers; tty_nr, tpgid, priority and nice may be
	 * negative (they are read but not used). */
	for (i = 0; i < 19; i++) {
		char *end;

		while (*p == ' ')
			p++;
		if (*p == '-') {
			long long s = strtoll(p, &end, 10);

			v[i] = (unsigned long long)s;
		} else {
			if (*p < '0' || *p > '9')
				return -1;
			v[i] = strtoull(p, &end, 10);
		}
		if (end == p)
			return -1;
		p = end;
	}
	f->state = state;
	f->ppid = (long long)v[0];
	f->pgrp = (long long)v[1];
	f->utime = v[10];
	f->stime = v[11];
	f->cutime = v[12];
	f->cstime = v[13];
	f->num_threads = v[16];
	f->starttime = v[18];
	return 0;
}

int bpci__read_proc_stat(pid_t pid, bpci__proc_stat_fields *f)
{
	char path[64], buf[1024];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return bpci__parse_proc_stat(buf, f);
}

static group_acc *find_group(const scan_ctx *c, long long pgid)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		pid_t g = c->groups[c->order[mid]].out->pgid;

		if (g == pgid)
			return &c->groups[c->order[mid]];
		if (g < pgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int add_inode(group_acc *g, uint64_t ino)
{
	if (bpci__grow((void **)&g->inodes, &g->cap, g->ninodes + 1, sizeof(*g->inodes)) != 0)
		return BPCI_ENOMEM;
	g->inodes[g->ninodes++] = ino;
	return 0;
}

/* Counts the entries of PID/fd and collects socket inodes. */
static int read_fds(int piddir, group_acc *g, uint64_t *count)
{
	int fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	char link[64];
	int rc = 0;

	*count = 0;
	if (fd < 0)
		return 1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		ssize_t n;
		unsigned long long ino;

		if (e->d_name[0] == '.')
			continue;
		(*count)++;
		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue; /* closed meanwhile */
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) == 1 && (rc = add_inode(g, ino)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int read_io(int piddir, bpci__procstat *o)
{
	char buf[1024];
	const char *keys[4] = {"rchar: ", "wchar: ", "read_bytes: ", "write_bytes: "};
	uint64_t *dst[4] = {&o->io_rchar, &o->io_wchar, &o->io_read_bytes, &o->io_write_bytes};
	uint64_t val[4];
	int i;

	if (bpci__read_small_file(piddir, "io", buf, sizeof(buf)) < 0)
		return 1;
	for (i = 0; i < 4; i++) {
		const char *p = strstr(buf, keys[i]);

		/* A key must start a line ("read_bytes" is inside
		 * "cancelled_write_bytes"-style names otherwise). */
		while (p && p != buf && p[-1] != '\n')
			p = strstr(p + 1, keys[i]);
		if (!p)
			return 1;
		val[i] = strtoull(p + strlen(keys[i]), NULL, 10);
	}
	for (i = 0; i < 4; i++)
		*dst[i] += val[i];
	return 0;
}

/* One live member: everything but CPU time (added by the caller). Returns
 * 1 when the process vanished before its files could be read. */
static int read_member(const scan_ctx *c, int piddir, group_acc *g, int *err)
{
	bpci__procstat *o = g->out;
	char buf[256];
	unsigned long long size, resident;
	uint64_t fds;
	struct stat st;

	if (bpci__read_small_file(piddir, "statm", buf, sizeof(buf)) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return 1;
		g->failed |= BPCI__PS_RSS;
	} else if (sscanf(buf, "%llu %llu", &size, &resident) == 2) {
		o->rss_bytes += (uint64_t)resident * c->page_size;
	} else {
		g->failed |= BPCI__PS_RSS;
	}
	if (read_io(piddir, o) != 0)
		g->failed |= BPCI__PS_IO;
	*err = read_fds(piddir, g, &fds);
	if (*err < 0)
		return 0;
	if (*err > 0) {
		*err = 0;
		g->failed |= BPCI__PS_FDS | BPCI__PS_CONNECTIONS;
	} else {
		o->fds += fds;
	}
	if (!c->have_netns || fstatat(piddir, "ns/net", &st, 0) != 0 ||
	    st.st_ino != c->own_netns)
		g->failed |= BPCI__PS_CONNECTIONS;
	return 0;
}

static int scan_pid(const scan_ctx *c, int procfd, const char *name)
{
	char buf[1024];
	bpci__proc_stat_fields f;
	group_acc *g;
	bpci__procstat *o;
	int piddir, err = 0;
	uint64_t start;

	piddir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return 0; /* exited */
	if (bpci__read_small_file(piddir, "stat", buf, sizeof(buf)) < 0 ||
	    bpci__parse_proc_stat(buf, &f) != 0 || !(g = find_group(c, f.pgrp))) {
		close(piddir);
		return 0;
	}
	o = g->out;
	if (f.state != 'Z' && f.state != 'X') {
		if (read_member(c, piddir, g, &err) != 0) {
			close(piddir);
			return 0;
		}
		start = (uint64_t)f.starttime * c->tick_ns;
		if (!g->live || start < o->start_ns)
			o->start_ns = start;
		g->live = 1;
		o->processes++;
		o->threads += f.num_threads;
	}
	o->cpu_ns += (uint64_t)(f.utime + f.stime + f.cutime + f.cstime) * c->tick_ns;
	close(piddir);
	return err;
}

static int cmp_pgid_order(const void *a, const void *b, void *arg)
{
	const group_acc *g = arg;
	pid_t x = g[*(const size_t *)a].out->pgid, y = g[*(const size_t *)b].out->pgid;

	return (x > y) - (x < y);
}

static int scan_proc(scan_ctx *c)
{
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (procfd < 0)
		return BPCI_EIO;
	d = fdopendir(procfd);
	if (!d) {
		close(procfd);
		return BPCI_EIO;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		rc = scan_pid(c, dirfd(d), e->d_name);
	}
	closedir(d);
	return rc;
}

static void finish_group(group_acc *g, int have_net, const uint64_t *established,
			 size_t nest, uint64_t now)
{
	bpci__procstat *o = g->out;
	size_t i, j, conns = 0;

	if (!g->live) {
		pid_t pgid = o->pgid;

		memset(o, 0, sizeof(*o));
		o->pgid = pgid;
		o->sampled_ns = now;
		return;
	}
	o->present = ALL_BITS & ~g->failed;
	o->sampled_ns = now;
	o->uptime_ns = now > o->start_ns ? now - o->start_ns : 0;
	if (!(o->present & BPCI__PS_CONNECTIONS) || g->ninodes == 0)
		return;
	if (!have_net && g->ninodes) {
		o->present &= ~(unsigned int)BPCI__PS_CONNECTIONS;
		return;
	}
	qsort(g->inodes, g->ninodes, sizeof(*g->inodes), bpci__cmp_u64);
	for (i = 0; i < g->ninodes; i = j) {
		for (j = i + 1; j < g->ninodes && g->inodes[j] == g->inodes[i]; j++)
			;
		if (nest && bsearch(&g->inodes[i], established, nest, sizeof(*established),
				    bpci__cmp_u64))
			conns++;
	}
	o->active_connections = conns;
}

static int init_ctx(scan_ctx *c, const pid_t *pgids, size_t n, bpci__procstat *out)
{
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct stat st;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].pgid = pgids[i];
	}
	for (i = 0; i < n; i++)
		if (pgids[i] <= 0)
			return BPCI_EINVAL;
	if (tck <= 0 || page <= 0)
		return BPCI_EIO;
	c->tick_ns = 1000000000u / (uint64_t)tck;
	c->page_size = (uint64_t)page;
	c->n = n;
	if (stat("/proc/self/ns/net", &st) == 0) {
		c->own_netns = st.st_ino;
		c->have_netns = 1;
	}
	c->groups = bpci__calloc(n, sizeof(*c->groups));
	c->order = bpci__calloc(n, sizeof(*c->order));
	if (!c->groups || !c->order)
		return BPCI_ENOMEM;
	for (i = 0; i < n; i++) {
		c->groups[i].out = &out[i];
		c->order[i] = i;
	}
	qsort_r(c->order, n, sizeof(*c->order), cmp_pgid_order, c->groups);
	for (i = 1; i < n; i++)
		if (out[c->order[i]].pgid == out[c->order[i - 1]].pgid)
			return BPCI_EINVAL;
	return 0;
}

static void free_ctx(scan_ctx *c)
{
	size_t i;

	for (i = 0; c->groups && i < c->n; i++)
		bpci__free(c->groups[i].inodes);
	bpci__free(c->groups);
	bpci__free(c->order);
}

int bpci__procstat_sample_many(const pid_t *pgids, size_t n, bpci__procstat *out)
{
	scan_ctx c;
	uint64_t *est = NULL, now;
	size_t nest = 0, i;
	int rc, need_net = 0, have_net = 0;

	rc = init_ctx(&c, pgids, n, out);
	if (rc == 0)
		rc = scan_proc(&c);
	for (i = 0; rc == 0 && i < n; i++)
		if (c.groups[i].ninodes && !(c.groups[i].failed & BPCI__PS_CONNECTIONS))
			need_net = 1;
	if (rc == 0 && need_net) {
		rc = bpci__tcp_established(&est, &nest);
		have_net = rc == 0;
		if (rc == BPCI_EIO)
			rc = 0; /* only the connection counts go absent */
	}
	now = bpci__boottime_ns();
	for (i = 0; rc == 0 && i < n; i++)
		finish_group(&c.groups[i], have_net, est, nest, now);
	if (rc != 0)
		for (i = 0; i < n; i++)
			out[i].present = 0;
	bpci__free(est);
	free_ctx(&c);
	return rc;
}

int bpci__procstat_sample(pid_t pgid, bpci__procstat *out)
{
	int rc = bpci__procstat_sample_many(&pgid, 1, out);

	if (rc == 0 && out->present == 0)
		return BPCI_ENOTFOUND;
	return rc;
}

int bpci__procstat_cpu_percent(const bpci__procstat *prev, const bpci__procstat *cur,
			       double *out)
{
	if (!(prev->present & BPCI__PS_CPU) || !(cur->present & BPCI__PS_CPU) ||
	    prev->pgid != cur->pgid || prev->start_ns != cur->start_ns ||
	    cur->sampled_ns <= prev->sampled_ns || cur->cpu_ns < prev->cpu_ns)
		return BPCI_ENOTFOUND;
	*out = 100.0 * (double)(cur->cpu_ns - prev->cpu_ns) /
	       (double)(cur->sampled_ns - prev->sampled_ns);
	return 0;
}
