/*
 * Resource amounts: "cpu=8,memory=16Gi,..." text in both directions, and
 * the comparison placement needs (see bpci/resources.h).
 */
#include "bpci/resources.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/resources_key.h"
#include "model/text.h"

enum res_field { RF_CPU, RF_MEMORY, RF_STORAGE, RF_NETWORK, RF_GPU, RF_COUNT };

/* Accepted keys; the long forms are the original's ResourceAllocation names. */
static const struct { const char *key; enum res_field field; } keys[] = {
	{"cpu", RF_CPU}, {"memory", RF_MEMORY}, {"storage", RF_STORAGE},
	{"network", RF_NETWORK}, {"gpu", RF_GPU},
	{"cpu_cores", RF_CPU}, {"memory_gb", RF_MEMORY}, {"storage_gb", RF_STORAGE},
	{"network_bandwidth_mbps", RF_NETWORK}, {"network_mbps", RF_NETWORK},
	{"gpu_units", RF_GPU}
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const key_names[N_KEYS] = {
	"cpu", "memory", "storage", "network", "gpu", "cpu_cores", "memory_gb",
	"storage_gb", "network_bandwidth_mbps", "network_mbps", "gpu_units"
};

static const char *const what_is_allowed[RF_COUNT] = {
	"a CPU amount such as 8, \"8 cores\", 0.5 or 500m",
	"a size such as 16Gi, 500G, 512Mi or a number of GiB",
	"a size such as 500Gi, 1Ti, 500G or a number of GiB",
	"a bandwidth such as 1000 (Mbit/s), 1000Mbps or 1Gbps",
	"a whole number of GPUs such as 0 or 1"
};

#define GIB (1ull << 30)

static int parse_value(enum res_field f, const char *value, uint64_t *out)
{
	switch (f) {
	case RF_CPU:
		return bpci__parse_cpu(value, out);
	case RF_MEMORY:
	case RF_STORAGE:
		return bpci__parse_size(value, GIB, out);
	case RF_NETWORK:
		return bpci__parse_bandwidth(value, out);
	case RF_GPU:
	default:
		return bpci__parse_uint(value, out);
	}
}

static uint64_t *slot(bpci_resources *r, enum res_field f)
{
	switch (f) {
	case RF_CPU:
		return &r->cpu_millicores;
	case RF_MEMORY:
		return &r->memory_bytes;
	case RF_STORAGE:
		return &r->storage_bytes;
	case RF_NETWORK:
		return &r->network_mbps;
	case RF_GPU:
	default:
		return &r->gpu_units;
	}
}

static uint64_t amount(const bpci_resources *r, enum res_field f)
{
	const uint64_t v[RF_COUNT] = {
		r->cpu_millicores, r->memory_bytes, r->storage_bytes, r->network_mbps, r->gpu_units
	};

	return v[f];
}

static int lookup_key(const char *key)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

int bpci__resources_set_key(bpci_resources *res, unsigned int *seen, const char *key,
			    const char *value, bpci_diag *diag)
{
	const char *near;
	uint64_t v;
	int k;
	enum res_field f;

	k = lookup_key(key);
	if (k < 0) {
		near = bpci__suggest(key, key_names, N_KEYS);
		if (near)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
					      "is not a resource; did you mean \"%s\"?", near);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "is not a resource; expected cpu, memory, storage, "
				      "network or gpu");
	}
	f = keys[k].field;
	if (seen && (*seen & (1u << f)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "is given more than once (%s)", key_names[f]);
	if (parse_value(f, value, &v) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "must be %s, got \"%s\"", what_is_allowed[f], value);
	if (seen)
		*seen |= 1u << f;
	*slot(res, f) = v;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A copy of [b, e) without surrounding blanks; NULL on ENOMEM. */
static char *trimmed_copy(const char *b, const char *e)
{
	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	return bpci__strndup(b, (size_t)(e - b));
}

/* One "key=value" item of [b, e). Returns 0, BPCI_EINVAL or BPCI_ENOMEM. */
static int parse_item(bpci_resources *r, unsigned int *seen, const char *b, const char *e,
		      bpci_diag *diag)
{
	const char *eq = memchr(b, '=', (size_t)(e - b));
	char *key = NULL, *value = NULL, *item;
	int rc;

	if (!eq) {
		item = trimmed_copy(b, e);
		if (!item)
			return BPCI_ENOMEM;
		if (!*item)
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "resources",
					    "has an empty item; write key=value between commas");
		else
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "resources",
					    "item \"%s\" is not key=value (for example cpu=8)",
					    item);
		bpci__free(item);
		return rc;
	}
	key = trimmed_copy(b, eq);
	value = trimmed_copy(eq + 1, e);
	if (!key || !value)
		rc = BPCI_ENOMEM;
	else if (!*key)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "resources",
				    "item \"=%s\" has no key", value);
	else
		rc = bpci__resources_set_key(r, seen, key, value, diag);
	bpci__free(key);
	bpci__free(value);
	return rc;
}

/* Every item is looked at, so that one call reports every mistake. */
int bpci_resources_parse(bpci_resources *out, const char *text, bpci_diag *diag)
{
	bpci_resources r;
	unsigned int seen = 0;
	const char *p = text, *e;
	int rc = 0, one;

	memset(&r, 0, sizeof(r));
	if (!text)
		return BPCI_EINVAL;
	while (is_blank(*p))
		p++;
	while (*p) {
		e = p + strcspn(p, ",");
		one = parse_item(&r, &seen, p, e, diag);
		if (one == BPCI_ENOMEM)
			return one;
		if (one && !rc)
			rc = one;
		if (!*e)
			break;
		p = e + 1;
		if (strspn(p, " \t\n\r") == strlen(p)) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "resources",
					    "ends with a comma; remove it or add key=value");
			break;
		}
	}
	if (rc)
		return rc;
	*out = r;
	return 0;
}

const char *bpci__resources_key(unsigned int field)
{
	return field < RF_COUNT ? key_names[field] : NULL;
}

void bpci__resources_format_field(char *buf, size_t size, const bpci_resources *res,
				  unsigned int field)
{
	uint64_t v;

	if (field >= RF_COUNT) {
		if (size)
			buf[0] = '\0';
		return;
	}
	v = amount(res, (enum res_field)field);
	switch (field) {
	case RF_CPU:
		bpci__format_cpu(buf, size, v);
		break;
	case RF_MEMORY:
	case RF_STORAGE:
		/* A bare number would read back as GiB: plain bytes get a B. */
		bpci__format_size(buf, size, v);
		if (strspn(buf, "0123456789") == strlen(buf))
			strncat(buf, "B", size - strlen(buf) - 1);
		break;
	default:
		snprintf(buf, size, "%llu", (unsigned long long)v);
		break;
	}
}

int bpci_resources_format(char **out, const bpci_resources *res)
{
	char text[RF_COUNT * 48] = "", num[32];
	size_t len;
	unsigned int f;

	for (f = 0; f < RF_COUNT; f++) {
		if (amount(res, (enum res_field)f) == 0)
			continue;
		bpci__resources_format_field(num, sizeof(num), res, f);
		len = strlen(text);
		snprintf(text + len, sizeof(text) - len, ",%s=%s", key_names[f], num);
	}
	*out = bpci__strdup(text[0] ? text + 1 : text);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci_resources_fits(const bpci_resources *need, const bpci_resources *free_)
{
	return need->cpu_millicores <= free_->cpu_millicores &&
	       need->memory_bytes <= free_->memory_bytes &&
	       need->storage_bytes <= free_->storage_bytes &&
	       need->network_mbps <= free_->network_mbps &&
	       need->gpu_units <= free_->gpu_units;
}
