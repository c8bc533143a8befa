#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, what);
	exit(1);
}

void bench_bindir(char *out, size_t size)
{
	const char *build = getenv("BPCI_BUILD");
	char self[4000];
	ssize_t n;

	if (build) {
		snprintf(out, size, "%s/bin", build);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		bench_die("cannot find the programs: set BPCI_BUILD");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(out, size, "%s/../bin", self);
}

char *bench_wait_line(const char *dir, const char *name, double timeout_s)
{
	char path[4200], buf[512];
	double t0 = bench_now_s();
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (!(f = fopen(path, "r")) && bench_now_s() - t0 < timeout_s)
		usleep(10000);
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}
