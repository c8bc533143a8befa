/* The coordinator's journal on DIR/ledger: entries per change, replay of
 * snapshot plus tail, refusal of a damaged journal, migration of an old
 * coordinator.json, and the ledger tools accepting it. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coordinator_test.h"
#include "runtime/coordinator_internal.h"
#include "runtime/coordinator_journal.h"

static bpci_ledger *open_ro(const char *dir)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.flags = BPCI_LEDGER_READONLY | BPCI_LEDGER_NO_CREATE;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	return l;
}

uint64_t ct_journal_size(const char *dir)
{
	bpci_ledger *l = open_ro(dir);
	uint64_t size = bpci_ledger_size(l);

	bpci_ledger_free(l);
	return size;
}

/* Entry @seq's fields; clear with bpci_ledger_entry_info_clear. */
static void entry_at(bpci_ledger_entry_info *e, bpci_ledger *l, uint64_t seq)
{
	char *text;
	size_t len;

	ck_assert_int_eq(bpci_ledger_get(&text, &len, l, seq, NULL), 0);
	ck_assert_int_eq(bpci_ledger_entry_parse(e, text, len), 0);
	bpci_free(text);
}

json_t *ct_journal_last(const char *dir, const char *id, const char *type, char type_out[64])
{
	bpci_ledger *l = open_ro(dir);
	json_t *out = NULL;
	uint64_t seq;

	for (seq = bpci_ledger_size(l); seq-- > 0 && !out;) {
		bpci_ledger_entry_info e;

		entry_at(&e, l, seq);
		if (strcmp(e.actor, "coordinator") == 0 && strcmp(e.subject, id) == 0 &&
		    (!type || strcmp(e.type, type) == 0)) {
			out = json_loads(e.details, 0, NULL);
			ck_assert_ptr_nonnull(out);
			if (type_out)
				snprintf(type_out, 64, "%s", e.type);
		}
		bpci_ledger_entry_info_clear(&e);
	}
	bpci_ledger_free(l);
	return out;
}

char *ct_snapshot(const char *dir, uint64_t *tree_size)
{
	bpci_ledger *l = open_ro(dir);
	void *data = NULL;
	size_t len = 0;
	char *copy;

	ck_assert_int_eq(bpci_ledger_snapshot_read(&data, &len, tree_size, l, "coordinator", NULL),
			 0);
	bpci_ledger_free(l);
	copy = strndup(data, len);
	bpci_free(data);
	return copy;
}

void ct_edit_state(const char *dir, const char *from, const char *to)
{
	char path[4096], *text, *at, *out;
	uint64_t covered;
	FILE *f;

	text = ct_snapshot(dir, &covered);
	/* a closed coordinator's snapshot covers its whole journal */
	ck_assert_uint_eq(covered, ct_journal_size(dir));
	at = strstr(text, from);
	ck_assert_msg(at != NULL, "\"%s\" not in %s", from, text);
	out = malloc(strlen(text) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	snprintf(path, sizeof(path), "%s/ledger", dir);
	bpci_test_rmtree(path);
	snprintf(path, sizeof(path), "%s/coordinator.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(out, f);
	fclose(f);
	free(out);
	free(text);
}

static int pid_of(ct_env *e, const char *id)
{
	bpci_node_status *s = ct_status(e, id);
	int pid = s->pid;

	bpci_node_status_free(s);
	return pid;
}

/* The types of the entries about @id, in order, joined by spaces. */
static void types_of(const char *dir, const char *id, char *out, size_t size)
{
	bpci_ledger *l = open_ro(dir);
	uint64_t seq;

	*out = '\0';
	for (seq = 0; seq < bpci_ledger_size(l); seq++) {
		bpci_ledger_entry_info e;

		entry_at(&e, l, seq);
		if (strcmp(e.subject, id) == 0)
			snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? " " : "",
				 e.type);
		bpci_ledger_entry_info_clear(&e);
	}
	bpci_ledger_free(l);
}

START_TEST(test_journal_records_each_change)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status *s;
	char *id = NULL, type[64], types[1024];
	json_t *o;
	struct stat sb;
	int p1, p2 = 0, i;

	ct_set(spec, "restart.backoff_initial", "10ms");
	ct_setup(&e);
	/* durable when the call returns: no loop iteration in between */
	ck_assert_int_eq(bpci_coordinator_start_node(&id, e.c, spec, NULL, e.diag), 0);
	p1 = pid_of(&e, id);
	o = ct_journal_last(e.dir, id, NULL, type);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(type, "node.started");
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), id);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), p1);
	ck_assert_int_gt(json_integer_value(json_object_get(o, "start_time")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "starting");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "spec"), "type")),
			 "logbook");
	json_decref(o);
	/* readiness is journaled in the iteration that saw it: before the
	 * wait reports it (a crash must not turn the node back to starting) */
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	o = ct_journal_last(e.dir, id, NULL, type);
	ck_assert_str_eq(type, "node.state");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "running");
	ck_assert_ptr_null(json_object_get(o, "spec")); /* only node.started has it */
	json_decref(o);

	ck_assert_int_eq(kill(p1, SIGKILL), 0);
	for (i = 0; i < 250 && (p2 == 0 || p2 == p1); i++) {
		ct_run_for(e.c, 20);
		s = ct_status(&e, id);
		p2 = s->state == BPCI_NODE_STATE_RUNNING ? s->pid : 0;
		bpci_node_status_free(s);
	}
	ct_run_for(e.c, 30);
	ck_assert_int_ne(p2, p1);
	o = ct_journal_last(e.dir, id, "node.restarted", NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), p2);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "restarts")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "last_exit_signal")), SIGKILL);
	json_decref(o);

	/* the node's files lie flat in the runtime directory (DIR/run) and go
	 * with it */
	snprintf(types, sizeof(types), "%s/run/%s.output", e.dir, id);
	ck_assert_int_eq(stat(types, &sb), 0);
	ck_assert(S_ISFIFO(sb.st_mode));
	snprintf(types, sizeof(types), "%s/nodes/%s", e.dir, id);
	ck_assert_int_ne(stat(types, &sb), 0); /* no directory per node */
	ck_assert_int_eq(bpci_coordinator_stop_node(e.c, id, e.diag), 0);
	snprintf(types, sizeof(types), "%s/run/%s.output", e.dir, id);
	ck_assert_int_ne(stat(types, &sb), 0);
	snprintf(types, sizeof(types), "%s/run/%s.json", e.dir, id);
	ck_assert_int_ne(stat(types, &sb), 0);
	o = ct_journal_last(e.dir, id, NULL, type);
	ck_assert_str_eq(type, "node.removed");
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), id);
	ck_assert_int_eq(json_object_size(o), 2);
	json_decref(o);
	o = ct_journal_last(e.dir, id, "node.stopping", NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_is_true(json_object_get(o, "remove_on_exit")));
	json_decref(o);
	types_of(e.dir, id, types, sizeof(types));
	ck_assert_msg(strncmp(types, "node.started node.state ", 24) == 0, "%s", types);
	ck_assert_msg(strstr(types, " node.restarted ") != NULL, "%s", types);
	ck_assert_msg(strstr(types, " node.stopping ") != NULL, "%s", types);
	ck_assert_msg(strcmp(types + strlen(types) - 13, " node.removed") == 0, "%s", types);
	/* heartbeats (every 100 ms) make no entries of their own */
	ck_assert_uint_lt(ct_journal_size(e.dir), 16);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* A config start journals all its nodes in one batch: consecutive entries. */
START_TEST(test_journal_config_start_one_batch)
{
	ct_env e;
	char exe[4096], *text = calloc(1, 8192);
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bpci_config *cfg = NULL;
	bpci_ledger *l;
	uint64_t seq, before;
	int i, started = 0;

	ck_assert_int_gt(len, 0);
	exe[len] = '\0';
	strcpy(text, "nodes:\n");
	for (i = 0; i < 5; i++)
		sprintf(text + strlen(text),
			"  - type: logbook\n    name: n%d\n    logbook_type: transaction\n"
			"    command: [\"%s\", --as-node, ready, \"30\"]\n    health.type: notify\n",
			i, exe);
	ct_setup(&e);
	ck_assert_int_eq(bpci_config_load_string(&cfg, text, strlen(text), "j.yaml", 0, e.diag),
			 0);
	before = ct_journal_size(e.dir);
	ck_assert_int_eq(bpci_coordinator_reload(e.c, cfg, e.diag), 0);
	l = open_ro(e.dir);
	ck_assert_uint_eq(bpci_ledger_size(l), before + 5);
	for (seq = before; seq < bpci_ledger_size(l); seq++) {
		bpci_ledger_entry_info en;

		entry_at(&en, l, seq);
		started += strcmp(en.type, "node.started") == 0;
		bpci_ledger_entry_info_clear(&en);
	}
	ck_assert_int_eq(started, 5);
	bpci_ledger_free(l);
	bpci_config_free(cfg);
	free(text);
	ct_teardown(&e);
}
END_TEST

/* A child coordinator starts nodes, changes them and dies without closing:
 * the journal's tail after the last snapshot holds its changes. */
static void tail_child(ct_env *e, int wfd)
{
	bpci_coordinator *c;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *c3 = NULL, line[128];
	int len;

	if (ct_open(e, &c) < 0 || bpci_coordinator_start_node(&c3, c, spec, NULL, NULL) < 0 ||
	    bpci_coordinator_stop_node(c, "logbook-1", NULL) < 0)
		_exit(1);
	len = snprintf(line, sizeof(line), "%s\n", c3);
	if (write(wfd, line, (size_t)len) != len)
		_exit(1);
	_exit(0); /* no free: no snapshot */
}

START_TEST(test_journal_replays_snapshot_and_tail)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status_list *list;
	char *a, *b, buf[128] = "";
	int pb, fds[2], st;
	uint64_t covered, size;
	pid_t child;
	ssize_t n;

	ct_setup(&e);
	a = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	b = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pb = pid_of(&e, b);
	bpci_coordinator_free(e.c); /* a clean close: snapshot of a and b */
	e.c = NULL;
	free(ct_snapshot(e.dir, &covered));
	ck_assert_uint_eq(covered, ct_journal_size(e.dir));

	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(fds[0]);
		tail_child(&e, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_int_eq(st, 0);
	ck_assert_int_gt(n, 0);
	buf[strcspn(buf, "\n")] = '\0';
	free(ct_snapshot(e.dir, &size));
	ck_assert_uint_eq(size, covered); /* the child wrote no snapshot */
	ck_assert_uint_gt(ct_journal_size(e.dir), covered);

	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	ck_assert_int_eq(bpci_coordinator_list_nodes(&list, e.c, 0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(list), 2);
	ck_assert_str_eq(bpci_node_status_list_get(list, 0)->id, b);
	ck_assert_int_eq(bpci_node_status_list_get(list, 0)->pid, pb);
	ck_assert_int_eq(bpci_node_status_list_get(list, 0)->state, BPCI_NODE_STATE_RUNNING);
	ck_assert_str_eq(bpci_node_status_list_get(list, 1)->id, buf);
	ck_assert_int_gt(bpci_node_status_list_get(list, 1)->pid, 0);
	ck_assert(ct_alive(bpci_node_status_list_get(list, 1)->pid));
	bpci_node_status_list_free(list);
	ck_assert_str_eq(a, "logbook-1");
	{
		bpci_node_status *gone = NULL;

		ck_assert_int_eq(bpci_coordinator_get_node(&gone, e.c, a, NULL), BPCI_ENOTFOUND);
	}
	bpci_free(a);
	bpci_free(b);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, 1 << 20, f);
	ck_assert_uint_lt(*len, 1 << 20);
	fclose(f);
	return buf;
}

static void write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A journal with two nodes' entries, closed: DIR/ledger. */
static void make_journal(ct_env *e)
{
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *a, *b;

	ct_setup(e);
	a = ct_start_wait(e, spec, BPCI_NODE_STATE_RUNNING);
	b = ct_start_wait(e, spec, BPCI_NODE_STATE_RUNNING);
	ck_assert_int_eq(bpci_coordinator_shutdown(e->c, e->diag), 0);
	bpci_coordinator_free(e->c);
	e->c = NULL;
	bpci_free(a);
	bpci_free(b);
	bpci_node_spec_free(spec);
}

/* Open must fail with a message naming the journal and change no byte of
 * @file. */
static void refused(ct_env *e, const char *file)
{
	bpci_coordinator *c = NULL;
	char *before, *after;
	size_t len, len2;

	before = read_all(file, &len);
	ck_assert_int_eq(ct_open(e, &c), BPCI_EVERIFY);
	ck_assert_ptr_null(c);
	ck_assert_contains(bpci_diag_last_text(e->diag), "journal");
	ck_assert_contains(bpci_diag_last_text(e->diag), "left untouched");
	ck_assert_contains(bpci_diag_last_text(e->diag), "/ledger");
	after = read_all(file, &len2);
	ck_assert_uint_eq(len2, len);
	ck_assert(memcmp(before, after, len) == 0);
	free(before);
	free(after);
}

START_TEST(test_journal_corrupt_refused)
{
	ct_env e;
	char seg[4096], snap[4096], *data;
	size_t len;

	make_journal(&e);
	snprintf(seg, sizeof(seg), "%s/ledger/segment-000000.log", e.dir);
	snprintf(snap, sizeof(snap), "%s/ledger/snapshots/coordinator.snap", e.dir);
	/* a damaged snapshot */
	data = read_all(snap, &len);
	ck_assert_uint_gt(len, 64);
	data[len - 10] ^= 0x20;
	write_all(snap, data, len);
	refused(&e, snap);
	free(data);
	/* no snapshot: every entry is replayed, a damaged one refused */
	ck_assert_int_eq(unlink(snap), 0);
	data = read_all(seg, &len);
	ck_assert_uint_gt(len, 200);
	data[len / 3] ^= 0x20;
	write_all(seg, data, len);
	refused(&e, seg);
	data[len / 3] ^= 0x20;
	/* torn: the last record cut short, but it was acknowledged */
	write_all(seg, data, len - 5);
	refused(&e, seg);
	free(data);
	bpci_diag_free(e.diag);
	bpci_test_rmtree(e.dir);
	free(e.dir);
}
END_TEST

/* Appends one event to DIR/ledger (the coordinator closed). */
static void append_raw(const char *dir, const char *actor, const char *type,
		       const char *subject, const char *details)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	bpci_ledger *l;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.actor = actor;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	ev.type = type;
	ev.actor = actor;
	ev.subject = subject;
	ev.details_json = details;
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, NULL), 0);
	bpci_ledger_free(l);
}

/* Entries that parse as a ledger but not as the coordinator's journal. */
START_TEST(test_journal_bad_entries_refused)
{
	ct_env e;
	bpci_coordinator *c = NULL;
	char expect[64];
	uint64_t size;

	make_journal(&e);
	/* someone else's entries are not the coordinator's business */
	append_raw(e.dir, "operator", "audit.custom", "port_allocation", "{\"port\":1}");
	ck_assert_msg(ct_open(&e, &c) == 0, "%s", bpci_diag_last_text(e.diag));
	bpci_coordinator_free(c);
	c = NULL;

	size = ct_journal_size(e.dir);
	append_raw(e.dir, "coordinator", "node.state", "ghost-1",
		   "{\"id\":\"ghost-1\",\"seq\":7,\"state\":\"running\"}");
	ck_assert_int_eq(ct_open(&e, &c), BPCI_EPARSE);
	ck_assert_ptr_null(c);
	snprintf(expect, sizeof(expect), "entry[%llu].subject", (unsigned long long)size);
	ck_assert_contains(bpci_diag_last_text(e.diag), expect);
	ck_assert_contains(bpci_diag_last_text(e.diag), "corrupt journal");
	ck_assert_contains(bpci_diag_last_text(e.diag), "left untouched");
	ck_assert_uint_eq(ct_journal_size(e.dir), size + 1); /* nothing appended */

	bpci_test_rmtree(e.dir);
	free(e.dir);
	bpci_diag_free(e.diag);
	make_journal(&e);
	size = ct_journal_size(e.dir);
	append_raw(e.dir, "coordinator", "node.teleported", "logbook-1", "{}");
	ck_assert_int_eq(ct_open(&e, &c), BPCI_EPARSE);
	snprintf(expect, sizeof(expect), "entry[%llu].type", (unsigned long long)size);
	ck_assert_contains(bpci_diag_last_text(e.diag), expect);
	bpci_diag_free(e.diag);
	bpci_test_rmtree(e.dir);
	free(e.dir);
}
END_TEST

/* An old state directory: coordinator.json, no ledger. */
START_TEST(test_journal_migrates_state_file)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *id, path[4096], *snap;
	struct stat sb;
	uint64_t covered;
	int pid;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = pid_of(&e, id);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ct_edit_state(e.dir, "\"version\":1", "\"version\":1"); /* the snapshot as the file */
	snprintf(path, sizeof(path), "%s/ledger", e.dir);
	ck_assert_int_ne(stat(path, &sb), 0);

	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	ck_assert_int_eq(pid_of(&e, id), pid);
	/* journaled at once, the file moved out of the way of the next start */
	snap = ct_snapshot(e.dir, &covered);
	ck_assert_uint_eq(covered, ct_journal_size(e.dir));
	ck_assert_uint_ge(covered, 1);
	ck_assert_ptr_nonnull(strstr(snap, id));
	free(snap);
	snprintf(path, sizeof(path), "%s/coordinator.json", e.dir);
	ck_assert_int_ne(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/coordinator.json.migrated", e.dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	bpci_coordinator_free(e.c);
	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	ck_assert_int_eq(pid_of(&e, id), pid);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* The journal is an ordinary ledger: the audit tools verify it. */
START_TEST(test_journal_audit_verify)
{
	ct_env e;
	bpci_test_run r;
	char path[4096];
	const char *argv[] = {"audit", "verify", "--ledger", path, NULL};

	make_journal(&e);
	snprintf(path, sizeof(path), "%s/ledger", e.dir);
	ck_assert_int_eq(bpci_ledger_verify(path, NULL, e.diag, NULL, NULL), 0);
	bpci_test_run_program(&r, "bpci-enterprise", argv);
	ck_assert_msg(r.status == 0, "status %d\n%s\n%s", r.status, r.out, r.err);
	bpci_test_run_free(&r);
	bpci_diag_free(e.diag);
	bpci_test_rmtree(e.dir);
	free(e.dir);
}
END_TEST

/* A cluster manager holds DIR/ledger open: its coordinator journals to a
 * ledger of another name; one on DIR/ledger is refused, saying why. */
START_TEST(test_journal_name_beside_other_ledger)
{
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_ledger *held;
	bpci_diag *d;
	char *dir = bpci_test_mkdtemp(), path[4096];
	struct stat sb;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.actor = "cluster-1";
	ck_assert_int_eq(bpci_ledger_open(&held, path, &lo, NULL), 0);
	o.state_dir = dir;
	ck_assert_int_eq(bpci_coordinator_new(&c, &o, d), BPCI_EBUSY);
	ck_assert_ptr_null(c);
	ck_assert_contains(bpci_diag_last_text(d), "journal");
	ck_assert_contains(bpci_diag_last_text(d), path);
	ck_assert_msg(bpci__coordinator_new_journal(&c, &o, "coordinator-ledger", d) == 0, "%s",
		      bpci_diag_last_text(d));
	snprintf(path, sizeof(path), "%s/coordinator-ledger/segment-000000.log", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(bpci_ledger_size(held), 0); /* nothing of ours in theirs */
	bpci_coordinator_free(c);
	bpci_ledger_free(held);
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Every snapshot_every entries (4096 unless a test lowers it) a snapshot
 * records the tree size it covers, without waiting for a close. */
START_TEST(test_journal_periodic_snapshot)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *ids[3], *snap;
	uint64_t covered, size;
	int i;

	ct_setup(&e);
	e.c->snapshot_every = 4;
	for (i = 0; i < 3; i++)
		ids[i] = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	/* 3 x (node.started, node.state): a snapshot after the 4th entry */
	size = ct_journal_size(e.dir);
	ck_assert_uint_eq(size, 6);
	snap = ct_snapshot(e.dir, &covered);
	ck_assert_uint_ge(covered, 4);
	ck_assert_uint_lt(covered, size);
	ck_assert_ptr_nonnull(strstr(snap, ids[0]));
	free(snap);
	ck_assert_int_eq(e.c->since_snapshot, size - covered);
	bpci_coordinator_free(e.c); /* snapshot at close: covers all */
	e.c = NULL;
	snap = ct_snapshot(e.dir, &covered);
	ck_assert_uint_eq(covered, ct_journal_size(e.dir));
	ck_assert_ptr_nonnull(strstr(snap, ids[2]));
	free(snap);
	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	ck_assert_int_eq(e.c->since_snapshot, 0); /* nothing to replay after it */
	for (i = 0; i < 3; i++) {
		bpci_node_status *st = ct_status(&e, ids[i]);

		ck_assert_int_eq(st->state, BPCI_NODE_STATE_RUNNING);
		bpci_node_status_free(st);
		bpci_free(ids[i]);
	}
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

void ct_add_journal(Suite *s)
{
	TCase *tc = tcase_create("journal");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_journal_records_each_change);
	tcase_add_test(tc, test_journal_config_start_one_batch);
	tcase_add_test(tc, test_journal_replays_snapshot_and_tail);
	tcase_add_test(tc, test_journal_corrupt_refused);
	tcase_add_test(tc, test_journal_bad_entries_refused);
	tcase_add_test(tc, test_journal_migrates_state_file);
	tcase_add_test(tc, test_journal_audit_verify);
	tcase_add_test(tc, test_journal_name_beside_other_ledger);
	tcase_add_test(tc, test_journal_periodic_snapshot);
	suite_add_tcase(s, tc);
}
