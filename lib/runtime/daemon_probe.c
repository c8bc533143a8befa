/*
 * health_monitoring: a daemon with that responsibility probes each child
 * daemon's GET URL/healthz every heartbeat interval, one probe per child
 * in flight, on a helper thread (daemon_call.c: the loop never waits).
 * The result and its latency go into the child's SUBTREE entry, which
 * this daemon relays upward; a child that still sends heartbeats but
 * fails BPCI__D_PROBE_RETRIES probes in a row is reported unhealthy.
 * Without the responsibility children are judged by heartbeats alone.
 */
#include "runtime/daemon_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"

void bpci__d_reply_responsibilities(bpci__daemons *d, const bpci__dchild *k, json_t *reply)
{
	json_t *mine = json_object_get(d->tree_resp, k->id);

	if (json_is_array(mine))
		json_object_set(reply, "responsibilities", mine);
	else if (k->spec)
		json_object_set_new(reply, "responsibilities", bpci__responsibilities_to_json(
					    bpci_daemon_spec_responsibilities(k->spec)));
	if (d->tree_resp)
		json_object_set(reply, "tree_responsibilities", d->tree_resp);
}

void bpci__d_take_responsibilities(bpci__daemons *d, json_t *reply)
{
	json_t *map = json_object_get(reply, "tree_responsibilities");
	json_t *mine = json_object_get(reply, "responsibilities");

	if (json_is_object(map)) {
		json_decref(d->tree_resp);
		d->tree_resp = json_incref(map);
	}
	if (json_is_array(mine))
		json_object_set(d->join_fields, "responsibilities", mine);
}

int bpci__d_monitors(const bpci__daemons *d)
{
	json_t *r = json_object_get(d->join_fields, "responsibilities"), *v;
	size_t i;

	json_array_foreach(r, i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), "health_monitoring"))
			return 1;
	return 0;
}

static void on_probe(bpci__dcall *call, int rc, const bpci__http_response *resp,
		     const char *error, void *payload)
{
	bpci__dchild *k = payload;

	k->probe_call = NULL;
	k->probe_set = 1;
	bpci__free(k->probe_error);
	k->probe_error = NULL;
	if (rc == 0 && resp->status >= 200 && resp->status < 300) {
		k->probe_ok = 1;
		k->probe_ms = (int64_t)bpci__dcall_elapsed_ms(call);
		k->probe_failures = 0;
		return;
	}
	k->probe_ok = 0;
	k->probe_ms = -1;
	k->probe_failures++;
	k->probe_error = rc == 0 ? bpci__asprintf("HTTP %ld", resp->status)
				 : bpci__strdup(error ? error : bpci_strerror(rc));
	if (k->probe_failures == BPCI__D_PROBE_RETRIES)
		bpci__d_log(k->d, "child daemon %s failed %u health probes in a row: %s", k->id,
			    k->probe_failures, k->probe_error ? k->probe_error : "?");
}

void bpci__d_probe_children(bpci__daemons *d)
{
	long timeout = (long)(d->hb_ms < 200 ? 200 : d->hb_ms > 2000 ? 2000 : d->hb_ms);
	size_t i;

	if (!bpci__d_monitors(d))
		return;
	for (i = 0; i < d->nkids; i++) {
		bpci__dchild *k = d->kids[i];
		size_t n;
		char *url;

		/* Only a child that runs: one down is judged already. */
		if (k->probe_call || !k->url || !*k->url || k->state != BPCI__D_RUNNING)
			continue;
		n = strlen(k->url);
		while (n > 0 && k->url[n - 1] == '/')
			n--;
		url = bpci__asprintf("%.*s/healthz", (int)n, k->url);
		if (url && bpci__dcall_start(&k->probe_call, d->base, url, NULL, NULL, timeout,
					     on_probe, k) != 0)
			k->probe_call = NULL;
		bpci__free(url);
	}
}

json_t *bpci__d_probe_json(const bpci__dchild *k)
{
	json_t *v;

	if (!k->probe_set)
		return NULL;
	v = json_pack("{s:b, s:f, s:I, s:b}", "ok", k->probe_ok, "latency_ms",
		      (double)k->probe_ms, "failures", (json_int_t)k->probe_failures, "unhealthy",
		      k->probe_failures >= BPCI__D_PROBE_RETRIES);
	if (v && k->probe_error)
		json_object_set_new(v, "error", json_string(k->probe_error));
	return v;
}

void bpci__d_probe_free(bpci__dchild *k)
{
	bpci__dcall_free(k->probe_call);
	k->probe_call = NULL;
	bpci__free(k->probe_error);
	k->probe_error = NULL;
}
