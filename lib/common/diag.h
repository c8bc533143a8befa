/*
 * Internal side of the diagnostics channel (public side: bpci/error.h).
 *
 * A bpci_diag holds a "context": the source, line, column and field prefix
 * that entries added through bpci__diag_add() inherit. Parsers set it while
 * they walk a document so that a setter deep below, which knows only the
 * field name, still produces "config.yaml:14:7: node_types.storage.x ...".
 */
#ifndef BPCI_LIB_COMMON_DIAG_H
#define BPCI_LIB_COMMON_DIAG_H

#include <stdarg.h>

#include "bpci/error.h"

typedef struct bpci__diag_ctx {
	const char *source;   /* borrowed; NULL keeps none */
	unsigned int line, column;
	const char *prefix;   /* borrowed field prefix, NULL or "" for none */
} bpci__diag_ctx;

/*
 * Adds an entry using the current context; @field is joined to the
 * context's prefix ("a.b" + "c" -> "a.b.c", "a" + "[2]" -> "a[2]").
 * Returns @code so that callers can `return bpci__diag_add(...)`.
 * A NULL @diag records nothing. On allocation failure the entry is lost
 * (the code is still returned): a diagnostic must never turn one error
 * into another.
 */
int bpci__diag_add(bpci_diag *diag, bpci_severity sev, int code,
		   const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int bpci__diag_vadd(bpci_diag *diag, bpci_severity sev, int code,
		    const char *field, const char *fmt, va_list ap);

/* Same, with an explicit location that overrides the context's. */
int bpci__diag_add_at(bpci_diag *diag, bpci_severity sev, int code,
		      const char *source, unsigned int line, unsigned int column,
		      const char *field, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* Replace the context and return the previous one (restore it after). The
 * strings are borrowed: they must outlive their use as context. */
bpci__diag_ctx bpci__diag_set_ctx(bpci_diag *diag, bpci__diag_ctx ctx);

/*
 * For entries from index @from on that have no line yet, ask @locate for
 * the location of their field path and fill it in. Used after whole-object
 * validation, which knows fields but not where they were written.
 */
typedef int (*bpci__diag_locate_cb)(const char *field, unsigned int *line,
				    unsigned int *column, void *payload);
void bpci__diag_locate(bpci_diag *diag, size_t from, const char *source,
		       bpci__diag_locate_cb locate, void *payload);

/* Promote warnings from index @from on to errors with @code (strict mode). */
void bpci__diag_promote(bpci_diag *diag, size_t from, int code);

#endif
