/*
 * Internal: a small metrics registry and a writer of the Prometheus text
 * exposition format, version 0.0.4 (Content-Type:
 * "text/plain; version=0.0.4; charset=utf-8").
 *
 * Two kinds of family:
 * - Owned families: counters, gauges and histograms whose series live in
 *   the registry and are updated through bpci__metric handles as events
 *   happen (restarts, audit events, startup latencies).
 * - Collected families: gauges or counters with no stored state; a callback
 *   emits their samples when the text is rendered, so values measured at
 *   scrape time (procstat of every node) are never stale copies. They can be
 *   rendered with a registry or without one (bpci__metrics_render_collectors).
 *
 * "A metric is measured or absent, never invented": a gauge has no sample
 * until it is set and loses it again on bpci__metric_clear(); a family with
 * no sample is left out of the text entirely (no HELP/TYPE either). NaN is
 * refused as a value: an unmeasurable quantity is a missing sample, not a
 * sample of NaN. Counters and histograms start at zero, which is a
 * measurement: nothing has been counted since the registry was created.
 *
 * Output is stable: families sorted by name (byte order), series of a
 * family sorted by their rendered label set, histogram buckets ascending.
 *
 * Errors: functions return 0 or a negative BPCI_E* code; the registry keeps
 * a message naming the metric, the label or the value and what is allowed
 * (bpci__metrics_errmsg). Names: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label
 * [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved by
 * Prometheus); label values and help texts are any valid UTF-8.
 *
 * Thread-safety: a registry and its handles are not synchronised; use them
 * from one thread (the coordinator's event loop) or lock around them.
 *
 * Scrape-time use, e.g. in the coordinator (names from metric_names.h):
 *
 *	static int collect_rss(bpci__metrics_emitter *em, void *payload)
 *	{
 *		coordinator *c = payload;   // samples: one procstat_sample_many()
 *		for (size_t i = 0; i < c->n; i++)
 *			if (c->stat[i].present & BPCI__PS_RSS)   // absent: no sample
 *				bpci__metrics_emit(em, (double)c->stat[i].rss_bytes,
 *						   "node_id", c->id[i], "node_type", c->type[i], NULL);
 *		return 0;
 *	}
 *	bpci__metrics_collector col = {*bpci__metric_def(BPCI__MID_NODE_MEMORY_USAGE_BYTES),
 *				       collect_rss, c};
 *	bpci__metrics_add_collector(reg, &col);   // once; render on every GET /metrics
 */
#ifndef BPCI_LIB_RUNTIME_METRICS_H
#define BPCI_LIB_RUNTIME_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bpci/error.h"

#if defined(__GNUC__)
#define BPCI__SENTINEL __attribute__((sentinel))
#else
#define BPCI__SENTINEL
#endif

typedef enum bpci__metric_type {
	BPCI__METRIC_COUNTER,
	BPCI__METRIC_GAUGE,
	BPCI__METRIC_HISTOGRAM
} bpci__metric_type;

/* A family: its name, help text and type (see metric_names.h). */
typedef struct bpci__metrics_def {
	const char *name;
	const char *help;
	bpci__metric_type type;
} bpci__metrics_def;

typedef struct bpci__metrics_label {
	const char *name;
	const char *value;
} bpci__metrics_label;

typedef struct bpci__metrics bpci__metrics;  /* a registry */
typedef struct bpci__metric bpci__metric;    /* one series of an owned family */

/* Collected families. */
typedef struct bpci__metrics_emitter bpci__metrics_emitter;
/*
 * Called at render time to emit the samples of one family through
 * bpci__metrics_emit*(). A non-zero return aborts the rendering and is
 * handed back by the render function. Emitting nothing leaves the family out.
 */
typedef int (*bpci__metrics_collect_cb)(bpci__metrics_emitter *em, void *payload);

typedef struct bpci__metrics_collector {
	bpci__metrics_def def;            /* COUNTER or GAUGE */
	bpci__metrics_collect_cb collect;
	void *payload;
} bpci__metrics_collector;

/* New empty registry into *@out. Returns 0 or BPCI_ENOMEM. */
int bpci__metrics_new(bpci__metrics **out);
/* Frees the registry and every handle it gave out; NULL is a no-op. */
void bpci__metrics_free(bpci__metrics *reg);
/* Message of the last failed call on @reg ("" if none); borrowed, valid
 * until the next call. */
const char *bpci__metrics_errmsg(const bpci__metrics *reg);

/*
 * Get or create the series of a counter or gauge family with the label
 * pairs given as name, value, ..., NULL. The first call creates the family;
 * later calls must agree on type, help and label names (in order) and get
 * the existing handle back for the same label values. The handle (*@out) is
 * borrowed from the registry and valid until bpci__metrics_free().
 * Returns 0, BPCI_EINVAL (bad name, label or value, odd pair list, or a
 * conflict with an existing family), BPCI_ENOMEM.
 */
int bpci__metrics_counter(bpci__metric **out, bpci__metrics *reg, const char *name,
			  const char *help, ...) BPCI__SENTINEL;
int bpci__metrics_gauge(bpci__metric **out, bpci__metrics *reg, const char *name,
			const char *help, ...) BPCI__SENTINEL;
/*
 * The same for a histogram with the upper bounds @bounds[0..@nbounds)
 * (finite, strictly increasing; "+Inf" is implicit). Every series of a
 * family has the same bounds. The label name "le" is reserved.
 */
int bpci__metrics_histogram(bpci__metric **out, bpci__metrics *reg, const char *name,
			    const char *help, const double *bounds, size_t nbounds,
			    ...) BPCI__SENTINEL;
/* Array form of the three above; @bounds only for histograms. */
int bpci__metrics_series(bpci__metric **out, bpci__metrics *reg, const bpci__metrics_def *def,
			 const double *bounds, size_t nbounds,
			 const bpci__metrics_label *labels, size_t nlabels);

/*
 * Updates (they leave no message: the rules are these). Counter: add
 * @v >= 0 (finite); set to @v >= 0 (a lower value
 * than before is a counter reset to Prometheus: use it to mirror a count
 * kept elsewhere). Gauge: set or add any non-NaN value (±Inf allowed).
 * Histogram: observe any non-NaN value. Returns 0 or BPCI_EINVAL (wrong
 * type for the operation, or a value outside those rules).
 */
int bpci__metric_add(bpci__metric *m, double v);
int bpci__metric_inc(bpci__metric *m);
int bpci__metric_set(bpci__metric *m, double v);
int bpci__metric_observe(bpci__metric *m, double v);
/* Makes a gauge absent again (no sample rendered). No-op for others. */
void bpci__metric_clear(bpci__metric *m);
/* Current value of a counter or gauge (a histogram's sum) into *@out.
 * Returns 0 or BPCI_ENOTFOUND for a gauge without a value. */
int bpci__metric_value(const bpci__metric *m, double *out);
/* Observation count of a histogram (0 for other types). */
uint64_t bpci__metric_count(const bpci__metric *m);

/* Adds a collected family (copied; payload borrowed). Returns 0,
 * BPCI_EINVAL (bad name or type, name taken), BPCI_ENOMEM. */
int bpci__metrics_add_collector(bpci__metrics *reg, const bpci__metrics_collector *c);

/*
 * Emits one sample of the family being collected, with label pairs given
 * as name, value, ..., NULL (or as an array). Counter values must be >= 0,
 * NaN is refused, and a label set may appear once per family. Returns 0,
 * BPCI_EINVAL or BPCI_ENOMEM; an error also fails the whole rendering.
 */
int bpci__metrics_emit(bpci__metrics_emitter *em, double value, ...) BPCI__SENTINEL;
int bpci__metrics_emitv(bpci__metrics_emitter *em, double value,
			const bpci__metrics_label *labels, size_t nlabels);

/*
 * Renders every family of @reg (collectors called now) as exposition text
 * into a new NUL-terminated buffer *@out of *@len bytes, freed by the caller
 * with bpci_free(). Returns 0, BPCI_ENOMEM, BPCI_EINVAL (a collector emitted
 * a bad sample) or a collector's own non-zero return; *@out is NULL then.
 */
int bpci__metrics_render(char **out, size_t *len, bpci__metrics *reg);

/*
 * Renders @n collected families without a registry (e.g. a node's own
 * /metrics endpoint). Same output and returns as bpci__metrics_render();
 * the message of a failure goes to @diag (may be NULL).
 */
int bpci__metrics_render_collectors(char **out, size_t *len,
				    const bpci__metrics_collector *c, size_t n,
				    bpci_diag *diag);

/*
 * Formats @v as Prometheus parses it: "NaN", "+Inf", "-Inf", whole numbers
 * below 10^17 in plain digits ("25", "-3", "123456789012", "0" for -0),
 * others in the shortest "%g" form that reads back exactly ("0.999",
 * "1e-09", "1e+17"). Always uses '.' as the
 * decimal point. @buf needs BPCI__METRICS_NUM_MAX bytes.
 */
#define BPCI__METRICS_NUM_MAX 32
void bpci__metrics_format_double(char buf[BPCI__METRICS_NUM_MAX], double v);

/* 1 if @name is a valid metric name / label name, else 0. */
int bpci__metrics_valid_metric_name(const char *name);
int bpci__metrics_valid_label_name(const char *name);

#endif
