/*
 * Internal: recognizing JSON text that is already in the canonical form
 * (what jansson 2.14's json_dumps with JSON_COMPACT | JSON_SORT_KEYS
 * prints), so that it can be copied instead of parsed and printed again:
 * ledger entries store it, and a node's spec file is spliced into it
 * (json_member.c). Both checks are conservative: 0 only means "not
 * certain", and the caller then takes the jansson path.
 */
#ifndef BPCI_LIB_MODEL_JSON_CANON_H
#define BPCI_LIB_MODEL_JSON_CANON_H

#include <stddef.h>

/*
 * 1 when @text (@len bytes, no NUL needed) is a JSON object and
 * json_dumps(json_loads(text, JSON_REJECT_DUPLICATES), JSON_COMPACT |
 * JSON_SORT_KEYS) would print exactly these bytes; else 0. No allocation,
 * one pass; reentrant.
 */
int bpci__json_canonical_object(const char *text, size_t len);

/*
 * 1 when the string @s (@len bytes) is valid UTF-8 (as jansson checks it)
 * and needs no escape, so that its JSON text is '"' @s '"'; else 0.
 */
int bpci__json_plain_string(const char *s, size_t len);

#endif
