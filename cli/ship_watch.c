/*
 * Logging a daemon's shipper: the loop asks for its statistics about once
 * a second and says on stderr when the remote ledger diverged (the alarm,
 * once), when shipping starts failing and when it recovers. Polling the
 * statistics is cheap (a mutex) and keeps the shipper's thread from
 * writing to stderr in the middle of the loop's lines.
 */
#include "ship_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *ship_read_token(cli_ctx *ctx, const char *flag, const char *file, int *failed)
{
	char buf[512];
	FILE *f;

	*failed = 0;
	if (!file)
		return getenv("BPCI_LEDGER_TOKEN") ? cli_xstrdup(getenv("BPCI_LEDGER_TOKEN")) : NULL;
	f = fopen(file, "re");
	if (!f) {
		cli_error(ctx, "cannot read %s %s: %s", flag, file, strerror(errno));
		*failed = 1;
		return NULL;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return cli_xstrdup(buf);
}

static void stamp(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

void ship_watch_check(ship_watch *w, const cli_ctx *ctx, int found,
		      const bpci_ledger_ship_stats *st)
{
	char at[32];

	if (!found)
		return;
	stamp(at, sizeof(at));
	if (st->diverged && !w->diverged)
		fprintf(stderr, "%s %s: ALARM: the remote ledger diverged from the local one "
			"after %llu shipped entries; shipping stopped (check both with "
			"`bpci-enterprise audit verify`; delete the ship-*.state file once "
			"resolved)\n", at, ctx->prog, (unsigned long long)st->shipped);
	else if (!st->diverged && st->last_error && st->last_error != w->last_error)
		fprintf(stderr, "%s %s: shipping to the remote ledger failed: %s (%llu entries "
			"shipped; retrying)\n", at, ctx->prog, bpci_strerror(st->last_error),
			(unsigned long long)st->shipped);
	else if (!st->diverged && !st->last_error && w->last_error)
		fprintf(stderr, "%s %s: shipping to the remote ledger works again (%llu entries "
			"shipped)\n", at, ctx->prog, (unsigned long long)st->shipped);
	w->diverged = st->diverged;
	w->last_error = st->last_error;
	w->failures = st->failures;
}
