/*
 * Internal to the ledger: the handle, the on-disk framing, the tree cache
 * and the pieces that open, append, verify and sign share.
 */
#ifndef BPCI_LIB_LEDGER_LEDGER_INTERNAL_H
#define BPCI_LIB_LEDGER_LEDGER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#include "bpci/ledger.h"
#include "ledger/merkle_internal.h"

#define LHASH 32
#define LEVELS 64
#define SEG_MAGIC "BPCISEG1"
#define CKPT_MAGIC "BPCICKP1"
#define SNAP_MAGIC "BPCISNP1"
#define FILE_HDR 16         /* magic (8) + u64 first seq (segments) or 0 */
#define REC_HDR 8           /* u32 length + u32 CRC32C of the payload */
#define CKPT_MAX 4096       /* longest checkpoint note record */
#define DEFAULT_ORIGIN "bpci.local/audit"
#define DEFAULT_SEGMENT (64u * 1024 * 1024)

/* ---- little-endian framing, CRC32C ---- */
uint32_t bpci__crc32c(uint32_t crc, const void *data, size_t len);
void bpci__put32(uint8_t *p, uint32_t v);
void bpci__put64(uint8_t *p, uint64_t v);
uint32_t bpci__get32(const uint8_t *p);
uint64_t bpci__get64(const uint8_t *p);

/* ---- small file helpers (0 or BPCI_EIO; errno kept) ---- */
int bpci__pread_full(int fd, void *buf, size_t len, uint64_t off);
int bpci__pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
int bpci__write_full(int fd, const void *buf, size_t len);
int bpci__file_size(int fd, uint64_t *size);
int bpci__fsync_dir(int dirfd);

/* ---- base64 (RFC 4648 §4, padded) ---- */
char *bpci__b64_encode(const uint8_t *data, size_t len);
/* Strict decode; returns the length or -1. @out holds at least len*3/4. */
long bpci__b64_decode(uint8_t *out, const char *text, size_t len);

/* ---- entries ---- */
#define BPCI__TIME_LEN 30 /* 2026-11-25T01:02:03.123456789Z */

/* A validated event, serialized but for its seq and time (which the log
 * assigns under its lock): head N mid T tail. Pieces are bpci__malloc'd. */
typedef struct bpci__entry {
	char *head, *mid, *tail;
	size_t head_len, mid_len, tail_len;
} bpci__entry;

int bpci__entry_prepare(bpci__entry *e, const bpci_ledger_event *ev, size_t index,
			bpci_diag *diag);
void bpci__entry_release(bpci__entry *e);
/* Exact length of the canonical entry with @seq. */
size_t bpci__entry_size(const bpci__entry *e, uint64_t seq);
void bpci__entry_time(char out[BPCI__TIME_LEN + 1], const struct timespec *now);
/* Writes the canonical bytes (bpci__entry_size() of them, no NUL). */
void bpci__entry_write(char *dst, const bpci__entry *e, uint64_t seq,
		       const char time[BPCI__TIME_LEN + 1]);
/* Parses a stored entry and returns its seq; BPCI_EPARSE when it is not a
 * canonical entry (not an object, missing fields, not canonical bytes). */
int bpci__entry_check(uint64_t *seq, const char *data, size_t len, char *why,
		      size_t whylen);

/* Finished canonical entries (a mirror's copy of another log) that must
 * become entries first, first+1, ... of this one. */
typedef struct bpci__raw_batch {
	uint64_t first;
	const char *const *data;
	const size_t *lens;
} bpci__raw_batch;

/* Appends @n raw entries durably as one batch after checking that each is
 * canonical with the expected seq. Returns 0; BPCI_EEXISTS (the log's size
 * is not raw->first any more); BPCI_EPARSE/BPCI_EINVAL/BPCI_ELIMIT (a bad
 * entry, named in @diag; nothing appended); BPCI_EIO; BPCI_ENOMEM. */
int bpci__ledger_append_raw(bpci_ledger *l, const bpci__raw_batch *raw, size_t n,
			    bpci_diag *diag);

/* The root of the log's first @n entries (@n must be its size, else
 * BPCI_EEXISTS) followed by @k more leaves with hashes @leaves, without
 * appending them. 0, BPCI_EEXISTS, BPCI_EIO. */
int bpci__ledger_root_after(bpci_ledger *l, uint64_t n, const uint8_t *leaves, size_t k,
			    uint8_t out[LHASH]);

/* ---- the tree cache: level k holds the hash of every complete aligned
 *      block of 2^k leaves, 32 bytes each, in tree-KK.hashes ---- */
typedef struct bpci__tree {
	int dirfd;
	int fd[LEVELS];   /* -1 until the level exists (or is opened) */
	int readonly;
	uint64_t size;    /* leaves covered */
	uint8_t frontier[LEVELS][LHASH]; /* complete subtrees of size's set bits */
} bpci__tree;

void bpci__tree_init(bpci__tree *t, int dirfd, int readonly);
void bpci__tree_close(bpci__tree *t);
/* Opens the level files and settles on the largest size all levels
 * cover, at most @limit; writable trees are cut to exactly that size. */
int bpci__tree_load(bpci__tree *t, uint64_t limit);
/* Appends @n leaf hashes: writes every completed node, level 0 last. */
int bpci__tree_append(bpci__tree *t, bpci__merkle_hasher *h, const uint8_t *leaves,
		      size_t n);
/* Hash of the block of 2^level leaves numbered @index at that level. */
int bpci__tree_node(bpci__tree *t, uint8_t out[LHASH], unsigned level, uint64_t index);
int bpci__tree_root(bpci__tree *t, bpci__merkle_hasher *h, uint8_t out[LHASH],
		    uint64_t size);
int bpci__tree_inclusion(bpci__tree *t, bpci__merkle_hasher *h, uint8_t *path,
			 size_t *path_len, uint64_t index, uint64_t size);
int bpci__tree_consistency(bpci__tree *t, bpci__merkle_hasher *h, uint8_t *path,
			   size_t *path_len, uint64_t size1, uint64_t size2);
int bpci__tree_truncate(bpci__tree *t, uint64_t size);
const char *bpci__tree_level_name(unsigned level, char buf[32]);

/* ---- segments ---- */
typedef struct bpci__segment {
	uint32_t number;
	uint64_t first_seq;
	int fd;
} bpci__segment;

/* The segments of @dirfd in order, headers checked, numbering contiguous. */
int bpci__segments_list(bpci__segment **out, size_t *n, int dirfd, int writable,
			bpci_diag *diag);
void bpci__segments_close(bpci__segment *s, size_t n);
const char *bpci__segment_name(uint32_t number, char buf[32]);

/* One framed record read from a file. */
typedef enum bpci__rec_status {
	REC_OK = 0,
	REC_END,        /* clean end of file */
	REC_SHORT,      /* header or payload runs past the end */
	REC_BADLEN,     /* length 0 or above the maximum */
	REC_BADCRC
} bpci__rec_status;
/* Reads the record at @off of a file of @fsize bytes into *buf (grown). */
bpci__rec_status bpci__record_read(int fd, uint64_t off, uint64_t fsize, uint32_t max,
				   uint8_t **buf, size_t *cap, uint32_t *len, int *err);
/* Sequential reading of records through a large buffer (one read per
 * megabyte rather than two per record): verify and rescans. */
typedef struct bpci__reader {
	int fd;
	uint64_t fsize, base;
	uint8_t *buf;
	size_t cap, len;
} bpci__reader;
void bpci__reader_init(bpci__reader *r, int fd, uint64_t fsize);
void bpci__reader_free(bpci__reader *r);
/* The record at @off; *payload points into the reader's buffer until the
 * next call. Same statuses as bpci__record_read(). */
bpci__rec_status bpci__reader_next(bpci__reader *r, uint64_t off, uint32_t max,
				   const uint8_t **payload, uint32_t *len, int *err);

/* Whether bytes [off, fsize) of @fd are all zero (a torn tail after power
 * loss may be zeros). */
int bpci__tail_is_zero(int fd, uint64_t off, uint64_t fsize);

/* ---- holes a power loss leaves (ledger_hole.c, which has the argument) ---- */
#define BPCI__BOUND_DEFAULT 256u /* a ledger without a batch-bound file */
#define BPCI__BOUND_START 1u     /* what a writable open records */

/* The "batch-bound" file: no batch larger than *bound entries was written
 * since the last segment was last synced by an open. Missing: the default,
 * *recorded 0; damaged: 0 (no cut is allowed). */
int bpci__bound_read(int dirfd, unsigned *bound, int *recorded);
/* Replaces it durably (temporary file, fsync, rename, directory fsync). */
int bpci__bound_write(int dirfd, unsigned bound);

/* A damaged record at the end of the log and what a cut there removes. */
typedef struct bpci__hole {
	uint64_t seq;          /* the damaged record's entry: entries kept */
	uint64_t off, fsize;   /* bytes [off, fsize) of its segment go */
	uint64_t last_seq;     /* the last complete entry found after it (or seq) */
	uint64_t entries;      /* last_seq - seq + 1 */
	uint64_t ckpt_size;    /* the largest checkpoint's tree size */
	uint64_t snap_size;    /* the largest snapshot's tree size ... */
	char snap_name[80];    /* ... and its name */
	unsigned bound;        /* the writer's batch bound */
	int cuttable;          /* the rule allows the cut; else why says why not */
	char why[240];
} bpci__hole;

/* Judges the damaged record of entry @seq at @off of the last segment @fd
 * (@fsize bytes) of the ledger in @dirfd; @claimed: entries the index or
 * the tree cache hold. 0, BPCI_EIO, BPCI_ENOMEM. */
int bpci__hole_judge(bpci__hole *h, int dirfd, int fd, uint64_t seq, uint64_t off,
		     uint64_t fsize, uint64_t claimed);
/* The highest seq of a complete canonical entry in bytes [from, fsize) of
 * @fd, resynchronizing on the framing; stops once one above @stop is seen. */
int bpci__hole_scan(int fd, uint64_t from, uint64_t fsize, uint64_t stop, uint64_t *max,
		    int *found);
/* Copies bytes [off, fsize) of @fd to "<segname>.torn-<off>" in @dirfd
 * (synced) and names it in @side, unless they are all zeros (side ""). */
int bpci__hole_keep(int dirfd, const char *segname, int fd, uint64_t off, uint64_t fsize,
		    char *side, size_t cap);

/* ---- the writer lanes (ledger_writer.c) ---- */
#define BPCI__LANES 2 /* batches that may be syncing at once */

typedef struct bpci__lane {
	struct bpci_ledger *l;
	pthread_t thread;
	bpci__merkle_hasher hash;
	uint8_t *leaves;     /* the batch's leaf hashes */
	uint64_t *offs;      /* and its records' offsets */
	size_t cap;          /* entries the two hold */
} bpci__lane;

/* Starts the lanes (mu held). 0 or BPCI_ENOMEM. */
int bpci__ledger_writer_start(struct bpci_ledger *l);
/* Waits, without mu, until the entries before @last (in batch @gen) are
 * durable (0) or the handle broke (its error). */
int bpci__ledger_wait_durable(struct bpci_ledger *l, uint64_t gen, uint64_t last);

/* ---- the handle ---- */
struct bpci_ledger {
	char *path;
	int dirfd, lockfd, idxfd, ckptfd;
	unsigned int flags;
	char *origin, *actor;
	unsigned int batch_max, delay_ms, ckpt_interval;
	unsigned int bound;        /* the batch-bound file's value; write turn only */
	uint64_t claimed;          /* entries level 0 of the cache held at open */
	uint64_t segment_bytes;

	pthread_mutex_t mu;
	/* cv_work: free writer lanes wait there for entries (and while they
	 * gather company); cv_order: a lane whose batch is synced waits there
	 * for the earlier batch; cv_idle: a batch ended; cv_space: appenders
	 * wait there for room in the pending batch. */
	pthread_cond_t cv_work, cv_order, cv_idle, cv_space;
	uint64_t pend_gen;         /* number of the batch now pending */
	uint64_t done_gen;         /* batches ended (published or failed) */

	/* Guarded by mu for readers. The lane with the write turn alone
	 * appends to segs and changes seg_size; the lane whose turn it is to
	 * finish alone extends tree; both publish under mu. */
	bpci__segment *segs;
	size_t nsegs, segcap;
	uint64_t seg_size;   /* bytes in the last segment */
	uint64_t size;       /* durable entries */
	bpci__tree tree;           /* the writers' (and load's) view */
	bpci__tree rtree;          /* readers' view, under mu; size = size */
	bpci__merkle_hasher rhash; /* for readers, under mu */
	bpci__merkle_hasher lhash; /* load's and catch-up's */

	/* group commit, under mu */
	uint64_t next_seq;
	uint8_t *pend, *spare;     /* spare: a written batch's buffer, for reuse */
	size_t pend_len, pend_cap, pend_count, spare_cap;
	int broken;
	int writing;               /* a lane has the write turn */
	unsigned int busy;         /* batches taken and not yet ended */
	size_t overlap_min;        /* pending entries worth a second flush */
	atomic_uint arriving;      /* threads on their way to mu */
	char stamp[BPCI__TIME_LEN + 1]; /* entry time text of stamp_sec */
	time_t stamp_sec;
	int stamp_valid;

	/* The writer lanes, started by the first append, stopped by free. */
	bpci__lane lanes[BPCI__LANES];
	pid_t writer_pid;          /* the process that started them */
	int writer_started, writer_stop, writer_gathering;
	/* Published without mu so that a finished batch releases its
	 * appenders without each of them taking mu again: durable mirrors
	 * size, failed mirrors broken, and done_word[g & 1] (a futex word)
	 * changes when batch g ends or the handle breaks. relay[g & 1]: the
	 * first appender of batch g to wake must wake the others. */
	_Atomic uint64_t durable;
	atomic_int failed;
	atomic_uint done_word[2];
	atomic_int relay[2];

	/* checkpoints, under mu */
	EVP_PKEY *key;
	uint8_t pub[32], keyid[4];
	uint64_t ckpt_count, ckpt_end, last_size;
	uint8_t last_root[LHASH];
	char *last_note;
	time_t last_ckpt_time;

	bpci_ledger_stats stats;
};

/* Lets the writer thread (if started) write what is pending, stops it
 * and waits for it. bpci_ledger_free() only. Returns 1 in a process
 * forked after the thread started (which has no thread and whose
 * synchronization objects must be left alone), else 0. */
int bpci__ledger_writer_stop(bpci_ledger *l);

/* Builds the state of an opened directory: segments, tail repair, index
 * and tree catch-up. Under mu (or before the handle is shared). */
int bpci__ledger_load(bpci_ledger *l, bpci_diag *diag);
int bpci__ledger_catch_up(bpci_ledger *l, uint64_t from, bpci_diag *diag);
/* Reads entry @seq under mu into *buf. */
int bpci__ledger_read_locked(bpci_ledger *l, uint64_t seq, uint8_t **buf, size_t *cap,
			     uint32_t *len, bpci_diag *diag);

/* The FORMAT file: BPCI_EUNSUPPORTED for a newer version; *origin is
 * bpci__malloc'd. */
int bpci__format_read(int dirfd, char **origin, bpci_diag *diag);

/* keys and notes */
/* The public key of the ledger in @dirfd: key.pem, else key.pub. */
int bpci__key_read_public(int dirfd, uint8_t pub[32]);
int bpci__key_load_or_create(bpci_ledger *l, bpci_diag *diag);
int bpci__key_public(EVP_PKEY *key, uint8_t pub[32]);
void bpci__key_id(uint8_t id[4], const char *name, const uint8_t pub[32]);
char *bpci__vkey_format(const char *name, const uint8_t pub[32]);
int bpci__vkey_parse(char **name, uint8_t pub[32], uint8_t id[4], const char *vkey);
int bpci__note_sign(char **note, EVP_PKEY *key, const char *name, const uint8_t pub[32],
		    const char *origin, uint64_t size, const uint8_t root[LHASH]);
/* Parses and verifies; @origin (may be NULL) receives the origin line. */
int bpci__note_verify(uint64_t *size, uint8_t root[LHASH], char **origin, const char *note,
		      size_t len, const char *vname, const uint8_t pub[32],
		      const uint8_t id[4], char *why, size_t whylen);

/* checkpoints */
int bpci__ckpt_load(bpci_ledger *l, bpci_diag *diag);
int bpci__ckpt_sign_locked(bpci_ledger *l, char **note, bpci_diag *diag);

#endif
