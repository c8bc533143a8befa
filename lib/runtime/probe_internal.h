/*
 * Internal to the probe files: probe.c (context, lifecycle, delivery),
 * probe_http.c (libcurl multi on libevent), probe_tcp.c, probe_exec.c.
 */
#ifndef BPCI_LIB_RUNTIME_PROBE_INTERNAL_H
#define BPCI_LIB_RUNTIME_PROBE_INTERNAL_H

#include <sys/types.h>
#include <time.h>

#include "runtime/curl_lazy.h"
#include <event2/event.h>

#include "runtime/probe.h"

enum { BPCI__PROBE_HTTP, BPCI__PROBE_TCP, BPCI__PROBE_EXEC };

/* One socket libcurl asked us to watch. */
typedef struct bpci__probe_sock {
	struct event *ev;
	struct bpci__probe_sock *prev, *next;
} bpci__probe_sock;

struct bpci__probe_ctx {
	struct event_base *base;
	CURLM *multi;           /* created with the first HTTP probe */
	struct event *timer;    /* libcurl's single timeout */
	bpci__probe_sock *socks;
	bpci__probe *probes;    /* every probe not yet released */
};

struct bpci__probe {
	bpci__probe_ctx *ctx;   /* NULL once the context is freed */
	int kind;
	int running;            /* no result delivered, not stopped */
	int cancelled;          /* released by the caller (free when safe) */
	int in_cb;
	bpci__probe_cb cb;
	void *payload;
	struct timespec start;
	unsigned int timeout_ms;
	bpci__probe_result result;
	struct event *later;    /* delivers a result known at start */
	/* TCP */
	int fd;
	struct event *io;
	/* exec */
	pid_t pid;              /* 0 when none or reaped */
	int pidfd;
	struct event *exit_ev, *deadline;
	int timed_out;
	/* HTTP */
	CURL *easy;
	long expect;            /* expected status; 0 for any 2xx */
	char errbuf[CURL_ERROR_SIZE];
	bpci__probe *prev, *next;
};

/* A new probe linked into @ctx, running, start time taken; NULL on ENOMEM. */
bpci__probe *bpci__probe_new(bpci__probe_ctx *ctx, int kind, unsigned int timeout_ms,
			     bpci__probe_cb cb, void *payload);
/* Unlinks and frees (the kind's resources must be gone). */
void bpci__probe_free(bpci__probe *p);
/* Records the result: sets ok and the reason (printf). */
void bpci__probe_set(bpci__probe *p, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Stops the kind's work, then hands the result to the callback (unless cancelled). */
void bpci__probe_finish(bpci__probe *p);
/* Same, from the loop on its next turn: for results known while starting. */
int bpci__probe_finish_later(bpci__probe *p);
/* "connection refused", "timeout"... for an errno value. */
const char *bpci__probe_errno_reason(int err);

/* Per kind: release what the probe holds. Exec returns 1 when the child
 * still needs reaping (the probe must stay alive until its pidfd fires). */
void bpci__probe_http_stop(bpci__probe *p);
void bpci__probe_tcp_stop(bpci__probe *p);
int bpci__probe_exec_stop(bpci__probe *p, int blocking);
void bpci__probe_http_ctx_free(bpci__probe_ctx *ctx);

#endif
