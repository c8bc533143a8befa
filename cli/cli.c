/*
 * The command tree and option parser shared by bpi-core and bpci-enterprise.
 *
 * The parser reports every problem it finds rather than stopping at the
 * first, so that one run shows the user all the flags to fix.
 */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ---------------------------------------------------------- */

static void out_of_memory(void)
{
	fputs("out of memory\n", stderr);
	exit(CLI_EXIT_FAILED);
}

void *cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *cli_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory();
	return q;
}

char *cli_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(cli_xmalloc(n), s, n);
}

/* ---- strings --------------------------------------------------------- */

void cli_buf_add(cli_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = cli_xrealloc(b->s, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *cli_buf_take(cli_buf *b)
{
	char *s = b->s ? b->s : cli_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void cli_buf_free(cli_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- suggestions ----------------------------------------------------- */

size_t cli_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row = cli_xmalloc((lb + 1) * sizeof(*row));
	size_t d;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			int same = tolower((unsigned char)a[i - 1]) ==
				   tolower((unsigned char)b[j - 1]);
			size_t best = diag + (same ? 0 : 1);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

const char *cli_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t limit = strlen(word) / 3, best = (size_t)-1, i;
	const char *pick = NULL;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++) {
		size_t d;

		if (!candidates[i])
			continue;
		d = cli_edit_distance(word, candidates[i]);
		if (d < best) {
			best = d;
			pick = candidates[i];
		}
	}
	return best <= limit ? pick : NULL;
}

/* ---- messages -------------------------------------------------------- */

void cli_error(const cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctx->usage_errors++;
	return CLI_EXIT_USAGE;
}

void cli_print_diag(const cli_ctx *ctx, const bpci_diag *diag)
{
	size_t i, n = bpci_diag_count(diag);

	for (i = 0; i < n; i++) {
		const bpci_diag_entry *e = bpci_diag_get(diag, i);

		if (e)
			fprintf(stderr, "%s%s%s\n", ctx ? ctx->prog : "", ctx ? ": " : "",
				e->text);
	}
}

int cli_exit_for(int code)
{
	switch (code) {
	case BPCI_OK:
		return CLI_EXIT_OK;
	case BPCI_EINVAL:
	case BPCI_EPARSE:
	case BPCI_ENOTFOUND:
	case BPCI_EEXISTS:
	case BPCI_ELIMIT:
	case BPCI_EUNSUPPORTED:
		return CLI_EXIT_USAGE;
	case BPCI_EUNREACHABLE:
		return CLI_EXIT_UNREACHABLE;
	default:
		return CLI_EXIT_FAILED;
	}
}

/* The command path for messages: "bpi-core node-coordinator start-node". */
static void where(const cli_ctx *ctx, cli_buf *b)
{
	cli_buf_add(b, "%s", ctx->prog);
	if (ctx->group)
		cli_buf_add(b, " %s", ctx->group);
	if (ctx->command)
		cli_buf_add(b, " %s", ctx->command);
}

/* ---- option parsing -------------------------------------------------- */

static const char *const global_names[] = {"output", "help", "version"};

static const cli_option *find_option(const cli_option *opts, size_t n, const char *name,
				     size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static int set_output(cli_ctx *ctx, const char *value)
{
	if (!value)
		return cli_usage_error(ctx, "--output needs a value: table or json");
	if (strcmp(value, "table") == 0)
		ctx->output = CLI_OUTPUT_TABLE;
	else if (strcmp(value, "json") == 0)
		ctx->output = CLI_OUTPUT_JSON;
	else
		return cli_usage_error(ctx, "--output must be table or json, got '%s'", value);
	return 0;
}

/*
 * Handles a global option at argv[*i]; returns 1 when it was one (and
 * advances *i past its value), 0 otherwise.
 */
static int global_option(cli_ctx *ctx, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		ctx->help = 1;
	} else if (strcmp(a, "--version") == 0) {
		ctx->version = 1;
	} else if (strncmp(a, "--output=", 9) == 0) {
		set_output(ctx, a + 9);
	} else if (strcmp(a, "--output") == 0) {
		if (*i + 1 < argc) {
			set_output(ctx, argv[*i + 1]);
			(*i)++;
		} else {
			set_output(ctx, NULL);
		}
	} else {
		return 0;
	}
	(*i)++;
	return 1;
}

static void unknown_option(cli_ctx *ctx, const char *word, const char *name, size_t len,
			   const cli_option *opts, size_t n, cli_explain_cb explain,
			   void *payload)
{
	char *nm = cli_xmalloc(len + 1), *msg = NULL;
	const char **cands = cli_xmalloc((n + 3) * sizeof(*cands));
	const char *pick;
	cli_buf b = {0};
	size_t i;

	memcpy(nm, name, len);
	nm[len] = '\0';
	if (explain && len)
		msg = explain(nm, payload);
	if (msg) {
		cli_usage_error(ctx, "%s", msg);
		free(msg);
		goto out;
	}
	for (i = 0; i < n; i++)
		cands[i] = opts[i].name;
	for (i = 0; i < 3; i++)
		cands[n + i] = global_names[i];
	pick = len ? cli_suggest(nm, cands, n + 3) : NULL;
	where(ctx, &b);
	if (pick)
		cli_usage_error(ctx, "unknown option %s; did you mean --%s? See '%s --help'.",
				word, pick, b.s);
	else
		cli_usage_error(ctx, "unknown option %s; see '%s --help'.", word, b.s);
out:
	cli_buf_free(&b);
	free(cands);
	free(nm);
}

static void add_occ(cli_parsed *out, const cli_option *opt, const char *value, int negated)
{
	out->occ = cli_xrealloc(out->occ, (out->count + 1) * sizeof(*out->occ));
	out->occ[out->count].opt = opt;
	out->occ[out->count].value = value;
	out->occ[out->count].negated = negated;
	out->count++;
}

/* One "--name[=value]" word at argv[*i]; advances *i. */
static void long_option(cli_ctx *ctx, cli_parsed *out, const cli_option *opts, size_t n,
			int argc, char **argv, int *i, cli_explain_cb explain, void *payload)
{
	const char *word = argv[*i], *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const cli_option *opt = find_option(opts, n, name, len);
	int negated = 0;

	(*i)++;
	if (!opt && len > 3 && strncmp(name, "no-", 3) == 0) {
		opt = find_option(opts, n, name + 3, len - 3);
		if (opt && !opt->negatable)
			opt = NULL;
		negated = opt != NULL;
	}
	if (!opt) {
		unknown_option(ctx, word, name, len, opts, n, explain, payload);
		/* Skip the unknown option's probable value so that it is not
		 * reported again as a stray argument. */
		if (!eq && *i < argc && argv[*i][0] != '-')
			(*i)++;
		return;
	}
	if (opt->arity == CLI_SWITCH) {
		if (eq && (!opt->negatable || negated)) {
			cli_usage_error(ctx, "--%.*s takes no value (got '%s')", (int)len, name,
					eq + 1);
			return;
		}
		add_occ(out, opt, eq ? eq + 1 : NULL, negated);
		return;
	}
	if (eq) {
		add_occ(out, opt, eq + 1, 0);
	} else if (*i < argc) {
		add_occ(out, opt, argv[*i], 0);
		(*i)++;
	} else {
		cli_usage_error(ctx, "--%s needs a value (%s)", opt->name,
				opt->metavar ? opt->metavar : "VALUE");
	}
}

void cli_parse_options(cli_ctx *ctx, cli_parsed *out, const cli_option *opts, size_t nopts,
		      int argc, char **argv, cli_explain_cb explain, void *payload)
{
	int i = 0;

	out->occ = NULL;
	out->count = 0;
	while (i < argc) {
		const char *a = argv[i];

		if (global_option(ctx, argc, argv, &i))
			continue;
		if (strcmp(a, "--") == 0) {
			i++;
			while (i < argc)
				cli_usage_error(ctx, "unexpected argument '%s'", argv[i++]);
			break;
		}
		if (strncmp(a, "--", 2) == 0) {
			long_option(ctx, out, opts, nopts, argc, argv, &i, explain, payload);
			continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_buf b = {0};

			where(ctx, &b);
			cli_usage_error(ctx, "unknown option %s (options are long: --name); "
				       "see '%s --help'.", a, b.s);
			cli_buf_free(&b);
		} else {
			cli_usage_error(ctx, "unexpected argument '%s'", a);
		}
		i++;
	}
}

void cli_parsed_free(cli_parsed *p)
{
	free(p->occ);
	p->occ = NULL;
	p->count = 0;
}

const char *cli_parsed_get(const cli_parsed *p, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < p->count; i++)
		if (strcmp(p->occ[i].opt->name, name) == 0)
			v = p->occ[i].value ? p->occ[i].value : "";
	return v;
}

int cli_parsed_flag(const cli_parsed *p, const char *name)
{
	int on = 0;
	size_t i;

	for (i = 0; i < p->count; i++)
		if (strcmp(p->occ[i].opt->name, name) == 0)
			on = !p->occ[i].negated;
	return on;
}

/* ---- help ------------------------------------------------------------ */

#define HELP_WIDTH 79
#define HELP_COLUMN 30

/* Write @text wrapped at HELP_WIDTH, continuation lines at @indent; the
 * cursor is at column @col. */
static void wrap(FILE *f, const char *text, size_t col, size_t indent)
{
	int first = 1;

	for (;;) {
		size_t wl;

		while (*text == ' ')
			text++;
		wl = strcspn(text, " ");
		if (!wl)
			break;
		if (!first) {
			if (col + 1 + wl > HELP_WIDTH) {
				fprintf(f, "\n%*s", (int)indent, "");
				col = indent;
			} else {
				fputc(' ', f);
				col++;
			}
		}
		fwrite(text, 1, wl, f);
		col += wl;
		text += wl;
		first = 0;
	}
	fputc('\n', f);
}

void cli_help_paragraph(FILE *f, const char *text)
{
	wrap(f, text, 0, 0);
}

void cli_help_line(FILE *f, const char *left, const char *help)
{
	size_t ll = strlen(left) + 2;

	fprintf(f, "  %s", left);
	if (!help || !*help) {
		fputc('\n', f);
		return;
	}
	if (ll + 2 > HELP_COLUMN) {
		fprintf(f, "\n%*s", HELP_COLUMN, "");
	} else {
		fprintf(f, "%*s", (int)(HELP_COLUMN - ll), "");
	}
	wrap(f, help, HELP_COLUMN, HELP_COLUMN);
}

void cli_help_usage(const cli_ctx *ctx, FILE *f, const char *synopsis)
{
	cli_buf b = {0};

	cli_buf_add(&b, "Usage: ");
	where(ctx, &b);
	if (synopsis && *synopsis)
		cli_buf_add(&b, " %s", synopsis);
	wrap(f, b.s, 0, 4);
	cli_buf_free(&b);
}

void cli_help_options(FILE *f, const char *title, const cli_option *opts, size_t n)
{
	size_t i;

	if (!n)
		return;
	fprintf(f, "\n%s:\n", title);
	for (i = 0; i < n; i++) {
		cli_buf left = {0};

		cli_buf_add(&left, "--%s", opts[i].name);
		if (opts[i].negatable)
			cli_buf_add(&left, ", --no-%s", opts[i].name);
		if (opts[i].metavar)
			cli_buf_add(&left, " %s", opts[i].metavar);
		cli_help_line(f, left.s, opts[i].help);
		cli_buf_free(&left);
	}
}

void cli_help_globals(FILE *f)
{
	fputs("\nGlobal options (accepted before or after the command):\n", f);
	cli_help_line(f, "--output table|json",
		      "output format: aligned columns (default) or compact canonical JSON");
	cli_help_line(f, "-h, --help", "show help for the program, a group or a command");
	cli_help_line(f, "--version", "print the program and library versions");
}

void cli_command_help(const cli_ctx *ctx, FILE *f, const char *synopsis,
		      const char *description, const cli_option *opts, size_t n)
{
	cli_help_usage(ctx, f, synopsis);
	if (description) {
		fputc('\n', f);
		wrap(f, description, 0, 0);
	}
	cli_help_options(f, "Options", opts, n);
	cli_help_globals(f);
	cli_help_exit_status(f);
}

void cli_help_exit_status(FILE *f)
{
	fputs("\nExit status: 0 success, 1 the operation failed, 2 usage or validation "
	      "error,\n3 the daemon cannot be reached.\n", f);
}

static void program_help(const cli_ctx *ctx, const cli_program *p, FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <group> <command> [options]\n\n", p->name);
	wrap(f, p->summary, 0, 0);
	fputs("\nGroups:\n", f);
	for (i = 0; i < p->ngroups; i++)
		cli_help_line(f, p->groups[i].name, p->groups[i].summary);
	cli_help_globals(f);
	fprintf(f, "\nRun '%s <group> --help' for a group's commands,\n"
		   "'%s <group> <command> --help' for a command's options.\n"
		   "See also man %s(1).\n", ctx->prog, ctx->prog, ctx->prog);
}

static void group_help(const cli_ctx *ctx, const cli_group *g, FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s %s <command> [options]\n\n", ctx->prog, g->name);
	wrap(f, g->summary, 0, 0);
	fputs("\nCommands:\n", f);
	for (i = 0; i < g->ncommands; i++)
		cli_help_line(f, g->commands[i].name, g->commands[i].summary);
	if (g->note) {
		fputc('\n', f);
		wrap(f, g->note, 0, 0);
	}
	cli_help_globals(f);
	fprintf(f, "\nRun '%s %s <command> --help' for a command's options.\n", ctx->prog,
		g->name);
}

/* ---- the command tree ------------------------------------------------ */

int cli_print_version(const cli_ctx *ctx)
{
	printf("%s %s (libbpci %s)\n", ctx->prog, BPCI_VERSION, bpci_version());
	return CLI_EXIT_OK;
}

static int unknown_word(cli_ctx *ctx, const char *word, const char *const *names, size_t n)
{
	const char *pick = cli_suggest(word, names, n);
	cli_buf b = {0};

	where(ctx, &b);
	if (pick)
		cli_usage_error(ctx, "unknown command '%s'; did you mean '%s'? See '%s --help'.",
				word, pick, b.s);
	else
		cli_usage_error(ctx, "unknown command '%s'; see '%s --help'.", word, b.s);
	cli_buf_free(&b);
	return CLI_EXIT_USAGE;
}

static const cli_group *find_group(cli_ctx *ctx, const cli_program *p, const char *word)
{
	const char **names = cli_xmalloc(p->ngroups * sizeof(*names));
	size_t i;

	for (i = 0; i < p->ngroups; i++) {
		if (strcmp(p->groups[i].name, word) == 0) {
			free(names);
			return &p->groups[i];
		}
		names[i] = p->groups[i].name;
	}
	unknown_word(ctx, word, names, p->ngroups);
	free(names);
	return NULL;
}

static const cli_command *find_command(cli_ctx *ctx, const cli_group *g, const char *word)
{
	const char **names = cli_xmalloc(g->ncommands * sizeof(*names));
	size_t i;

	for (i = 0; i < g->ncommands; i++) {
		if (strcmp(g->commands[i].name, word) == 0) {
			free(names);
			return &g->commands[i];
		}
		names[i] = g->commands[i].name;
	}
	unknown_word(ctx, word, names, g->ncommands);
	free(names);
	return NULL;
}

/* Nothing more to resolve: help, version, or a usage error. */
static int stop_early(cli_ctx *ctx, const cli_program *p, const cli_group *g,
		      const char *leftover)
{
	if (ctx->usage_errors)
		return CLI_EXIT_USAGE;
	if (ctx->help) {
		if (g)
			group_help(ctx, g, stdout);
		else
			program_help(ctx, p, stdout);
		return CLI_EXIT_OK;
	}
	if (ctx->version)
		return cli_print_version(ctx);
	if (leftover) {
		cli_buf b = {0};

		where(ctx, &b);
		cli_usage_error(ctx, "unknown option %s; see '%s --help'.", leftover, b.s);
		cli_buf_free(&b);
		return CLI_EXIT_USAGE;
	}
	cli_usage_error(ctx, "missing %s; see '%s%s%s --help'.", g ? "command" : "group",
			ctx->prog, g ? " " : "", g ? g->name : "");
	if (g)
		group_help(ctx, g, stderr);
	else
		program_help(ctx, p, stderr);
	return CLI_EXIT_USAGE;
}

int cli_main(const cli_program *p, int argc, char **argv)
{
	cli_ctx ctx = {0};
	const cli_group *g = NULL;
	const cli_command *c = NULL;
	int i = 1, rc;

	ctx.prog = p->name;
	while (i < argc && !c) {
		const char *a = argv[i];

		if (global_option(&ctx, argc, argv, &i))
			continue;
		if (a[0] == '-')
			return stop_early(&ctx, p, g, a);
		if (!g) {
			if (!(g = find_group(&ctx, p, a)))
				return CLI_EXIT_USAGE;
			ctx.group = g->name;
		} else {
			if (!(c = find_command(&ctx, g, a)))
				return CLI_EXIT_USAGE;
			ctx.command = c->name;
		}
		i++;
	}
	if (!c)
		return stop_early(&ctx, p, g, NULL);
	if (ctx.version && !ctx.help)
		return cli_print_version(&ctx);
	rc = c->run(&ctx, argc - i, argv + i);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(&ctx, "cannot write the output");
		return CLI_EXIT_FAILED;
	}
	return rc;
}

/* ---- tables ---------------------------------------------------------- */

void cli_table_init(cli_table *t, size_t ncols)
{
	t->ncols = ncols;
	t->cells = NULL;
	t->nrows = 0;
}

void cli_table_row(cli_table *t, const char *const *cells)
{
	size_t j;

	t->cells = cli_xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*t->cells));
	for (j = 0; j < t->ncols; j++)
		t->cells[t->nrows * t->ncols + j] = cli_xstrdup(cells[j] ? cells[j] : "-");
	t->nrows++;
}

void cli_table_print(const cli_table *t, FILE *f)
{
	size_t *w = cli_xmalloc(t->ncols * sizeof(*w)), r, j;

	for (j = 0; j < t->ncols; j++) {
		w[j] = 0;
		for (r = 0; r < t->nrows; r++) {
			size_t l = strlen(t->cells[r * t->ncols + j]);

			if (l > w[j])
				w[j] = l;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (j = 0; j < t->ncols; j++) {
			const char *cell = t->cells[r * t->ncols + j];

			if (j + 1 < t->ncols)
				fprintf(f, "%-*s  ", (int)w[j], cell);
			else
				fprintf(f, "%s\n", cell);
		}
	}
	free(w);
}

void cli_table_free(cli_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}
