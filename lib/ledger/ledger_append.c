/*
 * Durable appends with group commit. Appending threads put their framed
 * records into one pending batch under the mutex and sleep; one writer
 * thread per handle (started by the first append) takes the whole batch,
 * writes and fdatasyncs it without the mutex while the next batch fills,
 * publishes the new size, and wakes exactly the threads of that batch.
 *
 * Why a writer thread and futex words rather than a leader elected among
 * the appenders and condition variables: with hundreds of appenders on two
 * cores, the cost was not the disk but the hand-offs. A condition variable
 * wakes its waiters into a queue for the mutex, so releasing a batch of
 * 256 meant 256 serial mutex hand-offs (each a context switch) before the
 * next batch could be led, and the leader had to wait for the released
 * threads to leave. Here a released appender reads the published size and
 * returns without touching the mutex, and the writer never waits for them.
 *
 * An fsync failure poisons the handle: after it, the page cache can no
 * longer be trusted to match the disk.
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
#include "common/diag.h"
#include "ledger/ledger_internal.h"

/* Starts segment number nsegs whose first record is entry @first_seq:
 * written under a temporary name and renamed, so a crash never leaves a
 * segment without its header. */
static int roll(bpci_ledger *l, uint64_t first_seq)
{
	uint8_t hdr[FILE_HDR];
	char name[32], tmp[40];
	uint32_t number = l->segs[l->nsegs - 1].number + 1;
	int fd;

	if (fdatasync(l->segs[l->nsegs - 1].fd) < 0)
		return BPCI_EIO;
	l->stats.fsyncs++;
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

/* Writes one batch of @count framed records (entries first_seq...), makes
 * it durable, then extends the index and the tree cache. Leader only. */
static int write_batch(bpci_ledger *l, const uint8_t *buf, size_t len, size_t count,
		       uint64_t first_seq)
{
	size_t i, pos = 0, chunk_start = 0;
	uint64_t chunk_off;
	uint32_t n;
	uint64_t *offs;
	int rc = 0, fd;

	if (bpci__grow((void **)&l->leafbuf, &l->scratch_cap, count * LHASH, 1) < 0)
		return BPCI_ENOMEM;
	if ((offs = bpci__realloc(l->offbuf, count * sizeof(uint64_t))) == NULL)
		return BPCI_ENOMEM;
	l->offbuf = offs;
	chunk_off = l->seg_size;
	for (i = 0; i < count && rc == 0; i++) {
		n = bpci__get32(buf + pos);
		fd = l->segs[l->nsegs - 1].fd;
		if (l->seg_size + REC_HDR + n > l->segment_bytes && l->seg_size > FILE_HDR) {
			rc = bpci__pwrite_full(fd, buf + chunk_start, pos - chunk_start, chunk_off);
			if (rc == 0)
				rc = roll(l, first_seq + i);
			chunk_start = pos;
			chunk_off = l->seg_size;
		}
		l->offbuf[i] = l->seg_size;
		l->seg_size += REC_HDR + n;
		if (rc == 0)
			rc = bpci__merkle_hash_leaf(&l->lhash, l->leafbuf + i * LHASH,
						    buf + pos + REC_HDR, n);
		pos += REC_HDR + n;
	}
	fd = l->segs[l->nsegs - 1].fd;
	if (rc == 0)
		rc = bpci__pwrite_full(fd, buf + chunk_start, len - chunk_start, chunk_off);
	if (rc == 0 && fdatasync(fd) < 0)
		rc = BPCI_EIO;
	l->stats.fsyncs++;
	/* The offsets become their own little-endian bytes, for one write. */
	for (i = 0; i < count; i++)
		bpci__put64((uint8_t *)&l->offbuf[i], l->offbuf[i]);
	if (rc == 0)
		rc = bpci__pwrite_full(l->idxfd, l->offbuf, count * 8, first_seq * 8);
	if (rc == 0)
		rc = bpci__tree_append(&l->tree, &l->lhash, l->leafbuf, count);
	return rc;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static void futex_wait(atomic_uint *word, unsigned int seen)
{
	/* EAGAIN (the word moved on) and EINTR both mean: look again. */
	syscall(SYS_futex, (unsigned int *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake_all(atomic_uint *word)
{
	syscall(SYS_futex, (unsigned int *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void futex_wake_one(atomic_uint *word)
{
	syscall(SYS_futex, (unsigned int *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Publishes the end of batch @gen (mu held): size, then the futex word,
 * so a waiter that sees the word move also sees the size. */
static void publish(bpci_ledger *l, uint64_t gen)
{
	atomic_store(&l->durable, l->size);
	if (l->broken) {
		atomic_store(&l->failed, l->broken);
		atomic_fetch_add(&l->done_word[(gen + 1) & 1], 1);
	}
	atomic_fetch_add(&l->done_word[gen & 1], 1);
}

/* Waits, without mu, until the entries before @last are durable (0) or
 * the handle broke (its error). Batch @gen holds them. */
static int wait_durable(bpci_ledger *l, uint64_t gen, uint64_t last)
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
				futex_wake_all(word);
			return 0;
		}
		if ((failed = atomic_load(&l->failed)) != 0)
			return failed;
		futex_wait(word, seen);
	}
}

/* The writer may wait up to batch_max_delay_ms for appenders that are on
 * their way in (never when none is): they would otherwise each pay a
 * whole fsync of their own right after this one. */
static void gather(bpci_ledger *l)
{
	struct timespec deadline;

	if (l->delay_ms == 0 || atomic_load(&l->arriving) == 0)
		return;
	deadline_in(&deadline, l->delay_ms);
	l->writer_gathering = 1;
	while (l->pend_count < l->batch_max && atomic_load(&l->arriving) > 0 && !l->writer_stop)
		if (pthread_cond_timedwait(&l->cv_work, &l->mu, &deadline) == ETIMEDOUT)
			break;
	l->writer_gathering = 0;
}

/* Writes the pending batch (mu held on entry and exit, released while
 * writing) and releases its appenders. */
static void write_pending(bpci_ledger *l)
{
	uint8_t *buf = l->pend;
	size_t len = l->pend_len, count = l->pend_count, cap = l->pend_cap;
	uint64_t first = l->size, gen = l->pend_gen++;
	int rc = l->broken;

	l->leader = 1;
	l->pend = NULL;
	l->pend_len = l->pend_cap = l->pend_count = 0;
	pthread_cond_broadcast(&l->cv_space);
	if (rc == 0) {
		pthread_mutex_unlock(&l->mu);
		rc = write_batch(l, buf, len, count, first);
		pthread_mutex_lock(&l->mu);
	}
	if (l->spare == NULL) { /* the next batch fills it without regrowing */
		l->spare = buf;
		l->spare_cap = cap;
	} else {
		bpci__free(buf);
	}
	if (rc < 0) {
		l->broken = rc;
	} else {
		l->size += count;
		l->rtree.size = l->size;
		l->stats.batches++;
		l->stats.appended += count;
	}
	l->leader = 0;
	publish(l, gen);
	pthread_cond_broadcast(&l->cv_idle);
	/* Wake outside mu: the woken need not take it, but the next batch's
	 * appenders do, and they should not find it held by a waker. */
	pthread_mutex_unlock(&l->mu);
	if (rc < 0) {
		futex_wake_all(&l->done_word[gen & 1]);
		futex_wake_all(&l->done_word[(gen + 1) & 1]);
	} else {
		atomic_store(&l->relay[gen & 1], 1);
		futex_wake_one(&l->done_word[gen & 1]);
	}
	pthread_mutex_lock(&l->mu);
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

static void *writer_main(void *arg)
{
	bpci_ledger *l = arg;

	int idle;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		idle = l->pend_count == 0;
		while (l->pend_count == 0 && !l->writer_stop)
			pthread_cond_wait(&l->cv_work, &l->mu);
		if (l->pend_count == 0)
			break;
		/* Entries that queued while a batch was being written go at
		 * once: the disk is the bottleneck then, and waiting would
		 * leave it idle. */
		if (idle)
			gather(l);
		write_pending(l);
		maybe_checkpoint(l);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Starts the writer thread (mu held) with every signal blocked, so that a
 * process-directed signal the application blocks in its own threads (to
 * take it with sigwait or signalfd) is never delivered to ours. */
static int writer_start(bpci_ledger *l)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&l->writer, NULL, writer_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return rc == EAGAIN ? BPCI_ELIMIT : BPCI_ENOMEM;
	l->writer_started = 1;
	l->writer_pid = getpid();
	return 0;
}

int bpci__ledger_writer_stop(bpci_ledger *l)
{
	/* A forked child has the handle but not the thread: nothing to join,
	 * and the mutex and condition variables may be in any state. */
	if (l->writer_started && l->writer_pid != getpid())
		return 1;
	pthread_mutex_lock(&l->mu);
	l->writer_stop = 1;
	pthread_cond_broadcast(&l->cv_work);
	pthread_mutex_unlock(&l->mu);
	if (l->writer_started)
		pthread_join(l->writer, NULL);
	l->writer_started = 0;
	return 0;
}

/* Room for @need more bytes in the pending batch (mu held), in the
 * buffer of an earlier batch when there is one. */
static int pend_reserve(bpci_ledger *l, size_t need)
{
	if (l->pend == NULL && l->spare != NULL) {
		l->pend = l->spare;
		l->pend_cap = l->spare_cap;
		l->spare = NULL;
	}
	return bpci__grow((void **)&l->pend, &l->pend_cap, l->pend_len + need, 1);
}

/* Frames the prepared entries into the pending batch (mu held): only
 * the seq and the time are written here, the rest was serialized before. */
static int enqueue(bpci_ledger *l, bpci__entry *ents, size_t n, uint64_t *first)
{
	struct timespec now;
	char when[BPCI__TIME_LEN + 1];
	size_t need = 0, i, len;
	uint8_t *p;

	clock_gettime(CLOCK_REALTIME, &now);
	bpci__entry_time(when, &now);
	for (i = 0; i < n; i++)
		need += REC_HDR + bpci__entry_size(&ents[i], l->next_seq + i);
	if (pend_reserve(l, need) < 0)
		return BPCI_ENOMEM;
	p = l->pend + l->pend_len;
	for (i = 0; i < n; i++) {
		len = bpci__entry_size(&ents[i], l->next_seq + i);
		bpci__entry_write((char *)p + REC_HDR, &ents[i], l->next_seq + i, when);
		bpci__put32(p, (uint32_t)len);
		bpci__put32(p + 4, bpci__crc32c(0, p + REC_HDR, len));
		p += REC_HDR + len;
	}
	*first = l->next_seq;
	l->pend_len += need;
	l->pend_count += n;
	l->next_seq += n;
	return 0;
}

/* Frames entries that arrive as finished canonical bytes (a mirror's
 * copy of another log) into the pending batch, mu held. They must go
 * exactly at the end of the log: their seqs were checked against
 * raw->first, which must still be the next seq. */
static int enqueue_raw(bpci_ledger *l, const bpci__raw_batch *raw, size_t n, uint64_t *first)
{
	size_t need = 0, i;
	uint8_t *p;

	if (l->next_seq != raw->first)
		return BPCI_EEXISTS;
	for (i = 0; i < n; i++)
		need += REC_HDR + raw->lens[i];
	if (pend_reserve(l, need) < 0)
		return BPCI_ENOMEM;
	p = l->pend + l->pend_len;
	for (i = 0; i < n; i++) {
		memcpy(p + REC_HDR, raw->data[i], raw->lens[i]);
		bpci__put32(p, (uint32_t)raw->lens[i]);
		bpci__put32(p + 4, bpci__crc32c(0, p + REC_HDR, raw->lens[i]));
		p += REC_HDR + raw->lens[i];
	}
	*first = l->next_seq;
	l->pend_len += need;
	l->pend_count += n;
	l->next_seq += n;
	return 0;
}

static int submit(bpci_ledger *l, bpci__entry *ents, const bpci__raw_batch *raw, size_t n,
		  uint64_t *first_seq)
{
	uint64_t first = 0, gen = 0;
	int rc;

	atomic_fetch_add(&l->arriving, 1);
	pthread_mutex_lock(&l->mu);
	atomic_fetch_sub(&l->arriving, 1);
	while (!l->broken && l->pend_count > 0 && l->pend_count + n > l->batch_max)
		pthread_cond_wait(&l->cv_space, &l->mu);
	rc = l->broken;
	if (rc == 0 && l->writer_stop)
		rc = BPCI_EINVAL; /* appending during bpci_ledger_free() */
	if (rc == 0 && !l->writer_started)
		rc = writer_start(l);
	if (rc == 0)
		rc = raw ? enqueue_raw(l, raw, n, &first) : enqueue(l, ents, n, &first);
	if (rc == 0) {
		gen = l->pend_gen;
		/* The writer sleeps on cv_work when idle or gathering; when it
		 * is writing it will find this batch by itself. */
		if (!l->leader && (l->pend_count == n || l->writer_gathering))
			pthread_cond_signal(&l->cv_work);
	}
	pthread_mutex_unlock(&l->mu);
	if (rc < 0)
		return rc;
	rc = wait_durable(l, gen, first + n);
	if (rc == 0 && first_seq)
		*first_seq = first;
	return rc;
}

int bpci_ledger_append_many(uint64_t *first_seq, bpci_ledger *l, const bpci_ledger_event *events,
			    size_t n, bpci_diag *diag)
{
	bpci__entry *ents;
	size_t i, done = 0;
	int rc = 0;

	if (l == NULL || (events == NULL && n > 0))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "events",
				      "and the ledger are required");
	if (l->flags & BPCI_LEDGER_READONLY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "is open read-only");
	if (n == 0)
		return 0;
	if ((ents = bpci__calloc(n, sizeof(*ents))) == NULL)
		return BPCI_ENOMEM;
	for (i = 0; i < n && rc == 0; i++, done++)
		rc = bpci__entry_prepare(&ents[i], &events[i], i, diag);
	if (rc == 0)
		rc = submit(l, ents, NULL, n, first_seq);
	for (i = 0; i < done; i++)
		bpci__entry_release(&ents[i]);
	bpci__free(ents);
	return rc;
}

int bpci_ledger_append(uint64_t *seq, bpci_ledger *l, const bpci_ledger_event *event,
		       bpci_diag *diag)
{
	if (event == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "event",
				      "is required");
	return bpci_ledger_append_many(seq, l, event, 1, diag);
}

int bpci_ledger_audit(bpci_ledger *l, const char *event, const char *details)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;

	if (l == NULL || event == NULL || *event == '\0')
		return BPCI_EINVAL;
	ev.type = "audit.custom";
	ev.actor = l->actor;
	ev.subject = event;
	ev.details_text = details ? details : "";
	return bpci_ledger_append(NULL, l, &ev, NULL);
}

int bpci__ledger_append_raw(bpci_ledger *l, const bpci__raw_batch *raw, size_t n,
			    bpci_diag *diag)
{
	char why[128];
	uint64_t seq;
	size_t i;

	if (l->flags & BPCI_LEDGER_READONLY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "is open read-only");
	for (i = 0; i < n; i++) {
		if (raw->lens[i] == 0 || raw->lens[i] > BPCI_LEDGER_ENTRY_MAX)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "entries",
					      "entry %zu is %zu bytes; allowed 1..%d", i,
					      raw->lens[i], BPCI_LEDGER_ENTRY_MAX);
		why[0] = '\0';
		if (bpci__entry_check(&seq, raw->data[i], raw->lens[i], why, sizeof(why)) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "entries",
					      "entry %zu is not a canonical ledger entry: %s", i,
					      why);
		if (seq != raw->first + i)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "entries",
					      "entry %zu has seq %llu, expected %llu", i,
					      (unsigned long long)seq,
					      (unsigned long long)(raw->first + i));
	}
	if (n == 0)
		return 0;
	return submit(l, NULL, raw, n, NULL);
}
