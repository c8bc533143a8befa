/*
 * The daemon tree as indented text, for `daemon-tree status`. It reads a
 * SUBTREE document (not the model) so that the CLI renders exactly what
 * the manager's API answered, live data included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"
#include "plan/daemon_tree_internal.h"

#define MAX_SHOWN_NODES 8

static double num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void node_list(FILE *f, json_t *ids)
{
	size_t i, n = json_array_size(ids);

	for (i = 0; i < n && i < MAX_SHOWN_NODES; i++)
		fprintf(f, "%s%s", i ? ", " : ": ", json_string_value(json_array_get(ids, i)) ?
						       json_string_value(json_array_get(ids, i)) : "?");
	if (n > MAX_SHOWN_NODES)
		fprintf(f, " and %zu more", n - MAX_SHOWN_NODES);
}

/* The parent's last health probe of the daemon, on its link line. */
static void probe_text(FILE *f, json_t *p)
{
	const char *err = json_string_value(json_object_get(p, "error"));

	if (!json_is_object(p))
		return;
	if (json_is_true(json_object_get(p, "ok")))
		fprintf(f, ", probe ok %.2f ms", num(p, "latency_ms", NULL));
	else
		fprintf(f, ", probe failed %.0fx%s%s%s", num(p, "failures", NULL),
			json_is_true(json_object_get(p, "unhealthy")) ? " (unhealthy)" : "",
			err ? ": " : "", err ? err : "");
}

/* One daemon's line(s); @prefix is the indentation of its children's lines. */
static int line(FILE *f, json_t *e, const char *lead, const char *prefix, int depth,
		bpci_diag *diag)
{
	const char *id = json_string_value(json_object_get(e, "daemon_id"));
	const char *state = json_string_value(json_object_get(e, "state"));
	const char *parent = json_string_value(json_object_get(e, "parent_id")), *reason;
	json_t *kids = json_object_get(e, "children");
	size_t i, n = json_array_size(kids);
	int rc = 0;

	if (!id || !state || (kids && !json_is_array(kids)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE,
				      !id ? "daemon_id" : !state ? "state" : "children",
				      "not a daemon tree status entry (at depth %d)", depth);
	if (depth > BPCI_DAEMON_TREE_MAX_LEVELS * 4)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "children",
				      "nested deeper than any daemon tree");
	reason = json_string_value(json_object_get(e, "state_reason"));
	fprintf(f, "%s%s [%s%s%s%s%s] pid %.0f, load %.1f%% reserved", lead, id, state,
		reason ? " (" : "", reason ? reason : "", reason ? ")" : "",
		json_is_true(json_object_get(e, "remote")) ? ", remote" : "", num(e, "pid", NULL),
		num(e, "load", "reserved_percent"));
	if (num(e, "load", "cpu_percent") > 0)
		fprintf(f, ", cpu %.1f%%", num(e, "load", "cpu_percent"));
	fprintf(f, ", nodes %.0f/%.0f running", num(e, "nodes", "running"),
		num(e, "nodes", "total"));
	if (num(e, "nodes", "failed") > 0)
		fprintf(f, ", %.0f failed", num(e, "nodes", "failed"));
	node_list(f, json_object_get(e, "node_ids"));
	fputc('\n', f);
	if (parent && *parent) {
		fprintf(f, "%s%s  link: ", prefix, n ? "|" : " ");
		if (num(e, "link", "rtt_ms") >= 0 && json_object_get(e, "link"))
			fprintf(f, "rtt %.2f ms, ", num(e, "link", "rtt_ms"));
		fprintf(f, "%.0f heartbeats, %.0f errors", num(e, "link", "heartbeats"),
			num(e, "link", "errors"));
		if (num(e, "link", "last_heartbeat_ms_ago") >= 0 &&
		    json_object_get(json_object_get(e, "link"), "last_heartbeat_ms_ago"))
			fprintf(f, ", last %.0f ms ago", num(e, "link", "last_heartbeat_ms_ago"));
		probe_text(f, json_object_get(e, "probe"));
		fputc('\n', f);
	}
	for (i = 0; rc == 0 && i < n; i++) {
		int last = i + 1 == n;
		char *l2 = bpci__asprintf("%s%s", prefix, last ? "`-- " : "|-- ");
		char *p2 = bpci__asprintf("%s%s", prefix, last ? "    " : "|   ");

		rc = (l2 && p2) ? line(f, json_array_get(kids, i), l2, p2, depth + 1, diag)
				: BPCI_ENOMEM;
		bpci__free(l2);
		bpci__free(p2);
	}
	return rc;
}

int bpci_daemon_tree_render(char **out, const char *subtree_json, size_t len, bpci_diag *diag)
{
	json_t *doc = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int rc;

	*out = NULL;
	rc = bpci__json_load_object(&doc, subtree_json, len, diag);
	if (rc != 0)
		return rc;
	f = open_memstream(&buf, &size);
	if (!f) {
		json_decref(doc);
		return BPCI_ENOMEM;
	}
	rc = line(f, doc, "", "", 0, diag);
	fclose(f);
	json_decref(doc);
	if (rc == 0)
		*out = buf ? bpci__strdup(buf) : NULL;
	free(buf);
	if (rc == 0 && !*out)
		rc = BPCI_ENOMEM;
	return rc;
}
