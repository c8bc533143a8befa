/*
 * libbpci — remote ledgers: a ledger served over HTTP as a verified
 * mirror of another ledger (bpci_ledger_serve()), and a shipper that sends
 * a local ledger's entries to such a mirror in batches, remembers durably
 * how far it got, and raises an alarm when the mirror's tree diverges from
 * the local one (bpci_ledger_shipper_*).
 *
 * The wire protocol (JSON over HTTP/1.1, documented in bpci_ledger_server(3)):
 *   POST /api/ledger/entries   {"origin","from","entries":[exact bytes...],
 *                               "size","root"} -> {"size","root","checkpoint"}
 *   GET  /api/ledger/checkpoint                -> {"size","root","checkpoint"}
 *   GET  /api/ledger/entries?from=N&count=M    -> {"from","entries":[...]}
 *   GET  /api/ledger/proof/inclusion?index=&size=
 *   GET  /api/ledger/proof/consistency?from=&to=
 *   GET  /healthz
 * Roots and hashes are lowercase hex. POST needs "Authorization: Bearer".
 */
#ifndef BPCI_LEDGER_SERVER_H
#define BPCI_LEDGER_SERVER_H

#include "common.h"
#include "error.h"
#include "ledger.h"

BPCI_BEGIN_DECLS

/** Called once the server listens, with its base URL
 *  ("http://127.0.0.1:PORT"); borrowed for the call. */
typedef void (*bpci_ledger_serve_ready_cb)(const char *url, void *payload);

/** How bpci_ledger_serve() runs. Start from BPCI_LEDGER_SERVE_OPTIONS_INIT. */
typedef struct bpci_ledger_serve_options {
	unsigned int version;      /**< BPCI_LEDGER_SERVE_OPTIONS_VERSION */
	/** "HOST:PORT" (port 0 picks one); NULL gives "127.0.0.1:8090". */
	const char *listen;
	/** File holding the bearer token for POST. Created with a random
	 *  token (mode 0600) when absent. NULL: <ledger dir>/api-token. */
	const char *token_file;
	/** Largest POST body in bytes (0 gives 64 MiB). */
	size_t max_body;
	bpci_ledger_serve_ready_cb ready; /**< may be NULL */
	void *ready_payload;
} bpci_ledger_serve_options;

#define BPCI_LEDGER_SERVE_OPTIONS_VERSION 1
#define BPCI_LEDGER_SERVE_OPTIONS_INIT \
	{BPCI_LEDGER_SERVE_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL}

/**
 * bpci_ledger_serve - serve the ledger in directory @ledger_dir (created
 * when missing) as a remote mirror, in the foreground, until SIGTERM or
 * SIGINT arrives (both are handled by the loop while it runs; their
 * previous handling is restored on return).
 *
 * A batch is appended only when it starts exactly at the mirror's size,
 * its origin is the one the mirror follows (fixed by the first batch, kept
 * in the file "mirror-origin"), the mirror's tree followed by the batch's
 * leaves has the sender's root (computed before anything is written: 409
 * root_mismatch otherwise), and every entry is a canonical ledger entry
 * whose seq is its position. Should the root after appending still differ
 * (damage), the mirror marks itself diverged (file "mirror-diverged") and
 * refuses every later batch with 409.
 *
 * Returns 0 after a signal; BPCI_EINVAL (bad options); BPCI_EBUSY (the
 * address is in use, or another process holds the ledger); errors of
 * bpci_ledger_open(); BPCI_EIO; BPCI_ENOMEM. Not thread-safe with respect
 * to other users of the same ledger directory in this process.
 */
BPCI_EXTERN int bpci_ledger_serve(const char *ledger_dir, const bpci_ledger_serve_options *options,
				  bpci_diag *diag);

/** A shipper of one local ledger to one remote mirror (opaque). */
typedef struct bpci_ledger_shipper bpci_ledger_shipper;

/** How a shipper works. Start from BPCI_LEDGER_SHIPPER_OPTIONS_INIT. */
typedef struct bpci_ledger_shipper_options {
	unsigned int version;     /**< BPCI_LEDGER_SHIPPER_OPTIONS_VERSION */
	/** The mirror's base URL ("http://host:port"); the original's
	 *  audit_integration.bpi_ledger_endpoint. Required. */
	const char *endpoint;
	const char *token;        /**< bearer token; NULL for none */
	unsigned int batch;       /**< entries per POST (100; 1..10000) */
	unsigned int flush_ms;    /**< background mode: longest wait before shipping (1000) */
	unsigned int retries;     /**< retries of a failed POST within one run (3) */
	unsigned int backoff_ms;  /**< first retry delay, doubled each time (200; max 30 s) */
	long timeout_ms;          /**< per request (10000) */
} bpci_ledger_shipper_options;

#define BPCI_LEDGER_SHIPPER_OPTIONS_VERSION 1
#define BPCI_LEDGER_SHIPPER_OPTIONS_INIT \
	{BPCI_LEDGER_SHIPPER_OPTIONS_VERSION, NULL, NULL, 100, 1000, 3, 200, 10000}

/** What a shipper did (bpci_ledger_shipper_stats()). */
typedef struct bpci_ledger_ship_stats {
	unsigned int version;     /**< set by the caller: BPCI_LEDGER_SHIP_STATS_VERSION */
	uint64_t shipped;         /**< entries the mirror holds, as far as we know (durable) */
	uint64_t local_size;      /**< local size at the last run */
	uint64_t batches;         /**< batches accepted by the mirror */
	uint64_t failures;        /**< failed requests (after which it retried or gave up) */
	int diverged;             /**< 1: the mirror's tree differs; shipping stopped */
	int last_error;           /**< BPCI_E* of the last failed run, 0 after a good one */
} bpci_ledger_ship_stats;

#define BPCI_LEDGER_SHIP_STATS_VERSION 1
#define BPCI_LEDGER_SHIP_STATS_INIT {BPCI_LEDGER_SHIP_STATS_VERSION, 0, 0, 0, 0, 0, 0}

/**
 * bpci_ledger_shipper_new - a shipper of @ledger (borrowed; it must outlive
 * the shipper; writable or read-only) whose directory is @ledger_dir.
 *
 * The shipped position lives in "<ledger_dir>/ship-<8 hex>.state"
 * (the hex names the endpoint), written atomically and fsynced after every
 * accepted batch, so a new shipper resumes where the last one stopped. A
 * state that records divergence keeps the shipper stopped: delete the file
 * once an operator has dealt with it.
 *
 * Returns 0; BPCI_EINVAL (bad options: the diag names the field);
 * BPCI_EPARSE (a damaged state file); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_shipper_new(bpci_ledger_shipper **out, bpci_ledger *ledger,
					const char *ledger_dir,
					const bpci_ledger_shipper_options *options,
					bpci_diag *diag);

/**
 * bpci_ledger_shipper_run_once - ship everything pending now: learn the
 * mirror's size when unknown (GET checkpoint), check that the mirror's
 * tree is a prefix of ours, then POST batches, retrying a failed request
 * up to options.retries times with exponential backoff. After every
 * accepted batch the mirror's root at its new size must equal the local
 * root at that size.
 *
 * Divergence (the mirror holds other entries, is larger than the local
 * log, or answers with another root) raises the alarm: an error in @diag,
 * stats.diverged, the state file records it, and an "audit.divergence"
 * entry is appended when @ledger is writable. Later runs refuse at once.
 *
 * Returns 0 when the mirror holds every local entry; BPCI_EVERIFY
 * (divergence); BPCI_EUNREACHABLE (the mirror is down; entries stay
 * pending); BPCI_EINVAL (refused, e.g. a bad token); BPCI_EIO; BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_ledger_shipper_run_once(bpci_ledger_shipper *s, bpci_diag *diag);

/**
 * bpci_ledger_shipper_start - ship in a background thread: it runs
 * bpci_ledger_shipper_run_once() when bpci_ledger_shipper_notify() is
 * called and at least every flush_ms, and stops for good on divergence.
 * Appends never wait for it. Returns 0, BPCI_EBUSY (already started),
 * BPCI_ERROR (no thread).
 */
BPCI_EXTERN int bpci_ledger_shipper_start(bpci_ledger_shipper *s, bpci_diag *diag);

/** bpci_ledger_shipper_notify - tell a started shipper that entries were
 *  appended (signals its condition variable; never blocks on the network).
 *  Safe from any thread. */
BPCI_EXTERN void bpci_ledger_shipper_notify(bpci_ledger_shipper *s);

/** bpci_ledger_shipper_stats - fill @out (whose version the caller set).
 *  Safe from any thread. Returns 0 or BPCI_EINVAL. */
BPCI_EXTERN int bpci_ledger_shipper_stats(bpci_ledger_ship_stats *out,
					  bpci_ledger_shipper *s);

/** bpci_ledger_shipper_free - stop the background thread (waiting for a
 *  request in flight to end) and release the shipper. NULL is a no-op. */
BPCI_EXTERN void bpci_ledger_shipper_free(bpci_ledger_shipper *s);

BPCI_END_DECLS

#endif
