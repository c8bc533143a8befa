/*
 * Internal: the node model's field tables and value storage, shared by
 * node_fields.c (tables), node_spec.c (handle and setters), node_validate.c
 * and node_json.c.
 *
 * The public descriptor arrays (bpci_field_info) must be contiguous, so
 * what only the library needs (aliases, defaults, extra item checks) lives
 * in a parallel array of bpci__field_ext with the same indexes.
 */
#ifndef BPCI_LIB_MODEL_NODE_INTERNAL_H
#define BPCI_LIB_MODEL_NODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bpci/node.h"

/* An accepted spelling of an enum value (matched case-insensitively). */
typedef struct bpci__alias {
	const char *alias;
	const char *canonical;
} bpci__alias;

/* Checks beyond the kind (for scalars, or for each item of a list). */
typedef enum bpci__check {
	BPCI__CHECK_NONE = 0,
	BPCI__CHECK_ADDRESS,        /* 0x + 40 hex digits (web3 contracts) */
	BPCI__CHECK_RECEIPT_SOURCE, /* a known source (canonicalised) or an ident */
	BPCI__CHECK_ABS_PATH,       /* an absolute file-system path */
	BPCI__CHECK_ENV_KEY,        /* map keys [A-Za-z_][A-Za-z0-9_]* */
	BPCI__CHECK_LABEL_KEY       /* map keys [a-z0-9][a-z0-9._/-]* */
} bpci__check;

typedef struct bpci__field_ext {
	const bpci__alias *aliases; /* NULL-terminated (alias == NULL), or NULL */
	uint64_t unit_bytes;        /* SIZE: bytes per bare unit */
	const char *bare_unit;      /* DURATION: unit of a bare number */
	bpci__check check;
	const char *def;            /* default as text (common fields), or NULL */
} bpci__field_ext;

/* One type's table, or the common table. */
typedef struct bpci__field_table {
	const bpci_field_info *info;
	const bpci__field_ext *ext;
	size_t count;
} bpci__field_table;

/* Tables (node_fields.c). The type table is NULL for an unknown type. */
const bpci__field_table *bpci__node_type_table(bpci_node_type type);
const bpci__field_table *bpci__node_common_table(void);

/* The receipt sources a logbook knows by name, and their aliases. */
extern const char *const bpci__receipt_sources[];
extern const bpci__alias bpci__receipt_source_aliases[];

/* A stored value. Which member is used follows the field's kind. */
typedef struct bpci__value {
	int set;
	char *str;           /* STRING, IDENT, URL (owned); ENUM: static canonical */
	uint64_t u;          /* UINT, SIZE (bytes), DURATION (ms), CPU (mc), BANDWIDTH */
	double num;          /* NUMBER */
	int b;               /* BOOL */
	char **items;        /* LIST, ARGV, MAP ("key=value", sorted by key); owned,
				NULL-terminated */
	size_t count;
} bpci__value;

struct bpci_node_spec {
	bpci_node_type type;
	const bpci__field_table *params;
	const bpci__field_table *common;
	bpci__value *param_values;   /* params->count entries */
	bpci__value *common_values;  /* common->count entries */
};

/* Resolved field reference: which table slot, and the map key if any. */
typedef struct bpci__field_ref {
	const bpci_field_info *info;
	const bpci__field_ext *ext;
	bpci__value *value;
	const char *key;   /* "labels.region" -> "region"; NULL otherwise */
} bpci__field_ref;

/* Find @name in @spec; 0 or BPCI_ENOTFOUND (no diag). */
int bpci__node_field_ref(bpci__field_ref *ref, const bpci_node_spec *spec,
			 const char *name);

/* Report an unknown field with a did-you-mean; returns BPCI_ENOTFOUND. */
int bpci__node_unknown_field(const bpci_node_spec *spec, const char *name,
			     bpci_diag *diag);

/* Check one item (or a scalar) of kind @kind with @ext's check; on success
 * *@canon is the canonical spelling to store (static or @text itself). */
int bpci__node_check_item(const char **canon, const bpci_field_info *info,
			  bpci_field_kind kind, const bpci__field_ext *ext,
			  const char *field, const char *text, bpci_diag *diag);

/* Check a stored-unit number against @info's bounds; 0 or BPCI_EINVAL. */
int bpci__node_check_uint(const bpci_field_info *info, const char *field, uint64_t v,
			  bpci_diag *diag);

/* Format a stored-unit number the way users write it ("16Gi", "10s"). */
void bpci__node_format_uint(char *buf, size_t size, const bpci_field_info *info,
			    uint64_t v);

/* Free what a value owns and mark it unset. */
void bpci__node_value_clear(bpci__value *v, const bpci_field_info *info);
/* Deep copy; 0 or BPCI_ENOMEM (then @dst is left unset). */
int bpci__node_value_copy(bpci__value *dst, const bpci__value *src,
			  const bpci_field_info *info);
int bpci__node_value_equal(const bpci__value *a, const bpci__value *b,
			   const bpci_field_info *info);

#endif
