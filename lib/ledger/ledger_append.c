/*
 * Durable appends with group commit. Appending threads put their framed
 * records into one pending batch under the mutex. The first of them with
 * no write in progress becomes the leader: it may wait up to
 * batch_max_delay_ms for threads that are on their way in (never when none
 * is), takes the batch, and writes and fsyncs it without the mutex while
 * the next batch fills; then it publishes the new size and wakes everyone
 * whose entry is now durable. An fsync failure poisons the handle: after
 * it, the page cache can no longer be trusted to match the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

/* Called with mu held by a thread whose entries are pending. */
static void lead(bpci_ledger *l)
{
	struct timespec deadline;
	uint8_t *buf;
	size_t len, count;
	uint64_t first, gen;
	int rc;

	l->leader = 1;
	/* Wait for company only while some appending thread has not queued
	 * yet: one on its way in, or one that the last batch just released
	 * and that is still leaving (it usually comes straight back). */
	if (l->delay_ms > 0 && (atomic_load(&l->arriving) > 0 || l->pend_calls < l->inside)) {
		deadline_in(&deadline, l->delay_ms);
		while (l->pend_count < l->batch_max &&
		       (atomic_load(&l->arriving) > 0 || l->pend_calls < l->inside))
			if (pthread_cond_timedwait(&l->cv_gather, &l->mu, &deadline) == ETIMEDOUT)
				break;
	}
	buf = l->pend;
	len = l->pend_len;
	count = l->pend_count;
	first = l->size;
	gen = l->pend_gen++;
	l->pend = NULL;
	l->pend_len = l->pend_cap = l->pend_count = l->pend_calls = 0;
	pthread_cond_broadcast(&l->cv_space);
	pthread_mutex_unlock(&l->mu);

	rc = write_batch(l, buf, len, count, first);

	pthread_mutex_lock(&l->mu);
	bpci__free(buf);
	if (rc < 0) {
		l->broken = rc;
	} else {
		l->size += count;
		l->rtree.size = l->size;
		l->stats.batches++;
		l->stats.appended += count;
	}
	l->leader = 0;
	pthread_cond_broadcast(&l->cv_batch[gen & 1]);
	if (l->pend_count > 0 || l->broken)
		pthread_cond_signal(&l->cv_batch[(gen + 1) & 1]); /* the next leader */
	if (l->broken)
		pthread_cond_broadcast(&l->cv_batch[(gen + 1) & 1]);
	pthread_cond_broadcast(&l->cv_idle);
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
	if (bpci__grow((void **)&l->pend, &l->pend_cap, l->pend_len + need, 1) < 0)
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

static int submit(bpci_ledger *l, bpci__entry *ents, size_t n, uint64_t *first_seq)
{
	uint64_t first, last, gen;
	int rc;

	atomic_fetch_add(&l->arriving, 1);
	pthread_mutex_lock(&l->mu);
	l->inside++;
	atomic_fetch_sub(&l->arriving, 1);
	while (!l->broken && l->pend_count > 0 && l->pend_count + n > l->batch_max)
		pthread_cond_wait(&l->cv_space, &l->mu);
	if (l->broken) {
		rc = l->broken;
		goto out;
	}
	if ((rc = enqueue(l, ents, n, &first)) < 0)
		goto out;
	last = first + n;
	gen = l->pend_gen;
	l->pend_calls++;
	pthread_cond_signal(&l->cv_gather);
	while (!l->broken && l->size < last) {
		if (!l->leader) {
			lead(l);
			maybe_checkpoint(l);
		} else {
			pthread_cond_wait(&l->cv_batch[gen & 1], &l->mu);
		}
	}
	rc = l->size >= last ? 0 : l->broken;
	if (rc == 0 && first_seq)
		*first_seq = first;
out:
	l->inside--;
	pthread_cond_signal(&l->cv_gather); /* a gathering leader may stop waiting */
	pthread_mutex_unlock(&l->mu);
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
		rc = submit(l, ents, n, first_seq);
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
