/* The daemon tree handle: creation, deep copies, lookups, live data. */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"

static const char *const states[] = {"starting", "running", "restarting", "unreachable",
				     "failed", "stopped", "unknown"};

long bpci__dt_find(const bpci_daemon_tree *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->nd; i++)
		if (!strcmp(bpci_daemon_spec_id(t->d[i].spec), id))
			return (long)i;
	return -1;
}

long bpci__dt_find_node(const bpci_daemon_tree *t, const char *id)
{
	size_t i;

	uint32_t k;

	if (id && t->nmap_ok) {
		k = bpci__strmap_get(&t->nmap, id);
		if (k == BPCI__STRMAP_NONE)
			return -1;
		if (k < t->nn && !strcmp(t->n[k].id, id))
			return (long)k;
	}
	for (i = 0; id && i < t->nn; i++)
		if (!strcmp(t->n[i].id, id))
			return (long)i;
	return -1;
}

long bpci__dt_parent(const bpci_daemon_tree *t, size_t i)
{
	return bpci__dt_find(t, bpci_daemon_spec_parent(t->d[i].spec));
}

unsigned int bpci__dt_level(const bpci_daemon_tree *t, size_t i)
{
	unsigned int level = 1;
	long p = bpci__dt_parent(t, i);

	/* The bound guards against a corrupt (cyclic) tree: never loops. */
	while (p >= 0 && level <= t->nd) {
		level++;
		p = bpci__dt_parent(t, (size_t)p);
	}
	return level;
}

size_t bpci__dt_nchildren(const bpci_daemon_tree *t, size_t i)
{
	const char *id = bpci_daemon_spec_id(t->d[i].spec), *p;
	size_t k, n = 0;

	for (k = 0; k < t->nd; k++)
		if ((p = bpci_daemon_spec_parent(t->d[k].spec)) && !strcmp(p, id))
			n++;
	return n;
}

int bpci__dt_state_down(const char *state)
{
	return state && (!strcmp(state, "unreachable") || !strcmp(state, "failed") ||
			 !strcmp(state, "stopped") || !strcmp(state, "unknown"));
}

const char *bpci__dt_state(const bpci_daemon_tree *t, size_t i)
{
	if (t->d[i].live.set && t->d[i].live.state)
		return t->d[i].live.state;
	return i == 0 ? "running" : "starting";
}

static void live_clear(dt_live *l)
{
	bpci__free(l->state);
	bpci__free(l->url);
	bpci__free(l->token);
	bpci__free(l->reason);
	memset(l, 0, sizeof(*l));
	l->rtt = -1.0;
	l->last = -1;
}

static void daemon_clear(dt_daemon *d)
{
	bpci_daemon_spec_free(d->spec);
	bpci_capabilities_free(d->caps);
	live_clear(&d->live);
	bpci__free(d->probe.error);
}

static void node_clear(dt_node *n)
{
	bpci__free(n->id);
	bpci__free(n->daemon);
	bpci__free(n->labels);
	bpci__free(n->anti);
	bpci__free(n->domain);
	bpci_capabilities_free(n->caps);
}

void bpci_daemon_tree_free(bpci_daemon_tree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nd; i++)
		daemon_clear(&t->d[i]);
	for (i = 0; i < t->nn; i++)
		node_clear(&t->n[i]);
	bpci__free(t->d);
	bpci__free(t->n);
	bpci__dt_changed(t);
	bpci__dt_nodes_moved(t);
	bpci__free(t);
}

static int check_options(bpci_daemon_tree *t, unsigned int levels,
			 const bpci_daemon_tree_options *o, bpci_diag *diag)
{
	if (o && o->version != BPCI_DAEMON_TREE_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "options version %u is not %u", o->version,
				      BPCI_DAEMON_TREE_OPTIONS_VERSION);
	if (levels < 1 || levels > BPCI_DAEMON_TREE_MAX_LEVELS)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "levels",
				      "must be 1..%d, got %u", BPCI_DAEMON_TREE_MAX_LEVELS, levels);
	t->levels = levels;
	t->max_children = o && o->max_children ? o->max_children : 64;
	t->pct = o && o->max_utilization_percent ? o->max_utilization_percent : 80;
	t->strategy = o && o->strategy ? o->strategy : BPCI_LB_RESOURCE_BASED;
	if (t->max_children > 65535)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "max_children",
				      "must be 1..65535, got %u", t->max_children);
	if (t->pct > 100)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "max_utilization_percent", "must be 1..100, got %u", t->pct);
	if (!bpci_load_balancing_name(t->strategy))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "strategy",
				      "must be round_robin, weighted_round_robin, "
				      "least_connections, resource_based or adaptive, got %d",
				      (int)t->strategy);
	return 0;
}

int bpci_daemon_tree_new(bpci_daemon_tree **out, const bpci_daemon_spec *root,
			 unsigned int levels, const bpci_daemon_tree_options *opts,
			 bpci_diag *diag)
{
	bpci_daemon_tree *t;
	int rc;

	if (!out)
		return BPCI_EINVAL;
	*out = NULL;
	if (!root)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "root",
				      "a root daemon spec is required");
	rc = bpci_daemon_spec_validate(root, diag);
	if (rc != 0)
		return rc;
	if (bpci_daemon_spec_parent(root))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "root",
				      "the root daemon \"%s\" must not have a parent, got \"%s\"",
				      bpci_daemon_spec_id(root), bpci_daemon_spec_parent(root));
	t = bpci__calloc(1, sizeof(*t));
	if (!t)
		return BPCI_ENOMEM;
	rc = check_options(t, levels, opts, diag);
	if (rc == 0 && !(t->d = bpci__calloc(1, sizeof(*t->d))))
		rc = BPCI_ENOMEM;
	if (rc == 0) {
		live_clear(&t->d[0].live);
		rc = bpci_daemon_spec_dup(&t->d[0].spec, root);
		if (rc == 0)
			t->nd = 1;
	}
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static char *dup_or_null(const char *s, int *failed)
{
	char *c;

	if (!s)
		return NULL;
	c = bpci__strdup(s);
	if (!c)
		*failed = 1;
	return c;
}

static int copy_daemon(dt_daemon *to, const dt_daemon *from)
{
	int failed = 0;

	to->live = from->live;
	to->live.state = dup_or_null(from->live.state, &failed);
	to->live.url = dup_or_null(from->live.url, &failed);
	to->live.token = dup_or_null(from->live.token, &failed);
	to->live.reason = dup_or_null(from->live.reason, &failed);
	to->probe = from->probe;
	to->probe.error = dup_or_null(from->probe.error, &failed);
	to->spec = NULL;
	to->caps = NULL;
	if (bpci_daemon_spec_dup(&to->spec, from->spec) != 0)
		failed = 1;
	if (from->caps && bpci_capabilities_dup(&to->caps, from->caps) != 0)
		failed = 1;
	return failed ? BPCI_ENOMEM : 0;
}

static int copy_node(dt_node *to, const dt_node *from)
{
	int failed = 0;

	memset(to, 0, sizeof(*to));
	to->need = from->need;
	to->id = dup_or_null(from->id, &failed);
	to->daemon = dup_or_null(from->daemon, &failed);
	to->labels = dup_or_null(from->labels, &failed);
	to->anti = dup_or_null(from->anti, &failed);
	to->domain = dup_or_null(from->domain, &failed);
	if (from->caps && bpci_capabilities_dup(&to->caps, from->caps) != 0)
		failed = 1;
	return failed ? BPCI_ENOMEM : 0;
}

int bpci_daemon_tree_dup(bpci_daemon_tree **out, const bpci_daemon_tree *t)
{
	bpci_daemon_tree *c;
	int rc = 0;

	*out = NULL;
	c = bpci__calloc(1, sizeof(*c));
	if (!c)
		return BPCI_ENOMEM;
	*c = *t;
	c->nd = c->nn = 0;
	/* The cached view and the node map are the original's. */
	c->cache = NULL;
	memset(&c->nmap, 0, sizeof(c->nmap));
	c->nmap_ok = 0;
	c->ncap = t->nn + 1;
	c->d = bpci__calloc(t->nd + 1, sizeof(*c->d));
	c->n = bpci__calloc(t->nn + 1, sizeof(*c->n));
	if (!c->d || !c->n)
		rc = BPCI_ENOMEM;
	while (rc == 0 && c->nd < t->nd) {
		rc = copy_daemon(&c->d[c->nd], &t->d[c->nd]);
		c->nd++;
	}
	while (rc == 0 && c->nn < t->nn) {
		rc = copy_node(&c->n[c->nn], &t->n[c->nn]);
		c->nn++;
	}
	if (rc != 0) {
		bpci_daemon_tree_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void bpci__dt_swap(bpci_daemon_tree *a, bpci_daemon_tree *b)
{
	bpci_daemon_tree tmp = *a;

	*a = *b;
	*b = tmp;
	bpci__dt_changed(a);
	bpci__dt_changed(b);
	bpci__dt_nodes_moved(a);
	bpci__dt_nodes_moved(b);
}

const char *bpci_daemon_tree_root(const bpci_daemon_tree *t)
{
	return t && t->nd ? bpci_daemon_spec_id(t->d[0].spec) : NULL;
}

unsigned int bpci_daemon_tree_levels(const bpci_daemon_tree *t)
{
	return t ? t->levels : 0;
}

size_t bpci_daemon_tree_count(const bpci_daemon_tree *t)
{
	return t ? t->nd : 0;
}

const bpci_daemon_spec *bpci_daemon_tree_at(const bpci_daemon_tree *t, size_t index)
{
	return t && index < t->nd ? t->d[index].spec : NULL;
}

const bpci_daemon_spec *bpci_daemon_tree_get(const bpci_daemon_tree *t, const char *id)
{
	long i = t ? bpci__dt_find(t, id) : -1;

	return i >= 0 ? t->d[i].spec : NULL;
}

unsigned int bpci_daemon_tree_level(const bpci_daemon_tree *t, const char *id)
{
	long i = t ? bpci__dt_find(t, id) : -1;

	return i >= 0 ? bpci__dt_level(t, (size_t)i) : 0;
}

size_t bpci_daemon_tree_children(const bpci_daemon_tree *t, const char *id)
{
	long i = t ? bpci__dt_find(t, id) : -1;

	return i >= 0 ? bpci__dt_nchildren(t, (size_t)i) : 0;
}

int bpci_daemon_tree_set_capabilities(bpci_daemon_tree *t, const char *id,
				      const bpci_capabilities *caps)
{
	long i = t ? bpci__dt_find(t, id) : -1;
	bpci_capabilities *copy = NULL;

	bpci__dt_changed(t);
	if (i < 0)
		return BPCI_ENOTFOUND;
	if (caps && bpci_capabilities_dup(&copy, caps) != 0)
		return BPCI_ENOMEM;
	bpci_capabilities_free(t->d[i].caps);
	t->d[i].caps = copy;
	return 0;
}

int bpci_daemon_tree_set_live(bpci_daemon_tree *t, const char *id, const bpci_daemon_live *live,
			      bpci_diag *diag)
{
	long i = t ? bpci__dt_find(t, id) : -1;
	dt_live l;
	size_t k;
	int failed = 0;

	bpci__dt_changed(t);
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "no daemon \"%s\" in the tree", id ? id : "");
	if (!live || live->version != BPCI_DAEMON_LIVE_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "unknown live data version");
	for (k = 0; live->state && k < sizeof(states) / sizeof(states[0]); k++)
		if (!strcmp(states[k], live->state))
			break;
	if (live->state && k == sizeof(states) / sizeof(states[0]))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "state",
				      "must be starting, running, restarting, unreachable, failed, "
				      "stopped or unknown, got \"%s\"", live->state);
	memset(&l, 0, sizeof(l));
	l.set = 1;
	l.state = dup_or_null(live->state, &failed);
	l.url = dup_or_null(live->url, &failed);
	l.token = dup_or_null(live->token, &failed);
	l.pid = live->pid;
	l.restarts = live->restarts;
	l.running = live->nodes_running;
	l.failed = live->nodes_failed;
	l.cpu = live->cpu_percent;
	l.rss = live->rss_bytes;
	l.rtt = live->rtt_ms;
	l.heartbeats = live->heartbeats;
	l.errors = live->errors;
	l.last = live->last_heartbeat_ms_ago;
	if (failed) {
		live_clear(&l);
		return BPCI_ENOMEM;
	}
	live_clear(&t->d[i].live);
	t->d[i].live = l;
	return 0;
}

int bpci_daemon_tree_get_live(bpci_daemon_live *out, const bpci_daemon_tree *t, const char *id)
{
	static const bpci_daemon_live init = BPCI_DAEMON_LIVE_INIT;
	long i = t ? bpci__dt_find(t, id) : -1;
	const dt_live *l;

	if (i < 0)
		return BPCI_ENOTFOUND;
	l = &t->d[i].live;
	*out = init;
	out->state = bpci__dt_state(t, (size_t)i);
	if (!l->set)
		return 0;
	out->url = l->url;
	out->token = l->token;
	out->pid = l->pid;
	out->restarts = l->restarts;
	out->nodes_running = l->running;
	out->nodes_failed = l->failed;
	out->cpu_percent = l->cpu;
	out->rss_bytes = l->rss;
	out->rtt_ms = l->rtt;
	out->heartbeats = l->heartbeats;
	out->errors = l->errors;
	out->last_heartbeat_ms_ago = l->last;
	return 0;
}
