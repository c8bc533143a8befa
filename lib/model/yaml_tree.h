/*
 * Internal: a YAML document loaded into a small tree that remembers where
 * every node was written, so that the configuration loader can report
 * "file:line:col: path message" long after libyaml's events are gone.
 *
 * Only the YAML a configuration needs is accepted: one document, scalar
 * mapping keys, no anchors, aliases or custom tags (an alias is how a
 * "billion laughs" document multiplies itself), no duplicate keys. Size,
 * depth and node count are bounded while parsing, so a hostile document
 * costs bounded memory and time and never deep recursion.
 */
#ifndef BPCI_LIB_MODEL_YAML_TREE_H
#define BPCI_LIB_MODEL_YAML_TREE_H

#include <stddef.h>

#include "bpci/error.h"

/* More nodes than this (keys, values and items together) is BPCI_ELIMIT. */
#define BPCI__YAML_MAX_NODES 1000000u

typedef enum bpci__yaml_kind {
	BPCI__YAML_SCALAR = 1,
	BPCI__YAML_SEQUENCE,
	BPCI__YAML_MAPPING
} bpci__yaml_kind;

typedef struct bpci__yaml_node bpci__yaml_node;
struct bpci__yaml_node {
	bpci__yaml_kind kind;
	unsigned int line, column; /* 1-based start of the node */
	int quoted;                /* scalar written quoted or as a block (| >) */
	char *text;                /* scalar: the value, NUL-terminated */
	size_t len;                /* scalar: bytes (the value may hold a NUL) */
	/* Sequence: count items. Mapping: count pairs, items[2i] the key (a
	 * scalar) and items[2i+1] its value. */
	bpci__yaml_node **items;
	size_t count;
	size_t nitems, cap; /* entries held in items (keys and values) */
};

/*
 * Parse @len bytes of @text. *@root receives the document's root, or NULL
 * for an empty document (no content, only comments, or a lone null). Every
 * problem goes to @diag with @source and a position.
 *
 * Returns 0; BPCI_EPARSE (malformed YAML, duplicate key, non-scalar key,
 * several documents); BPCI_EINVAL (anchor, alias or tag); BPCI_ELIMIT (more
 * than @max_bytes, deeper than @max_depth, too many nodes); BPCI_ENOMEM.
 * On error *@root is NULL.
 */
int bpci__yaml_load(bpci__yaml_node **root, const char *text, size_t len,
		    size_t max_bytes, unsigned int max_depth, const char *source,
		    bpci_diag *diag);

/* Free a tree. NULL is a no-op. */
void bpci__yaml_free(bpci__yaml_node *node);

/* Copy @len bytes of @s for a message: printable ASCII kept, other bytes
 * as '?', cut with "..." to fit @size. */
void bpci__yaml_excerpt(char *buf, size_t size, const char *s, size_t len);

/* "a scalar", "a sequence", "a mapping" (for messages). */
const char *bpci__yaml_kind_name(const bpci__yaml_node *node);

/* Non-zero for a null value: an empty or ~/null plain scalar. */
int bpci__yaml_is_null(const bpci__yaml_node *node);

/* The value under @key in a mapping (NULL when absent or not a mapping);
 * *@key_node receives the key when @key_node is not NULL. */
const bpci__yaml_node *bpci__yaml_get(const bpci__yaml_node *map, const char *key,
				       const bpci__yaml_node **key_node);

#endif
