/*
 * The daemons' side of shipping their ledger to a remote ledger
 * (ship_watch.c): the token file, and logging the shipper's alarms and
 * errors on stderr as they change.
 */
#ifndef BPCI_CLI_SHIP_WATCH_H
#define BPCI_CLI_SHIP_WATCH_H

#include <bpci.h>

#include "cli.h"

/* The first line of @file (malloc'd); NULL with *@failed set after an
 * error on @ctx naming option @flag. NULL @file: $BPCI_LEDGER_TOKEN
 * copied, or NULL when unset. */
char *ship_read_token(cli_ctx *ctx, const char *flag, const char *file, int *failed);

/* What was last logged, so that each change is logged once. */
typedef struct ship_watch {
	int diverged, last_error;
	uint64_t failures;
} ship_watch;

/* Log on stderr what changed in @st since @w (divergence: the alarm; a
 * new error; recovery). @found: 0 when not shipping. */
void ship_watch_check(ship_watch *w, const cli_ctx *ctx, int found,
		      const bpci_ledger_ship_stats *st);

#endif
