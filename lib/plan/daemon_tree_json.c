/*
 * The daemon tree as JSON: the persisted model (round trip), the status
 * document (SUBTREE entries of the tree protocol) and plans.
 */
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"
#include "plan/daemon_tree_internal.h"

#define TREE_VERSION 1

static json_t *text_json(char *text)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;

	bpci__free(text);
	return v;
}

static json_t *spec_json(const bpci_daemon_spec *spec)
{
	char *text = NULL;

	return bpci_daemon_spec_to_json(&text, spec) == 0 ? text_json(text) : NULL;
}

static json_t *caps_json(const bpci_capabilities *caps)
{
	return caps ? bpci__capabilities_to_json(caps) : json_array();
}

static json_t *node_json(const dt_node *n)
{
	char *need = NULL;
	json_t *v;

	if (bpci_resources_format(&need, &n->need) != 0)
		return NULL;
	v = json_pack("{s:s, s:s, s:s, s:s, s:o*}", "id", n->id, "daemon", n->daemon, "labels",
		      n->labels, "need", need, "capabilities", caps_json(n->caps));
	if (v && n->anti)
		json_object_set_new(v, "anti_affinity", json_string(n->anti));
	if (v && n->domain)
		json_object_set_new(v, "domain", json_string(n->domain));
	bpci__free(need);
	return v;
}

int bpci_daemon_tree_to_json(char **out, const bpci_daemon_tree *t)
{
	json_t *ds = json_array(), *ns = json_array(), *doc;
	size_t i;
	int failed = !ds || !ns;

	for (i = 0; !failed && i < t->nd; i++)
		failed = json_array_append_new(ds, spec_json(t->d[i].spec)) != 0;
	for (i = 0; !failed && i < t->nn; i++)
		failed = json_array_append_new(ns, node_json(&t->n[i])) != 0;
	doc = json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:o}", "version", TREE_VERSION, "levels",
			(int)t->levels, "max_children", (int)t->max_children,
			"max_utilization_percent", (int)t->pct, "strategy", (int)t->strategy,
			"daemons", ds, "nodes", ns);
	if (!doc || failed) {
		json_decref(doc);
		return BPCI_ENOMEM;
	}
	return bpci__json_dump(out, doc);
}

static int load_daemon(bpci_daemon_tree **t, json_t *v, size_t index,
		       const bpci_daemon_tree_options *o, unsigned int levels, bpci_diag *diag)
{
	bpci_daemon_spec *spec = NULL;
	char *text = json_dumps(v, JSON_COMPACT);
	int rc;

	if (!text)
		return BPCI_ENOMEM;
	rc = bpci_daemon_spec_from_json(&spec, text, strlen(text), diag);
	free(text);
	if (rc == 0)
		rc = index == 0 ? bpci_daemon_tree_new(t, spec, levels, o, diag)
				: bpci_daemon_tree_add(*t, spec, diag);
	bpci_daemon_spec_free(spec);
	return rc;
}

static int load_node(bpci_daemon_tree *t, json_t *v, bpci_diag *diag)
{
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	const char *id = NULL, *daemon = NULL, *labels = "", *need = "", *anti = NULL;
	const char *domain = NULL;
	bpci_capabilities *caps = NULL;
	json_t *cv = NULL;
	int rc;

	if (json_unpack(v, "{s:s, s:s, s?s, s:s, s?o, s?s, s?s}", "id", &id, "daemon", &daemon,
			"labels", &labels, "need", &need, "capabilities", &cv, "anti_affinity",
			&anti, "domain", &domain) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "nodes",
				      "a node needs id, daemon and need strings");
	rc = bpci_resources_parse(&req.need, need, diag);
	if (rc == 0 && cv && json_array_size(cv)) {
		size_t i;
		json_t *c;

		rc = bpci_capabilities_new(&caps);
		json_array_foreach(cv, i, c)
			if (rc == 0)
				rc = bpci_capabilities_add(caps, json_string_value(c) ?
							   json_string_value(c) : "", diag);
	}
	req.id = id;
	req.labels = labels;
	req.capabilities = caps;
	req.anti_affinity = anti;
	if (rc == 0)
		rc = bpci_daemon_tree_add_node(t, &req, daemon, diag);
	/* Old files have no domain: the node is the root's. */
	if (rc == 0 && domain)
		rc = bpci_daemon_tree_set_node_domain(t, id, domain, diag);
	bpci_capabilities_free(caps);
	return rc;
}

int bpci_daemon_tree_from_json(bpci_daemon_tree **out, const char *json, size_t len,
			       bpci_diag *diag)
{
	bpci_daemon_tree_options o = BPCI_DAEMON_TREE_OPTIONS_INIT;
	json_t *doc = NULL, *ds = NULL, *ns = NULL, *v;
	bpci_daemon_tree *t = NULL;
	int ver = 0, levels = 0, maxc = 0, pct = 0, strategy = 0, rc;
	size_t i;

	*out = NULL;
	rc = bpci__json_load_object(&doc, json, len, diag);
	if (rc != 0)
		return rc;
	if (json_unpack(doc, "{s:i, s:i, s:i, s:i, s:i, s:o, s:o}", "version", &ver, "levels",
			&levels, "max_children", &maxc, "max_utilization_percent", &pct,
			"strategy", &strategy, "daemons", &ds, "nodes", &ns) != 0 ||
	    !json_is_array(ds) || !json_is_array(ns) || json_array_size(ds) == 0 ||
	    levels < 1 || maxc < 1 || pct < 1 || strategy < 1) {
		json_decref(doc);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "tree",
				      "not a daemon tree document (version, levels, max_children, "
				      "max_utilization_percent, strategy, daemons, nodes)");
	}
	if (ver != TREE_VERSION) {
		json_decref(doc);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "daemon tree version %d (this library knows %d)", ver,
				      TREE_VERSION);
	}
	o.max_children = (unsigned int)maxc;
	o.max_utilization_percent = (unsigned int)pct;
	o.strategy = (bpci_load_balancing)strategy;
	json_array_foreach(ds, i, v) {
		rc = load_daemon(&t, v, i, &o, (unsigned int)levels, diag);
		if (rc != 0)
			break;
	}
	json_array_foreach(ns, i, v) {
		if (rc != 0)
			break;
		rc = load_node(t, v, diag);
	}
	json_decref(doc);
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- status ---------------------------------------------------------- */

/* Dominant share of daemon @i's capacity taken by its nodes and local children. */
static double reserved_share(const bpci_daemon_tree *t, size_t i)
{
	const bpci_resources *cap = bpci_daemon_spec_capacity(t->d[i].spec);
	bpci_resources ch, nd;
	double best = 0.0, v;
	int k;

	bpci__dt_taken(t, i, &ch, &nd);
	bpci__dt_res_add(&ch, &nd);
	for (k = 0; k < DT_NRES; k++)
		if (bpci__dt_res(cap, k) &&
		    (v = (double)bpci__dt_res(&ch, k) / (double)bpci__dt_res(cap, k)) > best)
			best = v;
	return best * 100.0;
}

static json_t *node_ids(const bpci_daemon_tree *t, const char *id, size_t *count)
{
	json_t *arr = json_array();
	size_t k;

	*count = 0;
	for (k = 0; arr && k < t->nn; k++)
		if (!strcmp(t->n[k].daemon, id)) {
			json_array_append_new(arr, json_string(t->n[k].id));
			(*count)++;
		}
	return arr;
}

static json_t *entry(const bpci_daemon_tree *t, size_t i, unsigned int level);

static json_t *probe_json(const dt_probe *p)
{
	json_t *v = json_pack("{s:b, s:f, s:I, s:b}", "ok", p->ok, "latency_ms", p->ms,
			      "failures", (json_int_t)p->failures, "unhealthy", p->unhealthy);

	if (v && p->error)
		json_object_set_new(v, "error", json_string(p->error));
	return v;
}

static json_t *children(const bpci_daemon_tree *t, size_t i, unsigned int level)
{
	const char *id = bpci_daemon_spec_id(t->d[i].spec), *p;
	json_t *arr = json_array();
	size_t k;

	for (k = 0; arr && k < t->nd; k++)
		if ((p = bpci_daemon_spec_parent(t->d[k].spec)) && !strcmp(p, id) &&
		    json_array_append_new(arr, entry(t, k, level + 1)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *entry(const bpci_daemon_tree *t, size_t i, unsigned int level)
{
	const bpci_daemon_spec *s = t->d[i].spec;
	const dt_live *l = &t->d[i].live;
	json_t *spec = spec_json(s), *ids, *v;
	size_t total;
	unsigned int running;

	if (!spec || level > BPCI_DAEMON_TREE_MAX_LEVELS + 1) {
		json_decref(spec);
		return NULL;
	}
	ids = node_ids(t, bpci_daemon_spec_id(s), &total);
	/* Without a report the model's count stands in (the nodes it placed). */
	running = l->set ? l->running : (unsigned int)total;
	v = json_pack("{s:s, s:s?, s:s, s:b, s:s, s:I, s:i, s:i, s:{s:I, s:i, s:i}, s:o*,"
		      " s:{s:f, s:I, s:I, s:I}, s:o*, s:O*, s:O*, s:O*,"
		      " s:{s:f, s:f, s:I}}",
		      "daemon_id", bpci_daemon_spec_id(s), "parent_id", bpci_daemon_spec_parent(s),
		      "url", l->url ? l->url : "", "remote", bpci_daemon_spec_remote(s), "state",
		      bpci__dt_state(t, i), "pid", (json_int_t)l->pid, "restarts",
		      (int)l->restarts, "level", (int)level, "nodes", "total", (json_int_t)total,
		      "running", (int)running, "failed", (int)l->failed, "node_ids", ids, "link",
		      "rtt_ms", l->rtt, "heartbeats", (json_int_t)l->heartbeats, "errors",
		      (json_int_t)l->errors, "last_heartbeat_ms_ago", (json_int_t)l->last,
		      "children", children(t, i, level), "responsibilities",
		      json_object_get(spec, "responsibilities"), "capacity",
		      json_object_get(spec, "capacity"), "labels", json_object_get(spec, "labels"),
		      "load", "reserved_percent", reserved_share(t, i), "cpu_percent", l->cpu,
		      "rss_bytes", (json_int_t)l->rss);
	json_decref(spec);
	if (v && l->reason)
		json_object_set_new(v, "state_reason", json_string(l->reason));
	if (v && t->d[i].probe.set)
		json_object_set_new(v, "probe", probe_json(&t->d[i].probe));
	return v;
}

int bpci_daemon_tree_status_json(char **out, const bpci_daemon_tree *t)
{
	json_t *v;

	*out = NULL;
	v = entry(t, 0, 1);
	if (!v)
		return BPCI_ENOMEM;
	if (json_is_null(json_object_get(v, "parent_id")))
		json_object_set_new(v, "parent_id", json_string(""));
	return bpci__json_dump(out, v);
}

/* ---- plans ----------------------------------------------------------- */

static const char *const actions[] = {"", "reparent", "move_node", "remove"};

int bpci_daemon_tree_plan_to_json(char **out, const bpci_daemon_tree_plan *plan)
{
	json_t *steps = json_array(), *s;
	size_t i;

	*out = NULL;
	for (i = 0; steps && plan && i < plan->ns; i++) {
		const bpci_daemon_step *st = &plan->s[i];

		s = json_pack("{s:s, s:s, s:s*, s:s*}", "action", actions[st->kind],
			      st->kind == BPCI_DAEMON_STEP_MOVE_NODE ? "node" : "daemon",
			      st->subject, "from", st->from, "to", st->to);
		if (s && st->by && json_object_set_new(s, "by", json_string(st->by)) != 0) {
			json_decref(s);
			s = NULL;
		}
		if (!s || json_array_append_new(steps, s) != 0) {
			json_decref(steps);
			return BPCI_ENOMEM;
		}
	}
	return steps ? bpci__json_dump(out, json_pack("{s:o}", "steps", steps)) : BPCI_ENOMEM;
}

static int parse_step(bpci_daemon_tree_plan *plan, json_t *v, size_t i, bpci_diag *diag)
{
	const char *action = NULL, *subj = NULL, *from = NULL, *to = NULL, *by = NULL;
	size_t k;

	if (json_unpack(v, "{s:s, s?s, s?s, s?s, s?s}", "action", &action, "from", &from, "to",
			&to, "node", &subj, "by", &by) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "steps",
				      "step %zu needs an action and strings", i + 1);
	if (!subj)
		subj = json_string_value(json_object_get(v, "daemon"));
	for (k = 1; k < sizeof(actions) / sizeof(actions[0]); k++)
		if (!strcmp(actions[k], action))
			break;
	if (k == sizeof(actions) / sizeof(actions[0]) || !subj ||
	    (k != BPCI_DAEMON_STEP_REMOVE && (!from || !to)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "steps",
				      "step %zu: action must be reparent, move_node or remove "
				      "with a node or daemon, from and to; got \"%s\"", i + 1,
				      action);
	return bpci__dt_plan_add_by(plan, (bpci_daemon_step_kind)k, subj, from, to, by);
}

int bpci_daemon_tree_plan_parse(bpci_daemon_tree_plan **out, const char *json, size_t len,
				bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan;
	json_t *doc = NULL, *steps, *v;
	size_t i;
	int rc;

	*out = NULL;
	rc = bpci__json_load_object(&doc, json, len, diag);
	if (rc != 0)
		return rc;
	steps = json_object_get(doc, "steps");
	if (!json_is_array(steps)) {
		json_decref(doc);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "steps",
				      "must be an array of steps");
	}
	plan = bpci__calloc(1, sizeof(*plan));
	rc = plan ? 0 : BPCI_ENOMEM;
	json_array_foreach(steps, i, v) {
		if (rc != 0)
			break;
		rc = parse_step(plan, v, i, diag);
	}
	json_decref(doc);
	if (rc != 0) {
		bpci_daemon_tree_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}
