/*
 * Ledger entries: the event a caller gives, checked field by field, and
 * its canonical bytes (compact JSON, keys sorted), which are exactly what
 * the Merkle leaf commits to. Anyone can recompute a leaf from an exported
 * entry without knowing anything about this library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/json_canon.h"
#include "ledger/ledger_internal.h"

#define TYPE_MAX 64
#define JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

/* [a-z][a-z0-9_]* ( '.' [a-z][a-z0-9_]* )+ */
static int type_ok(const char *t)
{
	size_t i, n = strlen(t);
	int dots = 0, start = 1;

	if (n == 0 || n > TYPE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = t[i];

		if (start) {
			if (c < 'a' || c > 'z')
				return 0;
			start = 0;
		} else if (c == '.') {
			dots++;
			start = 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			return 0;
		}
	}
	return dots > 0 && !start;
}

/*
 * One member's value as JSON text. Most values are already what jansson
 * would print (names need no escapes; the coordinator's details come from
 * json_dumps with these very flags), and those are borrowed from the
 * event as they are; only the others are parsed and printed by jansson.
 * Either way the bytes are those of the canonical object's member.
 */
typedef struct jtext {
	const char *text;  /* JSON text, or a plain string's bytes if quoted */
	const char *quote; /* "\"" around a plain string, else "" */
	char *owned;       /* jansson's print of it, if any (free()) */
} jtext;

static int string_text(jtext *t, const char *key, const char *value, size_t index,
		       bpci_diag *diag)
{
	json_t *s;

	value = value ? value : "";
	if (bpci__json_plain_string(value, strlen(value))) {
		t->text = value;
		t->quote = "\"";
		return 0;
	}
	s = json_string(value);
	if (s == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "of event %zu must be valid UTF-8", index);
	t->owned = json_dumps(s, JSON_FLAGS | JSON_ENCODE_ANY);
	json_decref(s);
	t->text = t->owned;
	t->quote = "";
	return t->owned ? 0 : BPCI_ENOMEM;
}

static int json_text(jtext *t, const char *json, size_t index, bpci_diag *diag)
{
	json_error_t err;
	json_t *d;

	t->quote = "";
	if (json == NULL || bpci__json_canonical_object(json, strlen(json))) {
		t->text = json ? json : "{}";
		return 0;
	}
	d = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (d == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details_json",
				      "of event %zu is not JSON: %s (line %d, column %d)", index,
				      err.text, err.line, err.column);
	if (!json_is_object(d)) {
		json_decref(d);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details_json",
				      "of event %zu must be a JSON object, got \"%.40s\"", index,
				      json);
	}
	t->owned = json_dumps(d, JSON_FLAGS);
	json_decref(d);
	t->text = t->owned;
	return t->owned ? 0 : BPCI_ENOMEM;
}

static int details_text(jtext *t, const bpci_ledger_event *ev, size_t index, bpci_diag *diag)
{
	if (ev->details_json && ev->details_text)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details",
				      "of event %zu: give details_json or details_text, not both",
				      index);
	if (ev->details_text)
		return string_text(t, "details", ev->details_text, index, diag);
	return json_text(t, ev->details_json, index, diag);
}

/* The @n (at most 9) strings of @part joined into one bpci__malloc'd
 * string of *len bytes. */
static char *join(size_t *len, const char *const *part, size_t n)
{
	size_t i, at = 0, size[9];
	char *out;

	*len = 0;
	for (i = 0; i < n; i++)
		*len += size[i] = strlen(part[i]);
	out = bpci__malloc(*len + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(out + at, part[i], size[i]);
		at += size[i];
	}
	out[at] = '\0';
	return out;
}

/*
 * The canonical object is {"actor":A,"details":D,"seq":N,"subject":S,
 * "time":"T","type":Y} (keys sorted). Everything but N and T is known
 * before the entry has a place in the log, so it is serialized here, out
 * of the append lock, into the three pieces around N and T; serializing
 * each value alone gives the very bytes the whole object would.
 */
static int pieces(bpci__entry *e, const jtext *a, const jtext *d, const jtext *s,
		  const jtext *y)
{
	const char *head[9] = {"{\"actor\":", a->quote, a->text, a->quote, ",\"details\":",
			       d->quote, d->text, d->quote, ",\"seq\":"};
	const char *mid[5] = {",\"subject\":", s->quote, s->text, s->quote, ",\"time\":\""};
	const char *tail[5] = {"\",\"type\":", y->quote, y->text, y->quote, "}"};

	e->head = join(&e->head_len, head, 9);
	e->mid = join(&e->mid_len, mid, 5);
	e->tail = join(&e->tail_len, tail, 5);
	return e->head && e->mid && e->tail ? 0 : BPCI_ENOMEM;
}

static int check_event(const bpci_ledger_event *ev, size_t index, bpci_diag *diag)
{
	if (ev == NULL || ev->version != BPCI_LEDGER_EVENT_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "of event %zu must be BPCI_LEDGER_EVENT_VERSION (%d), got %u",
				      index, BPCI_LEDGER_EVENT_VERSION, ev ? ev->version : 0);
	if (ev->type == NULL || !type_ok(ev->type))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				      "of event %zu must be a lowercase dotted identifier of at "
				      "most %d bytes such as \"node.started\", got \"%.80s\"",
				      index, TYPE_MAX, ev->type ? ev->type : "(null)");
	return 0;
}

int bpci__entry_prepare(bpci__entry *e, const bpci_ledger_event *ev, size_t index,
			bpci_diag *diag)
{
	jtext y = {0}, a = {0}, s = {0}, d = {0};
	int rc;

	memset(e, 0, sizeof(*e));
	rc = check_event(ev, index, diag);
	if (rc == 0)
		rc = string_text(&y, "type", ev->type, index, diag);
	if (rc == 0)
		rc = string_text(&a, "actor", ev->actor, index, diag);
	if (rc == 0)
		rc = string_text(&s, "subject", ev->subject, index, diag);
	if (rc == 0)
		rc = details_text(&d, ev, index, diag);
	if (rc == 0)
		rc = pieces(e, &a, &d, &s, &y);
	free(y.owned);
	free(a.owned);
	free(s.owned);
	free(d.owned);
	if (rc == 0 && bpci__entry_size(e, UINT64_MAX) > BPCI_LEDGER_ENTRY_MAX)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "details",
				    "of event %zu makes an entry longer than %d bytes", index,
				    BPCI_LEDGER_ENTRY_MAX);
	if (rc < 0)
		bpci__entry_release(e);
	return rc;
}

void bpci__entry_release(bpci__entry *e)
{
	bpci__free(e->head);
	bpci__free(e->mid);
	bpci__free(e->tail);
	memset(e, 0, sizeof(*e));
}

static size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

size_t bpci__entry_size(const bpci__entry *e, uint64_t seq)
{
	return e->head_len + digits(seq) + e->mid_len + BPCI__TIME_LEN + e->tail_len;
}

void bpci__entry_time(char out[BPCI__TIME_LEN + 1], const struct timespec *now)
{
	struct tm tm;
	char buf[96];

	gmtime_r(&now->tv_sec, &tm);
	/* The year is kept to four digits so that the length never changes. */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, now->tv_nsec);
	memcpy(out, buf, BPCI__TIME_LEN);
	out[BPCI__TIME_LEN] = '\0';
}

void bpci__entry_write(char *dst, const bpci__entry *e, uint64_t seq,
		       const char time[BPCI__TIME_LEN + 1])
{
	char num[24];
	size_t n = digits(seq), i;

	for (i = n; i > 0; i--, seq /= 10)
		num[i - 1] = (char)('0' + seq % 10);
	memcpy(dst, e->head, e->head_len);
	dst += e->head_len;
	memcpy(dst, num, n);
	dst += n;
	memcpy(dst, e->mid, e->mid_len);
	dst += e->mid_len;
	memcpy(dst, time, BPCI__TIME_LEN);
	dst += BPCI__TIME_LEN;
	memcpy(dst, e->tail, e->tail_len);
}

static int time_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	size_t i;

	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	return 1;
}

/*
 * Checking a stored entry. Its bytes are already covered by a CRC and by
 * the tree; what verify adds is that each is a canonical entry with the
 * expected seq. A scanner over the canonical layout does that in a small
 * fraction of a parse and re-serialization (verify reads every entry):
 * exactly the six keys in sorted order, no whitespace, seq a plain decimal
 * number, type and time in their forms, and details an object or string
 * whose JSON structure (strings, escapes, nesting) is well formed.
 */
typedef struct cursor {
	const char *p, *end;
} cursor;

static int lit(cursor *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

/* A JSON string; *s and *n give its raw content (escapes undecoded). */
static int scan_string(cursor *c, const char **s, size_t *n)
{
	const char *start;
	int k;

	if (c->p >= c->end || *c->p != '"')
		return 0;
	start = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return 0;
		if (*c->p++ != '\\')
			continue;
		if (c->p >= c->end)
			return 0;
		if (*c->p == 'u') {
			for (k = 1; k <= 4; k++)
				if (c->p + k >= c->end || !strchr("0123456789abcdefABCDEF", c->p[k]) ||
				    c->p[k] == 0)
					return 0;
			c->p += 5;
		} else if (strchr("\"\\/bfnrt", *c->p) && *c->p) {
			c->p++;
		} else {
			return 0;
		}
	}
	if (c->p >= c->end)
		return 0;
	*s = start;
	*n = (size_t)(c->p - start);
	c->p++;
	return 1;
}

static int skip_value(cursor *c, int depth);

static int skip_container(cursor *c, int depth, char close, int keyed)
{
	const char *s;
	size_t n;

	c->p++;
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 1;
	}
	for (;;) {
		if (keyed && !(scan_string(c, &s, &n) && lit(c, ":")))
			return 0;
		if (!skip_value(c, depth + 1))
			return 0;
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 1;
		}
		if (!lit(c, ","))
			return 0;
	}
}

static int skip_value(cursor *c, int depth)
{
	const char *s;
	size_t n;

	if (c->p >= c->end || depth > 64)
		return 0;
	switch (*c->p) {
	case '"':
		return scan_string(c, &s, &n);
	case '{':
		return skip_container(c, depth, '}', 1);
	case '[':
		return skip_container(c, depth, ']', 0);
	case 't':
		return lit(c, "true");
	case 'f':
		return lit(c, "false");
	case 'n':
		return lit(c, "null");
	default:
		s = c->p;
		while (c->p < c->end && strchr("0123456789+-.eE", *c->p) && *c->p)
			c->p++;
		return c->p > s;
	}
}

/* A string member whose raw content must pass @ok (no escapes there). */
static int string_member(cursor *c, const char *key, int (*ok)(const char *), size_t max)
{
	char buf[80];
	const char *s;
	size_t n;

	if (!lit(c, key) || !scan_string(c, &s, &n))
		return 0;
	if (ok == NULL)
		return 1;
	if (n > max || memchr(s, '\\', n))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return ok(buf);
}

int bpci__entry_check(uint64_t *seq, const char *data, size_t len, char *why, size_t whylen)
{
	cursor c = {data, data + len};
	uint64_t v = 0;
	const char *digits;

	if (!lit(&c, "{") || !string_member(&c, "\"actor\":", NULL, 0) || !lit(&c, ",\"details\":") ||
	    c.p >= c.end || (*c.p != '{' && *c.p != '"') || !skip_value(&c, 0) ||
	    !lit(&c, ",\"seq\":")) {
		snprintf(why, whylen, "not a canonical entry (actor, details, seq ...)");
		return BPCI_EPARSE;
	}
	digits = c.p;
	while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && c.p - digits < 19)
		v = v * 10 + (uint64_t)(*c.p++ - '0');
	if (c.p == digits || (*digits == '0' && c.p - digits > 1)) {
		snprintf(why, whylen, "seq is not a plain decimal number");
		return BPCI_EPARSE;
	}
	if (!string_member(&c, ",\"subject\":", NULL, 0) ||
	    !string_member(&c, ",\"time\":", time_ok, 30) ||
	    !string_member(&c, ",\"type\":", type_ok, TYPE_MAX) || !lit(&c, "}") || c.p != c.end) {
		snprintf(why, whylen, "not a canonical entry (subject, time, type)");
		return BPCI_EPARSE;
	}
	*seq = v;
	return 0;
}
