/*
 * One HTTP POST (a GET without a body) on a helper thread, answered on the loop: the blocking
 * client (http_client.h) runs on the thread with its own copies of every
 * string, and an eventfd wakes the loop when it is done, where the thread
 * is joined and the callback runs. The loop never waits on the network.
 */
#include "runtime/daemon_internal.h"

#include <event2/event.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

struct bpci__dcall {
	char *url, *token, *body;
	long timeout_ms;
	bpci__http_response resp;
	int rc;
	char *error;
	uint64_t t0, t1;
	pthread_t thread;
	int efd;
	struct event *ev;
	bpci__dcall_cb cb;
	void *payload;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *run(void *arg)
{
	bpci__dcall *call = arg;
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci_diag *diag = NULL;
	uint64_t one = 1;

	o.token = call->token && *call->token ? call->token : NULL;
	o.connect_timeout_ms = call->timeout_ms;
	o.timeout_ms = call->timeout_ms;
	(void)bpci_diag_new(&diag);
	call->rc = bpci__http_request(&o, call->body ? "POST" : "GET", call->url, call->body,
				      call->body ? strlen(call->body) : 0, &call->resp, diag);
	if (call->rc != 0 && diag && bpci_diag_count(diag))
		call->error = bpci__strdup(bpci_diag_last_text(diag));
	bpci_diag_free(diag);
	call->t1 = now_ms();
	if (write(call->efd, &one, sizeof(one)) < 0) {
		/* the loop then finds out at free time */
	}
	return NULL;
}

static void release(bpci__dcall *call)
{
	if (call->ev)
		event_free(call->ev);
	if (call->efd >= 0)
		close(call->efd);
	bpci__http_response_clear(&call->resp);
	bpci__free(call->url);
	bpci__free(call->token);
	bpci__free(call->body);
	bpci__free(call->error);
	bpci__free(call);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	bpci__dcall *call = arg;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* spurious: the counter is only ever written once */
	}
	pthread_join(call->thread, NULL);
	call->cb(call, call->rc, &call->resp, call->error ? call->error : bpci_strerror(call->rc),
		 call->payload);
	release(call);
}

int bpci__dcall_start(bpci__dcall **out, struct event_base *base, const char *url,
		      const char *token, const char *body, long timeout_ms, bpci__dcall_cb cb,
		      void *payload)
{
	bpci__dcall *call = bpci__calloc(1, sizeof(*call));

	if (!call)
		return BPCI_ENOMEM;
	call->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call->url = bpci__strdup(url);
	call->token = bpci__strdup(token ? token : "");
	call->body = body ? bpci__strdup(body) : NULL;
	call->timeout_ms = timeout_ms;
	call->cb = cb;
	call->payload = payload;
	call->t0 = now_ms();
	if (call->efd >= 0)
		call->ev = event_new(base, call->efd, EV_READ, on_done, call);
	if (call->efd < 0 || !call->url || !call->token || (body && !call->body) || !call->ev ||
	    event_add(call->ev, NULL) != 0) {
		int rc = call->efd < 0 ? BPCI_EIO : BPCI_ENOMEM;

		release(call);
		return rc;
	}
	if (pthread_create(&call->thread, NULL, run, call) != 0) {
		release(call);
		return BPCI_EIO;
	}
	*out = call;
	return 0;
}

uint64_t bpci__dcall_elapsed_ms(const bpci__dcall *call)
{
	return call->t1 >= call->t0 ? call->t1 - call->t0 : 0;
}

void bpci__dcall_free(bpci__dcall *call)
{
	if (!call)
		return;
	pthread_join(call->thread, NULL);
	release(call);
}
