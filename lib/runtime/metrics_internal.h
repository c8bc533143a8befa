/*
 * Internal to the metrics files: the output buffer, names, escaping and the
 * registry's layout shared by metrics.c and metrics_render.c.
 */
#ifndef BPCI_LIB_RUNTIME_METRICS_INTERNAL_H
#define BPCI_LIB_RUNTIME_METRICS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/metrics.h"

/* A growing text buffer; after an allocation failure it only records oom. */
typedef struct bpci__mbuf {
	char *p;
	size_t len, cap;
	int oom;
} bpci__mbuf;

void bpci__mbuf_put(bpci__mbuf *b, const char *s, size_t n);
void bpci__mbuf_puts(bpci__mbuf *b, const char *s);
/* Appends @s escaped for a HELP line (\\ and \n). */
void bpci__mbuf_help(bpci__mbuf *b, const char *s);
/* Appends @s escaped for a label value (\\, \" and \n). */
void bpci__mbuf_label_value(bpci__mbuf *b, const char *s);
void bpci__mbuf_double(bpci__mbuf *b, double v);

/* 1 if @s is valid UTF-8 (no overlongs, surrogates or values > U+10FFFF). */
int bpci__utf8_valid(const char *s);

/*
 * Validates @labels of a series of @metric and renders them as
 * `a="x",b="y"` (no braces; "" for none) into a new string *@out.
 * @histogram reserves "le". On BPCI_EINVAL, @err gets the message.
 */
int bpci__metrics_label_text(char **out, const char *metric, int histogram,
			     const bpci__metrics_label *labels, size_t n,
			     char *err, size_t errsz);

/*
 * Collects a NULL-terminated name, value, ... list of at most
 * BPCI__METRICS_MAX_LABELS pairs into @l; BPCI_EINVAL with @err when the
 * list is longer or a name has no value.
 */
#define BPCI__METRICS_MAX_LABELS 32
int bpci__metrics_va_labels(bpci__metrics_label *l, size_t *n, const char *metric,
			    va_list ap, char *err, size_t errsz);

/* A series of an owned family. */
struct bpci__metric {
	struct bpci__mfamily *fam;
	char *labels;            /* rendered label set, the sort key */
	int has_value;
	double value;            /* counter/gauge value; histogram sum */
	uint64_t *buckets;       /* histogram: per-bound counts (not cumulative) */
	uint64_t count;          /* histogram observations */
};

typedef struct bpci__mfamily {
	char *name, *help;
	bpci__metric_type type;
	char **label_names;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	bpci__metric **series;   /* sorted by labels */
	size_t nseries, cap;
	bpci__metrics_collect_cb collect; /* non-NULL: a collected family */
	void *payload;
} bpci__mfamily;

struct bpci__metrics {
	bpci__mfamily **fams;    /* sorted by name */
	size_t nfams, cap;
	char errmsg[512];
};

/* Sets @reg's message; returns @code. */
int bpci__metrics_fail(bpci__metrics *reg, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
