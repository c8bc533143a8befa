/* The sd_notify server and client, with real processes. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpci.h"
#include "runtime/notify.h"
#include "runtime_test.h"

#define MAX_SEEN 8

typedef struct seen {
	int n;
	int done;
	int want;
	pid_t pid[MAX_SEEN];
	unsigned int present[MAX_SEEN];
	char status[MAX_SEEN][64];
} seen;

static void on_msg(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	seen *s = payload;

	if (s->n < MAX_SEEN) {
		s->pid[s->n] = pid;
		s->present[s->n] = msg->present;
		snprintf(s->status[s->n], sizeof(s->status[0]), "%s",
			 msg->status ? msg->status : "");
	}
	s->n++;
	s->done = s->n >= s->want;
}

static char *sock_path(const char *dir)
{
	char *p;

	ck_assert(asprintf(&p, "%s/notify.sock", dir) > 0);
	return p;
}

START_TEST(child_messages_carry_its_pid)
{
	char *dir = bpci_test_mkdtemp(), *path = sock_path(dir);
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	seen s = {0};
	pid_t pid;
	int st;

	s.want = 3;
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, path, on_msg, &s, NULL), 0);
	ck_assert_str_eq(bpci__notify_server_address(srv), path);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = bpci__notify_send(path, "READY=1") == 0 &&
			 bpci__notify_send(path, "STATUS=warming up\n") == 0 &&
			 bpci__notify_send(path, "WATCHDOG=1") == 0;

		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(rt_loop_until(base, &s.done, 3000), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.pid[0], pid);
	ck_assert_int_eq(s.pid[1], pid);
	ck_assert_int_eq(s.pid[2], pid);
	ck_assert_uint_eq(s.present[0], BPCI__NOTIFY_READY);
	ck_assert_uint_eq(s.present[1], BPCI__NOTIFY_STATUS);
	ck_assert_str_eq(s.status[1], "warming up");
	ck_assert_uint_eq(s.present[2], BPCI__NOTIFY_WATCHDOG);
	ck_assert_uint_eq(bpci__notify_server_dropped(srv), 0);
	bpci__notify_server_free(srv);
	ck_assert_int_ne(access(path, F_OK), 0); /* the socket file is gone */
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* Send raw bytes (NULs and oversize included) to @path. */
static void send_raw(const char *path, const void *data, size_t len)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof(sa)),
			 (ssize_t)len);
	close(fd);
}

/* READY=1 with a descriptor attached, as sd_pid_notify_with_fds would. */
static void send_with_fd(const char *path, int passfd)
{
	struct sockaddr_un sa;
	char text[] = "READY=1";
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {text, sizeof(text) - 1};
	struct msghdr mh;
	struct cmsghdr *c;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = &sa;
	mh.msg_namelen = sizeof(sa);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.space;
	mh.msg_controllen = sizeof(ctl.space);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	ck_assert_int_eq(sendmsg(fd, &mh, 0), (ssize_t)iov.iov_len);
	close(fd);
}

START_TEST(malformed_and_oversized_are_dropped)
{
	char *dir = bpci_test_mkdtemp(), *path = sock_path(dir);
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	static char big[BPCI__NOTIFY_MAX + 100];
	seen s = {0};
	int fds_before, passfd;

	s.want = 2;
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, path, on_msg, &s, NULL), 0);
	memset(big, 'x', sizeof(big));
	memcpy(big, "READY=1\nSTATUS=", 15);
	send_raw(path, big, sizeof(big));               /* oversized */
	send_raw(path, "READY=1\0STATUS=x", 16);         /* NUL byte */
	send_raw(path, "garbage", 7);                   /* no '=' */
	send_raw(path, "=1", 2);                        /* empty key */
	send_raw(path, "READY=2", 7);                   /* bad value */
	send_raw(path, "READY=1\nMAINPID=abc", 19);     /* one bad line spoils all */
	send_raw(path, "X_UNKNOWN=1", 11);              /* ignored, not dropped */
	ck_assert_int_eq(bpci__notify_send(path, "READY=1\nSTATUS=ok"), 0);
	fds_before = rt_count_fds();
	passfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	send_with_fd(path, passfd);
	close(passfd);
	ck_assert_int_eq(rt_loop_until(base, &s.done, 3000), 1);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(s.pid[0], getpid());
	ck_assert_uint_eq(s.present[0], BPCI__NOTIFY_READY | BPCI__NOTIFY_STATUS);
	ck_assert_str_eq(s.status[0], "ok");
	ck_assert_uint_eq(s.present[1], BPCI__NOTIFY_READY);
	ck_assert_uint_eq(bpci__notify_server_dropped(srv), 6);
	ck_assert_int_eq(rt_count_fds(), fds_before); /* the passed fd was closed */
	bpci__notify_server_free(srv);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(abstract_socket_works)
{
	struct event_base *base = event_base_new();
	bpci__notify_server *srv, *dup;
	char name[64];
	seen s = {0};
	pid_t pid;
	int st;

	snprintf(name, sizeof(name), "@bpci-test-notify-%ld", (long)getpid());
	s.want = 1;
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, name, on_msg, &s, NULL), 0);
	ck_assert_int_eq(bpci__notify_server_new(&dup, base, name, on_msg, &s, NULL), BPCI_EBUSY);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", name, 1);
		_exit(bpci__notify_send(NULL, "STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000") == 0 ? 0 : 1);
	}
	ck_assert_int_eq(rt_loop_until(base, &s.done, 3000), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(s.pid[0], pid);
	ck_assert_uint_eq(s.present[0], BPCI__NOTIFY_STOPPING | BPCI__NOTIFY_EXTEND_TIMEOUT);
	bpci__notify_server_free(srv);
	event_base_free(base);
}
END_TEST

/* Held: 30 senders (three times the default queue of 10) all complete
 * while nobody runs the loop, since drains keep the queue empty; nothing
 * is delivered until the release, then all of them, from the loop. */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(hold_drains_and_delivers_on_release)
{
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	char name[64], text[32];
	seen s = {0};
	pid_t pid[30];
	int i, st, done = 0;
	long end;

	snprintf(name, sizeof(name), "@bpci-test-hold-%ld", (long)getpid());
	s.want = 1000;
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, name, on_msg, &s, NULL), 0);
	bpci__notify_server_hold(srv, 1);
	for (i = 0; i < 30; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			snprintf(text, sizeof(text), "STATUS=n%d", i);
			_exit(bpci__notify_send(name, text) == 0 ? 0 : 1);
		}
		bpci__notify_server_drain(srv);
	}
	for (end = now_ms() + 5000; done < 30 && now_ms() < end;) {
		bpci__notify_server_drain(srv);
		for (i = 0, done = 0; i < 30; i++)
			done += pid[i] == 0 || (waitpid(pid[i], &st, WNOHANG) == pid[i] &&
						WEXITSTATUS(st) == 0 && (pid[i] = 0) == 0);
		usleep(1000);
	}
	ck_assert_int_eq(done, 30);
	bpci__notify_server_drain(srv);
	ck_assert_int_eq(s.n, 0);
	bpci__notify_server_hold(srv, 0);
	ck_assert_int_eq(s.n, 0); /* from the loop, not from the call */
	s.want = 30;
	ck_assert_int_eq(rt_loop_until(base, &s.done, 3000), 1);
	ck_assert_int_eq(s.n, 30);
	for (i = 0; i < MAX_SEEN; i++)
		ck_assert_uint_eq(s.present[i], BPCI__NOTIFY_STATUS);
	bpci__notify_server_free(srv);
	event_base_free(base);
}
END_TEST

/* release: for the pids given by the test (a list ending in 0). */
static int pid_listed(pid_t pid, void *arg)
{
	const pid_t *p;

	for (p = arg; *p; p++)
		if (*p == pid)
			return 1;
	return 0;
}

/* A child sends "STATUS=@text" to @name and exits; returns its pid once
 * it has exited successfully. */
static pid_t send_from_child(const char *name, const char *text)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char msg[64];

		snprintf(msg, sizeof(msg), "STATUS=%s", text);
		_exit(bpci__notify_send(name, msg) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

START_TEST(release_delivers_known_senders_in_order)
{
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	char name[64];
	seen s = {0};
	pid_t a, b, known[3] = {0, 0, 0};

	snprintf(name, sizeof(name), "@bpci-test-release-%ld", (long)getpid());
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, name, on_msg, &s, NULL), 0);
	bpci__notify_server_hold(srv, 1);
	a = send_from_child(name, "a1");
	b = send_from_child(name, "b1");
	ck_assert_int_eq(send_from_child(name, "c1") > 0, 1);
	bpci__notify_server_drain(srv);
	ck_assert_int_eq(s.n, 0);
	/* nobody known yet: everything stays */
	bpci__notify_server_release(srv, pid_listed, known);
	ck_assert_int_eq(s.n, 0);
	known[0] = b;
	bpci__notify_server_release(srv, pid_listed, known);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.pid[0], b);
	ck_assert_str_eq(s.status[0], "b1");
	known[1] = a;
	bpci__notify_server_release(srv, pid_listed, known);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.status[1], "a1");
	/* the unknown one is delivered by the loop once the hold ends */
	bpci__notify_server_hold(srv, 0);
	ck_assert_int_eq(s.n, 2);
	s.want = 3;
	s.done = 0;
	ck_assert_int_eq(rt_loop_until(base, &s.done, 3000), 1);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.status[2], "c1");
	bpci__notify_server_free(srv);
	event_base_free(base);
}
END_TEST

START_TEST(parse_every_known_key)
{
	char buf[] = "READY=1\nSTATUS=a b=c\nEXTEND_TIMEOUT_USEC=5000000\nMAINPID=42\n"
		     "ERRNO=2\nWATCHDOG_USEC=100000\nSTOPPING=1\nRELOADING=1\nWATCHDOG=trigger\n"
		     "UNKNOWN=zz\n\n";
	char big[] = "EXTEND_TIMEOUT_USEC=99999999999999999999";
	char zero[] = "MAINPID=0";
	char neg[] = "ERRNO=-1";
	char empty[] = "";
	bpci__notify_msg m;

	ck_assert_int_eq(bpci__notify_parse(&m, buf, strlen(buf)), 0);
	ck_assert_uint_eq(m.present, BPCI__NOTIFY_READY | BPCI__NOTIFY_STATUS |
			  BPCI__NOTIFY_EXTEND_TIMEOUT | BPCI__NOTIFY_MAINPID | BPCI__NOTIFY_ERRNO |
			  BPCI__NOTIFY_WATCHDOG_USEC | BPCI__NOTIFY_STOPPING |
			  BPCI__NOTIFY_RELOADING | BPCI__NOTIFY_WATCHDOG_TRIGGER);
	ck_assert_str_eq(m.status, "a b=c");
	ck_assert_uint_eq(m.extend_timeout_usec, 5000000);
	ck_assert_int_eq(m.mainpid, 42);
	ck_assert_int_eq(m.errno_value, 2);
	ck_assert_uint_eq(m.watchdog_usec, 100000);
	ck_assert_int_eq(bpci__notify_parse(&m, big, strlen(big)), BPCI_EPARSE);
	ck_assert_uint_eq(m.present, 0);
	ck_assert_int_eq(bpci__notify_parse(&m, zero, strlen(zero)), BPCI_EPARSE);
	ck_assert_int_eq(bpci__notify_parse(&m, neg, strlen(neg)), BPCI_EPARSE);
	ck_assert_int_eq(bpci__notify_parse(&m, empty, 0), 0);
	ck_assert_uint_eq(m.present, 0);
	ck_assert_int_eq(bpci__notify_parse(&m, buf, BPCI__NOTIFY_MAX + 1), BPCI_ELIMIT);
}
END_TEST

START_TEST(server_and_client_errors)
{
	char *dir = bpci_test_mkdtemp(), *path = sock_path(dir), *file, longp[200];
	struct event_base *base = event_base_new();
	struct sockaddr_un sa;
	bpci__notify_server *srv;
	bpci_diag *d;
	seen s = {0};
	int fd;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	file = bpci_test_write_file(dir, "plain", "x");
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, file, on_msg, &s, d), BPCI_EEXISTS);
	ck_assert_contains(bpci_diag_last_text(d), file);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, longp, on_msg, &s, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "notify_socket");
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, "@", on_msg, &s, d), BPCI_EINVAL);
	/* A stale socket file left by a dead server is replaced. */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, path, on_msg, &s, d), 0);
	bpci__notify_server_free(srv);
	bpci__notify_server_free(NULL);
	/* Client side. */
	ck_assert_int_eq(bpci__notify_send(path, "READY=1"), BPCI_ENOTFOUND);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(bpci__notify_send(NULL, "READY=1"), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci__notify_send(longp, "READY=1"), BPCI_EINVAL);
	{
		static char huge[BPCI__NOTIFY_MAX + 2];

		memset(huge, 'a', sizeof(huge) - 1);
		ck_assert_int_eq(bpci__notify_send(path, huge), BPCI_ELIMIT);
	}
	bpci_diag_free(d);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(file);
	free(path);
	free(dir);
}
END_TEST

TCase *bpci_test_runtime_notify(void)
{
	TCase *tc = tcase_create("notify");

	tcase_add_test(tc, child_messages_carry_its_pid);
	tcase_add_test(tc, malformed_and_oversized_are_dropped);
	tcase_add_test(tc, abstract_socket_works);
	tcase_add_test(tc, hold_drains_and_delivers_on_release);
	tcase_add_test(tc, release_delivers_known_senders_in_order);
	tcase_add_test(tc, parse_every_known_key);
	tcase_add_test(tc, server_and_client_errors);
	return tc;
}
