/*
 * Shared front-end support for bpi-core and bpci-enterprise: the command
 * tree, option parsing, --help formatting, table output, exit statuses and
 * "did you mean" suggestions. Everything here is a client of <bpci.h>; no
 * engine logic lives in the CLI.
 */
#ifndef BPCI_CLI_H
#define BPCI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <bpci.h>

/* Documented exit statuses (see the EXIT STATUS section of the man pages). */
enum {
	CLI_EXIT_OK = 0,          /* success */
	CLI_EXIT_FAILED = 1,      /* the operation failed (I/O, out of memory) */
	CLI_EXIT_USAGE = 2,       /* usage or validation error */
	CLI_EXIT_UNREACHABLE = 3  /* the daemon cannot be reached */
};

typedef enum cli_output { CLI_OUTPUT_TABLE = 0, CLI_OUTPUT_JSON = 1 } cli_output;

/* State shared by every level of one invocation. */
typedef struct cli_ctx {
	const char *prog;      /* "bpi-core" */
	const char *group;     /* "node-coordinator", or NULL */
	const char *command;   /* "start-node", or NULL */
	cli_output output;
	int help;              /* --help or -h was given */
	int version;           /* --version was given */
	int usage_errors;      /* problems reported by the parser */
} cli_ctx;

/* How an option takes its argument. */
typedef enum cli_arity {
	CLI_SWITCH = 0,   /* --flag (and --no-flag when negatable) */
	CLI_VALUE,        /* --flag VALUE or --flag=VALUE; the last one wins */
	CLI_REPEAT        /* like CLI_VALUE, every occurrence counts */
} cli_arity;

typedef struct cli_option {
	const char *name;      /* long name without dashes */
	cli_arity arity;
	int negatable;         /* a switch that also has a --no-<name> form */
	const char *metavar;   /* "FILE"; NULL for switches */
	const char *help;      /* one line (may be long: it is wrapped) */
	const void *data;      /* caller's tag (a field descriptor, ...) */
} cli_option;

/* One option as it appeared on the command line. */
typedef struct cli_occurrence {
	const cli_option *opt;
	const char *value;     /* NULL for a switch */
	int negated;           /* --no-<name> */
} cli_occurrence;

typedef struct cli_parsed {
	cli_occurrence *occ;
	size_t count;
} cli_parsed;

/*
 * Explains an option the table does not know, e.g. a node-type parameter
 * given for another type. Returns a malloc'd message (the parser frees it)
 * or NULL for the default "unknown option" message with a suggestion.
 */
typedef char *(*cli_explain_cb)(const char *name, void *payload);

/*
 * Parse @argc/@argv (the words after the command) against @opts. The
 * global options (--output, --help/-h, --version) are recognised anywhere.
 * Every problem is printed on stderr and counted in ctx->usage_errors;
 * parsing continues so that the user sees all of them at once.
 * @out receives the occurrences in order; release with cli_parsed_free().
 * (Running out of memory ends the program with status 1.)
 */
void cli_parse_options(cli_ctx *ctx, cli_parsed *out, const cli_option *opts, size_t nopts,
		      int argc, char **argv, cli_explain_cb explain, void *payload);
void cli_parsed_free(cli_parsed *p);

/* The last value of option @name, or NULL; a switch gives "" when set. */
const char *cli_parsed_get(const cli_parsed *p, const char *name);
/* Non-zero when switch @name was given (and not negated last). */
int cli_parsed_flag(const cli_parsed *p, const char *name);

/* A command of a group. */
typedef struct cli_command {
	const char *name;
	const char *summary;   /* one line for the group's help */
	int (*run)(cli_ctx *ctx, int argc, char **argv);
} cli_command;

typedef struct cli_group {
	const char *name;
	const char *summary;
	const cli_command *commands;
	size_t ncommands;
	const char *note;      /* extra paragraph for the group's help, or NULL */
} cli_group;

typedef struct cli_program {
	const char *name;
	const char *summary;
	const cli_group *groups;
	size_t ngroups;
} cli_program;

/*
 * Resolve "<group> <command>" from argv (global options may come before,
 * between and after them), then hand the remaining words to the command.
 * Prints help and version itself. Returns the exit status.
 */
int cli_main(const cli_program *prog, int argc, char **argv);

/* Print "prog: message" on stderr. */
void cli_error(const cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report a usage problem (cli_error + count it); returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print every diagnostic's text on stderr, one per line, prefixed with
 * "prog: " when @ctx is not NULL (entries without a file location). */
void cli_print_diag(const cli_ctx *ctx, const bpci_diag *diag);
/* Map a libbpci error code to an exit status: I/O, memory and unknown
 * failures are 1, unreachable daemons 3, everything else 2. */
int cli_exit_for(int code);

/* --help formatting. */
void cli_help_usage(const cli_ctx *ctx, FILE *f, const char *synopsis);
void cli_help_options(FILE *f, const char *title, const cli_option *opts, size_t n);
void cli_help_globals(FILE *f);
void cli_help_exit_status(FILE *f);
/* A paragraph wrapped to the help width. */
void cli_help_paragraph(FILE *f, const char *text);
/* Print "prog VERSION (libbpci VERSION)"; returns CLI_EXIT_OK. */
int cli_print_version(const cli_ctx *ctx);
/* "  --name META  help", with help wrapped and indented. */
void cli_help_line(FILE *f, const char *left, const char *help);

/* Print a command's help (usage, summary, options and global options). */
void cli_command_help(const cli_ctx *ctx, FILE *f, const char *synopsis,
		      const char *description, const cli_option *opts, size_t n);

/* Levenshtein distance, case-insensitive. */
size_t cli_edit_distance(const char *a, const char *b);
/* The candidate closest to @word if close enough to be a typo, else NULL. */
const char *cli_suggest(const char *word, const char *const *candidates, size_t n);

/* A growable string (for messages and table cells). */
typedef struct cli_buf {
	char *s;
	size_t len, cap;
} cli_buf;
void cli_buf_add(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand over the string (never NULL; "" when empty); the buffer is reset. */
char *cli_buf_take(cli_buf *b);
void cli_buf_free(cli_buf *b);

/* A table printed with aligned columns. */
typedef struct cli_table {
	size_t ncols;
	char **cells;   /* row-major; owned */
	size_t nrows;
} cli_table;
void cli_table_init(cli_table *t, size_t ncols);
/* Add one row of ncols cells (copied; NULL prints as "-"). */
void cli_table_row(cli_table *t, const char *const *cells);
void cli_table_print(const cli_table *t, FILE *f);
void cli_table_free(cli_table *t);

/* Out-of-memory in the CLI itself: print and exit 1. */
void *cli_xmalloc(size_t n);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);

#endif
