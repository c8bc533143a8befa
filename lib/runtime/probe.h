/*
 * Internal: asynchronous health probes (HTTP GET, TCP connect, a command)
 * driven by one event_base: no threads, no polling, an idle loop sleeps.
 *
 * A probe runs once and reports once through its callback, always from
 * the event loop (never from inside the bpci__probe_* call that started
 * it). Its handle belongs to the caller until bpci__probe_cancel(), which
 * is the one way to release it and may be called at any time: before the
 * result (the probe stops and never reports), from inside the callback, or
 * after it. All functions must be called from the loop's thread.
 */
#ifndef BPCI_LIB_RUNTIME_PROBE_H
#define BPCI_LIB_RUNTIME_PROBE_H

#include <stdint.h>

#include "bpci/error.h"

struct event_base;

/* Per event loop: the libcurl multi handle that HTTP probes share. */
typedef struct bpci__probe_ctx bpci__probe_ctx;
typedef struct bpci__probe bpci__probe;

typedef struct bpci__probe_result {
	int ok;               /* 1 healthy, 0 not */
	long http_status;     /* HTTP probes: the status, 0 when none came */
	int exit_status;      /* exec probes: exit code, 128+signal, -1 when none */
	int64_t latency_us;   /* from start to result */
	char reason[128];     /* "HTTP 200", "connection refused", "timeout after 2000 ms" ... */
} bpci__probe_result;

/* The result; @r is borrowed for the call. @p may be cancelled inside. */
typedef void (*bpci__probe_cb)(bpci__probe *p, const bpci__probe_result *r, void *payload);

/* 0, BPCI_ENOMEM or BPCI_EIO (libcurl would not initialise). */
int bpci__probe_ctx_new(bpci__probe_ctx **out, struct event_base *base, bpci_diag *diag);

/*
 * Frees the context. Probes still running are stopped (their commands
 * killed and reaped) and never report; their handles must still be
 * released with bpci__probe_cancel(). NULL is a no-op. Free it before
 * the event_base.
 */
void bpci__probe_ctx_free(bpci__probe_ctx *ctx);

/*
 * GET @url; healthy when the status is @expect_status (0: any 2xx).
 * Redirects are not followed. Returns 0 (the result will come) or
 * BPCI_EINVAL (field "url"), BPCI_ENOMEM.
 */
int bpci__probe_http(bpci__probe **out, bpci__probe_ctx *ctx, const char *url,
		     long expect_status, unsigned int timeout_ms, bpci__probe_cb cb,
		     void *payload, bpci_diag *diag);

/*
 * Connect to @host:@port; healthy when the connection is accepted. @host
 * is a numeric IPv4/IPv6 address or "localhost" (no DNS: a lookup would
 * block the loop). Returns 0 or BPCI_EINVAL (field "host" or "port"),
 * BPCI_ENOMEM.
 */
int bpci__probe_tcp(bpci__probe **out, bpci__probe_ctx *ctx, const char *host,
		    unsigned int port, unsigned int timeout_ms, bpci__probe_cb cb,
		    void *payload, bpci_diag *diag);

/*
 * Run @argv (argv[0] looked up on PATH) in its own process group with
 * stdin, stdout and stderr on /dev/null; healthy when it exits 0 within
 * @timeout_ms, else its whole group is killed (SIGKILL) and reaped before
 * the "timeout" result. The child's exit is watched through a pidfd and
 * reaped with waitid on its pid: the program must not reap with
 * waitpid(-1) (no SIGCHLD handler is installed here). A command that
 * cannot be started reports a failed result ("cannot run ..."). Returns 0,
 * BPCI_EINVAL (empty argv), BPCI_EIO (fork or pidfd_open failed) or
 * BPCI_ENOMEM.
 */
int bpci__probe_exec(bpci__probe **out, bpci__probe_ctx *ctx, const char *const *argv,
		     unsigned int timeout_ms, bpci__probe_cb cb, void *payload,
		     bpci_diag *diag);

/* Stops @p if it still runs (no callback afterwards) and releases it. NULL is a no-op. */
void bpci__probe_cancel(bpci__probe *p);

#endif
