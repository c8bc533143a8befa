/*
 * Names of cluster node types and daemon responsibilities, with the
 * spellings the original description and its CLI use (see bpci/cluster.h).
 */
#include "bpci/cluster.h"

#include <ctype.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/text.h"

static const char *const node_type_names[BPCI_CLUSTER_NODE_TYPE_COUNT + 1] = {
	NULL, "validator", "auditor", "compute", "daemon", "gateway", "storage", "oracle"
};

int bpci_cluster_node_type_parse(bpci_cluster_node_type *out, const char *name)
{
	int t;

	if (!name)
		return BPCI_EINVAL;
	for (t = 1; t <= BPCI_CLUSTER_NODE_TYPE_COUNT; t++) {
		if (strcasecmp(name, node_type_names[t]) == 0) {
			*out = (bpci_cluster_node_type)t;
			return 0;
		}
	}
	return BPCI_EINVAL;
}

const char *bpci_cluster_node_type_name(bpci_cluster_node_type type)
{
	if ((int)type < 1 || (int)type > BPCI_CLUSTER_NODE_TYPE_COUNT)
		return NULL;
	return node_type_names[type];
}

#define N_RESP 5

/* Bit i of a mask is responsibility_names[i]. */
static const char *const responsibility_names[N_RESP] = {
	"resource_coordination", "node_lifecycle", "health_monitoring", "load_balancing",
	"fault_recovery"
};

const char *bpci_responsibility_name(unsigned int one)
{
	unsigned int i;

	for (i = 0; i < N_RESP; i++)
		if (one == 1u << i)
			return responsibility_names[i];
	return NULL;
}

/*
 * Spellings differ only in case and separators ("health_monitoring",
 * "health-monitoring", "HealthMonitoring"), so names are compared with
 * both folded away. Returns 0 and the key in @key, or -1 when too long.
 */
static int fold(char *key, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '_' || *s == '-')
			continue;
		if (n + 1 >= size)
			return -1;
		key[n++] = (char)tolower((unsigned char)*s);
	}
	key[n] = '\0';
	return 0;
}

/* The mask of one item, or 0 when it names nothing. */
static unsigned int lookup_responsibility(const char *item)
{
	char key[64], want[64];
	unsigned int i;

	if (fold(key, sizeof(key), item))
		return 0;
	if (strcmp(key, "all") == 0)
		return BPCI_RESPONSIBILITY_ALL;
	if (strcmp(key, "resourcemanagement") == 0)
		return BPCI_RESPONSIBILITY_RESOURCE_COORDINATION;
	for (i = 0; i < N_RESP; i++) {
		fold(want, sizeof(want), responsibility_names[i]);
		if (strcmp(key, want) == 0)
			return 1u << i;
	}
	return 0;
}

static int report_unknown(const char *item, bpci_diag *diag)
{
	static const char *const candidates[] = {
		"resource_coordination", "node_lifecycle", "health_monitoring", "load_balancing",
		"fault_recovery", "resource_management", "all"
	};
	const char *near = bpci__suggest(item, candidates, sizeof(candidates) / sizeof(candidates[0]));

	if (near)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
				      "\"%s\" is not a responsibility; did you mean \"%s\"?",
				      item, near);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
			      "\"%s\" is not a responsibility; expected resource_coordination, "
			      "node_lifecycle, health_monitoring, load_balancing, "
			      "fault_recovery or all", item);
}

/* Every item is checked so that one call reports every mistake. */
int bpci_responsibilities_parse(unsigned int *out, const char *list, bpci_diag *diag)
{
	const char *p = list, *b, *e;
	unsigned int mask = 0, one;
	char *item;
	int rc = 0;

	if (!list || strspn(list, " \t\n\r") == strlen(list))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "responsibilities",
				      "is empty; name at least one, such as health_monitoring");
	for (;;) {
		e = p + strcspn(p, ",");
		for (b = p; b < e && strchr(" \t\n\r", *b); b++)
			;
		while (e > b && strchr(" \t\n\r", e[-1]))
			e--;
		if (b == e) {
			rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
					    "responsibilities", "has an empty item");
		} else {
			item = bpci__strndup(b, (size_t)(e - b));
			if (!item)
				return BPCI_ENOMEM;
			one = lookup_responsibility(item);
			if (!one)
				rc = report_unknown(item, diag);
			mask |= one;
			bpci__free(item);
		}
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	if (rc)
		return rc;
	*out = mask;
	return 0;
}

int bpci_responsibilities_format(char **out, unsigned int mask)
{
	char text[128] = "";
	unsigned int i;

	*out = NULL;
	if (mask & ~BPCI_RESPONSIBILITY_ALL)
		return BPCI_EINVAL;
	for (i = 0; i < N_RESP; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (text[0])
			strcat(text, ",");
		strcat(text, responsibility_names[i]);
	}
	*out = bpci__strdup(text);
	return *out ? 0 : BPCI_ENOMEM;
}
