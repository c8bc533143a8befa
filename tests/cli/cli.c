/*
 * Tests of the command-line programs: they run build/bin/bpi-core and
 * build/bin/bpci-enterprise as real processes and check exit status,
 * stdout and stderr.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci.h"
#include "cli_tests.h"
#include "test.h"

void cli_run(bpci_test_run *r, const char *prog, ...)
{
	const char *argv[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, prog);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	bpci_test_run_program(r, prog, argv);
}

void cli_expect(const bpci_test_run *r, int status)
{
	ck_assert_msg(r->status == status, "exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s",
		      r->status, status, r->out, r->err);
}

char *cli_squash(const char *text)
{
	char *out = malloc(strlen(text) + 1), *q = out;

	ck_assert_ptr_nonnull(out);
	for (; *text; text++) {
		if (isspace((unsigned char)*text)) {
			if (q == out || q[-1] != ' ')
				*q++ = ' ';
		} else {
			*q++ = *text;
		}
	}
	*q = '\0';
	return out;
}

void cli_assert_row(const char *out, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	const char *line = out;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *v = line + kl;

		if (!end)
			end = line + strlen(line);
		if (strncmp(line, key, kl) == 0 && v[0] == ' ' && v[1] == ' ') {
			while (*v == ' ')
				v++;
			if ((size_t)(end - v) == vl && strncmp(v, value, vl) == 0)
				return;
		}
		line = *end ? end + 1 : NULL;
	}
	ck_abort_msg("no row \"%s  %s\" in:\n%s", key, value, out);
}

void cli_assert_aligned(const char *out)
{
	const char *line = out, *second;
	long col = -1;

	while (line && *line && *line != '\n') {
		const char *end = strchr(line, '\n');
		long c;

		second = strstr(line, "  ");
		ck_assert_msg(second && (!end || second < end), "no column gap in:\n%s", out);
		while (*second == ' ')
			second++;
		c = (long)(second - line);
		if (col < 0)
			col = c;
		ck_assert_msg(c == col, "column at %ld, not %ld, in:\n%s", c, col, out);
		line = end ? end + 1 : NULL;
	}
}

/* ---- version and help -------------------------------------------------- */

START_TEST(version_both_programs)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "--version", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "bpi-core 0.1.0 (libbpci 0.1.0)\n");
	ck_assert_str_eq(r.err, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpci-enterprise", "--version", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "bpci-enterprise 0.1.0 (libbpci 0.1.0)\n");
	bpci_test_run_free(&r);

	/* --version after the command works too */
	cli_run(&r, "bpi-core", "node-coordinator", "validate", "--version", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "bpi-core 0.1.0 (libbpci 0.1.0)\n");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(help_at_every_level)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "Usage: bpi-core <group> <command>");
	cli_assert_has(r.out, "node-coordinator");
	cli_assert_has(r.out, "--output table|json");
	cli_assert_has(r.out, "--version");
	ck_assert_str_eq(r.err, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "-h", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "node-coordinator");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "Usage: bpi-core node-coordinator <command>");
	cli_assert_has(r.out, "validate");
	cli_assert_has(r.out, "start-node");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "validate", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "Usage: bpi-core node-coordinator validate --config FILE");
	cli_assert_has(r.out, "--config FILE");
	cli_assert_has(r.out, "--strict");
	cli_assert_has(r.out, "Exit status: 0 success, 1 the operation failed, 2 usage");
	bpci_test_run_free(&r);

	/* help before the command words */
	cli_run(&r, "bpi-core", "--help", "node-coordinator", "validate", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "--config FILE");
	bpci_test_run_free(&r);
}
END_TEST

/* Every flag the node model describes is listed with its allowed values. */
START_TEST(start_node_help_lists_every_descriptor_flag)
{
	const bpci_field_info *f;
	size_t n, i;
	bpci_test_run r;
	char flag[96], *squashed;
	int t;

	cli_run(&r, "bpi-core", "node-coordinator", "start-node", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "--dry-run");
	cli_assert_has(r.out, "--node-id ID");
	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		ck_assert_int_eq(bpci_node_type_fields(&f, &n, (bpci_node_type)t), 0);
		cli_assert_has(r.out, bpci_node_type_name((bpci_node_type)t));
		for (i = 0; i < n; i++) {
			if (!f[i].flag)
				continue;
			snprintf(flag, sizeof(flag), "--%s", f[i].flag);
			cli_assert_has(r.out, flag);
		}
	}
	ck_assert_int_eq(bpci_node_common_fields(&f, &n), 0);
	for (i = 0; i < n; i++) {
		if (!f[i].flag)
			continue;
		snprintf(flag, sizeof(flag), "--%s", f[i].flag);
		cli_assert_has(r.out, flag);
	}
	/* kind, allowed values, bounds, units, required marks */
	squashed = cli_squash(r.out);
	cli_assert_has(squashed, "--encryption-level VALUE encryption level: standard, "
				 "military or quantum [enum: standard military quantum] "
				 "Required.");
	cli_assert_has(squashed, "[enum: distributed high-performance archive] Required.");
	cli_assert_has(squashed, "--replication-factor N number of replicas (1..16) "
				 "[integer; 1..16]");
	cli_assert_has(squashed, "--frequency N update interval in milliseconds (at least "
				 "100) [integer; at least 100; bare number in ms]");
	cli_assert_has(squashed, "--capacity-gb SIZE");
	cli_assert_has(squashed, "at least 1Gi; bare number in GiB] Required.");
	cli_assert_has(squashed, "--chains A,B,...");
	cli_assert_has(squashed, "at least 1 item] Required.");
	cli_assert_has(squashed, "--encryption, --no-encryption encrypt data at rest "
				 "[boolean; --no-encryption sets false]");
	cli_assert_has(squashed, "--type TYPE the node type: enc-cluster oracle "
				 "shadow-registry pipeline-api storage proof audit logbook");
	free(squashed);
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(start_node_help_for_one_type)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "node-coordinator", "start-node", "--type", "storage", "--help",
		NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "Flags of storage nodes");
	cli_assert_has(r.out, "--replication-factor N");
	cli_assert_has(r.out, "--capacity-gb SIZE");
	cli_assert_has(r.out, "--endpoint URL");
	ck_assert_ptr_null(strstr(r.out, "--cluster-id"));
	ck_assert_ptr_null(strstr(r.out, "Flags of oracle nodes"));
	bpci_test_run_free(&r);
}
END_TEST

/* The man page documents every flag the node model has. */
START_TEST(man_page_lists_every_descriptor_flag)
{
	const bpci_field_info *f;
	size_t n, i, len;
	char *page, flag[96], *p, *q;
	FILE *fp = fopen(bpci_test_src("man/man1/bpi-core.1"), "r");
	int t;

	ck_assert_ptr_nonnull(fp);
	page = calloc(1, 1 << 20);
	len = fread(page, 1, (1 << 20) - 1, fp);
	fclose(fp);
	page[len] = '\0';
	/* roff writes "-" as "\-": undo it so that flags read as typed. */
	for (p = q = page; *p; p++)
		if (!(p[0] == '\\' && p[1] == '-'))
			*q++ = *p;
	*q = '\0';
	for (t = 0; t <= BPCI_NODE_TYPE_COUNT; t++) {
		if (t == 0)
			ck_assert_int_eq(bpci_node_common_fields(&f, &n), 0);
		else
			ck_assert_int_eq(bpci_node_type_fields(&f, &n, (bpci_node_type)t), 0);
		for (i = 0; i < n; i++) {
			if (!f[i].flag)
				continue;
			snprintf(flag, sizeof(flag), "--%s ", f[i].flag);
			ck_assert_msg(strstr(page, flag) != NULL, "bpi-core.1 lacks %s", flag);
			if (f[i].kind != BPCI_FIELD_BOOL)
				continue;
			snprintf(flag, sizeof(flag), "--no-%s", f[i].flag);
			ck_assert_msg(strstr(page, flag) != NULL, "bpi-core.1 lacks %s", flag);
		}
	}
	free(page);
}
END_TEST

/* ---- unknown words ------------------------------------------------------ */

START_TEST(unknown_command_suggests)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "node-cordinator", "validate", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown command 'node-cordinator'; did you mean "
				  "'node-coordinator'?");
	cli_assert_has(r.err, "bpi-core --help");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "validat", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "did you mean 'validate'?");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "stats", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown command 'stats'; did you mean 'status'?");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "stop-nod", "--node-id", "node-001", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "did you mean 'stop-node'?");
	bpci_test_run_free(&r);

	/* no group at all: usage on stderr */
	cli_run(&r, "bpi-core", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "missing group");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "missing command");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "--frobnicate", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown option --frobnicate");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(unknown_flag_suggests)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "node-coordinator", "start-node", "--type", "storage",
		"--storage-type", "distributed", "--capacity-gb", "1000",
		"--replication-facter", "3", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown option --replication-facter; did you mean "
				  "--replication-factor?");
	cli_assert_has(r.err, "bpi-core node-coordinator start-node --help");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "validate", "--conifg", "x.yaml", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "did you mean --config?");
	bpci_test_run_free(&r);

	/* a word that is close to nothing gets no suggestion */
	cli_run(&r, "bpi-core", "node-coordinator", "validate", "--zzzzzzzzzz", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown option --zzzzzzzzzz; see");
	ck_assert_ptr_null(strstr(r.err, "did you mean"));
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "validate", "stray", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unexpected argument 'stray'");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(bad_output_format)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "--output", "yaml", "node-coordinator", "validate", "--config",
		"x.yaml", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--output must be table or json, got 'yaml'");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", "node-coordinator", "validate", "--output", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--output needs a value");
	bpci_test_run_free(&r);
}
END_TEST

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("program");

	tcase_add_test(tc, version_both_programs);
	tcase_add_test(tc, help_at_every_level);
	tcase_add_test(tc, start_node_help_lists_every_descriptor_flag);
	tcase_add_test(tc, start_node_help_for_one_type);
	tcase_add_test(tc, man_page_lists_every_descriptor_flag);
	tcase_add_test(tc, unknown_command_suggests);
	tcase_add_test(tc, unknown_flag_suggests);
	tcase_add_test(tc, bad_output_format);
	suite_add_tcase(s, tc);
	cli_add_core_tests(s);
	cli_add_config_tests(s);
	cli_add_enterprise_tests(s);
	cli_add_coordinator_tests(s);
	return s;
}
