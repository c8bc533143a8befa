/*
 * procstat against real processes: children in their own process groups
 * that burn CPU, hold memory, connect over TCP and do I/O, measured while
 * they live and after they are gone. Children only ever _exit().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "metrics_tests.h"
#include "runtime/procstat.h"
#include "runtime/procstat_internal.h"
#include "test.h"

#define MiB (1024u * 1024u)
#define MS (1000000u) /* ns */

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void burn_cpu(uint64_t ns)
{
	uint64_t start = cpu_now_ns();
	volatile uint64_t x = 0;

	while (cpu_now_ns() - start < ns)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
}

static void put_byte(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static char get_byte(int fd)
{
	char c = 0;
	ssize_t r;

	while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1 ? c : 0;
}

/* Blocks until the other side closes the pipe. */
static void wait_eof(int fd)
{
	char c;

	while (read(fd, &c, 1) != 0)
		;
}

/*
 * A child in its own process group. It gets ready[1] to report and hold[0]
 * to block on; run() does its work and never returns (it _exits).
 */
typedef struct kid {
	pid_t pid;
	int ready;   /* read end: bytes from the child */
	int hold;    /* write end: closing it lets the child exit */
} kid;

static kid spawn(void (*run)(int ready, int hold, void *arg), void *arg)
{
	int rp[2], hp[2];
	kid k;

	ck_assert_int_eq(pipe2(rp, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(hp, O_CLOEXEC), 0);
	k.pid = fork();
	ck_assert_int_ge(k.pid, 0);
	if (k.pid == 0) {
		setpgid(0, 0);
		close(rp[0]);
		close(hp[1]);
		run(rp[1], hp[0], arg);
		_exit(0);
	}
	setpgid(k.pid, k.pid); /* whichever of the two runs first */
	close(rp[1]);
	close(hp[0]);
	k.ready = rp[0];
	k.hold = hp[1];
	return k;
}

static void reap(kid *k)
{
	int st;

	close(k->hold);
	kill(-k->pid, SIGKILL);
	ck_assert_int_eq(waitpid(k->pid, &st, 0), k->pid);
	close(k->ready);
}

/* Work: 50 MiB touched, report 'm'; on a byte from hold, burn 300 ms, 'c'. */
static void run_cpu_mem(int ready, int hold, void *arg)
{
	char *mem = malloc(50 * MiB);

	(void)arg;
	if (!mem)
		_exit(1);
	for (size_t i = 0; i < 50 * MiB; i += 4096)
		mem[i] = (char)(i | 1);
	put_byte(ready, 'm');
	if (get_byte(hold) != 'g')
		_exit(2);
	burn_cpu(300 * MS);
	put_byte(ready, 'c');
	wait_eof(hold);
	free(mem);
	_exit(0);
}

START_TEST(group_cpu_memory_and_exit)
{
	kid k = spawn(run_cpu_mem, NULL);
	bpci__procstat a, b, gone;
	double pct;
	uint64_t burned;

	ck_assert_int_eq(get_byte(k.ready), 'm');
	ck_assert_int_eq(bpci__procstat_sample(k.pid, &a), 0);
	ck_assert_uint_eq(a.present & (BPCI__PS_CPU | BPCI__PS_RSS | BPCI__PS_PROCESSES |
				       BPCI__PS_THREADS | BPCI__PS_START | BPCI__PS_FDS),
			  BPCI__PS_CPU | BPCI__PS_RSS | BPCI__PS_PROCESSES | BPCI__PS_THREADS |
			  BPCI__PS_START | BPCI__PS_FDS);
	ck_assert_int_eq(a.pgid, k.pid);
	ck_assert_uint_eq(a.processes, 1);
	ck_assert_uint_eq(a.threads, 1);
	ck_assert_uint_ge(a.rss_bytes, 50 * MiB);
	ck_assert_uint_le(a.rss_bytes, 400 * MiB);
	ck_assert_uint_ge(a.fds, 2);     /* its two pipe ends at least */
	ck_assert_uint_le(a.fds, 256);
	ck_assert_uint_le(a.uptime_ns, 30000u * MS);
	ck_assert_uint_eq(a.start_ns + a.uptime_ns <= a.sampled_ns + 10 * MS, 1);
	/* One sample has no rate. */
	ck_assert_int_eq(bpci__procstat_cpu_percent(&a, &a, &pct), BPCI_ENOTFOUND);

	put_byte(k.hold, 'g');
	ck_assert_int_eq(get_byte(k.ready), 'c');
	ck_assert_int_eq(bpci__procstat_sample(k.pid, &b), 0);
	burned = b.cpu_ns - a.cpu_ns;
	ck_assert_msg(burned >= 150 * MS && burned <= 600 * MS,
		      "group CPU grew by %llu ms for 300 ms burned",
		      (unsigned long long)(burned / MS));
	ck_assert_int_eq(bpci__procstat_cpu_percent(&a, &b, &pct), 0);
	ck_assert_msg(pct > 5 && pct <= 110, "cpu percent %f", pct);
	ck_assert_uint_ge(b.uptime_ns, a.uptime_ns);
	ck_assert_uint_eq(b.start_ns, a.start_ns);
	b.start_ns++; /* as if the pgid now named another group */
	ck_assert_int_eq(bpci__procstat_cpu_percent(&a, &b, &pct), BPCI_ENOTFOUND);

	reap(&k);
	ck_assert_int_eq(bpci__procstat_sample(k.pid, &gone), BPCI_ENOTFOUND);
	ck_assert_uint_eq(gone.present, 0);
	ck_assert_uint_eq(gone.cpu_ns, 0);
	ck_assert_uint_eq(gone.processes, 0);
	ck_assert_int_eq(bpci__procstat_cpu_percent(&b, &gone, &pct), BPCI_ENOTFOUND);
}
END_TEST

/* Child and grandchild each burn 200 ms and report; the grandchild exits
 * when the pipe in @arg closes, the child reaps it and reports 'r'. */
static void run_two(int ready, int hold, void *arg)
{
	int *go = arg;
	pid_t g = fork();

	if (g < 0)
		_exit(1);
	if (g == 0) {
		close(go[1]);
		burn_cpu(200 * MS);
		put_byte(ready, 'g');
		wait_eof(go[0]);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);
	burn_cpu(200 * MS);
	put_byte(ready, 'c');
	while (waitpid(g, NULL, 0) < 0 && errno == EINTR)
		;
	put_byte(ready, 'r');
	wait_eof(hold);
	_exit(0);
}

START_TEST(group_sums_grandchild_and_keeps_reaped_time)
{
	int go[2];
	kid k;
	bpci__procstat s[2], after;
	pid_t pgids[2];
	char c1, c2;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	k = spawn(run_two, go);
	close(go[0]);
	c1 = get_byte(k.ready);
	c2 = get_byte(k.ready);
	ck_assert_int_eq(c1 + c2, 'c' + 'g');
	pgids[0] = k.pid;
	pgids[1] = 0x7ffffff0; /* no such group */
	ck_assert_int_eq(bpci__procstat_sample_many(pgids, 2, s), 0);
	ck_assert_uint_eq(s[0].processes, 2);
	ck_assert_uint_eq(s[0].threads, 2);
	ck_assert_msg(s[0].cpu_ns >= 350 * MS && s[0].cpu_ns <= 1200 * MS,
		      "two members burned 200 ms each, group has %llu ms",
		      (unsigned long long)(s[0].cpu_ns / MS));
	ck_assert_uint_eq(s[1].present, 0);
	ck_assert_int_eq(s[1].pgid, 0x7ffffff0);

	close(go[1]); /* the grandchild exits, the child reaps it */
	ck_assert_int_eq(get_byte(k.ready), 'r');
	ck_assert_int_eq(bpci__procstat_sample(k.pid, &after), 0);
	ck_assert_uint_eq(after.processes, 1);
	ck_assert_uint_ge(after.cpu_ns, s[0].cpu_ns);
	reap(&k);
}
END_TEST

static int listen_loopback(int family, unsigned short *port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss;
	socklen_t len;

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int connect_loopback(int family, unsigned short port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a4 = {0};
	struct sockaddr_in6 a6 = {0};
	int r;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		a4.sin_family = AF_INET;
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4.sin_port = htons(port);
		r = connect(fd, (struct sockaddr *)&a4, sizeof(a4));
	} else {
		a6.sin6_family = AF_INET6;
		a6.sin6_addr = in6addr_loopback;
		a6.sin6_port = htons(port);
		r = connect(fd, (struct sockaddr *)&a6, sizeof(a6));
	}
	if (r != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects to the ports in @arg (v4, then v6 if non-zero); keeps the
 * inherited listeners open, which must not count. */
static void run_connect(int ready, int hold, void *arg)
{
	unsigned short *ports = arg;

	if (connect_loopback(AF_INET, ports[0]) < 0)
		_exit(1);
	if (ports[1] && connect_loopback(AF_INET6, ports[1]) < 0)
		_exit(1);
	put_byte(ready, 'c');
	wait_eof(hold);
	_exit(0);
}

static uint64_t connections_of(pid_t pgid)
{
	bpci__procstat s;

	ck_assert_int_eq(bpci__procstat_sample(pgid, &s), 0);
	ck_assert_msg(s.present & BPCI__PS_CONNECTIONS, "connections absent");
	return s.active_connections;
}

/* Every allocation of a sample failing in turn: ENOMEM and nothing half
 * measured, or the full result. */
static void expect_clean_allocation_failures(pid_t pgid, uint64_t conns)
{
	bpci__procstat s;
	long n;
	int rc = BPCI_ENOMEM;

	for (n = 0; rc == BPCI_ENOMEM && n < 100; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci__procstat_sample(pgid, &s);
		bpci__alloc_fail_after(-1);
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "n=%ld rc=%d", n, rc);
		if (rc == BPCI_ENOMEM)
			ck_assert_uint_eq(s.present, 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(n, 3); /* groups, order, inodes at least */
	ck_assert_uint_eq(s.active_connections, conns);
}

START_TEST(group_counts_established_tcp)
{
	unsigned short ports[2] = {0, 0};
	int l4, l6, a4, a6 = -1, tries;
	kid k;

	l4 = listen_loopback(AF_INET, &ports[0]);
	ck_assert_int_ge(l4, 0);
	l6 = listen_loopback(AF_INET6, &ports[1]); /* optional: IPv6 may be off */
	if (l6 < 0)
		ports[1] = 0;
	k = spawn(run_connect, ports);
	a4 = accept4(l4, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(a4, 0);
	if (l6 >= 0) {
		a6 = accept4(l6, NULL, NULL, SOCK_CLOEXEC);
		ck_assert_int_ge(a6, 0);
	}
	ck_assert_int_eq(get_byte(k.ready), 'c');
	/* Our accepted ends are ESTABLISHED too, but in our group, not its. */
	ck_assert_uint_eq(connections_of(k.pid), l6 >= 0 ? 2 : 1);
	expect_clean_allocation_failures(k.pid, l6 >= 0 ? 2 : 1);

	/* Our close sends FIN: its sockets go to CLOSE_WAIT, which is not
	 * ESTABLISHED. */
	close(a4);
	if (a6 >= 0)
		close(a6);
	for (tries = 0; tries < 100 && connections_of(k.pid) != 0; tries++)
		usleep(10000);
	ck_assert_uint_eq(connections_of(k.pid), 0);
	reap(&k);
	close(l4);
	if (l6 >= 0)
		close(l6);
}
END_TEST

/* Writes 1 MiB to /dev/null and reads 2 MiB from /dev/zero. */
static void run_io(int ready, int hold, void *arg)
{
	static char buf[64 * 1024];
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int in = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	size_t done;

	(void)arg;
	if (out < 0 || in < 0)
		_exit(1);
	for (done = 0; done < 1 * MiB; done += sizeof(buf))
		if (write(out, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(1);
	for (done = 0; done < 2 * MiB; done += sizeof(buf))
		if (read(in, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(1);
	put_byte(ready, 'i');
	wait_eof(hold);
	_exit(0);
}

START_TEST(group_io_is_measured)
{
	kid k = spawn(run_io, NULL);
	bpci__procstat s;
	char buf[2048];

	/* The kernel has per-task I/O accounting here. */
	ck_assert_int_gt(bpci__read_small_file(AT_FDCWD, "/proc/self/io", buf, sizeof(buf)), 0);
	ck_assert_int_eq(get_byte(k.ready), 'i');
	ck_assert_int_eq(bpci__procstat_sample(k.pid, &s), 0);
	ck_assert_msg(s.present & BPCI__PS_IO, "io absent");
	ck_assert_uint_ge(s.io_wchar, 1 * MiB + 1);   /* + the ready byte */
	ck_assert_uint_le(s.io_wchar, 1 * MiB + 64 * 1024);
	ck_assert_uint_ge(s.io_rchar, 2 * MiB);
	ck_assert_uint_le(s.io_rchar, 2 * MiB + 64 * 1024);
	reap(&k);
}
END_TEST

START_TEST(stat_line_with_hostile_comm)
{
	bpci__proc_stat_fields f;
	const char *line = "4242 (a) b) S 1 (x) R 1 777 777 0 -1 4194560 10 0 0 0 "
			   "31 7 2 3 20 0 5 0 123456 1000 100 18446744073709551615\n";

	ck_assert_int_eq(bpci__parse_proc_stat(line, &f), 0);
	ck_assert_int_eq(f.state, 'R');
	ck_assert_int_eq(f.pgrp, 777);
	ck_assert_uint_eq(f.utime, 31);
	ck_assert_uint_eq(f.stime, 7);
	ck_assert_uint_eq(f.cutime, 2);
	ck_assert_uint_eq(f.cstime, 3);
	ck_assert_uint_eq(f.num_threads, 5);
	ck_assert_uint_eq(f.starttime, 123456);
	ck_assert_int_eq(bpci__parse_proc_stat("1 (x) S 1 2", &f), -1);
	ck_assert_int_eq(bpci__parse_proc_stat("no paren", &f), -1);
}
END_TEST

START_TEST(invalid_group_is_refused)
{
	bpci__procstat s;

	ck_assert_int_eq(bpci__procstat_sample(0, &s), BPCI_EINVAL);
	ck_assert_uint_eq(s.present, 0);
	ck_assert_int_eq(bpci__procstat_sample(-5, &s), BPCI_EINVAL);
	{
		pid_t twice[3] = {getpgrp(), 0x7ffffff0, getpgrp()};
		bpci__procstat three[3];

		ck_assert_int_eq(bpci__procstat_sample_many(twice, 3, three), BPCI_EINVAL);
		ck_assert_uint_eq(three[0].present | three[1].present | three[2].present, 0);
		ck_assert_int_eq(bpci__procstat_sample_many(twice, 2, three), 0);
		ck_assert_uint_gt(three[0].processes, 0); /* this very process */
	}
}
END_TEST

static void write_bytes(const char *path, size_t n)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done;

	memset(block, 'x', sizeof(block));
	ck_assert_int_ge(fd, 0);
	for (done = 0; done < n; done += sizeof(block))
		ck_assert_int_eq(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
}

/* du(1)'s figure for the same tree, same rules. */
static uint64_t coreutils_du(const char *dir)
{
	char cmd[4200];
	unsigned long long v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -s -x -B1 '%s'", dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%llu", &v), 1);
	ck_assert_int_eq(pclose(p), 0);
	return v;
}

START_TEST(du_counts_blocks_once_without_following_links)
{
	char *dir = bpci_test_mkdtemp();
	char path[4096], sub[4096], p2[4096];
	uint64_t bytes = 0;

	snprintf(path, sizeof(path), "%s/big", dir);
	write_bytes(path, 1 * MiB);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(p2, sizeof(p2), "%s/sub/small", dir);
	write_bytes(p2, 100 * 1024);
	snprintf(p2, sizeof(p2), "%s/hardlink", dir);
	ck_assert_int_eq(link(path, p2), 0);
	snprintf(p2, sizeof(p2), "%s/usr", dir);
	ck_assert_int_eq(symlink("/usr", p2), 0);

	ck_assert_int_eq(bpci__du(dir, &bytes), 0);
	ck_assert_uint_ge(bytes, 1 * MiB + 100 * 1024);
	ck_assert_uint_le(bytes, 1 * MiB + 100 * 1024 + 64 * 1024);
	ck_assert_uint_eq(bytes, coreutils_du(dir));

	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(bpci__du(path, &bytes), BPCI_ENOTFOUND);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(host_totals)
{
	bpci__hoststat a, b;
	struct sysinfo si;
	double util;

	ck_assert_int_eq(bpci__hoststat_sample(&a), 0);
	ck_assert_uint_eq(a.present, BPCI__HS_CPUS | BPCI__HS_MEMORY | BPCI__HS_CPU_TIME |
			  BPCI__HS_LOAD);
	ck_assert_uint_eq(a.cpus, (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	ck_assert_int_eq(sysinfo(&si), 0);
	ck_assert_uint_eq(a.mem_total_bytes, (uint64_t)si.totalram * si.mem_unit);
	ck_assert_uint_gt(a.mem_available_bytes, 0);
	ck_assert_uint_le(a.mem_available_bytes, a.mem_total_bytes);
	ck_assert_uint_le(a.cpu_busy_ticks, a.cpu_total_ticks);
	ck_assert(a.load1 >= 0 && a.load5 >= 0 && a.load15 >= 0);
	ck_assert_int_eq(bpci__hoststat_cpu_utilization(&a, &a, &util), BPCI_ENOTFOUND);

	burn_cpu(200 * MS);
	ck_assert_int_eq(bpci__hoststat_sample(&b), 0);
	ck_assert_int_eq(bpci__hoststat_cpu_utilization(&a, &b, &util), 0);
	ck_assert_msg(util > 0 && util <= 1, "utilisation %f", util);
	b.present &= ~(unsigned int)BPCI__HS_CPU_TIME;
	ck_assert_int_eq(bpci__hoststat_cpu_utilization(&a, &b, &util), BPCI_ENOTFOUND);
}
END_TEST

TCase *bpci_test_procstat_tcase(void)
{
	TCase *tc = tcase_create("procstat");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, group_cpu_memory_and_exit);
	tcase_add_test(tc, group_sums_grandchild_and_keeps_reaped_time);
	tcase_add_test(tc, group_counts_established_tcp);
	tcase_add_test(tc, group_io_is_measured);
	tcase_add_test(tc, stat_line_with_hostile_comm);
	tcase_add_test(tc, invalid_group_is_refused);
	tcase_add_test(tc, du_counts_blocks_once_without_following_links);
	tcase_add_test(tc, host_totals);
	return tc;
}
