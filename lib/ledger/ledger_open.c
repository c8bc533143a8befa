/*
 * Opening and closing a ledger directory: the options, the format file
 * (which is never rewritten, so a newer format is refused untouched), the
 * writer's lock, and the handle's lifetime.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define FORMAT_FILE "FORMAT"
#define FORMAT_MAGIC "bpci-ledger"

static int origin_ok(const char *o)
{
	size_t i, n = strlen(o);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (o[i] <= ' ' || o[i] > '~' || o[i] == '+')
			return 0;
	return 1;
}

static int check_options(const bpci_ledger_options *o, bpci_diag *diag)
{
	if (o->version != BPCI_LEDGER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "must be BPCI_LEDGER_OPTIONS_VERSION (%d), got %u",
				      BPCI_LEDGER_OPTIONS_VERSION, o->version);
	if (o->flags & ~(BPCI_LEDGER_READONLY | BPCI_LEDGER_NO_CREATE))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "flags",
				      "has unknown bits 0x%x", o->flags);
	if (o->batch_max_entries > 65536)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "batch_max_entries",
				      "must be 1..65536 (0 for 256), got %u", o->batch_max_entries);
	if (o->batch_max_delay_ms > 1000)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "batch_max_delay_ms", "must be 0..1000, got %u",
				      o->batch_max_delay_ms);
	if (o->segment_bytes != 0 && (o->segment_bytes < 4096 || o->segment_bytes > (1ull << 40)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "segment_bytes",
				      "must be 4096..2^40 (0 for 64 MiB), got %llu",
				      (unsigned long long)o->segment_bytes);
	if (o->origin && !origin_ok(o->origin))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "origin",
				      "must be 1..255 printable ASCII bytes without spaces or "
				      "'+', got \"%.80s\"", o->origin);
	return 0;
}

/* Whether the directory holds nothing but (perhaps) our lock file and the
 * temporary file of a creation that a crash interrupted. */
static int dir_empty(int dirfd)
{
	int fd = dup(dirfd), empty = 1;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "LOCK") && strcmp(de->d_name, FORMAT_FILE ".tmp"))
			empty = 0;
	closedir(d);
	return empty;
}

static int write_format(bpci_ledger *l, const char *origin)
{
	char *text = bpci__asprintf("%s\nversion %d\norigin %s\n", FORMAT_MAGIC,
				    BPCI_LEDGER_FORMAT_VERSION, origin);
	int fd, rc = BPCI_EIO;

	if (text == NULL)
		return BPCI_ENOMEM;
	fd = openat(l->dirfd, FORMAT_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && bpci__write_full(fd, text, strlen(text)) == 0 && fsync(fd) == 0 &&
	    renameat(l->dirfd, FORMAT_FILE ".tmp", l->dirfd, FORMAT_FILE) == 0 &&
	    bpci__fsync_dir(l->dirfd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	bpci__free(text);
	return rc;
}

int bpci__format_read(int dirfd, char **origin_out, bpci_diag *diag)
{
	char buf[512], origin[300];
	int fd = openat(dirfd, FORMAT_FILE, O_RDONLY | O_CLOEXEC), version = 0;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return BPCI_EIO;
	buf[n] = '\0';
	origin[0] = '\0';
	if (sscanf(buf, FORMAT_MAGIC "\nversion %d\norigin %299s\n", &version, origin) < 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, FORMAT_FILE,
				      "does not start with \"%s\\nversion N\\n\"", FORMAT_MAGIC);
	if (version > BPCI_LEDGER_FORMAT_VERSION || version < 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, FORMAT_FILE,
				      "says format version %d; this build reads version %d only",
				      version, BPCI_LEDGER_FORMAT_VERSION);
	if (!origin_ok(origin))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, FORMAT_FILE,
				      "has no valid origin line");
	*origin_out = bpci__strdup(origin);
	return *origin_out ? 0 : BPCI_ENOMEM;
}

static int read_format(bpci_ledger *l, const char *want_origin, bpci_diag *diag)
{
	int rc = bpci__format_read(l->dirfd, &l->origin, diag);

	if (rc == 0 && want_origin && strcmp(want_origin, l->origin) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "origin",
				      "is \"%s\" in this ledger, not \"%s\"", l->origin,
				      want_origin);
	return rc;
}

static int take_lock(bpci_ledger *l, bpci_diag *diag)
{
	l->lockfd = openat(l->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->lockfd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "LOCK",
				      "cannot be opened in %s: %s", l->path, strerror(errno));
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
				      errno == EWOULDBLOCK ? BPCI_EBUSY : BPCI_EIO, "LOCK",
				      "%s is open for writing by another process", l->path);
	return 0;
}

static int open_dir(bpci_ledger *l, const bpci_ledger_options *o, bpci_diag *diag)
{
	int ro = (o->flags & BPCI_LEDGER_READONLY) != 0;
	int create = !ro && !(o->flags & BPCI_LEDGER_NO_CREATE), rc;

	if (create && mkdir(l->path, 0700) < 0 && errno != EEXIST)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "path",
				      "cannot create %s: %s", l->path, strerror(errno));
	l->dirfd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
				      errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO, "path",
				      "cannot open ledger directory %s: %s", l->path,
				      strerror(errno));
	if (!ro && (rc = take_lock(l, diag)) < 0)
		return rc;
	rc = read_format(l, o->origin, diag);
	if (rc != BPCI_ENOTFOUND)
		return rc;
	if (!dir_empty(l->dirfd))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "path",
				      "%s is not empty and has no %s file: not a ledger", l->path,
				      FORMAT_FILE);
	if (!create)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "path",
				      "%s holds no ledger", l->path);
	if ((rc = write_format(l, o->origin ? o->origin : DEFAULT_ORIGIN)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, FORMAT_FILE,
				      "cannot be written in %s", l->path);
	return read_format(l, o->origin, diag);
}

/* Adaptive: mu is held for a few microseconds at a time (framing one
 * entry), so a thread that finds it taken does better to spin briefly
 * than to sleep and be woken, which costs a context switch each way and,
 * with hundreds of appenders, turned every batch release into a convoy. */
static void mutex_init(pthread_mutex_t *mu)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(mu, &a);
	pthread_mutexattr_destroy(&a);
}

static bpci_ledger *handle_new(const char *path, const bpci_ledger_options *o)
{
	bpci_ledger *l = bpci__calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->dirfd = l->lockfd = l->idxfd = l->ckptfd = -1;
	bpci__tree_init(&l->tree, -1, 1);
	bpci__tree_init(&l->rtree, -1, 1);
	l->flags = o->flags;
	l->batch_max = o->batch_max_entries ? o->batch_max_entries : 256;
	l->delay_ms = o->batch_max_delay_ms;
	l->segment_bytes = o->segment_bytes ? o->segment_bytes : DEFAULT_SEGMENT;
	l->ckpt_interval = o->checkpoint_interval_s ? o->checkpoint_interval_s : 60;
	l->stats.version = BPCI_LEDGER_STATS_VERSION;
	atomic_init(&l->arriving, 0);
	mutex_init(&l->mu);
	atomic_init(&l->durable, 0);
	atomic_init(&l->failed, 0);
	atomic_init(&l->done_word[0], 0);
	atomic_init(&l->done_word[1], 0);
	atomic_init(&l->relay[0], 0);
	atomic_init(&l->relay[1], 0);
	pthread_cond_init(&l->cv_work, NULL);
	pthread_cond_init(&l->cv_order, NULL);
	pthread_cond_init(&l->cv_idle, NULL);
	pthread_cond_init(&l->cv_space, NULL);
	l->path = bpci__strdup(path);
	l->actor = bpci__strdup(o->actor ? o->actor : "bpci");
	if (l->path == NULL || l->actor == NULL || bpci__merkle_hasher_open(&l->rhash) < 0) {
		bpci__free(l->path);
		bpci__free(l->actor);
		bpci__free(l);
		return NULL;
	}
	if (bpci__merkle_hasher_open(&l->lhash) < 0) {
		bpci__merkle_hasher_close(&l->rhash);
		bpci__free(l->path);
		bpci__free(l->actor);
		bpci__free(l);
		return NULL;
	}
	return l;
}

/* After a writable open's load, which synced the last segment (so no
 * batch of an earlier handle can be torn by a later power loss), the batch
 * bound may start low again (the argument is in ledger_hole.c). Before
 * the first append. */
static int settle_bound(bpci_ledger *l, bpci_diag *diag)
{
	unsigned bound;
	int recorded, rc;

	rc = bpci__bound_read(l->dirfd, &bound, &recorded);
	if (rc == 0 && (!recorded || bound != BPCI__BOUND_START))
		rc = bpci__bound_write(l->dirfd, BPCI__BOUND_START);
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "batch-bound",
				      "cannot be written in %s: %s", l->path, strerror(errno));
	l->bound = BPCI__BOUND_START;
	return 0;
}

int bpci_ledger_open(bpci_ledger **out, const char *path, const bpci_ledger_options *options,
		     bpci_diag *diag)
{
	bpci_ledger_options defaults = BPCI_LEDGER_OPTIONS_INIT;
	const bpci_ledger_options *o = options ? options : &defaults;
	bpci_ledger *l;
	int rc;

	if (out == NULL || path == NULL || *path == '\0')
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "path",
				      "and the output handle are required");
	*out = NULL;
	if ((rc = check_options(o, diag)) < 0)
		return rc;
	if ((l = handle_new(path, o)) == NULL)
		return BPCI_ENOMEM;
	rc = open_dir(l, o, diag);
	if (rc == 0) {
		bpci__tree_init(&l->tree, l->dirfd, (l->flags & BPCI_LEDGER_READONLY) != 0);
		bpci__tree_init(&l->rtree, l->dirfd, 1);
		rc = bpci__key_load_or_create(l, diag);
	}
	if (rc == 0)
		rc = bpci__ledger_load(l, diag);
	if (rc == 0)
		rc = bpci__ckpt_load(l, diag);
	if (rc == 0 && !(l->flags & BPCI_LEDGER_READONLY))
		rc = settle_bound(l, diag);
	if (rc < 0) {
		bpci_ledger_free(l);
		return rc;
	}
	l->last_ckpt_time = time(NULL);
	*out = l;
	return 0;
}

void bpci_ledger_free(bpci_ledger *l)
{
	int forked;

	if (l == NULL)
		return;
	forked = bpci__ledger_writer_stop(l);
	/* The index after a clean close is durable: what it covers was
	 * acknowledged, and a later open will not cut it (ledger_hole.c). */
	if (!forked && l->idxfd >= 0 &&
	    !(l->flags & BPCI_LEDGER_READONLY))
		fdatasync(l->idxfd);
	bpci__segments_close(l->segs, l->nsegs);
	bpci__tree_close(&l->tree);
	bpci__tree_close(&l->rtree);
	if (l->idxfd >= 0)
		close(l->idxfd);
	if (l->ckptfd >= 0)
		close(l->ckptfd);
	if (l->lockfd >= 0)
		close(l->lockfd); /* releases the flock */
	if (l->dirfd >= 0)
		close(l->dirfd);
	EVP_PKEY_free(l->key);
	bpci__merkle_hasher_close(&l->rhash);
	bpci__merkle_hasher_close(&l->lhash);
	if (!forked) { /* a destroy could wait forever for the parent's waiters */
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv_work);
		pthread_cond_destroy(&l->cv_order);
		pthread_cond_destroy(&l->cv_idle);
		pthread_cond_destroy(&l->cv_space);
	}
	bpci__free(l->pend);
	bpci__free(l->spare);
	bpci__free(l->last_note);
	bpci__free(l->origin);
	bpci__free(l->actor);
	bpci__free(l->path);
	bpci__free(l);
}

uint64_t bpci_ledger_size(bpci_ledger *l)
{
	uint64_t n;

	if (l == NULL)
		return 0;
	pthread_mutex_lock(&l->mu);
	n = l->size;
	pthread_mutex_unlock(&l->mu);
	return n;
}

int bpci_ledger_refresh(bpci_ledger *l, bpci_diag *diag)
{
	int rc = 0;

	if (l == NULL)
		return BPCI_EINVAL;
	if (!(l->flags & BPCI_LEDGER_READONLY))
		return 0;
	pthread_mutex_lock(&l->mu);
	rc = bpci__ledger_load(l, diag);
	if (rc == 0)
		rc = bpci__ckpt_load(l, diag);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_stats_get(bpci_ledger_stats *out, bpci_ledger *l)
{
	if (out == NULL || l == NULL || out->version != BPCI_LEDGER_STATS_VERSION)
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	*out = l->stats;
	pthread_mutex_unlock(&l->mu);
	return 0;
}
