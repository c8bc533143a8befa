/*
 * Internal: a coordinator as a daemon of the tree (bpci/daemon.h).
 *
 * Files (one idea each):
 *   daemon_core.c      the daemon handle: start, free, ticks, notify hook
 *   daemon_child.c     local child daemons: spawn, exit, OTP decisions,
 *                      stop, escalation
 *   daemon_persist.c   DIR/daemons.json: save, load, re-adopt
 *   daemon_call.c      one HTTP request on a helper thread, answered on the loop
 *   daemon_link.c      the child side: join and heartbeats to the parent
 *   daemon_registry.c  the parent side: join, heartbeat, escalate requests,
 *                      failure detection of joined children
 *   daemon_json.c      subtree, daemon list and link metrics renderings
 *   daemon_probe.c     health_monitoring: probing the children's /healthz
 *
 * Everything runs on the coordinator's loop thread, except the body of a
 * daemon_call, which touches only its own copies.
 */
#ifndef BPCI_LIB_RUNTIME_DAEMON_INTERNAL_H
#define BPCI_LIB_RUNTIME_DAEMON_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "bpci/daemon.h"
#include "plan/supervisor.h"
#include "runtime/backoff.h"
#include "runtime/http_client.h"
#include "runtime/notify.h"
#include "runtime/proc.h"

struct event;
typedef struct bpci__daemons bpci__daemons;

/* SUBTREE states, as the contract spells them. */
typedef enum bpci__dstate {
	BPCI__D_STARTING = 1,
	BPCI__D_RUNNING,
	BPCI__D_RESTARTING,
	BPCI__D_UNREACHABLE,
	BPCI__D_FAILED,
	BPCI__D_STOPPED
} bpci__dstate;
#define BPCI__D_STATE_COUNT 6
const char *bpci__dstate_name(int state);

#define BPCI__D_START_TIMEOUT_MS 30000u
#define BPCI__D_STOP_TIMEOUT_MS 10000u

typedef struct bpci__dchild {
	bpci__daemons *d;
	char *id;
	bpci_daemon_spec *spec;       /* local children: what was asked */
	bpci_child_restart restart;
	int remote;                   /* joined on its own, not spawned by us */
	uint64_t seq;                 /* start order */
	int state;                    /* bpci__dstate */
	int want;                     /* should run (persisted: respawn on load) */

	bpci__proc *proc;
	struct event *exit_ev;        /* pidfd readable */
	struct event *timer;          /* start timeout or SIGKILL */
	int stopping;                 /* we signalled it: its exit is a stop */
	int forget_on_exit;
	int pending_start;            /* start when the group restart is due */
	int ready;                    /* READY=1 since the last spawn */
	unsigned int restarts;
	bpci__backoff backoff;
	uint16_t port;                /* reused by restarts */
	char *last_exit;

	int joined;
	char *url, *token;
	long pid_reported;
	uint64_t last_hb_mono;        /* 0: never */
	uint64_t heartbeats, errors, seq_seen;
	int64_t rtt_ms;               /* -1: none */
	json_t *report;               /* last heartbeat (nodes, node_ids, load, children) */

	/* health_monitoring: the last GET URL/healthz of this child */
	struct bpci__dcall *probe_call; /* in flight */
	int probe_set, probe_ok;
	int64_t probe_ms;             /* -1: no answer */
	unsigned int probe_failures;  /* in a row */
	char *probe_error;
} bpci__dchild;

/* One HTTP request on a helper thread (daemon_call.c). */
typedef struct bpci__dcall bpci__dcall;
typedef void (*bpci__dcall_cb)(bpci__dcall *call, int rc, const bpci__http_response *resp,
			       const char *error, void *payload);
int bpci__dcall_start(bpci__dcall **out, struct event_base *base, const char *url,
		      const char *token, const char *body, long timeout_ms, bpci__dcall_cb cb,
		      void *payload);
/* Wait for the thread and free (the callback is not called). NULL: no-op. */
void bpci__dcall_free(bpci__dcall *call);
/* Milliseconds the request took (valid in the callback). */
uint64_t bpci__dcall_elapsed_ms(const bpci__dcall *call);

/* The child side's link to its parent. */
typedef struct bpci__dlink {
	int joined;
	uint64_t seq;
	int64_t rtt_ms;               /* of the last answered heartbeat, -1: none */
	uint64_t heartbeats, errors;
	uint64_t last_ok_mono;
	bpci__dcall *call;            /* in flight */
	int call_is_join;
	uint64_t cpu_prev_us, cpu_prev_mono;
	double cpu_percent;
} bpci__dlink;

struct bpci__daemons {
	bpci_coordinator *c;
	struct event_base *base;
	char *id, *url, *token, *parent_url, *join_token, *parent_id;
	int remote;
	json_t *join_fields;          /* responsibilities, capacity, labels */
	json_t *tree_resp;            /* {id: [responsibilities]} of this subtree, as
				       * the tree's model has them (from the parent) */
	bpci_supervisor_options sup;
	bpci__backoff_policy backoff;
	bpci__sup_window window;
	uint64_t hb_ms, failover_ms;
	int notify_ready, ready_sent;
	bpci_daemon_log_cb on_log;
	void *log_payload;
	bpci_daemon_child_cb on_child;
	void *child_payload;
	char *program, *dir, *json_path;
	char *parent_url_file;        /* PARENT_STATE/api.url of a local child, or NULL */
	const char *notify_addr;      /* borrowed from the coordinator */

	bpci__dchild **kids;          /* start order */
	size_t nkids, capkids;
	uint64_t next_seq, rng;

	struct event *tick;           /* heartbeat period */
	struct event *group_ev;       /* the pending restart is due */
	uint64_t group_due_mono;
	int stopping_all;             /* stop_daemons or escalation under way */
	int escalated;
	char *escalate_reason;
	bpci__dlink link;
	struct bpci__reaper *reapers; /* released children still ours to reap (daemon_handover.c) */
};

/* ---- daemon_core.c ---- */
uint64_t bpci__d_mono_ms(void);
bpci__dchild *bpci__d_find(bpci__daemons *d, const char *id);
bpci__dchild *bpci__d_find_pid(bpci__daemons *d, pid_t pid);
/* A new child at the end of the start order; takes nothing. */
int bpci__d_add_child(bpci__dchild **out, bpci__daemons *d, const char *id);
void bpci__d_remove_child(bpci__daemons *d, bpci__dchild *k);
void bpci__d_log(bpci__daemons *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Change a child's state and tell on_child (@reason may be NULL). */
void bpci__d_set_state(bpci__dchild *k, int state, const char *reason);
/* Arm the tick in @ms. */
void bpci__d_tick_in(bpci__daemons *d, uint64_t ms);

/* ---- daemon_child.c ---- */
int bpci__d_spawn(bpci__dchild *k, bpci_diag *diag);
int bpci__d_watch(bpci__dchild *k, bpci_diag *diag);
void bpci__d_release(bpci__dchild *k);
/* SIGTERM now, SIGKILL after the stop timeout. */
void bpci__d_signal_stop(bpci__dchild *k);
/* A READY=1 from the child's process. */
void bpci__d_ready(bpci__dchild *k);
/* The child's process ended with waitpid-style @status (or
 * BPCI__PROC_STATUS_UNKNOWN): a stop we asked for, or a failure handed to
 * the OTP decision. May free @k (a forgotten child). */
void bpci__d_ended(bpci__dchild *k, int status);

/* ---- daemon_persist.c ---- */
int bpci__d_save(bpci__daemons *d);
int bpci__d_load(bpci__daemons *d, bpci_diag *diag);

/* ---- daemon_link.c ---- */
void bpci__d_link_tick(bpci__daemons *d);
void bpci__d_link_free(bpci__daemons *d);
/* A local child (state directory PARENT_STATE/daemons/ID) whose parent is
 * unreachable re-reads PARENT_STATE/api.url: a parent restarted on another
 * port is found again. */
void bpci__d_link_locate(bpci__daemons *d);
/* POST /api/daemon-tree/parent {"parent_url","join_token"} (the tree's
 * root tells a joined daemon its new parent): follow it, join at once.
 * @reply_json: {"rejoining":true}. BPCI_EINVAL for a root or a bad URL. */
int bpci__coordinator_daemon_reparent(char **reply_json, bpci_coordinator *c, const char *body,
				      size_t len, bpci_diag *diag);
void bpci__d_send_ready(bpci__daemons *d);
/* Best effort, blocking (at most 1 s): we are about to exit. */
void bpci__d_post_escalate(bpci__daemons *d, const char *child_id, const char *reason);

/* ---- daemon_registry.c ---- */
void bpci__d_check_children(bpci__daemons *d);

/* ---- daemon_probe.c ---- */
/* Failed probes in a row after which a child is reported unhealthy. */
#define BPCI__D_PROBE_RETRIES 3u
/* The daemon side of @c, or NULL (with an error in @diag) when @c was not
 * started as a daemon. */
bpci__daemons *bpci__d_of(bpci_coordinator *c, bpci_diag *diag);
/* Add to a join or heartbeat reply for child @k its responsibilities
 * (the model's, pushed down from the root, else the spec it was spawned
 * with) and the map for its subtree, so that deeper daemons, remote ones
 * included, learn theirs. */
void bpci__d_reply_responsibilities(bpci__daemons *d, const bpci__dchild *k, json_t *reply);
/* Take what a parent's reply says this daemon is responsible for. */
void bpci__d_take_responsibilities(bpci__daemons *d, json_t *reply);
/* Does this daemon have health_monitoring (its spec's responsibilities)? */
int bpci__d_monitors(const bpci__daemons *d);
/* Start a GET /healthz on every child with a URL that has none in flight. */
void bpci__d_probe_children(bpci__daemons *d);
/* The child's last probe for its SUBTREE entry, or NULL when never probed. */
json_t *bpci__d_probe_json(const bpci__dchild *k);
/* Stop (join) a probe in flight and forget the result. */
void bpci__d_probe_free(bpci__dchild *k);

/* ---- daemon_json.c ---- */
json_t *bpci__d_subtree(bpci__daemons *d, int with_tokens);
json_t *bpci__d_child_entry(bpci__dchild *k, int with_tokens);
json_t *bpci__d_nodes_json(bpci__daemons *d, json_t **node_ids);

/* ---- hooks for the coordinator (daemon_core.c) ---- */
/* 1 when @pid is a child daemon (the message was handled), else 0. */
int bpci__daemons_notify(bpci__daemons *d, pid_t pid, const bpci__notify_msg *msg);
/* Release without stopping the children (they are re-adopted later). */
void bpci__daemons_free(bpci__daemons *d);

#endif
