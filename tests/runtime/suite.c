/* Tests of lib/runtime: real processes, real sockets, real files. */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime_test.h"

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int rt_loop_until(struct event_base *base, const volatile int *flag, int timeout_ms)
{
	struct timeval tick = {0, 20000};
	struct event *ev = event_new(base, -1, EV_PERSIST, on_tick, base);
	long deadline = now_ms() + timeout_ms;

	ck_assert_ptr_nonnull(ev);
	/* The tick only bounds each loop pass; it is not a poll interval. */
	event_add(ev, &tick);
	while (!*flag && now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *flag;
}

char *rt_read_all(int fd, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	size_t len = 0;
	char *buf = malloc(1);

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		char chunk[4096];
		ssize_t n;
		long left = deadline - now_ms();

		ck_assert_msg(left > 0, "timed out reading a pipe");
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf = realloc(buf, len + (size_t)n + 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

char *rt_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		return NULL;
	ck_assert(fseek(f, 0, SEEK_END) == 0);
	size = ftell(f);
	ck_assert(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return buf;
}

int rt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int rt_no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("runtime");

	suite_add_tcase(s, bpci_test_runtime_proc());
	suite_add_tcase(s, bpci_test_runtime_logfile());
	suite_add_tcase(s, bpci_test_runtime_notify());
	suite_add_tcase(s, bpci_test_runtime_backoff());
	suite_add_tcase(s, bpci_test_runtime_port());
	suite_add_tcase(s, bpci_test_runtime_fsutil());
	suite_add_tcase(s, bpci_test_runtime_alloc());
	return s;
}
