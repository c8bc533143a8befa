/*
 * Table output of the cluster manager's JSON answers without a JSON
 * library in the programs: the document is flattened into "path  value"
 * rows (resource_utilization.cpu_usage_percent, replicas[0].id, ...).
 * The input is the daemon's own output, compact JSON.
 */
#include <string.h>

#include "cluster_flat.h"

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

/* End of the string starting at the quote @s; appends its text to @b. */
static const char *string_end(const char *s, cli_buf *b)
{
	for (s++; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (b)
			cli_buf_add(b, "%c", *s);
	}
	return *s ? s + 1 : s;
}

static const char *value(const char *s, const char *path, cli_table *t);

static const char *container(const char *s, const char *path, cli_table *t)
{
	char close = *s == '{' ? '}' : ']';
	size_t i = 0;

	s = skip_ws(s + 1);
	while (*s && *s != close) {
		cli_buf key = {0};
		char *k;

		if (close == '}') {
			cli_buf b = {0};

			s = string_end(s, &b);
			k = cli_buf_take(&b);
			cli_buf_add(&key, "%s%s%s", path, *path ? "." : "", k ? k : "");
			free(k);
			s = skip_ws(s);
			if (*s == ':')
				s = skip_ws(s + 1);
		} else {
			cli_buf_add(&key, "%s[%zu]", path, i);
		}
		k = cli_buf_take(&key);
		s = skip_ws(value(s, k ? k : "", t));
		free(k);
		if (*s == ',')
			s = skip_ws(s + 1);
		i++;
	}
	return *s ? s + 1 : s;
}

static const char *value(const char *s, const char *path, cli_table *t)
{
	cli_buf b = {0};
	const char *row[2];
	char *v;

	s = skip_ws(s);
	if (*s == '{' || *s == '[')
		return container(s, path, t);
	if (*s == '"') {
		s = string_end(s, &b);
	} else {
		size_t n = strcspn(s, ",}] \n");

		cli_buf_add(&b, "%.*s", (int)n, s);
		s += n;
	}
	v = cli_buf_take(&b);
	row[0] = path;
	row[1] = v ? v : "";
	cli_table_row(t, row);
	free(v);
	return s;
}

void cluster_print_flat(const char *json, FILE *f)
{
	const char *head[] = {"FIELD", "VALUE"};
	cli_table t;

	cli_table_init(&t, 2);
	cli_table_row(&t, head);
	value(json, "", &t);
	cli_table_print(&t, f);
	cli_table_free(&t);
}
