/*
 * ledger_ship - mirror an audit ledger to a remote ledger: start a mirror
 * (bpci_ledger_serve) in a child process on a free local port, append
 * audit events to a local ledger, ship them with a background shipper that
 * is woken after the appends, and check that the mirror's tree is the
 * local one. Runs with no arguments in fresh temporary directories;
 * exit status 0 when the mirror holds every entry, 1 otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpci.h>

/* The child tells the parent the mirror's URL through a pipe. */
static void ready(const char *url, void *payload)
{
	int fd = *(int *)payload;

	if (write(fd, url, strlen(url) + 1) < 0)
		perror("ledger_ship: write");
	close(fd);
}

static pid_t start_mirror(const char *dir, char *url, size_t cap)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		bpci_ledger_serve_options o = BPCI_LEDGER_SERVE_OPTIONS_INIT;

		close(p[0]);
		o.listen = "127.0.0.1:0";
		o.ready = ready;
		o.ready_payload = &p[1];
		_exit(bpci_ledger_serve(dir, &o, NULL) == 0 ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], url, cap - 1);
	close(p[0]);
	if (n <= 0)
		return -1;
	url[n] = '\0';
	return pid;
}

static int read_token(const char *dir, char *out, size_t cap)
{
	char path[700];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/api-token", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return ok ? 0 : -1;
}

static int ship(bpci_ledger *ledger, const char *dir, const char *url, const char *token)
{
	bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;
	bpci_ledger_shipper *s = NULL;
	int i;

	o.endpoint = url;
	o.token = token;
	o.flush_ms = 100;
	if (bpci_ledger_shipper_new(&s, ledger, dir, &o, NULL) != 0 ||
	    bpci_ledger_shipper_start(s, NULL) != 0) {
		bpci_ledger_shipper_free(s);
		return -1;
	}
	if (bpci_ledger_audit(ledger, "port_allocation", "8080 to validator-1") != 0 ||
	    bpci_ledger_audit(ledger, "node_started", "validator-1") != 0 ||
	    bpci_ledger_audit(ledger, "agreement_deployed", "agreement-7") != 0) {
		bpci_ledger_shipper_free(s);
		return -1;
	}
	bpci_ledger_shipper_notify(s); /* never blocks the appends above */
	for (i = 0; i < 100; i++) {
		if (bpci_ledger_shipper_stats(&st, s) != 0)
			break;
		if (st.shipped == bpci_ledger_size(ledger) || st.diverged)
			break;
		usleep(100 * 1000);
	}
	bpci_ledger_shipper_free(s);
	printf("shipped %llu of %llu entries in %llu batches%s\n",
	       (unsigned long long)st.shipped, (unsigned long long)bpci_ledger_size(ledger),
	       (unsigned long long)st.batches, st.diverged ? " (DIVERGED)" : "");
	return st.shipped == bpci_ledger_size(ledger) && !st.diverged ? 0 : -1;
}

/* The mirror's root at the local size is the local root. */
static int same_tree(bpci_ledger *ledger, const char *mirror_dir)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *m = NULL;
	uint8_t a[32], b[32];
	uint64_t n = bpci_ledger_size(ledger);
	int same;

	o.flags = BPCI_LEDGER_READONLY;
	if (bpci_ledger_open(&m, mirror_dir, &o, NULL) != 0)
		return 0;
	same = bpci_ledger_size(m) == n && bpci_ledger_root(a, ledger, n) == 0 &&
	       bpci_ledger_root(b, m, n) == 0 && memcmp(a, b, 32) == 0;
	bpci_ledger_free(m);
	return same;
}

int main(void)
{
	char base[] = "/tmp/ledger-ship-XXXXXX", local[64], mirror[64], url[256], token[256];
	char cmd[128];
	bpci_ledger *ledger = NULL;
	pid_t pid;
	int status = 1, st;

	if (!mkdtemp(base))
		return 1;
	snprintf(local, sizeof(local), "%s/local", base);
	snprintf(mirror, sizeof(mirror), "%s/mirror", base);
	if ((pid = start_mirror(mirror, url, sizeof(url))) < 0) {
		fprintf(stderr, "ledger_ship: the mirror did not start\n");
		goto out;
	}
	printf("mirror listening on %s\n", url);
	if (read_token(mirror, token, sizeof(token)) == 0 &&
	    bpci_ledger_open(&ledger, local, NULL, NULL) == 0 &&
	    ship(ledger, local, url, token) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		pid = -1;
		if (same_tree(ledger, mirror)) {
			printf("the mirror's tree equals the local tree\n");
			status = 0;
		}
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
out:
	bpci_ledger_free(ledger);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "ledger_ship: could not remove %s\n", base);
	return status;
}
