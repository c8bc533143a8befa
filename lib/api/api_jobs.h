/*
 * The queue of mutating requests that both API servers (the coordinator's,
 * coordinator_api.c, and the cluster manager's, cluster_api.c) run between
 * loop iterations: a mutation waits for processes, which runs the loop,
 * and libevent's loop cannot be entered from its own callbacks.
 *
 * Jobs run one at a time, first in first out. A long job may run in steps
 * (its function returns 1): it stays at the head, the server runs the
 * loop and its other duties, and the job is called again at the next turn;
 * the jobs behind it wait, so mutations never overlap.
 */
#ifndef BPCI_LIB_API_API_JOBS_H
#define BPCI_LIB_API_API_JOBS_H

#include "runtime/http_server.h"

typedef struct bpci__job bpci__job;

/* Carry out @job for @owner (the server) and answer its request. Returns
 * 0 when the job is done (it is freed), 1 to be called again next turn. */
typedef int (*bpci__job_fn)(void *owner, bpci__job *job);

struct bpci__job {
	bpci__job_fn fn;
	int kind;                 /* the owner's tag (the coordinator's job kinds) */
	bpci__http_req *req;      /* NULL: nothing to answer (a SIGHUP reload) */
	void *state;              /* a job in steps: its state between turns */
	void (*drop)(bpci__job *job); /* frees @state when the queue is dropped */
	int running;
	bpci__job *next;
};

typedef struct bpci__jobs {
	bpci__job *head, **tail;
} bpci__jobs;

void bpci__jobs_init(bpci__jobs *q);
/* Append a job; out of memory, answers @req 500 and returns NULL. */
bpci__job *bpci__jobs_add(bpci__jobs *q, bpci__job_fn fn, int kind, bpci__http_req *req);
/* Run jobs from the head until the queue is empty (0) or the head asks for
 * another turn (1). Jobs queued meanwhile (a job runs the loop) run too. */
int bpci__jobs_run(bpci__jobs *q, void *owner);
/* Non-zero while a job waits. */
int bpci__jobs_pending(const bpci__jobs *q);
/* Answer every waiting request 503 "shutting_down" with @message, free
 * the jobs (a job in steps through its drop function). */
void bpci__jobs_drop(bpci__jobs *q, const char *message);

#endif
