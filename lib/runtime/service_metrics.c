/*
 * GET /metrics of a node: a registry (runtime/metrics.h) holding the
 * request counters and collected families whose values are measured at
 * the moment of the scrape, never stored copies:
 *
 * - this process, under the names of the Prometheus client libraries'
 *   process collector (so existing dashboards work): CPU time (getrusage),
 *   resident memory (/proc/self/statm), open descriptors (/proc/self/fd),
 *   start time (/proc/self/stat and the boot time); and the service's
 *   uptime (bpci_node_uptime_seconds, since bpci_service_new());
 * - the node's process group (the node and what it forked), under the
 *   node_distribution_node_* names the coordinator uses, labelled with
 *   node_id and node_type, through procstat. The contract makes every node
 *   lead its own group; a program that does not (started by hand from a
 *   script, which shares the script's group) has no group figures rather
 *   than figures of processes that are not the node's.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/alloc.h"
#include "runtime/metric_names.h"
#include "runtime/proc.h"
#include "service_internal.h"

#define REQUESTS_NAME "bpci_node_http_requests_total"
#define REQUESTS_HELP "HTTP requests answered by the node's routes, by route and status code."

/* ---- this process ------------------------------------------------------ */

static int proc_cpu(const bpci_service *svc, double *v)
{
	struct rusage ru;

	(void)svc;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	*v = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return 0;
}

static int proc_rss(const bpci_service *svc, double *v)
{
	unsigned long long size, rss;
	FILE *f = fopen("/proc/self/statm", "re");
	int ok;

	(void)svc;
	if (!f)
		return -1;
	ok = fscanf(f, "%llu %llu", &size, &rss) == 2;
	fclose(f);
	if (!ok)
		return -1;
	*v = (double)rss * (double)sysconf(_SC_PAGESIZE);
	return 0;
}

static int proc_fds(const bpci_service *svc, double *v)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	(void)svc;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	*v = (double)(n - 1); /* not the directory stream's own descriptor */
	return 0;
}

/* Seconds since the epoch when this process started: its start in ticks
 * after boot plus the boot time from /proc/stat. */
static int proc_start(const bpci_service *svc, double *v)
{
	char line[256];
	unsigned long long btime = 0;
	uint64_t ticks;
	int found = 0;
	FILE *f;

	(void)svc;
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
	*v = (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static int service_uptime(const bpci_service *svc, double *v)
{
	*v = bpci__service_uptime(svc);
	return 0;
}

/* ---- the node's process group ------------------------------------------ */

static double g_cpu(const bpci__procstat *p) { return (double)p->cpu_ns / 1e9; }
static double g_rss(const bpci__procstat *p) { return (double)p->rss_bytes; }
static double g_fds(const bpci__procstat *p) { return (double)p->fds; }
static double g_threads(const bpci__procstat *p) { return (double)p->threads; }
static double g_processes(const bpci__procstat *p) { return (double)p->processes; }
static double g_uptime(const bpci__procstat *p) { return (double)p->uptime_ns / 1e9; }
static double g_read(const bpci__procstat *p) { return (double)p->io_read_bytes; }
static double g_write(const bpci__procstat *p) { return (double)p->io_write_bytes; }
static double g_conns(const bpci__procstat *p) { return (double)p->active_connections; }

typedef struct family {
	/* this process: name, help, type, reader */
	const char *name, *help;
	bpci__metric_type type;
	int (*proc)(const bpci_service *svc, double *v);
	/* or the group: family id, presence bit, value */
	bpci__metric_id id;
	unsigned int bit;
	double (*group)(const bpci__procstat *p);
} family;

static const family families[BPCI__SERVICE_FAMILIES] = {
	{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
	 BPCI__METRIC_COUNTER, proc_cpu, 0, 0, NULL},
	{"process_resident_memory_bytes", "Resident memory size in bytes.",
	 BPCI__METRIC_GAUGE, proc_rss, 0, 0, NULL},
	{"process_open_fds", "Number of open file descriptors.", BPCI__METRIC_GAUGE,
	 proc_fds, 0, 0, NULL},
	{"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
	 BPCI__METRIC_GAUGE, proc_start, 0, 0, NULL},
	{"bpci_node_uptime_seconds", "Seconds since the node's service started.",
	 BPCI__METRIC_GAUGE, service_uptime, 0, 0, NULL},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_CPU_SECONDS_TOTAL, BPCI__PS_CPU, g_cpu},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_MEMORY_USAGE_BYTES, BPCI__PS_RSS, g_rss},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_OPEN_FDS, BPCI__PS_FDS, g_fds},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_THREADS, BPCI__PS_THREADS, g_threads},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_PROCESSES, BPCI__PS_PROCESSES, g_processes},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_UPTIME_SECONDS, BPCI__PS_START, g_uptime},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_IO_READ_BYTES_TOTAL, BPCI__PS_IO, g_read},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_IO_WRITE_BYTES_TOTAL, BPCI__PS_IO, g_write},
	{NULL, NULL, 0, NULL, BPCI__MID_NODE_ACTIVE_CONNECTIONS, BPCI__PS_CONNECTIONS, g_conns},
};

static int collect(bpci__metrics_emitter *em, void *payload)
{
	const bpci__service_family *sf = payload;
	const family *f = &families[sf->index];
	const bpci_service *svc = sf->svc;
	double v;

	if (f->proc)
		return f->proc(svc, &v) == 0 ? bpci__metrics_emit(em, v, NULL) : 0;
	if (!(svc->group.present & f->bit))
		return 0; /* not measured: absent, not zero */
	return bpci__metrics_emit(em, f->group(&svc->group), BPCI__METRIC_LABEL_NODE_ID,
				  svc->id, BPCI__METRIC_LABEL_NODE_TYPE,
				  bpci_node_type_name(svc->type), NULL);
}

int bpci__service_metrics_init(bpci_service *svc)
{
	unsigned int i;
	int rc = bpci__metrics_new(&svc->metrics);

	for (i = 0; rc == 0 && i < BPCI__SERVICE_FAMILIES; i++) {
		bpci__metrics_collector c;

		svc->families[i].svc = svc;
		svc->families[i].index = i;
		if (families[i].proc) {
			c.def.name = families[i].name;
			c.def.help = families[i].help;
			c.def.type = families[i].type;
		} else {
			c.def = *bpci__metric_def(families[i].id);
		}
		c.collect = collect;
		c.payload = &svc->families[i];
		rc = bpci__metrics_add_collector(svc->metrics, &c);
	}
	return rc;
}

void bpci__service_count_request(bpci_service *svc, const char *path, int code)
{
	bpci__metric *m;
	char status[8];

	snprintf(status, sizeof(status), "%d", code);
	/* Out of memory: the request goes uncounted rather than failing. */
	if (bpci__metrics_counter(&m, svc->metrics, REQUESTS_NAME, REQUESTS_HELP, "path", path,
				  "code", status, NULL) == 0)
		bpci__metric_inc(m);
}

int bpci__service_metrics_text(char **out, size_t *len, bpci_service *svc)
{
	memset(&svc->group, 0, sizeof(svc->group));
	if (getpgrp() == getpid())
		bpci__procstat_sample(getpid(), &svc->group);
	return bpci__metrics_render(out, len, svc->metrics);
}
