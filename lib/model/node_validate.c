/*
 * Whole-spec validation: required parameters, rules that span fields
 * (health check, restart backoff), list items checked again (a spec may
 * have been assembled by merging), and EIP-55 checksum warnings.
 */
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

static int check_required(const bpci_node_spec *spec, bpci_diag *diag)
{
	const bpci__field_table *t = spec->params;
	size_t i;
	int rc = 0;

	for (i = 0; i < t->count; i++) {
		if (!t->info[i].required || spec->param_values[i].set)
			continue;
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, t->info[i].name,
				    "is required for %s (--%s)",
				    bpci_node_type_name(spec->type), t->info[i].flag);
	}
	return rc;
}

/* Re-check a list's count and items; returns 0 or BPCI_EINVAL. */
static int check_list(const bpci_field_info *info, const bpci__field_ext *ext,
		      const bpci__value *v, bpci_diag *diag)
{
	char path[160];
	const char *canon;
	size_t i;
	int rc = 0;

	if (!v->set)
		return 0;
	if ((double)v->count < info->min || (info->max > 0 && (double)v->count > info->max))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, info->name,
				    "must have %g..%g items, got %zu", info->min,
				    info->max, v->count);
	for (i = 0; i < v->count; i++) {
		snprintf(path, sizeof(path), "%s[%zu]", info->name, i);
		if (bpci__node_check_item(&canon, info, info->item_kind, ext, path,
					  v->items[i], diag) < 0)
			rc = BPCI_EINVAL;
	}
	return rc;
}

/* Warn about mixed-case addresses whose checksum is wrong; count them. */
static size_t check_eip55(const bpci_field_info *info, const bpci__field_ext *ext,
			  const bpci__value *v, bpci_diag *diag)
{
	char fixed[43];
	size_t i, n = 0;

	if (ext->check != BPCI__CHECK_ADDRESS || !v->set)
		return 0;
	for (i = 0; i < v->count; i++) {
		char path[160];

		if (bpci__eip55_check(v->items[i], fixed) != 1)
			continue;
		snprintf(path, sizeof(path), "%s[%zu]", info->name, i);
		bpci__diag_add(diag, BPCI_SEVERITY_WARNING, BPCI_EVERIFY, path,
			       "%s fails its EIP-55 checksum; did you mean %s?", v->items[i],
			       fixed);
		n++;
	}
	return n;
}

static const bpci__value *common_value(const bpci_node_spec *spec, const char *name)
{
	size_t i;

	for (i = 0; i < spec->common->count; i++)
		if (strcmp(spec->common->info[i].name, name) == 0)
			return &spec->common_values[i];
	return NULL;
}

static int check_cross(const bpci_node_spec *spec, bpci_diag *diag)
{
	const bpci__value *htype = common_value(spec, "health.type");
	const bpci__value *hcmd = common_value(spec, "health.command");
	const bpci__value *tmo = common_value(spec, "health.timeout");
	const bpci__value *ivl = common_value(spec, "health.interval");
	const bpci__value *b0 = common_value(spec, "restart.backoff_initial");
	const bpci__value *b1 = common_value(spec, "restart.backoff_max");
	char a[32], b[32];
	int rc = 0;

	if (htype->set && strcmp(htype->str, "exec") == 0 && !hcmd->set)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "health.command",
				    "is required when health.type is exec");
	if (tmo->set && ivl->set && tmo->u >= ivl->u) {
		bpci__format_duration(a, sizeof(a), tmo->u);
		bpci__format_duration(b, sizeof(b), ivl->u);
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "health.timeout",
				    "must be less than health.interval (%s), got %s", b, a);
	}
	if (b0->set && b1->set && b0->u > b1->u) {
		bpci__format_duration(a, sizeof(a), b0->u);
		bpci__format_duration(b, sizeof(b), b1->u);
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				    "restart.backoff_initial",
				    "must be at most restart.backoff_max (%s), got %s", b, a);
	}
	return rc;
}

static int check_lists(const bpci__field_table *t, const bpci__value *values,
		       bpci_diag *diag, size_t *warnings)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < t->count; i++) {
		if (t->info[i].kind != BPCI_FIELD_LIST)
			continue;
		if (check_list(&t->info[i], &t->ext[i], &values[i], diag) < 0)
			rc = BPCI_EINVAL;
		else
			*warnings += check_eip55(&t->info[i], &t->ext[i], &values[i], diag);
	}
	return rc;
}

int bpci_node_spec_validate(const bpci_node_spec *spec, unsigned int flags,
			    bpci_diag *diag)
{
	size_t first = bpci_diag_count(diag), warnings = 0;
	int rc = 0;

	if (!(flags & BPCI_VALIDATE_PARTIAL) && check_required(spec, diag) < 0)
		rc = BPCI_EINVAL;
	if (check_cross(spec, diag) < 0)
		rc = BPCI_EINVAL;
	if (check_lists(spec->params, spec->param_values, diag, &warnings) < 0)
		rc = BPCI_EINVAL;
	if (check_lists(spec->common, spec->common_values, diag, &warnings) < 0)
		rc = BPCI_EINVAL;
	if ((flags & BPCI_VALIDATE_STRICT) && warnings) {
		bpci__diag_promote(diag, first, BPCI_EINVAL);
		rc = BPCI_EINVAL;
	}
	return rc;
}
