/* Helpers of the audit tests: ledgers made in the test, child processes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit_test.h"

extern char **environ;

bpci_ledger *at_open(const char *dir)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	bpci_diag *d = NULL;
	int rc;

	o.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_ledger_open(&l, dir, &o, d);
	ck_assert_msg(rc == 0, "open %s: %s", dir, bpci_diag_last_text(d));
	bpci_diag_free(d);
	return l;
}

void at_fill(bpci_ledger *l, const char *prefix, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
		char subject[64], details[64];

		snprintf(subject, sizeof(subject), "%s%zu", prefix, i);
		snprintf(details, sizeof(details), "{\"n\":%zu}", i);
		ev.type = "node.started";
		ev.actor = "test";
		ev.subject = subject;
		ev.details_json = details;
		ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, NULL), 0);
	}
}

void at_run(bpci_test_run *r, ...)
{
	const char *argv[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, r);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	bpci_test_run_program(r, "bpci-enterprise", argv);
}

void at_hex(char out[65], const uint8_t h[32])
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

void at_spawn(at_child *c, const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	char *path, *args[32];
	int p[2], rc;
	size_t n = 0;

	ck_assert(asprintf(&path, "%s/bin/bpci-enterprise", bpci_test_build_dir()) > 0);
	args[0] = path;
	while (argv[n] && n < 30) {
		args[n + 1] = (char *)argv[n];
		n++;
	}
	args[n + 1] = NULL;
	ck_assert(pipe2(p, O_CLOEXEC) == 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	rc = posix_spawn(&c->pid, path, &fa, NULL, args, environ);
	ck_assert_msg(rc == 0, "spawn %s: %s", path, strerror(rc));
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	c->out = p[0];
	c->url[0] = '\0';
	free(path);
}

int at_read_line(at_child *c, char *buf, size_t cap, int ms)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd pfd = {c->out, POLLIN, 0};
		char ch;

		if (poll(&pfd, 1, ms) <= 0 || read(c->out, &ch, 1) != 1)
			return 0;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return 1;
}

void at_serve(at_child *c, const char *dir, const char *listen, const char *token)
{
	const char *argv[] = {"ledger", "serve", "--listen", listen, "--ledger", dir,
			      "--token-file", token, NULL};
	char line[256];

	at_spawn(c, argv);
	ck_assert_msg(at_read_line(c, line, sizeof(line), 20000), "ledger serve did not start");
	ck_assert_msg(strncmp(line, "listening on http://127.0.0.1:", 30) == 0, "got %s", line);
	memcpy(c->url, line + 13, strlen(line + 13) + 1);
}

int at_stop(at_child *c, int sig)
{
	int st = 0;

	if (c->pid <= 0)
		return -1;
	kill(c->pid, sig);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	close(c->out);
	c->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
