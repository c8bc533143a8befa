/*
 * Status snapshots of nodes and their JSON form (shared by the HTTP API
 * and its clients, so both sides agree on one shape).
 */
#include "runtime/coordinator_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/text.h"

struct bpci_node_status_list {
	bpci_node_status **items;
	size_t count, cap;
};

static void free_strings(bpci_node_status *s)
{
	bpci__free((char *)s->id);
	bpci__free((char *)s->name);
	bpci__free((char *)s->endpoint);
	bpci__free((char *)s->failure_reason);
	bpci__free((char *)s->status_text);
}

void bpci_node_status_free(bpci_node_status *status)
{
	if (!status)
		return;
	free_strings(status);
	bpci__free(status);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Copy the strings; on failure every copy made is freed. */
static int set_strings(bpci_node_status *s, const char *id, const char *name,
		       const char *endpoint, const char *failure, const char *text)
{
	s->id = bpci__strdup(nz(id));
	s->name = bpci__strdup(nz(name));
	s->endpoint = bpci__strdup(nz(endpoint));
	s->failure_reason = bpci__strdup(nz(failure));
	s->status_text = bpci__strdup(nz(text));
	if (s->id && s->name && s->endpoint && s->failure_reason && s->status_text)
		return 0;
	free_strings(s);
	memset(s, 0, sizeof(*s));
	return BPCI_ENOMEM;
}

static bpci_node_status *snapshot(const bpci__cnode *n)
{
	bpci_node_status *s = bpci__calloc(1, sizeof(*s));
	int live;

	if (!s)
		return NULL;
	if (set_strings(s, n->id, n->name ? n->name : n->id, n->endpoint, n->failure_reason,
			n->status_text) < 0) {
		bpci__free(s);
		return NULL;
	}
	live = n->proc != NULL;
	s->type = bpci_node_spec_type(n->spec);
	s->state = n->state;
	s->pid = live ? (int)bpci__proc_pid(n->proc) : 0;
	s->restarts = n->restarts;
	s->last_exit_code = n->last_exit_code;
	s->last_exit_signal = n->last_exit_signal;
	s->last_exit_ms = n->last_exit_ms;
	s->last_heartbeat_ms = n->last_heartbeat_ms;
	s->started_ms = live ? n->started_ms : 0;
	s->uptime_ms = live ? bpci__coord_mono_ms() - n->started_mono : 0;
	s->start_latency_ms = n->start_latency_ms;
	s->port = n->port;
	return s;
}

int bpci_coordinator_get_node(bpci_node_status **out, bpci_coordinator *c, const char *id,
			      bpci_diag *diag)
{
	bpci__cnode *n = c ? bpci__coord_find(c, id) : NULL;

	*out = NULL;
	if (!n)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no node with id \"%s\"", id ? id : "(null)");
	*out = snapshot(n);
	return *out ? 0 : BPCI_ENOMEM;
}

static int list_push(bpci_node_status_list *l, bpci_node_status *s)
{
	if (!s || bpci__grow((void **)&l->items, &l->cap, l->count + 1, sizeof(*l->items)) < 0) {
		bpci_node_status_free(s);
		return BPCI_ENOMEM;
	}
	l->items[l->count++] = s;
	return 0;
}

int bpci_coordinator_list_nodes(bpci_node_status_list **out, bpci_coordinator *c,
				bpci_node_type type, bpci_diag *diag)
{
	bpci_node_status_list *l = bpci__calloc(1, sizeof(*l));
	size_t i;

	(void)diag;
	*out = NULL;
	if (!l)
		return BPCI_ENOMEM;
	for (i = 0; i < c->nnodes; i++) {
		if (type && bpci_node_spec_type(c->nodes[i]->spec) != type)
			continue;
		if (list_push(l, snapshot(c->nodes[i])) < 0) {
			bpci_node_status_list_free(l);
			return BPCI_ENOMEM;
		}
	}
	*out = l;
	return 0;
}

size_t bpci_node_status_list_count(const bpci_node_status_list *list)
{
	return list ? list->count : 0;
}

const bpci_node_status *bpci_node_status_list_get(const bpci_node_status_list *list,
						  size_t index)
{
	return list && index < list->count ? list->items[index] : NULL;
}

void bpci_node_status_list_free(bpci_node_status_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->count; i++)
		bpci_node_status_free(list->items[i]);
	bpci__free(list->items);
	bpci__free(list);
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *status_json(const bpci_node_status *s)
{
	json_t *last = s->last_exit_ms || s->last_exit_code >= 0 || s->last_exit_signal
			       ? json_pack("{s:i, s:i, s:I}", "code", s->last_exit_code,
					   "signal", s->last_exit_signal, "time_ms",
					   (json_int_t)s->last_exit_ms)
			       : json_null();

	return json_pack("{s:s, s:s, s:s, s:o?, s:I, s:s, s:i, s:i, s:i, s:I, s:I, s:s, s:s,"
			 " s:s, s:I}",
			 "id", s->id, "name", s->name, "type",
			 nz(bpci_node_type_name(s->type)), "last_exit", last,
			 "last_heartbeat_ms", (json_int_t)s->last_heartbeat_ms, "endpoint",
			 s->endpoint, "port", (int)s->port, "pid", s->pid, "restarts",
			 (int)s->restarts, "start_latency_ms", (json_int_t)s->start_latency_ms,
			 "started_ms", (json_int_t)s->started_ms, "state",
			 nz(bpci_node_state_name(s->state)), "failure_reason", s->failure_reason,
			 "status_text", s->status_text, "uptime_ms", (json_int_t)s->uptime_ms);
}

static int dump(char **out, json_t *j)
{
	char *text;

	*out = NULL;
	if (!j)
		return BPCI_ENOMEM;
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return BPCI_ENOMEM;
	*out = bpci__strdup(text);
	free(text);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci_node_status_to_json(char **out, const bpci_node_status *status)
{
	return dump(out, status_json(status));
}

/*
 * The list is the API's hottest answer (GET /api/nodes, ~15 keys per node):
 * building it as jansson objects, sorting each object's keys and dumping
 * cost ~5 ms for 1,000 nodes. It is therefore written directly, in the very
 * bytes json_dumps(JSON_COMPACT | JSON_SORT_KEYS) gives (keys below are in
 * sorted order). A string that is not valid UTF-8 makes the writer give up
 * and the jansson path below decide, so every edge case answers as before.
 */
typedef struct {
	char *p;
	size_t len, cap;
	int failed;
} text_buf;

static void put(text_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (bpci__grow((void **)&b->p, &b->cap, b->len + n + 1, 1) < 0) {
		b->failed = BPCI_ENOMEM;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_s(text_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_int(text_buf *b, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	put(b, num, (size_t)n);
}

/* A JSON string as jansson escapes it (no slash escaping, UTF-8 kept). */
static void put_str(text_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run;
	char esc[8];
	size_t n;

	put(b, "\"", 1);
	while (*s && !b->failed) {
		for (run = s; *s >= 0x20 && *s != '"' && *s != '\\'; s += n)
			if ((n = bpci__utf8_len(s)) == 0) {
				b->failed = BPCI_EINVAL;
				return;
			}
		put(b, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		switch (*s) {
		case '"': put(b, "\\\"", 2); break;
		case '\\': put(b, "\\\\", 2); break;
		case '\b': put(b, "\\b", 2); break;
		case '\f': put(b, "\\f", 2); break;
		case '\n': put(b, "\\n", 2); break;
		case '\r': put(b, "\\r", 2); break;
		case '\t': put(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", *s);
			put(b, esc, 6);
		}
		s++;
	}
	put(b, "\"", 1);
}

static void put_status(text_buf *b, const bpci_node_status *s)
{
	put_s(b, "{\"endpoint\":");
	put_str(b, s->endpoint);
	put_s(b, ",\"failure_reason\":");
	put_str(b, s->failure_reason);
	put_s(b, ",\"id\":");
	put_str(b, s->id);
	put_s(b, ",\"last_exit\":");
	if (s->last_exit_ms || s->last_exit_code >= 0 || s->last_exit_signal) {
		put_s(b, "{\"code\":");
		put_int(b, s->last_exit_code);
		put_s(b, ",\"signal\":");
		put_int(b, s->last_exit_signal);
		put_s(b, ",\"time_ms\":");
		put_int(b, (long long)s->last_exit_ms);
		put_s(b, "}");
	} else {
		put_s(b, "null");
	}
	put_s(b, ",\"last_heartbeat_ms\":");
	put_int(b, (long long)s->last_heartbeat_ms);
	put_s(b, ",\"name\":");
	put_str(b, s->name);
	put_s(b, ",\"pid\":");
	put_int(b, s->pid);
	put_s(b, ",\"port\":");
	put_int(b, (int)s->port);
	put_s(b, ",\"restarts\":");
	put_int(b, (int)s->restarts);
	put_s(b, ",\"start_latency_ms\":");
	put_int(b, (json_int_t)s->start_latency_ms);
	put_s(b, ",\"started_ms\":");
	put_int(b, (json_int_t)s->started_ms);
	put_s(b, ",\"state\":");
	put_str(b, nz(bpci_node_state_name(s->state)));
	put_s(b, ",\"status_text\":");
	put_str(b, s->status_text);
	put_s(b, ",\"type\":");
	put_str(b, nz(bpci_node_type_name(s->type)));
	put_s(b, ",\"uptime_ms\":");
	put_int(b, (json_int_t)s->uptime_ms);
	put_s(b, "}");
}

static int list_json_direct(char **out, const bpci_node_status_list *list)
{
	text_buf b = {NULL, 0, 0, 0};
	size_t i;

	/* ~400 bytes a node: one allocation for the usual list. */
	if (bpci__grow((void **)&b.p, &b.cap, 64 + 512 * (list ? list->count : 0), 1) < 0)
		return BPCI_ENOMEM;
	put_s(&b, "{\"nodes\":[");
	for (i = 0; list && i < list->count && !b.failed; i++) {
		if (i)
			put(&b, ",", 1);
		put_status(&b, list->items[i]);
	}
	put_s(&b, "]}");
	if (b.failed) {
		bpci__free(b.p);
		return b.failed;
	}
	*out = b.p;
	return 0;
}

static int list_json_jansson(char **out, const bpci_node_status_list *list)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && list && i < list->count; i++)
		if (json_array_append_new(arr, status_json(list->items[i])) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	return dump(out, arr ? json_pack("{s:o}", "nodes", arr) : NULL);
}

int bpci_node_status_list_to_json(char **out, const bpci_node_status_list *list)
{
	*out = NULL;
	if (list_json_direct(out, list) == 0)
		return 0;
	return list_json_jansson(out, list);
}

static int from_object(bpci_node_status **out, const json_t *o, const char *where,
		       bpci_diag *diag)
{
	bpci_node_status *s;
	const json_t *last = json_object_get(o, "last_exit");
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *state = json_string_value(json_object_get(o, "state"));
	bpci_node_type t;
	bpci_node_state st;

	*out = NULL;
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "id")))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, where,
				      "a node status needs an \"id\" string");
	if (!type || bpci_node_type_parse(&t, type) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, where,
				      "unknown node type \"%s\"", type ? type : "(missing)");
	if (!state || bpci_node_state_parse(&st, state) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, where,
				      "unknown node state \"%s\"", state ? state : "(missing)");
	s = bpci__calloc(1, sizeof(*s));
	if (!s || set_strings(s, json_string_value(json_object_get(o, "id")),
			      json_string_value(json_object_get(o, "name")),
			      json_string_value(json_object_get(o, "endpoint")),
			      json_string_value(json_object_get(o, "failure_reason")),
			      json_string_value(json_object_get(o, "status_text"))) < 0) {
		bpci__free(s);
		return BPCI_ENOMEM;
	}
	s->type = t;
	s->state = st;
	s->pid = (int)json_integer_value(json_object_get(o, "pid"));
	s->restarts = (unsigned int)json_integer_value(json_object_get(o, "restarts"));
	s->port = (unsigned int)json_integer_value(json_object_get(o, "port"));
	s->last_heartbeat_ms = json_integer_value(json_object_get(o, "last_heartbeat_ms"));
	s->started_ms = json_integer_value(json_object_get(o, "started_ms"));
	s->uptime_ms = (uint64_t)json_integer_value(json_object_get(o, "uptime_ms"));
	s->start_latency_ms =
		(uint64_t)json_integer_value(json_object_get(o, "start_latency_ms"));
	s->last_exit_code = -1;
	if (json_is_object(last)) {
		s->last_exit_code = (int)json_integer_value(json_object_get(last, "code"));
		s->last_exit_signal = (int)json_integer_value(json_object_get(last, "signal"));
		s->last_exit_ms = json_integer_value(json_object_get(last, "time_ms"));
	}
	*out = s;
	return 0;
}

static int parse(json_t **root, const char *json, size_t len, bpci_diag *diag)
{
	json_error_t err;

	*root = json_loadb(json, len, 0, &err);
	if (!*root)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "<json>",
					 (unsigned int)(err.line > 0 ? err.line : 0),
					 (unsigned int)(err.column > 0 ? err.column : 0), "", "%s",
					 err.text);
	return 0;
}

int bpci_node_status_from_json(bpci_node_status **out, const char *json, size_t len,
			       bpci_diag *diag)
{
	json_t *root;
	int rc = parse(&root, json, len, diag);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = from_object(out, root, "", diag);
	json_decref(root);
	return rc;
}

int bpci_node_status_list_from_json(bpci_node_status_list **out, const char *json,
				    size_t len, bpci_diag *diag)
{
	bpci_node_status_list *l;
	json_t *root, *arr;
	size_t i;
	int rc = parse(&root, json, len, diag);

	*out = NULL;
	if (rc < 0)
		return rc;
	arr = json_object_get(root, "nodes");
	if (!json_is_array(arr)) {
		json_decref(root);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "nodes",
				      "expected {\"nodes\": [...]}");
	}
	l = bpci__calloc(1, sizeof(*l));
	rc = l ? 0 : BPCI_ENOMEM;
	for (i = 0; rc == 0 && i < json_array_size(arr); i++) {
		bpci_node_status *s;
		char where[32];

		snprintf(where, sizeof(where), "nodes[%zu]", i);
		rc = from_object(&s, json_array_get(arr, i), where, diag);
		if (rc == 0)
			rc = list_push(l, s);
	}
	json_decref(root);
	if (rc < 0) {
		bpci_node_status_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}
