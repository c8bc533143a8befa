#include "diag.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

/* Each entry owns one allocation holding all of its strings. */
struct entry {
	bpci_diag_entry pub;
	char *strings;
};

struct bpci_diag {
	struct entry *entries;
	size_t count, cap;
	bpci__diag_ctx ctx;
};

int bpci_diag_new(bpci_diag **out)
{
	bpci_diag *d = bpci__calloc(1, sizeof(*d));

	*out = d;
	return d ? 0 : BPCI_ENOMEM;
}

void bpci_diag_clear(bpci_diag *diag)
{
	size_t i;

	if (!diag)
		return;
	for (i = 0; i < diag->count; i++)
		bpci__free(diag->entries[i].strings);
	diag->count = 0;
}

void bpci_diag_free(bpci_diag *diag)
{
	if (!diag)
		return;
	bpci_diag_clear(diag);
	bpci__free(diag->entries);
	bpci__free(diag);
}

size_t bpci_diag_count(const bpci_diag *diag)
{
	return diag ? diag->count : 0;
}

size_t bpci_diag_error_count(const bpci_diag *diag)
{
	size_t i, n = 0;

	for (i = 0; diag && i < diag->count; i++)
		n += diag->entries[i].pub.severity == BPCI_SEVERITY_ERROR;
	return n;
}

const bpci_diag_entry *bpci_diag_get(const bpci_diag *diag, size_t index)
{
	if (!diag || index >= diag->count)
		return NULL;
	return &diag->entries[index].pub;
}

const char *bpci_diag_last_text(const bpci_diag *diag)
{
	size_t i;

	if (!diag || !diag->count)
		return "";
	for (i = diag->count; i-- > 0;)
		if (diag->entries[i].pub.severity == BPCI_SEVERITY_ERROR)
			return diag->entries[i].pub.text;
	return diag->entries[diag->count - 1].pub.text;
}

bpci__diag_ctx bpci__diag_set_ctx(bpci_diag *diag, bpci__diag_ctx ctx)
{
	bpci__diag_ctx old = {0};

	if (!diag)
		return old;
	old = diag->ctx;
	diag->ctx = ctx;
	return old;
}

static void join_field(char *buf, size_t size, const char *prefix, const char *field)
{
	if (!prefix)
		prefix = "";
	if (!field)
		field = "";
	if (*prefix && *field && field[0] != '[')
		snprintf(buf, size, "%s.%s", prefix, field);
	else
		snprintf(buf, size, "%s%s", prefix, field);
}

static void format_text(char *buf, size_t size, const bpci_diag_entry *e)
{
	char loc[512] = "";
	const char *sev = e->severity == BPCI_SEVERITY_WARNING ? "warning: " : "";

	if (*e->source && e->line)
		snprintf(loc, sizeof(loc), "%s:%u:%u: ", e->source, e->line, e->column);
	else if (*e->source)
		snprintf(loc, sizeof(loc), "%s: ", e->source);
	snprintf(buf, size, "%s%s%s%s%s", loc, sev, e->field,
		 *e->field ? " " : "", e->message);
}

/* Store one entry; all strings live in a single block owned by the entry. */
static void push(bpci_diag *diag, bpci_severity sev, int code, const char *source,
		 unsigned int line, unsigned int column, const char *field,
		 const char *message)
{
	char text[2048];
	size_t ls, lf, lm, lt;
	struct entry *e;
	bpci_diag_entry tmp = {sev, code, source, line, column, field, message, ""};

	format_text(text, sizeof(text), &tmp);
	if (bpci__grow((void **)&diag->entries, &diag->cap, diag->count + 1,
		       sizeof(*diag->entries)) < 0)
		return;
	ls = strlen(source) + 1;
	lf = strlen(field) + 1;
	lm = strlen(message) + 1;
	lt = strlen(text) + 1;
	e = &diag->entries[diag->count];
	e->strings = bpci__malloc(ls + lf + lm + lt);
	if (!e->strings)
		return;
	e->pub = tmp;
	e->pub.source = memcpy(e->strings, source, ls);
	e->pub.field = memcpy(e->strings + ls, field, lf);
	e->pub.message = memcpy(e->strings + ls + lf, message, lm);
	e->pub.text = memcpy(e->strings + ls + lf + lm, text, lt);
	diag->count++;
}

static int vadd_at(bpci_diag *diag, bpci_severity sev, int code, const char *source,
		   unsigned int line, unsigned int column, const char *field,
		   const char *fmt, va_list ap)
{
	char message[1024], path[512];

	if (!diag)
		return code;
	vsnprintf(message, sizeof(message), fmt, ap);
	join_field(path, sizeof(path), diag->ctx.prefix, field);
	push(diag, sev, code, source ? source : "", line, column, path, message);
	return code;
}

int bpci__diag_vadd(bpci_diag *diag, bpci_severity sev, int code,
		    const char *field, const char *fmt, va_list ap)
{
	if (!diag)
		return code;
	return vadd_at(diag, sev, code, diag->ctx.source, diag->ctx.line,
		       diag->ctx.column, field, fmt, ap);
}

int bpci__diag_add(bpci_diag *diag, bpci_severity sev, int code,
		   const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpci__diag_vadd(diag, sev, code, field, fmt, ap);
	va_end(ap);
	return code;
}

int bpci__diag_add_at(bpci_diag *diag, bpci_severity sev, int code,
		      const char *source, unsigned int line, unsigned int column,
		      const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd_at(diag, sev, code, source, line, column, field, fmt, ap);
	va_end(ap);
	return code;
}

/* Rewrite an entry's location (and severity) by re-pushing its strings. */
static void rewrite(bpci_diag *diag, size_t i, bpci_severity sev, int code,
		    const char *source, unsigned int line, unsigned int column)
{
	struct entry old = diag->entries[i];
	size_t count = diag->count;

	/* push() appends; build the new entry at the end, then move it. */
	push(diag, sev, code, source, line, column, old.pub.field, old.pub.message);
	if (diag->count == count)
		return; /* allocation failed: keep the old entry as it was */
	bpci__free(old.strings);
	diag->entries[i] = diag->entries[count];
	diag->count = count;
}

void bpci__diag_locate(bpci_diag *diag, size_t from, const char *source,
		       bpci__diag_locate_cb locate, void *payload)
{
	size_t i;
	unsigned int line, column;

	for (i = from; diag && i < diag->count; i++) {
		const bpci_diag_entry *e = &diag->entries[i].pub;

		if (e->line || !*e->field)
			continue;
		if (locate(e->field, &line, &column, payload) == 0)
			rewrite(diag, i, e->severity, e->code, source ? source : e->source,
				line, column);
	}
}

void bpci__diag_promote(bpci_diag *diag, size_t from, int code)
{
	size_t i;

	for (i = from; diag && i < diag->count; i++) {
		const bpci_diag_entry *e = &diag->entries[i].pub;

		if (e->severity == BPCI_SEVERITY_WARNING)
			rewrite(diag, i, BPCI_SEVERITY_ERROR, code, e->source, e->line,
				e->column);
	}
}
