/*
 * libbpci — the cluster model: the types of registered cluster nodes, their
 * capabilities, daemon responsibilities, daemon specs (one member of the
 * daemon tree) and ENC replicas.
 *
 * These are values checked once, where they enter the system (a CLI flag,
 * a configuration file, an API request), with one set of rules and one set
 * of messages. A message names the field, the bad value and what is
 * allowed: "responsibilities: \"health_monitor\" is not a responsibility;
 * did you mean \"health_monitoring\"?".
 *
 * Thread-safety: distinct handles may be used from distinct threads; one
 * handle must not be used from two threads at once (reading a handle from
 * several threads at once is fine). Functions without a handle are
 * thread-safe.
 */
#ifndef BPCI_CLUSTER_H
#define BPCI_CLUSTER_H

#include "common.h"
#include "error.h"
#include "resources.h"

BPCI_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Cluster node types                                                  */

/** What a registered cluster node is for (the original's NodeType).
 *  Values are stable. */
typedef enum bpci_cluster_node_type {
	BPCI_CLUSTER_NODE_VALIDATOR = 1,
	BPCI_CLUSTER_NODE_AUDITOR = 2,
	BPCI_CLUSTER_NODE_COMPUTE = 3,
	BPCI_CLUSTER_NODE_DAEMON = 4,
	BPCI_CLUSTER_NODE_GATEWAY = 5,
	BPCI_CLUSTER_NODE_STORAGE = 6,
	BPCI_CLUSTER_NODE_ORACLE = 7
} bpci_cluster_node_type;

/** Number of cluster node types; valid types are 1..BPCI_CLUSTER_NODE_TYPE_COUNT. */
#define BPCI_CLUSTER_NODE_TYPE_COUNT 7

/**
 * bpci_cluster_node_type_parse - look up a cluster node type by name.
 *
 * @out: receives the type (untouched on error).
 * @name: "validator", "auditor", "compute", "daemon", "gateway", "storage"
 *        or "oracle", in any case ("Compute" as the original writes it).
 *
 * Returns 0, or BPCI_EINVAL when @name (or NULL) names no type.
 */
BPCI_EXTERN int bpci_cluster_node_type_parse(bpci_cluster_node_type *out, const char *name);

/** bpci_cluster_node_type_name - the lower-case name of @type ("compute"),
 *  or NULL for a value outside 1..BPCI_CLUSTER_NODE_TYPE_COUNT. Static. */
BPCI_EXTERN const char *bpci_cluster_node_type_name(bpci_cluster_node_type type);

/* ------------------------------------------------------------------ */
/* Capabilities                                                        */

/**
 * A set of capability names (opaque): what a cluster node can do, such as
 * "compute", "storage", "networking", "security", "audit" (the original's
 * five flags) or any other "distributed_storage", "encryption", ...
 * A name matches [a-z][a-z0-9_]{0,63}. The set holds each name once and
 * keeps them sorted, so that two sets with the same names are equal and
 * format the same way.
 */
typedef struct bpci_capabilities bpci_capabilities;

/** Longest capability name, in bytes. */
#define BPCI_CAPABILITY_NAME_MAX 64

/**
 * bpci_capabilities_new - create an empty set.
 * @out: receives the set; free it with bpci_capabilities_free().
 * Returns 0 or BPCI_ENOMEM (then *@out is NULL).
 */
BPCI_EXTERN int bpci_capabilities_new(bpci_capabilities **out);

/** bpci_capabilities_free - free a set. NULL is a no-op. */
BPCI_EXTERN void bpci_capabilities_free(bpci_capabilities *caps);

/** bpci_capabilities_dup - copy @caps into a new set in *@out (free it with
 *  bpci_capabilities_free()). Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_capabilities_dup(bpci_capabilities **out, const bpci_capabilities *caps);

/**
 * bpci_capabilities_add - add one name to the set (adding a name already
 * there does nothing).
 *
 * @caps: the set.
 * @name: the name, copied.
 * @diag: receives the reason for a refusal (field "capabilities"), or NULL.
 *
 * Returns 0, BPCI_EINVAL (the name does not match [a-z][a-z0-9_]{0,63})
 * or BPCI_ENOMEM. The set is unchanged on error.
 */
BPCI_EXTERN int bpci_capabilities_add(bpci_capabilities *caps, const char *name,
				      bpci_diag *diag);

/** bpci_capabilities_has - non-zero when @name is in the set. */
BPCI_EXTERN int bpci_capabilities_has(const bpci_capabilities *caps, const char *name);

/** bpci_capabilities_count - number of names in the set. */
BPCI_EXTERN size_t bpci_capabilities_count(const bpci_capabilities *caps);

/**
 * bpci_capabilities_get - the @index-th name in sorted order.
 * Returns a pointer borrowed from the set (valid until the set changes or
 * is freed), or NULL when @index >= the count.
 */
BPCI_EXTERN const char *bpci_capabilities_get(const bpci_capabilities *caps, size_t index);

/** bpci_capabilities_equal - non-zero when both sets hold the same names. */
BPCI_EXTERN int bpci_capabilities_equal(const bpci_capabilities *a, const bpci_capabilities *b);

/**
 * bpci_capabilities_parse - read a comma-separated list
 * ("distributed_storage,encryption,replication") into a new set.
 *
 * Blanks around names are ignored and a name given twice counts once.
 * Every bad name, and every empty item, is reported.
 *
 * @out: receives the set (free it with bpci_capabilities_free()); NULL on
 *       error.
 * @list: the text; an empty list is an error (a node that can do nothing
 *        is a mistake).
 * @diag: receives one entry per problem (field "capabilities"), or NULL.
 *
 * Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_capabilities_parse(bpci_capabilities **out, const char *list,
					bpci_diag *diag);

/**
 * bpci_capabilities_format - the names, sorted, joined by commas
 * ("distributed_storage,encryption,replication"; "" for an empty set).
 * @out: receives the string; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_capabilities_format(char **out, const bpci_capabilities *caps);

/* ------------------------------------------------------------------ */
/* Daemon responsibilities                                             */

/** What a daemon of the tree takes care of; a daemon has a set of these
 *  (a bit mask). Values are stable. */
typedef enum bpci_responsibility {
	BPCI_RESPONSIBILITY_RESOURCE_COORDINATION = 1u << 0,
	BPCI_RESPONSIBILITY_NODE_LIFECYCLE = 1u << 1,
	BPCI_RESPONSIBILITY_HEALTH_MONITORING = 1u << 2,
	BPCI_RESPONSIBILITY_LOAD_BALANCING = 1u << 3,
	BPCI_RESPONSIBILITY_FAULT_RECOVERY = 1u << 4
} bpci_responsibility;

/** Every responsibility: the default of a new daemon spec. */
#define BPCI_RESPONSIBILITY_ALL 0x1fu

/**
 * bpci_responsibilities_parse - read a comma-separated list of
 * responsibilities into a bit mask.
 *
 * Each item is one of resource_coordination, node_lifecycle,
 * health_monitoring, load_balancing, fault_recovery, in any case, with
 * '_' or '-' or CamelCase ("HealthMonitoring"); "resource_management" (the
 * original's CLI spelling) means resource_coordination, and "all" means
 * all five. Repeats count once.
 *
 * @out: receives the mask (untouched on error).
 * @list: the text; an empty list is an error.
 * @diag: receives one entry per bad item (field "responsibilities", with a
 *        "did you mean" when a name is close), or NULL.
 *
 * Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_responsibilities_parse(unsigned int *out, const char *list,
					    bpci_diag *diag);

/**
 * bpci_responsibilities_format - the names of the bits of @mask in the
 * order of the enum, joined by commas ("resource_coordination,
 * health_monitoring" without the blank; "" for 0).
 *
 * @out: receives the string; free it with bpci_free().
 * Returns 0, BPCI_EINVAL (a bit outside BPCI_RESPONSIBILITY_ALL) or
 * BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_responsibilities_format(char **out, unsigned int mask);

/** bpci_responsibility_name - the name of one responsibility bit
 *  ("node_lifecycle"), or NULL when @one is not exactly one known bit. Static. */
BPCI_EXTERN const char *bpci_responsibility_name(unsigned int one);

/* ------------------------------------------------------------------ */
/* Daemon specs                                                        */

/**
 * What one daemon of the tree is (opaque): its id, its parent's id (none
 * for the root), its responsibilities (all five by default), the resource
 * capacity it offers to nodes, its labels (region, jurisdiction, ...) and
 * whether it is remote (another host that joined) or local (spawned by
 * its parent).
 */
typedef struct bpci_daemon_spec bpci_daemon_spec;

/**
 * bpci_daemon_spec_new - create a spec with no id, no parent, every
 * responsibility, zero capacity, no labels, local.
 * @out: receives the spec; free it with bpci_daemon_spec_free().
 * Returns 0 or BPCI_ENOMEM (then *@out is NULL).
 */
BPCI_EXTERN int bpci_daemon_spec_new(bpci_daemon_spec **out);

/** bpci_daemon_spec_free - free a spec. NULL is a no-op. */
BPCI_EXTERN void bpci_daemon_spec_free(bpci_daemon_spec *spec);

/** bpci_daemon_spec_dup - deep copy of @spec in *@out (free it with
 *  bpci_daemon_spec_free()). Returns 0 or BPCI_ENOMEM. */
BPCI_EXTERN int bpci_daemon_spec_dup(bpci_daemon_spec **out, const bpci_daemon_spec *spec);

/**
 * bpci_daemon_spec_set - set a field from text, as a CLI flag or a
 * configuration file gives it.
 *
 * @field:
 *   "id"               an identifier [A-Za-z0-9][A-Za-z0-9._-]{0,127}
 *   "parent"           an identifier, or "" for none (a root daemon)
 *   "responsibilities" a list for bpci_responsibilities_parse() (replaces)
 *   "capacity"         text for bpci_resources_parse() (replaces)
 *   "labels"           "key=value[,key=value...]": adds or replaces labels
 *   "labels.KEY"       the value of one label
 *   "remote"           a boolean: true/false, yes/no, on/off, 1/0
 * Label keys match [a-z0-9._/-]{1,128}; values are up to 256 bytes without
 * control characters ("" allowed).
 * @text: the value.
 * @diag: receives one entry per problem, the field named as above, or NULL.
 *
 * Returns 0, BPCI_EINVAL (bad value), BPCI_ENOTFOUND (no such field; the
 * message suggests the nearest) or BPCI_ENOMEM. The spec is unchanged on
 * error.
 */
BPCI_EXTERN int bpci_daemon_spec_set(bpci_daemon_spec *spec, const char *field,
				     const char *text, bpci_diag *diag);

/** bpci_daemon_spec_set_capacity - replace the capacity (cannot fail). */
BPCI_EXTERN void bpci_daemon_spec_set_capacity(bpci_daemon_spec *spec,
					       const bpci_resources *capacity);

/** bpci_daemon_spec_set_responsibilities - replace the responsibilities.
 *  Returns 0 or BPCI_EINVAL (0, or a bit outside BPCI_RESPONSIBILITY_ALL;
 *  reported through @diag). */
BPCI_EXTERN int bpci_daemon_spec_set_responsibilities(bpci_daemon_spec *spec,
						      unsigned int mask, bpci_diag *diag);

/** bpci_daemon_spec_id - the id, or NULL when unset. Borrowed. */
BPCI_EXTERN const char *bpci_daemon_spec_id(const bpci_daemon_spec *spec);

/** bpci_daemon_spec_parent - the parent's id, or NULL for a root. Borrowed. */
BPCI_EXTERN const char *bpci_daemon_spec_parent(const bpci_daemon_spec *spec);

/** bpci_daemon_spec_responsibilities - the bit mask of bpci_responsibility. */
BPCI_EXTERN unsigned int bpci_daemon_spec_responsibilities(const bpci_daemon_spec *spec);

/** bpci_daemon_spec_capacity - the capacity. Borrowed from the spec. */
BPCI_EXTERN const bpci_resources *bpci_daemon_spec_capacity(const bpci_daemon_spec *spec);

/** bpci_daemon_spec_remote - non-zero for a remote daemon. */
BPCI_EXTERN int bpci_daemon_spec_remote(const bpci_daemon_spec *spec);

/** bpci_daemon_spec_label_count - number of labels. */
BPCI_EXTERN size_t bpci_daemon_spec_label_count(const bpci_daemon_spec *spec);

/**
 * bpci_daemon_spec_label_at - the @index-th label, in key order.
 * @key, @value: receive borrowed pointers (either may be NULL).
 * Returns 0, or BPCI_ENOTFOUND when @index >= the count.
 */
BPCI_EXTERN int bpci_daemon_spec_label_at(const bpci_daemon_spec *spec, size_t index,
					  const char **key, const char **value);

/** bpci_daemon_spec_label - the value of label @key, or NULL. Borrowed. */
BPCI_EXTERN const char *bpci_daemon_spec_label(const bpci_daemon_spec *spec, const char *key);

/**
 * bpci_daemon_spec_validate - check the spec as a whole: the id is set,
 * the parent is not the daemon itself, there is at least one
 * responsibility. Every problem is reported.
 * Returns 0 or BPCI_EINVAL.
 */
BPCI_EXTERN int bpci_daemon_spec_validate(const bpci_daemon_spec *spec, bpci_diag *diag);

/** bpci_daemon_spec_equal - non-zero when both specs hold the same values. */
BPCI_EXTERN int bpci_daemon_spec_equal(const bpci_daemon_spec *a, const bpci_daemon_spec *b);

/**
 * bpci_daemon_spec_to_json - serialize to canonical JSON (sorted keys, no
 * insignificant white space; unset fields omitted):
 * {"capacity":{"cpu":"8","memory":"16Gi"},"id":"daemon-002",
 *  "labels":{"region":"eu"},"parent":"root-daemon-001","remote":false,
 *  "responsibilities":["resource_coordination","health_monitoring"]}.
 * Capacity amounts are strings in the units of bpci_resources_format()
 * (exact, unlike JSON numbers beyond 2^53); zero amounts are left out.
 *
 * @out: receives a NUL-terminated string; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_daemon_spec_to_json(char **out, const bpci_daemon_spec *spec);

/**
 * bpci_daemon_spec_from_json - parse the form bpci_daemon_spec_to_json()
 * writes. "capacity" may also be a "cpu=8,memory=16Gi" string, and its
 * amounts numbers or use the long keys (memory_gb); "responsibilities" may
 * also be a comma-separated string. Unknown keys are errors. A missing
 * field keeps its default.
 *
 * @out: receives the spec (free it with bpci_daemon_spec_free()); NULL on
 *       error.
 * @json: the text, @len bytes (need not be NUL-terminated).
 * @diag: one entry per problem (line:column for syntax errors), or NULL.
 *
 * Returns 0, BPCI_EPARSE (not JSON, or not an object), BPCI_EINVAL (a bad
 * value), BPCI_ENOTFOUND (an unknown key), BPCI_ELIMIT (more than 1 MiB)
 * or BPCI_ENOMEM. The result is not validated as a whole: call
 * bpci_daemon_spec_validate().
 */
BPCI_EXTERN int bpci_daemon_spec_from_json(bpci_daemon_spec **out, const char *json,
					   size_t len, bpci_diag *diag);

/* ------------------------------------------------------------------ */
/* Cluster node registrations                                          */

/** A node registered with the cluster manager (opaque): a name, a type and
 *  its capabilities. Immutable once created. */
typedef struct bpci_cluster_node bpci_cluster_node;

/**
 * bpci_cluster_node_new - check and create a registration.
 *
 * @out: receives the node (free it with bpci_cluster_node_free()); NULL on
 *       error.
 * @name: an identifier [A-Za-z0-9][A-Za-z0-9._-]{0,127} (field "name").
 * @type: 1..BPCI_CLUSTER_NODE_TYPE_COUNT (field "type").
 * @caps: the capabilities, copied; NULL for none.
 * @diag: one entry per problem, or NULL.
 *
 * Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_node_new(bpci_cluster_node **out, const char *name,
				      bpci_cluster_node_type type,
				      const bpci_capabilities *caps, bpci_diag *diag);

/** bpci_cluster_node_free - free a registration. NULL is a no-op. */
BPCI_EXTERN void bpci_cluster_node_free(bpci_cluster_node *node);

/** bpci_cluster_node_name - the name. Borrowed. */
BPCI_EXTERN const char *bpci_cluster_node_name(const bpci_cluster_node *node);

/** bpci_cluster_node_type_of - the type. */
BPCI_EXTERN bpci_cluster_node_type bpci_cluster_node_type_of(const bpci_cluster_node *node);

/** bpci_cluster_node_capabilities - the capabilities (possibly empty).
 *  Borrowed from the node. */
BPCI_EXTERN const bpci_capabilities *bpci_cluster_node_capabilities(const bpci_cluster_node *node);

/** bpci_cluster_node_equal - non-zero when name, type and capabilities match. */
BPCI_EXTERN int bpci_cluster_node_equal(const bpci_cluster_node *a, const bpci_cluster_node *b);

/**
 * bpci_cluster_node_to_json - canonical JSON:
 * {"capabilities":["encryption","replication"],"name":"storage-node-001",
 *  "type":"storage"}.
 * @out: receives the string; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_cluster_node_to_json(char **out, const bpci_cluster_node *node);

/**
 * bpci_cluster_node_from_json - parse the form bpci_cluster_node_to_json()
 * writes ("capabilities" may also be a comma-separated string, and may be
 * left out). "name" and "type" are required; unknown keys are errors.
 *
 * Returns 0, BPCI_EPARSE, BPCI_EINVAL, BPCI_ENOTFOUND, BPCI_ELIMIT or
 * BPCI_ENOMEM, as bpci_daemon_spec_from_json() does.
 */
BPCI_EXTERN int bpci_cluster_node_from_json(bpci_cluster_node **out, const char *json,
					    size_t len, bpci_diag *diag);

/* ------------------------------------------------------------------ */
/* ENC replicas                                                        */

/**
 * bpci_replica_validate - check an ENC replica before it is added: @name
 * is an identifier (field "name") and @res offers some CPU and memory
 * (fields "cpu" and "memory"; storage, network and GPUs may be zero).
 * Every problem is reported.
 *
 * Returns 0 or BPCI_EINVAL.
 */
BPCI_EXTERN int bpci_replica_validate(const char *name, const bpci_resources *res,
				      bpci_diag *diag);

BPCI_END_DECLS

#endif
