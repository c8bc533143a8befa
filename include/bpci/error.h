/*
 * libbpci — error codes and the diagnostics channel.
 *
 * Every fallible function returns 0 on success or one of the negative
 * BPCI_E* codes below. Codes are few (only those a caller would handle
 * differently) and are never renumbered or removed.
 *
 * Human-readable detail travels through one channel: a bpci_diag list that
 * the caller creates and passes as the last "diag" argument (NULL when the
 * caller does not want details). Each entry carries a severity, the code,
 * the source (file name or "<string>"), line and column (1-based; 0 when
 * unknown), the field path ("node_types.storage.replication_factor") and a
 * message that says what was wrong and what would be right.
 */
#ifndef BPCI_ERROR_H
#define BPCI_ERROR_H

#include "common.h"

BPCI_BEGIN_DECLS

/** Error codes. Always negative; 0 is success. */
typedef enum bpci_error_code {
	BPCI_OK = 0,
	BPCI_ERROR = -1,       /**< generic failure: see the diagnostics */
	BPCI_ENOMEM = -2,      /**< out of memory */
	BPCI_EINVAL = -3,      /**< a value or argument is not allowed */
	BPCI_EPARSE = -4,      /**< input text is malformed (YAML, JSON, ...) */
	BPCI_ENOTFOUND = -5,   /**< no such object, field or file */
	BPCI_EEXISTS = -6,     /**< the object already exists */
	BPCI_EIO = -7,         /**< an operating-system call failed (errno kept) */
	BPCI_ELIMIT = -8,      /**< input exceeds a size, depth or count limit */
	BPCI_EBUFS = -9,       /**< the caller's buffer is too small */
	BPCI_EUNREACHABLE = -10, /**< a daemon or remote endpoint cannot be reached */
	BPCI_EVERIFY = -11,    /**< a proof, signature or checksum does not verify */
	BPCI_EBUSY = -12,      /**< the resource is in use by someone else */
	BPCI_EUNSUPPORTED = -13 /**< a format version or feature this build does not know */
} bpci_error_code;

/**
 * bpci_strerror - a short static description of an error code.
 *
 * @code: a BPCI_E* code (or 0).
 *
 * Returns a string that is never NULL and never to be freed; unknown codes
 * give "unknown error". Thread-safe.
 */
BPCI_EXTERN const char *bpci_strerror(int code);

/** How bad a diagnostic is. A warning never makes a call fail, except
 *  where a function documents a "strict" flag that promotes warnings. */
typedef enum bpci_severity {
	BPCI_SEVERITY_ERROR = 0,
	BPCI_SEVERITY_WARNING = 1
} bpci_severity;

/** One diagnostic. All pointers are borrowed from the bpci_diag that holds
 *  the entry and stay valid until bpci_diag_clear() or bpci_diag_free(). */
typedef struct bpci_diag_entry {
	bpci_severity severity;
	int code;              /**< the BPCI_E* code */
	const char *source;    /**< file name, "<string>", or "" when none */
	unsigned int line;     /**< 1-based; 0 when unknown */
	unsigned int column;   /**< 1-based; 0 when unknown */
	const char *field;     /**< field path, or "" when none */
	const char *message;   /**< what was wrong and what is allowed */
	const char *text;      /**< the whole line: "file:L:C: field message" */
} bpci_diag_entry;

/** A list of diagnostics (opaque). Not thread-safe: one thread at a time. */
typedef struct bpci_diag bpci_diag;

/**
 * bpci_diag_new - create an empty diagnostics list.
 *
 * @out: receives the list; free it with bpci_diag_free().
 *
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_diag_new(bpci_diag **out);

/** bpci_diag_free - free a list and its entries. NULL is a no-op. */
BPCI_EXTERN void bpci_diag_free(bpci_diag *diag);

/** bpci_diag_clear - drop every entry; the list can be reused. */
BPCI_EXTERN void bpci_diag_clear(bpci_diag *diag);

/** bpci_diag_count - number of entries (errors and warnings). NULL gives 0. */
BPCI_EXTERN size_t bpci_diag_count(const bpci_diag *diag);

/** bpci_diag_error_count - number of entries of severity BPCI_SEVERITY_ERROR. */
BPCI_EXTERN size_t bpci_diag_error_count(const bpci_diag *diag);

/**
 * bpci_diag_get - the entry at @index (0 is the oldest).
 *
 * Returns a borrowed pointer, or NULL when @index is out of range.
 */
BPCI_EXTERN const bpci_diag_entry *bpci_diag_get(const bpci_diag *diag, size_t index);

/**
 * bpci_diag_last_text - the text of the newest error (or, when there is no
 * error, the newest warning); "" when the list is empty or NULL. Borrowed.
 */
BPCI_EXTERN const char *bpci_diag_last_text(const bpci_diag *diag);

BPCI_END_DECLS

#endif
