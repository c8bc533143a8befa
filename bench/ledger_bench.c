/*
 * ledger_bench - the audit ledger's numbers on this machine: durable
 * appends per second with group commit and the append-to-durable latency
 * (p50/p99) for several thread counts, then for a ledger of 1,000,000
 * entries the open time, the inclusion proof time and the verify time.
 * Usage: ledger_bench [entries (default 1000000)] [seconds per run (2)]
 *                     [thread counts, comma-separated (1,4,16,64,256)].
 * An entries count of 0 skips the large-ledger part.
 * Works in a temporary directory under $TMPDIR or /tmp and removes it.
 * Build by hand until `make bench` has its script:
 *   cc -O2 -D_GNU_SOURCE -Iinclude bench/ledger_bench.c -o ledger_bench \
 *      build/lib/libbpci.a $(pkg-config --libs jansson libcrypto) -lpthread
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpci.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rmdir_all(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "ledger_bench: %s: %s\n", what, bpci_strerror(rc));
		exit(1);
	}
}

typedef struct worker {
	bpci_ledger *l;
	double until;
	double *lat;
	size_t n, cap;
} worker;

static void *appender(void *arg)
{
	worker *w = arg;
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	double t0, t1;

	ev.type = "api.request";
	ev.actor = "bench";
	ev.subject = "/api/v1/nodes";
	ev.details_json = "{\"method\":\"GET\",\"status\":200}";
	while ((t0 = now()) < w->until) {
		check(bpci_ledger_append(NULL, w->l, &ev, NULL), "append");
		t1 = now();
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 65536;
			w->lat = realloc(w->lat, w->cap * sizeof(double));
			if (w->lat == NULL)
				exit(1);
		}
		w->lat[w->n++] = t1 - t0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Thread counts that met the target: >= 50,000 durable appends/s
 * with p99 append-to-durable <= 10 ms, in the same run. */
static char met[256];

static void run_threads(const char *base, int threads, double seconds)
{
	char dir[1024];
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	worker *w = calloc((size_t)threads, sizeof(*w));
	pthread_t *th = calloc((size_t)threads, sizeof(*th));
	bpci_ledger *l;
	double *all, start, took, load;
	size_t total = 0, k = 0;
	int i;

	snprintf(dir, sizeof(dir), "%s/threads-%d", base, threads);
	check(bpci_ledger_open(&l, dir, &o, NULL), "open");
	start = now();
	for (i = 0; i < threads; i++) {
		w[i].l = l;
		w[i].until = start + seconds;
		pthread_create(&th[i], NULL, appender, &w[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += w[i].n;
	}
	took = now() - start;
	check(bpci_ledger_stats_get(&st, l), "stats");
	all = malloc(total * sizeof(double));
	for (i = 0; i < threads; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
		k += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof(double), cmp_double);
	/* The machine may be shared: the load says how much of it we had. */
	if (getloadavg(&load, 1) != 1)
		load = -1;
	printf("| durable appends, %2d threads | %9.0f /s | p50 %.2f ms, p99 %.2f ms, "
	       "p99.9 %.1f ms, %.1f entries/fsync, load %.1f |\n", threads,
	       (double)total / took, all[total / 2] * 1e3, all[total * 99 / 100] * 1e3,
	       all[total * 999 / 1000] * 1e3,
	       (double)st.appended / (double)(st.fsyncs ? st.fsyncs : 1), load);
	if ((double)total / took >= 50000.0 && all[total * 99 / 100] * 1e3 <= 10.0)
		snprintf(met + strlen(met), sizeof(met) - strlen(met), "%s%d", *met ? ", " : "",
			 threads);
	bpci_ledger_free(l);
	rmdir_all(dir);
	free(all);
	free(w);
	free(th);
}

static void big_ledger(const char *base, uint64_t n)
{
	char dir[1024];
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger_event *ev = calloc(10000, sizeof(*ev));
	uint8_t path[65 * 32], root[32];
	size_t plen;
	bpci_ledger *l;
	bpci_diag *d;
	double t;
	uint64_t done = 0, i;
	int k;

	snprintf(dir, sizeof(dir), "%s/big", base);
	o.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	check(bpci_ledger_open(&l, dir, &o, NULL), "open");
	for (k = 0; k < 10000; k++) {
		ev[k].version = BPCI_LEDGER_EVENT_VERSION;
		ev[k].type = "node.health";
		ev[k].actor = "bench";
		ev[k].subject = "storage-1";
		ev[k].details_json = "{\"cpu\":0.25,\"rss_kb\":40960,\"status\":\"healthy\"}";
	}
	t = now();
	while (done < n) {
		size_t m = n - done < 10000 ? (size_t)(n - done) : 10000;

		check(bpci_ledger_append_many(NULL, l, ev, m, NULL), "append_many");
		done += m;
	}
	printf("| fill %llu entries (batches of 10000) | %.2f s | %.0f entries/s |\n",
	       (unsigned long long)n, now() - t, (double)n / (now() - t));
	check(bpci_ledger_checkpoint(&(char *){NULL}, l, NULL) == 0 ? 0 : 1, "checkpoint");
	bpci_ledger_free(l);

	t = now();
	check(bpci_ledger_open(&l, dir, &o, NULL), "reopen");
	printf("| open a %llu-entry ledger | %.2f ms | |\n", (unsigned long long)n,
	       (now() - t) * 1e3);
	srand(1);
	t = now();
	for (i = 0; i < 10000; i++) {
		plen = 65;
		check(bpci_ledger_inclusion_proof(path, &plen, l, (uint64_t)rand() % n, n), "proof");
	}
	printf("| inclusion proof in %llu entries | %.1f us | mean of 10000 |\n",
	       (unsigned long long)n, (now() - t) / 10000 * 1e6);
	t = now();
	check(bpci_ledger_root(root, l, n - 12345), "root");
	printf("| root at an arbitrary size | %.1f us | |\n", (now() - t) * 1e6);
	bpci_ledger_free(l);

	bpci_diag_new(&d);
	t = now();
	if (bpci_ledger_verify(dir, NULL, d, NULL, NULL) != 0)
		fprintf(stderr, "verify failed: %s\n", bpci_diag_last_text(d));
	printf("| verify %llu entries | %.2f s | |\n", (unsigned long long)n, now() - t);
	bpci_diag_free(d);
	rmdir_all(dir);
	free(ev);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	char base[512];
	const char *list = argc > 3 ? argv[3] : "1,4,16,64,128,256";
	char *end;
	long t;

	snprintf(base, sizeof(base), "%s/ledger-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(base) == NULL || (n > 0 && n < 20000)) {
		fprintf(stderr, "usage: ledger_bench [entries: 0 or >= 20000] [seconds] "
				"[threads,...]\n");
		return 1;
	}
	printf("| measure | value | notes |\n|---|---|---|\n");
	while (*list != '\0') {
		t = strtol(list, &end, 10);
		if (end == list || t < 1 || t > 4096 || (*end != ',' && *end != '\0')) {
			fprintf(stderr, "ledger_bench: bad thread count list at '%s'\n", list);
			rmdir(base);
			return 1;
		}
		run_threads(base, (int)t, seconds);
		list = *end == ',' ? end + 1 : end;
	}
	printf("| target >= 50000 appends/s with p99 <= 10 ms | %s | %s%s |\n",
	       *met ? "met" : "MISSED", *met ? "at threads " : "at no thread count of this run",
	       met);
	if (n > 0)
		big_ledger(base, n);
	rmdir(base);
	return 0;
}
