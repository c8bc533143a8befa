/* Helpers of the cluster manager tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cm_test.h"

static const char *const replica_cmd[] = {
	"/bin/sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec sleep 300",
	NULL};

static void on_event(const bpci_cluster_event *ev, void *payload)
{
	cm_env *e = payload;

	if (e->nkinds < 64)
		e->kinds[e->nkinds++] = (int)ev->kind;
}

static int bindable(unsigned int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Below the kernel's ephemeral range (32768 up by default), so that no
 * outgoing connection of another test takes one of these ports meanwhile;
 * the start varies with the pid so parallel runs spread out. */
unsigned int cm_free_range(char *text, size_t size, unsigned int n)
{
	unsigned int span = 30000 - 20000 - n, start = 20000 + (unsigned int)getpid() % span;
	unsigned int i, k;

	for (i = 0; i < span; i++) {
		unsigned int base = 20000 + (start - 20000 + i * 7) % span;

		for (k = 0; k < n && bindable(base + k); k++)
			;
		if (k == n) {
			snprintf(text, size, "%u-%u", base, base + n - 1);
			return base;
		}
	}
	ck_abort_msg("no %u free consecutive ports in 20000-30000", n);
	return 0;
}

int cm_open(cm_env *e, const char *ranges)
{
	char own[32];

	bpci_cluster_manager_options o = BPCI_CLUSTER_MANAGER_OPTIONS_INIT;

	o.cluster_id = "test-cluster";
	o.state_dir = e->dir;
	if (!ranges) {
		cm_free_range(own, sizeof(own), 11);
		ranges = own;
	}
	o.port_ranges = ranges;
	o.replica_command = replica_cmd;
	o.on_event = on_event;
	o.event_payload = e;
	return bpci_cluster_manager_new(&e->cm, &o, e->diag);
}

void cm_setup(cm_env *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e->diag), 0);
	ck_assert_msg(cm_open(e, NULL) == 0, "open: %s", bpci_diag_last_text(e->diag));
}

void cm_teardown(cm_env *e)
{
	if (e->cm) {
		bpci_cluster_manager_shutdown(e->cm, NULL);
		bpci_cluster_manager_free(e->cm);
	}
	bpci_diag_free(e->diag);
	bpci_test_rmtree(e->dir);
	free(e->dir);
}

int cm_wait_running(cm_env *e, const char *id)
{
	bpci_coordinator *c = bpci_cluster_manager_coordinator(e->cm);
	bpci_node_status *st = NULL;
	bpci_node_state state = 0;
	int pid;

	ck_assert_int_eq(bpci_coordinator_wait_node(&state, c, id,
						    BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING),
						    10000, e->diag), 0);
	ck_assert_int_eq(bpci_coordinator_get_node(&st, c, id, NULL), 0);
	pid = st->pid;
	bpci_node_status_free(st);
	ck_assert_int_gt(pid, 0);
	return pid;
}

typedef struct count_ctx {
	const char *needle;
	size_t n;
} count_ctx;

static int count_cb(uint64_t seq, const char *entry, size_t len, void *payload)
{
	count_ctx *ctx = payload;

	(void)seq;
	(void)len;
	if (strstr(entry, ctx->needle))
		ctx->n++;
	return 0;
}

static bpci_ledger *open_ro(const char *dir)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	return l;
}

size_t cm_count_type(const char *dir, const char *type)
{
	char needle[128];
	count_ctx ctx;
	bpci_ledger *l = open_ro(dir);

	snprintf(needle, sizeof(needle), "\"type\":\"%s\"", type);
	ctx.needle = needle;
	ctx.n = 0;
	ck_assert_int_eq(bpci_ledger_foreach(l, 0, count_cb, &ctx), 0);
	bpci_ledger_free(l);
	return ctx.n;
}

uint64_t cm_ledger_size(const char *dir)
{
	bpci_ledger *l = open_ro(dir);
	uint64_t n = bpci_ledger_size(l);

	bpci_ledger_free(l);
	return n;
}

int cm_alive(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

void cm_p_start_mid(cm_p_env *t, const char *mid_resp)
{
	const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", "mid", "--parent-id",
			     "root", "--responsibilities", mid_resp, "--capacity",
			     "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	bpci_test_run r;

	memset(t, 0, sizeof(*t));
	t->dir = bpci_test_mkdtemp();
	t->rdir = bpci_test_mkdtemp();
	snprintf(t->log, sizeof(t->log), "%s.manager.log", t->dir);
	snprintf(t->rlog, sizeof(t->rlog), "%s.remote.log", t->dir);
	t->mgr = cm_p_spawn_manager(t->dir, t->log);
	t->url = cm_p_file_line(t->dir, "api.url");
	t->token = cm_p_file_line(t->dir, "api.token");
	cm_p_cli(&r, t->dir, add);
	ck_assert_msg(r.status == 0, "add mid: %s", r.err);
	bpci_test_run_free(&r);
	t->mid = cm_p_wait_daemon(t->url, "mid", "running", 0);
}

pid_t cm_p_join_remote(cm_p_env *t, const char *id, const char *parent)
{
	const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", id, "--parent-id",
			     parent, "--responsibilities", "node_lifecycle", "--capacity",
			     "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	char pdir[4300], *purl, *ptoken;
	bpci_test_run r;

	cm_p_cli(&r, t->dir, add);
	ck_assert_msg(r.status == 0, "add %s: %s", id, r.err);
	bpci_test_run_free(&r);
	if (!strcmp(parent, "root"))
		snprintf(pdir, sizeof(pdir), "%s", t->dir);
	else
		snprintf(pdir, sizeof(pdir), "%s/daemons/%s", t->dir, parent);
	purl = cm_p_file_line(pdir, "api.url");
	ptoken = cm_p_file_line(pdir, "api.token");
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", id, "--join",
				      purl, "--join-token", ptoken, "--remote", "--state-dir",
				      t->rdir, "--listen", "127.0.0.1:0", NULL};

		t->remote = cm_p_spawn("bpi-core", args, t->rlog);
	}
	free(purl);
	free(ptoken);
	ck_assert_int_eq(cm_p_wait_daemon(t->url, id, "running", 0), t->remote);
	return t->remote;
}

void cm_p_env_free(cm_p_env *t)
{
	free(t->url);
	free(t->token);
	unlink(t->log);
	unlink(t->rlog);
	bpci_test_rmtree(t->rdir);
	bpci_test_rmtree(t->dir);
	free(t->rdir);
	free(t->dir);
}

long cm_p_fail_host(const char *url, pid_t pid, long rep, const char *id, const char *dead,
		    char *where, size_t size, double *took)
{
	double t0;
	long now_pid = 0;

	ck_assert(kill(pid, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       ((now_pid = cm_p_replica_on(url, id, where, size)) == 0 || !strcmp(where, dead)))
		usleep(50 * 1000);
	*took = cm_p_mono() - t0;
	ck_assert_msg(strcmp(where, dead) != 0 && now_pid > 0,
		      "replica %s did not fail over within 15 s (on %s)", id, where);
	return now_pid;
}
