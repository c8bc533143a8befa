/*
 * bpci-enterprise audit ... and ledger ...: the audit ledger from the
 * command line. Read commands open the ledger read-only and never create
 * one; commands that write take the writer's lock and say so when a daemon
 * already holds it.
 */
#include "audit.h"
#include "cluster.h"
#include "ship_watch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_PROOF 128
#define FOLLOW_MS 200

/* ---- where the ledger is ---------------------------------------------- */

#define LEDGER_OPT \
	{"ledger", CLI_VALUE, 0, "DIR", "the ledger directory (default: <state dir>/ledger)", NULL}
#define STATE_OPT                                                                     \
	{"state-dir", CLI_VALUE, 0, "DIR",                                            \
	 "the state directory (default: $BPCI_STATE_DIR, else /var/lib/bpci for root, " \
	 "else $XDG_STATE_HOME/bpci or ~/.local/state/bpci)", NULL}

/* --ledger, else <state dir>/ledger as DESIGN.md resolves the state dir. */
static char *ledger_dir(const cli_parsed *p)
{
	const char *l = cli_parsed_get(p, "ledger"), *s = cli_parsed_get(p, "state-dir"), *x;
	cli_buf b = {0};

	if (l)
		return cli_xstrdup(l);
	if (s && *s)
		cli_buf_add(&b, "%s/ledger", s);
	else if ((x = getenv("BPCI_STATE_DIR")) && *x)
		cli_buf_add(&b, "%s/ledger", x);
	else if (geteuid() == 0)
		cli_buf_add(&b, "/var/lib/bpci/ledger");
	else if ((x = getenv("XDG_STATE_HOME")) && *x)
		cli_buf_add(&b, "%s/bpci/ledger", x);
	else
		cli_buf_add(&b, "%s/.local/state/bpci/ledger", getenv("HOME") ? getenv("HOME") : ".");
	return cli_buf_take(&b);
}

static bpci_diag *new_diag(const cli_ctx *ctx)
{
	bpci_diag *d = NULL;

	if (bpci_diag_new(&d) != 0) {
		cli_error(ctx, "out of memory");
		exit(CLI_EXIT_FAILED);
	}
	return d;
}

/* Reports a failed open; a missing ledger or a busy one is a failure (1),
 * not a usage error. */
static int open_failed(const cli_ctx *ctx, const char *dir, int rc, const bpci_diag *d)
{
	if (rc == BPCI_ENOTFOUND) {
		cli_error(ctx, "no ledger at %s (give --ledger DIR or --state-dir DIR)", dir);
		return CLI_EXIT_FAILED;
	}
	if (rc == BPCI_EBUSY) {
		cli_error(ctx, "the ledger at %s is locked by a writer: the daemon owns the "
			       "ledger (audit append through the daemon's API comes with the "
			       "cluster manager)", dir);
		return CLI_EXIT_FAILED;
	}
	cli_print_diag(ctx, d);
	cli_error(ctx, "cannot open the ledger at %s: %s", dir, bpci_strerror(rc));
	return rc == BPCI_EINVAL || rc == BPCI_EUNSUPPORTED ? CLI_EXIT_FAILED : cli_exit_for(rc);
}

/* open_ledger() flag: a missing ledger is created (audit append only). */
#define OPEN_CREATE 0x100u

static int try_open(bpci_ledger **l, const char *dir, unsigned flags, bpci_diag *d)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;

	o.flags = flags & OPEN_CREATE ? flags & ~OPEN_CREATE : flags | BPCI_LEDGER_NO_CREATE;
	o.actor = "bpci-enterprise";
	o.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	return bpci_ledger_open(l, dir, &o, d);
}

/* Opens read-only (@flags 0 means writable without creating). */
static int open_ledger(const cli_ctx *ctx, bpci_ledger **l, const char *dir, unsigned flags)
{
	bpci_diag *d = new_diag(ctx);
	int rc = try_open(l, dir, flags, d);

	if (rc != 0)
		rc = open_failed(ctx, dir, rc, d);
	bpci_diag_free(d);
	return rc;
}

/* Parse, answer --help/--version, check required options. -1: go on. */
static int prologue(cli_ctx *ctx, cli_parsed *p, const cli_option *opts, size_t n, int argc,
		    char **argv, const char *synopsis, const char *desc,
		    const char *const *required)
{
	size_t i;

	cli_parse_options(ctx, p, opts, n, argc, argv, NULL, NULL);
	if (ctx->help) {
		cli_command_help(ctx, stdout, synopsis, desc, opts, n);
		return CLI_EXIT_OK;
	}
	if (ctx->version)
		return cli_print_version(ctx);
	for (i = 0; required && required[i]; i++)
		if (!cli_parsed_get(p, required[i]))
			cli_usage_error(ctx, "%s needs --%s; see '%s %s %s --help'.", ctx->command,
					required[i], ctx->prog, ctx->group, ctx->command);
	return ctx->usage_errors ? CLI_EXIT_USAGE : -1;
}

/* A decimal option; -1 after a usage error. */
static int opt_u64(cli_ctx *ctx, const cli_parsed *p, const char *name, uint64_t *out)
{
	const char *v = cli_parsed_get(p, name), *c;
	uint64_t x = 0;

	if (v == NULL)
		return 0;
	for (c = v; *c; c++) {
		if (*c < '0' || *c > '9' || x > (UINT64_MAX - 9) / 10) {
			cli_usage_error(ctx, "--%s must be a whole number >= 0, got '%s'", name, v);
			return -1;
		}
		x = x * 10 + (uint64_t)(*c - '0');
	}
	if (*v == '\0') {
		cli_usage_error(ctx, "--%s must be a whole number >= 0, got ''", name);
		return -1;
	}
	*out = x;
	return 0;
}

static void hex(char out[65], const uint8_t h[32])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = '\0';
}

/* A JSON string literal of UTF-8 @s. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- SIGINT for the following commands -------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
}

/* Waits until the ledger directory changes (inotify) or FOLLOW_MS pass;
 * the timer covers file systems without inotify. */
static void wait_for_change(int ifd)
{
	struct pollfd pfd = {ifd, POLLIN, 0};
	char buf[4096];

	if (ifd < 0) {
		poll(NULL, 0, FOLLOW_MS);
		return;
	}
	if (poll(&pfd, 1, FOLLOW_MS) > 0)
		while (read(ifd, buf, sizeof(buf)) > 0)
			;
}

static int watch_dir(const char *dir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ---- audit log -------------------------------------------------------- */

static const cli_option log_opts[] = {
	{"since", CLI_VALUE, 0, "N", "start at entry N (default 0)", NULL},
	{"follow", CLI_SWITCH, 0, NULL, "keep printing new entries until interrupted", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static int print_entry(uint64_t seq, const char *entry, size_t len, void *payload)
{
	const cli_ctx *ctx = payload;
	bpci_ledger_entry_info e;

	if (ctx->output == CLI_OUTPUT_JSON) {
		fwrite(entry, 1, len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	if (bpci_ledger_entry_parse(&e, entry, len) != 0) {
		printf("%llu  (unreadable entry)\n", (unsigned long long)seq);
		return 0;
	}
	printf("%llu  %s  %s  %s  %s\n", (unsigned long long)e.seq, e.time, e.type,
	       *e.subject ? e.subject : "-", e.details);
	bpci_ledger_entry_info_clear(&e);
	return 0;
}

static int follow_log(cli_ctx *ctx, bpci_ledger *l, const char *dir, uint64_t next)
{
	int ifd = watch_dir(dir), rc = 0;

	catch_interrupts();
	while (!interrupted) {
		fflush(stdout);
		wait_for_change(ifd);
		if (interrupted)
			break;
		if ((rc = bpci_ledger_refresh(l, NULL)) != 0)
			break;
		if (bpci_ledger_size(l) > next) {
			rc = bpci_ledger_foreach(l, next, print_entry, ctx);
			if (rc != 0)
				break;
			next = bpci_ledger_size(l);
		}
	}
	if (ifd >= 0)
		close(ifd);
	if (rc != 0)
		cli_error(ctx, "cannot follow the ledger: %s", bpci_strerror(rc));
	return rc ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

static int cmd_log(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger *l = NULL;
	uint64_t since = 0, size;
	cli_parsed p;
	char *dir = NULL;
	int status, rc;

	status = prologue(ctx, &p, log_opts, NELEM(log_opts), argc, argv,
			  "[--since N] [--follow] [--ledger DIR]",
			  "Print the ledger's entries, one per line: seq, time, type, subject "
			  "and details. With --output json, each line is the entry's exact "
			  "bytes. --follow keeps printing new entries until interrupted.",
			  NULL);
	if (status >= 0)
		goto out;
	if (opt_u64(ctx, &p, "since", &since) < 0) {
		status = CLI_EXIT_USAGE;
		goto out;
	}
	dir = ledger_dir(&p);
	if ((status = open_ledger(ctx, &l, dir, BPCI_LEDGER_READONLY)) != 0)
		goto out;
	size = bpci_ledger_size(l);
	rc = since < size ? bpci_ledger_foreach(l, since, print_entry, ctx) : 0;
	if (rc != 0) {
		cli_error(ctx, "cannot read the ledger: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
	} else if (cli_parsed_flag(&p, "follow")) {
		status = follow_log(ctx, l, dir, since > size ? since : size);
	}
out:
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- audit verify ----------------------------------------------------- */

static const cli_option verify_opts[] = {
	LEDGER_OPT,
	STATE_OPT,
	{"key", CLI_VALUE, 0, "VKEY",
	 "verifier key the checkpoints must be signed with (default: the ledger's own)",
	 NULL},
};

static int verify_progress(uint64_t done, uint64_t total, void *payload)
{
	(void)payload;
	if (total >= 65536)
		fprintf(stderr, "verified %llu of %llu entries\n", (unsigned long long)done,
			(unsigned long long)total);
	return 0;
}

static int cmd_verify(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger_verify_options vo = BPCI_LEDGER_VERIFY_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	bpci_diag *d = NULL;
	cli_parsed p;
	char *dir = NULL;
	int status, rc;

	status = prologue(ctx, &p, verify_opts, NELEM(verify_opts), argc, argv,
			  "[--state-dir DIR | --ledger DIR] [--key VKEY]",
			  "Recompute every leaf and the whole tree from the segments, and check "
			  "every checkpoint's signature and that it is consistent with the "
			  "previous one. Exit status 1 names the first bad entry or checkpoint.",
			  NULL);
	if (status >= 0)
		goto out;
	dir = ledger_dir(&p);
	if ((status = open_ledger(ctx, &l, dir, BPCI_LEDGER_READONLY)) != 0)
		goto out;
	vo.vkey = cli_parsed_get(&p, "key");
	d = new_diag(ctx);
	rc = bpci_ledger_verify(dir, &vo, d, verify_progress, NULL);
	cli_print_diag(ctx, d);
	if (rc != 0) {
		if (ctx->output == CLI_OUTPUT_JSON) { /* a machine reads stdout */
			printf("{\"verified\":false,\"error\":");
			json_str(stdout, bpci_diag_last_text(d));
			printf("}\n");
		}
		if (rc == BPCI_EVERIFY)
			cli_error(ctx, "verification failed");
		else
			cli_error(ctx, "verification failed: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
		goto out;
	}
	if (ctx->output == CLI_OUTPUT_JSON)
		printf("{\"verified\":true,\"entries\":%llu,\"checkpoints\":%llu}\n",
		       (unsigned long long)bpci_ledger_size(l),
		       (unsigned long long)bpci_ledger_checkpoint_count(l));
	else
		printf("%llu entries, %llu checkpoints verified\n",
		       (unsigned long long)bpci_ledger_size(l),
		       (unsigned long long)bpci_ledger_checkpoint_count(l));
out:
	bpci_diag_free(d);
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- audit checkpoint / public-key ------------------------------------ */

static const cli_option checkpoint_opts[] = {
	{"new", CLI_SWITCH, 0, NULL,
	 "sign a checkpoint of the current tree now (needs the writer's lock)", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static int print_note(const cli_ctx *ctx, bpci_ledger *l, const char *note)
{
	uint8_t root[32];
	uint64_t size = 0;
	char *vkey = NULL, h[65];
	int rc;

	if (ctx->output != CLI_OUTPUT_JSON) {
		fputs(note, stdout);
		return CLI_EXIT_OK;
	}
	rc = bpci_ledger_public_key(&vkey, NULL, l);
	if (rc == 0)
		rc = bpci_ledger_checkpoint_verify(&size, root, note, vkey, NULL);
	bpci_free(vkey);
	if (rc != 0) {
		cli_error(ctx, "the latest checkpoint does not verify: %s", bpci_strerror(rc));
		return CLI_EXIT_FAILED;
	}
	hex(h, root);
	printf("{\"size\":%llu,\"root\":\"%s\",\"checkpoint\":", (unsigned long long)size, h);
	json_str(stdout, note);
	printf("}\n");
	return CLI_EXIT_OK;
}

static int cmd_checkpoint(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger *l = NULL;
	bpci_diag *d = NULL;
	cli_parsed p;
	char *dir = NULL, *note = NULL;
	int status, rc, sign;

	status = prologue(ctx, &p, checkpoint_opts, NELEM(checkpoint_opts), argc, argv,
			  "[--new] [--ledger DIR]",
			  "Print the latest signed checkpoint (a C2SP signed note: origin, tree "
			  "size, base64 root, signature). --new signs one of the current tree "
			  "first, when no daemon holds the ledger.",
			  NULL);
	if (status >= 0)
		goto out;
	dir = ledger_dir(&p);
	sign = cli_parsed_flag(&p, "new");
	if ((status = open_ledger(ctx, &l, dir, sign ? 0 : BPCI_LEDGER_READONLY)) != 0)
		goto out;
	d = new_diag(ctx);
	rc = sign ? bpci_ledger_checkpoint(&note, l, d) : bpci_ledger_latest_checkpoint(&note, l);
	if (rc == BPCI_ENOTFOUND) {
		cli_error(ctx, "the ledger at %s has no checkpoint yet (sign one with --new)", dir);
		status = CLI_EXIT_FAILED;
	} else if (rc != 0) {
		cli_print_diag(ctx, d);
		cli_error(ctx, "cannot get a checkpoint: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
	} else {
		status = print_note(ctx, l, note);
	}
out:
	bpci_free(note);
	bpci_diag_free(d);
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

static const cli_option ledger_only_opts[] = {
	LEDGER_OPT,
	STATE_OPT,
};

static int cmd_public_key(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger *l = NULL;
	cli_parsed p;
	uint8_t raw[32];
	char *dir = NULL, *vkey = NULL, h[65];
	int status, rc;

	status = prologue(ctx, &p, ledger_only_opts, NELEM(ledger_only_opts), argc, argv,
			  "[--ledger DIR]",
			  "Print the checkpoint verifier key "
			  "(<origin>+<key id>+<base64(0x01 || Ed25519 public key)>).",
			  NULL);
	if (status >= 0)
		goto out;
	dir = ledger_dir(&p);
	if ((status = open_ledger(ctx, &l, dir, BPCI_LEDGER_READONLY)) != 0)
		goto out;
	if ((rc = bpci_ledger_public_key(&vkey, raw, l)) != 0) {
		cli_error(ctx, "cannot read the ledger's key: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
		goto out;
	}
	hex(h, raw);
	if (ctx->output == CLI_OUTPUT_JSON) {
		printf("{\"vkey\":");
		json_str(stdout, vkey);
		printf(",\"ed25519\":\"%s\"}\n", h);
	} else {
		printf("%s\n", vkey);
	}
out:
	bpci_free(vkey);
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- audit proof / consistency ---------------------------------------- */

static void print_path(const cli_ctx *ctx, const uint8_t *path, size_t n)
{
	char h[65];
	size_t i;

	if (ctx->output == CLI_OUTPUT_JSON) {
		printf("\"path\":[");
		for (i = 0; i < n; i++) {
			hex(h, path + 32 * i);
			printf("%s\"%s\"", i ? "," : "", h);
		}
		printf("]}\n");
		return;
	}
	for (i = 0; i < n; i++) {
		hex(h, path + 32 * i);
		printf("path %s\n", h);
	}
}

/* What tells the two proof commands apart: their two numbers (option and
 * output names), how the numbers are checked against the ledger, and which
 * proof and hashes are made. The rest (parsing, opening, printing) is one. */
typedef struct proof_kind {
	const cli_option *opts;
	size_t nopts;
	const char *const *required;
	const char *usage, *desc;
	const char *a, *b;       /* the numbers' option and output names */
	const char *ha, *hb;     /* the two hashes' output names */
	/* 0 when a and b fit a ledger of @have entries (b defaults to @have) */
	int (*check)(cli_ctx *ctx, uint64_t a, uint64_t b, uint64_t have);
	int (*make)(uint8_t *path, size_t *n, uint8_t h1[32], uint8_t h2[32], bpci_ledger *l,
		    uint64_t a, uint64_t b);
} proof_kind;

static int run_proof(cli_ctx *ctx, int argc, char **argv, const proof_kind *k)
{
	static uint8_t path[MAX_PROOF * 32];
	bpci_ledger *l = NULL;
	uint8_t h1[32], h2[32];
	uint64_t a = 0, b = 0;
	size_t n = MAX_PROOF;
	cli_parsed p;
	char *dir = NULL, x1[65], x2[65];
	int status, rc;

	status = prologue(ctx, &p, k->opts, k->nopts, argc, argv, k->usage, k->desc, k->required);
	if (status >= 0)
		goto out;
	if (opt_u64(ctx, &p, k->a, &a) < 0 || opt_u64(ctx, &p, k->b, &b) < 0) {
		status = CLI_EXIT_USAGE;
		goto out;
	}
	dir = ledger_dir(&p);
	if ((status = open_ledger(ctx, &l, dir, BPCI_LEDGER_READONLY)) != 0)
		goto out;
	if (!cli_parsed_get(&p, k->b))
		b = bpci_ledger_size(l);
	if ((status = k->check(ctx, a, b, bpci_ledger_size(l))) != 0)
		goto out;
	rc = k->make(path, &n, h1, h2, l, a, b);
	if (rc != 0) {
		cli_error(ctx, "cannot make the proof: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
		goto out;
	}
	hex(x1, h1);
	hex(x2, h2);
	if (ctx->output == CLI_OUTPUT_JSON)
		printf("{\"%s\":%llu,\"%s\":%llu,\"%s\":\"%s\",\"%s\":\"%s\",", k->a,
		       (unsigned long long)a, k->b, (unsigned long long)b, k->ha, x1, k->hb, x2);
	else
		printf("%s %llu\n%s %llu\n%s %s\n%s %s\n", k->a, (unsigned long long)a, k->b,
		       (unsigned long long)b, k->ha, x1, k->hb, x2);
	print_path(ctx, path, n);
out:
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

static const cli_option proof_opts[] = {
	{"index", CLI_VALUE, 0, "I", "the entry (leaf index) to prove. Required.", NULL},
	{"size", CLI_VALUE, 0, "N", "the tree size to prove it in (default: the current size)",
	 NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static int check_inclusion(cli_ctx *ctx, uint64_t index, uint64_t size, uint64_t have)
{
	if (size <= have && index < size)
		return 0;
	return cli_usage_error(ctx, "--index must be below --size (%llu) and --size at most the "
				    "ledger's size %llu, got index %llu",
			       (unsigned long long)size, (unsigned long long)have,
			       (unsigned long long)index);
}

static int make_inclusion(uint8_t *path, size_t *n, uint8_t leaf[32], uint8_t root[32],
			  bpci_ledger *l, uint64_t index, uint64_t size)
{
	int rc = bpci_ledger_inclusion_proof(path, n, l, index, size);

	if (rc == 0)
		rc = bpci_ledger_leaf_hash(leaf, l, index);
	return rc == 0 ? bpci_ledger_root(root, l, size) : rc;
}

static int cmd_proof(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"index", NULL};
	static const proof_kind k = {
		proof_opts, NELEM(proof_opts), required, "--index I [--size N] [--ledger DIR]",
		"Print the RFC 6962 inclusion proof of entry I in the tree of size N: its leaf "
		"hash, the root, and the audit path, in hex.",
		"index", "size", "leaf_hash", "root", check_inclusion, make_inclusion};

	return run_proof(ctx, argc, argv, &k);
}

static const cli_option consistency_opts[] = {
	{"from", CLI_VALUE, 0, "M", "the older tree size (>= 1). Required.", NULL},
	{"to", CLI_VALUE, 0, "N", "the newer tree size (M..ledger size). Required.", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static int check_consistency(cli_ctx *ctx, uint64_t from, uint64_t to, uint64_t have)
{
	if (from != 0 && from <= to && to <= have)
		return 0;
	return cli_usage_error(ctx, "--from and --to must satisfy 1 <= from <= to <= %llu (the "
				    "ledger's size), got from %llu to %llu",
			       (unsigned long long)have, (unsigned long long)from,
			       (unsigned long long)to);
}

static int make_consistency(uint8_t *path, size_t *n, uint8_t r1[32], uint8_t r2[32],
			    bpci_ledger *l, uint64_t from, uint64_t to)
{
	int rc = bpci_ledger_consistency_proof(path, n, l, from, to);

	if (rc == 0)
		rc = bpci_ledger_root(r1, l, from);
	return rc == 0 ? bpci_ledger_root(r2, l, to) : rc;
}

static int cmd_consistency(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"from", "to", NULL};
	static const proof_kind k = {
		consistency_opts, NELEM(consistency_opts), required,
		"--from M --to N [--ledger DIR]",
		"Print the RFC 6962 consistency proof between the trees of sizes M and N: both "
		"roots and the proof's hashes, in hex.",
		"from", "to", "root_from", "root_to", check_consistency, make_consistency};

	return run_proof(ctx, argc, argv, &k);
}

/* ---- audit export ----------------------------------------------------- */

static int export_entry(uint64_t seq, const char *entry, size_t len, void *payload)
{
	(void)seq;
	(void)payload;
	fwrite(entry, 1, len, stdout);
	return fputc('\n', stdout) == EOF ? BPCI_EIO : 0;
}

static int cmd_export(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger *l = NULL;
	cli_parsed p;
	char *dir = NULL;
	int status, rc;

	status = prologue(ctx, &p, ledger_only_opts, NELEM(ledger_only_opts), argc, argv,
			  "[--ledger DIR]",
			  "Print every entry, one per line, exactly the bytes hashed into its "
			  "leaf (SHA-256(0x00 || line)), so that anyone can recompute the tree "
			  "with an independent implementation. --output json prints the same.",
			  NULL);
	if (status >= 0)
		goto out;
	dir = ledger_dir(&p);
	if ((status = open_ledger(ctx, &l, dir, BPCI_LEDGER_READONLY)) != 0)
		goto out;
	rc = bpci_ledger_foreach(l, 0, export_entry, NULL);
	if (rc == 0 && fflush(stdout) != 0)
		rc = BPCI_EIO;
	if (rc != 0) {
		cli_error(ctx, "cannot export the ledger: %s", bpci_strerror(rc));
		status = CLI_EXIT_FAILED;
	}
out:
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- audit append ----------------------------------------------------- */

static const cli_option append_opts[] = {
	{"event", CLI_VALUE, 0, "TYPE",
	 "a dotted event type (node.started, audit.custom, ...); a plain name such as "
	 "port_allocation is recorded as an audit.custom entry with that subject. Required.",
	 NULL},
	{"details", CLI_VALUE, 0, "TEXT", "the event's details (a string)", NULL},
	{"subject", CLI_VALUE, 0, "TEXT", "what the event is about (dotted types only)", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

/* A running daemon (coordinator or cluster manager) holds the ledger in
 * its state directory: when DIR/api.url says one runs there, append
 * through its POST /api/audit (an audit.custom entry with the event as
 * its subject). -1 when no daemon runs there, else the exit status. */
static int append_through_daemon(cli_ctx *ctx, const char *ledger, const bpci_ledger_event *ev)
{
	char *state = cli_xstrdup(ledger), *slash = strrchr(state, '/'), *resp = NULL;
	char url[4200];
	cli_buf body = {0};
	int status = -1;

	if (slash)
		*slash = '\0';
	snprintf(url, sizeof(url), "%s/api.url", state);
	if (slash && access(url, F_OK) == 0) {
		cli_buf_add(&body, "{\"event\":");
		cluster_json_str(&body, ev->subject ? ev->subject : ev->type);
		cli_buf_add(&body, ",\"details\":");
		cluster_json_str(&body, ev->details_text);
		cli_buf_add(&body, "}");
		status = cluster_fetch_at(ctx, state, NULL, NULL, "POST", "/api/audit",
					  body.s, &resp);
		if (status == CLI_EXIT_OK)
			printf("%s\n", ctx->output == CLI_OUTPUT_JSON
						? resp
						: "appended through the daemon that holds the ledger");
		bpci_free(resp);
		cli_buf_free(&body);
	}
	free(state);
	return status;
}

static int cmd_append(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"event", NULL};
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	bpci_ledger *l = NULL;
	bpci_diag *d = NULL;
	uint64_t seq = 0;
	cli_parsed p;
	char *dir = NULL, *entry = NULL;
	const char *event;
	int status, rc;

	status = prologue(ctx, &p, append_opts, NELEM(append_opts), argc, argv,
			  "--event TYPE [--details TEXT] [--subject TEXT] [--ledger DIR]",
			  "Append one event to the ledger durably (the original's "
			  "audit_to_bpi), creating the ledger when there is none. When a daemon "
			  "(coordinator or cluster manager) runs on the state directory, it "
			  "holds the ledger and the event goes through its API (POST "
			  "/api/audit, an audit.custom entry); --ledger DIR always appends "
			  "directly.",
			  required);
	if (status >= 0)
		goto out;
	event = cli_parsed_get(&p, "event");
	ev.actor = "bpci-enterprise";
	ev.details_text = cli_parsed_get(&p, "details") ? cli_parsed_get(&p, "details") : "";
	if (strchr(event, '.')) {
		ev.type = event;
		ev.subject = cli_parsed_get(&p, "subject");
	} else {
		ev.type = "audit.custom";
		ev.subject = event;
	}
	dir = ledger_dir(&p);
	if (!cli_parsed_get(&p, "ledger") && (status = append_through_daemon(ctx, dir, &ev)) >= 0)
		goto out;
	if ((status = open_ledger(ctx, &l, dir, OPEN_CREATE)) != 0)
		goto out;
	d = new_diag(ctx);
	rc = bpci_ledger_append(&seq, l, &ev, d);
	cli_print_diag(ctx, d);
	if (rc != 0) {
		cli_error(ctx, "cannot append: %s", bpci_strerror(rc));
		status = cli_exit_for(rc);
		goto out;
	}
	if (ctx->output == CLI_OUTPUT_JSON && bpci_ledger_get(&entry, NULL, l, seq, NULL) == 0)
		printf("%s\n", entry);
	else
		printf("appended entry %llu\n", (unsigned long long)seq);
out:
	bpci_free(entry);
	bpci_diag_free(d);
	bpci_ledger_free(l);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- audit repair ----------------------------------------------------- */

static const cli_option repair_opts[] = {
	LEDGER_OPT,
	STATE_OPT,
	{"dry-run", CLI_SWITCH, 0, NULL, "say what would be cut; change nothing", NULL},
	{"force", CLI_SWITCH, 0, NULL,
	 "cut even below a signed checkpoint or a snapshot (they go to side files)", NULL},
};

static void repair_json(const bpci_ledger_repair_report *r, int dry)
{
	printf("{\"damaged\":%s,\"dry_run\":%s,\"cut\":%s,\"rebuilt\":%s",
	       r->damaged ? "true" : "false", dry ? "true" : "false", r->cut ? "true" : "false",
	       r->rebuilt ? "true" : "false");
	if (r->damaged) {
		printf(",\"segment\":");
		json_str(stdout, r->segment);
		printf(",\"offset\":%llu,\"damage\":", (unsigned long long)r->offset);
		json_str(stdout, r->damage);
		printf(",\"first_cut\":%llu,\"last_seen\":%llu,\"bytes\":%llu,"
		       "\"in_flight\":%s,\"checkpoint_size\":%llu,\"checkpoints_cut\":%llu,"
		       "\"snapshot_size\":%llu,\"snapshots_cut\":%llu,\"segments_cut\":%llu,"
		       "\"kept\":",
		       (unsigned long long)r->first_cut, (unsigned long long)r->last_seen,
		       (unsigned long long)r->bytes, r->in_flight ? "true" : "false",
		       (unsigned long long)r->checkpoint_size,
		       (unsigned long long)r->checkpoints_cut, (unsigned long long)r->snapshot_size,
		       (unsigned long long)r->snapshots_cut, (unsigned long long)r->segments_cut);
		json_str(stdout, r->kept);
	}
	printf("}\n");
}

static void repair_text(const bpci_ledger_repair_report *r, int dry)
{
	if (!r->damaged) {
		printf("no damaged record: nothing to cut\n");
		if (r->rebuilt)
			printf("tree cache and index rebuilt from the segments\n");
		return;
	}
	printf("%s at offset %llu: entry %llu: %s\n", r->segment, (unsigned long long)r->offset,
	       (unsigned long long)r->first_cut, r->damage);
	printf("%s entries from %llu on (complete ones seen up to %llu), %llu bytes%s\n",
	       r->cut ? "cut" : "would cut", (unsigned long long)r->first_cut,
	       (unsigned long long)r->last_seen, (unsigned long long)r->bytes,
	       r->in_flight ? "; never acknowledged (an open cuts this itself)" : "");
	if (r->checkpoint_size > r->first_cut || r->snapshot_size > r->first_cut)
		printf("below what was acknowledged: the largest checkpoint covers %llu entries, "
		       "the largest snapshot %llu%s\n", (unsigned long long)r->checkpoint_size,
		       (unsigned long long)r->snapshot_size,
		       r->cut ? "" : "; the cut needs --force (it sets them aside in side files)");
	if (r->cut)
		printf("kept: %s; %llu later segment(s) renamed to segment-N.log.torn-0, %llu "
		       "checkpoint(s) to checkpoints.torn-OFFSET, %llu snapshot(s) to "
		       "snapshots/NAME.snap.torn-SIZE\n",
		       r->kept[0] ? r->kept : "nothing (the cut bytes were all zeros)",
		       (unsigned long long)r->segments_cut, (unsigned long long)r->checkpoints_cut,
		       (unsigned long long)r->snapshots_cut);
	else if (dry)
		printf("dry run: nothing changed\n");
	if (r->rebuilt)
		printf("tree cache and index rebuilt from the segments\n");
}

static int cmd_repair(cli_ctx *ctx, int argc, char **argv)
{
	bpci_ledger_repair_report r = BPCI_LEDGER_REPAIR_REPORT_INIT;
	bpci_diag *d = NULL;
	cli_parsed p;
	char *dir = NULL;
	unsigned flags = 0;
	int status, rc;

	status = prologue(ctx, &p, repair_opts, NELEM(repair_opts), argc, argv,
			  "[--state-dir DIR | --ledger DIR] [--dry-run] [--force]",
			  "Cut the ledger back to the entry before its first damaged record, "
			  "for damage that opening the ledger refuses to cut, then rebuild the "
			  "tree cache and the index from the segments. The cut bytes are kept in "
			  "side files (segment-N.log.torn-OFFSET). A cut below a signed "
			  "checkpoint or a snapshot needs --force. Stop the daemon first.",
			  NULL);
	if (status >= 0)
		goto out;
	if (cli_parsed_flag(&p, "dry-run"))
		flags |= BPCI_LEDGER_REPAIR_DRY_RUN;
	if (cli_parsed_flag(&p, "force"))
		flags |= BPCI_LEDGER_REPAIR_FORCE;
	dir = ledger_dir(&p);
	d = new_diag(ctx);
	rc = bpci_ledger_repair(&r, dir, flags, d);
	if (rc == 0 || (rc == BPCI_EINVAL && r.damaged)) {
		if (ctx->output == CLI_OUTPUT_JSON)
			repair_json(&r, (flags & BPCI_LEDGER_REPAIR_DRY_RUN) != 0);
		else
			repair_text(&r, (flags & BPCI_LEDGER_REPAIR_DRY_RUN) != 0);
	}
	cli_print_diag(ctx, d);
	if (rc != 0) {
		cli_error(ctx, "repair of %s %s: %s", dir, rc == BPCI_EINVAL ? "refused" : "failed",
			  bpci_strerror(rc));
		status = CLI_EXIT_FAILED; /* as a failed open of the other commands */
	} else {
		status = CLI_EXIT_OK;
	}
out:
	bpci_diag_free(d);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

const cli_command cli_audit_commands[CLI_AUDIT_NCOMMANDS] = {
	{"log", "print the entries (--since N, --follow)", cmd_log},
	{"verify", "check every entry, the tree and every checkpoint", cmd_verify},
	{"checkpoint", "print the latest signed checkpoint (--new signs one)", cmd_checkpoint},
	{"proof", "inclusion proof of an entry (--index I [--size N])", cmd_proof},
	{"consistency", "consistency proof between two sizes (--from M --to N)",
	 cmd_consistency},
	{"export", "every entry's exact bytes, one per line", cmd_export},
	{"public-key", "the checkpoint verifier key", cmd_public_key},
	{"append", "append an event directly (--event TYPE --details TEXT)", cmd_append},
	{"repair", "cut back damage an open refuses to cut (--dry-run, --force)", cmd_repair},
};

const char cli_audit_note[] =
	"The ledger is --ledger DIR, else <state dir>/ledger, the state dir being "
	"--state-dir, $BPCI_STATE_DIR, /var/lib/bpci for root, else $XDG_STATE_HOME/bpci "
	"or ~/.local/state/bpci. Read commands never create a ledger. Exit status 1 when "
	"verification fails or the ledger is missing or owned by a daemon.";

/* ---- ledger serve ----------------------------------------------------- */

static const cli_option serve_opts[] = {
	{"listen", CLI_VALUE, 0, "ADDR", "HOST:PORT to listen on (port 0 picks one). Required.",
	 NULL},
	{"token-file", CLI_VALUE, 0, "FILE",
	 "bearer token for appends (created with a random token, mode 0600, when absent; "
	 "default <ledger>/api-token)", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static void serve_ready(const char *url, void *payload)
{
	(void)payload;
	printf("listening on %s\n", url);
	fflush(stdout);
}

static int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {"listen", NULL};
	bpci_ledger_serve_options o = BPCI_LEDGER_SERVE_OPTIONS_INIT;
	bpci_diag *d = NULL;
	cli_parsed p;
	char *dir = NULL;
	int status, rc;

	status = prologue(ctx, &p, serve_opts, NELEM(serve_opts), argc, argv,
			  "--listen ADDR [--ledger DIR] [--token-file FILE]",
			  "Serve a ledger over HTTP as a verified mirror of another ledger "
			  "(POST /api/ledger/entries, GET /api/ledger/checkpoint, entries and "
			  "proofs, /healthz), in the foreground until SIGTERM or SIGINT. The "
			  "ledger is created when missing.",
			  required);
	if (status >= 0)
		goto out;
	dir = ledger_dir(&p);
	o.listen = cli_parsed_get(&p, "listen");
	o.token_file = cli_parsed_get(&p, "token-file");
	o.ready = serve_ready;
	d = new_diag(ctx);
	rc = bpci_ledger_serve(dir, &o, d);
	cli_print_diag(ctx, d);
	status = CLI_EXIT_OK;
	if (rc != 0) {
		cli_error(ctx, "cannot serve the ledger at %s: %s", dir, bpci_strerror(rc));
		status = rc == BPCI_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
out:
	bpci_diag_free(d);
	free(dir);
	cli_parsed_free(&p);
	return status;
}

/* ---- ledger ship ------------------------------------------------------ */

static const cli_option ship_opts[] = {
	{"endpoint", CLI_VALUE, 0, "URL",
	 "the mirror's base URL (default: audit_integration.bpi_ledger_endpoint of --config)",
	 NULL},
	{"config", CLI_VALUE, 0, "FILE",
	 "the BPCI configuration (YAML) whose audit_integration.bpi_ledger_endpoint names "
	 "the mirror", NULL},
	{"token-file", CLI_VALUE, 0, "FILE", "file holding the mirror's bearer token", NULL},
	{"once", CLI_SWITCH, 0, NULL, "ship what is pending and exit (the default)", NULL},
	{"follow", CLI_SWITCH, 0, NULL, "keep shipping new entries until interrupted", NULL},
	{"batch", CLI_VALUE, 0, "N", "entries per request (default 100)", NULL},
	{"retries", CLI_VALUE, 0, "N", "retries of a failed request (default 3)", NULL},
	LEDGER_OPT,
	STATE_OPT,
};

static int ship_report(cli_ctx *ctx, bpci_ledger_shipper *s, int rc, bpci_diag *d)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;

	cli_print_diag(ctx, d);
	bpci_ledger_shipper_stats(&st, s);
	if (ctx->output == CLI_OUTPUT_JSON)
		printf("{\"shipped\":%llu,\"local_size\":%llu,\"batches\":%llu,\"diverged\":%s}\n",
		       (unsigned long long)st.shipped, (unsigned long long)st.local_size,
		       (unsigned long long)st.batches, st.diverged ? "true" : "false");
	else if (rc == 0)
		printf("mirror holds %llu of %llu entries (%llu batches sent)\n",
		       (unsigned long long)st.shipped, (unsigned long long)st.local_size,
		       (unsigned long long)st.batches);
	if (rc == 0)
		return CLI_EXIT_OK;
	if (rc == BPCI_EUNREACHABLE) {
		cli_error(ctx, "the mirror cannot be reached; %llu entries stay pending",
			  (unsigned long long)(st.local_size - st.shipped));
		return CLI_EXIT_UNREACHABLE;
	}
	cli_error(ctx, "shipping failed: %s", bpci_strerror(rc));
	return CLI_EXIT_FAILED;
}

static int ship_follow(cli_ctx *ctx, bpci_ledger_shipper *s, const char *dir)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;
	int ifd = watch_dir(dir);

	catch_interrupts();
	bpci_ledger_shipper_start(s, NULL);
	bpci_ledger_shipper_notify(s);
	while (!interrupted) {
		wait_for_change(ifd);
		bpci_ledger_shipper_notify(s);
		bpci_ledger_shipper_stats(&st, s);
		if (st.diverged)
			break;
	}
	if (ifd >= 0)
		close(ifd);
	return st.diverged ? ship_report(ctx, s, BPCI_EVERIFY, NULL) : CLI_EXIT_OK;
}

/* --endpoint, else the configuration's audit_integration.bpi_ledger_endpoint. */
static char *ship_endpoint(cli_ctx *ctx, const cli_parsed *p)
{
	bpci_audit_settings as;
	bpci_config *cfg = NULL;
	bpci_diag *d;
	char *url = NULL;
	int rc;

	if (cli_parsed_get(p, "endpoint"))
		return cli_xstrdup(cli_parsed_get(p, "endpoint"));
	if (!cli_parsed_get(p, "config")) {
		cli_usage_error(ctx, "ship needs --endpoint URL or --config FILE; see '%s %s %s "
				     "--help'.", ctx->prog, ctx->group, ctx->command);
		return NULL;
	}
	d = new_diag(ctx);
	rc = bpci_config_load_file(&cfg, cli_parsed_get(p, "config"), 0, d);
	cli_print_diag(ctx, d);
	bpci_diag_free(d);
	if (rc != 0) {
		cli_usage_error(ctx, "cannot load --config %s", cli_parsed_get(p, "config"));
		return NULL;
	}
	bpci_config_audit(cfg, &as);
	if (as.ledger_endpoint && *as.ledger_endpoint)
		url = cli_xstrdup(as.ledger_endpoint);
	else
		cli_usage_error(ctx, "%s has no audit_integration.bpi_ledger_endpoint; give "
				     "--endpoint URL", cli_parsed_get(p, "config"));
	bpci_config_free(cfg);
	return url;
}

static int cmd_ship(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const required[] = {NULL};
	bpci_ledger_shipper_options so = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	bpci_ledger_shipper *s = NULL;
	bpci_ledger *l = NULL;
	bpci_diag *d = NULL;
	uint64_t batch = so.batch, retries = so.retries;
	cli_parsed p;
	char *dir = NULL, *token = NULL, *endpoint = NULL;
	int status, rc;

	status = prologue(ctx, &p, ship_opts, NELEM(ship_opts), argc, argv,
			  "--endpoint URL | --config FILE [--token-file FILE] [--once | --follow] "
			  "[--ledger DIR]",
			  "Send the ledger's entries to a remote mirror (ledger serve) in "
			  "batches, remembering durably how far it got, and check that the "
			  "mirror's tree equals the local one. A divergent mirror stops "
			  "shipping with exit status 1; an unreachable one gives 3.",
			  required);
	if (status >= 0)
		goto out;
	if (opt_u64(ctx, &p, "batch", &batch) < 0 || opt_u64(ctx, &p, "retries", &retries) < 0 ||
	    (cli_parsed_flag(&p, "once") && cli_parsed_flag(&p, "follow"))) {
		if (cli_parsed_flag(&p, "once") && cli_parsed_flag(&p, "follow"))
			cli_usage_error(ctx, "give --once or --follow, not both");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (!(endpoint = ship_endpoint(ctx, &p))) {
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (cli_parsed_get(&p, "token-file")) {
		int failed;

		token = ship_read_token(ctx, "--token-file", cli_parsed_get(&p, "token-file"),
					&failed);
		if (failed) {
			status = CLI_EXIT_FAILED;
			goto out;
		}
	}
	dir = ledger_dir(&p);
	/* Writable when free, so that a divergence is journalled; else follow
	 * the daemon's ledger read-only. */
	d = new_diag(ctx);
	rc = try_open(&l, dir, 0, d);
	if (rc == BPCI_EBUSY) {
		bpci_diag_clear(d);
		rc = try_open(&l, dir, BPCI_LEDGER_READONLY, d);
	}
	if (rc != 0) {
		status = open_failed(ctx, dir, rc, d);
		goto out;
	}
	bpci_diag_clear(d);
	so.endpoint = endpoint;
	so.token = token;
	so.batch = batch > 10000 ? 10001 : (unsigned)batch;
	so.retries = retries > 100 ? 101 : (unsigned)retries;
	if ((rc = bpci_ledger_shipper_new(&s, l, dir, &so, d)) != 0) {
		cli_print_diag(ctx, d);
		status = rc == BPCI_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto out;
	}
	if (cli_parsed_flag(&p, "follow"))
		status = ship_follow(ctx, s, dir);
	else
		status = ship_report(ctx, s, bpci_ledger_shipper_run_once(s, d), d);
out:
	bpci_ledger_shipper_free(s);
	bpci_diag_free(d);
	bpci_ledger_free(l);
	free(dir);
	free(token);
	free(endpoint);
	cli_parsed_free(&p);
	return status;
}

const cli_command cli_ledger_commands[CLI_LEDGER_NCOMMANDS] = {
	{"serve", "serve a ledger over HTTP as a verified mirror (--listen ADDR)", cmd_serve},
	{"ship", "send the ledger's entries to a mirror (--endpoint URL)", cmd_ship},
};

const char cli_ledger_note[] =
	"A mirror holds the very bytes of another ledger's entries at the same positions, "
	"so both trees have the same root at every size; the shipper checks that after "
	"every batch and stops with an alarm (an audit.divergence entry) when they differ.";
