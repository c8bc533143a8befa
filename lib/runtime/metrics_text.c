/*
 * The lexical side of the exposition format: numbers, names, escaping.
 */
#include "runtime/metrics_internal.h"

#include <math.h> /* isnan, isinf: macros */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "model/text.h"

void bpci__mbuf_put(bpci__mbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (bpci__grow((void **)&b->p, &b->cap, b->len + n + 1, 1) != 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void bpci__mbuf_puts(bpci__mbuf *b, const char *s)
{
	bpci__mbuf_put(b, s, strlen(s));
}

static void put_escaped(bpci__mbuf *b, const char *s, int quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (*s == '"' && quote)
			rep = "\\\"";
		if (!rep)
			continue;
		bpci__mbuf_put(b, run, (size_t)(s - run));
		bpci__mbuf_puts(b, rep);
		run = s + 1;
	}
	bpci__mbuf_put(b, run, (size_t)(s - run));
}

void bpci__mbuf_help(bpci__mbuf *b, const char *s)
{
	put_escaped(b, s, 0);
}

void bpci__mbuf_label_value(bpci__mbuf *b, const char *s)
{
	put_escaped(b, s, 1);
}

void bpci__metrics_format_double(char buf[BPCI__METRICS_NUM_MAX], double v)
{
	int prec;
	char *c;

	if (isnan(v)) {
		strcpy(buf, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(buf, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		strcpy(buf, "0");
		return;
	}
	/* Whole numbers in plain digits (no libm: the library does not link
	 * it). Below 1e17 a double converts to long long exactly. */
	if ((v < 0 ? -v : v) < 1e17 && (double)(long long)v == v) {
		snprintf(buf, BPCI__METRICS_NUM_MAX, "%.0f", v);
		return;
	}
	/* Shortest of 15..17 significant digits that reads back exactly. */
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, BPCI__METRICS_NUM_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* A program may have set a locale with a decimal comma. */
	for (c = buf; *c; c++)
		if (*c == ',')
			*c = '.';
}

void bpci__mbuf_double(bpci__mbuf *b, double v)
{
	char num[BPCI__METRICS_NUM_MAX];

	bpci__metrics_format_double(num, v);
	bpci__mbuf_puts(b, num);
}

static int is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int bpci__metrics_valid_metric_name(const char *name)
{
	const char *p = name;

	if (!name || !(is_alpha_(*p) || *p == ':'))
		return 0;
	for (p++; *p; p++)
		if (!is_alpha_(*p) && !is_digit(*p) && *p != ':')
			return 0;
	return 1;
}

int bpci__metrics_valid_label_name(const char *name)
{
	const char *p = name;

	if (!name || !is_alpha_(*p))
		return 0;
	for (p++; *p; p++)
		if (!is_alpha_(*p) && !is_digit(*p))
			return 0;
	return 1;
}

int bpci__utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if ((n = bpci__utf8_len(p)) == 0)
			return 0;
	return 1;
}

static int check_label(const char *metric, int histogram, const bpci__metrics_label *labels,
		       size_t i, char *err, size_t errsz)
{
	const bpci__metrics_label *l = &labels[i];
	size_t j;

	if (!l->name || !bpci__metrics_valid_label_name(l->name)) {
		snprintf(err, errsz, "%s: label name \"%s\" is not valid "
			 "(allowed: [a-zA-Z_][a-zA-Z0-9_]*)", metric, l->name ? l->name : "(null)");
		return BPCI_EINVAL;
	}
	if (strncmp(l->name, "__", 2) == 0 || (histogram && strcmp(l->name, "le") == 0)) {
		snprintf(err, errsz, "%s: label name \"%s\" is reserved%s", metric, l->name,
			 histogram ? " (names starting with __, and le in histograms)"
				   : " (names starting with __)");
		return BPCI_EINVAL;
	}
	for (j = 0; j < i; j++)
		if (strcmp(labels[j].name, l->name) == 0) {
			snprintf(err, errsz, "%s: label \"%s\" is given twice", metric, l->name);
			return BPCI_EINVAL;
		}
	if (!l->value || !bpci__utf8_valid(l->value)) {
		snprintf(err, errsz, "%s: value of label \"%s\" is %s (must be UTF-8 text)",
			 metric, l->name, l->value ? "not valid UTF-8" : "missing");
		return BPCI_EINVAL;
	}
	return 0;
}

int bpci__metrics_label_text(char **out, const char *metric, int histogram,
			     const bpci__metrics_label *labels, size_t n,
			     char *err, size_t errsz)
{
	bpci__mbuf b = {0};
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if ((rc = check_label(metric, histogram, labels, i, err, errsz)) != 0) {
			bpci__free(b.p);
			return rc;
		}
		if (i)
			bpci__mbuf_puts(&b, ",");
		bpci__mbuf_puts(&b, labels[i].name);
		bpci__mbuf_puts(&b, "=\"");
		bpci__mbuf_label_value(&b, labels[i].value);
		bpci__mbuf_puts(&b, "\"");
	}
	if (!b.p && !b.oom)
		b.p = bpci__strdup("");
	if (b.oom || !b.p) {
		bpci__free(b.p);
		snprintf(err, errsz, "out of memory");
		return BPCI_ENOMEM;
	}
	*out = b.p;
	return 0;
}

int bpci__metrics_va_labels(bpci__metrics_label *l, size_t *n, const char *metric,
			    va_list ap, char *err, size_t errsz)
{
	const char *name;

	*n = 0;
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (*n == BPCI__METRICS_MAX_LABELS) {
			snprintf(err, errsz, "%s: more than %d labels", metric,
				 BPCI__METRICS_MAX_LABELS);
			return BPCI_EINVAL;
		}
		l[*n].name = name;
		l[*n].value = va_arg(ap, const char *);
		if (!l[*n].value) {
			snprintf(err, errsz, "%s: label \"%s\" has no value (the list is "
				 "name, value, ..., NULL)", metric, name);
			return BPCI_EINVAL;
		}
		(*n)++;
	}
	return 0;
}
