/*
 * Host totals: CPUs, memory, aggregate CPU time and load, each read from its
 * own /proc file so that one unreadable source leaves only its fields absent.
 */
#include "runtime/procstat.h"
#include "runtime/procstat_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpci/error.h"

/* The value in kB of "Key:" at the start of a line of @text, in bytes. */
static int meminfo_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;
	unsigned long long kb;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			if (sscanf(p + klen + 1, "%llu kB", &kb) != 1)
				return -1;
			*out = (uint64_t)kb * 1024u;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void sample_memory(bpci__hoststat *o)
{
	char buf[8192];

	if (bpci__read_small_file(AT_FDCWD, "/proc/meminfo", buf, sizeof(buf)) < 0)
		return;
	if (meminfo_field(buf, "MemTotal", &o->mem_total_bytes) == 0 &&
	    meminfo_field(buf, "MemAvailable", &o->mem_available_bytes) == 0)
		o->present |= BPCI__HS_MEMORY;
}

static void sample_cpu_time(bpci__hoststat *o)
{
	char buf[512];
	unsigned long long v[8] = {0};
	int n;

	/* Only the first line is needed; a short read still holds it. */
	if (bpci__read_small_file(AT_FDCWD, "/proc/stat", buf, sizeof(buf)) < 0)
		return;
	/* cpu user nice system idle iowait irq softirq steal (guest and
	 * guest_nice are already counted inside user and nice). */
	n = sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (n < 4)
		return;
	o->cpu_total_ticks = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	o->cpu_busy_ticks = o->cpu_total_ticks - v[3] - v[4];
	o->present |= BPCI__HS_CPU_TIME;
}

static void sample_load(bpci__hoststat *o)
{
	char buf[256];

	if (bpci__read_small_file(AT_FDCWD, "/proc/loadavg", buf, sizeof(buf)) < 0)
		return;
	if (sscanf(buf, "%lf %lf %lf", &o->load1, &o->load5, &o->load15) == 3)
		o->present |= BPCI__HS_LOAD;
}

int bpci__hoststat_sample(bpci__hoststat *out)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(out, 0, sizeof(*out));
	if (cpus > 0) {
		out->cpus = (uint64_t)cpus;
		out->present |= BPCI__HS_CPUS;
	}
	sample_memory(out);
	sample_cpu_time(out);
	sample_load(out);
	return out->present ? 0 : BPCI_EIO;
}

int bpci__hoststat_cpu_utilization(const bpci__hoststat *prev, const bpci__hoststat *cur,
				   double *out)
{
	uint64_t total, busy;

	if (!(prev->present & BPCI__HS_CPU_TIME) || !(cur->present & BPCI__HS_CPU_TIME) ||
	    cur->cpu_total_ticks <= prev->cpu_total_ticks ||
	    cur->cpu_busy_ticks < prev->cpu_busy_ticks)
		return BPCI_ENOTFOUND;
	total = cur->cpu_total_ticks - prev->cpu_total_ticks;
	busy = cur->cpu_busy_ticks - prev->cpu_busy_ticks;
	*out = busy > total ? 1.0 : (double)busy / (double)total;
	return 0;
}
