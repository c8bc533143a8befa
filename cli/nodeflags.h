/*
 * Command-line flags generated from the node model's field descriptors
 * (bpci_node_type_fields(), bpci_node_common_fields()), so that flags,
 * their allowed values and --help never drift from the library's rules.
 */
#ifndef BPCI_CLI_NODEFLAGS_H
#define BPCI_CLI_NODEFLAGS_H

#include "cli.h"

/*
 * The options of a field table: one per field that has a CLI flag. BOOL
 * fields become negatable switches, MAP and LIST fields repeat; each
 * option's data points at its bpci_field_info. The help strings are
 * allocated: free the array with cli_field_options_free().
 */
size_t cli_field_options(cli_option **out, const bpci_field_info *fields, size_t n);
void cli_field_options_free(cli_option *opts, size_t n);

/* A field's help line: its own help, then kind, allowed values, bounds,
 * unit and whether it is required. Returns a malloc'd string. */
char *cli_field_help(const bpci_field_info *f);

/* The metavar shown for a field's flag ("N", "URL", "A,B,...", "K=V"). */
const char *cli_field_metavar(const bpci_field_info *f);

/*
 * The node types whose own parameters have flag @flag, comma-separated
 * ("enc-cluster"), or NULL when none. Returns a malloc'd string.
 */
char *cli_flag_owners(const char *flag);

/*
 * A field's value as the user would write it ("16Gi", "90d", "8",
 * "ethereum,polygon"); NULL when unset. Returns a malloc'd string.
 */
char *cli_spec_value(const bpci_node_spec *spec, const bpci_field_info *f);

/* Amount formatting shared by the node and resource tables. */
void cli_format_size(char *buf, size_t size, uint64_t bytes);
void cli_format_duration(char *buf, size_t size, uint64_t ms);
void cli_format_cpu(char *buf, size_t size, uint64_t millicores);

/* Every node type's CLI name, separated by @sep. Returns a malloc'd string. */
char *cli_node_type_names(const char *sep);

#endif
