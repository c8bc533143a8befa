/* The port pool as canonical JSON, for persistence. */
#include "port_pool_internal.h"

#include <jansson.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"

/* "a-b,c" of the runs of indices for which @in(idx) holds. */
static char *runs_text(const bpci_port_pool *pool, int (*in)(const bpci_port_pool *, size_t))
{
	size_t i, j, len = 0, cap = 64;
	char *s = bpci__malloc(cap), *ns;
	uint16_t a, b;
	char item[16];
	int n;

	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < pool->size; i = j) {
		if (!in(pool, i)) {
			j = i + 1;
			continue;
		}
		a = bpci__pp_port(pool, i);
		/* Extend while the next index holds and is the next port number. */
		for (j = i + 1; j < pool->size && in(pool, j) &&
				bpci__pp_port(pool, j) == (uint16_t)(a + (j - i));
		     j++)
			;
		b = bpci__pp_port(pool, j - 1);
		n = a == b ? snprintf(item, sizeof(item), "%s%u", len ? "," : "", a)
			   : snprintf(item, sizeof(item), "%s%u-%u", len ? "," : "", a, b);
		if (len + (size_t)n + 1 > cap) {
			cap = 2 * cap + (size_t)n;
			if (!(ns = bpci__realloc(s, cap))) {
				bpci__free(s);
				return NULL;
			}
			s = ns;
		}
		memcpy(s + len, item, (size_t)n + 1);
		len += (size_t)n;
	}
	return s;
}

static int in_pool(const bpci_port_pool *pool, size_t i)
{
	(void)pool;
	(void)i;
	return 1;
}

static int in_reserved(const bpci_port_pool *pool, size_t i)
{
	return (int)PP_TEST(pool->reserved, i);
}

char *bpci__pp_ranges_text(const bpci_port_pool *pool)
{
	return runs_text(pool, in_pool);
}

char *bpci__pp_reserved_text(const bpci_port_pool *pool)
{
	return runs_text(pool, in_reserved);
}

static json_t *pairs(const bpci_port_pool *pool, int busy)
{
	json_t *a = json_array(), *pair;
	size_t i;

	for (i = 0; a && i < pool->size; i++) {
		if (!PP_TEST(pool->used, i) || PP_TEST(pool->reserved, i) ||
		    (int)PP_TEST(pool->busy, i) != busy)
			continue;
		pair = json_pack("[II]", (json_int_t)bpci__pp_port(pool, i),
				 (json_int_t)pool->expiry[i]);
		if (!pair || json_array_append_new(a, pair)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int bpci_port_pool_to_json(char **out, const bpci_port_pool *pool)
{
	char *ranges = bpci__pp_ranges_text(pool), *reserved = bpci__pp_reserved_text(pool);
	json_t *v = NULL;

	*out = NULL;
	if (ranges && reserved)
		v = json_pack("{s:o*,s:I,s:o*,s:s,s:s,s:i}", "busy", pairs(pool, 1), "cursor",
			      (json_int_t)pool->cursor, "leases", pairs(pool, 0), "ranges",
			      ranges, "reserved", reserved, "version", 1);
	bpci__free(ranges);
	bpci__free(reserved);
	if (v && (!json_object_get(v, "busy") || !json_object_get(v, "leases"))) {
		json_decref(v);
		v = NULL;
	}
	return bpci__json_dump(out, v);
}

static int bad(bpci_diag *diag, const char *field, const char *what)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field, "%s", what);
}

static int load_pairs(bpci_port_pool *pool, const json_t *a, int busy, bpci_diag *diag)
{
	const char *field = busy ? "busy" : "leases";
	const json_t *pair;
	json_int_t port, t;
	size_t i;
	int rc;

	if (!json_is_array(a))
		return bad(diag, field, "must be an array of [port, expiry] pairs");
	json_array_foreach(a, i, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_integer(json_array_get(pair, 0)) ||
		    !json_is_integer(json_array_get(pair, 1)))
			return bad(diag, field, "items must be [port, expiry] integer pairs");
		port = json_integer_value(json_array_get(pair, 0));
		t = json_integer_value(json_array_get(pair, 1));
		if (port < 1 || port > 65535 || t < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "[%lld, %lld]: the port must be 1..65535 and the "
					      "expiry 0 or more", (long long)port, (long long)t);
		rc = bpci_port_pool_allocate_port(pool, (uint16_t)port, (uint64_t)t, diag);
		if (rc == 0 && busy)
			rc = bpci_port_pool_mark_busy(pool, (uint16_t)port, (uint64_t)t);
		if (rc < 0)
			return rc;
	}
	return 0;
}

#define POOL_JSON_MAX (4u << 20)

static const char *const keys[] = {"busy", "cursor", "leases", "ranges", "reserved",
				   "version"};

static int load(bpci_port_pool **out, json_t *root, bpci_diag *diag)
{
	bpci_port_pool_options o = BPCI_PORT_POOL_OPTIONS_INIT;
	const json_t *ver = json_object_get(root, "version");
	const json_t *cur = json_object_get(root, "cursor");
	int rc = bpci__json_check_keys(root, keys, sizeof(keys) / sizeof(keys[0]), diag);

	if (rc < 0)
		return rc;
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "must be 1");
	o.ranges = json_string_value(json_object_get(root, "ranges"));
	o.reserved = json_string_value(json_object_get(root, "reserved"));
	if (!o.ranges || !o.reserved)
		return bad(diag, "ranges", "\"ranges\" and \"reserved\" must be strings");
	if ((rc = bpci_port_pool_new(out, &o, diag)) < 0)
		return rc;
	if (!json_is_integer(cur) || json_integer_value(cur) < 0 ||
	    (size_t)json_integer_value(cur) >= (*out)->size)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "cursor",
				      "must be 0..%zu", (*out)->size - 1);
	(*out)->cursor = (size_t)json_integer_value(cur);
	rc = load_pairs(*out, json_object_get(root, "leases"), 0, diag);
	if (rc == 0)
		rc = load_pairs(*out, json_object_get(root, "busy"), 1, diag);
	return rc;
}

int bpci_port_pool_from_json(bpci_port_pool **out, const char *json, size_t len,
			     bpci_diag *diag)
{
	json_t *root;
	int rc;

	json_error_t err;

	*out = NULL;
	/* A full pool of 65,535 leases is about 1.5 MiB: more than the model's
	 * 1 MiB documents, hence a limit of its own. */
	if (len > POOL_JSON_MAX)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "",
				      "JSON of %zu bytes exceeds the %u byte limit", len,
				      POOL_JSON_MAX);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return bpci__diag_add_at(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "<string>",
					 root ? 1 : (unsigned)err.line, root ? 1 : (unsigned)err.column,
					 "", "%s", root ? "must be a JSON object" : err.text);
	}
	rc = load(out, root, diag);
	json_decref(root);
	if (rc < 0) {
		bpci_port_pool_free(*out);
		*out = NULL;
	}
	return rc;
}
