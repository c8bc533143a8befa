/*
 * libbpci — the BPI audit ledger: a durable, append-only, tamper-evident log
 * of canonical JSON events, hashed into an RFC 6962 Merkle tree (see
 * bpci/merkle.h), with Ed25519-signed checkpoints in the C2SP
 * tlog-checkpoint signed-note form, inclusion and consistency proofs, a full
 * verifier, and state snapshots for the journal of the coordinator.
 *
 * A ledger lives in one directory: a format file, append-only segment
 * files of CRC-framed records, a tree cache (one file per tree level of
 * complete-subtree hashes) and an entry index that make roots and proofs a
 * few reads in a ledger of any size, an append-only checkpoints file, the
 * signing key (PEM, mode 0600) and a snapshots/ directory. The cache and the
 * index are derived data: they are rebuilt from the segments when they are
 * missing or behind. bpci_ledger(3) documents the bytes.
 *
 * An append returns only once its entry is on disk (fsync). Appends from
 * several threads share fsyncs (group commit), and two writer threads
 * overlap them: one writes batch N+1 while the other waits for batch N's
 * fdatasync. So a power loss may leave a hole, a damaged record with
 * complete ones after it, but only where no acknowledged entry can be: in
 * the last segment, after everything the index, the tree cache, a
 * checkpoint or a snapshot covers, and within two batches of the end, a
 * batch never holding more entries than the durable file "batch-bound"
 * allowed when it was written. A writable open cuts exactly such holes,
 * keeping the bytes in segment-N.log.torn-OFFSET; older damage is bit rot
 * or tampering, refused by the open and named by bpci_ledger_verify(), and
 * bpci_ledger_repair() cuts it on the operator's word (lib/ledger/
 * ledger_hole.c has the argument, bpci_ledger(3) the rules). One process at a time may
 * open a ledger for writing (an advisory lock); any number may open it
 * read-only, also while a writer runs.
 *
 * Thread-safety: a bpci_ledger handle may be used from any number of
 * threads at once, except bpci_ledger_free(), which must be the last call.
 * The first append on a writable handle starts two writer threads (every
 * signal blocked), which bpci_ledger_free() joins; a child forked after
 * that must open the ledger itself rather than use the parent's handle.
 * bpci_ledger_verify() and bpci_ledger_checkpoint_verify() keep no state.
 */
#ifndef BPCI_LEDGER_H
#define BPCI_LEDGER_H

#include "common.h"
#include "error.h"

BPCI_BEGIN_DECLS

/** A ledger opened on a directory (opaque). */
typedef struct bpci_ledger bpci_ledger;

/** The on-disk format version this build writes and the newest it reads. */
#define BPCI_LEDGER_FORMAT_VERSION 1

/** Largest canonical entry, in bytes; bigger events fail with BPCI_ELIMIT. */
#define BPCI_LEDGER_ENTRY_MAX (1024 * 1024)

/** Flags for bpci_ledger_options.flags. */
#define BPCI_LEDGER_READONLY 0x1u /**< no lock, no writes, no repair, no key creation */
#define BPCI_LEDGER_NO_CREATE 0x2u /**< fail with BPCI_ENOTFOUND instead of creating */

/** How a ledger is opened. Start from BPCI_LEDGER_OPTIONS_INIT; NULL
 *  options mean the defaults. Zero in a numeric field means its default,
 *  except batch_max_delay_ms, where 0 means never to wait. */
typedef struct bpci_ledger_options {
	unsigned int version;             /**< BPCI_LEDGER_OPTIONS_VERSION */
	unsigned int flags;               /**< BPCI_LEDGER_READONLY, BPCI_LEDGER_NO_CREATE */
	/** Checkpoint origin line and signing key name, fixed when the ledger
	 *  is created (default "bpci.local/audit"): non-empty printable ASCII
	 *  without spaces or '+', at most 255 bytes. When given for an
	 *  existing ledger it must equal the stored one. */
	const char *origin;
	/** Actor that bpci_ledger_audit() records (default "bpci"). */
	const char *actor;
	unsigned int batch_max_entries;   /**< group commit: most entries per fsync (256; 1..65536) */
	unsigned int batch_max_delay_ms;  /**< group commit: longest wait for company (2; 0..1000) */
	uint64_t segment_bytes;           /**< roll segments at this size (64 MiB, min 4096) */
	/** Sign a checkpoint after an append when the last is this old (60);
	 *  BPCI_LEDGER_CHECKPOINT_NEVER turns automatic checkpoints off. */
	unsigned int checkpoint_interval_s;
} bpci_ledger_options;

#define BPCI_LEDGER_OPTIONS_VERSION 1
#define BPCI_LEDGER_CHECKPOINT_NEVER 0xffffffffu
#define BPCI_LEDGER_OPTIONS_INIT {BPCI_LEDGER_OPTIONS_VERSION, 0, NULL, NULL, 256, 2, 0, 60}

/**
 * One event to append. Strings are UTF-8 and borrowed for the call.
 * @type is required: a lowercase dotted identifier of at most 64 bytes
 * ("node.started", "api.request", "audit.custom"; each part [a-z][a-z0-9_]*,
 * at least two parts). @actor and @subject default to "". At most one of
 * @details_json (the text of a JSON object) and @details_text (any string)
 * may be set; with neither, details is the empty object.
 */
typedef struct bpci_ledger_event {
	unsigned int version;         /**< BPCI_LEDGER_EVENT_VERSION */
	const char *type;
	const char *actor;
	const char *subject;
	const char *details_json;
	const char *details_text;
} bpci_ledger_event;

#define BPCI_LEDGER_EVENT_VERSION 1
#define BPCI_LEDGER_EVENT_INIT {BPCI_LEDGER_EVENT_VERSION, NULL, NULL, NULL, NULL, NULL}

/**
 * bpci_ledger_open - open (creating when needed) the ledger in directory @path.
 *
 * @out: receives the handle; free it with bpci_ledger_free().
 * @path: the ledger directory. A missing or empty directory becomes a new
 *        ledger (format file, Ed25519 key generated with mode 0600) unless
 *        BPCI_LEDGER_READONLY or BPCI_LEDGER_NO_CREATE is set.
 * @options: NULL for the defaults.
 * @diag: receives what was wrong; may be NULL.
 *
 * A writable open takes an exclusive advisory lock, cuts what a crash or
 * a power loss left of appends that were never acknowledged (a damaged
 * record in the last two batches of the last segment, with whatever
 * follows it; a warning in @diag says how many entries from which seq, and
 * the bytes are kept in segment-N.log.torn-OFFSET unless all zeros), syncs
 * the last segment, and brings the tree cache and index up to date from
 * the segments. Damage anywhere else is not repaired: the open fails
 * naming the record and why it is not cut, and bpci_ledger_repair() is
 * the operator's way out.
 *
 * Returns 0; BPCI_EINVAL (bad options, not a ledger directory);
 * BPCI_ENOTFOUND (no ledger and creation not allowed); BPCI_EUNSUPPORTED
 * (format newer than BPCI_LEDGER_FORMAT_VERSION; nothing is written);
 * BPCI_EBUSY (another process holds it open for writing); BPCI_EVERIFY
 * (damaged records, or a checkpoint covering more entries than exist);
 * BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_open(bpci_ledger **out, const char *path,
				 const bpci_ledger_options *options, bpci_diag *diag);

/** bpci_ledger_free - close the ledger and release the handle. Appends
 *  already acknowledged are on disk. NULL is a no-op. */
BPCI_EXTERN void bpci_ledger_free(bpci_ledger *ledger);

/** bpci_ledger_size - the number of durable entries (the next seq). */
BPCI_EXTERN uint64_t bpci_ledger_size(bpci_ledger *ledger);

/**
 * bpci_ledger_refresh - pick up entries a writer appended since a
 * read-only handle was opened (for following the log). On a writable
 * handle it does nothing. Returns 0, BPCI_EVERIFY, BPCI_EIO or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_refresh(bpci_ledger *ledger, bpci_diag *diag);

/**
 * bpci_ledger_append - append one event durably.
 *
 * @seq: receives the entry's sequence number (its leaf index); may be NULL.
 * @event: the event; validated as bpci_ledger_event describes.
 *
 * Returns only after the entry is on disk. Concurrent calls share fsyncs:
 * up to batch_max_entries entries, waiting at most batch_max_delay_ms for
 * other threads that are about to append when no write is in progress. After a failed write or fsync the
 * handle refuses further appends (BPCI_EIO): reopen it.
 *
 * Returns 0; BPCI_EINVAL (bad event; the diag names the field and value;
 * also for a read-only handle); BPCI_ELIMIT (entry over
 * BPCI_LEDGER_ENTRY_MAX); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_append(uint64_t *seq, bpci_ledger *ledger,
				   const bpci_ledger_event *event, bpci_diag *diag);

/**
 * bpci_ledger_append_many - append @n events durably with consecutive
 * sequence numbers (one batch, one fsync). Either all are validated and
 * appended, or none is appended (validation fails before any write).
 * @first_seq receives the first one's number; may be NULL. Returns as
 * bpci_ledger_append(); @n == 0 is a no-op.
 */
BPCI_EXTERN int bpci_ledger_append_many(uint64_t *first_seq, bpci_ledger *ledger,
					const bpci_ledger_event *events, size_t n,
					bpci_diag *diag);

/**
 * bpci_ledger_audit - the original audit_to_bpi(event, details): appends an
 * "audit.custom" entry with actor from the options, subject @event (any
 * non-empty string, e.g. "port_allocation") and details the string @details
 * (NULL for ""). Returns as bpci_ledger_append().
 */
BPCI_EXTERN int bpci_ledger_audit(bpci_ledger *ledger, const char *event, const char *details);

/**
 * bpci_ledger_get - entry @seq: exactly the bytes hashed into its leaf.
 *
 * @out: receives the bytes plus a terminating NUL (not counted); free with
 *       bpci_free().
 * @len: receives the length; may be NULL.
 *
 * Returns 0; BPCI_ENOTFOUND (@seq >= size); BPCI_EVERIFY (the record's
 * CRC does not match, or the index led to a record that is not entry
 * @seq: the segment or the cache is damaged); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_get(char **out, size_t *len, bpci_ledger *ledger, uint64_t seq,
				bpci_diag *diag);

/** Called once per entry by bpci_ledger_foreach(); @entry is borrowed for
 *  the call (NUL-terminated). A non-zero return stops the iteration and
 *  becomes its result. */
typedef int (*bpci_ledger_entry_cb)(uint64_t seq, const char *entry, size_t len,
				    void *payload);

/**
 * bpci_ledger_foreach - call @cb for each entry from @from up to the size
 * at the time of the call, in order. The callback may append (the handle is
 * not locked while it runs). Returns 0, the callback's non-zero value, or
 * an error of bpci_ledger_get().
 */
BPCI_EXTERN int bpci_ledger_foreach(bpci_ledger *ledger, uint64_t from, bpci_ledger_entry_cb cb,
				    void *payload);

/** The fields of one entry (bpci_ledger_entry_parse()); strings owned,
 *  released by bpci_ledger_entry_info_clear(). */
typedef struct bpci_ledger_entry_info {
	uint64_t seq;
	char *time, *type, *actor, *subject;
	char *details;   /**< the string itself when details is a string, else compact JSON */
} bpci_ledger_entry_info;

/**
 * bpci_ledger_entry_parse - split entry bytes (as bpci_ledger_get() gives
 * them) into their fields, for display. It checks the shape only; whether
 * the bytes are canonical is bpci_ledger_verify()'s business.
 * Returns 0; BPCI_EPARSE (not an entry object); BPCI_EINVAL; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_entry_parse(bpci_ledger_entry_info *out, const char *entry,
					size_t len);

/** bpci_ledger_entry_info_clear - release the strings of @info and zero it. */
BPCI_EXTERN void bpci_ledger_entry_info_clear(bpci_ledger_entry_info *info);

/** bpci_ledger_leaf_hash - the leaf hash of entry @seq, from the tree cache.
 *  Returns 0, BPCI_ENOTFOUND, BPCI_EIO. */
BPCI_EXTERN int bpci_ledger_leaf_hash(uint8_t out[32], bpci_ledger *ledger, uint64_t seq);

/**
 * bpci_ledger_root - the tree head of the first @size entries (0 gives
 * SHA-256("")), from the tree cache in O(log size) reads.
 * Returns 0; BPCI_EINVAL (@size > bpci_ledger_size()); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_root(uint8_t out[32], bpci_ledger *ledger, uint64_t size);

/**
 * bpci_ledger_inclusion_proof - PATH(@index, D[@size]) as
 * bpci_merkle_inclusion_proof() defines it (same @path/@path_len
 * convention, BPCI_EBUFS when too small), from the tree cache.
 * Returns 0; BPCI_EINVAL (@index >= @size, @size > ledger size);
 * BPCI_EBUFS; BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_inclusion_proof(uint8_t *path, size_t *path_len, bpci_ledger *ledger,
					    uint64_t index, uint64_t size);

/**
 * bpci_ledger_consistency_proof - PROOF(@size1, D[@size2]) as
 * bpci_merkle_consistency_proof() defines it, from the tree cache.
 * Returns 0; BPCI_EINVAL (@size1 == 0, @size1 > @size2, @size2 > ledger
 * size); BPCI_EBUFS; BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_consistency_proof(uint8_t *path, size_t *path_len,
					      bpci_ledger *ledger, uint64_t size1,
					      uint64_t size2);

/**
 * bpci_ledger_checkpoint - sign a checkpoint of the current tree and return
 * its note:
 *
 *     <origin>\n<size>\n<base64 root>\n\n— <origin> <base64(key id || signature)>\n
 *
 * A new checkpoint is signed only when the size grew since the latest one,
 * and only after a consistency proof from the latest to the new tree
 * verifies; otherwise the latest note is returned again.
 *
 * @note: receives the note (NUL-terminated); free with bpci_free().
 *
 * Returns 0; BPCI_EINVAL (read-only handle); BPCI_EVERIFY (the new tree is
 * not consistent with the latest checkpoint: the log was rewritten);
 * BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_checkpoint(char **note, bpci_ledger *ledger, bpci_diag *diag);

/** bpci_ledger_latest_checkpoint - the latest stored checkpoint note, without
 *  signing (works read-only). Free with bpci_free(). Returns 0,
 *  BPCI_ENOTFOUND (none yet), BPCI_ENOMEM. */
BPCI_EXTERN int bpci_ledger_latest_checkpoint(char **note, bpci_ledger *ledger);

/** bpci_ledger_checkpoint_count - how many checkpoints the handle knows
 *  (those stored when it was opened plus those it signed since). */
BPCI_EXTERN uint64_t bpci_ledger_checkpoint_count(bpci_ledger *ledger);

/**
 * bpci_ledger_public_key - the checkpoint verification key.
 *
 * @vkey: receives the signed-note verifier key
 *        "<origin>+<8 hex digits key id>+<base64(0x01 || public key)>";
 *        free with bpci_free(). May be NULL.
 * @raw: receives the 32-byte Ed25519 public key. May be NULL.
 *
 * Returns 0; BPCI_ENOTFOUND (a read-only handle on a ledger whose key
 * files it cannot read); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_public_key(char **vkey, uint8_t raw[32], bpci_ledger *ledger);

/**
 * bpci_ledger_checkpoint_verify - check a checkpoint note's Ed25519
 * signature under verifier key @vkey and return what it commits to.
 *
 * @size, @root: receive the tree size and root (each may be NULL).
 * @note: the signed note. Signature lines from other keys are ignored; one
 *        line from @vkey's name and key id must verify.
 * @vkey: a verifier key as bpci_ledger_public_key() gives it.
 *
 * Returns 0; BPCI_EPARSE (malformed note or key; the diag says which line);
 * BPCI_EVERIFY (no signature by @vkey, or it does not verify); BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_checkpoint_verify(uint64_t *size, uint8_t root[32],
					      const char *note, const char *vkey,
					      bpci_diag *diag);

/** Options of bpci_ledger_verify(); NULL means the defaults. */
typedef struct bpci_ledger_verify_options {
	unsigned int version;        /**< BPCI_LEDGER_VERIFY_OPTIONS_VERSION */
	/** Verifier key the checkpoints must be signed with; NULL uses the
	 *  ledger's own key (key.pem, or key.pub when the key is unreadable).
	 *  Give one from a trusted place: whoever can rewrite the directory can
	 *  also replace its key. */
	const char *vkey;
} bpci_ledger_verify_options;

#define BPCI_LEDGER_VERIFY_OPTIONS_VERSION 1
#define BPCI_LEDGER_VERIFY_OPTIONS_INIT {BPCI_LEDGER_VERIFY_OPTIONS_VERSION, NULL}

/** Progress of bpci_ledger_verify(): @done of @total entries checked. A
 *  non-zero return stops the verification and becomes its result. */
typedef int (*bpci_ledger_progress_cb)(uint64_t done, uint64_t total, void *payload);

/**
 * bpci_ledger_verify - check a whole ledger directory without changing it.
 *
 * Recomputes every leaf from the segments (framing, CRC, canonical JSON,
 * consecutive seq), the tree at every level against the tree cache, the
 * entry index, and every checkpoint: its framing, its signature, that its
 * root is the tree's at its size, and that it is consistent with the
 * previous one (a consistency proof verified with
 * bpci_merkle_verify_consistency()). It stops at the first problem and
 * names it in @diag: "entry 1234: CRC mismatch in segment-000000.log at
 * offset 56789", "checkpoint 3: signature does not verify". A torn record
 * at the very end that no cache or checkpoint covers (a crash before the
 * append was acknowledged) is a warning: opening the ledger cuts it. So is
 * a tree cache that lags the entries after a crash (every hash present must
 * still be right); a writable open completes it.
 *
 * With no writer, verify holds a shared lock on the ledger for its run (a
 * writable bpci_ledger_open() meanwhile fails with BPCI_EBUSY) and
 * requires every file to match exactly. While a writer has it open, verify
 * checks the prefix of entries the tree cache covered when it started, the
 * checkpoints up to that size, and says so in a warning.
 *
 * @progress: may be NULL; called every 65536 entries and at the end.
 *
 * Returns 0 when everything verifies; BPCI_EVERIFY (the first problem is
 * in @diag); BPCI_EUNSUPPORTED; BPCI_ENOTFOUND (no ledger there); BPCI_EIO;
 * BPCI_ENOMEM; or the callback's non-zero value.
 */
BPCI_EXTERN int bpci_ledger_verify(const char *path, const bpci_ledger_verify_options *options,
				   bpci_diag *diag, bpci_ledger_progress_cb progress,
				   void *payload);

/**
 * bpci_ledger_rebuild_cache - recompute the tree cache and the index from
 * the segments, replacing them (for example after verify blamed the cache).
 * Needs a writable handle; appends wait meanwhile. Returns 0; BPCI_EINVAL
 * (read-only); BPCI_EVERIFY (a segment record is damaged); BPCI_EIO;
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_rebuild_cache(bpci_ledger *ledger, bpci_diag *diag);

/** Flags of bpci_ledger_repair(). */
#define BPCI_LEDGER_REPAIR_DRY_RUN 0x1u /**< say what would be cut; change nothing */
#define BPCI_LEDGER_REPAIR_FORCE 0x2u   /**< cut even below a checkpoint or a snapshot */

/** What bpci_ledger_repair() found and did. */
typedef struct bpci_ledger_repair_report {
	unsigned int version;      /**< set by the caller: BPCI_LEDGER_REPAIR_REPORT_VERSION */
	int damaged;               /**< a damaged record was found (else nothing is cut) */
	int cut;                   /**< the cut was made (never on a dry run or a refusal) */
	int in_flight;             /**< an open would cut it itself: never acknowledged */
	uint64_t first_cut;        /**< the damaged record's entry: entries kept */
	uint64_t last_seen;        /**< the last complete entry found after it (or first_cut) */
	uint64_t bytes;            /**< bytes cut from the segments, in all */
	uint64_t offset;           /**< where the damaged record starts in @segment */
	uint64_t checkpoint_size;  /**< the largest stored checkpoint's tree size */
	uint64_t checkpoints_cut;  /**< checkpoints set aside (only with FORCE) */
	uint64_t snapshot_size;    /**< the largest snapshot's tree size */
	uint64_t snapshots_cut;    /**< snapshots set aside (only with FORCE) */
	uint64_t segments_cut;     /**< later segments set aside whole */
	int rebuilt;               /**< the tree cache and index were rebuilt */
	char segment[32];          /**< the segment holding the damaged record */
	char damage[128];          /**< what is wrong with it */
	char kept[96];             /**< side file with the damaged segment's cut bytes ("": none) */
} bpci_ledger_repair_report;

#define BPCI_LEDGER_REPAIR_REPORT_VERSION 1
#define BPCI_LEDGER_REPAIR_REPORT_INIT \
	{BPCI_LEDGER_REPAIR_REPORT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", "", ""}

/**
 * bpci_ledger_repair - cut the ledger in directory @path back to the entry
 * before its first damaged record: the operator's answer to damage that
 * bpci_ledger_open() refuses to cut (it cuts only what was never
 * acknowledged; see bpci_ledger(3), "Crashes and power loss").
 *
 * @report: receives what was found and done (its version set by the
 *          caller); may not be NULL.
 * @flags: BPCI_LEDGER_REPAIR_DRY_RUN, BPCI_LEDGER_REPAIR_FORCE.
 *
 * Every record of every segment is read; the first that is torn, fails
 * its CRC, is not a canonical entry or has the wrong seq is the cut. The
 * cut bytes are kept: the rest of that segment in
 * "segment-NNNNNN.log.torn-OFFSET", each later segment renamed to
 * "segment-NNNNNN.log.torn-0". Without BPCI_LEDGER_REPAIR_FORCE the
 * repair (not a dry run, which reports checkpoint_size and snapshot_size
 * for the caller to judge) refuses a cut below a stored checkpoint or a
 * snapshot (those
 * entries were acknowledged, and a checkpoint may have been published);
 * with it, such checkpoints move to "checkpoints.torn-OFFSET" and such
 * snapshots to "snapshots/NAME.snap.torn-SIZE". Then (also when no
 * record was damaged) the tree cache and the index are rebuilt from the
 * segments, which mends what verify blames on them. A dry run changes
 * nothing.
 *
 * Returns 0 (also when nothing was damaged: report->damaged is 0);
 * BPCI_EINVAL (bad arguments; or a cut below a checkpoint or snapshot
 * without FORCE: the diag says which); BPCI_ENOTFOUND (no ledger);
 * BPCI_EBUSY (a writer holds it open); BPCI_EUNSUPPORTED (newer format);
 * BPCI_EVERIFY (damage a cut cannot mend: a segment missing or with a bad
 * header); BPCI_EIO; BPCI_ENOMEM. Not thread-safe against other opens of
 * the same directory in this process.
 */
BPCI_EXTERN int bpci_ledger_repair(bpci_ledger_repair_report *report, const char *path,
				   unsigned int flags, bpci_diag *diag);

/**
 * bpci_ledger_snapshot_write - store @len bytes of state under @name,
 * replacing the previous snapshot of that name atomically (temporary file,
 * fsync, rename, directory fsync).
 *
 * @name: [a-z0-9_.-], 1..64 bytes, not starting with '.'.
 * @tree_size: how many entries the state reflects (<= bpci_ledger_size());
 *             on start, the state is this snapshot plus the entries from
 *             @tree_size on.
 *
 * Returns 0; BPCI_EINVAL (bad name, size, read-only handle); BPCI_EIO;
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_snapshot_write(bpci_ledger *ledger, const char *name,
					   const void *data, size_t len, uint64_t tree_size,
					   bpci_diag *diag);

/**
 * bpci_ledger_snapshot_read - the latest snapshot stored under @name.
 *
 * @data: receives the bytes (plus a NUL not counted); free with bpci_free().
 * @len, @tree_size: receive its length and covered tree size (may be NULL).
 *
 * Returns 0; BPCI_ENOTFOUND; BPCI_EINVAL (bad name); BPCI_EVERIFY (the file
 * is damaged); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_snapshot_read(void **data, size_t *len, uint64_t *tree_size,
					  bpci_ledger *ledger, const char *name,
					  bpci_diag *diag);

/** Counters of a handle since it was opened (bpci_ledger_stats_get()). */
typedef struct bpci_ledger_stats {
	unsigned int version;     /**< set by the caller: BPCI_LEDGER_STATS_VERSION */
	uint64_t appended;        /**< entries appended through this handle */
	uint64_t batches;         /**< group-commit batches written */
	uint64_t fsyncs;          /**< fsync/fdatasync calls on segment files */
	uint64_t checkpoints;     /**< checkpoints signed */
} bpci_ledger_stats;

#define BPCI_LEDGER_STATS_VERSION 1
#define BPCI_LEDGER_STATS_INIT {BPCI_LEDGER_STATS_VERSION, 0, 0, 0, 0}

/** bpci_ledger_stats_get - fill @out (whose version the caller set).
 *  Returns 0 or BPCI_EINVAL (NULL or unknown version). */
BPCI_EXTERN int bpci_ledger_stats_get(bpci_ledger_stats *out, bpci_ledger *ledger);

BPCI_END_DECLS

#endif
