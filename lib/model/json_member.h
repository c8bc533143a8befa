/*
 * Internal: adding a string member to the canonical JSON text of an object
 * (compact, keys sorted: what json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
 * prints), without building a tree. The text stays canonical: the member
 * goes where jansson's sort would put it, and its value is quoted as it
 * is when it needs no escape (json_canon.h), else escaped by jansson.
 *
 * Why: a node's spec file is its spec's canonical text plus its id and
 * endpoint; building it through a spec copy and jansson cost a start of
 * 1,000 nodes a noticeable part of the coordinator's CPU, spent on a text
 * the coordinator already has.
 */
#ifndef BPCI_LIB_MODEL_JSON_MEMBER_H
#define BPCI_LIB_MODEL_JSON_MEMBER_H

/*
 * *@out = @obj with "@key":"@value" added (malloc'd, free with bpci__free).
 * @obj must be a canonical object text whose keys need no escapes, and
 * @key a key that needs none. Returns 0; BPCI_EEXISTS (@key is there;
 * *@out NULL); BPCI_EINVAL (@obj or @key is not of that shape, or @value
 * not UTF-8: the caller takes the long way); BPCI_ENOMEM.
 */
int bpci__json_insert_string(char **out, const char *obj, const char *key, const char *value);

#endif
