/*
 * Requests to nodes: checking a request, and interning its constraints
 * into a class shared by every node with the same labels and capabilities.
 */
#include "placement_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

typedef struct label_pair {
	char *k, *v;
} label_pair;

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const label_pair *)a)->k, ((const label_pair *)b)->k);
}

static void free_pairs(label_pair *lp, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bpci__free(lp[i].k);
		bpci__free(lp[i].v);
	}
	bpci__free(lp);
}

static char *trimmed(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return bpci__strndup(s, len);
}

/* Parse "k=v,k2=v2" into pairs sorted by key. */
static int parse_labels(label_pair **out, size_t *count, const char *text, const char *node,
			bpci_diag *diag)
{
	label_pair *lp = NULL;
	size_t n = 0, cap = 0, len, i;
	const char *s = text, *end, *eq;
	int rc = 0;

	*out = NULL;
	*count = 0;
	while (text && *text && s) {
		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		eq = memchr(s, '=', len);
		if (!eq) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
					    "of node %s: \"%.*s\" is not key=value "
					    "(for example jurisdiction=EU)", node, (int)len, s);
			break;
		}
		if (bpci__grow((void **)&lp, &cap, n + 1, sizeof(*lp)) < 0) {
			rc = BPCI_ENOMEM;
			break;
		}
		lp[n].k = trimmed(s, (size_t)(eq - s));
		lp[n].v = trimmed(eq + 1, len - (size_t)(eq - s) - 1);
		n++;
		if (!lp[n - 1].k || !lp[n - 1].v) {
			rc = BPCI_ENOMEM;
			break;
		}
		if (!lp[n - 1].k[0]) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "labels",
					    "of node %s: \"%.*s\" has an empty key", node,
					    (int)len, s);
			break;
		}
		s = end ? end + 1 : NULL;
	}
	if (rc == 0 && n > 1) {
		qsort(lp, n, sizeof(*lp), cmp_pair);
		for (i = 1; i < n; i++)
			if (strcmp(lp[i].k, lp[i - 1].k) == 0) {
				rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
						    "labels", "of node %s: label %s given twice",
						    node, lp[i].k);
				break;
			}
	}
	if (rc) {
		free_pairs(lp, n);
		return rc;
	}
	*out = lp;
	*count = n;
	return 0;
}

/* The canonical key "k=v,k2=v2|cap1,cap2" of a set of constraints. */
static char *class_key(const label_pair *lp, size_t n, const bpci_capabilities *caps)
{
	size_t len = 2, i, nc = caps ? bpci_capabilities_count(caps) : 0;
	char *key, *w;

	for (i = 0; i < n; i++)
		len += strlen(lp[i].k) + strlen(lp[i].v) + 2;
	for (i = 0; i < nc; i++)
		len += strlen(bpci_capabilities_get(caps, i)) + 1;
	key = bpci__malloc(len);
	if (!key)
		return NULL;
	w = key;
	for (i = 0; i < n; i++)
		w += sprintf(w, "%s%s=%s", i ? "," : "", lp[i].k, lp[i].v);
	*w++ = '|';
	for (i = 0; i < nc; i++)
		w += sprintf(w, "%s%s", i ? "," : "", bpci_capabilities_get(caps, i));
	*w = '\0';
	return key;
}

/* Find or create the class of these constraints; takes the pairs' strings. */
static int intern_class(bpci_placement *p, uint32_t *out, label_pair *lp, size_t n,
			const bpci_capabilities *caps)
{
	size_t i, nc = caps ? bpci_capabilities_count(caps) : 0;
	char *key = class_key(lp, n, caps);
	pl_class *c;
	uint32_t found;

	if (!key)
		return BPCI_ENOMEM;
	found = bpci__strmap_get(&p->cmap, key);
	if (found != NONE) {
		bpci__free(key);
		*out = found;
		return 0;
	}
	if (bpci__grow((void **)&p->c, &p->ccap, p->nc + 1, sizeof(*p->c)) < 0)
		goto nomem;
	c = &p->c[p->nc];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->lkeys = bpci__calloc(n, sizeof(char *));
	c->lvals = bpci__calloc(n, sizeof(char *));
	c->caps = bpci__calloc(nc, sizeof(char *));
	if (!c->lkeys || !c->lvals || !c->caps)
		goto nomem_c;
	for (i = 0; i < nc; i++, c->ncaps++)
		if (!(c->caps[i] = bpci__strdup(bpci_capabilities_get(caps, i))))
			goto nomem_c;
	if (bpci__strmap_put(&p->cmap, key, (uint32_t)p->nc) < 0)
		goto nomem_c;
	for (i = 0; i < n; i++) {   /* cannot fail from here: take the strings */
		c->lkeys[i] = lp[i].k;
		c->lvals[i] = lp[i].v;
		lp[i].k = lp[i].v = NULL;
	}
	c->nl = n;
	*out = (uint32_t)p->nc++;
	return 0;
nomem_c:
	for (i = 0; i < c->ncaps; i++)
		bpci__free(c->caps[i]);
	bpci__free(c->caps);
	bpci__free(c->lkeys);
	bpci__free(c->lvals);
nomem:
	bpci__free(key);
	return BPCI_ENOMEM;
}

static int intern_group(bpci_placement *p, uint32_t *out, const char *name)
{
	uint32_t g = bpci__strmap_get(&p->gmap, name);
	char *copy;

	if (g != NONE) {
		*out = g;
		return 0;
	}
	if (bpci__grow((void **)&p->groups, &p->gcap, p->ng + 1, sizeof(*p->groups)) < 0 ||
	    !(copy = bpci__strdup(name)))
		return BPCI_ENOMEM;
	if (bpci__strmap_put(&p->gmap, copy, (uint32_t)p->ng) < 0) {
		bpci__free(copy);
		return BPCI_ENOMEM;
	}
	p->groups[p->ng] = copy;
	*out = (uint32_t)p->ng++;
	return 0;
}

static int check_id(const char *id, const char *field, bpci_diag *diag)
{
	size_t len = id ? strlen(id) : 0, i;

	if (len == 0 || len > 255)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "id must be 1..255 bytes, got %zu", len);
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f || id[i] == ',')
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "id \"%s\" must not hold control characters "
					      "or commas", id);
	return 0;
}

/*
 * Append a node (unassigned) for @req. Returns its index, or a negative
 * code with nothing added.
 */
int bpci__pl_node_from_request(bpci_placement *p, const bpci_placement_request *req,
			       const char *field, bpci_diag *diag)
{
	label_pair *lp = NULL;
	size_t nl = 0;
	uint32_t cls, group = NONE;
	pl_node *n;
	int rc;

	if (req->version != BPCI_PLACEMENT_REQUEST_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, field,
				      "request version %u is not %u", req->version,
				      BPCI_PLACEMENT_REQUEST_VERSION);
	if ((rc = check_id(req->id, field, diag)) < 0)
		return rc;
	if (bpci__strmap_get(&p->nmap, req->id) != NONE)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, field,
				      "node %s is already placed", req->id);
	if (p->nn >= NONE - 1)
		return BPCI_ELIMIT;
	if ((rc = parse_labels(&lp, &nl, req->labels, req->id, diag)) < 0)
		return rc;
	rc = intern_class(p, &cls, lp, nl, req->capabilities);
	free_pairs(lp, nl);
	if (rc == 0 && req->anti_affinity && req->anti_affinity[0])
		rc = intern_group(p, &group, req->anti_affinity);
	if (rc == 0 && bpci__grow((void **)&p->n, &p->ncap, p->nn + 1, sizeof(*p->n)) < 0)
		rc = BPCI_ENOMEM;
	if (rc)
		return rc;
	n = &p->n[p->nn];
	memset(n, 0, sizeof(*n));
	n->id = bpci__strdup(req->id);
	if (!n->id)
		return BPCI_ENOMEM;
	if (bpci__strmap_put(&p->nmap, n->id, (uint32_t)p->nn) < 0) {
		bpci__free(n->id);
		return BPCI_ENOMEM;
	}
	bpci__pl_vec(n->need, &req->need);
	n->daemon = NONE;
	n->cls = cls;
	n->group = group;
	p->live++;
	return (int)p->nn++;
}

/* Undo the newest bpci__pl_node_from_request() (the node is unassigned). */
void bpci__pl_drop_last_node(bpci_placement *p)
{
	pl_node *n = &p->n[p->nn - 1];

	bpci__strmap_del(&p->nmap, n->id);
	bpci__free(n->id);
	p->nn--;
	p->live--;
}

/* Whether daemon @d may ever host nodes of class @c (health, lifecycle,
 * labels, capabilities: what does not change as nodes come and go). */
static int static_ok(const bpci_placement *p, uint32_t d, const pl_class *c)
{
	const pl_daemon *dm = &p->d[d];
	const char *v;
	size_t i;

	if (!dm->healthy || !dm->lifecycle)
		return 0;
	for (i = 0; i < c->nl; i++) {
		v = bpci_daemon_spec_label(dm->spec, c->lkeys[i]);
		if (!v || strcmp(v, c->lvals[i]) != 0)
			return 0;
	}
	for (i = 0; i < c->ncaps; i++)
		if (!dm->caps || !bpci_capabilities_has(dm->caps, c->caps[i]))
			return 0;
	return 1;
}

/* Make class @cls's eligible list current. 0 or BPCI_ENOMEM. */
int bpci__pl_class_ready(bpci_placement *p, uint32_t cls)
{
	pl_class *c = &p->c[cls];
	uint32_t *e;
	size_t n = 0, d;

	if (c->valid)
		return 0;
	e = bpci__malloc((p->nd ? p->nd : 1) * sizeof(*e));
	if (!e)
		return BPCI_ENOMEM;
	for (d = 0; d < p->nd; d++)
		if (static_ok(p, (uint32_t)d, c))
			e[n++] = (uint32_t)d;
	bpci__free(c->elig);
	c->elig = e;
	c->nelig = n;
	c->valid = 1;
	return 0;
}
