/*
 * libbpci — the node model: the eight node types, their typed parameters,
 * and the fields every node has (identity, command, environment, resources,
 * restart policy, health check, labels).
 *
 * A node spec is an opaque handle. Fields are addressed by name: a type's
 * own parameters by their plain name ("replication_factor"), the common
 * fields by name or dotted path ("endpoint", "resources.memory_gb",
 * "restart.policy", "health.interval", "labels.region", "environment.FOO").
 * Setting a field parses and checks the value against the field's rules;
 * bpci_node_spec_validate() checks the spec as a whole. The same rules serve
 * the CLI flags, the YAML configuration and the JSON form, so a value is
 * refused with the same message wherever it comes from.
 *
 * Field descriptors (bpci_field_info) describe every field: its name, CLI
 * flag, kind, bounds and allowed values; front-ends build their flags and
 * help from them.
 *
 * Thread-safety: distinct handles may be used from distinct threads; one
 * handle must not be used from two threads at once. The descriptor tables
 * are immutable and may be read from any thread.
 */
#ifndef BPCI_NODE_H
#define BPCI_NODE_H

#include "common.h"
#include "error.h"
#include "resources.h"

BPCI_BEGIN_DECLS

/** The eight node types. Values are stable. */
typedef enum bpci_node_type {
	BPCI_NODE_ENC_CLUSTER = 1,
	BPCI_NODE_ORACLE = 2,
	BPCI_NODE_SHADOW_REGISTRY = 3,
	BPCI_NODE_PIPELINE_API = 4,
	BPCI_NODE_STORAGE = 5,
	BPCI_NODE_PROOF = 6,
	BPCI_NODE_AUDIT = 7,
	BPCI_NODE_LOGBOOK = 8
} bpci_node_type;

/** Number of node types; valid types are 1..BPCI_NODE_TYPE_COUNT. */
#define BPCI_NODE_TYPE_COUNT 8

/**
 * bpci_node_type_parse - look up a node type by name.
 *
 * @out: receives the type.
 * @name: the CLI spelling ("enc-cluster", "shadow-registry", ...) or an
 *        alias of the original description ("enc_cluster", "EncCluster",
 *        "shadow_registry", ...). Case-insensitive.
 *
 * Returns 0, or BPCI_EINVAL when @name names no type.
 */
BPCI_EXTERN int bpci_node_type_parse(bpci_node_type *out, const char *name);

/** bpci_node_type_name - the CLI spelling of @type ("enc-cluster"), or NULL
 *  for a value outside 1..BPCI_NODE_TYPE_COUNT. Static; do not free. */
BPCI_EXTERN const char *bpci_node_type_name(bpci_node_type type);

/** The kind of value a field holds. */
typedef enum bpci_field_kind {
	BPCI_FIELD_STRING = 1,   /**< free text (non-empty, printable) */
	BPCI_FIELD_IDENT,        /**< identifier: [A-Za-z0-9][A-Za-z0-9._-]* (ids, names) */
	BPCI_FIELD_ENUM,         /**< one of info->values (aliases accepted) */
	BPCI_FIELD_URL,          /**< absolute http(s):// URL */
	BPCI_FIELD_UINT,         /**< unsigned integer within [min, max] */
	BPCI_FIELD_NUMBER,       /**< real number within [min, max] */
	BPCI_FIELD_BOOL,         /**< true/false (yes/no, on/off, 1/0) */
	BPCI_FIELD_DURATION,     /**< "90d", "12h", "1500ms"; stored in milliseconds */
	BPCI_FIELD_SIZE,         /**< "16Gi", "500G", 16 (in the field's unit); stored in bytes */
	BPCI_FIELD_CPU,          /**< "8", "8 cores", "500m", 0.5; stored in millicores */
	BPCI_FIELD_BANDWIDTH,    /**< "1000", "1000Mbps", "1Gbps"; stored in Mbit/s */
	BPCI_FIELD_LIST,         /**< list of info->item_kind values */
	BPCI_FIELD_MAP,          /**< string-to-string map (labels, environment) */
	BPCI_FIELD_ARGV          /**< a command line: a list of arguments */
} bpci_field_kind;

/** Describes one field. Tables are static: every pointer is borrowed. */
typedef struct bpci_field_info {
	const char *name;          /**< "replication_factor", "resources.memory_gb" */
	const char *flag;          /**< CLI long option without dashes, or NULL */
	bpci_field_kind kind;
	bpci_field_kind item_kind; /**< for BPCI_FIELD_LIST: the kind of each item */
	const char *const *values; /**< ENUM (or ENUM items): canonical values,
				        NULL-terminated; else NULL */
	double min, max;           /**< UINT/NUMBER bounds (inclusive); for SIZE
				        and DURATION in the stored unit; for LIST
				        the item count; 0,0 when unbounded; for
				        all but NUMBER, max 0 means no upper bound */
	const char *unit;          /**< unit of a bare number ("GiB", "ms"), or NULL */
	int required;              /**< non-zero: validate() refuses a spec without it */
	const char *help;          /**< one line for --help and man pages */
} bpci_field_info;

/**
 * bpci_node_type_fields - the descriptors of @type's own parameters.
 *
 * @out: receives a borrowed pointer to a static array.
 * @count: receives the number of entries.
 * @type: a node type.
 *
 * Returns 0 or BPCI_EINVAL for an unknown type.
 */
BPCI_EXTERN int bpci_node_type_fields(const bpci_field_info **out, size_t *count,
				      bpci_node_type type);

/**
 * bpci_node_common_fields - the descriptors of the fields every node has
 * (id, name, endpoint, command, environment, resources.*, restart.*,
 * health.*, labels). Same ownership as bpci_node_type_fields().
 */
BPCI_EXTERN int bpci_node_common_fields(const bpci_field_info **out, size_t *count);

/** A node specification (opaque). */
typedef struct bpci_node_spec bpci_node_spec;

/**
 * bpci_node_spec_new - create an empty spec of @type.
 *
 * Common fields start at their defaults (restart policy permanent, health
 * check by notify, 10 s heartbeat, ...); type parameters start unset.
 *
 * @out: receives the spec; free it with bpci_node_spec_free().
 * Returns 0, BPCI_EINVAL (unknown type) or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_node_spec_new(bpci_node_spec **out, bpci_node_type type);

/** bpci_node_spec_free - free a spec. NULL is a no-op. */
BPCI_EXTERN void bpci_node_spec_free(bpci_node_spec *spec);

/** bpci_node_spec_dup - deep copy @spec into a new spec in *@out (free it
 *  with bpci_node_spec_free()). Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_node_spec_dup(bpci_node_spec **out, const bpci_node_spec *spec);

/** bpci_node_spec_type - the spec's node type. */
BPCI_EXTERN bpci_node_type bpci_node_spec_type(const bpci_node_spec *spec);

/**
 * bpci_node_spec_field - the descriptor of field @name for this spec's type
 * (type parameter or common field; for map fields "labels.region" resolves
 * to "labels"). Returns a borrowed pointer, or NULL when there is no such
 * field.
 */
BPCI_EXTERN const bpci_field_info *bpci_node_spec_field(const bpci_node_spec *spec,
							 const char *name);

/**
 * bpci_node_spec_set - set a field from text.
 *
 * @spec: the spec.
 * @field: a field name or path (see the top of this file). For MAP fields,
 *         either "labels" with @value "key=value" (adds or replaces one key)
 *         or "labels.key" with the value alone.
 * @value: the text. Lists are comma-separated ("ethereum,polygon"); ARGV is
 *         split like a shell does (spaces, single and double quotes). An
 *         empty @value for a MAP "labels.key" path removes the key.
 * @diag: receives one entry per problem, or NULL.
 *
 * Returns 0; BPCI_ENOTFOUND when the field does not exist for this type
 * (the message suggests the nearest name); BPCI_EINVAL when the value is
 * not allowed (the message names the value and what is allowed). On error
 * the field keeps its previous value.
 */
BPCI_EXTERN int bpci_node_spec_set(bpci_node_spec *spec, const char *field,
				   const char *value, bpci_diag *diag);

/**
 * bpci_node_spec_set_list - set a LIST or ARGV field from separate items
 * (no comma splitting). Same return codes as bpci_node_spec_set(); every
 * bad item is reported ("supported_chains[2] ...").
 */
BPCI_EXTERN int bpci_node_spec_set_list(bpci_node_spec *spec, const char *field,
					const char *const *items, size_t count,
					bpci_diag *diag);

/** bpci_node_spec_set_uint - set a UINT, SIZE (bytes), DURATION (ms), CPU
 *  (millicores) or BANDWIDTH (Mbit/s) field from a number in its stored
 *  unit. Same return codes as bpci_node_spec_set(). */
BPCI_EXTERN int bpci_node_spec_set_uint(bpci_node_spec *spec, const char *field,
					uint64_t value, bpci_diag *diag);

/** bpci_node_spec_set_number - set a NUMBER field. */
BPCI_EXTERN int bpci_node_spec_set_number(bpci_node_spec *spec, const char *field,
					  double value, bpci_diag *diag);

/** bpci_node_spec_set_bool - set a BOOL field (any non-zero is true). */
BPCI_EXTERN int bpci_node_spec_set_bool(bpci_node_spec *spec, const char *field,
					int value, bpci_diag *diag);

/** bpci_node_spec_unset - return a field to unset (type parameters) or to
 *  its default (common fields). Returns 0 or BPCI_ENOTFOUND. */
BPCI_EXTERN int bpci_node_spec_unset(bpci_node_spec *spec, const char *field);

/** bpci_node_spec_has - non-zero when @field is set (or has a default). */
BPCI_EXTERN int bpci_node_spec_has(const bpci_node_spec *spec, const char *field);

/**
 * bpci_node_spec_get_string - the value of a STRING, IDENT, ENUM or URL
 * field (ENUM values in canonical spelling), or of a "labels.key" path.
 *
 * @out: receives a borrowed pointer valid until the field changes or the
 *       spec is freed.
 * Returns 0; BPCI_ENOTFOUND when the field does not exist or is unset;
 * BPCI_EINVAL when the field is of another kind.
 */
BPCI_EXTERN int bpci_node_spec_get_string(const bpci_node_spec *spec, const char *field,
					  const char **out);

/** bpci_node_spec_get_uint - the value of a UINT, SIZE, DURATION, CPU or
 *  BANDWIDTH field in its stored unit. Codes as bpci_node_spec_get_string(). */
BPCI_EXTERN int bpci_node_spec_get_uint(const bpci_node_spec *spec, const char *field,
					uint64_t *out);

/** bpci_node_spec_get_number - the value of a NUMBER field. */
BPCI_EXTERN int bpci_node_spec_get_number(const bpci_node_spec *spec, const char *field,
					  double *out);

/** bpci_node_spec_get_bool - the value of a BOOL field (0 or 1). */
BPCI_EXTERN int bpci_node_spec_get_bool(const bpci_node_spec *spec, const char *field,
					int *out);

/**
 * bpci_node_spec_get_list - the items of a LIST, ARGV or MAP field (for a
 * MAP, items are "key=value" in key order).
 *
 * @items: receives a borrowed array valid until the field changes.
 * @count: receives the number of items.
 */
BPCI_EXTERN int bpci_node_spec_get_list(const bpci_node_spec *spec, const char *field,
					const char *const **items, size_t *count);

/**
 * bpci_node_spec_get_resources - the spec's resources.* fields as one
 * amount (cpu_cores in millicores, memory_gb and storage_gb in bytes,
 * network_bandwidth_mbps, gpu_units); unset fields count as 0.
 *
 * @out: receives the amounts.
 * Returns 0.
 */
BPCI_EXTERN int bpci_node_spec_get_resources(const bpci_node_spec *spec, bpci_resources *out);

/** Flags for bpci_node_spec_validate() and the loaders. */
#define BPCI_VALIDATE_STRICT 0x1u  /**< warnings (e.g. a bad EIP-55 checksum) are errors */
#define BPCI_VALIDATE_PARTIAL 0x2u /**< do not require the required fields
					(for per-type defaults that nodes complete) */

/**
 * bpci_node_spec_validate - check the spec as a whole: required fields,
 * cross-field rules, and warnings such as a mixed-case web3 contract
 * address whose EIP-55 checksum fails (the warning names the correctly
 * checksummed form).
 *
 * @flags: BPCI_VALIDATE_* bits.
 * @diag: receives one entry per problem, or NULL.
 *
 * Returns 0 when there is no error (warnings may have been added), else
 * BPCI_EINVAL.
 */
BPCI_EXTERN int bpci_node_spec_validate(const bpci_node_spec *spec, unsigned int flags,
					bpci_diag *diag);

/**
 * bpci_node_spec_merge - copy into @dst every field that is set in @src and
 * not set in @dst (type parameters only; for applying per-type defaults).
 * Both specs must be of the same type. Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_node_spec_merge(bpci_node_spec *dst, const bpci_node_spec *src);

/** bpci_node_spec_equal - non-zero when both specs hold the same values. */
BPCI_EXTERN int bpci_node_spec_equal(const bpci_node_spec *a, const bpci_node_spec *b);

/**
 * bpci_node_spec_to_json - serialize to canonical JSON (sorted keys, no
 * insignificant whitespace; unset fields omitted).
 *
 * The shape is {"type":"storage","id":...,"name":...,"endpoint":...,
 * "command":[...],"environment":{...},"labels":{...},
 * "resources":{"cpu_cores":8,"memory_gb":16,...},"restart":{...},
 * "health":{...},"stop":{...},"working_dir":...,"user":...,"group":...,
 * "params":{"storage_type":"distributed",...}}, with sizes in the field's
 * unit (memory_gb may be fractional), CPU in cores, bandwidth in Mbit/s,
 * durations as strings in the largest exact unit ("90d", "1500ms"), and
 * reals with the fewest digits that read back exactly.
 *
 * @out: receives a NUL-terminated string; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_node_spec_to_json(char **out, const bpci_node_spec *spec);

/**
 * bpci_node_spec_from_json - parse the form bpci_node_spec_to_json() writes
 * (values may also be given as strings with units). Unknown keys are errors.
 *
 * @out: receives the spec; free it with bpci_node_spec_free().
 * @json: the text, @len bytes (need not be NUL-terminated).
 * @diag: receives one entry per problem (with line:column for syntax
 *        errors), or NULL.
 *
 * Returns 0, BPCI_EPARSE (not JSON), BPCI_EINVAL or BPCI_ENOTFOUND (a bad
 * value or an unknown key), BPCI_ELIMIT (more than 1 MiB, or nested deeper
 * than 32 levels) or BPCI_ENOMEM. The spec is not validated as a whole: call
 * bpci_node_spec_validate().
 */
BPCI_EXTERN int bpci_node_spec_from_json(bpci_node_spec **out, const char *json, size_t len,
					 bpci_diag *diag);

BPCI_END_DECLS

#endif
