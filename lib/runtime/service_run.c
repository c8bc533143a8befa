/*
 * bpci_service_run(): one libevent loop holding the HTTP server, the
 * watchdog timer, SIGTERM/SIGINT and the stop pipe. Nothing polls: an idle
 * node sleeps in epoll until a request, a signal or the watchdog tick.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/diag.h"
#include "service_internal.h"

enum { EV_TERM, EV_INT, EV_STOP, EV_WATCHDOG, EV_COUNT };

typedef struct loop {
	bpci_service *svc;
	struct event *ev[EV_COUNT];
} loop;

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	bpci_service *svc = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(svc->base);
}

static void on_stop_pipe(evutil_socket_t fd, short what, void *arg)
{
	char drain[64];

	(void)what;
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	on_stop_signal(0, 0, arg);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	/* A failed send means the coordinator is gone or restarting; the
	 * next tick tries again. */
	bpci_service_notify(arg, "WATCHDOG=1");
}

static int add_events(loop *l, bpci_diag *diag)
{
	bpci_service *svc = l->svc;
	struct timeval half;
	int i;

	l->ev[EV_TERM] = evsignal_new(svc->base, SIGTERM, on_stop_signal, svc);
	l->ev[EV_INT] = evsignal_new(svc->base, SIGINT, on_stop_signal, svc);
	l->ev[EV_STOP] = event_new(svc->base, svc->stop_pipe[0], EV_READ | EV_PERSIST,
				   on_stop_pipe, svc);
	if (svc->watchdog_usec) {
		uint64_t h = svc->watchdog_usec / 2;

		half.tv_sec = (time_t)(h / 1000000u);
		half.tv_usec = (suseconds_t)(h % 1000000u);
		l->ev[EV_WATCHDOG] = event_new(svc->base, -1, EV_PERSIST, on_watchdog, svc);
	}
	for (i = 0; i < EV_COUNT; i++) {
		if (i == EV_WATCHDOG && !svc->watchdog_usec)
			continue;
		if (!l->ev[i])
			return BPCI_ENOMEM;
		if (event_add(l->ev[i], i == EV_WATCHDOG ? &half : NULL) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
					      "cannot watch %s", i == EV_TERM ? "SIGTERM"
							  : i == EV_INT ? "SIGINT"
							  : i == EV_STOP ? "the stop pipe"
									 : "the watchdog timer");
	}
	return 0;
}

static void cleanup(loop *l)
{
	bpci_service *svc = l->svc;
	int i;

	for (i = 0; i < EV_COUNT; i++)
		if (l->ev[i])
			event_free(l->ev[i]); /* restores the signal's old handler */
	bpci__service_http_stop(svc);
	if (svc->base)
		event_base_free(svc->base);
	svc->base = NULL;
}

/* READY=1 with a STATUS the coordinator can show in its status table. */
static void announce(bpci_service *svc)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving on 127.0.0.1:%u", svc->port);
	bpci_service_notify(svc, msg);
	if (svc->ready_cb)
		svc->ready_cb(svc, svc->ready_payload);
}

int bpci_service_run(bpci_service *svc, bpci_diag *diag)
{
	loop l = {0};
	int rc;

	if (svc->ran)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "",
				      "bpci_service_run() was already called on this "
				      "service; create a new one");
	svc->ran = 1;
	l.svc = svc;
	svc->base = event_base_new();
	if (!svc->base)
		return BPCI_ENOMEM;
	rc = bpci__service_http_start(svc, diag);
	if (rc == 0)
		rc = add_events(&l, diag);
	if (rc == 0) {
		announce(svc);
		if (event_base_dispatch(svc->base) < 0)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
					    "the event loop failed: %s", strerror(errno));
		bpci_service_notify(svc, "STOPPING=1");
	}
	cleanup(&l);
	return rc;
}
