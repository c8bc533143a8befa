/*
 * GET /api/nodes straight from the node table.
 *
 * The list is the API's hottest answer (~300 bytes and 15 keys per node).
 * Going through bpci_coordinator_list_nodes() costs six allocations per
 * node for the snapshot, and a checked, growing append per field for the
 * text; at 1,000 nodes that was ~1 ms of the loop's time per request, and
 * on a loaded 2-core machine the longer a request holds the CPU the more
 * often it is preempted in the middle (the p99). Here the space a node can
 * need is reserved once (every string escaped at its worst, 6 bytes a
 * byte), then the fields are written without checks, integers without
 * printf, and the clock is read once per request.
 *
 * The bytes are exactly those of bpci_node_status_list_to_json() for the
 * same table (keys in sorted order, jansson's escapes); a string that is
 * not valid UTF-8 returns BPCI_EINVAL so that the caller takes that slower
 * path and answers exactly as jansson would.
 */
#include "runtime/coordinator_internal.h"

#include <string.h>

#include "common/alloc.h"

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

/* Length of the UTF-8 sequence at @s as jansson accepts it; 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0;
	return n;
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
			if ((n = utf8_len(s)) == 0)
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

	/* keys and punctuation ~230, 10 numbers of at most 20 digits */
	return 6 * strings + 512;
}

static int put_node(out_buf *o, const bpci__cnode *n, uint64_t now_mono)
{
	const char *type = bpci_node_type_name(bpci_node_spec_type(n->spec));
	const char *state = bpci_node_state_name(n->state);
	int live = n->proc != NULL;
	int bad = 0;

	if (reserve(o, worst_case(n, type, state)) < 0)
		return BPCI_ENOMEM;
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
	bad |= str(o, n->name ? n->name : n->id);
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
	num(o, live ? (long long)(now_mono - n->started_mono) : 0);
	LIT(o, "}");
	return bad ? BPCI_EINVAL : 0;
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
