/*
 * The configuration file: loading (file or memory), the top-level walk and
 * the accessors. The sections are filled by config_sections.c and
 * config_nodes.c; everything a section finds wrong is reported, so one run
 * shows every problem in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/config_internal.h"
#include "model/text.h"

int bpci__cfg_note(bpci__cfg_walk *w, int rc)
{
	if (rc == BPCI_ENOMEM)
		w->nomem = w->stop = 1;
	if (rc < 0 && !w->rc)
		w->rc = rc;
	if (rc < 0 && ++w->problems == BPCI__CFG_MAX_PROBLEMS) {
		bpci__diag_add_at(w->diag, BPCI_SEVERITY_ERROR, rc, w->source, 0, 0, "",
				  "too many problems; stopped after %u", BPCI__CFG_MAX_PROBLEMS);
		w->stop = 1;
	}
	return rc;
}

int bpci__cfg_error(bpci__cfg_walk *w, int code, const bpci__yaml_node *at,
		    const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bpci__diag_add_at(w->diag, BPCI_SEVERITY_ERROR, code, w->source,
			  at ? at->line : 0, at ? at->column : 0, path, "%s", msg);
	return bpci__cfg_note(w, code);
}

const char *bpci__cfg_scalar(bpci__cfg_walk *w, const bpci__yaml_node *value,
			     const char *path)
{
	if (bpci__yaml_is_null(value)) {
		bpci__cfg_error(w, BPCI_EINVAL, value, path, "must have a value");
		return NULL;
	}
	if (value->kind != BPCI__YAML_SCALAR) {
		bpci__cfg_error(w, BPCI_EINVAL, value, path, "must be a single value, got %s",
				bpci__yaml_kind_name(value));
		return NULL;
	}
	if (strlen(value->text) != value->len) {
		bpci__cfg_error(w, BPCI_EINVAL, value, path,
				"must not contain a NUL character");
		return NULL;
	}
	return value->text;
}

int bpci__cfg_is_map(bpci__cfg_walk *w, const bpci__yaml_node *value, const char *path)
{
	if (bpci__yaml_is_null(value))
		bpci__cfg_error(w, BPCI_EINVAL, value, path, "must have a value");
	else if (value->kind != BPCI__YAML_MAPPING)
		bpci__cfg_error(w, BPCI_EINVAL, value, path, "must be a mapping, got %s",
				bpci__yaml_kind_name(value));
	else
		return 1;
	return 0;
}

void bpci__cfg_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

void bpci__cfg_join(char *buf, size_t size, const char *path, const bpci__yaml_node *key)
{
	char k[128];

	bpci__yaml_excerpt(k, sizeof(k), key->text, key->len);
	if (path && *path)
		bpci__cfg_path(buf, size, "%s.%s", path, k);
	else
		bpci__cfg_path(buf, size, "%s", k);
}

void bpci__cfg_unknown_key(bpci__cfg_walk *w, const bpci__yaml_node *key, const char *path,
			   const char *const *allowed, size_t n)
{
	char full[512], list[512] = "";
	const char *hint = strlen(key->text) == key->len
				   ? bpci__suggest(key->text, allowed, n)
				   : NULL;
	size_t i, o = 0;

	bpci__cfg_join(full, sizeof(full), path, key);
	if (hint) {
		bpci__cfg_error(w, BPCI_ENOTFOUND, key, full,
				"unknown key; did you mean '%s'?", hint);
		return;
	}
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      allowed[i]);
	bpci__cfg_error(w, BPCI_ENOTFOUND, key, full, "unknown key; allowed keys: %s", list);
}

static void init_defaults(bpci_config *cfg)
{
	cfg->hierarchy_levels = 3;
	cfg->load_balancing = BPCI_LB_ROUND_ROBIN;
	cfg->fault_tolerance = BPCI_FT_AUTOMATIC_FAILOVER;
	cfg->audit_frequency_ms = 30000;
	cfg->retention_days = 2555;
}

/* node_types must be known before nodes use them, whatever the key order,
 * so the top level is read first and the sections filled afterwards. */
static void walk_root(bpci__cfg_walk *w, const bpci__yaml_node *root)
{
	static const char *const keys[] = {"cluster", "node_types", "resource_allocation",
					   "audit_integration", "nodes"};
	const bpci__yaml_node *found[5] = {NULL, NULL, NULL, NULL, NULL};
	size_t i, k;

	if (!root)
		return;
	if (root->kind != BPCI__YAML_MAPPING) {
		bpci__cfg_error(w, BPCI_EINVAL, root, "",
				"the document must be a mapping of sections (%s, %s, %s, "
				"%s, %s), got %s", keys[0], keys[1], keys[2], keys[3],
				keys[4], bpci__yaml_kind_name(root));
		return;
	}
	for (i = 0; i < root->count; i++) {
		const bpci__yaml_node *key = root->items[2 * i];

		for (k = 0; k < 5; k++)
			if (strcmp(key->text, keys[k]) == 0 && key->len == strlen(keys[k]))
				break;
		if (k == 5)
			bpci__cfg_unknown_key(w, key, "", keys, 5);
		else
			found[k] = root->items[2 * i + 1];
	}
	if (found[0])
		bpci__cfg_cluster(w, found[0]);
	if (found[2] && !w->stop)
		bpci__cfg_resources(w, found[2]);
	if (found[3] && !w->stop)
		bpci__cfg_audit(w, found[3]);
	if (found[1] && !w->stop)
		bpci__cfg_node_types(w, found[1]);
	if (found[4] && !w->stop)
		bpci__cfg_nodes(w, found[4], found[1]);
}

/* The code of the first error entry from @from on (0 when none). */
static int first_error(const bpci_diag *d, size_t from)
{
	const bpci_diag_entry *e;

	for (; (e = bpci_diag_get(d, from)) != NULL; from++)
		if (e->severity == BPCI_SEVERITY_ERROR)
			return e->code ? e->code : BPCI_EINVAL;
	return 0;
}

static int load_tree(bpci_config **out, const bpci__yaml_node *root, const char *source,
		     unsigned int flags, bpci_diag *d, size_t from)
{
	bpci__cfg_walk w = {NULL, source, d, flags, 0, 0, 0, 0};
	int rc;

	w.cfg = bpci__calloc(1, sizeof(*w.cfg));
	if (!w.cfg)
		return BPCI_ENOMEM;
	init_defaults(w.cfg);
	walk_root(&w, root);
	if (flags & BPCI_VALIDATE_STRICT)
		bpci__diag_promote(d, from, BPCI_EINVAL);
	rc = w.nomem ? BPCI_ENOMEM : w.rc ? w.rc : first_error(d, from);
	if (rc) {
		bpci_config_free(w.cfg);
		return rc;
	}
	*out = w.cfg;
	return 0;
}

int bpci_config_load_string(bpci_config **out, const char *text, size_t len,
			    const char *name, unsigned int flags, bpci_diag *diag)
{
	const char *source = name ? name : "<string>";
	bpci__diag_ctx none = {NULL, 0, 0, NULL}, saved;
	bpci__yaml_node *root = NULL;
	bpci_diag *own = NULL, *d = diag;
	size_t from;
	int rc;

	if (!out)
		return BPCI_EINVAL;
	*out = NULL;
	if (!text && len)
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, source, 0, 0,
					 "", "no text given for %zu bytes", len);
	/* A private list lets strict mode see warnings the caller did not ask for. */
	if (!d && (rc = bpci_diag_new(&own)) < 0)
		return rc;
	if (own)
		d = own;
	from = bpci_diag_count(d);
	saved = bpci__diag_set_ctx(d, none);
	rc = bpci__yaml_load(&root, text, len, BPCI_CONFIG_MAX_BYTES, BPCI_CONFIG_MAX_DEPTH,
			     source, d);
	if (rc == 0)
		rc = load_tree(out, root, source, flags, d, from);
	bpci__diag_set_ctx(d, saved);
	bpci__yaml_free(root);
	bpci_diag_free(own);
	return rc;
}

/* Read a whole file, refusing anything larger than the loader would take. */
static int read_file(char **buf, size_t *len, const char *path, bpci_diag *diag)
{
	struct stat st;
	size_t cap = BPCI_CONFIG_MAX_BYTES + 1, n = 0;
	ssize_t r;
	int fd, err;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto io_error;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < cap)
		cap = (size_t)st.st_size + 1;
	*buf = bpci__malloc(cap);
	if (!*buf) {
		close(fd);
		return BPCI_ENOMEM;
	}
	/* Read one byte past the limit so an oversized file is noticed. */
	while (n < BPCI_CONFIG_MAX_BYTES + 1) {
		if (n == cap && bpci__grow((void **)buf, &cap, cap + 1, 1) < 0) {
			close(fd);
			bpci__free(*buf);
			*buf = NULL;
			return BPCI_ENOMEM;
		}
		r = read(fd, *buf + n, cap - n < BPCI_CONFIG_MAX_BYTES + 1 - n
					       ? cap - n
					       : BPCI_CONFIG_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto io_error;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return 0;
io_error:
	err = errno;
	if (fd >= 0)
		close(fd);
	bpci__free(*buf);
	*buf = NULL;
	return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, path, 0, 0, "",
				 "cannot read: %s", strerror(err));
}

int bpci_config_load_file(bpci_config **out, const char *path, unsigned int flags,
			  bpci_diag *diag)
{
	char *text;
	size_t len = 0;
	int rc;

	if (!out || !path)
		return BPCI_EINVAL;
	*out = NULL;
	rc = read_file(&text, &len, path, diag);
	if (rc < 0)
		return rc;
	rc = bpci_config_load_string(out, text, len, path, flags, diag);
	bpci__free(text);
	return rc;
}

void bpci_config_free(bpci_config *config)
{
	size_t i;

	if (!config)
		return;
	for (i = 0; i <= BPCI_NODE_TYPE_COUNT; i++)
		bpci_node_spec_free(config->defaults[i]);
	for (i = 0; i < config->node_count; i++)
		bpci_node_spec_free(config->nodes[i]);
	bpci__free(config->nodes);
	bpci__free(config->cluster_id);
	bpci__free(config->root_daemon);
	bpci__free(config->ledger_endpoint);
	bpci__free(config);
}

void bpci_config_cluster(const bpci_config *config, bpci_cluster_settings *out)
{
	out->cluster_id = config->cluster_id ? config->cluster_id : "";
	out->root_daemon = config->root_daemon ? config->root_daemon : "";
	out->hierarchy_levels = config->hierarchy_levels;
	out->load_balancing = config->load_balancing;
	out->fault_tolerance = config->fault_tolerance;
}

void bpci_config_resources(const bpci_config *config, bpci_resources *out)
{
	*out = config->resources;
}

void bpci_config_audit(const bpci_config *config, bpci_audit_settings *out)
{
	out->ledger_endpoint = config->ledger_endpoint ? config->ledger_endpoint : "";
	out->audit_frequency_ms = config->audit_frequency_ms;
	out->retention_days = config->retention_days;
}

const bpci_node_spec *bpci_config_type_defaults(const bpci_config *config,
						bpci_node_type type)
{
	if ((int)type < 1 || (int)type > BPCI_NODE_TYPE_COUNT)
		return NULL;
	return config->defaults[type];
}

size_t bpci_config_node_count(const bpci_config *config)
{
	return config->node_count;
}

const bpci_node_spec *bpci_config_node(const bpci_config *config, size_t index)
{
	return index < config->node_count ? config->nodes[index] : NULL;
}
