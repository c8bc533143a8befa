/*
 * Internal: the configuration handle and the walk that fills it from a
 * YAML tree. config.c owns loading and the accessors, config_sections.c the
 * scalar sections (cluster, resource_allocation, audit_integration),
 * config_nodes.c node_types and nodes, config_json.c serialization.
 */
#ifndef BPCI_LIB_MODEL_CONFIG_INTERNAL_H
#define BPCI_LIB_MODEL_CONFIG_INTERNAL_H

#include "bpci/config.h"
#include "model/yaml_tree.h"

struct bpci_config {
	char *cluster_id, *root_daemon, *ledger_endpoint; /* NULL reads as "" */
	unsigned int hierarchy_levels;
	bpci_load_balancing load_balancing;
	bpci_fault_tolerance fault_tolerance;
	bpci_resources resources;
	uint64_t audit_frequency_ms, retention_days;
	bpci_node_spec *defaults[BPCI_NODE_TYPE_COUNT + 1]; /* by bpci_node_type */
	int has_threshold;
	double reliability_threshold; /* node_types.oracle.reliability_threshold */
	bpci_node_spec **nodes;
	size_t node_count;
};

/* Bounds of audit_integration.retention_days (1000 years keeps any
 * conversion to seconds or milliseconds far from overflow). */
#define BPCI__RETENTION_DAYS_MAX 365000u

/* State of one load: problems go to diag (never NULL here: the loader
 * supplies a private list when the caller passes none). */
typedef struct bpci__cfg_walk {
	bpci_config *cfg;
	const char *source;
	bpci_diag *diag;
	unsigned int flags;
	int rc;    /* code of the first problem, 0 while there is none */
	int nomem; /* an allocation failed: return BPCI_ENOMEM */
	int stop;  /* out of memory or too many problems: walk no further */
	size_t problems;
} bpci__cfg_walk;

/* A file this wrong is better fixed from the top; past this many problems
 * the walk stops (memory stays bounded whatever the input). */
#define BPCI__CFG_MAX_PROBLEMS 1000u

/* Remember @rc when it is the first problem; returns @rc. */
int bpci__cfg_note(bpci__cfg_walk *w, int rc);

/* Report an error at @at's position for field @path; returns @code. */
int bpci__cfg_error(bpci__cfg_walk *w, int code, const bpci__yaml_node *at,
		    const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The text of a scalar value, or NULL after reporting why there is none
 * (null: "must have a value"; a collection; a NUL byte inside). */
const char *bpci__cfg_scalar(bpci__cfg_walk *w, const bpci__yaml_node *value,
			     const char *path);

/* Non-zero when @value is a mapping; otherwise reports and returns 0. */
int bpci__cfg_is_map(bpci__cfg_walk *w, const bpci__yaml_node *value, const char *path);

/* Report @key (written under @path) as unknown, suggesting the nearest of
 * @allowed or listing them all. */
void bpci__cfg_unknown_key(bpci__cfg_walk *w, const bpci__yaml_node *key, const char *path,
			   const char *const *allowed, size_t n);

/* printf into a path buffer; a path too long is cut (messages only). */
void bpci__cfg_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "path.key" into @buf (the key excerpted for safety). */
void bpci__cfg_join(char *buf, size_t size, const char *path, const bpci__yaml_node *key);

/* The sections. Each reports every problem it finds and fills w->cfg. */
void bpci__cfg_cluster(bpci__cfg_walk *w, const bpci__yaml_node *value);
void bpci__cfg_resources(bpci__cfg_walk *w, const bpci__yaml_node *value);
void bpci__cfg_audit(bpci__cfg_walk *w, const bpci__yaml_node *value);
void bpci__cfg_node_types(bpci__cfg_walk *w, const bpci__yaml_node *value);
void bpci__cfg_nodes(bpci__cfg_walk *w, const bpci__yaml_node *value,
		     const bpci__yaml_node *node_types);

#endif
