/*
 * The test binary as a node: `test_coordinator --as-node MODE [ARGS]`.
 *
 *   ready [WD_MS [COUNT]]  READY=1, then WATCHDOG=1 every WD_MS (stop after
 *                          COUNT of them when given); exit 0 on SIGTERM
 *   ignore-term            READY=1, ignore SIGTERM (needs SIGKILL)
 *   exit CODE MS           exit with CODE after MS milliseconds, never ready
 *   never-ready            run until SIGTERM without READY=1
 *   crash-after MS         READY=1, exit 3 after MS milliseconds
 *   listen                 listen on 127.0.0.1:$BPCI_NODE_PORT, no READY=1
 *   http N                 serve HTTP on 127.0.0.1:$BPCI_NODE_PORT: GET /health
 *                          answers 200 the first N times (-1: always), then 500
 *   count MS               write "line N" (N = 1, 2, ...) every MS ms until SIGTERM
 *   print TEXT             write TEXT and the environment's BPCI_NODE_ID to
 *                          stdout, READY=1, run until SIGTERM
 *   stopping MS LINGER CODE  READY=1, STOPPING=1 after MS ms, no more
 *                          watchdogs, exit CODE after LINGER more ms
 *
 * Exits go through _exit: the node shares the test's ASan runtime and has
 * nothing to clean up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "coordinator_test.h"
#include "runtime/notify.h"

static volatile sig_atomic_t terminated;

static void on_term(int sig)
{
	(void)sig;
	terminated = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait for SIGTERM, sending a watchdog every WD_MS when asked (COUNT of
 * them, or unlimited when negative). Without watchdogs the process sleeps
 * in sigsuspend: hundreds of idle nodes cost no CPU. */
static int idle(long wd_ms, long wd_count)
{
	sigset_t term, old;
	long sent = 0;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	while (!terminated) {
		if (wd_ms > 0 && (wd_count < 0 || sent < wd_count)) {
			struct timespec ts = {wd_ms / 1000, (wd_ms % 1000) * 1000000L};

			sigprocmask(SIG_SETMASK, &old, NULL);
			nanosleep(&ts, NULL);
			sigprocmask(SIG_BLOCK, &term, NULL);
			if (!terminated) {
				(void)bpci__notify_send(NULL, "WATCHDOG=1");
				sent++;
			}
		} else {
			sigsuspend(&old);
		}
	}
	_exit(0);
}

static int do_listen(void)
{
	const char *p = getenv("BPCI_NODE_PORT");
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(p ? p : "0"));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
		_exit(4);
	return idle(0, -1);
}

static int do_http(long ok_count)
{
	const char *p = getenv("BPCI_NODE_PORT");
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	long served = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(p ? p : "0"));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
		_exit(4);
	while (!terminated) {
		char req[1024];
		const char *reply;
		ssize_t n;
		int cfd = accept(fd, NULL, NULL);

		if (cfd < 0)
			continue;
		n = read(cfd, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = '\0';
		if (strncmp(req, "GET /health ", 12) != 0)
			reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		else if (ok_count < 0 || served++ < ok_count)
			reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		else
			reply = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		(void)!write(cfd, reply, strlen(reply));
		close(cfd);
	}
	_exit(0);
}

int bpci_test_node_main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "";
	struct sigaction sa;

	/* no SA_RESTART: a blocking accept() must return on SIGTERM */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	if (strcmp(mode, "ready") == 0) {
		(void)bpci__notify_send(NULL, "READY=1\nSTATUS=serving");
		return idle(argc > 3 ? atol(argv[3]) : 0, argc > 4 ? atol(argv[4]) : -1);
	}
	if (strcmp(mode, "ignore-term") == 0) {
		signal(SIGTERM, SIG_IGN);
		(void)bpci__notify_send(NULL, "READY=1");
		for (;;)
			pause();
	}
	if (strcmp(mode, "exit") == 0 && argc > 4) {
		sleep_ms(atol(argv[4]));
		_exit(atoi(argv[3]));
	}
	if (strcmp(mode, "never-ready") == 0)
		return idle(0, -1);
	if (strcmp(mode, "crash-after") == 0 && argc > 3) {
		(void)bpci__notify_send(NULL, "READY=1");
		sleep_ms(atol(argv[3]));
		_exit(3);
	}
	if (strcmp(mode, "listen") == 0)
		return do_listen();
	if (strcmp(mode, "count") == 0 && argc > 3) {
		long n = 0, ms = atol(argv[3]);

		while (!terminated) {
			printf("line %ld\n", ++n);
			fflush(stdout);
			sleep_ms(ms);
		}
		_exit(0);
	}
	if (strcmp(mode, "http") == 0 && argc > 3)
		return do_http(atol(argv[3]));
	if (strcmp(mode, "print") == 0 && argc > 3) {
		printf("%s id=%s\n", argv[3], getenv("BPCI_NODE_ID") ? getenv("BPCI_NODE_ID") : "");
		fflush(stdout);
		(void)bpci__notify_send(NULL, "READY=1");
		return idle(0, -1);
	}
	if (strcmp(mode, "stopping") == 0 && argc > 5) {
		(void)bpci__notify_send(NULL, "READY=1");
		sleep_ms(atol(argv[3]));
		(void)bpci__notify_send(NULL, "STOPPING=1");
		sleep_ms(atol(argv[4]));
		_exit(atoi(argv[5]));
	}
	fprintf(stderr, "unknown node mode \"%s\"\n", mode);
	_exit(2);
}
