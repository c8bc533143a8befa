/* node.health: the journal records a node's health transitions (healthy
 * -> unhealthy -> healthy) with the probe's reason, never one entry per
 * probe, and a journal holding them replays. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator_test.h"

typedef struct health_log {
	const char *id;
	json_t *entries[16];
	int n;
} health_log;

static int collect(uint64_t seq, const char *entry, size_t len, void *payload)
{
	health_log *h = payload;
	bpci_ledger_entry_info e;

	(void)seq;
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(bpci_ledger_entry_parse(&e, entry, len), 0);
	if (strcmp(e.type, "node.health") == 0 && strcmp(e.subject, h->id) == 0) {
		ck_assert_str_eq(e.actor, "coordinator");
		if (h->n < 16)
			h->entries[h->n] = json_loads(e.details, 0, NULL);
		h->n++;
	}
	bpci_ledger_entry_info_clear(&e);
	return 0;
}

static void read_health(health_log *h, const char *dir, const char *id)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	char path[4096];

	memset(h, 0, sizeof(*h));
	h->id = id;
	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	ck_assert_int_eq(bpci_ledger_foreach(l, 0, collect, h), 0);
	bpci_ledger_free(l);
}

static void health_log_clear(health_log *h)
{
	int i;

	for (i = 0; i < h->n && i < 16; i++)
		json_decref(h->entries[i]);
}

static const char *field(const health_log *h, int i, const char *name)
{
	ck_assert_ptr_nonnull(h->entries[i]);
	return json_string_value(json_object_get(h->entries[i], name));
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
}

/* A temporary node probed by `test ! -e DIR/sick`: unhealthy while the
 * file exists, healthy again once it is gone (temporary: never killed). */
START_TEST(health_transitions_journaled)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("never-ready", "exec");
	char sick[4200], script[4300], *id;
	const char *cmd[] = {"/bin/sh", "-c", script};
	health_log h;
	bpci_coordinator *again = NULL;

	ct_setup(&e);
	snprintf(sick, sizeof(sick), "%s/sick", e.dir);
	snprintf(script, sizeof(script), "test ! -e '%s'", sick);
	ck_assert_int_eq(bpci_node_spec_set_list(spec, "health.command", cmd, 3, NULL), 0);
	ct_set(spec, "health.retries", "2");
	ct_set(spec, "restart.policy", "temporary");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ct_run_for(e.c, 300); /* probes pass: no entry */
	read_health(&h, e.dir, id);
	ck_assert_int_eq(h.n, 0);

	touch(sick);
	ct_wait(&e, id, BPCI_NODE_STATE_UNHEALTHY, 15000);
	ct_run_for(e.c, 500); /* about 5 more failed probes: still one entry */
	read_health(&h, e.dir, id);
	ck_assert_int_eq(h.n, 1);
	ck_assert_str_eq(field(&h, 0, "health"), "unhealthy");
	ck_assert_str_eq(field(&h, 0, "check"), "exec");
	ck_assert_msg(strstr(field(&h, 0, "reason"), "failed its probe 2 times in a row") != NULL,
		      "reason: %s", field(&h, 0, "reason"));
	ck_assert_int_gt(json_integer_value(json_object_get(h.entries[0], "pid")), 0);
	health_log_clear(&h);

	ck_assert_int_eq(unlink(sick), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 15000);
	ct_run_for(e.c, 500);
	read_health(&h, e.dir, id);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(field(&h, 1, "health"), "healthy");
	ck_assert_str_eq(field(&h, 1, "reason"), "healthy again: its probe passed");
	health_log_clear(&h);

	/* the journal with node.health entries replays */
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ck_assert_msg(ct_open(&e, &again) == 0, "reopen: %s", bpci_diag_last_text(e.diag));
	e.c = again;
	{
		bpci_node_status *s = ct_status(&e, id);

		ck_assert_int_eq(s->state, BPCI_NODE_STATE_RUNNING);
		bpci_node_status_free(s);
	}
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* Poll the journal until it holds @want node.health entries of @id. */
static void wait_health(health_log *h, ct_env *e, const char *id, int want)
{
	long t0 = ct_now_ms();

	for (;;) {
		read_health(h, e->dir, id);
		if (h->n >= want || ct_now_ms() - t0 > 20000)
			break;
		health_log_clear(h);
		ct_run_for(e->c, 50);
	}
	ck_assert_msg(h->n >= want, "%d node.health entries after 20 s, wanted %d", h->n, want);
}

/* A permanent node is restarted when unhealthy: healthy again is the
 * restarted process becoming ready. */
START_TEST(health_after_restart_journaled)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("never-ready", "exec");
	char sick[4200], script[4300], *id;
	const char *cmd[] = {"/bin/sh", "-c", script};
	health_log h;
	long t0;
	int restarted = 0;

	ct_setup(&e);
	snprintf(sick, sizeof(sick), "%s/sick", e.dir);
	snprintf(script, sizeof(script), "test ! -e '%s'", sick);
	ck_assert_int_eq(bpci_node_spec_set_list(spec, "health.command", cmd, 3, NULL), 0);
	ct_set(spec, "health.retries", "2");
	ct_set(spec, "restart.policy", "permanent");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	touch(sick);
	wait_health(&h, &e, id, 1);
	ck_assert_str_eq(field(&h, 0, "health"), "unhealthy");
	health_log_clear(&h);
	ck_assert_int_eq(unlink(sick), 0);
	for (t0 = ct_now_ms(); !restarted && ct_now_ms() - t0 < 20000;) {
		bpci_node_status *s = ct_status(&e, id);

		restarted = s->restarts >= 1 && s->state == BPCI_NODE_STATE_RUNNING;
		bpci_node_status_free(s);
		if (!restarted)
			ct_run_for(e.c, 50);
	}
	ck_assert_msg(restarted, "the node was not restarted and running again");
	wait_health(&h, &e, id, 2);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(field(&h, 1, "health"), "healthy");
	ck_assert_str_eq(field(&h, 1, "reason"), "ready after a restart: its probe passed");
	ck_assert_int_ne(json_integer_value(json_object_get(h.entries[1], "pid")),
			 json_integer_value(json_object_get(h.entries[0], "pid")));
	health_log_clear(&h);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* A journal damaged far from its end is refused, and the message names
 * both ways out: audit verify and audit repair. */
START_TEST(damaged_journal_names_repair)
{
	ct_env e;
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	bpci_coordinator *c = NULL;
	char path[4200], want[4400], byte;
	int i, fd;

	ct_setup(&e);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	snprintf(path, sizeof(path), "%s/ledger", e.dir);
	lo.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	for (i = 0; i < 40; i++) {
		bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;

		ev.type = "audit.custom";
		ev.actor = "test";
		ev.subject = "filler";
		ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, NULL), 0);
	}
	bpci_ledger_free(l);
	/* a flipped byte in an early record: bit rot, not a power loss */
	snprintf(path, sizeof(path), "%s/ledger/segment-000000.log", e.dir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert(pread(fd, &byte, 1, 200) == 1);
	byte = (char)~byte;
	ck_assert(pwrite(fd, &byte, 1, 200) == 1);
	close(fd);

	ck_assert_int_eq(ct_open(&e, &c), BPCI_EVERIFY);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "`bpci-enterprise audit verify --ledger %s/ledger`", e.dir);
	ck_assert_contains(bpci_diag_last_text(e.diag), want);
	snprintf(want, sizeof(want), "`bpci-enterprise audit repair --ledger %s/ledger`", e.dir);
	ck_assert_contains(bpci_diag_last_text(e.diag), want);
	ct_teardown(&e);
}
END_TEST

void ct_add_health_journal(Suite *s)
{
	TCase *tc = tcase_create("health_journal");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, health_transitions_journaled);
	tcase_add_test(tc, health_after_restart_journaled);
	tcase_add_test(tc, damaged_journal_names_repair);
	suite_add_tcase(s, tc);
}
