/*
 * Internal: what the cluster model's files share — the daemon spec's
 * layout, a diagnostics-prefix helper and the JSON plumbing of the
 * to_json/from_json functions.
 */
#ifndef BPCI_LIB_MODEL_CLUSTER_INTERNAL_H
#define BPCI_LIB_MODEL_CLUSTER_INTERNAL_H

#include <jansson.h>

#include "bpci/cluster.h"
#include "common/diag.h"

typedef struct bpci__label {
	char *key, *value;
} bpci__label;

struct bpci_daemon_spec {
	char *id;                   /* NULL when unset */
	char *parent;               /* NULL for a root */
	unsigned int responsibilities;
	bpci_resources capacity;
	int remote;
	bpci__label *labels;        /* sorted by key, unique */
	size_t nlabels, cap;
};

/*
 * Add or replace one label after checking key and value (field
 * "labels.KEY"). Returns 0, BPCI_EINVAL or BPCI_ENOMEM; unchanged on error.
 */
int bpci__daemon_spec_put_label(bpci_daemon_spec *spec, const char *key, const char *value,
				bpci_diag *diag);

/*
 * Make entries added to @diag carry "<current prefix>.<name>" as field
 * prefix; @buf (of @size bytes) holds the joined prefix and must outlive
 * its use. Returns the previous context, for bpci__diag_set_ctx().
 */
bpci__diag_ctx bpci__diag_push_prefix(bpci_diag *diag, char *buf, size_t size,
				      const char *name);

/* Largest JSON document the from_json functions read. */
#define BPCI__JSON_MAX (1u << 20)

/*
 * Parse @len bytes of JSON that must be an object. Returns 0 with the
 * object in *out (json_decref it), or BPCI_ELIMIT / BPCI_EPARSE (with line
 * and column) / BPCI_ENOMEM.
 */
int bpci__json_load_object(json_t **out, const char *json, size_t len, bpci_diag *diag);

/*
 * Report every key of @obj not in @allowed as BPCI_ENOTFOUND, suggesting
 * the nearest allowed key. Returns 0 or BPCI_ENOTFOUND.
 */
int bpci__json_check_keys(json_t *obj, const char *const *allowed, size_t n, bpci_diag *diag);

/* Canonical text of @v (compact, sorted keys) in *out for bpci_free().
 * Steals @v's reference. Returns 0 or BPCI_ENOMEM. */
int bpci__json_dump(char **out, json_t *v);

/* "abc" for a string, else the JSON type ("number", "array", ...), for messages. */
const char *bpci__json_what(const json_t *v);

/* A JSON array of the responsibilities' names in @mask (new reference),
 * or NULL on ENOMEM. */
json_t *bpci__responsibilities_to_json(unsigned int mask);

/* A JSON array of the set's names (new reference), or NULL on ENOMEM. */
json_t *bpci__capabilities_to_json(const bpci_capabilities *caps);

/*
 * A set from a JSON array of names or a comma-separated string (field
 * "capabilities"). Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
int bpci__capabilities_from_json(bpci_capabilities **out, const json_t *v, bpci_diag *diag);

#endif
