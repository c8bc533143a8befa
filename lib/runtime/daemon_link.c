/*
 * The child side of a parent-child link: join, then a heartbeat every
 * interval carrying this daemon's nodes, load and subtree. One request is
 * in flight at a time (a tick that finds one still running skips); a
 * failure is retried at the next tick, forever, and a 404 to a heartbeat
 * (the parent lost us: it restarted, a standby took over) makes the next
 * request a join. READY=1 goes out after the first accepted join.
 */
#include "runtime/coordinator_internal.h"
#include "runtime/daemon_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

void bpci__d_send_ready(bpci__daemons *d)
{
	if (!d->notify_ready || d->ready_sent)
		return;
	d->ready_sent = 1;
	(void)bpci__notify_send(NULL, "READY=1\nSTATUS=serving and joined");
}

void bpci__d_link_free(bpci__daemons *d)
{
	bpci__dcall_free(d->link.call);
	d->link.call = NULL;
}

static char *url_of(const bpci__daemons *d, const char *route)
{
	size_t n = strlen(d->parent_url);

	while (n > 0 && d->parent_url[n - 1] == '/')
		n--;
	return bpci__asprintf("%.*s/api/daemon-tree/%s", (int)n, d->parent_url, route);
}

void bpci__d_link_locate(bpci__daemons *d)
{
	char buf[512];
	FILE *f;
	size_t n;
	char *copy;

	if (!d->parent_url_file || !(f = fopen(d->parent_url_file, "r")))
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0 || strncmp(buf, "http", 4) != 0 || strcmp(buf, d->parent_url) == 0)
		return;
	copy = bpci__strdup(buf);
	if (!copy)
		return;
	bpci__d_log(d, "parent moved from %s to %s", d->parent_url, copy);
	bpci__free(d->parent_url);
	d->parent_url = copy;
	d->link.joined = 0;
}

static void on_join(bpci__dcall *call, int rc, const bpci__http_response *resp,
		    const char *error, void *payload)
{
	bpci__daemons *d = payload;
	json_t *r;

	(void)call;
	d->link.call = NULL;
	if (rc != 0) {
		d->link.errors++;
		bpci__d_log(d, "join %s failed: %s", d->parent_url, error);
		if (rc == BPCI_EUNREACHABLE)
			bpci__d_link_locate(d);
		return;
	}
	r = json_loads(resp->body ? resp->body : "", 0, NULL);
	if (r) {
		json_int_t hb = json_integer_value(json_object_get(r, "heartbeat_interval_ms"));
		const char *pid = json_string_value(json_object_get(r, "parent_id"));

		if (hb > 0)
			d->hb_ms = (uint64_t)hb;
		if (pid) {
			bpci__free(d->parent_id);
			d->parent_id = bpci__strdup(pid);
		}
		/* What the parent (or the tree's model) says this daemon does. */
		bpci__d_take_responsibilities(d, r);
		json_decref(r);
	}
	d->link.joined = 1;
	d->link.last_ok_mono = bpci__d_mono_ms();
	bpci__d_log(d, "joined %s (parent %s)", d->parent_url, d->parent_id ? d->parent_id : "?");
	bpci__d_send_ready(d);
	bpci__d_tick_in(d, 0); /* first heartbeat at once */
}

static void on_heartbeat(bpci__dcall *call, int rc, const bpci__http_response *resp,
			 const char *error, void *payload)
{
	bpci__daemons *d = payload;
	json_t *r;

	d->link.call = NULL;
	if (rc == BPCI_ENOTFOUND) {
		bpci__d_log(d, "parent %s does not know us: joining again", d->parent_url);
		d->link.joined = 0;
		bpci__d_tick_in(d, 0);
		return;
	}
	if (rc != 0) {
		d->link.errors++;
		if (d->link.errors < 5 || d->link.errors % 30 == 0)
			bpci__d_log(d, "heartbeat to %s failed: %s", d->parent_url, error);
		if (rc == BPCI_EUNREACHABLE)
			bpci__d_link_locate(d);
		return;
	}
	d->link.heartbeats++;
	d->link.rtt_ms = (int64_t)bpci__dcall_elapsed_ms(call);
	d->link.last_ok_mono = bpci__d_mono_ms();
	/* The model's responsibilities may arrive (or change) after the join. */
	r = json_loads(resp && resp->body ? resp->body : "", 0, NULL);
	if (r)
		bpci__d_take_responsibilities(d, r);
	json_decref(r);
}

static void measure_load(bpci__daemons *d, double *cpu, json_int_t *rss)
{
	struct rusage ru;
	uint64_t now = bpci__d_mono_ms(), used;
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	*rss = (json_int_t)resident * (json_int_t)sysconf(_SC_PAGESIZE);
	getrusage(RUSAGE_SELF, &ru);
	used = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	if (d->link.cpu_prev_mono && now > d->link.cpu_prev_mono)
		d->link.cpu_percent = (double)(used - d->link.cpu_prev_us) / 10.0 /
				      (double)(now - d->link.cpu_prev_mono);
	d->link.cpu_prev_us = used;
	d->link.cpu_prev_mono = now;
	*cpu = d->link.cpu_percent;
}

static char *join_body(bpci__daemons *d)
{
	json_t *b = json_pack("{s:s, s:s, s:s, s:I, s:b}", "daemon_id", d->id, "url", d->url,
			      "token", d->token, "pid", (json_int_t)getpid(), "remote", d->remote);
	char *text;

	if (!b)
		return NULL;
	json_object_update(b, d->join_fields);
	text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return text;
}

static char *heartbeat_body(bpci__daemons *d)
{
	json_t *ids = NULL, *nodes = bpci__d_nodes_json(d, &ids), *kids = json_array(), *b;
	json_int_t rss = 0;
	double cpu = 0;
	char *text = NULL;
	size_t i;

	measure_load(d, &cpu, &rss);
	for (i = 0; kids && i < d->nkids; i++)
		json_array_append_new(kids, bpci__d_child_entry(d->kids[i], 1));
	b = json_pack("{s:s, s:I, s:s, s:I, s:o, s:o, s:{s:f, s:I}, s:o}", "daemon_id", d->id,
		      "seq", (json_int_t)++d->link.seq, "url", d->url, "rtt_ms",
		      (json_int_t)d->link.rtt_ms, "nodes", nodes, "node_ids", ids, "load",
		      "cpu_percent", cpu, "rss_bytes", rss, "children", kids);
	if (b)
		text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return text;
}

void bpci__d_link_tick(bpci__daemons *d)
{
	int join = !d->link.joined;
	char *body, *url;
	int rc;

	if (d->link.call)
		return;
	body = join ? join_body(d) : heartbeat_body(d);
	url = url_of(d, join ? "join" : "heartbeat");
	if (body && url) {
		long timeout = (long)(d->hb_ms > 1000 ? d->hb_ms : 1000);

		rc = bpci__dcall_start(&d->link.call, d->base, url, d->join_token, body, timeout,
				       join ? on_join : on_heartbeat, d);
		if (rc != 0)
			d->link.errors++;
	}
	free(body);
	bpci__free(url);
}

void bpci__d_post_escalate(bpci__daemons *d, const char *child_id, const char *reason)
{
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response resp = {0};
	json_t *b;
	char *text, *url;

	if (!d->parent_url)
		return;
	b = json_pack("{s:s, s:s, s:s}", "daemon_id", d->id, "child_id", child_id, "reason",
		      reason);
	text = b ? json_dumps(b, JSON_COMPACT) : NULL;
	url = url_of(d, "escalate");
	o.token = *d->join_token ? d->join_token : NULL;
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 1000;
	if (text && url)
		(void)bpci__http_request(&o, "POST", url, text, strlen(text), &resp, NULL);
	bpci__http_response_clear(&resp);
	json_decref(b);
	free(text);
	bpci__free(url);
}

int bpci__coordinator_daemon_reparent(char **reply_json, bpci_coordinator *c, const char *body,
				      size_t len, bpci_diag *diag)
{
	bpci__daemons *d = c ? c->daemons : NULL;
	json_t *b = json_loadb(body ? body : "", body ? len : 0, 0, NULL);
	const char *url = json_string_value(json_object_get(b, "parent_url"));
	const char *token = json_string_value(json_object_get(b, "join_token"));
	const char *file = json_string_value(json_object_get(b, "parent_url_file"));
	char *u = NULL, *t = NULL, *f = NULL;
	int rc = 0;

	*reply_json = NULL;
	if (!d || !d->parent_url)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent_url",
				    "this coordinator is not a joined daemon (a root, or "
				    "started without --daemon-id): it has no parent to change");
	else if (!url || strncmp(url, "http://", 7) != 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent_url",
				    "must be an http:// URL, got %s", url ? url : "nothing");
	else if (!(u = bpci__strdup(url)) || !(t = bpci__strdup(token ? token : "")) ||
		 (file && *file == '/' && !(f = bpci__strdup(file))))
		rc = BPCI_ENOMEM;
	json_decref(b);
	if (rc != 0) {
		bpci__free(u);
		bpci__free(t);
		return rc;
	}
	/* A local daemon moved to another parent looks for that parent's
	 * api.url when it cannot reach it (cluster_migrate.h). */
	if (f) {
		bpci__free(d->parent_url_file);
		d->parent_url_file = f;
	}
	/* The parent this daemon was told to follow (its old one was removed,
	 * or it was moved): join there at once. A request in flight to the
	 * old parent finishes first; should it be an accepted join, the next
	 * heartbeat gets 404 from the new parent and joins it. */
	bpci__d_log(d, "parent moved from %s to %s (told by the tree's root)", d->parent_url, u);
	bpci__free(d->parent_url);
	bpci__free(d->join_token);
	d->parent_url = u;
	d->join_token = t;
	d->link.joined = 0;
	bpci__d_tick_in(d, 0);
	*reply_json = bpci__strdup("{\"rejoining\":true}");
	return *reply_json ? 0 : BPCI_ENOMEM;
}
