/*
 * The "audit" and "ledger" command groups of bpci-enterprise: reading,
 * proving, verifying and appending to the audit ledger, serving it as a
 * remote mirror and shipping it to one. Linked into every program (as all
 * shared cli/ files are), used by bpci-enterprise.
 */
#ifndef BPCI_CLI_AUDIT_H
#define BPCI_CLI_AUDIT_H

#include "cli.h"

#define CLI_AUDIT_NCOMMANDS 9
#define CLI_LEDGER_NCOMMANDS 2

extern const cli_command cli_audit_commands[CLI_AUDIT_NCOMMANDS];
extern const cli_command cli_ledger_commands[CLI_LEDGER_NCOMMANDS];

/* The note of each group's help (where the ledger is). */
extern const char cli_audit_note[];
extern const char cli_ledger_note[];

#endif
