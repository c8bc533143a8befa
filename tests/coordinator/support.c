#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coordinator_test.h"

long ct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void on_event(const bpci_node_event *ev, void *payload)
{
	ct_events *e = payload;

	ck_assert_ptr_nonnull(ev->node_id);
	ck_assert_ptr_nonnull(ev->reason);
	if (e->count >= 256)
		return;
	snprintf(e->ids[e->count], sizeof(e->ids[0]), "%s", ev->node_id);
	snprintf(e->reasons[e->count], sizeof(e->reasons[0]), "%s", ev->reason);
	e->from[e->count] = ev->old_state;
	e->to[e->count] = ev->new_state;
	e->count++;
}

int ct_open(ct_env *e, bpci_coordinator **out)
{
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;

	o.state_dir = e->dir;
	o.on_event = on_event;
	o.event_payload = &e->ev;
	o.coordinator_url = "http://127.0.0.1:1";
	bpci_diag_clear(e->diag);
	return bpci_coordinator_new(out, &o, e->diag);
}

void ct_setup(ct_env *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e->diag), 0);
	ck_assert_msg(ct_open(e, &e->c) == 0, "coordinator_new: %s",
		      bpci_diag_last_text(e->diag));
}

void ct_teardown(ct_env *e)
{
	if (e->c) {
		ck_assert_int_eq(bpci_coordinator_shutdown(e->c, NULL), 0);
		bpci_coordinator_free(e->c);
	}
	bpci_diag_free(e->diag);
	bpci_test_rmtree(e->dir);
	free(e->dir);
}

void ct_set(bpci_node_spec *spec, const char *field, const char *value)
{
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci_node_spec_set(spec, field, value, d) == 0, "set %s=%s: %s", field,
		      value, bpci_diag_last_text(d));
	bpci_diag_free(d);
}

bpci_node_spec *ct_spec(const char *args, const char *check)
{
	char exe[4096], *copy, *tok, *save = NULL;
	const char *argv[16];
	size_t n = 0;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bpci_node_spec *spec;

	ck_assert_int_gt(len, 0);
	exe[len] = '\0';
	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_LOGBOOK), 0);
	ct_set(spec, "logbook_type", "transaction");
	argv[n++] = exe;
	argv[n++] = "--as-node";
	copy = strdup(args);
	for (tok = strtok_r(copy, " ", &save); tok && n < 15; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	ck_assert_int_eq(bpci_node_spec_set_list(spec, "command", argv, n, NULL), 0);
	free(copy);
	ct_set(spec, "health.type", check);
	ct_set(spec, "health.interval", "100ms");
	ct_set(spec, "health.timeout", "80ms");
	ct_set(spec, "health.start_timeout", "5s");
	ct_set(spec, "stop.timeout", "2s");
	ct_set(spec, "restart.backoff_initial", "20ms");
	ct_set(spec, "restart.backoff_max", "100ms");
	return spec;
}

void ct_wait(ct_env *e, const char *id, bpci_node_state state, int timeout_ms)
{
	bpci_node_state st = 0;
	int rc = bpci_coordinator_wait_node(&st, e->c, id, BPCI_NODE_STATE_BIT(state), timeout_ms,
					    e->diag);

	ck_assert_msg(rc == 0, "node %s: wanted %s, still %s after %d ms (rc %d)", id,
		      bpci_node_state_name(state), bpci_node_state_name(st), timeout_ms, rc);
}

char *ct_start_wait(ct_env *e, bpci_node_spec *spec, bpci_node_state state)
{
	char *id = NULL;
	int rc = bpci_coordinator_start_node(&id, e->c, spec, NULL, e->diag);

	ck_assert_msg(rc == 0, "start_node: %d %s", rc, bpci_diag_last_text(e->diag));
	ck_assert_ptr_nonnull(id);
	ct_wait(e, id, state, 10000);
	return id;
}

bpci_node_status *ct_status(ct_env *e, const char *id)
{
	bpci_node_status *s = NULL;

	ck_assert_int_eq(bpci_coordinator_get_node(&s, e->c, id, NULL), 0);
	return s;
}

void ct_run_for(bpci_coordinator *c, int ms)
{
	long end = ct_now_ms() + ms;

	while (ct_now_ms() < end)
		ck_assert_int_ge(bpci_coordinator_step(c, (int)(end - ct_now_ms())), 0);
}

size_t ct_count(const ct_events *ev, const char *id, bpci_node_state to)
{
	size_t i, n = 0;

	for (i = 0; i < ev->count; i++)
		if (strcmp(ev->ids[i], id) == 0 && ev->to[i] == to)
			n++;
	return n;
}

int ct_alive(int pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0 || kill(pid, 0) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

/* Processes whose command line holds @marker. */
int ct_count_marked(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char path[300], buf[4096];
		ssize_t len, i;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0 || !ct_alive(atoi(de->d_name)))
			continue;
		for (i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, marker))
			n++;
	}
	closedir(d);
	return n;
}
