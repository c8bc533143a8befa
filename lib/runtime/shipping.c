/*
 * A daemon's ledger shipped to a remote mirror: one bpci_ledger_shipper
 * on its own thread (appends never wait for it; it wakes on notify and at
 * least every flush_ms), and what the daemon shows of it. How far it
 * shipped is durable in the shipper's state file; a divergence stops it
 * for good and is the alarm of the health document and /metrics.
 */
#include "runtime/shipping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

struct bpci__shipping {
	bpci_ledger_shipper *shipper;
	char *endpoint, *token;
};

void bpci__shipping_free(bpci__shipping *s)
{
	if (!s)
		return;
	bpci_ledger_shipper_free(s->shipper);
	bpci__free(s->endpoint);
	if (s->token) {
		explicit_bzero(s->token, strlen(s->token));
		bpci__free(s->token);
	}
	bpci__free(s);
}

static int same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

int bpci__shipping_set(bpci__shipping **sp, bpci_ledger *ledger, const char *dir,
		       const bpci_ledger_shipper_options *o, bpci_diag *diag)
{
	bpci__shipping *s;
	int rc;

	if (*sp && o && same((*sp)->endpoint, o->endpoint) && same((*sp)->token, o->token))
		return 0; /* unchanged: keep shipping where it is */
	bpci__shipping_free(*sp);
	*sp = NULL;
	if (!o || !o->endpoint || !*o->endpoint)
		return 0;
	if (!ledger)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "endpoint",
				      "cannot ship to %s: no journal is open", o->endpoint);
	s = bpci__calloc(1, sizeof(*s));
	if (!s || !(s->endpoint = bpci__strdup(o->endpoint)) ||
	    (o->token && !(s->token = bpci__strdup(o->token)))) {
		bpci__shipping_free(s);
		return BPCI_ENOMEM;
	}
	rc = bpci_ledger_shipper_new(&s->shipper, ledger, dir, o, diag);
	if (rc == 0)
		rc = bpci_ledger_shipper_start(s->shipper, diag);
	if (rc != 0) {
		bpci__shipping_free(s);
		return rc;
	}
	bpci_ledger_shipper_notify(s->shipper); /* what is pending goes now */
	*sp = s;
	return 0;
}

void bpci__shipping_notify(bpci__shipping *s)
{
	if (s)
		bpci_ledger_shipper_notify(s->shipper);
}

int bpci__shipping_stats(bpci_ledger_ship_stats *out, bpci__shipping *s)
{
	if (!s)
		return BPCI_ENOTFOUND;
	return bpci_ledger_shipper_stats(out, s->shipper);
}

static uint64_t lag(const bpci_ledger_ship_stats *st, bpci_ledger *ledger)
{
	uint64_t size = ledger ? bpci_ledger_size(ledger) : st->local_size;

	return size > st->shipped ? size - st->shipped : 0;
}

void bpci__shipping_health(json_t *doc, bpci__shipping *s, bpci_ledger *ledger)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;
	json_t *o;

	if (!doc || !s || bpci_ledger_shipper_stats(&st, s->shipper) != 0)
		return;
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:s}", "endpoint", s->endpoint, "shipped",
		      (json_int_t)st.shipped, "lag", (json_int_t)lag(&st, ledger), "batches",
		      (json_int_t)st.batches, "errors", (json_int_t)st.failures, "diverged",
		      st.diverged, "last_error", st.last_error ? bpci_strerror(st.last_error) : "");
	json_object_set_new(doc, "ledger_shipping", o);
	if (st.diverged) {
		char *alarm = bpci__asprintf("the remote ledger %s diverged from the local one: "
					     "shipping stopped (see bpci_ledger_server(3))",
					     s->endpoint);

		json_object_set_new(doc, "status", json_string("degraded"));
		if (alarm)
			json_object_set_new(doc, "alarm", json_string(alarm));
		bpci__free(alarm);
	}
}

/* @s's endpoint as a label value (backslash and quote escaped). */
static void label(char *out, size_t cap, const char *v)
{
	size_t n = 0;

	for (; *v && n + 3 < cap; v++) {
		if (*v == '\\' || *v == '"')
			out[n++] = '\\';
		out[n++] = *v == '\n' ? ' ' : *v;
	}
	out[n] = '\0';
}

char *bpci__shipping_metrics(bpci__shipping *s, bpci_ledger *ledger)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;
	char ep[512];

	if (!s || bpci_ledger_shipper_stats(&st, s->shipper) != 0)
		return bpci__strdup("");
	label(ep, sizeof(ep), s->endpoint);
	return bpci__asprintf(
		"# HELP bpci_ledger_ship_shipped_entries Entries the remote ledger holds, as far as "
		"the shipper knows.\n"
		"# TYPE bpci_ledger_ship_shipped_entries gauge\n"
		"bpci_ledger_ship_shipped_entries{endpoint=\"%s\"} %llu\n"
		"# HELP bpci_ledger_ship_lag_entries Local entries not yet shipped.\n"
		"# TYPE bpci_ledger_ship_lag_entries gauge\n"
		"bpci_ledger_ship_lag_entries{endpoint=\"%s\"} %llu\n"
		"# HELP bpci_ledger_ship_batches_total Batches the remote ledger accepted.\n"
		"# TYPE bpci_ledger_ship_batches_total counter\n"
		"bpci_ledger_ship_batches_total{endpoint=\"%s\"} %llu\n"
		"# HELP bpci_ledger_ship_errors_total Failed shipping requests.\n"
		"# TYPE bpci_ledger_ship_errors_total counter\n"
		"bpci_ledger_ship_errors_total{endpoint=\"%s\"} %llu\n"
		"# HELP bpci_ledger_ship_last_error 1 while the last shipping run failed, with "
		"its error.\n"
		"# TYPE bpci_ledger_ship_last_error gauge\n"
		"bpci_ledger_ship_last_error{endpoint=\"%s\",error=\"%s\"} %d\n"
		"# HELP bpci_ledger_ship_divergence_alarm 1 when the remote ledger's tree diverged "
		"from the local one (shipping stopped).\n"
		"# TYPE bpci_ledger_ship_divergence_alarm gauge\n"
		"bpci_ledger_ship_divergence_alarm{endpoint=\"%s\"} %d\n",
		ep, (unsigned long long)st.shipped, ep, (unsigned long long)lag(&st, ledger), ep,
		(unsigned long long)st.batches, ep, (unsigned long long)st.failures, ep,
		st.last_error ? bpci_strerror(st.last_error) : "", st.last_error ? 1 : 0, ep,
		st.diverged ? 1 : 0);
}
