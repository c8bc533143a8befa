/*
 * The group-commit writers. Appending threads frame their records into
 * one pending batch under the mutex and sleep on a futex word (see
 * ledger_append.c). Two writer threads ("lanes"), started by the first
 * append, take turns: a lane takes the whole pending batch, writes it to
 * the segment, and while it waits in fdatasync the other lane may take,
 * write and sync the next batch. Batches are published strictly in order:
 * a lane whose fdatasync returns first waits for the earlier batch before
 * it extends the index and the tree cache, publishes the new size and
 * wakes the appenders of its batch.
 *
 * Why: with group commit the disk's flush latency is the cycle time. One
 * writer leaves the disk idle from the end of one fdatasync to the start of
 * the next, and an append that just misses a batch waits for that batch and
 * then its own (1.5 flushes on average); two lanes let the next flush start
 * at once, and the storage here completes concurrent flushes almost as fast
 * as one. Why threads of our own and futex words rather than a leader
 * elected among the appenders and condition variables: with hundreds of
 * appenders on two cores the cost was the hand-offs, not the disk. A
 * condition variable wakes its waiters into a queue for the mutex, so
 * releasing a batch of 256 meant 256 serial mutex hand-offs before the next
 * batch could be led. Here a released appender reads the published size and
 * returns without touching the mutex.
 *
 * Durability does not change: a batch is acknowledged after its own
 * fdatasync and after every earlier batch was; the index and the tree
 * cache, derived data, are written after that and not synced (a writable
 * open rebuilds what a crash lost of them). A failed write or fdatasync
 * poisons the handle: after it, the page cache can no longer be trusted to
 * match the disk, and no later batch is acknowledged.
 *
 * The overlap is why a power loss can leave a hole: batch N+1's pages on
 * disk, some of batch N's not. Only these two batches can be unacknowledged
 * at once (a lane keeps its batch until it ends), and before a batch larger
 * than the "batch-bound" file says is written that file is raised, so that
 * an open can bound what a cut removes (ledger_hole.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "ledger/ledger_internal.h"

/* One batch on its way to disk, owned by the lane that took it. */
typedef struct batch {
	uint8_t *buf;
	size_t len, cap, count;
	uint64_t first, gen;
	int fd; /* the segment its last record went to */
} batch;

/* Starts segment number nsegs whose first record is entry @first_seq:
 * written under a temporary name and renamed, so a crash never leaves a
 * segment without its header. The previous segment is synced first: only
 * the last segment is ever synced by a batch. Holds the write turn. */
static int roll(bpci_ledger *l, uint64_t first_seq)
{
	uint8_t hdr[FILE_HDR];
	char name[32], tmp[40];
	uint32_t number = l->segs[l->nsegs - 1].number + 1;
	int fd;

	if (fdatasync(l->segs[l->nsegs - 1].fd) < 0)
		return BPCI_EIO;
	bpci__segment_name(number, name);
	memcpy(tmp, name, sizeof(name));
	strcat(tmp, ".tmp");
	fd = openat(l->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return BPCI_EIO;
	memcpy(hdr, SEG_MAGIC, 8);
	bpci__put64(hdr + 8, first_seq);
	if (bpci__write_full(fd, hdr, FILE_HDR) < 0 || fsync(fd) < 0 ||
	    renameat(l->dirfd, tmp, l->dirfd, name) < 0 || bpci__fsync_dir(l->dirfd) < 0) {
		close(fd);
		return BPCI_EIO;
	}
	pthread_mutex_lock(&l->mu); /* readers look segments up under mu */
	l->stats.fsyncs++;
	if (bpci__grow((void **)&l->segs, &l->segcap, l->nsegs + 1, sizeof(*l->segs)) < 0) {
		pthread_mutex_unlock(&l->mu);
		close(fd);
		return BPCI_ENOMEM;
	}
	l->segs[l->nsegs].number = number;
	l->segs[l->nsegs].first_seq = first_seq;
	l->segs[l->nsegs++].fd = fd;
	pthread_mutex_unlock(&l->mu);
	l->seg_size = FILE_HDR;
	return 0;
}

static int lane_scratch(bpci__lane *ln, size_t count)
{
	uint8_t *leaves;
	uint64_t *offs;

	if (count <= ln->cap)
		return 0;
	if ((leaves = bpci__realloc(ln->leaves, count * LHASH)) == NULL)
		return BPCI_ENOMEM;
	ln->leaves = leaves;
	if ((offs = bpci__realloc(ln->offs, count * sizeof(uint64_t))) == NULL)
		return BPCI_ENOMEM;
	ln->offs = offs;
	ln->cap = count;
	return 0;
}

/* Writes the records of @b to the segments (rolling where they fill up)
 * and notes each one's offset. Holds the write turn, so segs and
 * seg_size are this lane's alone. */
static int put_records(bpci_ledger *l, bpci__lane *ln, batch *b)
{
	size_t i, pos = 0, chunk_start = 0;
	uint64_t chunk_off = l->seg_size;
	uint32_t n;
	int rc = lane_scratch(ln, b->count);

	for (i = 0; i < b->count && rc == 0; i++) {
		n = bpci__get32(b->buf + pos);
		if (l->seg_size + REC_HDR + n > l->segment_bytes && l->seg_size > FILE_HDR) {
			rc = bpci__pwrite_full(l->segs[l->nsegs - 1].fd, b->buf + chunk_start,
					       pos - chunk_start, chunk_off);
			if (rc == 0)
				rc = roll(l, b->first + i);
			chunk_start = pos;
			chunk_off = l->seg_size;
		}
		ln->offs[i] = l->seg_size;
		l->seg_size += REC_HDR + n;
		pos += REC_HDR + n;
	}
	b->fd = l->segs[l->nsegs - 1].fd;
	if (rc == 0)
		rc = bpci__pwrite_full(b->fd, b->buf + chunk_start, b->len - chunk_start, chunk_off);
	return rc;
}

/* Leaf hashes of the batch, while the earlier batch may still be syncing. */
static int hash_leaves(bpci__lane *ln, const batch *b)
{
	size_t i, pos = 0;
	uint32_t n;
	int rc = 0;

	for (i = 0; i < b->count && rc == 0; i++) {
		n = bpci__get32(b->buf + pos);
		rc = bpci__merkle_hash_leaf(&ln->hash, ln->leaves + i * LHASH,
					    b->buf + pos + REC_HDR, n);
		pos += REC_HDR + n;
	}
	return rc;
}

/* The derived data, in batch order (the caller's turn came). */
static int extend_cache(bpci_ledger *l, bpci__lane *ln, const batch *b)
{
	size_t i;
	int rc;

	/* The offsets become their own little-endian bytes, for one write. */
	for (i = 0; i < b->count; i++)
		bpci__put64((uint8_t *)&ln->offs[i], ln->offs[i]);
	rc = bpci__pwrite_full(l->idxfd, ln->offs, b->count * 8, b->first * 8);
	if (rc == 0)
		rc = bpci__tree_append(&l->tree, &ln->hash, ln->leaves, b->count);
	return rc;
}

static void futex_wait(atomic_uint *word, unsigned int seen)
{
	/* EAGAIN (the word moved on) and EINTR both mean: look again. */
	syscall(SYS_futex, (unsigned int *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word, int n)
{
	syscall(SYS_futex, (unsigned int *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

int bpci__ledger_wait_durable(bpci_ledger *l, uint64_t gen, uint64_t last)
{
	atomic_uint *word = &l->done_word[gen & 1];
	unsigned int seen;
	int failed;

	for (;;) {
		seen = atomic_load(word);
		if (atomic_load(&l->durable) >= last) {
			/* The writer woke one of us; that one wakes the rest, so
			 * the writer goes on to the next batch at once. */
			if (atomic_exchange(&l->relay[gen & 1], 0))
				futex_wake(word, INT_MAX);
			return 0;
		}
		if ((failed = atomic_load(&l->failed)) != 0)
			return failed;
		futex_wait(word, seen);
	}
}

/* Publishes the end of batch @gen (mu held): size first, then the futex
 * word, so a waiter that sees the word move also sees the size. Batch
 * @gen's appenders wait on word gen & 1; batch gen + 1 (the only other
 * one that can have appenders) on the other word. */
static void publish(bpci_ledger *l, uint64_t gen)
{
	atomic_store(&l->durable, l->size);
	if (l->broken) {
		atomic_store(&l->failed, l->broken);
		atomic_fetch_add(&l->done_word[(gen + 1) & 1], 1);
	}
	atomic_fetch_add(&l->done_word[gen & 1], 1);
}

static void wake(bpci_ledger *l, uint64_t gen, int failed)
{
	if (failed) {
		futex_wake(&l->done_word[gen & 1], INT_MAX);
		futex_wake(&l->done_word[(gen + 1) & 1], INT_MAX);
	} else {
		atomic_store(&l->relay[gen & 1], 1);
		futex_wake(&l->done_word[gen & 1], 1);
	}
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* With no batch in flight, a lane may wait up to batch_max_delay_ms for
 * appenders that are on their way in (never when none is): they would
 * otherwise each pay a whole flush of their own right after this one.
 * With a batch in flight the disk is the bottleneck, and waiting would
 * only leave the free lane idle. mu held. */
static void gather(bpci_ledger *l)
{
	struct timespec deadline;

	if (l->delay_ms == 0 || l->busy > 0 || atomic_load(&l->arriving) == 0)
		return;
	deadline_in(&deadline, l->delay_ms);
	l->writer_gathering = 1;
	while (l->pend_count < l->batch_max && atomic_load(&l->arriving) > 0 && !l->writer_stop)
		if (pthread_cond_timedwait(&l->cv_work, &l->mu, &deadline) == ETIMEDOUT)
			break;
	l->writer_gathering = 0;
}

/* Takes the pending batch and the write turn (mu held). */
static void take(bpci_ledger *l, batch *b)
{
	b->buf = l->pend;
	b->len = l->pend_len;
	b->cap = l->pend_cap;
	b->count = l->pend_count;
	b->first = l->next_seq - l->pend_count;
	b->gen = l->pend_gen++;
	l->pend = NULL;
	l->pend_len = l->pend_cap = l->pend_count = 0;
	l->writing = 1;
	l->busy++;
	l->overlap_min = b->count / 2 > 1 ? b->count / 2 : 1;
	pthread_cond_broadcast(&l->cv_space);
}

static void maybe_checkpoint(bpci_ledger *l)
{
	char *note = NULL;

	if (l->ckpt_interval == BPCI_LEDGER_CHECKPOINT_NEVER || l->broken)
		return;
	if (l->last_note != NULL && time(NULL) - l->last_ckpt_time < (time_t)l->ckpt_interval)
		return;
	/* Lazy and best effort: the entries are durable whatever happens here,
	 * and a failure is retried after the next batch. */
	if (bpci__ckpt_sign_locked(l, &note, NULL) < 0)
		l->last_ckpt_time = time(NULL);
	bpci__free(note);
}

/* The batch's end (mu held): in order, after every earlier batch. */
static int finish(bpci_ledger *l, bpci__lane *ln, batch *b, int rc)
{
	while (l->done_gen != b->gen)
		pthread_cond_wait(&l->cv_order, &l->mu);
	if (rc == 0)
		rc = l->broken; /* an earlier batch failed: this one is not acked */
	if (rc == 0) {
		pthread_mutex_unlock(&l->mu);
		rc = extend_cache(l, ln, b);
		pthread_mutex_lock(&l->mu);
	}
	if (l->spare == NULL) { /* the next batch fills it without regrowing */
		l->spare = b->buf;
		l->spare_cap = b->cap;
	} else {
		bpci__free(b->buf);
	}
	if (rc < 0) {
		if (l->broken == 0)
			l->broken = rc;
	} else {
		l->size += b->count;
		l->rtree.size = l->size;
		l->stats.batches++;
		l->stats.appended += b->count;
		/* Before the appenders return: one that asks for the latest
		 * checkpoint right after its append finds it. */
		maybe_checkpoint(l);
	}
	l->done_gen++;
	l->busy--;
	publish(l, b->gen);
	pthread_cond_broadcast(&l->cv_order);
	pthread_cond_broadcast(&l->cv_idle);
	pthread_cond_signal(&l->cv_work); /* a lane may take what waited for us */
	return rc;
}

/* Before a batch larger than the batch-bound file allows is written, the
 * file is raised: a later open's cut must cover every batch that can be
 * torn (see ledger_hole.c). By factors of 16 up to batch_max (beyond it
 * only for an append_many() of more): tight enough that a ledger with
 * small batches cuts little, and rare enough (1, 16, 256, ... : twice for
 * the default batch_max) that the writes it stalls do not show; a lone
 * appender's batches of one never raise it. Holds the write turn, which
 * alone touches l->bound. */
static int raise_bound(bpci_ledger *l, size_t count)
{
	uint64_t b = l->bound ? l->bound : 1;
	int rc;

	while (b < count)
		b *= 16;
	if (b > l->batch_max && count <= l->batch_max)
		b = l->batch_max;
	if (b > UINT32_MAX)
		b = UINT32_MAX;
	if ((rc = bpci__bound_write(l->dirfd, (unsigned)b)) == 0)
		l->bound = (unsigned)b;
	return rc;
}

/* Writes one batch; mu held on entry and exit, released meanwhile. */
static void write_one(bpci_ledger *l, bpci__lane *ln)
{
	batch b;
	int rc;

	take(l, &b);
	rc = l->broken;
	pthread_mutex_unlock(&l->mu);
	if (rc == 0 && b.count > l->bound)
		rc = raise_bound(l, b.count);
	if (rc == 0)
		rc = put_records(l, ln, &b);
	pthread_mutex_lock(&l->mu);
	l->writing = 0;
	pthread_cond_signal(&l->cv_work); /* the other lane may take the next */
	pthread_mutex_unlock(&l->mu);
	if (rc == 0 && fdatasync(b.fd) < 0)
		rc = BPCI_EIO;
	if (rc == 0)
		rc = hash_leaves(ln, &b);
	pthread_mutex_lock(&l->mu);
	l->stats.fsyncs++;
	rc = finish(l, ln, &b, rc);
	/* Wake outside mu: the woken need not take it, but the next batch's
	 * appenders do, and they should not find it held by a waker. */
	pthread_mutex_unlock(&l->mu);
	wake(l, b.gen, rc < 0);
	pthread_mutex_lock(&l->mu);
}

/* Whether a free lane should take the pending batch now (mu held). With
 * no batch in flight, yes. With one in flight, only once the pending batch
 * is at least half its size: a second flush at once pays off for a batch
 * of many, while a few stragglers do better to join the next batch than to
 * cost the disk a flush of their own. A stopping handle flushes all. */
static int can_take(const bpci_ledger *l)
{
	if (l->pend_count == 0 || l->writing)
		return 0;
	return l->busy == 0 || l->pend_count >= l->overlap_min || l->writer_stop;
}

static void *lane_main(void *arg)
{
	bpci__lane *ln = arg;
	bpci_ledger *l = ln->l;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!can_take(l) && !(l->writer_stop && l->pend_count == 0))
			pthread_cond_wait(&l->cv_work, &l->mu);
		if (l->pend_count == 0)
			break; /* stopping, nothing left */
		gather(l);
		if (!can_take(l))
			continue; /* the other lane took it meanwhile */
		write_one(l, ln);
	}
	pthread_cond_broadcast(&l->cv_work); /* the other lane may stop too */
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void lane_release(bpci__lane *ln)
{
	bpci__merkle_hasher_close(&ln->hash);
	bpci__free(ln->leaves);
	bpci__free(ln->offs);
	ln->leaves = NULL;
	ln->offs = NULL;
	ln->cap = 0;
}

/* Starts the lanes (mu held) with every signal blocked, so that a
 * process-directed signal the application blocks in its own threads (to
 * take it with sigwait or signalfd) is never delivered to ours. */
int bpci__ledger_writer_start(bpci_ledger *l)
{
	sigset_t all, old;
	int i, rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < BPCI__LANES && rc == 0; i++) {
		bpci__lane *ln = &l->lanes[i];

		ln->l = l;
		if (bpci__merkle_hasher_open(&ln->hash) < 0) {
			rc = BPCI_ENOMEM;
		} else if (pthread_create(&ln->thread, NULL, lane_main, ln) != 0) {
			/* EAGAIN too: out of threads is out of memory here. */
			bpci__merkle_hasher_close(&ln->hash);
			rc = BPCI_ENOMEM;
		} else {
			l->writer_started++;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	l->writer_pid = getpid();
	/* One lane is enough to make progress; a second that failed to start
	 * only costs overlap. */
	return l->writer_started > 0 ? 0 : rc;
}

int bpci__ledger_writer_stop(bpci_ledger *l)
{
	int i;

	/* A forked child has the handle but not the threads: nothing to join,
	 * and the mutex and condition variables may be in any state. */
	if (l->writer_started && l->writer_pid != getpid())
		return 1;
	pthread_mutex_lock(&l->mu);
	l->writer_stop = 1;
	pthread_cond_broadcast(&l->cv_work);
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < l->writer_started; i++) {
		pthread_join(l->lanes[i].thread, NULL);
		lane_release(&l->lanes[i]);
	}
	l->writer_started = 0;
	return 0;
}
