/*
 * YAML text -> position-annotated tree, with libyaml's event parser.
 *
 * The tree is built iteratively: open collections sit on an explicit stack
 * whose height is the depth limit, so neither building nor freeing (whose
 * recursion is bounded by the same limit) can exhaust the C stack.
 */
#include "model/yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/alloc.h"
#include "common/diag.h"

/* Duplicate keys reported per document; more still fail the load. */
#define MAX_REPORTED 1000u

struct loader {
	yaml_parser_t parser;
	const char *text;
	size_t len;
	const char *source;
	bpci_diag *diag;
	unsigned int max_depth, depth;
	bpci__yaml_node **stack; /* max_depth open collections */
	size_t nodes;
	int documents;
	int rc; /* first non-fatal error (duplicate keys) */
	size_t duplicates;
	bpci__yaml_node *root;
};

/* A message stays one readable line whatever the document holds. */
void bpci__yaml_excerpt(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, o = 0, keep = size > 4 ? size - 4 : 0;

	for (i = 0; i < len && o < keep; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len && size >= 4) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (size)
		buf[o < size ? o : size - 1] = '\0';
}

void bpci__yaml_free(bpci__yaml_node *node)
{
	size_t i;

	if (!node)
		return;
	for (i = 0; i < node->nitems; i++)
		bpci__yaml_free(node->items[i]);
	bpci__free(node->items);
	bpci__free(node->text);
	bpci__free(node);
}

const char *bpci__yaml_kind_name(const bpci__yaml_node *node)
{
	if (!node)
		return "nothing";
	switch (node->kind) {
	case BPCI__YAML_SEQUENCE:
		return "a sequence";
	case BPCI__YAML_MAPPING:
		return "a mapping";
	default:
		return "a scalar";
	}
}

int bpci__yaml_is_null(const bpci__yaml_node *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (!node)
		return 1;
	if (node->kind != BPCI__YAML_SCALAR || node->quoted)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->text, nulls[i]) == 0 && node->len == strlen(nulls[i]))
			return 1;
	return 0;
}

const bpci__yaml_node *bpci__yaml_get(const bpci__yaml_node *map, const char *key,
				       const bpci__yaml_node **key_node)
{
	size_t i;

	if (!map || map->kind != BPCI__YAML_MAPPING)
		return NULL;
	for (i = 0; i < map->count; i++) {
		const bpci__yaml_node *k = map->items[2 * i];

		if (k->len == strlen(key) && memcmp(k->text, key, k->len) == 0) {
			if (key_node)
				*key_node = k;
			return map->items[2 * i + 1];
		}
	}
	return NULL;
}

static int fail_at(struct loader *ld, int code, const yaml_mark_t *mark, const char *fmt,
		   const char *arg)
{
	return bpci__diag_add_at(ld->diag, BPCI_SEVERITY_ERROR, code, ld->source,
				 (unsigned int)mark->line + 1, (unsigned int)mark->column + 1,
				 "", fmt, arg);
}

/* libyaml's reader reports a byte offset, not a mark: turn it into one. */
static yaml_mark_t offset_mark(const struct loader *ld, size_t offset)
{
	yaml_mark_t m = {0, 0, 0};
	size_t i;

	for (i = 0; i < offset && i < ld->len; i++) {
		if (ld->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	m.index = offset;
	return m;
}

static int parse_error(struct loader *ld)
{
	const yaml_parser_t *p = &ld->parser;
	yaml_mark_t mark = p->problem_mark;
	char msg[512];

	if (p->error == YAML_MEMORY_ERROR)
		return BPCI_ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		mark = offset_mark(ld, p->problem_offset);
		if (p->problem_value != -1)
			snprintf(msg, sizeof(msg), "%s (byte 0x%02x)",
				 p->problem ? p->problem : "cannot read input",
				 (unsigned int)p->problem_value & 0xffu);
		else
			snprintf(msg, sizeof(msg), "%s",
				 p->problem ? p->problem : "cannot read input");
	} else if (p->context) {
		snprintf(msg, sizeof(msg), "%s (%s at %lu:%lu)",
			 p->problem ? p->problem : "malformed YAML", p->context,
			 (unsigned long)p->context_mark.line + 1,
			 (unsigned long)p->context_mark.column + 1);
	} else {
		snprintf(msg, sizeof(msg), "%s", p->problem ? p->problem : "malformed YAML");
	}
	return fail_at(ld, BPCI_EPARSE, &mark, "%s", msg);
}

/* Anchors make aliases possible, and custom tags change what a value means:
 * neither belongs in a configuration file. The core schema's own tags
 * (!!str 5) are harmless and accepted. */
static int check_props(struct loader *ld, const yaml_mark_t *mark,
		       const yaml_char_t *anchor, const yaml_char_t *tag)
{
	static const char *const ok[] = {"str", "int", "float", "bool", "null", "seq",
					 "map"};
	static const char core[] = "tag:yaml.org,2002:";
	size_t i;

	if (anchor)
		return fail_at(ld, BPCI_EINVAL, mark,
			       "anchors are not allowed (&%s); write the value out",
			       (const char *)anchor);
	if (!tag)
		return 0;
	if (strncmp((const char *)tag, core, sizeof(core) - 1) == 0)
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strcmp((const char *)tag + sizeof(core) - 1, ok[i]) == 0)
				return 0;
	return fail_at(ld, BPCI_EINVAL, mark, "tags are not allowed ('%s')", (const char *)tag);
}

static int new_node(struct loader *ld, bpci__yaml_node **out, bpci__yaml_kind kind,
		    const yaml_mark_t *mark)
{
	bpci__yaml_node *n;

	*out = NULL;
	if (ld->nodes >= BPCI__YAML_MAX_NODES)
		return bpci__diag_add_at(ld->diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT,
					 ld->source, (unsigned int)mark->line + 1,
					 (unsigned int)mark->column + 1, "",
					 "document has more than %u YAML nodes",
					 BPCI__YAML_MAX_NODES);
	n = bpci__calloc(1, sizeof(*n));
	if (!n)
		return BPCI_ENOMEM;
	ld->nodes++;
	n->kind = kind;
	n->line = (unsigned int)mark->line + 1;
	n->column = (unsigned int)mark->column + 1;
	*out = n;
	return 0;
}

/* Hang @n under the innermost open collection (or make it the root). The
 * node is owned by the tree from here on, even when this fails. */
static int attach(struct loader *ld, bpci__yaml_node *n)
{
	bpci__yaml_node *parent;

	if (ld->depth == 0) {
		ld->root = n;
		return 0;
	}
	parent = ld->stack[ld->depth - 1];
	if (bpci__grow((void **)&parent->items, &parent->cap, parent->nitems + 1,
		       sizeof(*parent->items)) < 0) {
		bpci__yaml_free(n);
		return BPCI_ENOMEM;
	}
	parent->items[parent->nitems++] = n;
	parent->count = parent->kind == BPCI__YAML_MAPPING ? parent->nitems / 2
							    : parent->nitems;
	if (parent->kind == BPCI__YAML_MAPPING && parent->nitems % 2 == 1 &&
	    n->kind != BPCI__YAML_SCALAR)
		return bpci__diag_add_at(ld->diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE,
					 ld->source, n->line, n->column, "",
					 "mapping keys must be scalars, got %s",
					 bpci__yaml_kind_name(n));
	return 0;
}

static int on_scalar(struct loader *ld, const yaml_event_t *ev)
{
	bpci__yaml_node *n;
	int rc = check_props(ld, &ev->start_mark, ev->data.scalar.anchor,
			     ev->data.scalar.tag);

	if (rc < 0 || (rc = new_node(ld, &n, BPCI__YAML_SCALAR, &ev->start_mark)) < 0)
		return rc;
	n->len = ev->data.scalar.length;
	n->text = bpci__strndup((const char *)ev->data.scalar.value, n->len);
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (!n->text) {
		bpci__yaml_free(n);
		return BPCI_ENOMEM;
	}
	return attach(ld, n);
}

static int on_start(struct loader *ld, const yaml_event_t *ev, bpci__yaml_kind kind)
{
	bpci__yaml_node *n;
	int rc;

	if (kind == BPCI__YAML_MAPPING)
		rc = check_props(ld, &ev->start_mark, ev->data.mapping_start.anchor,
				 ev->data.mapping_start.tag);
	else
		rc = check_props(ld, &ev->start_mark, ev->data.sequence_start.anchor,
				 ev->data.sequence_start.tag);
	if (rc < 0)
		return rc;
	if (ld->depth >= ld->max_depth)
		return bpci__diag_add_at(ld->diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT,
					 ld->source, (unsigned int)ev->start_mark.line + 1,
					 (unsigned int)ev->start_mark.column + 1, "",
					 "nesting is deeper than %u levels", ld->max_depth);
	if ((rc = new_node(ld, &n, kind, &ev->start_mark)) < 0 || (rc = attach(ld, n)) < 0)
		return rc;
	ld->stack[ld->depth++] = n;
	return 0;
}

struct key_ref {
	const bpci__yaml_node *key;
	size_t index;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->text, y->key->text, n);

	if (c)
		return c;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sort the keys to find duplicates in O(n log n) (a mapping may hold half a
 * million keys), then report them in document order. */
static int check_duplicates(struct loader *ld, const bpci__yaml_node *map)
{
	struct key_ref *refs;
	size_t *first, i, n = map->count;
	char key[80];

	if (n < 2)
		return 0;
	refs = bpci__malloc(n * sizeof(*refs));
	first = bpci__malloc(n * sizeof(*first));
	if (!refs || !first) {
		bpci__free(refs);
		bpci__free(first);
		return BPCI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		refs[i].key = map->items[2 * i];
		refs[i].index = i;
	}
	qsort(refs, n, sizeof(*refs), key_cmp);
	first[refs[0].index] = refs[0].index;
	for (i = 1; i < n; i++)
		first[refs[i].index] = key_cmp(&(struct key_ref){refs[i].key, 0},
					       &(struct key_ref){refs[i - 1].key, 0}) == 0
					       ? first[refs[i - 1].index]
					       : refs[i].index;
	for (i = 0; i < n; i++) {
		const bpci__yaml_node *k = map->items[2 * i], *f;

		if (first[i] == i || ++ld->duplicates > MAX_REPORTED)
			continue;
		f = map->items[2 * first[i]];
		bpci__yaml_excerpt(key, sizeof(key), k->text, k->len);
		bpci__diag_add_at(ld->diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, ld->source,
				  k->line, k->column, "", "duplicate key '%s' (first at %u:%u)",
				  key, f->line, f->column);
		if (!ld->rc)
			ld->rc = BPCI_EPARSE;
	}
	bpci__free(refs);
	bpci__free(first);
	return 0;
}

static int on_end(struct loader *ld)
{
	bpci__yaml_node *n = ld->stack[--ld->depth];

	return n->kind == BPCI__YAML_MAPPING ? check_duplicates(ld, n) : 0;
}

static int on_event(struct loader *ld, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (ld->documents++ > 0)
			return fail_at(ld, BPCI_EPARSE, &ev->start_mark, "%s",
				       "a configuration is one YAML document; "
				       "a second one starts here");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(ld, BPCI_EINVAL, &ev->start_mark,
			       "aliases are not allowed (*%s); write the value out",
			       (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(ld, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(ld, ev, BPCI__YAML_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		return on_start(ld, ev, BPCI__YAML_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(ld);
	default:
		return 0;
	}
}

static int run(struct loader *ld)
{
	yaml_event_t ev;
	int rc = 0, done = 0;

	yaml_parser_set_input_string(&ld->parser, (const unsigned char *)ld->text, ld->len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&ld->parser, &ev))
			return parse_error(ld);
		rc = on_event(ld, &ev);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	return rc ? rc : ld->rc;
}

int bpci__yaml_load(bpci__yaml_node **root, const char *text, size_t len,
		    size_t max_bytes, unsigned int max_depth, const char *source,
		    bpci_diag *diag)
{
	struct loader ld;
	int rc;

	*root = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.text = text ? text : "";
	ld.len = text ? len : 0;
	ld.source = source;
	ld.diag = diag;
	ld.max_depth = max_depth;
	if (ld.len > max_bytes)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, source, 0, 0,
					 "", "input is %zu bytes; at most %zu are allowed",
					 ld.len, max_bytes);
	ld.stack = bpci__calloc(max_depth ? max_depth : 1, sizeof(*ld.stack));
	if (!ld.stack)
		return BPCI_ENOMEM;
	if (!yaml_parser_initialize(&ld.parser)) {
		bpci__free(ld.stack);
		return BPCI_ENOMEM;
	}
	rc = run(&ld);
	yaml_parser_delete(&ld.parser);
	bpci__free(ld.stack);
	if (rc < 0) {
		bpci__yaml_free(ld.root);
		return rc;
	}
	if (bpci__yaml_is_null(ld.root)) {
		bpci__yaml_free(ld.root);
		ld.root = NULL;
	}
	*root = ld.root;
	return 0;
}
