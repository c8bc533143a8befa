/*
 * Cluster node registrations (name, type, capabilities) and the check of
 * an ENC replica before it is added (see bpci/cluster.h).
 */
#include <string.h>

#include "common/alloc.h"
#include "model/cluster_internal.h"
#include "model/text.h"

struct bpci_cluster_node {
	char *name;
	bpci_cluster_node_type type;
	bpci_capabilities *caps;   /* never NULL */
};

static int check_name(const char *name, bpci_diag *diag)
{
	if (name && bpci__is_ident(name))
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "name",
			      "must be an identifier of 1 to 128 of [A-Za-z0-9._-] starting "
			      "with a letter or digit, got \"%s\"", name ? name : "(null)");
}

int bpci_cluster_node_new(bpci_cluster_node **out, const char *name,
			  bpci_cluster_node_type type, const bpci_capabilities *caps,
			  bpci_diag *diag)
{
	bpci_cluster_node *n;
	int rc;

	*out = NULL;
	rc = check_name(name, diag);
	if (!bpci_cluster_node_type_name(type))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				    "must be validator, auditor, compute, daemon, gateway, "
				    "storage or oracle, got %d", (int)type);
	if (rc)
		return rc;
	n = bpci__calloc(1, sizeof(*n));
	if (!n)
		return BPCI_ENOMEM;
	n->type = type;
	n->name = bpci__strdup(name);
	rc = caps ? bpci_capabilities_dup(&n->caps, caps) : bpci_capabilities_new(&n->caps);
	if (!n->name || rc) {
		bpci_cluster_node_free(n);
		return BPCI_ENOMEM;
	}
	*out = n;
	return 0;
}

void bpci_cluster_node_free(bpci_cluster_node *node)
{
	if (!node)
		return;
	bpci__free(node->name);
	bpci_capabilities_free(node->caps);
	bpci__free(node);
}

const char *bpci_cluster_node_name(const bpci_cluster_node *node)
{
	return node->name;
}

bpci_cluster_node_type bpci_cluster_node_type_of(const bpci_cluster_node *node)
{
	return node->type;
}

const bpci_capabilities *bpci_cluster_node_capabilities(const bpci_cluster_node *node)
{
	return node->caps;
}

int bpci_cluster_node_equal(const bpci_cluster_node *a, const bpci_cluster_node *b)
{
	return strcmp(a->name, b->name) == 0 && a->type == b->type &&
	       bpci_capabilities_equal(a->caps, b->caps);
}

int bpci_cluster_node_to_json(char **out, const bpci_cluster_node *node)
{
	json_t *o = json_object();
	int bad = !o;

	if (!bad)
		bad |= json_object_set_new(o, "name", json_string(node->name));
	if (!bad)
		bad |= json_object_set_new(o, "type",
					   json_string(bpci_cluster_node_type_name(node->type)));
	if (!bad)
		bad |= json_object_set_new(o, "capabilities",
					   bpci__capabilities_to_json(node->caps));
	if (bad) {
		json_decref(o);
		*out = NULL;
		return BPCI_ENOMEM;
	}
	return bpci__json_dump(out, o);
}

/* The "type" member: a name. Returns 0 or BPCI_EINVAL. */
static int type_from_json(bpci_cluster_node_type *type, const json_t *v, bpci_diag *diag)
{
	if (!v)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
				      "is required (validator, auditor, compute, daemon, gateway, "
				      "storage or oracle)");
	if (json_is_string(v) && bpci_cluster_node_type_parse(type, json_string_value(v)) == 0)
		return 0;
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "type",
			      "must be validator, auditor, compute, daemon, gateway, storage "
			      "or oracle, got %s", bpci__json_what(v));
}

int bpci_cluster_node_from_json(bpci_cluster_node **out, const char *json, size_t len,
				bpci_diag *diag)
{
	static const char *const keys[] = {"capabilities", "name", "type"};
	bpci_cluster_node_type type = BPCI_CLUSTER_NODE_COMPUTE;
	bpci_capabilities *caps = NULL;
	json_t *root, *name, *v;
	int rc, one;

	*out = NULL;
	rc = bpci__json_load_object(&root, json, len, diag);
	if (rc)
		return rc;
	rc = bpci__json_check_keys(root, keys, 3, diag);
	name = json_object_get(root, "name");
	if (!name)
		one = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "name",
				     "is required (for example storage-node-001)");
	else if (!json_is_string(name))
		one = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "name",
				     "must be a string, got %s", bpci__json_what(name));
	else
		one = check_name(json_string_value(name), diag);
	if (one && !rc)
		rc = one;
	one = type_from_json(&type, json_object_get(root, "type"), diag);
	if (one && !rc)
		rc = one;
	v = json_object_get(root, "capabilities");
	if (v) {
		one = bpci__capabilities_from_json(&caps, v, diag);
		if (one && (!rc || one == BPCI_ENOMEM))
			rc = one;
	}
	if (!rc)
		rc = bpci_cluster_node_new(out, json_string_value(name), type, caps, diag);
	bpci_capabilities_free(caps);
	json_decref(root);
	return rc;
}

int bpci_replica_validate(const char *name, const bpci_resources *res, bpci_diag *diag)
{
	int rc = check_name(name, diag);

	if (!res)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "resources",
				      "are required");
	if (res->cpu_millicores == 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "cpu",
				    "must be more than 0 for a replica, such as 8 or 500m");
	if (res->memory_bytes == 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "memory",
				    "must be more than 0 for a replica, such as 16Gi");
	return rc;
}
