/*
 * GET /metrics of a node: the Prometheus text exposition format 0.0.4 of
 * values measured at the moment of the request — the process's CPU time
 * (getrusage), memory (/proc/self/statm), open descriptors (/proc/self/fd),
 * start time (/proc/self/stat and the boot time in /proc/stat), the
 * service's uptime and the requests it served. Metric names follow the
 * Prometheus client libraries' process collector, so dashboards built for
 * those work unchanged.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/alloc.h"
#include "proc.h"
#include "service_internal.h"

typedef struct buf {
	char *data;
	size_t len, cap;
	int failed;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt,
		      ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (!b->data || b->len + (size_t)n >= b->cap) {
		if (bpci__grow((void **)&b->data, &b->cap, b->len + (size_t)n + 1, 1) < 0) {
			b->failed = 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A label value with '\\', '"' and newlines escaped, as the format asks. */
static void put_label(buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			put(b, "\\\\");
		else if (*v == '"')
			put(b, "\\\"");
		else if (*v == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *v);
	}
}

static void header(buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int read_statm(uint64_t *vsize, uint64_t *rss)
{
	unsigned long long v, r;
	FILE *f = fopen("/proc/self/statm", "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu %llu", &v, &r) == 2;
	fclose(f);
	if (!ok)
		return -1;
	*vsize = v * (uint64_t)sysconf(_SC_PAGESIZE);
	*rss = r * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own descriptor */
}

/* Seconds since the epoch when this process started. */
static int start_time(double *out)
{
	char line[256];
	unsigned long long btime = 0;
	uint64_t ticks;
	int found = 0;
	FILE *f;

	if (bpci__proc_start_time(getpid(), &ticks) != 0)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "btime %llu", &btime) == 1;
	fclose(f);
	if (!found)
		return -1;
	*out = (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static void process_metrics(buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	uint64_t vsize, rss;
	double started;
	long fds = count_fds();

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		header(b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		put(b, "process_cpu_seconds_total %.6f\n",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	if (read_statm(&vsize, &rss) == 0) {
		header(b, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		put(b, "process_resident_memory_bytes %llu\n", (unsigned long long)rss);
		header(b, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		put(b, "process_virtual_memory_bytes %llu\n", (unsigned long long)vsize);
	}
	if (fds >= 0) {
		header(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		put(b, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		header(b, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.");
		put(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	if (start_time(&started) == 0) {
		header(b, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
		put(b, "process_start_time_seconds %.2f\n", started);
	}
}

static void service_metrics(buf *b, const bpci_service *svc)
{
	size_t i;

	header(b, "bpci_node_info", "gauge",
	       "Identity of this node: always 1, the labels carry the values.");
	put(b, "bpci_node_info{id=\"");
	put_label(b, svc->id);
	put(b, "\",type=\"%s\"} 1\n", bpci_node_type_name(svc->type));
	header(b, "bpci_node_uptime_seconds", "gauge",
	       "Seconds since the node's service started.");
	put(b, "bpci_node_uptime_seconds %.3f\n", bpci__service_uptime(svc));
	header(b, "bpci_node_http_requests_total", "counter",
	       "HTTP requests answered, by route path and status code.");
	for (i = 0; i < svc->ncounts; i++) {
		put(b, "bpci_node_http_requests_total{path=\"");
		put_label(b, svc->counts[i].path);
		put(b, "\",code=\"%d\"} %llu\n", svc->counts[i].code,
		    (unsigned long long)svc->counts[i].n);
	}
}

int bpci__service_metrics_text(char **out, size_t *len, const bpci_service *svc)
{
	buf b = {0};

	process_metrics(&b);
	service_metrics(&b, svc);
	if (b.failed || !b.data) {
		bpci__free(b.data);
		return BPCI_ENOMEM;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}
