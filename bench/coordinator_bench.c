/*
 * coordinator_bench: the node coordinator against the performance targets
 * of issue 3, side by side with supervisord on the same machine, same run,
 * same node program.
 *
 *   (a) 1,000 nodes (health.type notify) started in-process, to the last
 *       READY (event callback timestamps): by one
 *       bpci_coordinator_start_nodes() call (the target row: the library's
 *       way to start many nodes, one durable write), and by 1,000
 *       bpci_coordinator_start_node() calls (each acknowledged by its own
 *       durable write, an fsync each: shown, not held to the target), with
 *       their per-node start latency (start call -> READY) p50/p99.
 *   (b) kill -9 of a running node to its replacement's READY, backoff 0;
 *       up to 200 samples on distinct nodes, one at a time.
 *   (c) the real daemon (bpi-core node-coordinator start): exec to all
 *       ready, 1,000 sequential GET /api/nodes (libcurl, keep-alive; plus
 *       100 on fresh connections), its VmRSS.
 *   supervisord: the same programs (startsecs=0, autorestart=true): exec
 *       to all RUNNING (read from its log as it grows), kill -9 to the new
 *       pid (50 samples, 10 programs per round: it restarts on a ~1 s tick),
 *       XML-RPC getAllProcessInfo latency, VmRSS.
 *
 * Every phase has a time bound (the whole run stays under 2 minutes even
 * on a loaded machine). When (a) does not get all nodes ready within its
 * bound, the row says how many it did, and the daemon and supervisord run
 * with that many nodes, so that side-by-side rows compare equal workloads
 * and the run stays bounded; the row labels carry the count.
 *
 * The node is a tiny program that sends READY=1 to $NOTIFY_SOCKET (when
 * set) and then waits for SIGTERM. Every bench/<name>.c is its own program
 * (the Makefile's rule), so the node cannot live beside this file: it is
 * compiled at run time into the temp directory, on x86_64 without libc
 * (FREE_NODE_SOURCE: static glibc's startup alone costs ~0.9 ms of page
 * faults per exec on a virtual machine), elsewhere or when that does not
 * build from NODE_SOURCE (cc -static). The daemon row is also measured
 * with the glibc node, and each node's "floor" (a bare posix_spawn loop
 * with no coordinator, same run) is printed beside it, so that what the
 * coordinator adds is visible. supervisord runs the same node as bpci.
 * When no compiler is available this binary itself serves as the node
 * (`coordinator_bench --as-node`), at the price of loading the library's
 * shared dependencies on every exec; the output names which.
 *
 * A benchmark reports; it does not fail: exit 0 whatever the numbers
 * (missed targets say MISSED), non-zero only when it could not run.
 * Environment: BPCI_BENCH_NODES (default 1000), BPCI_BENCH_NODE=self
 * (force the --as-node node), BPCI_BENCH_ONLY=inproc|daemon|supervisord
 * (one phase, for profiling), BPCI_BENCH_KEEP (keep the temp directory),
 * BPCI_BUILD (where bin/bpi-core is; set by `make bench`).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpci.h>

#include "runtime/notify.h"

#define RESTART_SAMPLES 200
#define SV_RESTART_SAMPLES 50
#define SV_RESTART_BATCH 10
#define TARGET_NODES 1000 /* the targets are for this many nodes */
#define GET_SAMPLES 1000
#define SV_RPC_SAMPLES 50
#define FRESH_SAMPLES 100
/* Time bounds, so that the whole run stays under 2 minutes even on a
 * loaded machine: a phase that runs out reports what it measured. */
#define START_DEADLINE_MS 20000
#define SAMPLE_DEADLINE_MS 3000
#define PHASE_RESTART_BUDGET_MS 6000
#define PHASE_GET_BUDGET_MS 8000
#define PHASE_RPC_BUDGET_MS 4000
#define STOP_DEADLINE_MS 5000
#define DAEMON_DEADLINE_MS 25000
#define SV_START_DEADLINE_MS 30000 /* it spawns serially, then marks RUNNING */

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double ms_since(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

/* Progress on stderr, so that a slow phase shows where the time goes. */
static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
	static int64_t start;
	va_list ap;

	if (!start)
		start = now_ns();
	fprintf(stderr, "[%7.0f ms] ", ms_since(start));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of @n values (sorts them). NAN when empty. */
static double percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank ? rank - 1 : 0];
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "coordinator_bench: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "coordinator_bench: out of memory\n");
		exit(2);
	}
	return s;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0;
	return (fclose(f) != 0 || rc) ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

static void rm_tree(const char *dir)
{
	if (dir && nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "coordinator_bench: could not remove %s: %s\n", dir,
			strerror(errno));
}

/* CPU time (user + system) @pid used so far, in ms; NAN when unreadable. */
static double cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	double ms = NAN;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return ms;
	/* fields 14 and 15, counted after the command name's last ')' */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
		ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return ms;
}

/* The 1-minute load average, as text. */
static const char *loadavg1(void)
{
	static char buf[16];
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, sizeof(buf), "?");
	if (f) {
		if (fscanf(f, "%15s", buf) != 1)
			snprintf(buf, sizeof(buf), "?");
		fclose(f);
	}
	return buf;
}

/* Idle and total jiffies of all CPUs, from /proc/stat; 0 when unreadable. */
static void cpu_jiffies(unsigned long long *idle, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int i;

	*idle = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (i = 0; i < 8; i++)
			*total += v[i];
		*idle = v[3] + v[4];
	}
	fclose(f);
}

/*
 * Before a timed phase: wait (up to 3 s) until the CPUs were at least 90%
 * idle over 200 ms, so that a phase does not pay for the previous one's
 * teardown (a thousand processes killed go on costing the kernel for a
 * while after they are reaped). Returns the idle fraction last seen.
 */
static double settle(void)
{
	unsigned long long i0, t0, i1, t1;
	double idle = 0;
	int k;

	for (k = 0; k < 15; k++) {
		cpu_jiffies(&i0, &t0);
		usleep(200000);
		cpu_jiffies(&i1, &t1);
		idle = t1 > t0 ? (double)(i1 - i0) / (double)(t1 - t0) : 1.0;
		if (idle >= 0.9)
			break;
	}
	return idle;
}

/* VmRSS and VmHWM of @pid in KiB; 0 when unreadable. */
static void read_rss(pid_t pid, long *rss_kib, long *hwm_kib)
{
	char path[64], line[256];
	FILE *f;

	*rss_kib = *hwm_kib = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss_kib = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm_kib = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

/* Pss, and the anonymous and file-backed parts of Rss, of @pid in KiB
 * (smaps_rollup); 0 when unreadable. */
static void read_rollup(pid_t pid, long *pss_kib, long *anon_kib, long *file_kib)
{
	char path[64], line[256];
	long rss = 0;
	FILE *f;

	*pss_kib = *anon_kib = *file_kib = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Rss:", 4) == 0)
			rss = strtol(line + 4, NULL, 10);
		else if (strncmp(line, "Pss:", 4) == 0)
			*pss_kib = strtol(line + 4, NULL, 10);
		else if (strncmp(line, "Anonymous:", 10) == 0)
			*anon_kib = strtol(line + 10, NULL, 10);
	}
	fclose(f);
	*file_kib = rss > *anon_kib ? rss - *anon_kib : 0;
}

/* Wait for @pid up to @timeout_ms, then SIGKILL it and reap. Returns 0
 * when it exited by itself in time. */
static int reap_within(pid_t pid, int timeout_ms)
{
	int64_t t0 = now_ns();
	int status;

	while (ms_since(t0) < timeout_ms) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 0;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Node pids still alive among @pids (zombies count as gone). */
static size_t count_alive(const int *pids, size_t n)
{
	size_t i, alive = 0;

	for (i = 0; i < n; i++) {
		char path[64], buf[512], *p;
		FILE *f;

		if (pids[i] <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] && p[2] != 'Z')
			alive++;
		fclose(f);
	}
	return alive;
}

/* count_alive(), giving killed processes up to @grace_ms to be gone. */
static size_t count_alive_after(const int *pids, size_t n, int grace_ms)
{
	int64_t t0 = now_ns();
	size_t alive;

	while ((alive = count_alive(pids, n)) > 0 && ms_since(t0) < grace_ms)
		usleep(10000);
	return alive;
}

/*
 * The bench is a child subreaper (set in main): a node orphaned by a
 * supervisor we killed becomes our child instead of init's. Kill and reap
 * every child left, so that nothing outlives the run. Returns how many
 * were still alive (zombies are only reaped).
 */
static size_t sweep_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t found = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		int ppid = 0;
		char state = '?';
		long pid = strtol(e->d_name, &p, 10);

		if (*p || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
		    sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == (int)getpid()) {
			kill((pid_t)pid, SIGKILL);
			found += state != 'Z'; /* dead already, only to be reaped */
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	while (waitpid(-1, NULL, 0) > 0)
		;
	return found;
}

/* ---- the node program --------------------------------------------------- */

/* The tiny node: READY=1 to $NOTIFY_SOCKET when set, WATCHDOG=1 at half
 * $WATCHDOG_USEC when set, else wait for SIGTERM. PDEATHSIG so that no node
 * outlives its supervisor (the bench, the daemon or supervisord), also when
 * that dies between fork and prctl() (then the node is an orphan already). */
static const char NODE_SOURCE[] =
	"#define _GNU_SOURCE\n"
	"#include <signal.h>\n#include <stddef.h>\n#include <stdlib.h>\n"
	"#include <string.h>\n#include <sys/prctl.h>\n#include <sys/socket.h>\n"
	"#include <sys/un.h>\n#include <time.h>\n#include <unistd.h>\n"
	"static void notify(const char *m)\n{\n"
	"	const char *p = getenv(\"NOTIFY_SOCKET\");\n"
	"	struct sockaddr_un a;\n	size_t n;\n	int fd;\n"
	"	if (!p || !*p || (n = strlen(p)) >= sizeof(a.sun_path))\n		return;\n"
	"	memset(&a, 0, sizeof(a));\n	a.sun_family = AF_UNIX;\n"
	"	memcpy(a.sun_path, p, n);\n	if (p[0] == '@')\n		a.sun_path[0] = 0;\n"
	"	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);\n"
	"	if (fd < 0)\n		return;\n"
	"	sendto(fd, m, strlen(m), 0, (struct sockaddr *)&a,\n"
	"	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));\n"
	"	close(fd);\n}\n"
	"int main(void)\n{\n"
	"	const char *w = getenv(\"WATCHDOG_USEC\");\n"
	"	unsigned long long us = w ? strtoull(w, NULL, 10) / 2 : 0;\n"
	"	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};\n"
	"	prctl(PR_SET_PDEATHSIG, SIGKILL);\n"
	"	if (getppid() == 1)\n		return 0;\n"
	"	notify(\"READY=1\");\n"
	"	for (;;) {\n"
	"		if (!us) {\n			pause();\n			continue;\n		}\n"
	"		nanosleep(&ts, NULL);\n		notify(\"WATCHDOG=1\");\n	}\n}\n";

/* The --as-node mode of this binary: the same as NODE_SOURCE. */
static _Noreturn void node_main(void)
{
	const char *w = getenv("WATCHDOG_USEC");
	unsigned long long us = w ? strtoull(w, NULL, 10) / 2 : 0;
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1) /* the parent died before prctl() */
		_exit(0);
	if (getenv("NOTIFY_SOCKET"))
		(void)bpci__notify_send(NULL, "READY=1");
	for (;;) {
		if (!us) {
			pause();
			continue;
		}
		nanosleep(&ts, NULL);
		(void)bpci__notify_send(NULL, "WATCHDOG=1");
	}
}

/*
 * The same node without libc, for x86_64: a static glibc program spends
 * about 0.9 ms of page faults in its startup on a virtual machine where
 * exec is expensive, more than the rest of its exec; this one is a few
 * pages. The node is "a tiny program that sends READY=1": this is
 * the leanest such program, and the table also shows the daemon with the
 * glibc node (NODE_SOURCE) and the bare spawn floor of both. Same
 * behaviour: PDEATHSIG (prctl), READY=1, WATCHDOG=1 at half WATCHDOG_USEC.
 * Built with -nostdlib -ffreestanding; loops that gcc could turn into
 * memcpy calls are kept loops by -fno-tree-loop-distribute-patterns.
 */
static const char FREE_NODE_SOURCE[] =
	"static long sc(long n, long a, long b, long c, long d, long e, long f)\n{\n"
	"	register long r10 __asm__(\"r10\") = d, r8 __asm__(\"r8\") = e,"
	" r9 __asm__(\"r9\") = f;\n	long r;\n"
	"	__asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(n), \"D\"(a), \"S\"(b), \"d\"(c),"
	" \"r\"(r10), \"r\"(r8), \"r\"(r9) : \"rcx\", \"r11\", \"memory\");\n	return r;\n}\n"
	"struct sa { unsigned short fam; char path[108]; };\n"
	"struct ts { long s, ns; };\n"
	"static const char *env(char **e, const char *k)\n{\n"
	"	for (; *e; e++) {\n		const char *v = *e, *q = k;\n"
	"		while (*q && *v == *q) { v++; q++; }\n"
	"		if (!*q)\n			return v;\n	}\n	return 0;\n}\n"
	"static void notify(const char *p, const char *m, long len)\n{\n"
	"	struct sa a;\n	long n = 0, fd;\n"
	"	if (!p || !*p)\n		return;\n"
	"	while (p[n] && n < 108) { a.path[n] = p[n]; n++; }\n"
	"	if (p[n])\n		return;\n"
	"	a.fam = 1;\n	if (p[0] == '@')\n		a.path[0] = 0;\n"
	"	fd = sc(41, 1, 2 | 02000000, 0, 0, 0, 0);\n"
	"	if (fd < 0)\n		return;\n"
	"	sc(44, fd, (long)m, len, 0, (long)&a, 2 + n);\n"
	"	sc(3, fd, 0, 0, 0, 0, 0);\n}\n"
	"__attribute__((used, noreturn)) void node_main(long *sp)\n{\n"
	"	char **envp = (char **)(sp + sp[0] + 2);\n"
	"	const char *ns = env(envp, \"NOTIFY_SOCKET=\"), *w = env(envp, \"WATCHDOG_USEC=\");\n"
	"	unsigned long us = 0;\n	struct ts t;\n"
	"	while (w && *w >= '0' && *w <= '9')\n		us = us * 10 + (unsigned long)(*w++ - '0');\n"
	"	us /= 2;\n	t.s = (long)(us / 1000000);\n	t.ns = (long)(us % 1000000) * 1000;\n"
	"	sc(157, 1, 9, 0, 0, 0, 0);          /* prctl(PR_SET_PDEATHSIG, SIGKILL) */\n"
	"	if (sc(110, 0, 0, 0, 0, 0, 0) == 1) /* getppid: the parent died first */\n"
	"		sc(231, 0, 0, 0, 0, 0, 0);\n"
	"	notify(ns, \"READY=1\", 7);\n"
	"	for (;;) {\n"
	"		if (!us) {\n			sc(34, 0, 0, 0, 0, 0, 0); /* pause */\n"
	"			continue;\n		}\n"
	"		sc(35, (long)&t, 0, 0, 0, 0, 0);    /* nanosleep */\n"
	"		notify(ns, \"WATCHDOG=1\", 10);\n	}\n}\n"
	"__asm__(\".text\\n.globl _start\\n_start:\\n xor %ebp, %ebp\\n mov %rsp, %rdi\\n"
	" and $-16, %rsp\\n call node_main\\n hlt\\n\");\n";

/* Compile @source into DIR/@name with @flags (NULL-terminated). Returns the
 * path, or NULL. */
static char *compile_node(const char *dir, const char *name, const char *source,
			  const char *const *flags)
{
	char *src = xasprintf("%s/%s.c", dir, name);
	char *bin = xasprintf("%s/%s", dir, name);
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	const char *args[16];
	size_t k = 0;
	int status = -1;
	pid_t pid = -1;

	args[k++] = cc;
	while (*flags && k < 12)
		args[k++] = *flags++;
	args[k++] = "-o";
	args[k++] = bin;
	args[k++] = src;
	args[k] = NULL;
	if (write_file(src, source) == 0 && (pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(cc, (char *const *)args);
		_exit(127);
	} else if (pid > 0) {
		waitpid(pid, &status, 0);
	}
	free(src);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && access(bin, X_OK) == 0)
		return bin;
	free(bin);
	return NULL;
}

/* NODE_SOURCE as DIR/tiny_node (static glibc). */
static char *build_tiny_node(const char *dir)
{
	static const char *const flags[] = {"-O2", "-static", NULL};

	return compile_node(dir, "tiny_node", NODE_SOURCE, flags);
}

/* FREE_NODE_SOURCE as DIR/free_node; NULL on other architectures or when
 * it does not build. */
static char *build_free_node(const char *dir)
{
#if defined(__x86_64__)
	static const char *const flags[] = {
		"-O2", "-static", "-nostdlib", "-ffreestanding", "-fno-builtin",
		"-fno-stack-protector", "-fno-tree-loop-distribute-patterns", "-fcf-protection=none",
		NULL};

	return compile_node(dir, "free_node", FREE_NODE_SOURCE, flags);
#else
	(void)dir;
	return NULL;
#endif
}

/* ---- results ------------------------------------------------------------ */

/* One row of the table: values in ms (or MiB), NAN when not measured. */
#define MAX_NOTES 40

typedef struct row {
	char scenario[64];
	double bpci, sv;
	const char *unit;     /* "ms", "MiB", "KiB" */
	double target;        /* NAN: no target */
	const char *sv_note;  /* instead of a number ("not installed (...)") */
	char bpci_note[40], sv_text[40]; /* instead of a number, when not "" */
	size_t nodes;         /* the node count it was measured with */
} row;

typedef struct results {
	row rows[20];
	size_t count;
	const char *notes[MAX_NOTES];
	size_t note_count;
	char note_buf[MAX_NOTES][256];
} results;

/* @scenario: a format with one %zu, the node count. */
static row *add_row(results *r, size_t n, const char *scenario, const char *unit,
		    double target)
{
	row *w = &r->rows[r->count++];

	snprintf(w->scenario, sizeof(w->scenario), scenario, n);
	w->nodes = n;
	w->unit = unit;
	w->target = target;
	w->bpci = w->sv = NAN;
	w->sv_note = NULL;
	return w;
}

/* Say that a row was measured with @n nodes (fewer than planned). */
static void relabel(row *w, const char *scenario, size_t n)
{
	snprintf(w->scenario, sizeof(w->scenario), scenario, n);
	w->nodes = n;
}

static void add_note(results *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(results *r, const char *fmt, ...)
{
	va_list ap;

	if (r->note_count >= MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->note_buf[r->note_count], sizeof(r->note_buf[0]), fmt, ap);
	va_end(ap);
	r->notes[r->note_count] = r->note_buf[r->note_count];
	r->note_count++;
}

/* settle() before the phase @what, noting when the machine stayed busy. */
static void settle_for(results *r, const char *what)
{
	double idle = settle();

	if (idle < 0.9)
		add_note(r, "%s started with the CPUs only %.0f%% idle after 3 s of waiting", what,
			 idle * 100.0);
}

static void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v >= 100)
		snprintf(buf, len, "%.0f %s", v, unit);
	else
		snprintf(buf, len, "%.2f %s", v, unit);
}

static void print_table(const results *r)
{
	size_t i;
	int missed = 0;

	printf("\n%-46s | %12s | %-30s | %9s | %10s | %s\n", "scenario", "bpci", "supervisord",
	       "sv/bpci", "target", "met?");
	printf("%.*s\n", 128,
	       "-----------------------------------------------------------------------"
	       "-----------------------------------------------------------------------");
	for (i = 0; i < r->count; i++) {
		const row *w = &r->rows[i];
		char b[32], s[40], ratio[16], tv[32], t[40];
		const char *met = "";

		fmt_value(b, sizeof(b), w->bpci, w->unit);
		if (w->bpci_note[0])
			snprintf(b, sizeof(b), "%s", w->bpci_note);
		if (w->sv_text[0])
			snprintf(s, sizeof(s), "%s", w->sv_text);
		else if (w->sv_note)
			snprintf(s, sizeof(s), "%s", w->sv_note);
		else
			fmt_value(s, sizeof(s), w->sv, w->unit);
		if (!isnan(w->bpci) && !isnan(w->sv) && w->bpci > 0)
			snprintf(ratio, sizeof(ratio), "%.1fx", w->sv / w->bpci);
		else
			snprintf(ratio, sizeof(ratio), "-");
		if (isnan(w->target)) {
			snprintf(t, sizeof(t), "-");
		} else {
			fmt_value(tv, sizeof(tv), w->target, w->unit);
			snprintf(t, sizeof(t), "<= %s", tv);
			met = isnan(w->bpci) ? "MISSED (not measured)"
			      : w->bpci > w->target ? "MISSED"
			      : w->nodes < TARGET_NODES ? "met, but with fewer nodes than 1,000"
			      : "met";
			missed |= isnan(w->bpci) || w->bpci > w->target || w->nodes < TARGET_NODES;
		}
		printf("%-46s | %12s | %-30s | %9s | %10s | %s\n", w->scenario, b, s, ratio, t,
		       met);
	}
	for (i = 0; i < r->note_count; i++)
		printf("%s %s\n", i == 0 ? "\nnotes:" : "      ", r->notes[i]);
	printf("\n%s\n", missed ? "RESULT: some targets MISSED or not measured at 1,000 nodes "
				  "(see above)"
				: "RESULT: all targets met");
}

/* ---- bpci in-process: start and restart --------------------------------- */

typedef struct inproc {
	bpci_coordinator *c;
	size_t n;
	int64_t *t_call, *t_ready; /* per node: start call, first READY */
	int *pid;                  /* per node: pid of the last READY */
	size_t ready;
	int64_t last_ready;
	long watch;                /* node whose replacement we wait for, -1 */
	int watch_oldpid;
	int64_t watch_ready;
	size_t failed;             /* nodes that reached failed */
	size_t started;            /* start calls made within the bound */
} inproc;

typedef struct inproc_rows {
	row *start, *lat50, *lat99, *r50, *r99, *batch;
} inproc_rows;

/* Node ids are "b%05zu": the index is the number. */
static long node_index(const char *id, size_t n)
{
	char *end;
	unsigned long i = strtoul(id + 1, &end, 10);

	return *end == '\0' && i < n ? (long)i : -1;
}

static void on_event(const bpci_node_event *ev, void *payload)
{
	inproc *b = payload;
	int64_t t = now_ns();
	long i = node_index(ev->node_id, b->n);

	if (i < 0)
		return;
	if (ev->new_state == BPCI_NODE_STATE_FAILED)
		b->failed++;
	if (ev->new_state != BPCI_NODE_STATE_RUNNING)
		return;
	if (!b->t_ready[i]) {
		b->t_ready[i] = t;
		b->ready++;
		b->last_ready = t;
	}
	b->pid[i] = ev->pid;
	if (i == b->watch && ev->pid != b->watch_oldpid)
		b->watch_ready = t;
}

/* The spec every bench node shares (the id is set per node). */
static int make_spec(bpci_node_spec **out, char *const *argv, size_t argc, bpci_diag *d)
{
	bpci_node_spec *s = NULL;
	int rc = bpci_node_spec_new(&s, BPCI_NODE_PROOF);

	if (rc == 0)
		rc = bpci_node_spec_set(s, "proof_type", "transaction", d);
	if (rc == 0)
		rc = bpci_node_spec_set_list(s, "command", (const char *const *)argv, argc, d);
	if (rc == 0)
		rc = bpci_node_spec_set(s, "health.type", "notify", d);
	/* No heartbeat traffic during the measurement: one WATCHDOG=1 per 5 min. */
	if (rc == 0)
		rc = bpci_node_spec_set(s, "health.interval", "600s", d);
	if (rc == 0)
		rc = bpci_node_spec_set_uint(s, "restart.backoff_initial", 0, d);
	if (rc == 0)
		rc = bpci_node_spec_set_uint(s, "restart.backoff_max", 0, d);
	if (rc == 0)
		rc = bpci_node_spec_set_uint(s, "restart.max_restarts", 1000, d);
	if (rc == 0)
		rc = bpci_node_spec_set(s, "stop.timeout", "2s", d);
	if (rc != 0) {
		bpci_node_spec_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Step the loop until *@flag is non-zero or @deadline_ms passes. */
static int step_until(inproc *b, const int64_t *flag, int64_t t0, double deadline_ms)
{
	while (!*flag && ms_since(t0) < deadline_ms)
		if (bpci_coordinator_step(b->c, 20) < 0)
			return -1;
	return *flag ? 0 : -1;
}

static void print_diag(const char *what, int rc, const bpci_diag *d)
{
	size_t i;

	fprintf(stderr, "coordinator_bench: %s: %s\n", what, bpci_strerror(rc));
	for (i = 0; d && i < bpci_diag_count(d); i++)
		fprintf(stderr, "  %s\n", bpci_diag_get(d, i)->text);
}

/* (a): start every node, stepping the loop between calls as the daemon's
 * loop would, then wait for the last READY. */
static int inproc_start(inproc *b, bpci_node_spec *spec, const inproc_rows *ir, results *r)
{
	int64_t t0, in_call = 0;
	double *lat = xcalloc(b->n, sizeof(double)), last_call = 0;
	double *call = xcalloc(b->n, sizeof(double));
	bpci_diag *d = NULL;
	size_t i, got, tenth;
	int all, rc = bpci_diag_new(&d);

	settle_for(r, "in-process start_node()");
	t0 = now_ns();
	for (i = 0; rc == 0 && i < b->n && ms_since(t0) < START_DEADLINE_MS; i++) {
		char id[32];

		snprintf(id, sizeof(id), "b%05zu", i);
		rc = bpci_node_spec_set(spec, "id", id, d);
		b->t_call[i] = now_ns();
		if (rc == 0)
			rc = bpci_coordinator_start_node(NULL, b->c, spec, NULL, d);
		last_call = (double)(now_ns() - b->t_call[i]);
		call[i] = last_call / 1e6;
		in_call += now_ns() - b->t_call[i];
		if (rc == 0)
			rc = bpci_coordinator_step(b->c, 0) < 0 ? BPCI_EIO : 0;
	}
	if (rc != 0)
		print_diag("start_node", rc, d);
	bpci_diag_free(d);
	progress("bpci in-process: %zu start calls returned, %zu ready", i, b->ready);
	b->started = i;
	add_note(r, "(a) bpci: %.0f ms of the start phase were spent inside the %zu "
		 "bpci_coordinator_start_node() calls (%.2f ms per call: validate, port, "
		 "persist, fork/exec); the last call took %.2f ms", (double)in_call / 1e6, i,
		 i ? (double)in_call / 1e6 / (double)i : 0.0, last_call / 1e6);
	/* A call's cost must not grow with the number of nodes already there
	 * (persisting used to rewrite the whole state): compare the medians
	 * of the first and the last tenth of the calls. */
	tenth = i / 10;
	if (tenth > 0)
		add_note(r, "(a) bpci: start_node() median of the first %zu calls %.2f ms, of the "
			 "last %zu calls %.2f ms", tenth, percentile(call, tenth, 50), tenth,
			 percentile(call + i - tenth, tenth, 50));
	free(call);
	while (rc == 0 && b->ready < b->n && ms_since(t0) < START_DEADLINE_MS)
		if (bpci_coordinator_step(b->c, 20) < 0)
			rc = BPCI_EIO;
	all = b->ready == b->n;
	progress("bpci in-process: %zu of %zu ready", b->ready, b->n);
	for (i = 0, got = 0; i < b->n; i++)
		if (b->t_ready[i])
			lat[got++] = (double)(b->t_ready[i] - b->t_call[i]) / 1e6;
	if (all) {
		ir->start->bpci = (double)(b->last_ready - t0) / 1e6;
	} else {
		snprintf(ir->start->bpci_note, sizeof(ir->start->bpci_note), "%zu ready in %.0fs",
			 b->ready, START_DEADLINE_MS / 1000.0);
		add_note(r, "(a) bpci: only %zu of %zu nodes were started and %zu ready within the "
			 "%d ms bound (%zu failed); per-node latencies are of those",
			 b->started, b->n, b->ready, START_DEADLINE_MS, b->failed);
	}
	ir->lat50->bpci = percentile(lat, got, 50);
	ir->lat99->bpci = percentile(lat, got, 99);
	free(lat);
	return b->ready ? 0 : -1;
}

/* (b): kill -9 distinct running nodes, one at a time, to the replacement's
 * READY (a new pid in a running event). */
static void inproc_restart(inproc *b, results *r, row *p50, row *p99)
{
	double *lat = xcalloc(RESTART_SAMPLES, sizeof(double));
	int64_t phase = now_ns();
	size_t m = b->started, k, got = 0, stride = m > RESTART_SAMPLES ? m / RESTART_SAMPLES : 1;

	for (k = 0; k < RESTART_SAMPLES && ms_since(phase) < PHASE_RESTART_BUDGET_MS; k++) {
		long i = (long)((k * stride) % m);
		int64_t t0;

		if (b->pid[i] <= 0)
			continue;
		b->watch = i;
		b->watch_oldpid = b->pid[i];
		b->watch_ready = 0;
		t0 = now_ns();
		if (kill(b->pid[i], SIGKILL) != 0)
			continue;
		if (step_until(b, &b->watch_ready, t0, SAMPLE_DEADLINE_MS) == 0)
			lat[got++] = (double)(b->watch_ready - t0) / 1e6;
	}
	b->watch = -1;
	progress("bpci in-process: %zu restart samples", got);
	if (got < RESTART_SAMPLES)
		add_note(r, "(b) bpci: %zu of %d restart samples completed", got,
			 RESTART_SAMPLES);
	p50->bpci = got ? percentile(lat, got, 50) : NAN;
	p99->bpci = got ? percentile(lat, got, 99) : NAN;
	free(lat);
}

/*
 * Cleanup: SIGKILL every node's process group and reap them, then free the
 * coordinator without bpci_coordinator_shutdown(), which stops nodes one
 * at a time and persists the state after each (minutes for 1,000 nodes on
 * a loaded machine; see the report).
 */
static void kill_all_nodes(inproc *b, results *r)
{
	bpci_node_status_list *list = NULL;
	int64_t t0 = now_ns();
	size_t i, count = 0;
	int *pids;

	if (bpci_coordinator_list_nodes(&list, b->c, (bpci_node_type)0, NULL) == 0)
		count = bpci_node_status_list_count(list);
	pids = xcalloc(count, sizeof(int));
	for (i = 0; i < count; i++) {
		pids[i] = bpci_node_status_list_get(list, i)->pid;
		if (pids[i] > 0)
			kill(-pids[i], SIGKILL);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0 || count_alive(pids, count) > 0) {
		if (ms_since(t0) > STOP_DEADLINE_MS)
			break;
		usleep(2000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	add_note(r, "bpci in-process cleanup: %zu nodes SIGKILLed, %zu left alive", count,
		 count_alive(pids, count));
	bpci_node_status_list_free(list);
	free(pids);
}

/* (a) in one call: bpci_coordinator_start_nodes() of all @b->n nodes on a
 * fresh coordinator, from the call to the last READY. */
static void inproc_batch(results *r, const char *tmp, inproc *b, char *const *argv,
			 size_t argc, row *out)
{
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_node_spec **specs = xcalloc(b->n, sizeof(*specs));
	char *dir = xasprintf("%s/inproc-batch", tmp), id[32];
	bpci_diag *d = NULL;
	int64_t t0, in_call = 0;
	size_t i;
	int rc;

	o.state_dir = dir;
	o.on_event = on_event;
	o.event_payload = b;
	rc = bpci_diag_new(&d);
	for (i = 0; rc == 0 && i < b->n; i++) {
		snprintf(id, sizeof(id), "b%05zu", i);
		rc = make_spec(&specs[i], argv, argc, d);
		if (rc == 0)
			rc = bpci_node_spec_set(specs[i], "id", id, d);
	}
	if (rc == 0)
		rc = bpci_coordinator_new(&b->c, &o, d);
	settle_for(r, "in-process start_nodes()");
	t0 = now_ns();
	if (rc == 0) {
		rc = bpci_coordinator_start_nodes(NULL, b->c, (const bpci_node_spec *const *)specs,
						  b->n, d);
		in_call = now_ns() - t0;
	}
	while (rc == 0 && b->ready < b->n && ms_since(t0) < START_DEADLINE_MS)
		if (bpci_coordinator_step(b->c, 20) < 0)
			rc = BPCI_EIO;
	if (rc != 0)
		print_diag("start_nodes", rc, d);
	if (rc == 0 && b->ready == b->n) {
		out->bpci = (double)(b->last_ready - t0) / 1e6;
		add_note(r, "(a) bpci: the one bpci_coordinator_start_nodes() call of %zu nodes "
			 "returned after %.0f ms (spawned, one durable write); the rest is waiting "
			 "for the last READY", b->n, (double)in_call / 1e6);
	} else {
		snprintf(out->bpci_note, sizeof(out->bpci_note), "%zu ready", b->ready);
	}
	if (b->c)
		kill_all_nodes(b, r);
	bpci_coordinator_free(b->c);
	b->c = NULL;
	for (i = 0; i < b->n; i++)
		bpci_node_spec_free(specs[i]);
	free(specs);
	bpci_diag_free(d);
	free(dir);
}

/* Returns the number of nodes that became ready within the bound. */
static size_t run_inproc(results *r, const char *tmp, size_t n, char *const *argv,
			 size_t argc, const inproc_rows *ir)
{
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;
	char *dir = xasprintf("%s/inproc", tmp);
	bpci_node_spec *spec = NULL;
	bpci_diag *d = NULL;
	inproc b = {0};
	int rc;

	b.n = n;
	b.t_call = xcalloc(b.n, sizeof(int64_t));
	b.t_ready = xcalloc(b.n, sizeof(int64_t));
	b.pid = xcalloc(b.n, sizeof(int));
	b.watch = -1;
	o.state_dir = dir;
	o.on_event = on_event;
	o.event_payload = &b;
	rc = bpci_diag_new(&d);
	if (rc == 0)
		rc = bpci_coordinator_new(&b.c, &o, d);
	if (rc == 0)
		rc = make_spec(&spec, argv, argc, d);
	if (rc != 0) {
		print_diag("in-process coordinator", rc, d);
		add_note(r, "(a)(b) bpci in-process: could not set up: %s", bpci_strerror(rc));
	} else if (inproc_start(&b, spec, ir, r) == 0) {
		inproc_restart(&b, r, ir->r50, ir->r99);
	}
	if (b.c)
		kill_all_nodes(&b, r);
	bpci_coordinator_free(b.c);
	b.c = NULL;
	{
		inproc bb = {0};

		bb.n = n;
		bb.t_call = xcalloc(n, sizeof(int64_t));
		bb.t_ready = xcalloc(n, sizeof(int64_t));
		bb.pid = xcalloc(n, sizeof(int));
		bb.watch = -1;
		inproc_batch(r, tmp, &bb, argv, argc, ir->batch);
		free(bb.t_call);
		free(bb.t_ready);
		free(bb.pid);
	}
	bpci_node_spec_free(spec);
	bpci_diag_free(d);
	free(b.t_call);
	free(b.t_ready);
	free(b.pid);
	free(dir);
	return b.ready;
}

/* ---- bpci daemon: HTTP latency and RSS ---------------------------------- */

static char *bpi_core_path(const char *self)
{
	const char *build = getenv("BPCI_BUILD");
	char *p, *dir = strdup(self), *slash;

	if (build) {
		p = xasprintf("%s/bin/bpi-core", build);
		if (access(p, X_OK) == 0) {
			free(dir);
			return p;
		}
		free(p);
	}
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	p = xasprintf("%s/../bin/bpi-core", dir);
	free(dir);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The configuration: @n nodes like make_spec()'s. */
static int write_config(const char *path, size_t n, char *const *argv, size_t argc)
{
	FILE *f = fopen(path, "w");
	size_t i, j;

	if (!f)
		return -1;
	fputs("nodes:\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "  - type: proof\n    proof_type: transaction\n    id: b%05zu\n"
			"    command: [", i);
		for (j = 0; j < argc; j++)
			fprintf(f, "%s\"%s\"", j ? ", " : "", argv[j]);
		fputs("]\n    health: {type: notify, interval: 600s}\n"
		      "    restart: {backoff_initial: 0, backoff_max: 0, max_restarts: 1000}\n"
		      "    stop: {timeout: 2s}\n", f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Run @argv with stdout and stderr into @log; it gets @deathsig when we die. */
static pid_t spawn_logged(char *const *argv, const char *log, int deathsig)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, deathsig);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static size_t count_cb(char *data, size_t size, size_t nmemb, void *payload)
{
	size_t *len = payload;

	(void)data;
	*len += size * nmemb;
	return size * nmemb;
}

/* Body of GET @url, NULL on failure (free with free()). */
typedef struct membuf {
	char *data;
	size_t len;
} membuf;

static size_t mem_cb(char *data, size_t size, size_t nmemb, void *payload)
{
	membuf *m = payload;
	char *p = realloc(m->data, m->len + size * nmemb + 1);

	if (!p)
		return 0;
	memcpy(p + m->len, data, size * nmemb);
	m->data = p;
	m->len += size * nmemb;
	p[m->len] = '\0';
	return size * nmemb;
}

static char *http_get(CURL *h, const char *url)
{
	membuf m = {NULL, 0};
	long code = 0;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &m);
	if (curl_easy_perform(h) != CURLE_OK ||
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
		free(m.data);
		return NULL;
	}
	return m.data;
}

/* states.running of the health document, -1 when unreadable. */
static long running_in_health(CURL *h, const char *base)
{
	char *url = xasprintf("%s/api/node-coordinator/health", base);
	char *body = http_get(h, url);
	json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
	json_t *v = json_object_get(json_object_get(doc, "states"), "running");
	long n = json_is_integer(v) ? (long)json_integer_value(v) : (doc ? 0 : -1);

	json_decref(doc);
	free(body);
	free(url);
	return n;
}

/* Wait for DIR/api.url and read it. */
static char *await_url(const char *state_dir, pid_t pid, int64_t t0)
{
	char *path = xasprintf("%s/api.url", state_dir), buf[256];
	char *url = NULL;

	while (!url && ms_since(t0) < DAEMON_DEADLINE_MS && waitpid(pid, NULL, WNOHANG) == 0) {
		FILE *f = fopen(path, "r");

		if (f && fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\r\n")] = '\0';
			url = strdup(buf);
		}
		if (f)
			fclose(f);
		if (!url)
			usleep(5000);
	}
	free(path);
	return url;
}

/* get50 NULL: only the start is measured (the glibc node's run). */
typedef struct daemon_rows {
	row *exec_ready, *get50, *get99, *rss;
	const char *name; /* its state directory under the temp directory */
	const char *tag;  /* "" or " (glibc node)", for the notes */
} daemon_rows;

/* The same GET on a new connection each time (@h's URL and write callback
 * set): tells the server's per-request cost from a stall that only
 * reused connections see (Nagle and delayed ACKs). */
static void fresh_connections(CURL *h, results *r)
{
	double lat[FRESH_SAMPLES];
	size_t k, got = 0;
	int64_t phase = now_ns();

	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	for (k = 0; k < FRESH_SAMPLES && ms_since(phase) < PHASE_RPC_BUDGET_MS; k++) {
		int64_t t = now_ns();
		long code = 0;

		if (curl_easy_perform(h) == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
			lat[got++] = ms_since(t);
	}
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 0L);
	if (got)
		add_note(r, "(c) GET /api/nodes on a new connection each time (%zu samples): p50 "
			 "%.2f ms, p99 %.2f ms", got, percentile(lat, got, 50),
			 percentile(lat, got, 99));
}

/* (c): 1,000 sequential GET /api/nodes on one keep-alive connection. */
static void daemon_gets(CURL *h, const char *base, size_t n, const daemon_rows *dr,
			results *r, int **pids)
{
	char *url = xasprintf("%s/api/nodes", base), *body;
	double *lat = xcalloc(GET_SAMPLES, sizeof(double));
	size_t i, got = 0, bytes = 0, sent;
	bpci_node_status_list *list = NULL;
	int64_t phase = now_ns();
	char first_error[160] = "";

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
	for (i = 0; i < GET_SAMPLES && ms_since(phase) < PHASE_GET_BUDGET_MS; i++) {
		int64_t t = now_ns();
		long code = 0;

		CURLcode cc;

		bytes = 0;
		cc = curl_easy_perform(h);
		if (cc == CURLE_OK &&
		    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
			lat[got++] = ms_since(t);
		else if (!first_error[0])
			snprintf(first_error, sizeof(first_error), "request %zu: %s (HTTP %ld)", i,
				 curl_easy_strerror(cc), code);
	}
	if (first_error[0])
		add_note(r, "(c) GET /api/nodes: first failure: %s", first_error);
	sent = i;
	dr->get50->bpci = got ? percentile(lat, got, 50) : NAN;
	dr->get99->bpci = got ? percentile(lat, got, 99) : NAN;
	fresh_connections(h, r);
	body = http_get(h, url);
	if (body && bpci_node_status_list_from_json(&list, body, strlen(body), NULL) == 0) {
		*pids = xcalloc(n, sizeof(int));
		for (i = 0; i < bpci_node_status_list_count(list) && i < n; i++)
			(*pids)[i] = bpci_node_status_list_get(list, i)->pid;
		add_note(r, "(c) GET /api/nodes: %zu of %zu sent answered 200, body %zu bytes "
			 "listing %zu nodes (one keep-alive connection, libcurl)", got, sent,
			 body ? strlen(body) : 0, bpci_node_status_list_count(list));
	} else {
		add_note(r, "(c) GET /api/nodes: the answer did not parse as a node list");
	}
	bpci_node_status_list_free(list);
	free(body);
	free(lat);
	free(url);
}

static void run_daemon(results *r, const char *tmp, const char *self, size_t n,
		       char *const *argv, size_t argc, const daemon_rows *dr)
{
	char *core = bpi_core_path(self), *dir = xasprintf("%s/%s", tmp, dr->name);
	char *cfg = xasprintf("%s/daemon.yaml", tmp), *log = xasprintf("%s/daemon.log", tmp);
	char *url = NULL;
	int *pids = NULL;
	long running = 0, rss, hwm, pss, anon, file;
	CURL *h = NULL;
	pid_t pid = -1;
	int64_t t0;

	if (!core || write_config(cfg, n, argv, argc) != 0) {
		add_note(r, "(c) bpci daemon%s: %s", dr->tag, core ? "cannot write the configuration"
							: "bpi-core not found (BPCI_BUILD)");
		goto out;
	}
	settle_for(r, dr->name);
	{
		char *dargv[] = {core, "node-coordinator", "start", "--config", cfg,
				 "--state-dir", dir, "--listen", "127.0.0.1:0", NULL};

		t0 = now_ns();
		pid = spawn_logged(dargv, log, SIGTERM);
	}
	url = pid > 0 ? await_url(dir, pid, t0) : NULL;
	h = curl_easy_init();
	if (!url || !h) {
		add_note(r, "(c) bpci daemon%s did not come up (see its log)", dr->tag);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* The API answers only once the initial reload has spawned every node:
	 * a request may wait that long, or fail; both mean "not yet". */
	while (ms_since(t0) < DAEMON_DEADLINE_MS) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
				 (long)(DAEMON_DEADLINE_MS - ms_since(t0)) + 1);
		running = running_in_health(h, url);
		if (running >= 0 && (size_t)running == n)
			break;
		usleep(10000);
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	if (running < 0 || (size_t)running != n) {
		add_note(r, "(c) bpci daemon%s: %ld of %zu nodes running after %d ms", dr->tag,
			 running, n, DAEMON_DEADLINE_MS);
		goto out;
	}
	dr->exec_ready->bpci = ms_since(t0);
	add_note(r, "bpci daemon%s: %.0f ms CPU (user+system) of its own from exec to all %zu "
		 "ready (the nodes' exec is theirs; load average %s)", dr->tag, cpu_ms(pid), n,
		 loadavg1());
	progress("bpci daemon%s: %zu nodes running", dr->tag, n);
	if (!dr->get50)
		goto out;
	daemon_gets(h, url, n, dr, r, &pids);
	progress("bpci daemon: %d GETs done", GET_SAMPLES);
	read_rss(pid, &rss, &hwm);
	read_rollup(pid, &pss, &anon, &file);
	dr->rss->bpci = (double)rss / 1024.0;
	add_note(r, "(c) bpci daemon RSS %.1f MiB (peak %.1f MiB; Pss %.1f MiB; anonymous "
		 "%.1f MiB, file-backed %.1f MiB, mostly shared libraries) with %zu nodes",
		 (double)rss / 1024.0, (double)hwm / 1024.0, (double)pss / 1024.0,
		 (double)anon / 1024.0, (double)file / 1024.0, n);
out:
	if (pid > 0) {
		int64_t ts = now_ns();

		kill(pid, SIGTERM);
		if (reap_within(pid, STOP_DEADLINE_MS) != 0)
			add_note(r, "(c) bpci daemon%s did not exit within %d ms of SIGTERM: killed "
				 "(its nodes die of their parent-death signal)", dr->tag,
				 STOP_DEADLINE_MS);
		if (pids)
			add_note(r, "bpci daemon%s stop of %zu nodes (SIGTERM to exit) took %.0f ms; "
				 "%zu node processes left alive", dr->tag, n, ms_since(ts),
				 count_alive_after(pids, n, 1000));
		else
			add_note(r, "bpci daemon%s stop of %zu nodes (SIGTERM to exit) took %.0f ms",
				 dr->tag, n, ms_since(ts));
	}
	curl_easy_cleanup(h);
	free(pids);
	free(url);
	free(core);
	free(dir);
	free(cfg);
	free(log);
}

/* ---- supervisord -------------------------------------------------------- */

/*
 * supervisord has no readiness protocol: a program with startsecs=0 is
 * RUNNING as soon as it is spawned. Its own log says when ("spawned: 'X'
 * with pid P", "success: X entered RUNNING state"); reading the log as it
 * grows (inotify) times each transition without loading supervisord with
 * status requests. XML-RPC confirms the final state.
 */
typedef struct svlog {
	int fd, ino;
	char buf[1 << 16];
	size_t len, n;
	int *pid;                          /* last spawned pid */
	int *running_pid;                  /* pid when it last entered RUNNING */
	char *running;
	size_t running_count, spawned_count;
	int64_t first_spawn, last_running;
	long watch[SV_RESTART_BATCH];      /* nodes killed in this round */
	int watch_oldpid[SV_RESTART_BATCH];
	int64_t watch_ready[SV_RESTART_BATCH];
	size_t watch_count, watch_done;
} svlog;

static long sv_watched(const svlog *s, long i)
{
	size_t k;

	for (k = 0; k < s->watch_count; k++)
		if (s->watch[k] == i)
			return (long)k;
	return -1;
}

static void sv_line(svlog *s, const char *line, int64_t t)
{
	const char *p;
	long i, k;

	if ((p = strstr(line, " spawned: 'b"))) {
		const char *w = strstr(p, " with pid ");

		i = (long)strtoul(p + 12, NULL, 10);
		if (i < 0 || (size_t)i >= s->n)
			return;
		if (!s->pid[i])
			s->spawned_count++;
		s->pid[i] = w ? atoi(w + 10) : 0;
		if (!s->first_spawn)
			s->first_spawn = t;
		k = sv_watched(s, i);
		if (k >= 0 && !s->watch_ready[k] && s->pid[i] != s->watch_oldpid[k]) {
			s->watch_ready[k] = t;
			s->watch_done++;
		}
	} else if ((p = strstr(line, " success: b"))) {
		i = (long)strtoul(p + 11, NULL, 10);
		if (i < 0 || (size_t)i >= s->n || !strstr(p, " entered RUNNING state"))
			return;
		s->running_pid[i] = s->pid[i];
		if (!s->running[i]) {
			s->running[i] = 1;
			s->running_count++;
			s->last_running = t;
		}
	}
}

/* Read what the log gained, waiting up to @timeout_ms for it to grow. */
static void sv_pump(svlog *s, const char *path, int timeout_ms)
{
	struct pollfd pfd = {s->ino, POLLIN, 0};
	char ev[4096];
	ssize_t got;
	int64_t t;

	if (poll(&pfd, 1, timeout_ms) > 0)
		while (read(s->ino, ev, sizeof(ev)) > 0)
			;
	if (s->fd < 0 && (s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	t = now_ns();
	while ((got = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len)) > 0) {
		char *line = s->buf, *nl;

		s->len += (size_t)got;
		s->buf[s->len] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			sv_line(s, line, t);
			line = nl + 1;
		}
		s->len -= (size_t)(line - s->buf);
		memmove(s->buf, line, s->len);
		if (s->len == sizeof(s->buf) - 1)
			s->len = 0; /* a line longer than the buffer: drop it */
	}
}

static int write_sv_conf(const char *path, const char *dir, size_t n, char *const *argv,
			 size_t argc)
{
	FILE *f = fopen(path, "w");
	size_t i, j;

	if (!f)
		return -1;
	fprintf(f,
		"[unix_http_server]\nfile=%s/sv.sock\n\n"
		"[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\nlogfile_maxbytes=0\n"
		"loglevel=info\npidfile=%s/supervisord.pid\nchildlogdir=%s/logs\n"
		"minfds=%zu\nminprocs=%zu\n\n"
		"[rpcinterface:supervisor]\n"
		"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
		"[supervisorctl]\nserverurl=unix://%s/sv.sock\n",
		dir, dir, dir, dir, 4 * n + 256, n + 256, dir);
	for (i = 0; i < n; i++) {
		fprintf(f, "\n[program:b%05zu]\ncommand=", i);
		for (j = 0; j < argc; j++)
			fprintf(f, "%s%s", j ? " " : "", argv[j]);
		fputs("\nstartsecs=0\nautorestart=true\nstopwaitsecs=2\nredirect_stderr=true\n", f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* One XML-RPC supervisor.getAllProcessInfo over the unix socket (HTTP/1.0:
 * the server closes after answering). Returns the number of RUNNING
 * processes, -1 on failure; *@bytes the answer's size. */
static long sv_all_running(const char *sock_path, size_t *bytes)
{
	static const char body[] = "<?xml version='1.0'?><methodCall><methodName>"
				   "supervisor.getAllProcessInfo</methodName><params/></methodCall>";
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	membuf m = {NULL, 0};
	char chunk[65536], *req, *p;
	long running = 0;
	ssize_t got;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	req = xasprintf("POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
			"Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1, body);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		running = -1;
	while (running == 0 && (got = read(fd, chunk, sizeof(chunk))) > 0)
		if (mem_cb(chunk, 1, (size_t)got, &m) != (size_t)got)
			running = -1;
	close(fd);
	free(req);
	if (running == 0 && (!m.data || !strstr(m.data, " 200 ")))
		running = -1;
	for (p = m.data; running >= 0 && p && (p = strstr(p, "<string>RUNNING</string>")); p++)
		running++;
	*bytes = m.len;
	free(m.data);
	return running;
}

typedef struct sv_rows {
	row *start, *exec_ready, *r50, *r99, *get50, *get99, *rss;
} sv_rows;

static void sv_mark_missing(const sv_rows *sr, const char *why)
{
	row *all[] = {sr->start, sr->exec_ready, sr->r50, sr->r99, sr->get50, sr->get99, sr->rss};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		all[i]->sv_note = why;
}

/* Kill -9 SV_RESTART_BATCH distinct programs at once, to their new pid
 * ("spawned:" in the log, what `supervisorctl pid` would show). Batches:
 * supervisord restarts on its ~1 s loop tick, 50 sequential samples would
 * take most of the time bound. */
static void sv_restarts(svlog *s, const char *logpath, const sv_rows *sr, results *r)
{
	double *lat = xcalloc(SV_RESTART_SAMPLES, sizeof(double));
	size_t k, j, got = 0, stride = s->n > SV_RESTART_SAMPLES ? s->n / SV_RESTART_SAMPLES : 1;
	int64_t phase = now_ns();

	for (k = 0; k < SV_RESTART_SAMPLES && ms_since(phase) < PHASE_RESTART_BUDGET_MS;) {
		int64_t t0 = now_ns();

		s->watch_count = s->watch_done = 0;
		for (j = 0; j < SV_RESTART_BATCH && k < SV_RESTART_SAMPLES; j++, k++) {
			long i = (long)((k * stride + stride / 2) % s->n);

			/* Only RUNNING programs: with fewer than 50, one killed in an
			 * earlier round may still be starting. */
			if (s->pid[i] <= 0 || s->running_pid[i] != s->pid[i] || sv_watched(s, i) >= 0)
				continue;
			s->watch[s->watch_count] = i;
			s->watch_oldpid[s->watch_count] = s->pid[i];
			s->watch_ready[s->watch_count] = 0;
			if (kill(s->pid[i], SIGKILL) == 0)
				s->watch_count++;
		}
		while (s->watch_done < s->watch_count && ms_since(t0) < SAMPLE_DEADLINE_MS)
			sv_pump(s, logpath, 20);
		for (j = 0; j < s->watch_count; j++)
			if (s->watch_ready[j])
				lat[got++] = (double)(s->watch_ready[j] - t0) / 1e6;
	}
	s->watch_count = 0;
	if (got < SV_RESTART_SAMPLES)
		add_note(r, "(b) supervisord: %zu of %d restart samples completed", got,
			 SV_RESTART_SAMPLES);
	sr->r50->sv = got ? percentile(lat, got, 50) : NAN;
	sr->r99->sv = got ? percentile(lat, got, 99) : NAN;
	free(lat);
}

static void sv_rpc_latency(const char *sock, size_t n, const sv_rows *sr, results *r)
{
	double lat[SV_RPC_SAMPLES];
	size_t k, got = 0, bytes = 0;
	long running = -1;
	int64_t phase = now_ns();

	for (k = 0; k < SV_RPC_SAMPLES && ms_since(phase) < PHASE_RPC_BUDGET_MS; k++) {
		int64_t t = now_ns();

		running = sv_all_running(sock, &bytes);
		if (running >= 0)
			lat[got++] = ms_since(t);
	}
	sr->get50->sv = got ? percentile(lat, got, 50) : NAN;
	sr->get99->sv = got ? percentile(lat, got, 99) : NAN;
	add_note(r, "(c) supervisord: XML-RPC getAllProcessInfo (%zu sequential calls, one "
		 "connection each), answer %zu bytes, %ld of %zu RUNNING", got, bytes, running,
		 n);
}

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
	char *copy = strdup(path), *save = NULL, *d, *found = NULL;

	for (d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", d, name);

		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

static void run_supervisord(results *r, const char *tmp, size_t n, char *const *argv,
			    size_t argc, const sv_rows *sr)
{
	char *bin = find_in_path("supervisord"), *dir = xasprintf("%s/sv", tmp);
	char *conf = xasprintf("%s/supervisord.conf", dir), *logs = xasprintf("%s/logs", dir);
	char *logpath = xasprintf("%s/supervisord.log", dir), *sock = xasprintf("%s/sv.sock", dir);
	char *out = xasprintf("%s/supervisord.out", dir);
	svlog *s = xcalloc(1, sizeof(*s));
	pid_t pid = -1;
	long rss, hwm;
	int64_t t0;

	s->fd = -1;
	s->ino = -1;
	s->n = n;
	s->pid = xcalloc(n, sizeof(int));
	s->running_pid = xcalloc(n, sizeof(int));
	s->running = xcalloc(n, 1);
	if (!bin) {
		sv_mark_missing(sr, "not installed (make bench-deps)");
		goto out;
	}
	if (mkdir(dir, 0700) != 0 || mkdir(logs, 0700) != 0 ||
	    write_sv_conf(conf, dir, n, argv, argc) != 0 ||
	    (s->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(s->ino, dir, IN_MODIFY | IN_CREATE) < 0) {
		sv_mark_missing(sr, "could not set up");
		goto out;
	}
	{
		char *sargv[] = {bin, "-n", "-c", conf, NULL};

		settle_for(r, "supervisord");
		t0 = now_ns();
		pid = spawn_logged(sargv, out, SIGTERM);
	}
	while (pid > 0 && s->running_count < n && ms_since(t0) < SV_START_DEADLINE_MS &&
	       waitpid(pid, NULL, WNOHANG) == 0)
		sv_pump(s, logpath, 20);
	progress("supervisord: %zu programs RUNNING", s->running_count);
	if (s->running_count < n) {
		add_note(r, "supervisord: %zu of %zu programs spawned and %zu RUNNING after %d ms",
			 s->spawned_count, n, s->running_count, SV_START_DEADLINE_MS);
		snprintf(sr->start->sv_text, sizeof(sr->start->sv_text), "%zu RUNNING in %.0fs",
			 s->running_count, SV_START_DEADLINE_MS / 1000.0);
		snprintf(sr->exec_ready->sv_text, sizeof(sr->exec_ready->sv_text),
			 "%zu spawned, %zu RUNNING in %.0fs", s->spawned_count, s->running_count,
			 SV_START_DEADLINE_MS / 1000.0);
		if (!s->running_count)
			goto out;
	} else {
		sr->exec_ready->sv = (double)(s->last_running - t0) / 1e6;
		sr->start->sv = (double)(s->last_running - s->first_spawn) / 1e6;
	}
	add_note(r, "supervisord: %.0f ms from its exec to its first spawn (interpreter and "
		 "config loading)", (double)(s->first_spawn - t0) / 1e6);
	sv_restarts(s, logpath, sr, r);
	progress("supervisord: restarts done");
	sv_rpc_latency(sock, n, sr, r);
	read_rss(pid, &rss, &hwm);
	sr->rss->sv = (double)rss / 1024.0;
out:
	if (pid > 0) {
		int64_t ts = now_ns();

		kill(pid, SIGTERM);
		if (reap_within(pid, STOP_DEADLINE_MS) != 0)
			add_note(r, "supervisord did not exit within %d ms of SIGTERM: killed "
				 "(its programs die of their parent-death signal)", STOP_DEADLINE_MS);
		add_note(r, "supervisord stop of %zu programs (SIGTERM to exit) took %.0f ms; "
			 "%zu node processes left alive", n, ms_since(ts),
			 count_alive_after(s->pid, n, 1000));
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->ino >= 0)
		close(s->ino);
	free(s->pid);
	free(s->running_pid);
	free(s->running);
	free(s);
	free(bin);
	free(dir);
	free(conf);
	free(logs);
	free(logpath);
	free(sock);
	free(out);
}

/* ---- the floor: bare posix_spawn ---------------------------------------- */

/*
 * What spawning costs on this machine without any coordinator: one thread
 * posix_spawn()s @n copies of @node, reading READY=1 datagrams between
 * spawns, until all arrived. The environment holds only NOTIFY_SOCKET.
 * Returns the time to the last READY in ms (NAN when not all arrived
 * within START_DEADLINE_MS); *ready tells how many did.
 */
static double run_floor(const char *tmp, char *const *argv, size_t n, size_t *ready)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char *sock = xasprintf("%s/floor.sock", tmp), *envv = NULL, buf[64];
	char *envp[] = {NULL, NULL};
	pid_t *pid = xcalloc(n, sizeof(pid_t));
	size_t i, spawned = 0, got = 0;
	double ms = NAN;
	int64_t t0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*ready = 0;
	if (fd < 0 || strlen(sock) >= sizeof(a.sun_path))
		goto out;
	strcpy(a.sun_path, sock);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto out;
	envp[0] = envv = xasprintf("NOTIFY_SOCKET=%s", sock);
	t0 = now_ns();
	for (i = 0; i < n && ms_since(t0) < START_DEADLINE_MS; i++) {
		if (posix_spawn(&pid[i], argv[0], NULL, NULL, argv, envp) != 0)
			break;
		spawned++;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
	}
	while (got < spawned && ms_since(t0) < START_DEADLINE_MS) {
		struct pollfd p = {fd, POLLIN, 0};

		if (poll(&p, 1, 100) > 0)
			while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				got++;
	}
	if (got == n)
		ms = ms_since(t0);
	*ready = got;
	for (i = 0; i < spawned; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < spawned; i++)
		waitpid(pid[i], NULL, 0);
out:
	if (fd >= 0)
		close(fd);
	unlink(sock);
	free(envv);
	free(sock);
	free(pid);
	return ms;
}

/* The floor row for the node @argv, measured now. */
static void floor_row(results *r, row *w, const char *tmp, char *const *argv, size_t n,
		      const char *what)
{
	size_t got;

	settle_for(r, what);
	w->bpci = run_floor(tmp, argv, n, &got);
	if (got < n)
		add_note(r, "floor (%s): %zu of %zu READY within %d ms", what, got, n,
			 START_DEADLINE_MS);
	progress("floor (%s): %.0f ms", what, w->bpci);
	add_note(r, "floor (%s) measured at load average %s", what, loadavg1());
}

/* ---- main --------------------------------------------------------------- */

static void on_alarm(int sig)
{
	static const char msg[] = "coordinator_bench: over its time bound, giving up\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3); /* every child gets its parent-death signal */
}

static void print_machine(size_t n, const char *node_desc)
{
	char load[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	time_t now = time(NULL);
	char stamp[32];
	struct tm tm;

	if (f) {
		if (fgets(load, sizeof(load), f))
			load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	printf("coordinator_bench %s: %ld cores online, load average at start %s\n", stamp,
	       sysconf(_SC_NPROCESSORS_ONLN), load);
	printf("nodes: %zu x %s\n", n, node_desc);
}

/* Two more daemon starts of the same @n nodes (start only, fresh state
 * directories): @out becomes the median of the three, a start being at the
 * mercy of a virtual machine's neighbours; all three are in the notes. */
static void daemon_start_repeats(results *r, const char *tmp, const char *self, size_t n,
				 char *const *argv, size_t argc, row *out)
{
	static const char *const names[] = {"daemon-run2", "daemon-run3"};
	static const char *const tags[] = {" (run 2)", " (run 3)"};
	double v[3], sorted[3];
	size_t k, got = 0, len = 0;
	char list[64] = "";
	row extra;

	if (isnan(out->bpci))
		return;
	v[got++] = out->bpci;
	for (k = 0; k < 2; k++) {
		daemon_rows x = {&extra, NULL, NULL, NULL, names[k], tags[k]};

		memset(&extra, 0, sizeof(extra));
		extra.bpci = NAN;
		run_daemon(r, tmp, self, n, argv, argc, &x);
		if (!isnan(extra.bpci))
			v[got++] = extra.bpci;
	}
	memcpy(sorted, v, sizeof(v));
	qsort(sorted, got, sizeof(double), cmp_double);
	out->bpci = sorted[got / 2];
	for (k = 0; k < got && len < sizeof(list); k++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%.0f", k ? ", " : "",
					v[k]);
	add_note(r, "daemon `start` -> all ready is the median of %zu runs (%s ms, in run order)",
		 got, list);
}

/* The table's rows, in print order; the bpci and supervisord columns of a
 * row are filled by different phases. */
typedef struct all_rows {
	inproc_rows i;
	daemon_rows d, g; /* g: the daemon with the glibc node */
	sv_rows s;
	row *floor, *gfloor;
} all_rows;

static void layout_rows(results *r, all_rows *a, size_t n)
{
	a->i.batch = add_row(r, n, "(a) %zu nodes, one start_nodes() -> last ready", "ms", 1000);
	a->i.start = add_row(r, n, "(a) %zu start_node() calls -> last ready", "ms", NAN);
	a->i.lat50 = add_row(r, n, "(a) per node: start call -> ready p50", "ms", NAN);
	a->i.lat99 = add_row(r, n, "(a) per node: start call -> ready p99", "ms", NAN);
	a->d.exec_ready = add_row(r, n, "%zu nodes: daemon `start` -> all ready", "ms", 1000);
	a->floor = add_row(r, n, "  floor: bare posix_spawn x%zu -> all READY", "ms", NAN);
	a->g.exec_ready = add_row(r, n, "%zu glibc-static nodes: daemon -> all ready", "ms", NAN);
	a->gfloor = add_row(r, n, "  floor: bare posix_spawn x%zu, glibc node", "ms", NAN);
	a->floor->sv_note = a->g.exec_ready->sv_note = a->gfloor->sv_note = "-";
	a->d.name = "daemon";
	a->d.tag = "";
	a->g.get50 = a->g.get99 = a->g.rss = NULL;
	a->g.name = "daemon-glibc";
	a->g.tag = " (glibc node)";
	a->i.r50 = add_row(r, n, "(b) kill -9 -> replacement ready p50", "ms", NAN);
	a->i.r99 = add_row(r, n, "(b) kill -9 -> replacement ready p99", "ms", 20);
	a->d.get50 = add_row(r, n, "(c) GET /api/nodes, %zu nodes, p50", "ms", NAN);
	a->d.get99 = add_row(r, n, "(c) GET /api/nodes, %zu nodes, p99", "ms", 5);
	a->d.rss = add_row(r, n, "(c) coordinator RSS, %zu nodes", "MiB", 20);
	a->i.lat50->sv_note = a->i.lat99->sv_note = "- (no readiness protocol)";
	a->s = (sv_rows){a->i.batch, a->d.exec_ready, a->i.r50, a->i.r99,
			 a->d.get50, a->d.get99, a->d.rss};
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], tmp[] = "/tmp/bpci-bench.XXXXXX", *tiny = NULL, *free_node = NULL;
	char *node_argv[3] = {NULL, NULL, NULL}, *glibc_argv[2] = {NULL, NULL};
	size_t node_argc, n, ready = 0, left;
	results *r;
	all_rows a;
	ssize_t len;
	const char *nodes_env = getenv("BPCI_BENCH_NODES");
	const char *force_self = getenv("BPCI_BENCH_NODE");
	const char *only = getenv("BPCI_BENCH_ONLY");

	if (argc > 1 && strcmp(argv[1], "--as-node") == 0)
		node_main();
	progress("coordinator_bench starting");
	n = nodes_env ? (size_t)strtoul(nodes_env, NULL, 10) : 1000;
	if (n == 0 || n > 99999 || (len = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0 ||
	    !mkdtemp(tmp)) {
		fprintf(stderr, "coordinator_bench: cannot set up (BPCI_BENCH_NODES 1..99999, "
				"/proc/self/exe, a temp directory)\n");
		return 2;
	}
	self[len] = '\0';
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(240);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!force_self || strcmp(force_self, "self") != 0) {
		tiny = build_tiny_node(tmp);
		free_node = build_free_node(tmp);
	}
	node_argv[0] = free_node ? free_node : tiny ? tiny : self;
	node_argv[1] = free_node || tiny ? NULL : "--as-node";
	node_argc = free_node || tiny ? 1 : 2;
	glibc_argv[0] = tiny;
	print_machine(n, free_node ? "tiny libc-free static C node (x86_64 syscalls: READY=1, then "
				     "pause; 9 KB), compiled at run time"
			 : tiny ? "tiny static glibc C node (READY=1, then pause), compiled at run "
				  "time"
				: "this binary --as-node (dynamically linked: libcurl, OpenSSL, ...)");
	fflush(stdout);

	r = xcalloc(1, sizeof(*r));
	layout_rows(r, &a, n);
	if (!only || strcmp(only, "inproc") == 0)
		ready = run_inproc(r, tmp, n, node_argv, node_argc, &a.i);
	if (ready && ready < n) {
		/* The daemon answers only once all its nodes are spawned: give it as
		 * many as the in-process run could start in the same bound. */
		add_note(r, "the daemon and supervisord ran with %zu nodes, as many as (a) got ready "
			 "in its bound", ready);
		relabel(a.d.get50, "(c) GET /api/nodes, %zu nodes, p50", ready);
		relabel(a.d.get99, "(c) GET /api/nodes, %zu nodes, p99", ready);
		relabel(a.d.rss, "(c) coordinator RSS, %zu nodes", ready);
		relabel(a.d.exec_ready, "%zu nodes: daemon `start` -> all ready", ready);
		relabel(a.floor, "  floor: bare posix_spawn x%zu -> all READY", ready);
		relabel(a.g.exec_ready, "%zu glibc-static nodes: daemon -> all ready", ready);
		relabel(a.gfloor, "  floor: bare posix_spawn x%zu, glibc node", ready);
	}
	if (!only || strcmp(only, "daemon") == 0) {
		size_t dn = ready ? ready : n;

		run_daemon(r, tmp, self, dn, node_argv, node_argc, &a.d);
		daemon_start_repeats(r, tmp, self, dn, node_argv, node_argc, a.d.exec_ready);
		floor_row(r, a.floor, tmp, node_argv, dn, "the node above");
		if (free_node && tiny) {
			run_daemon(r, tmp, self, dn, glibc_argv, 1, &a.g);
			floor_row(r, a.gfloor, tmp, glibc_argv, dn, "glibc node");
		} else {
			snprintf(a.g.exec_ready->bpci_note, sizeof(a.g.exec_ready->bpci_note),
				 "(no second node)");
			snprintf(a.gfloor->bpci_note, sizeof(a.gfloor->bpci_note), "-");
		}
		add_note(r, "floor: one thread posix_spawn()s the same node N times, reading "
			 "READY=1 between spawns, until all arrived (no coordinator at all)");
	}
	add_note(r, "each timed phase started once the CPUs had been at least 90%% idle over "
		 "200 ms (waiting up to 3 s), so that none pays for the previous phase's teardown");
	if (!only || strcmp(only, "inproc") == 0)
		add_note(r, "(a) start_node() calls: each is acknowledged by its own durable "
			 "journal write (an fsync per node), so 1,000 of them are shown but not "
			 "held to the 1 s target; start_nodes() is the library's call for starting "
			 "many nodes");
	if (ready && ready < n) {
		/* The same count for supervisord, so that the side-by-side rows
		 * compare equal workloads. */
		a.i.batch->sv_note = "- (ran with fewer: see below)";
		relabel(a.i.r50, "(b) kill -9 -> replacement ready p50, %zu nodes", ready);
		relabel(a.i.r99, "(b) kill -9 -> replacement ready p99, %zu nodes", ready);
	}
	if (!only || strcmp(only, "supervisord") == 0)
		run_supervisord(r, tmp, ready ? ready : n, node_argv, node_argc, &a.s);
	add_note(r, "supervisord's \"ready\" is RUNNING, i.e. process spawned (startsecs=0; "
		 "it has no readiness protocol); bpci's is the node's READY=1 received");
	add_note(r, "supervisord columns: (a) its first spawn -> last RUNNING; (b) kill -9 -> "
		 "new pid spawned, %d programs killed at once per round; (c) the XML-RPC "
		 "getAllProcessInfo call instead of GET /api/nodes, and supervisord's RSS",
		 SV_RESTART_BATCH);
	left = sweep_children();
	if (left)
		add_note(r, "%zu orphaned processes were still alive at the end and were killed",
			 left);
	print_table(r);
	if (getenv("BPCI_BENCH_KEEP"))
		printf("kept %s (BPCI_BENCH_KEEP)\n", tmp);
	else
		rm_tree(tmp);
	free(tiny);
	free(free_node);
	free(r);
	curl_global_cleanup();
	return 0;
}
