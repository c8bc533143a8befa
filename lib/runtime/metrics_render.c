/*
 * Rendering of the exposition text: owned families from their stored
 * series, collected families from what their callback emits now.
 */
#include "runtime/metrics_internal.h"

#include <math.h> /* isnan, isinf: macros */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

typedef struct sample {
	char *labels;
	double value;
} sample;

struct bpci__metrics_emitter {
	const bpci__mfamily *fam;
	sample *s;
	size_t n, cap;
	int err;
	char *errbuf;
	size_t errsz;
};

static int emit_fail(bpci__metrics_emitter *em, int code)
{
	if (!em->err)
		em->err = code;
	return code;
}

int bpci__metrics_emitv(bpci__metrics_emitter *em, double value,
			const bpci__metrics_label *labels, size_t nlabels)
{
	char num[BPCI__METRICS_NUM_MAX], *text;
	int rc;

	if (em->err)
		return em->err;
	if (isnan(value) || (em->fam->type == BPCI__METRIC_COUNTER && (value < 0 || isinf(value)))) {
		bpci__metrics_format_double(num, value);
		snprintf(em->errbuf, em->errsz, "%s: value %s is not allowed (%s)", em->fam->name,
			 num, em->fam->type == BPCI__METRIC_COUNTER
			 ? "a counter is finite and >= 0" : "NaN is not a measurement");
		return emit_fail(em, BPCI_EINVAL);
	}
	rc = bpci__metrics_label_text(&text, em->fam->name, 0, labels, nlabels, em->errbuf,
				      em->errsz);
	if (rc != 0)
		return emit_fail(em, rc);
	if (bpci__grow((void **)&em->s, &em->cap, em->n + 1, sizeof(*em->s)) != 0) {
		bpci__free(text);
		snprintf(em->errbuf, em->errsz, "out of memory");
		return emit_fail(em, BPCI_ENOMEM);
	}
	em->s[em->n].labels = text;
	em->s[em->n].value = value;
	em->n++;
	return 0;
}

int bpci__metrics_emit(bpci__metrics_emitter *em, double value, ...)
{
	bpci__metrics_label l[BPCI__METRICS_MAX_LABELS];
	size_t n;
	va_list ap;
	int rc;

	if (em->err)
		return em->err;
	va_start(ap, value);
	rc = bpci__metrics_va_labels(l, &n, em->fam->name, ap, em->errbuf, em->errsz);
	va_end(ap);
	if (rc != 0)
		return emit_fail(em, rc);
	return bpci__metrics_emitv(em, value, l, n);
}

static void put_header(bpci__mbuf *b, const bpci__mfamily *f)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};

	if (f->help[0]) {
		bpci__mbuf_puts(b, "# HELP ");
		bpci__mbuf_puts(b, f->name);
		bpci__mbuf_puts(b, " ");
		bpci__mbuf_help(b, f->help);
		bpci__mbuf_puts(b, "\n");
	}
	bpci__mbuf_puts(b, "# TYPE ");
	bpci__mbuf_puts(b, f->name);
	bpci__mbuf_puts(b, " ");
	bpci__mbuf_puts(b, types[f->type]);
	bpci__mbuf_puts(b, "\n");
}

/* name[suffix]{labels[,extra]} value */
static void put_sample(bpci__mbuf *b, const char *name, const char *suffix, const char *labels,
		       const char *extra, double value)
{
	bpci__mbuf_puts(b, name);
	bpci__mbuf_puts(b, suffix);
	if (labels[0] || extra) {
		bpci__mbuf_puts(b, "{");
		bpci__mbuf_puts(b, labels);
		if (labels[0] && extra)
			bpci__mbuf_puts(b, ",");
		if (extra)
			bpci__mbuf_puts(b, extra);
		bpci__mbuf_puts(b, "}");
	}
	bpci__mbuf_puts(b, " ");
	bpci__mbuf_double(b, value);
	bpci__mbuf_puts(b, "\n");
}

static void put_histogram(bpci__mbuf *b, const bpci__mfamily *f, const bpci__metric *m)
{
	char le[BPCI__METRICS_NUM_MAX + 8], num[BPCI__METRICS_NUM_MAX];
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i < f->nbounds; i++) {
		cum += m->buckets[i];
		bpci__metrics_format_double(num, f->bounds[i]);
		snprintf(le, sizeof(le), "le=\"%s\"", num);
		put_sample(b, f->name, "_bucket", m->labels, le, (double)cum);
	}
	put_sample(b, f->name, "_bucket", m->labels, "le=\"+Inf\"", (double)m->count);
	put_sample(b, f->name, "_sum", m->labels, NULL, m->value);
	put_sample(b, f->name, "_count", m->labels, NULL, (double)m->count);
}

static void render_owned(bpci__mbuf *b, const bpci__mfamily *f)
{
	size_t i, present = 0;

	for (i = 0; i < f->nseries; i++)
		present += f->series[i]->has_value != 0;
	if (!present)
		return;
	put_header(b, f);
	for (i = 0; i < f->nseries; i++) {
		const bpci__metric *m = f->series[i];

		if (!m->has_value)
			continue;
		if (f->type == BPCI__METRIC_HISTOGRAM)
			put_histogram(b, f, m);
		else
			put_sample(b, f->name, "", m->labels, NULL, m->value);
	}
}

static int cmp_sample(const void *a, const void *b)
{
	return strcmp(((const sample *)a)->labels, ((const sample *)b)->labels);
}

static int render_collected(bpci__mbuf *b, bpci__metrics *reg, const bpci__mfamily *f)
{
	bpci__metrics_emitter em = {f, NULL, 0, 0, 0, reg->errmsg, sizeof(reg->errmsg)};
	size_t i;
	int rc = f->collect(&em, f->payload);

	if (rc != 0 && !em.err)
		bpci__metrics_fail(reg, rc, "%s: the collector failed (%d)", f->name, rc);
	if (rc == 0)
		rc = em.err;
	if (rc == 0 && em.n) {
		qsort(em.s, em.n, sizeof(*em.s), cmp_sample);
		for (i = 1; i < em.n && rc == 0; i++)
			if (strcmp(em.s[i - 1].labels, em.s[i].labels) == 0)
				rc = bpci__metrics_fail(reg, BPCI_EINVAL, "%s: the series {%s} "
							"was emitted twice", f->name,
							em.s[i].labels);
		if (rc == 0)
			put_header(b, f);
		for (i = 0; rc == 0 && i < em.n; i++)
			put_sample(b, f->name, "", em.s[i].labels, NULL, em.s[i].value);
	}
	for (i = 0; i < em.n; i++)
		bpci__free(em.s[i].labels);
	bpci__free(em.s);
	return rc;
}

int bpci__metrics_render(char **out, size_t *len, bpci__metrics *reg)
{
	bpci__mbuf b = {0};
	size_t i;
	int rc = 0;

	*out = NULL;
	*len = 0;
	reg->errmsg[0] = '\0';
	for (i = 0; rc == 0 && i < reg->nfams; i++) {
		if (reg->fams[i]->collect)
			rc = render_collected(&b, reg, reg->fams[i]);
		else
			render_owned(&b, reg->fams[i]);
	}
	if (rc == 0 && !b.p)
		bpci__mbuf_put(&b, "", 0);
	if (rc == 0 && b.oom)
		rc = bpci__metrics_fail(reg, BPCI_ENOMEM, "out of memory");
	if (rc != 0) {
		bpci__free(b.p);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int bpci__metrics_render_collectors(char **out, size_t *len,
				    const bpci__metrics_collector *c, size_t n,
				    bpci_diag *diag)
{
	bpci__metrics *reg;
	size_t i;
	int rc;

	*out = NULL;
	*len = 0;
	if (bpci__metrics_new(&reg) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOMEM, NULL,
				      "out of memory");
	rc = 0;
	for (i = 0; rc == 0 && i < n; i++)
		rc = bpci__metrics_add_collector(reg, &c[i]);
	if (rc == 0)
		rc = bpci__metrics_render(out, len, reg);
	if (rc != 0)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, NULL, "%s", reg->errmsg);
	bpci__metrics_free(reg);
	return rc;
}
