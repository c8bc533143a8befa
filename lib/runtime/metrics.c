/*
 * The metrics registry: families kept sorted by name, series of a family
 * kept sorted by label set, so that lookups are binary searches and
 * rendering needs no sorting of owned families.
 */
#include "runtime/metrics_internal.h"

#include <math.h> /* isnan, isinf: macros */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"

static const char *const type_names[] = {"counter", "gauge", "histogram"};

int bpci__metrics_fail(bpci__metrics *reg, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reg->errmsg, sizeof(reg->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

int bpci__metrics_new(bpci__metrics **out)
{
	*out = bpci__calloc(1, sizeof(**out));
	return *out ? 0 : BPCI_ENOMEM;
}

static void series_free(bpci__metric *m)
{
	if (!m)
		return;
	bpci__free(m->labels);
	bpci__free(m->buckets);
	bpci__free(m);
}

static void family_free(bpci__mfamily *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nseries; i++)
		series_free(f->series[i]);
	for (i = 0; i < f->nlabels; i++)
		bpci__free(f->label_names[i]);
	bpci__free(f->series);
	bpci__free(f->label_names);
	bpci__free(f->bounds);
	bpci__free(f->name);
	bpci__free(f->help);
	bpci__free(f);
}

void bpci__metrics_free(bpci__metrics *reg)
{
	size_t i;

	if (!reg)
		return;
	for (i = 0; i < reg->nfams; i++)
		family_free(reg->fams[i]);
	bpci__free(reg->fams);
	bpci__free(reg);
}

const char *bpci__metrics_errmsg(const bpci__metrics *reg)
{
	return reg->errmsg;
}

/* Index of the family @name, or where it would go (*found = 0). */
static size_t family_pos(const bpci__metrics *reg, const char *name, int *found)
{
	size_t lo = 0, hi = reg->nfams;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(reg->fams[mid]->name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int ends_with(const char *s, const char *base, const char *suffix)
{
	size_t n = strlen(base);

	return strncmp(s, base, n) == 0 && strcmp(s + n, suffix) == 0;
}

/* A histogram "h" writes h_bucket, h_sum and h_count: no other family may
 * have those names, whichever was registered first. */
static const bpci__mfamily *suffix_clash(const bpci__metrics *reg, const char *name,
					 bpci__metric_type type)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	size_t i, k;

	for (i = 0; i < reg->nfams; i++) {
		const bpci__mfamily *f = reg->fams[i];

		for (k = 0; k < 3; k++)
			if ((f->type == BPCI__METRIC_HISTOGRAM && ends_with(name, f->name, sfx[k])) ||
			    (type == BPCI__METRIC_HISTOGRAM && ends_with(f->name, name, sfx[k])))
				return f;
	}
	return NULL;
}

static int check_def(bpci__metrics *reg, const bpci__metrics_def *def,
		     const double *bounds, size_t nbounds)
{
	size_t i;
	const bpci__mfamily *f;

	if (!def->name || !bpci__metrics_valid_metric_name(def->name))
		return bpci__metrics_fail(reg, BPCI_EINVAL, "metric name \"%s\" is not valid "
					  "(allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)",
					  def->name ? def->name : "(null)");
	if ((unsigned int)def->type > BPCI__METRIC_HISTOGRAM)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: unknown metric type %d",
					  def->name, (int)def->type);
	if (!def->help || !bpci__utf8_valid(def->help))
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: help text is %s", def->name,
					  def->help ? "not valid UTF-8" : "missing");
	for (i = 0; def->type == BPCI__METRIC_HISTOGRAM && i < nbounds; i++)
		if (isnan(bounds[i]) || isinf(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
			return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: bucket bound %zu must be "
						  "finite and greater than the previous one",
						  def->name, i);
	if ((f = suffix_clash(reg, def->name, def->type)) != NULL)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: name clashes with the series "
					  "of histogram %s", def->name,
					  f->type == BPCI__METRIC_HISTOGRAM ? f->name : def->name);
	return 0;
}

static int family_create(bpci__mfamily **out, const bpci__metrics_def *def,
			 const double *bounds, size_t nbounds,
			 const bpci__metrics_label *labels, size_t nlabels)
{
	bpci__mfamily *f = bpci__calloc(1, sizeof(*f));
	size_t i;

	*out = f;
	if (!f)
		return BPCI_ENOMEM;
	f->type = def->type;
	f->name = bpci__strdup(def->name);
	f->help = bpci__strdup(def->help);
	f->label_names = bpci__calloc(nlabels, sizeof(*f->label_names));
	if (!f->name || !f->help || !f->label_names)
		return BPCI_ENOMEM;
	for (f->nlabels = 0; f->nlabels < nlabels; f->nlabels++)
		if (!(f->label_names[f->nlabels] = bpci__strdup(labels[f->nlabels].name)))
			return BPCI_ENOMEM;
	if (def->type == BPCI__METRIC_HISTOGRAM) {
		f->bounds = bpci__calloc(nbounds, sizeof(*f->bounds));
		if (!f->bounds)
			return BPCI_ENOMEM;
		for (i = 0; i < nbounds; i++)
			f->bounds[i] = bounds[i];
		f->nbounds = nbounds;
	}
	return 0;
}

static int family_insert(bpci__metrics *reg, bpci__mfamily *f, size_t pos)
{
	if (bpci__grow((void **)&reg->fams, &reg->cap, reg->nfams + 1, sizeof(*reg->fams)) != 0)
		return BPCI_ENOMEM;
	memmove(&reg->fams[pos + 1], &reg->fams[pos], (reg->nfams - pos) * sizeof(*reg->fams));
	reg->fams[pos] = f;
	reg->nfams++;
	return 0;
}

/* An existing family must be registered again with the same definition. */
static int family_matches(bpci__metrics *reg, const bpci__mfamily *f,
			  const bpci__metrics_def *def, const double *bounds, size_t nbounds,
			  const bpci__metrics_label *labels, size_t nlabels)
{
	size_t i;

	if (f->collect || f->type != def->type)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: already registered as a %s%s",
					  f->name, f->collect ? "collected " : "",
					  type_names[f->type]);
	if (strcmp(f->help, def->help) != 0)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: already registered with "
					  "another help text", f->name);
	if (f->nlabels != nlabels)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: has %zu labels, got %zu",
					  f->name, f->nlabels, nlabels);
	for (i = 0; i < nlabels; i++)
		if (strcmp(f->label_names[i], labels[i].name) != 0)
			return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: label %zu is \"%s\", "
						  "got \"%s\"", f->name, i + 1,
						  f->label_names[i], labels[i].name);
	if (f->type == BPCI__METRIC_HISTOGRAM &&
	    (f->nbounds != nbounds ||
	     (nbounds && memcmp(f->bounds, bounds, nbounds * sizeof(*bounds)) != 0)))
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: already registered with "
					  "other bucket bounds", f->name);
	return 0;
}

static size_t series_pos(const bpci__mfamily *f, const char *labels, int *found)
{
	size_t lo = 0, hi = f->nseries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(f->series[mid]->labels, labels);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Takes ownership of @text. */
static int series_get(bpci__metric **out, bpci__mfamily *f, char *text)
{
	bpci__metric *m;
	int found;
	size_t pos = series_pos(f, text, &found);

	if (found) {
		bpci__free(text);
		*out = f->series[pos];
		return 0;
	}
	m = bpci__calloc(1, sizeof(*m));
	if (!m || bpci__grow((void **)&f->series, &f->cap, f->nseries + 1,
			     sizeof(*f->series)) != 0)
		goto oom;
	m->fam = f;
	m->labels = text;
	if (f->type == BPCI__METRIC_HISTOGRAM &&
	    !(m->buckets = bpci__calloc(f->nbounds, sizeof(*m->buckets))))
		goto oom;
	/* Counters and histograms start at a measured zero; gauges absent. */
	m->has_value = f->type != BPCI__METRIC_GAUGE;
	memmove(&f->series[pos + 1], &f->series[pos], (f->nseries - pos) * sizeof(*f->series));
	f->series[pos] = m;
	f->nseries++;
	*out = m;
	return 0;
oom:
	if (m)
		m->labels = NULL;
	series_free(m);
	bpci__free(text);
	return BPCI_ENOMEM;
}

int bpci__metrics_series(bpci__metric **out, bpci__metrics *reg, const bpci__metrics_def *def,
			 const double *bounds, size_t nbounds,
			 const bpci__metrics_label *labels, size_t nlabels)
{
	bpci__mfamily *f;
	char *text;
	size_t pos;
	int found, rc;

	*out = NULL;
	reg->errmsg[0] = '\0';
	pos = def->name ? family_pos(reg, def->name, &found) : (found = 0);
	if (found)
		rc = family_matches(reg, reg->fams[pos], def, bounds, nbounds, labels, nlabels);
	else
		rc = check_def(reg, def, bounds, nbounds);
	if (rc != 0)
		return rc;
	rc = bpci__metrics_label_text(&text, def->name, def->type == BPCI__METRIC_HISTOGRAM,
				      labels, nlabels, reg->errmsg, sizeof(reg->errmsg));
	if (rc != 0)
		return rc;
	if (found)
		return series_get(out, reg->fams[pos], text) ? bpci__metrics_fail(
			reg, BPCI_ENOMEM, "out of memory") : 0;
	rc = family_create(&f, def, bounds, nbounds, labels, nlabels);
	if (rc == 0) {
		rc = series_get(out, f, text); /* takes @text either way */
		text = NULL;
	}
	if (rc == 0)
		rc = family_insert(reg, f, pos);
	if (rc != 0) {
		bpci__free(text);
		family_free(f);
		*out = NULL;
		return bpci__metrics_fail(reg, BPCI_ENOMEM, "out of memory");
	}
	return 0;
}

#define VA_SERIES(type_, bounds_, nbounds_, last_)                                  \
	do {                                                                         \
		bpci__metrics_def def = {name, help, type_};                         \
		bpci__metrics_label l[BPCI__METRICS_MAX_LABELS];                                 \
		size_t n;                                                            \
		va_list ap;                                                          \
		int rc;                                                              \
                                                                                     \
		*out = NULL;                                                         \
		reg->errmsg[0] = '\0';                                              \
		va_start(ap, last_);                                                 \
		rc = bpci__metrics_va_labels(l, &n, name, ap, reg->errmsg,           \
					     sizeof(reg->errmsg));                   \
		va_end(ap);                                                          \
		if (rc != 0)                                                         \
			return rc;                                                   \
		return bpci__metrics_series(out, reg, &def, bounds_, nbounds_, l, n); \
	} while (0)

int bpci__metrics_counter(bpci__metric **out, bpci__metrics *reg, const char *name,
			  const char *help, ...)
{
	VA_SERIES(BPCI__METRIC_COUNTER, NULL, 0, help);
}

int bpci__metrics_gauge(bpci__metric **out, bpci__metrics *reg, const char *name,
			const char *help, ...)
{
	VA_SERIES(BPCI__METRIC_GAUGE, NULL, 0, help);
}

int bpci__metrics_histogram(bpci__metric **out, bpci__metrics *reg, const char *name,
			    const char *help, const double *bounds, size_t nbounds, ...)
{
	VA_SERIES(BPCI__METRIC_HISTOGRAM, bounds, nbounds, nbounds);
}

int bpci__metrics_add_collector(bpci__metrics *reg, const bpci__metrics_collector *c)
{
	bpci__mfamily *f;
	size_t pos;
	int found, rc;

	reg->errmsg[0] = '\0';
	if (c->def.type == BPCI__METRIC_HISTOGRAM || !c->collect)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: a collected family is a "
					  "counter or a gauge with a collect callback",
					  c->def.name ? c->def.name : "(null)");
	if ((rc = check_def(reg, &c->def, NULL, 0)) != 0)
		return rc;
	pos = family_pos(reg, c->def.name, &found);
	if (found)
		return bpci__metrics_fail(reg, BPCI_EINVAL, "%s: already registered",
					  c->def.name);
	if ((rc = family_create(&f, &c->def, NULL, 0, NULL, 0)) != 0 ||
	    (rc = family_insert(reg, f, pos)) != 0) {
		family_free(f);
		return bpci__metrics_fail(reg, rc, "out of memory");
	}
	f->collect = c->collect;
	f->payload = c->payload;
	return 0;
}

int bpci__metric_add(bpci__metric *m, double v)
{
	if (m->fam->type == BPCI__METRIC_HISTOGRAM || isnan(v) ||
	    (m->fam->type == BPCI__METRIC_COUNTER && (v < 0 || isinf(v))))
		return BPCI_EINVAL;
	if (!m->has_value)
		m->value = 0;
	m->value += v;
	m->has_value = 1;
	return 0;
}

int bpci__metric_inc(bpci__metric *m)
{
	return bpci__metric_add(m, 1);
}

int bpci__metric_set(bpci__metric *m, double v)
{
	if (m->fam->type == BPCI__METRIC_HISTOGRAM || isnan(v) ||
	    (m->fam->type == BPCI__METRIC_COUNTER && (v < 0 || isinf(v))))
		return BPCI_EINVAL;
	m->value = v;
	m->has_value = 1;
	return 0;
}

int bpci__metric_observe(bpci__metric *m, double v)
{
	const bpci__mfamily *f = m->fam;
	size_t i;

	if (f->type != BPCI__METRIC_HISTOGRAM || isnan(v))
		return BPCI_EINVAL;
	/* Buckets are "less than or equal": the first bound >= v. */
	for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
		;
	if (i < f->nbounds)
		m->buckets[i]++;
	m->count++;
	m->value += v;
	return 0;
}

void bpci__metric_clear(bpci__metric *m)
{
	if (m->fam->type == BPCI__METRIC_GAUGE) {
		m->has_value = 0;
		m->value = 0;
	}
}

int bpci__metric_value(const bpci__metric *m, double *out)
{
	if (!m->has_value)
		return BPCI_ENOTFOUND;
	*out = m->value;
	return 0;
}

uint64_t bpci__metric_count(const bpci__metric *m)
{
	return m->fam->type == BPCI__METRIC_HISTOGRAM ? m->count : 0;
}
