/*
 * Internal: the coordinator's data and the functions its files share.
 *
 * Files (one idea each):
 *   coordinator.c          handle, state directory lock, loop, signals
 *   coordinator_node.c     node table and state machine (transitions, events)
 *   coordinator_spawn.c    spawning a node (environment, config file, log) and
 *                          signalling it; exit detection through the pidfd
 *   coordinator_health.c   readiness and heartbeats (notify messages, probes)
 *   coordinator_probe.c    probes (http, tcp, exec) through probe.h
 *   coordinator_restart.c  what happens when a process ends: restart policy
 *   coordinator_persist.c  the state document (snapshots, the old
 *                          coordinator.json), loading it, adopting
 *   coordinator_journal.c  the journal on DIR/ledger: appends, snapshots
 *   coordinator_journal_replay.c  loading it: snapshot plus tail
 *   coordinator_ship.c     shipping the journal to a remote ledger
 *   coordinator_ops.c      the public operations (start, stop, restart, wait)
 *   coordinator_reload.c   applying a configuration's difference
 *   coordinator_orphans.c  node processes a dead coordinator did not record
 *   coordinator_fd.c       one pollable descriptor for embedding programs
 *   coordinator_status.c   status snapshots and their JSON
 *   coordinator_list_json.c  GET /api/nodes from the table, entries cached
 *   coordinator_stats.c    start latencies and restart requests, for /metrics
 *
 * Everything runs on the loop's thread; there are no locks.
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_INTERNAL_H
#define BPCI_LIB_RUNTIME_COORDINATOR_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "bpci/coordinator.h"
#include "runtime/backoff.h"
#include "runtime/coordinator_api.h"
#include "runtime/coordinator_stats.h"
#include "runtime/logfile.h"
#include "runtime/notify.h"
#include "runtime/probe.h"
#include "runtime/proc.h"
#include "plan/strmap.h"

/* Spawns a reload keeps in flight (bpci__coord_start_pipelined): enough
 * to keep every spawner worker busy while the loop thread works. */
#define BPCI__COORD_PIPELINE 16
/* Pids of a reload's latest spawns kept for handing their READY=1 over
 * while it runs (bpci__coord_start_pipelined). */
#define BPCI__COORD_RECENT 64
struct event;
struct json_t;
struct bpci_ledger;

#define BPCI__COORD_STATE_VERSION 1
#define BPCI__COORD_DEFAULT_LOG_MAX (10u * 1024u * 1024u)
#define BPCI__COORD_DEFAULT_LOG_KEEP 5u

typedef struct bpci__cnode bpci__cnode;
typedef struct bpci__list_frag bpci__list_frag; /* coordinator_list_json.c */

/* A journaled node that left the table, until its node.removed entry is
 * appended. */
typedef struct bpci__cremoved {
	char *id;
	uint64_t seq;
} bpci__cremoved;

/* An entry that is not a node-table change (node.health, api.request),
 * queued for the next flush (coordinator_journal.c). */
typedef struct bpci__cevent {
	const char *type;           /* static */
	char *subject, *details;
} bpci__cevent;

/* How the node's readiness and liveness are checked. */
typedef enum bpci__check {
	BPCI__CHECK_NOTIFY = 1,
	BPCI__CHECK_HTTP,
	BPCI__CHECK_TCP,
	BPCI__CHECK_EXEC,
	BPCI__CHECK_NONE
} bpci__check;

typedef enum bpci__policy {
	BPCI__POLICY_PERMANENT = 1,
	BPCI__POLICY_TRANSIENT,
	BPCI__POLICY_TEMPORARY
} bpci__policy;

/* The spec's supervision settings, read once per (re)start. */
typedef struct bpci__csettings {
	bpci__check check;
	bpci__policy policy;
	uint64_t interval_ms, timeout_ms, start_timeout_ms, stop_timeout_ms;
	unsigned int retries;
	int stop_signal;
	bpci__backoff_policy backoff;
	unsigned int max_restarts;
	uint64_t period_ms;
} bpci__csettings;

/* An in-flight probe (coordinator_probe.c). */
typedef struct bpci__cprobe bpci__cprobe;

/* What a node's cached state-document entry was rendered from
 * (coordinator_persist.c): the entry is rebuilt only when one differs. */
typedef struct bpci__cfrag_key {
	uint64_t seq, start_time, start_latency_ms;
	int64_t last_exit_ms, last_heartbeat_ms, started_ms;
	long pid;
	int state, port, from_config, remove_on_exit, last_exit_code, last_exit_signal;
	unsigned int restarts;
	char *endpoint, *failure_reason, *status_text; /* copies */
} bpci__cfrag_key;

struct bpci__cnode {
	bpci_coordinator *c;
	char *id;
	char *name;                 /* spec's name or NULL */
	bpci_node_spec *spec;
	char *spec_text;            /* the spec as persisted, built once */
	char *frag;                 /* this node's state-file entry, cached */
	size_t frag_len;
	bpci__cfrag_key frag_key;   /* what frag was rendered from */
	int config_written;         /* RUN/ID.json is current (coordinator_rundir.c) */
	bpci__cfrag_key jkey;       /* what the journal last recorded */
	int journaled;              /* its node.started entry is in the journal */
	long load_pid;              /* loading: the recorded process */
	uint64_t load_start_time;
	bpci__csettings set;
	char *endpoint;
	uint16_t port;
	int from_config;            /* started by a reload: a later reload may stop it */
	uint64_t seq;               /* start order */

	bpci_node_state state;
	bpci__proc *proc;
	struct event *exit_ev;      /* pidfd readable */
	bpci__logfile *log;
	struct event *timer;        /* start timeout, restart delay or SIGKILL */
	struct event *hb_timer;     /* heartbeat check / probe period */
	bpci__cprobe *probe;

	int killing;                /* we signalled it ourselves (not a user stop) */
	char *kill_reason;          /* why, for the exit handling */
	int remove_on_exit;         /* stop_node: forget it once it exited */
	int restart_on_exit;        /* restart_node: spawn again at once */
	bpci_node_spec *successor;  /* reload: start this once removed */
	unsigned int missed;        /* heartbeats missed in a row */

	unsigned int restarts;
	bpci__backoff backoff;
	bpci__intensity intensity;
	int intensity_ready;

	int last_exit_code, last_exit_signal;
	int64_t last_exit_ms, last_heartbeat_ms, started_ms;
	uint64_t started_mono, last_hb_mono, start_latency_ms;
	char *failure_reason;
	char *status_text;
	int self_stopping;          /* the node sent STOPPING=1 (coordinator_health.c) */
	int health_bad;             /* its last node.health entry says unhealthy */
	bpci__list_frag *list_frag; /* its GET /api/nodes entry, cached */
	struct bpci__cspawn *spawning; /* between spawn_begin and spawn_end */
};

struct bpci_coordinator {
	struct event_base *base;
	char *state_dir, *nodes_dir, *logs_dir, *state_path; /* nodes_dir: older layouts */
	char *run_dir;              /* nodes' FIFOs and spec files (coordinator_rundir.c) */
	/* reload's pipeline: spawns begun, not ended, oldest first */
	bpci__cnode *inflight[BPCI__COORD_PIPELINE];
	size_t ninflight;
	size_t pipelined;           /* starts since the last journal write */
	pid_t recent[BPCI__COORD_RECENT]; /* pids of the last spawns, a ring */
	size_t nrecent;
	char *node_program, *coordinator_url, *config_path;
	uint64_t log_max_bytes;
	unsigned int log_keep;
	bpci_node_event_cb on_event;
	void *event_payload;

	int lock_fd;
	int stop_fd;                /* eventfd written by request_stop */
	struct event *stop_ev;
	struct event *sig_ev[3];    /* TERM, INT, HUP when handle_signals */
	struct event *save_ev;      /* deferred state write */
	int dirty;                  /* the journal is behind the table */
	int batch;                  /* > 0: saves wait for the batch's end */
	struct bpci_ledger *ledger; /* the journal (coordinator_journal.c) */
	char *ledger_dir;
	bpci__cremoved *removed;    /* removals not yet appended */
	size_t nremoved, capremoved;
	bpci__cevent *events;       /* other entries not yet appended */
	size_t nevents, capevents;
	struct bpci__coord_ship *ship; /* shipping the journal (coordinator_ship.c) */
	uint64_t since_snapshot;    /* entries appended since the last snapshot */
	uint64_t snapshot_every;    /* snapshot after this many entries */
	int snapshot_due;           /* a change could not be queued: snapshot it */
	int loaded;                 /* the state was loaded: saves may write */
	struct event *wake_ev;      /* ends a blocking wait early */
	int stop_requested;
	int reload_requested;
	int loop_depth;             /* > 0 while our event_base_loop runs */       /* SIGHUP: reload outside the loop */
	bpci__notify_server *notify;
	bpci__probe_ctx *probes;    /* created by the first probe */

	bpci__cnode **nodes;        /* in start order */
	size_t nnodes, capnodes;
	bpci__strmap ids;           /* node id -> index in nodes */
	int ids_lost;               /* an insert failed: look up by scanning */
	uint64_t next_seq;
	uint64_t rng;
	int backend_fd;             /* libevent's epoll fd, or -1 when unknown */
	int embed_fd;               /* bpci_coordinator_fd(): our epoll set, or -1 */
	int timer_fd;               /* in embed_fd: the earliest pending timeout */
	char *daemon_program;       /* child daemons' program (daemon_*.c) */
	struct bpci__daemons *daemons; /* NULL until bpci_coordinator_daemon_start() */
	bpci__coord_stats stats;    /* for /metrics (coordinator_stats.c) */
};

/* ---- clocks and small helpers (coordinator.c) ------------------------- */
uint64_t bpci__coord_mono_ms(void);
int64_t bpci__coord_wall_ms(void);
/* Run one loop iteration waiting at most @timeout_ms (< 0: no limit). */
int bpci__coord_iterate(bpci_coordinator *c, int timeout_ms);

/* ---- embedding (coordinator_fd.c) ------------------------------------ */
/* event_base_new(), recognising libevent's epoll descriptor (-1: unknown). */
struct event_base *bpci__coord_new_base(int *backend_fd);
/* Re-arm the embedding timer: at once (@now), or for the earliest timeout. */
void bpci__coord_fd_rearm(bpci_coordinator *c, int now);
void bpci__coord_fd_close(bpci_coordinator *c);

/* ---- node table and state machine (coordinator_node.c) ---------------- */
bpci__cnode *bpci__coord_find(bpci_coordinator *c, const char *id);
/* Take @n out of the table (and its id out of the index); not freed. */
void bpci__coord_table_unlink(bpci_coordinator *c, bpci__cnode *n);
bpci__cnode *bpci__coord_find_pid(bpci_coordinator *c, pid_t pid);
/* A new node in the table (not spawned); takes @spec. */
int bpci__coord_node_add(bpci__cnode **out, bpci_coordinator *c, bpci_node_spec *spec,
			 const char *id, bpci_diag *diag);
/* Remove from the table and free (the process must be gone or released). */
void bpci__coord_node_remove(bpci_coordinator *c, bpci__cnode *n);
/* Free the node's resources without touching its process. */
void bpci__coord_node_free(bpci__cnode *n);
/* Change state, tell the callback, schedule a state write. @reason may be
 * NULL (then "" is reported). */
void bpci__coord_set_state(bpci__cnode *n, bpci_node_state st, const char *reason);
void bpci__coord_set_failure(bpci__cnode *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Read the supervision settings from the spec. */
int bpci__coord_read_settings(bpci__csettings *s, const bpci_node_spec *spec);
/* Next unused "<type>-<n>". */
char *bpci__coord_new_id(bpci_coordinator *c, bpci_node_type type);

/* Many starts in one batch (a reload, bpci_coordinator_start_nodes;
 * coordinator_ops.c): spawns stay in flight while the next nodes are
 * prepared; flush before anything else looks at nodes. *@node_id (or
 * NULL) receives a copy of the id once the node exists. */
int bpci__coord_start_pipelined(bpci_coordinator *c, const bpci_node_spec *spec,
				int from_config, char **node_id, bpci_diag *diag);
/* Undo a start that cannot be acknowledged: kill, reap, forget. */
void bpci__coord_discard(bpci__cnode *n);
int bpci__coord_start_flush(bpci_coordinator *c, bpci_diag *diag);
/* The end of the pipeline: flush, then deliver the held notifications. */
int bpci__coord_start_done(bpci_coordinator *c, bpci_diag *diag);

/* ---- spawn and signals (coordinator_spawn.c) -------------------------- */
/* Spawn the node's process: state starting (or running for health none).
 * On BPCI_ENOTFOUND the node is failed; on other errors the caller decides. */
int bpci__coord_spawn(bpci__cnode *n, bpci_diag *diag);
/* bpci__coord_spawn in two halves: _begin prepares the node's files and
 * queues its process on the spawner thread (proc.h), so that the caller
 * can prepare the next node meanwhile; _end (exactly once after a 0 from
 * _begin, before the loop runs again) waits for it and does the rest.
 * Errors of either half are bpci__coord_spawn's. */
int bpci__coord_spawn_begin(bpci__cnode *n, bpci_diag *diag);
int bpci__coord_spawn_end(bpci__cnode *n, bpci_diag *diag);
/* Watch an adopted or spawned process: pidfd event and log FIFO. */
int bpci__coord_watch(bpci__cnode *n, bpci_diag *diag);
/* Send the stop signal and arm the SIGKILL timer. */
void bpci__coord_signal_stop(bpci__cnode *n);
/* Find or make the runtime directory and the DIR/run link (c->run_dir;
 * DIR/nodes when no runtime directory is usable). 0 or BPCI_ENOMEM. */
int bpci__coord_rundir_open(bpci_coordinator *c);
/* Remove the runtime directory and DIR/run when the directory is empty. */
void bpci__coord_rundir_close(bpci_coordinator *c);
void bpci__coord_arm_timer(bpci__cnode *n, uint64_t ms);
void bpci__coord_disarm(bpci__cnode *n);
/* Release the process handle and its watchers (after exit). */
void bpci__coord_release_proc(bpci__cnode *n);

/* ---- readiness and heartbeats (coordinator_health.c) ------------------ */
void bpci__coord_notify_cb(pid_t pid, const bpci__notify_msg *msg, void *payload);
/* Arm the checks for a node that just started (or was adopted). */
void bpci__coord_health_start(bpci__cnode *n);
void bpci__coord_health_stop(bpci__cnode *n);
/* Supervise an adopted running node: heartbeats from now on. */
void bpci__coord_health_resume(bpci__cnode *n);
/* A heartbeat or readiness signal arrived (or a probe passed). */
void bpci__coord_heartbeat(bpci__cnode *n, int ready);
/* Start timeout fired. */
void bpci__coord_start_timeout(bpci__cnode *n);

/* ---- probes (coordinator_probe.c) ------------------------------------- */
/* Start one probe; @done is called once with 1 (passed) or 0. */
typedef void (*bpci__cprobe_cb)(bpci__cnode *n, int passed, const char *why);
int bpci__cprobe_start(bpci__cnode *n, bpci__cprobe_cb done);
void bpci__cprobe_cancel(bpci__cnode *n);

/* ---- exits and restarts (coordinator_restart.c) ----------------------- */
/* The process ended with waitpid-style @status (or
 * BPCI__PROC_STATUS_UNKNOWN). */
void bpci__coord_exited(bpci__cnode *n, int status);
/* The spawn of a restart failed with @rc: handle like an exit. */
void bpci__coord_spawn_failed(bpci__cnode *n, int rc, const char *msg);
/* Restart delay elapsed. */
void bpci__coord_restart_due(bpci__cnode *n);
/* Ask the node's process to end because of @reason (start timeout,
 * unhealthy); the exit is then handled as a failure. */
void bpci__coord_kill_for(bpci__cnode *n, const char *reason);

/* ---- operations (coordinator_ops.c) ---------------------------------- */
/* start_node without an endpoint argument, marking config-started nodes,
 * under @id when not NULL (a replacement keeps its predecessor's id). */
int bpci__coord_start(char **node_id, bpci_coordinator *c, const bpci_node_spec *spec,
		      int from_config, const char *id, bpci_diag *diag);

/* ---- orphans (coordinator_orphans.c) --------------------------------- */
/* Adopt or kill node processes of this state directory that the table
 * does not record (a coordinator killed between a spawn and its write). */
void bpci__coord_find_orphans(bpci_coordinator *c);

/* ---- reload (coordinator_reload.c) ----------------------------------- */
/* Remove @n (stopped) and start its successor spec, if any. */
void bpci__coord_start_successor(bpci__cnode *n);

/* ---- GET /api/nodes (coordinator_list_json.c) ------------------------ */
void bpci__coord_list_frag_free(bpci__cnode *n);

/* ---- persistence (coordinator_persist.c) ------------------------------ */
/* Journal the changes now, durably (inside a batch: at the batch's end). */
int bpci__coord_save(bpci_coordinator *c, bpci_diag *diag);
/* Free a node's cached state-document entry. */
void bpci__coord_frag_free(bpci__cnode *n);
/* The state document (the snapshot's bytes); bpci__free() it. */
int bpci__coord_state_doc(char **out, size_t *len, bpci_coordinator *c);
/* Add the nodes of state document @text to the table (no takeover yet);
 * errors name @where. */
int bpci__coord_doc_load(bpci_coordinator *c, const char *text, size_t len,
			 const char *where, bpci_diag *diag);
/* A node from its document entry @o (spec and fields); errors name
 * @where and @field_prefix. */
int bpci__coord_node_load(bpci_coordinator *c, const struct json_t *o, const char *where,
			  const char *field_prefix, bpci_diag *diag);
/* Set @n's recorded fields (all but id, seq and spec) from @o. */
int bpci__coord_node_apply(bpci__cnode *n, const struct json_t *o);
/* The journaled fields of @n now (strings borrowed). */
void bpci__coord_key_now(bpci__cfrag_key *k, const bpci__cnode *n);
/* 1 when @a and @b journal the same (heartbeat time and status text aside). */
int bpci__coord_key_journal_same(const bpci__cfrag_key *a, const bpci__cfrag_key *b);
/* Replace @dst with a copy of @src (strings duplicated); 0 or BPCI_ENOMEM. */
int bpci__coord_key_copy(bpci__cfrag_key *dst, const bpci__cfrag_key *src);
void bpci__coord_key_clear(bpci__cfrag_key *k);
/* "{...}" of @n's recorded fields without the spec; bpci__free() it. */
char *bpci__coord_node_fields_json(bpci__cnode *n);
/* "{"spec":...,...}" of @n, cached (borrowed, valid until the next change). */
const char *bpci__coord_node_entry(bpci__cnode *n);
/* @n's spec as canonical JSON, built once (NULL: no memory). */
const char *bpci__coord_spec_text(bpci__cnode *n);

/* ---- journal (coordinator_journal.c) ---------------------------------- */
/* Open the journal, the ledger DIR/@name. */
int bpci__coord_journal_open(bpci_coordinator *c, const char *name, bpci_diag *diag);
void bpci__coord_journal_close(bpci_coordinator *c);
/* Append every change since the last flush in one batch (one fsync). */
int bpci__coord_journal_flush(bpci_coordinator *c, bpci_diag *diag);
/* Write a snapshot of the table covering the whole journal. */
int bpci__coord_journal_snapshot(bpci_coordinator *c, bpci_diag *diag);
/* Rebuild the table: latest snapshot plus the entries after it. Returns
 * 1 when the journal holds no state of ours at all (nothing loaded). */
int bpci__coord_journal_replay(bpci_coordinator *c, bpci_diag *diag);
/* @n leaves the table: record its removal with the next flush. */
void bpci__coord_journal_forget(bpci_coordinator *c, const bpci__cnode *n);
/* Replace @path atomically (temporary file + rename), without fsync. */
int bpci__coord_write_fast(const char *path, const char *data, size_t len, bpci_diag *diag);
/* Group many changes (a reload) into one write: begin, ..., end writes. */
void bpci__coord_batch_begin(bpci_coordinator *c);
int bpci__coord_batch_end(bpci_coordinator *c, bpci_diag *diag);
/* Schedule a save: group-committed within a few ms. */
void bpci__coord_dirty(bpci_coordinator *c);
/* Node state @st changed: as bpci__coord_dirty(), but at the end of this
 * iteration unless @st is starting or pending (coordinator_persist.c). */
void bpci__coord_dirty_state(bpci_coordinator *c, bpci_node_state st);
/* Load the journal (or a legacy DIR/coordinator.json, migrating it) and
 * adopt or reschedule the nodes. */
int bpci__coord_load(bpci_coordinator *c, bpci_diag *diag);

#endif
