/*
 * The node model's value rules: checking one scalar or list item against a
 * field's kind and extra check, bounds of numbers in their stored unit, the
 * user-facing formatting of those numbers, and copying/freeing values.
 * Messages say what is allowed and echo the refused value.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/node_internal.h"
#include "model/text.h"

void bpci__node_format_uint(char *buf, size_t size, const bpci_field_info *info,
			    uint64_t v)
{
	switch (info->kind) {
	case BPCI_FIELD_DURATION:
		bpci__format_duration(buf, size, v);
		break;
	case BPCI_FIELD_SIZE:
		/* A bare number would read back in the field's unit (GiB), so
		 * a plain byte count carries its unit. */
		bpci__format_size(buf, size, v);
		if (size > 1 && buf[0] && isdigit((unsigned char)buf[strlen(buf) - 1]) &&
		    strlen(buf) + 1 < size)
			strcat(buf, "B");
		break;
	case BPCI_FIELD_CPU:
		bpci__format_cpu(buf, size, v);
		break;
	case BPCI_FIELD_BANDWIDTH:
		snprintf(buf, size, "%" PRIu64 "Mbps", v);
		break;
	default:
		snprintf(buf, size, "%" PRIu64, v);
		break;
	}
}

/* "1..16", "at least 100", "at most 1", or "" for an unbounded field.
 * A max of 0 means no upper bound (a [0, 0] range would be useless). */
static void range_text(char *buf, size_t size, const bpci_field_info *info)
{
	char lo[64], hi[64];

	if (info->kind == BPCI_FIELD_NUMBER) {
		if (info->min == 0 && info->max == 0)
			*buf = '\0';
		else
			snprintf(buf, size, "%g..%g", info->min, info->max);
		return;
	}
	bpci__node_format_uint(lo, sizeof(lo), info, (uint64_t)info->min);
	bpci__node_format_uint(hi, sizeof(hi), info, (uint64_t)info->max);
	if (info->max > 0)
		snprintf(buf, size, "%s..%s", lo, hi);
	else if (info->min > 0)
		snprintf(buf, size, "at least %s", lo);
	else
		*buf = '\0';
}

int bpci__node_check_uint(const bpci_field_info *info, const char *field, uint64_t v,
			  bpci_diag *diag)
{
	char range[160], got[64];

	if ((double)v >= info->min && (info->max == 0 || (double)v <= info->max))
		return 0;
	range_text(range, sizeof(range), info);
	bpci__node_format_uint(got, sizeof(got), info, v);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
			      "must be %s, got %s", range, got);
}

/* Look @text up among the canonical values, then the aliases. */
static const char *enum_lookup(const char *const *values, const bpci__alias *aliases,
			       const char *text)
{
	size_t i;

	for (i = 0; values && values[i]; i++)
		if (strcasecmp(text, values[i]) == 0)
			return values[i];
	for (i = 0; aliases && aliases[i].alias; i++)
		if (strcasecmp(text, aliases[i].alias) == 0)
			return aliases[i].canonical;
	return NULL;
}

static int enum_error(const bpci_field_info *info, const bpci__alias *aliases,
		      const char *field, const char *text, bpci_diag *diag)
{
	const char *cands[64], *near;
	char list[512] = "";
	size_t n = 0, i, len = 0;

	for (i = 0; info->values[i] && n < 64; i++) {
		cands[n++] = info->values[i];
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i ? ", " : "", info->values[i]);
	}
	for (i = 0; aliases && aliases[i].alias && n < 64; i++)
		cands[n++] = aliases[i].alias;
	near = bpci__suggest(text, cands, n);
	if (near) {
		const char *canon = enum_lookup(info->values, aliases, near);

		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be one of %s, got '%s'; did you mean '%s'?",
				      list, text, canon ? canon : near);
	}
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
			      "must be one of %s, got '%s'", list, text);
}

static int is_printable_text(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return 0;
	return 1;
}

static int check_string(const bpci__field_ext *ext, const char *field, const char *text,
			bpci_diag *diag)
{
	if (!*text)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must not be empty");
	if (!is_printable_text(text))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be printable text (no control characters)");
	if (ext && ext->check == BPCI__CHECK_ABS_PATH && text[0] != '/')
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be an absolute path, got '%s'", text);
	if (ext && ext->check == BPCI__CHECK_ADDRESS) {
		char fixed[43];

		if (bpci__eip55_check(text, fixed) < 0)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "must be an address (0x followed by 40 hex "
					      "digits), got '%s'", text);
	}
	return 0;
}

static int check_ident(const bpci__field_ext *ext, const char **canon,
		       const char *field, const char *text, bpci_diag *diag)
{
	if (ext && ext->check == BPCI__CHECK_RECEIPT_SOURCE) {
		const char *known = enum_lookup(bpci__receipt_sources,
						bpci__receipt_source_aliases, text);

		if (known) {
			*canon = known;
			return 0;
		}
		if (!bpci__is_ident(text))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "must be http-cage, docklock, enc-cluster or a "
					      "node id, got '%s'", text);
		return 0;
	}
	if (!bpci__is_ident(text))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "must be an identifier (letters, digits, '.', '_' "
				      "or '-', starting with a letter or digit, at most "
				      "128 characters), got '%s'", text);
	return 0;
}

int bpci__node_check_item(const char **canon, const bpci_field_info *info,
			  bpci_field_kind kind, const bpci__field_ext *ext,
			  const char *field, const char *text, bpci_diag *diag)
{
	*canon = text;
	switch (kind) {
	case BPCI_FIELD_STRING:
		return check_string(ext, field, text, diag);
	case BPCI_FIELD_IDENT:
		return check_ident(ext, canon, field, text, diag);
	case BPCI_FIELD_URL:
		if (!bpci__is_url(text))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "must be an absolute http(s) URL, got '%s'",
					      text);
		return 0;
	case BPCI_FIELD_ENUM:
		*canon = enum_lookup(info->values, ext ? ext->aliases : NULL, text);
		if (!*canon)
			return enum_error(info, ext ? ext->aliases : NULL, field, text, diag);
		return 0;
	default:
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "cannot be set from text");
	}
}

static void free_items(char **items, size_t count)
{
	size_t i;

	for (i = 0; items && i < count; i++)
		bpci__free(items[i]);
	bpci__free(items);
}

void bpci__node_value_clear(bpci__value *v, const bpci_field_info *info)
{
	if (info->kind != BPCI_FIELD_ENUM)
		bpci__free(v->str);
	free_items(v->items, v->count);
	memset(v, 0, sizeof(*v));
}

int bpci__node_value_copy(bpci__value *dst, const bpci__value *src,
			  const bpci_field_info *info)
{
	size_t i;

	*dst = *src;
	dst->str = NULL;
	dst->items = NULL;
	if (src->str && info->kind != BPCI_FIELD_ENUM) {
		dst->str = bpci__strdup(src->str);
		if (!dst->str)
			goto nomem;
	} else {
		dst->str = src->str;
	}
	if (src->items) {
		dst->items = bpci__calloc(src->count + 1, sizeof(char *));
		if (!dst->items)
			goto nomem;
		for (i = 0; i < src->count; i++) {
			dst->items[i] = bpci__strdup(src->items[i]);
			if (!dst->items[i])
				goto nomem;
		}
	}
	return 0;
nomem:
	bpci__node_value_clear(dst, info);
	return BPCI_ENOMEM;
}

int bpci__node_value_equal(const bpci__value *a, const bpci__value *b,
			   const bpci_field_info *info)
{
	size_t i;

	if (a->set != b->set)
		return 0;
	if (!a->set)
		return 1;
	switch (info->kind) {
	case BPCI_FIELD_STRING:
	case BPCI_FIELD_IDENT:
	case BPCI_FIELD_URL:
	case BPCI_FIELD_ENUM:
		return strcmp(a->str, b->str) == 0;
	case BPCI_FIELD_NUMBER:
		return a->num == b->num;
	case BPCI_FIELD_BOOL:
		return a->b == b->b;
	case BPCI_FIELD_LIST:
	case BPCI_FIELD_MAP:
	case BPCI_FIELD_ARGV:
		if (a->count != b->count)
			return 0;
		for (i = 0; i < a->count; i++)
			if (strcmp(a->items[i], b->items[i]) != 0)
				return 0;
		return 1;
	default:
		return a->u == b->u;
	}
}
