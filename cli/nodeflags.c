/*
 * Flags, help and value display derived from the node model's field
 * descriptors. The CLI holds no list of node parameters of its own.
 */
#include "nodeflags.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(bpci_field_kind k)
{
	switch (k) {
	case BPCI_FIELD_STRING: return "text";
	case BPCI_FIELD_IDENT: return "identifier";
	case BPCI_FIELD_ENUM: return "enum";
	case BPCI_FIELD_URL: return "http(s) URL";
	case BPCI_FIELD_UINT: return "integer";
	case BPCI_FIELD_NUMBER: return "number";
	case BPCI_FIELD_BOOL: return "boolean";
	case BPCI_FIELD_DURATION: return "duration: ms s m h d w y";
	case BPCI_FIELD_SIZE: return "size: Mi Gi Ti, M G T";
	case BPCI_FIELD_CPU: return "cores or millicores (500m)";
	case BPCI_FIELD_BANDWIDTH: return "bandwidth: Mbps Gbps";
	case BPCI_FIELD_LIST: return "list";
	case BPCI_FIELD_MAP: return "KEY=VALUE, repeatable";
	case BPCI_FIELD_ARGV: return "command line, split like a shell";
	}
	return "value";
}

const char *cli_field_metavar(const bpci_field_info *f)
{
	switch (f->kind) {
	case BPCI_FIELD_STRING: return "TEXT";
	case BPCI_FIELD_IDENT: return "ID";
	case BPCI_FIELD_ENUM: return "VALUE";
	case BPCI_FIELD_URL: return "URL";
	case BPCI_FIELD_UINT: return "N";
	case BPCI_FIELD_NUMBER: return "X";
	case BPCI_FIELD_BOOL: return NULL;
	case BPCI_FIELD_DURATION: return "DURATION";
	case BPCI_FIELD_SIZE: return "SIZE";
	case BPCI_FIELD_CPU: return "CPU";
	case BPCI_FIELD_BANDWIDTH: return "MBPS";
	case BPCI_FIELD_LIST: return "A,B,...";
	case BPCI_FIELD_MAP: return "K=V";
	case BPCI_FIELD_ARGV: return "\"CMD ARGS\"";
	}
	return "VALUE";
}

/* A bound in the field's own terms ("1Gi", "100ms", "8"). */
static void format_bound(char *buf, size_t size, const bpci_field_info *f, double v)
{
	switch (f->kind) {
	case BPCI_FIELD_SIZE:
		cli_format_size(buf, size, (uint64_t)v);
		break;
	case BPCI_FIELD_DURATION:
		cli_format_duration(buf, size, (uint64_t)v);
		break;
	case BPCI_FIELD_CPU:
		cli_format_cpu(buf, size, (uint64_t)v);
		break;
	case BPCI_FIELD_BANDWIDTH:
		snprintf(buf, size, "%gMbps", v);
		break;
	default:
		snprintf(buf, size, "%g", v);
	}
}

static void add_bounds(cli_buf *b, const bpci_field_info *f)
{
	char lo[32], hi[32];
	const char *items = f->kind == BPCI_FIELD_LIST ? " items" : "";

	if (f->min == 0 && f->max == 0)
		return;
	format_bound(lo, sizeof(lo), f, f->min);
	format_bound(hi, sizeof(hi), f, f->max);
	if (f->max == 0)
		cli_buf_add(b, "; at least %s%s", lo, f->min == 1 && *items ? " item" : items);
	else
		cli_buf_add(b, "; %s..%s%s", lo, hi, items);
}

char *cli_field_help(const bpci_field_info *f)
{
	cli_buf b = {0};
	size_t i;

	cli_buf_add(&b, "%s%s[", f->help ? f->help : "", f->help && *f->help ? " " : "");
	if (f->kind == BPCI_FIELD_LIST)
		cli_buf_add(&b, "comma-separated list of %s",
			    f->item_kind == BPCI_FIELD_ENUM ? "enum" : kind_name(f->item_kind));
	else
		cli_buf_add(&b, "%s", kind_name(f->kind));
	if (f->values) {
		int closed = f->kind == BPCI_FIELD_ENUM || f->item_kind == BPCI_FIELD_ENUM;

		cli_buf_add(&b, "%s", closed ? ": " : "; known: ");
		for (i = 0; f->values[i]; i++)
			cli_buf_add(&b, "%s%s", i ? " " : "", f->values[i]);
	}
	add_bounds(&b, f);
	if (f->unit)
		cli_buf_add(&b, "; bare number in %s", f->unit);
	if (f->kind == BPCI_FIELD_BOOL)
		cli_buf_add(&b, "; --no-%s sets false", f->flag ? f->flag : f->name);
	cli_buf_add(&b, "]%s", f->required ? " Required." : "");
	return cli_buf_take(&b);
}

size_t cli_field_options(cli_option **out, const bpci_field_info *fields, size_t n)
{
	cli_option *opts = cli_xmalloc((n ? n : 1) * sizeof(*opts));
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		const bpci_field_info *f = &fields[i];

		if (!f->flag)
			continue;
		opts[k].name = f->flag;
		opts[k].arity = f->kind == BPCI_FIELD_BOOL ? CLI_SWITCH :
				(f->kind == BPCI_FIELD_MAP || f->kind == BPCI_FIELD_LIST) ?
				CLI_REPEAT : CLI_VALUE;
		opts[k].negatable = f->kind == BPCI_FIELD_BOOL;
		opts[k].metavar = cli_field_metavar(f);
		opts[k].help = cli_field_help(f);
		opts[k].data = f;
		k++;
	}
	*out = opts;
	return k;
}

void cli_field_options_free(cli_option *opts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)opts[i].help);
	free(opts);
}

char *cli_flag_owners(const char *flag)
{
	cli_buf b = {0};
	int t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		const bpci_field_info *f;
		size_t n, i;

		if (bpci_node_type_fields(&f, &n, (bpci_node_type)t) != 0)
			continue;
		for (i = 0; i < n; i++) {
			if (f[i].flag && strcmp(f[i].flag, flag) == 0) {
				cli_buf_add(&b, "%s%s", b.len ? ", " : "",
					    bpci_node_type_name((bpci_node_type)t));
				break;
			}
		}
	}
	if (!b.len)
		return NULL;
	return cli_buf_take(&b);
}

char *cli_node_type_names(const char *sep)
{
	cli_buf b = {0};
	int t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++)
		cli_buf_add(&b, "%s%s", t > 1 ? sep : "", bpci_node_type_name((bpci_node_type)t));
	return cli_buf_take(&b);
}

/* ---- value display --------------------------------------------------- */

void cli_format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	int u = -1;

	while (bytes && u < 5 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 "%s", bytes, u < 0 ? "" : units[u]);
}

void cli_format_duration(char *buf, size_t size, uint64_t ms)
{
	static const struct { uint64_t ms; const char *unit; } units[] = {
		{365ull * 86400000, "y"}, {7ull * 86400000, "w"}, {86400000, "d"},
		{3600000, "h"}, {60000, "m"}, {1000, "s"}};
	size_t i;

	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64 "ms", ms);
}

void cli_format_cpu(char *buf, size_t size, uint64_t mc)
{
	if (mc % 1000 == 0) {
		snprintf(buf, size, "%" PRIu64, mc / 1000);
		return;
	}
	snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, mc / 1000, mc % 1000);
	/* Trailing zeros after the point say nothing: "0.500" -> "0.5". */
	{
		size_t l = strlen(buf);

		while (l && buf[l - 1] == '0')
			buf[--l] = '\0';
	}
}

static char *join_items(const bpci_node_spec *spec, const char *name, const char *sep)
{
	const char *const *items;
	size_t n, i;
	cli_buf b = {0};

	if (bpci_node_spec_get_list(spec, name, &items, &n) != 0)
		return NULL;
	for (i = 0; i < n; i++)
		cli_buf_add(&b, "%s%s", i ? sep : "", items[i]);
	return cli_buf_take(&b);
}

static char *uint_value(const bpci_node_spec *spec, const bpci_field_info *f)
{
	char buf[64];
	uint64_t v;

	if (bpci_node_spec_get_uint(spec, f->name, &v) != 0)
		return NULL;
	switch (f->kind) {
	case BPCI_FIELD_SIZE:
		cli_format_size(buf, sizeof(buf), v);
		break;
	case BPCI_FIELD_DURATION:
		cli_format_duration(buf, sizeof(buf), v);
		break;
	case BPCI_FIELD_CPU:
		cli_format_cpu(buf, sizeof(buf), v);
		break;
	case BPCI_FIELD_BANDWIDTH:
		snprintf(buf, sizeof(buf), "%" PRIu64 "Mbps", v);
		break;
	default:
		/* the unit is in the field's name (update_frequency_ms) and
		 * in --help; "k=v" output must stay one word */
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	}
	return cli_xstrdup(buf);
}

char *cli_spec_value(const bpci_node_spec *spec, const bpci_field_info *f)
{
	const char *s;
	char buf[64];
	double d;
	int b;

	if (!bpci_node_spec_has(spec, f->name))
		return NULL;
	switch (f->kind) {
	case BPCI_FIELD_STRING:
	case BPCI_FIELD_IDENT:
	case BPCI_FIELD_ENUM:
	case BPCI_FIELD_URL:
		return bpci_node_spec_get_string(spec, f->name, &s) == 0 ? cli_xstrdup(s) : NULL;
	case BPCI_FIELD_NUMBER:
		if (bpci_node_spec_get_number(spec, f->name, &d) != 0)
			return NULL;
		snprintf(buf, sizeof(buf), "%.17g", d);
		/* Prefer the shortest text that reads back to the same number. */
		for (b = 1; b <= 17; b++) {
			char t[64];

			snprintf(t, sizeof(t), "%.*g", b, d);
			if (strtod(t, NULL) == d) {
				memcpy(buf, t, strlen(t) + 1);
				break;
			}
		}
		return cli_xstrdup(buf);
	case BPCI_FIELD_BOOL:
		if (bpci_node_spec_get_bool(spec, f->name, &b) != 0)
			return NULL;
		return cli_xstrdup(b ? "true" : "false");
	case BPCI_FIELD_LIST:
		return join_items(spec, f->name, ",");
	case BPCI_FIELD_MAP:
		return join_items(spec, f->name, ",");
	case BPCI_FIELD_ARGV:
		return join_items(spec, f->name, " ");
	default:
		return uint_value(spec, f);
	}
}
