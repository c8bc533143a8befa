/*
 * libbpci — the configuration file (node-distribution-config.yaml).
 *
 * The original description's file parses verbatim:
 *
 *   cluster: {cluster_id, daemon_tree: {root_daemon, hierarchy_levels,
 *             load_balancing, fault_tolerance}}
 *   node_types: {enc_cluster: {...}, oracle: {...}, ...}   per-type defaults
 *   resource_allocation: {cpu_cores, memory_gb, storage_gb, network_bandwidth_mbps,
 *                         gpu_units}
 *   audit_integration: {bpi_ledger_endpoint, audit_frequency_seconds, retention_days}
 *   nodes: [ {type: storage, name: ..., <type parameters>, <common fields>} ]
 *
 * Per-type defaults from node_types fill in the fields a node leaves out
 * (type parameters and common fields; a node's labels and environment keys
 * add to the defaults'). Unknown keys are errors with a "did you mean"
 * suggestion; every value is checked with the node model's rules; sizes and
 * durations take units. Problems carry file:line:column and the field path.
 * The full format is in bpci_config(3).
 *
 * Only plain YAML is accepted: one document, no anchors or aliases, no
 * custom tags, no duplicate keys, within the BPCI_CONFIG_MAX_* limits.
 *
 * Thread-safety: a loaded config is immutable and may be read from any
 * number of threads; loads share no state.
 */
#ifndef BPCI_CONFIG_H
#define BPCI_CONFIG_H

#include "common.h"
#include "error.h"
#include "node.h"
#include "resources.h"

BPCI_BEGIN_DECLS

/** Placement strategies of the daemon tree. Values are stable. */
typedef enum bpci_load_balancing {
	BPCI_LB_ROUND_ROBIN = 1,
	BPCI_LB_WEIGHTED_ROUND_ROBIN = 2,
	BPCI_LB_LEAST_CONNECTIONS = 3,
	BPCI_LB_RESOURCE_BASED = 4,
	BPCI_LB_ADAPTIVE = 5
} bpci_load_balancing;

/** What happens when a daemon dies. Values are stable. */
typedef enum bpci_fault_tolerance {
	BPCI_FT_AUTOMATIC_FAILOVER = 1, /**< its nodes move to siblings */
	BPCI_FT_RESTART_ONLY = 2,       /**< restart the daemon, never move nodes */
	BPCI_FT_NONE = 3                /**< report only */
} bpci_fault_tolerance;

/** The cluster section. Strings are borrowed from the config handle. */
typedef struct bpci_cluster_settings {
	const char *cluster_id;          /**< "" when absent */
	const char *root_daemon;         /**< "" when absent */
	unsigned int hierarchy_levels;   /**< maximum depth, 1..16; default 3 */
	bpci_load_balancing load_balancing;   /**< default round_robin */
	bpci_fault_tolerance fault_tolerance; /**< default automatic_failover */
} bpci_cluster_settings;

/** The audit_integration section. Strings are borrowed. */
typedef struct bpci_audit_settings {
	const char *ledger_endpoint;       /**< remote ledger URL, "" when none */
	uint64_t audit_frequency_ms;       /**< default 30 s */
	uint64_t retention_days;           /**< default 2555 (7 years) */
} bpci_audit_settings;

/** A parsed configuration (opaque, immutable once loaded). */
typedef struct bpci_config bpci_config;

/** Limits applied while loading; documents beyond them are refused. */
#define BPCI_CONFIG_MAX_BYTES (16u * 1024u * 1024u)
#define BPCI_CONFIG_MAX_DEPTH 64u
#define BPCI_CONFIG_MAX_NODES 100000u

/**
 * bpci_config_load_file - read and check a configuration file.
 *
 * @out: receives the config; free it with bpci_config_free(). Set only on
 *       success.
 * @path: the file.
 * @flags: BPCI_VALIDATE_STRICT promotes warnings to errors.
 * @diag: receives every problem found (not just the first), or NULL.
 *
 * Returns 0; BPCI_EIO (cannot read: the message names the file and
 * strerror); BPCI_EPARSE (malformed YAML, with line:column; also a duplicate
 * key or a second document); BPCI_EINVAL (a bad value, a missing required
 * field, an anchor, alias or tag) or BPCI_ENOTFOUND (an unknown key);
 * BPCI_ELIMIT (too large, too deep, too many nodes); BPCI_ENOMEM. With
 * several problems the code is the first one's. On error *out is NULL.
 */
BPCI_EXTERN int bpci_config_load_file(bpci_config **out, const char *path,
				      unsigned int flags, bpci_diag *diag);

/**
 * bpci_config_load_string - the same from memory; @name is used as the
 * source in messages ("<string>" when NULL).
 */
BPCI_EXTERN int bpci_config_load_string(bpci_config **out, const char *text, size_t len,
					const char *name, unsigned int flags,
					bpci_diag *diag);

/** bpci_config_free - free a config. NULL is a no-op. */
BPCI_EXTERN void bpci_config_free(bpci_config *config);

/** bpci_config_cluster - the cluster section (defaults when absent). */
BPCI_EXTERN void bpci_config_cluster(const bpci_config *config, bpci_cluster_settings *out);

/** bpci_config_resources - the resource_allocation section (zeros when absent). */
BPCI_EXTERN void bpci_config_resources(const bpci_config *config, bpci_resources *out);

/** bpci_config_audit - the audit_integration section (defaults when absent). */
BPCI_EXTERN void bpci_config_audit(const bpci_config *config, bpci_audit_settings *out);

/**
 * bpci_config_type_defaults - the node_types entry for @type, as a partial
 * spec; NULL when the file has none. Borrowed from the config.
 */
BPCI_EXTERN const bpci_node_spec *bpci_config_type_defaults(const bpci_config *config,
							     bpci_node_type type);

/** bpci_config_node_count - the number of entries under nodes:. */
BPCI_EXTERN size_t bpci_config_node_count(const bpci_config *config);

/**
 * bpci_config_node - the node at @index, with per-type defaults applied and
 * validated. Borrowed from the config; NULL when @index is out of range.
 */
BPCI_EXTERN const bpci_node_spec *bpci_config_node(const bpci_config *config, size_t index);

/**
 * bpci_config_to_json - the whole configuration as canonical JSON (sorted
 * keys, compact). @out receives a string to free with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_config_to_json(char **out, const bpci_config *config);

/** bpci_load_balancing_name / bpci_fault_tolerance_name - canonical spelling
 *  ("round_robin", "automatic_failover"), NULL for an unknown value. */
BPCI_EXTERN const char *bpci_load_balancing_name(bpci_load_balancing lb);
BPCI_EXTERN const char *bpci_fault_tolerance_name(bpci_fault_tolerance ft);

BPCI_END_DECLS

#endif
