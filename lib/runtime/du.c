/*
 * Disk usage of a directory tree, like `du -sx --block-size=1`: allocated
 * blocks, symbolic links not followed, one file system, hard links once.
 */
#include "runtime/procstat.h"
#include "runtime/procstat_internal.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bpci/error.h"
#include "common/alloc.h"

/* nftw() passes no user pointer; the walk's state is per thread. */
typedef struct du_state {
	uint64_t bytes;
	int err, saved_errno;
	uint64_t *seen;        /* (dev, ino) pairs of multiply-linked files */
	size_t nseen, cap;
} du_state;

static _Thread_local du_state *du_cur;

/* Returns 1 if the (dev, ino) pair was seen before, else records it. */
static int seen_before(du_state *s, const struct stat *st)
{
	size_t i;

	for (i = 0; i + 1 < s->nseen; i += 2)
		if (s->seen[i] == (uint64_t)st->st_dev && s->seen[i + 1] == (uint64_t)st->st_ino)
			return 1;
	if (bpci__grow((void **)&s->seen, &s->cap, s->nseen + 2, sizeof(*s->seen)) != 0) {
		s->err = BPCI_ENOMEM;
		return 1;
	}
	s->seen[s->nseen++] = (uint64_t)st->st_dev;
	s->seen[s->nseen++] = (uint64_t)st->st_ino;
	return 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	du_state *s = du_cur;

	(void)path;
	(void)ftw;
	if (type == FTW_NS || type == FTW_DNR) {
		/* Entry or directory unreadable: the sum would be short. */
		s->err = BPCI_EIO;
		s->saved_errno = errno ? errno : EACCES;
		return 1;
	}
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 && seen_before(s, st))
		return s->err ? 1 : 0;
	s->bytes += (uint64_t)st->st_blocks * 512u;
	return 0;
}

int bpci__du(const char *path, uint64_t *bytes)
{
	du_state s = {0};
	struct stat st;
	int r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? BPCI_ENOTFOUND : BPCI_EIO;
	du_cur = &s;
	r = nftw(path, visit, 16, FTW_PHYS | FTW_MOUNT);
	du_cur = NULL;
	bpci__free(s.seen);
	if (s.err) {
		errno = s.saved_errno;
		return s.err;
	}
	if (r != 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	*bytes = s.bytes;
	return 0;
}
