/*
 * Durable appends with group commit, the appenders' side: each call frames
 * its records into the one pending batch under the mutex (only the seq and
 * the time are written there; the rest was serialized before), then sleeps
 * until a writer lane (ledger_writer.c) has made them durable.
 */
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

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

/* The entry time for @now (mu held). The calendar part is formatted once
 * a second: gmtime_r() takes glibc's time zone lock and the formatting
 * costs more than the rest of framing an entry, all of it under mu. */
static void stamp(bpci_ledger *l, char out[BPCI__TIME_LEN + 1], const struct timespec *now)
{
	long ns = now->tv_nsec;
	int i;

	if (!l->stamp_valid || l->stamp_sec != now->tv_sec) {
		bpci__entry_time(l->stamp, now);
		l->stamp_sec = now->tv_sec;
		l->stamp_valid = 1;
	}
	/* "YYYY-MM-DDTHH:MM:SS." then nine digits of nanoseconds and 'Z'. */
	memcpy(out, l->stamp, 20);
	for (i = 28; i >= 20; i--, ns /= 10)
		out[i] = (char)('0' + ns % 10);
	out[29] = 'Z';
	out[30] = '\0';
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
	stamp(l, when, &now);
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
		rc = bpci__ledger_writer_start(l);
	if (rc == 0)
		rc = raw ? enqueue_raw(l, raw, n, &first) : enqueue(l, ents, n, &first);
	if (rc == 0) {
		gen = l->pend_gen;
		/* A free lane sleeps on cv_work (also while gathering); a lane
		 * that is writing or finishing signals it when done, so only the
		 * first entry of a batch, and the one that makes it big enough
		 * to overlap a flush in flight, need wake one. */
		if (!l->writing && (l->pend_count == n || l->writer_gathering ||
				    (l->pend_count >= l->overlap_min &&
				     l->pend_count - n < l->overlap_min)))
			pthread_cond_signal(&l->cv_work);
	}
	pthread_mutex_unlock(&l->mu);
	if (rc < 0)
		return rc;
	rc = bpci__ledger_wait_durable(l, gen, first + n);
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
