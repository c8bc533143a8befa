/*
 * node_types (per-type defaults) and nodes (the node list).
 *
 * Every key of a node mapping is a node field: a type parameter or a common
 * field, nested mappings standing for dotted paths (resources: {memory_gb}
 * is "resources.memory_gb", labels: {region} is "labels.region"). Values go
 * through the node model's setters, so a value is refused here with the
 * same words as on the command line; the diagnostics context gives those
 * words the file position and the path ("nodes[2].endpoint").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/config_internal.h"
#include "model/text.h"

#define MAX_CANDIDATES 96

/* One spec being filled from one mapping. */
struct fill {
	bpci__cfg_walk *w;
	bpci_node_spec *spec;
	const char *prefix; /* "nodes[2]", "node_types.storage" */
	const bpci__yaml_node *map, *defaults_map;
	const bpci_field_info *tables[2];
	size_t sizes[2];
	size_t first_entry; /* diag entries from here on are about this spec */
	int is_defaults;    /* node_types.X: no "type" key to suggest */
};

static int fill_init(struct fill *f, bpci__cfg_walk *w, bpci_node_spec *spec,
		     const char *prefix, const bpci__yaml_node *map)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->w = w;
	f->spec = spec;
	f->prefix = prefix;
	f->map = map;
	f->first_entry = bpci_diag_count(w->diag);
	rc = bpci_node_type_fields(&f->tables[0], &f->sizes[0], bpci_node_spec_type(spec));
	if (rc == 0)
		rc = bpci_node_common_fields(&f->tables[1], &f->sizes[1]);
	return bpci__cfg_note(w, rc);
}

static const bpci_field_info *find_field(const struct fill *f, const char *name)
{
	size_t t, i;

	for (t = 0; t < 2; t++)
		for (i = 0; i < f->sizes[t]; i++)
			if (strcmp(f->tables[t][i].name, name) == 0)
				return &f->tables[t][i];
	return NULL;
}

/* Non-zero when some field's name continues @path with a '.'. */
static int is_group(const struct fill *f, const char *path)
{
	size_t t, i, n = strlen(path);

	for (t = 0; t < 2; t++)
		for (i = 0; i < f->sizes[t]; i++)
			if (strncmp(f->tables[t][i].name, path, n) == 0 &&
			    f->tables[t][i].name[n] == '.')
				return 1;
	return 0;
}

/* ---- locating problems found by whole-spec checks ---------------------- */

static const bpci__yaml_node *find_key_n(const bpci__yaml_node *map, const char *s,
					 size_t n, const bpci__yaml_node **key)
{
	size_t i;

	if (!map || map->kind != BPCI__YAML_MAPPING)
		return NULL;
	for (i = 0; i < map->count; i++) {
		const bpci__yaml_node *k = map->items[2 * i];

		if (k->len == n && memcmp(k->text, s, n) == 0) {
			*key = k;
			return map->items[2 * i + 1];
		}
	}
	return NULL;
}

/* Follow "resources.memory_gb" or "supported_chains[1]" down from @map.
 * Returns how many segments matched; *@at is the deepest node found. */
static int follow(const bpci__yaml_node *map, const char *path, const bpci__yaml_node **at)
{
	const bpci__yaml_node *cur = map, *key = NULL, *v;
	int matched = 0;

	if (strncmp(path, "params.", 7) == 0 && !find_key_n(map, "params", 6, &key))
		path += 7; /* the JSON form's grouping is not written in YAML */
	while (*path) {
		size_t n = strcspn(path, ".[");

		if (n) {
			if (!(v = find_key_n(cur, path, n, &key)))
				break;
			cur = v;
			*at = v->kind == BPCI__YAML_SCALAR ? v : key;
			matched++;
			path += n;
		}
		if (*path == '[') {
			char *end;
			unsigned long idx = strtoul(path + 1, &end, 10);

			if (*end != ']' || cur->kind != BPCI__YAML_SEQUENCE || idx >= cur->count)
				break;
			cur = cur->items[idx];
			*at = cur;
			matched++;
			path = end + 1;
		}
		if (*path == '.')
			path++;
		else if (*path && *path != '[')
			break;
	}
	return matched;
}

static int locate(const char *field, unsigned int *line, unsigned int *column, void *payload)
{
	const struct fill *f = payload;
	const bpci__yaml_node *at = f->map;
	size_t n = strlen(f->prefix);

	if (strncmp(field, f->prefix, n) != 0 || (field[n] && field[n] != '.' && field[n] != '['))
		return -1; /* another spec's field ("nodes[10]" is not "nodes[1]") */
	field += n;
	if (*field == '.')
		field++;
	/* A value inherited from node_types is shown where it was written. */
	if (*field && !follow(f->map, field, &at) && f->defaults_map)
		follow(f->defaults_map, field, &at);
	*line = at->line;
	*column = at->column;
	return 0;
}

/* Point the diagnostics context at @at (NULL: no position yet; ctx_done()
 * then finds one for each entry from its field path). */
static bpci__diag_ctx ctx_at(const struct fill *f, const bpci__yaml_node *at)
{
	bpci__diag_ctx ctx = {f->w->source, at ? at->line : 0, at ? at->column : 0, f->prefix};

	return bpci__diag_set_ctx(f->w->diag, ctx);
}

static void ctx_done(const struct fill *f, bpci__diag_ctx saved, size_t from)
{
	bpci__diag_set_ctx(f->w->diag, saved);
	bpci__diag_locate(f->w->diag, from, f->w->source, locate, (void *)f);
}

/* ---- applying values --------------------------------------------------- */

static void set_text(struct fill *f, const char *field, const bpci__yaml_node *v)
{
	char path[512];
	const char *s;
	bpci__diag_ctx saved;

	bpci__cfg_path(path, sizeof(path), "%s.%s", f->prefix, field);
	if (!(s = bpci__cfg_scalar(f->w, v, path)))
		return;
	saved = ctx_at(f, v);
	bpci__cfg_note(f->w, bpci_node_spec_set(f->spec, field, s, f->w->diag));
	bpci__diag_set_ctx(f->w->diag, saved);
}

static void set_items(struct fill *f, const char *field, const bpci__yaml_node *seq)
{
	const char **items;
	char path[512];
	size_t i, from;
	int ok = 1;
	bpci__diag_ctx saved;

	items = bpci__calloc(seq->count + 1, sizeof(*items));
	if (!items) {
		bpci__cfg_note(f->w, BPCI_ENOMEM);
		return;
	}
	for (i = 0; i < seq->count; i++) {
		bpci__cfg_path(path, sizeof(path), "%s.%s[%zu]", f->prefix, field, i);
		if (!(items[i] = bpci__cfg_scalar(f->w, seq->items[i], path)))
			ok = 0;
	}
	if (ok) {
		from = bpci_diag_count(f->w->diag);
		saved = ctx_at(f, NULL);
		bpci__cfg_note(f->w, bpci_node_spec_set_list(f->spec, field, items,
							     seq->count, f->w->diag));
		ctx_done(f, saved, from);
	}
	bpci__free(items);
}

/* Set "@field.@key" from @v; the key goes to the setter as written (not
 * excerpted), so that its own rules judge it. */
static void set_keyed(struct fill *f, const char *field, const bpci__yaml_node *key,
		      const bpci__yaml_node *v)
{
	char *full;

	if (strlen(key->text) != key->len) {
		char path[512];

		bpci__cfg_join(path, sizeof(path), f->prefix, key);
		bpci__cfg_error(f->w, BPCI_EINVAL, key, path, "must not contain a NUL character");
		return;
	}
	full = *field ? bpci__asprintf("%s.%s", field, key->text) : bpci__strdup(key->text);
	if (!full) {
		bpci__cfg_note(f->w, BPCI_ENOMEM);
		return;
	}
	set_text(f, full, v);
	bpci__free(full);
}

/* labels: {region: eu} and environment: {FOO: bar} set one key each. */
static void set_map_entries(struct fill *f, const char *field, const bpci__yaml_node *map)
{
	size_t i;

	for (i = 0; i < map->count && !f->w->stop; i++)
		set_keyed(f, field, map->items[2 * i], map->items[2 * i + 1]);
}

static void apply_map(struct fill *f, const bpci__yaml_node *map, const char *path);
static int key_is(const bpci__yaml_node *key, const char *s);

static void unknown(struct fill *f, const bpci__yaml_node *key, const char *path,
		    const char *extra)
{
	char names[MAX_CANDIDATES][64];
	const char *cands[MAX_CANDIDATES];
	char where[512];
	size_t t, i, k, n = 0, plen = strlen(path);

	/* Candidates: the next path segment of every field under @path. */
	if (extra)
		cands[n++] = extra;
	for (t = 0; t < 2; t++)
		for (i = 0; i < f->sizes[t] && n < MAX_CANDIDATES; i++) {
			const char *name = f->tables[t][i].name, *seg;
			size_t len;

			if (plen && (strncmp(name, path, plen) != 0 || name[plen] != '.'))
				continue;
			seg = name + (plen ? plen + 1 : 0);
			len = strcspn(seg, ".");
			for (k = 0; k < n; k++)
				if (strlen(cands[k]) == len && strncmp(cands[k], seg, len) == 0)
					break;
			if (k < n || len >= sizeof(names[0]))
				continue;
			memcpy(names[n], seg, len);
			names[n][len] = '\0';
			cands[n] = names[n];
			n++;
		}
	bpci__cfg_path(where, sizeof(where), "%s%s%s", f->prefix, plen ? "." : "", path);
	bpci__cfg_unknown_key(f->w, key, where, cands, n);
}

/* "labels.region" written as one key names a key of a MAP field. */
static int is_flat_map_key(const struct fill *f, const char *full)
{
	char first[128];
	size_t n = strcspn(full, ".");
	const bpci_field_info *info;

	if (!full[n] || n >= sizeof(first))
		return 0;
	memcpy(first, full, n);
	first[n] = '\0';
	info = find_field(f, first);
	return info && info->kind == BPCI_FIELD_MAP;
}

/* One key of a node mapping; @path is "" at the top or "resources" etc. */
static void apply_entry(struct fill *f, const bpci__yaml_node *key,
			const bpci__yaml_node *value, const char *path)
{
	char full[512], where[600];
	const bpci_field_info *info;

	bpci__cfg_join(full, sizeof(full), path, key);
	bpci__cfg_path(where, sizeof(where), "%s.%s", f->prefix, full);
	info = strlen(key->text) == key->len ? find_field(f, full) : NULL;
	if (info && info->kind == BPCI_FIELD_MAP && value &&
	    value->kind == BPCI__YAML_MAPPING) {
		set_map_entries(f, full, value);
	} else if (info && value && value->kind == BPCI__YAML_SEQUENCE) {
		if (info->kind == BPCI_FIELD_LIST || info->kind == BPCI_FIELD_ARGV)
			set_items(f, full, value);
		else if (info->kind == BPCI_FIELD_MAP)
			for (size_t i = 0; i < value->count; i++)
				set_text(f, full, value->items[i]);
		else
			bpci__cfg_error(f->w, BPCI_EINVAL, value, where,
					"must be a single value, got a sequence");
	} else if (info) {
		set_text(f, full, value);
	} else if (is_group(f, full)) {
		if (bpci__cfg_is_map(f->w, value, where))
			apply_map(f, value, full);
	} else if (is_flat_map_key(f, full)) {
		set_keyed(f, "", key, value); /* "labels.region: eu" written flat */
	} else if (!*path && key_is(key, "params")) {
		/* The JSON form nests type parameters under "params"; accepting
		 * it here lets bpci_config_to_json()'s output load back. */
		if (bpci__cfg_is_map(f->w, value, where))
			apply_map(f, value, "");
	} else {
		unknown(f, key, path, *path || f->is_defaults ? NULL : "type");
	}
}

static void apply_map(struct fill *f, const bpci__yaml_node *map, const char *path)
{
	size_t i;

	for (i = 0; i < map->count && !f->w->stop; i++)
		apply_entry(f, map->items[2 * i], map->items[2 * i + 1], path);
}

/* Non-zero when an error about @field was already reported for this spec. */
static int already_reported(const struct fill *f, const char *field)
{
	const bpci_diag_entry *e;
	size_t i;

	for (i = f->first_entry; (e = bpci_diag_get(f->w->diag, i)) != NULL; i++)
		if (e->severity == BPCI_SEVERITY_ERROR && strcmp(e->field, field) == 0)
			return 1;
	return 0;
}

/*
 * Whole-spec checks, with positions found from the fields they name. They
 * run into a scratch list first: a field whose value was just refused is
 * also "required", and saying so again would only bury the real problem.
 */
static void validate(struct fill *f, unsigned int flags)
{
	bpci__diag_ctx ctx = {f->w->source, 0, 0, f->prefix}, none = {NULL, 0, 0, NULL};
	const bpci_diag_entry *e;
	bpci_diag *tmp;
	size_t i;
	int rc;

	if (bpci__cfg_note(f->w, bpci_diag_new(&tmp)) < 0)
		return;
	bpci__diag_set_ctx(tmp, ctx);
	rc = bpci_node_spec_validate(f->spec, flags, tmp);
	bpci__diag_locate(tmp, 0, f->w->source, locate, (void *)f);
	ctx = bpci__diag_set_ctx(f->w->diag, none);
	for (i = 0; (e = bpci_diag_get(tmp, i)) != NULL; i++)
		if (e->severity != BPCI_SEVERITY_ERROR || !already_reported(f, e->field))
			bpci__diag_add_at(f->w->diag, e->severity, e->code, e->source, e->line,
					  e->column, e->field, "%s", e->message);
	bpci__diag_set_ctx(f->w->diag, ctx);
	bpci_diag_free(tmp);
	bpci__cfg_note(f->w, rc);
}

static int key_is(const bpci__yaml_node *key, const char *s)
{
	return key->len == strlen(s) && strcmp(key->text, s) == 0;
}

/* ---- node_types -------------------------------------------------------- */

static void oracle_threshold(bpci__cfg_walk *w, const bpci__yaml_node *v, const char *path)
{
	const char *s = bpci__cfg_scalar(w, v, path);
	char shown[80];
	double d;

	if (!s)
		return;
	if (bpci__parse_number(s, &d) < 0 || !(d >= 0 && d <= 1)) {
		bpci__yaml_excerpt(shown, sizeof(shown), s, strlen(s));
		bpci__cfg_error(w, BPCI_EINVAL, v, path, "must be a number in 0..1, got %s",
				shown);
		return;
	}
	w->cfg->has_threshold = 1;
	w->cfg->reliability_threshold = d;
}

static int resolve_type(bpci__cfg_walk *w, bpci_node_type *type, const bpci__yaml_node *at,
			const char *path, int quote);

/* A "type" key inside node_types.X (as the JSON form writes it) must name X. */
static void same_type(bpci__cfg_walk *w, bpci_node_type type, const bpci__yaml_node *v,
		      const char *path)
{
	bpci_node_type named;

	if (!bpci__cfg_scalar(w, v, path) || resolve_type(w, &named, v, path, 1) < 0)
		return;
	if (named != type)
		bpci__cfg_error(w, BPCI_EINVAL, v, path,
				"names %s, but the entry is the defaults of %s",
				bpci_node_type_name(named), bpci_node_type_name(type));
}

static void type_defaults(bpci__cfg_walk *w, bpci_node_type type,
			  const bpci__yaml_node *key, const bpci__yaml_node *map)
{
	char prefix[256];
	struct fill f;
	bpci_node_spec *spec;
	size_t i;

	bpci__cfg_join(prefix, sizeof(prefix), "node_types", key);
	if (!bpci__cfg_is_map(w, map, prefix) ||
	    bpci__cfg_note(w, bpci_node_spec_new(&spec, type)) < 0)
		return;
	w->cfg->defaults[type] = spec;
	if (fill_init(&f, w, spec, prefix, map) < 0)
		return;
	f.is_defaults = 1;
	for (i = 0; i < map->count && !w->stop; i++) {
		const bpci__yaml_node *k = map->items[2 * i], *v = map->items[2 * i + 1];
		char path[512];

		bpci__cfg_join(path, sizeof(path), prefix, k);
		if (type == BPCI_NODE_ORACLE && key_is(k, "reliability_threshold"))
			oracle_threshold(w, v, path);
		else if (key_is(k, "id") || key_is(k, "name"))
			bpci__cfg_error(w, BPCI_EINVAL, k, path,
					"cannot be a per-type default: every node needs its own");
		else if (key_is(k, "type"))
			same_type(w, type, v, path);
		else
			apply_entry(&f, k, v, "");
	}
	if (!w->stop)
		validate(&f, BPCI_VALIDATE_PARTIAL | (w->flags & BPCI_VALIDATE_STRICT));
}

static const char *const type_names[] = {"enc_cluster", "oracle", "shadow_registry",
					 "pipeline_api", "storage", "proof", "audit",
					 "logbook"};

/* Resolve a node type name as written, reporting a bad one at @at; @quote
 * repeats the text in the message (a value; a key is already in the path). */
static int resolve_type(bpci__cfg_walk *w, bpci_node_type *type, const bpci__yaml_node *at,
			const char *path, int quote)
{
	char shown[80], what[100] = "";
	const char *hint;

	if (strlen(at->text) == at->len && bpci_node_type_parse(type, at->text) == 0)
		return 0;
	bpci__yaml_excerpt(shown, sizeof(shown), at->text, at->len);
	if (quote)
		bpci__cfg_path(what, sizeof(what), "'%s' ", shown);
	hint = bpci__suggest(shown, type_names, BPCI_NODE_TYPE_COUNT);
	if (hint)
		bpci__cfg_error(w, BPCI_EINVAL, at, path,
				"%sis not a node type; did you mean '%s'?", what, hint);
	else
		bpci__cfg_error(w, BPCI_EINVAL, at, path,
				"%sis not a node type (enc_cluster, oracle, shadow_registry, "
				"pipeline_api, storage, proof, audit, logbook)", what);
	return BPCI_EINVAL;
}

void bpci__cfg_node_types(bpci__cfg_walk *w, const bpci__yaml_node *value)
{
	const bpci__yaml_node *seen[BPCI_NODE_TYPE_COUNT + 1] = {NULL};
	bpci_node_type type;
	char path[512];
	size_t i;

	if (!bpci__cfg_is_map(w, value, "node_types"))
		return;
	for (i = 0; i < value->count && !w->stop; i++) {
		const bpci__yaml_node *k = value->items[2 * i];

		bpci__cfg_join(path, sizeof(path), "node_types", k);
		if (resolve_type(w, &type, k, path, 0) < 0)
			continue;
		if (seen[type]) {
			bpci__cfg_error(w, BPCI_EINVAL, k, path,
					"names the same node type as '%s' (first at %u:%u)",
					seen[type]->text, seen[type]->line, seen[type]->column);
			continue;
		}
		seen[type] = k;
		type_defaults(w, type, k, value->items[2 * i + 1]);
	}
}

/* ---- nodes ------------------------------------------------------------- */

/* The node_types mapping that holds @type's defaults, for positions. */
static const bpci__yaml_node *defaults_map(const bpci__yaml_node *node_types,
					   bpci_node_type type)
{
	bpci_node_type t;
	size_t i;

	for (i = 0; node_types && node_types->kind == BPCI__YAML_MAPPING &&
		    i < node_types->count; i++) {
		const bpci__yaml_node *k = node_types->items[2 * i];

		if (strlen(k->text) == k->len && bpci_node_type_parse(&t, k->text) == 0 &&
		    t == type)
			return node_types->items[2 * i + 1];
	}
	return NULL;
}

static void check_threshold(struct fill *f)
{
	const bpci_config *cfg = f->w->cfg;
	char field[300];
	unsigned int line = 0, column = 0;
	double score;

	if (bpci_node_spec_type(f->spec) != BPCI_NODE_ORACLE || !cfg->has_threshold ||
	    bpci_node_spec_get_number(f->spec, "reliability_score", &score) != 0 ||
	    score >= cfg->reliability_threshold)
		return;
	bpci__cfg_path(field, sizeof(field), "%s.reliability_score", f->prefix);
	locate(field, &line, &column, f);
	bpci__diag_add_at(f->w->diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, f->w->source, line,
			  column, field,
			  "%g is below node_types.oracle.reliability_threshold %g", score,
			  cfg->reliability_threshold);
	bpci__cfg_note(f->w, BPCI_EINVAL);
}

/* Build nodes[@index]; NULL when it cannot even be typed (reported). */
static bpci_node_spec *one_node(bpci__cfg_walk *w, size_t index, const bpci__yaml_node *map,
				const bpci__yaml_node *node_types)
{
	const bpci__yaml_node *tkey = NULL, *tval;
	const bpci_node_spec *defaults;
	bpci_node_spec *spec = NULL;
	char prefix[64], path[80];
	bpci_node_type type;
	struct fill f;
	size_t i;

	bpci__cfg_path(prefix, sizeof(prefix), "nodes[%zu]", index);
	bpci__cfg_path(path, sizeof(path), "%s.type", prefix);
	if (!bpci__cfg_is_map(w, map, prefix))
		return NULL;
	if (!(tval = bpci__yaml_get(map, "type", &tkey))) {
		bpci__cfg_error(w, BPCI_EINVAL, map, path,
				"is required (enc-cluster, oracle, shadow-registry, "
				"pipeline-api, storage, proof, audit or logbook)");
		return NULL;
	}
	if (!bpci__cfg_scalar(w, tval, path) || resolve_type(w, &type, tval, path, 1) < 0)
		return NULL;
	defaults = w->cfg->defaults[type];
	if (bpci__cfg_note(w, defaults ? bpci_node_spec_dup(&spec, defaults)
				       : bpci_node_spec_new(&spec, type)) < 0)
		return NULL;
	if (fill_init(&f, w, spec, prefix, map) < 0)
		return spec;
	f.defaults_map = defaults_map(node_types, type);
	for (i = 0; i < map->count && !w->stop; i++)
		if (map->items[2 * i] != tkey)
			apply_entry(&f, map->items[2 * i], map->items[2 * i + 1], "");
	if (!w->stop) {
		validate(&f, w->flags & BPCI_VALIDATE_STRICT);
		check_threshold(&f);
	}
	return spec;
}

struct named {
	const char *value;
	size_t index; /* into cfg->nodes */
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->value, y->value);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Ids and names identify nodes: each may be used once. Sorting keeps this
 * O(n log n) for the largest allowed lists; reports come in file order. */
static void check_unique(bpci__cfg_walk *w, const char *field, const size_t *orig,
			 const bpci__yaml_node *const *maps)
{
	const bpci_config *cfg = w->cfg;
	struct named *v = bpci__calloc(cfg->node_count + 1, sizeof(*v));
	size_t *first = bpci__calloc(cfg->node_count + 1, sizeof(*first));
	size_t i, n = 0;

	if (!v || !first) {
		bpci__cfg_note(w, BPCI_ENOMEM);
		goto out;
	}
	for (i = 0; i < cfg->node_count; i++) {
		first[i] = i;
		if (bpci_node_spec_get_string(cfg->nodes[i], field, &v[n].value) == 0) {
			v[n].index = i;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), named_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(v[i].value, v[i - 1].value) == 0)
			first[v[i].index] = first[v[i - 1].index];
	for (i = 0; i < cfg->node_count; i++) {
		const bpci__yaml_node *at = maps[i];
		char path[80];
		const char *value;

		if (first[i] == i)
			continue;
		bpci_node_spec_get_string(cfg->nodes[i], field, &value);
		bpci__cfg_path(path, sizeof(path), "nodes[%zu].%s", orig[i], field);
		follow(maps[i], field, &at);
		bpci__cfg_error(w, BPCI_EINVAL, at, path,
				"'%s' is already used by nodes[%zu]", value, orig[first[i]]);
	}
out:
	bpci__free(v);
	bpci__free(first);
}

void bpci__cfg_nodes(bpci__cfg_walk *w, const bpci__yaml_node *value,
		     const bpci__yaml_node *node_types)
{
	bpci_config *cfg = w->cfg;
	const bpci__yaml_node **maps = NULL;
	size_t *orig = NULL, i;

	if (bpci__yaml_is_null(value)) {
		bpci__cfg_error(w, BPCI_EINVAL, value, "nodes", "must have a value");
		return;
	}
	if (value->kind != BPCI__YAML_SEQUENCE) {
		bpci__cfg_error(w, BPCI_EINVAL, value, "nodes",
				"must be a sequence of nodes, got %s", bpci__yaml_kind_name(value));
		return;
	}
	if (value->count > BPCI_CONFIG_MAX_NODES) {
		bpci__cfg_error(w, BPCI_ELIMIT, value, "nodes",
				"has %zu entries; at most %u are allowed", value->count,
				BPCI_CONFIG_MAX_NODES);
		return;
	}
	cfg->nodes = bpci__calloc(value->count + 1, sizeof(*cfg->nodes));
	maps = bpci__calloc(value->count + 1, sizeof(*maps));
	orig = bpci__calloc(value->count + 1, sizeof(*orig));
	if (!cfg->nodes || !maps || !orig) {
		bpci__cfg_note(w, BPCI_ENOMEM);
		goto out;
	}
	for (i = 0; i < value->count && !w->stop; i++) {
		bpci_node_spec *spec = one_node(w, i, value->items[i], node_types);

		if (!spec)
			continue;
		maps[cfg->node_count] = value->items[i];
		orig[cfg->node_count] = i;
		cfg->nodes[cfg->node_count++] = spec;
	}
	if (!w->stop)
		check_unique(w, "id", orig, maps);
	if (!w->stop)
		check_unique(w, "name", orig, maps);
out:
	bpci__free(maps);
	bpci__free(orig);
}
