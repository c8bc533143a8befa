/*
 * The mutation queue shared by the coordinator's and the cluster manager's
 * API servers (api_jobs.h says why mutations wait for the loop).
 */
#include "api/api_jobs.h"
#include "common/alloc.h"

void bpci__jobs_init(bpci__jobs *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

bpci__job *bpci__jobs_add(bpci__jobs *q, bpci__job_fn fn, int kind, bpci__http_req *req)
{
	bpci__job *job = bpci__calloc(1, sizeof(*job));

	if (!job) {
		if (req)
			bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return NULL;
	}
	job->fn = fn;
	job->kind = kind;
	job->req = req;
	*q->tail = job;
	q->tail = &job->next;
	return job;
}

static void unlink_head(bpci__jobs *q)
{
	q->head = q->head->next;
	if (!q->head)
		q->tail = &q->head;
}

/* One job at a time from the head: a job runs the loop, during which new
 * requests may queue more behind it. A running head is not entered twice
 * (were the run reached from inside a job). */
int bpci__jobs_run(bpci__jobs *q, void *owner)
{
	bpci__job *job;
	int again;

	while ((job = q->head) != NULL) {
		if (job->running)
			return 1;
		job->running = 1;
		again = job->fn(owner, job);
		job->running = 0;
		if (again)
			return 1;
		unlink_head(q);
		bpci__free(job);
	}
	return 0;
}

int bpci__jobs_pending(const bpci__jobs *q)
{
	return q->head != NULL;
}

void bpci__jobs_drop(bpci__jobs *q, const char *message)
{
	bpci__job *job;

	while ((job = q->head) != NULL) {
		unlink_head(q);
		if (job->req)
			bpci__http_reply_error(job->req, 503, "shutting_down", message, NULL);
		if (job->drop)
			job->drop(job);
		bpci__free(job);
	}
}
