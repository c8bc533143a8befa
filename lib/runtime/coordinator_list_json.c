/*
 * GET /api/nodes straight from the node table.
 *
 * The list is the API's hottest answer (~300 bytes and 15 keys per node).
 * Going through bpci_coordinator_list_nodes() costs six allocations per
 * node for the snapshot, and a checked, growing append per field for the
 * text; at 1,000 nodes that was ~1 ms of the loop's time per request, and
 * on a loaded 2-core machine the longer a request holds the CPU the more
 * often it is preempted in the middle (the p99). Here each node's entry
 * but its uptime is cached (what it was rendered from is compared, as the
 * state file's entries are in coordinator_persist.c), so a repeated list
 * costs a comparison and a copy per node; an entry that changed is written
 * into space reserved once (every string escaped at its worst, 6 bytes a
 * byte), without checks, integers without printf; the clock is read once
 * per request.
 *
 * The bytes are exactly those of bpci_node_status_list_to_json() for the
 * same table (keys in sorted order, jansson's escapes); a string that is
 * not valid UTF-8 returns BPCI_EINVAL so that the caller takes that slower
 * path and answers exactly as jansson would.
 */
#include "runtime/coordinator_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "model/text.h"

typedef struct {
	char *buf, *p;
	size_t cap;
} out_buf;

/* Room for @need more bytes (and a NUL). */
static int reserve(out_buf *o, size_t need)
{
	size_t used = (size_t)(o->p - o->buf);

	if (o->buf && used + need + 1 <= o->cap)
		return 0;
	if (bpci__grow((void **)&o->buf, &o->cap, used + need + 1, 1) < 0)
		return BPCI_ENOMEM;
	o->p = o->buf + used;
	return 0;
}

static void lit(out_buf *o, const char *s, size_t n)
{
	memcpy(o->p, s, n);
	o->p += n;
}

#define LIT(o, s) lit((o), (s), sizeof(s) - 1)

static void num(out_buf *o, long long v)
{
	char tmp[24], *t = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--t = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--t = '-';
	lit(o, t, (size_t)(tmp + sizeof(tmp) - t));
}

/* A JSON string as jansson writes it; -1 on invalid UTF-8. */
static int str(out_buf *o, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t n;

	*o->p++ = '"';
	for (; *s; s++) {
		if (*s >= 0x20 && *s != '"' && *s != '\\' && *s < 0x80) {
			*o->p++ = (char)*s;
			continue;
		}
		if (*s >= 0x80) {
			if ((n = bpci__utf8_len(s)) == 0)
				return -1;
			lit(o, (const char *)s, n);
			s += n - 1;
			continue;
		}
		*o->p++ = '\\';
		switch (*s) {
		case '"': *o->p++ = '"'; break;
		case '\\': *o->p++ = '\\'; break;
		case '\b': *o->p++ = 'b'; break;
		case '\f': *o->p++ = 'f'; break;
		case '\n': *o->p++ = 'n'; break;
		case '\r': *o->p++ = 'r'; break;
		case '\t': *o->p++ = 't'; break;
		default:
			LIT(o, "u00");
			*o->p++ = hex[*s >> 4];
			*o->p++ = hex[*s & 15];
		}
	}
	*o->p++ = '"';
	return 0;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* The most bytes put_node() can write for @n. */
static size_t worst_case(const bpci__cnode *n, const char *type, const char *state)
{
	size_t strings = slen(n->endpoint) + slen(n->failure_reason) + 2 * slen(n->id) +
			 slen(n->name) + slen(state) + slen(n->status_text) + slen(type);

	/* keys and punctuation ~230, 11 numbers of at most 20 digits */
	return 6 * strings + 512;
}

/* What a node's entry is rendered from, but its uptime (zeroed first, so
 * that padding compares equal). */
typedef struct frag_key {
	int64_t last_exit_ms, last_heartbeat_ms, started_ms;
	uint64_t start_latency_ms;
	long long pid;
	int state, port, type, last_exit_code, last_exit_signal;
	unsigned int restarts;
} frag_key;

struct bpci__list_frag {
	frag_key key;
	char *strs;           /* endpoint, failure, id, name, status text: NUL-separated */
	char *text;           /* the entry up to and including ,"uptime_ms": */
	size_t len;
};

static const char *entry_name(const bpci__cnode *n)
{
	return n->name ? n->name : n->id;
}

static void key_of(frag_key *k, const bpci__cnode *n)
{
	int live = n->proc != NULL;

	memset(k, 0, sizeof(*k));
	k->last_exit_ms = n->last_exit_ms;
	k->last_heartbeat_ms = n->last_heartbeat_ms;
	k->started_ms = live ? n->started_ms : 0;
	k->start_latency_ms = n->start_latency_ms;
	k->pid = live ? (long long)bpci__proc_pid(n->proc) : 0;
	k->state = (int)n->state;
	k->port = (int)n->port;
	k->type = (int)bpci_node_spec_type(n->spec);
	k->last_exit_code = n->last_exit_code;
	k->last_exit_signal = n->last_exit_signal;
	k->restarts = n->restarts;
}

/* The strings in the order of frag->strs; NULL as "". */
static void strings_of(const char *v[5], const bpci__cnode *n)
{
	v[0] = n->endpoint ? n->endpoint : "";
	v[1] = n->failure_reason ? n->failure_reason : "";
	v[2] = n->id ? n->id : "";
	v[3] = entry_name(n) ? entry_name(n) : "";
	v[4] = n->status_text ? n->status_text : "";
}

static int frag_fresh(const bpci__list_frag *f, const frag_key *k, const bpci__cnode *n)
{
	const char *v[5], *p;
	size_t i;

	if (!f || memcmp(&f->key, k, sizeof(*k)) != 0)
		return 0;
	strings_of(v, n);
	for (i = 0, p = f->strs; i < 5; i++, p += strlen(p) + 1)
		if (strcmp(p, v[i]) != 0)
			return 0;
	return 1;
}

void bpci__coord_list_frag_free(bpci__cnode *n)
{
	if (!n->list_frag)
		return;
	bpci__free(n->list_frag->strs);
	bpci__free(n->list_frag->text);
	bpci__free(n->list_frag);
	n->list_frag = NULL;
}

/* Keep @len bytes at @text as @n's entry; without memory, no cache. */
static void frag_store(bpci__cnode *n, const frag_key *k, const char *text, size_t len)
{
	bpci__list_frag *f = bpci__calloc(1, sizeof(*f));
	const char *v[5];
	size_t i, total = 0, off = 0;

	bpci__coord_list_frag_free(n);
	strings_of(v, n);
	for (i = 0; i < 5; i++)
		total += strlen(v[i]) + 1;
	if (f && (f->strs = bpci__malloc(total)) && (f->text = bpci__malloc(len))) {
		for (i = 0; i < 5; i++) {
			memcpy(f->strs + off, v[i], strlen(v[i]) + 1);
			off += strlen(v[i]) + 1;
		}
		memcpy(f->text, text, len);
		f->len = len;
		f->key = *k;
		n->list_frag = f;
		return;
	}
	if (f) {
		bpci__free(f->strs);
		bpci__free(f);
	}
}

/* The entry up to its uptime; -1 on invalid UTF-8. */
static int put_fixed(out_buf *o, const bpci__cnode *n, const char *type, const char *state)
{
	int live = n->proc != NULL;
	int bad = 0;

	LIT(o, "{\"endpoint\":");
	bad |= str(o, n->endpoint);
	LIT(o, ",\"failure_reason\":");
	bad |= str(o, n->failure_reason);
	LIT(o, ",\"id\":");
	bad |= str(o, n->id);
	LIT(o, ",\"last_exit\":");
	if (n->last_exit_ms || n->last_exit_code >= 0 || n->last_exit_signal) {
		LIT(o, "{\"code\":");
		num(o, n->last_exit_code);
		LIT(o, ",\"signal\":");
		num(o, n->last_exit_signal);
		LIT(o, ",\"time_ms\":");
		num(o, (long long)n->last_exit_ms);
		LIT(o, "}");
	} else {
		LIT(o, "null");
	}
	LIT(o, ",\"last_heartbeat_ms\":");
	num(o, (long long)n->last_heartbeat_ms);
	LIT(o, ",\"name\":");
	bad |= str(o, entry_name(n));
	LIT(o, ",\"pid\":");
	num(o, live ? (long long)bpci__proc_pid(n->proc) : 0);
	LIT(o, ",\"port\":");
	num(o, (long long)n->port);
	LIT(o, ",\"restarts\":");
	num(o, (int)n->restarts);
	LIT(o, ",\"start_latency_ms\":");
	num(o, (long long)n->start_latency_ms);
	LIT(o, ",\"started_ms\":");
	num(o, live ? (long long)n->started_ms : 0);
	LIT(o, ",\"state\":");
	bad |= str(o, state);
	LIT(o, ",\"status_text\":");
	bad |= str(o, n->status_text);
	LIT(o, ",\"type\":");
	bad |= str(o, type);
	LIT(o, ",\"uptime_ms\":");
	return bad ? -1 : 0;
}

/*
 * One entry. Everything but the uptime changes rarely (a heartbeat, a
 * state change): the rendered text is kept per node and reused while what
 * it was made from is unchanged, so a repeated list costs a comparison and
 * a copy per node.
 */
static int put_node(out_buf *o, bpci__cnode *n, uint64_t now_mono)
{
	const char *type, *state;
	frag_key k;
	size_t start;

	key_of(&k, n);
	if (frag_fresh(n->list_frag, &k, n)) {
		if (reserve(o, n->list_frag->len + 32) < 0)
			return BPCI_ENOMEM;
		lit(o, n->list_frag->text, n->list_frag->len);
	} else {
		type = bpci_node_type_name((bpci_node_type)k.type);
		state = bpci_node_state_name(n->state);
		if (reserve(o, worst_case(n, type, state)) < 0)
			return BPCI_ENOMEM;
		start = (size_t)(o->p - o->buf);
		if (put_fixed(o, n, type, state) < 0)
			return BPCI_EINVAL;
		frag_store(n, &k, o->buf + start, (size_t)(o->p - o->buf) - start);
	}
	num(o, n->proc ? (long long)(now_mono - n->started_mono) : 0);
	LIT(o, "}");
	return 0;
}

int bpci__coordinator_list_json(char **out, size_t *len, bpci_coordinator *c,
				bpci_node_type type, size_t size_hint)
{
	out_buf o = {NULL, NULL, 0};
	uint64_t now = bpci__coord_mono_ms();
	size_t i, first = 1;
	int rc = reserve(&o, size_hint > 64 ? size_hint : 64);

	*out = NULL;
	*len = 0;
	if (rc < 0)
		return rc;
	LIT(&o, "{\"nodes\":[");
	for (i = 0; i < c->nnodes && rc == 0; i++) {
		if (type && bpci_node_spec_type(c->nodes[i]->spec) != type)
			continue;
		if (!first)
			*o.p++ = ','; /* reserve() always leaves a byte over */
		first = 0;
		rc = put_node(&o, c->nodes[i], now);
	}
	if (rc == 0)
		rc = reserve(&o, 2);
	if (rc < 0) {
		bpci__free(o.buf);
		return rc;
	}
	LIT(&o, "]}");
	*o.p = '\0';
	*len = (size_t)(o.p - o.buf);
	*out = o.buf;
	return 0;
}
