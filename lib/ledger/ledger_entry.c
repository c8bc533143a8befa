/*
 * Ledger entries: the event a caller gives, checked field by field, and
 * its canonical bytes (compact JSON, keys sorted), which are exactly what
 * the Merkle leaf commits to. Anyone can recompute a leaf from an exported
 * entry without knowing anything about this library.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
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

static int set_string(json_t *obj, const char *key, const char *value, size_t index,
		      bpci_diag *diag)
{
	json_t *s = json_string(value ? value : "");

	if (s == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "of event %zu must be valid UTF-8", index);
	if (json_object_set_new(obj, key, s) < 0)
		return BPCI_ENOMEM;
	return 0;
}

static int set_details(json_t *obj, const bpci_ledger_event *ev, size_t index, bpci_diag *diag)
{
	json_error_t err;
	json_t *d;

	if (ev->details_json && ev->details_text)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details",
				      "of event %zu: give details_json or details_text, not both",
				      index);
	if (ev->details_text)
		return set_string(obj, "details", ev->details_text, index, diag);
	if (ev->details_json == NULL)
		d = json_object();
	else
		d = json_loads(ev->details_json, JSON_REJECT_DUPLICATES, &err);
	if (d == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details_json",
				      "of event %zu is not JSON: %s (line %d, column %d)", index,
				      err.text, err.line, err.column);
	if (!json_is_object(d)) {
		json_decref(d);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "details_json",
				      "of event %zu must be a JSON object, got \"%.40s\"", index,
				      ev->details_json);
	}
	if (json_object_set_new(obj, "details", d) < 0)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__entry_prepare(void **out, const bpci_ledger_event *ev, size_t index, bpci_diag *diag)
{
	json_t *obj;
	int rc;

	if (ev == NULL || ev->version != BPCI_LEDGER_EVENT_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "of event %zu must be BPCI_LEDGER_EVENT_VERSION (%d), got %u",
				      index, BPCI_LEDGER_EVENT_VERSION, ev ? ev->version : 0);
	if (ev->type == NULL || !type_ok(ev->type))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				      "of event %zu must be a lowercase dotted identifier of at "
				      "most %d bytes such as \"node.started\", got \"%.80s\"",
				      index, TYPE_MAX, ev->type ? ev->type : "(null)");
	obj = json_object();
	if (obj == NULL)
		return BPCI_ENOMEM;
	rc = set_string(obj, "type", ev->type, index, diag);
	if (rc == 0)
		rc = set_string(obj, "actor", ev->actor, index, diag);
	if (rc == 0)
		rc = set_string(obj, "subject", ev->subject, index, diag);
	if (rc == 0)
		rc = set_details(obj, ev, index, diag);
	if (rc < 0) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

void bpci__entry_release(void *obj)
{
	json_decref(obj);
}

int bpci__entry_finish(char **out, size_t *len, void *o, uint64_t seq, const struct timespec *now)
{
	json_t *obj = o;
	struct tm tm;
	char when[64], *text;
	size_t n;

	gmtime_r(&now->tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now->tv_nsec);
	if (json_object_set_new(obj, "seq", json_integer((json_int_t)seq)) < 0 ||
	    json_object_set_new(obj, "time", json_string(when)) < 0)
		return BPCI_ENOMEM;
	n = json_dumpb(obj, NULL, 0, JSON_FLAGS);
	if (n == 0)
		return BPCI_ENOMEM;
	if (n > BPCI_LEDGER_ENTRY_MAX)
		return BPCI_ELIMIT;
	text = bpci__malloc(n + 1);
	if (text == NULL)
		return BPCI_ENOMEM;
	json_dumpb(obj, text, n, JSON_FLAGS);
	text[n] = '\0';
	*out = text;
	*len = n;
	return 0;
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

/* What verify needs of a stored entry: the canonical shape and its seq. */
int bpci__entry_check(uint64_t *seq, const char *data, size_t len, char *why, size_t whylen)
{
	json_error_t err;
	json_t *obj = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err), *d;
	const char *problem = NULL;
	char *again = NULL;

	if (obj == NULL) {
		snprintf(why, whylen, "not JSON: %s", err.text);
		return BPCI_EPARSE;
	}
	d = json_object_get(obj, "details");
	if (!json_is_object(obj) || json_object_size(obj) != 6)
		problem = "not an object of exactly actor, details, seq, subject, time, type";
	else if (!json_is_integer(json_object_get(obj, "seq")) ||
		 json_integer_value(json_object_get(obj, "seq")) < 0)
		problem = "seq is not a non-negative integer";
	else if (!json_is_string(json_object_get(obj, "type")) ||
		 !type_ok(json_string_value(json_object_get(obj, "type"))))
		problem = "type is not a dotted identifier";
	else if (!json_is_string(json_object_get(obj, "time")) ||
		 !time_ok(json_string_value(json_object_get(obj, "time"))))
		problem = "time is not RFC 3339 UTC with nanoseconds";
	else if (!json_is_string(json_object_get(obj, "actor")) ||
		 !json_is_string(json_object_get(obj, "subject")) ||
		 !(json_is_object(d) || json_is_string(d)))
		problem = "actor, subject or details has the wrong type";
	else if ((again = json_dumps(obj, JSON_FLAGS)) == NULL || strlen(again) != len ||
		 memcmp(again, data, len) != 0)
		problem = "not in canonical form";
	if (problem == NULL)
		*seq = (uint64_t)json_integer_value(json_object_get(obj, "seq"));
	else
		snprintf(why, whylen, "%s", problem);
	free(again);
	json_decref(obj);
	return problem ? BPCI_EPARSE : 0;
}
