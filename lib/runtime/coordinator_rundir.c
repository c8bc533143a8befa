/*
 * The runtime directory: where a node's per-spawn files live, its output
 * FIFO (ID.output) and its spec file (ID.json, BPCI_NODE_CONFIG).
 *
 * Both are recreated by any spawn that finds them missing and mean
 * nothing after a reboot (the processes are gone), so they belong on
 * tmpfs: on ext4, creating them (an inode each, for a FIFO and a file)
 * was about a tenth of a 1,000-node start. The directory is
 *
 *   $XDG_RUNTIME_DIR/bpci-HASH   when XDG_RUNTIME_DIR is set and usable,
 *   /dev/shm/bpci-UID-HASH       otherwise,
 *
 * HASH naming the state directory (FNV-1a of its real path), so that
 * coordinators of different state directories never share one. It is
 * created 0700 and used only when it is a directory (not a symlink:
 * O_NOFOLLOW) owned by us with mode 0700 exactly: /dev/shm is writable by
 * everyone, and a name planted there by another user is refused. DIR/run
 * is a symlink to it, so that it can be found, and it is what a restarted
 * coordinator (after kill -9, perhaps with another environment) uses
 * first: its nodes' FIFOs are there to be re-opened. When no runtime
 * directory can be had, DIR/nodes serves as before.
 *
 * Everything that must survive a reboot (the journal, the logs) stays in
 * DIR. A coordinator freed when the directory is empty (no node has files
 * there) removes it and the link. RUN/.state, a symlink back to DIR, lets
 * a coordinator making a fresh runtime directory remove those whose state
 * directory is gone (a test's temporary one, a coordinator killed with
 * SIGKILL and its state directory deleted), so that they do not pile up
 * in /dev/shm until the next reboot.
 */
#include "runtime/coordinator_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"

/* 1 when @path is a directory (not a symlink) owned by us, mode 0700. */
static int usable(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int ok;

	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	     (st.st_mode & 07777) == 0700;
	close(fd);
	return ok;
}

/* Create @path 0700 (or find it) and check it. */
static int make_private(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return 0;
	return usable(path);
}

/* Where DIR/run points now, when that is usable: 1 and *out; 0 when not. */
static int current(char **out, const char *link)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	*out = NULL;
	if (n <= 0 || buf[0] != '/')
		return 0;
	buf[n] = '\0';
	if (!usable(buf))
		return 0;
	*out = bpci__strdup(buf);
	return *out ? 1 : BPCI_ENOMEM;
}

/* Try @path as the runtime directory: 1 (taken into *out), 0 (not usable). */
static int try_dir(char **out, char *path)
{
	if (!path)
		return BPCI_ENOMEM;
	if (make_private(path)) {
		*out = path;
		return 1;
	}
	bpci__free(path);
	return 0;
}

/* A fresh runtime directory for the state directory @dir: 1 and *out, or
 * 0 when none is usable. */
static int fresh(char **out, const char *dir)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uint64_t h = 1469598103934665603ull;
	const char *p;
	int rc = 0;

	for (p = dir; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	if (xdg && xdg[0] == '/' && usable(xdg))
		rc = try_dir(out, bpci__asprintf("%s/bpci-%016llx", xdg, (unsigned long long)h));
	if (rc == 0)
		rc = try_dir(out, bpci__asprintf("/dev/shm/bpci-%lu-%016llx",
						 (unsigned long)geteuid(), (unsigned long long)h));
	return rc;
}

/* Remove @name in @parent (a runtime directory of ours) when its .state
 * link names a state directory that no longer exists. */
static void collect(int parent, const char *name)
{
	char back[PATH_MAX];
	struct dirent *de;
	struct stat st;
	ssize_t n;
	DIR *d;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700 ||
	    (n = readlinkat(fd, ".state", back, sizeof(back) - 1)) <= 0) {
		close(fd);
		return;
	}
	back[n] = '\0';
	if (back[0] != '/' || lstat(back, &st) == 0 || errno != ENOENT || !(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	(void)unlinkat(parent, name, AT_REMOVEDIR);
}

/* Collect the stale runtime directories beside @dir (ours: @prefix). */
static void collect_stale(const char *dir)
{
	char *parent = bpci__strdup(dir), *slash, prefix[64];
	struct dirent *de;
	DIR *d;

	if (!parent || !(slash = strrchr(parent, '/'))) {
		bpci__free(parent);
		return;
	}
	*slash = '\0';
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(strlen(slash + 1) - 16), slash + 1);
	d = opendir(*parent ? parent : "/");
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    strlen(de->d_name) == strlen(slash + 1) && strcmp(de->d_name, slash + 1) != 0)
			collect(dirfd(d), de->d_name);
	if (d)
		closedir(d);
	bpci__free(parent);
}

/* Point @link at @target, replacing whatever is there in one rename. */
static int set_link(const char *link, const char *target)
{
	char *tmp = bpci__asprintf("%s.%ld.tmp", link, (long)getpid());
	int rc = 0;

	if (!tmp)
		return BPCI_ENOMEM;
	(void)unlink(tmp);
	if (symlink(target, tmp) == 0 && rename(tmp, link) == 0)
		rc = 1;
	else
		(void)unlink(tmp);
	bpci__free(tmp);
	return rc;
}

/* RUN/.state -> @state_dir (NULL: remove it). 1, or BPCI_ENOMEM. Best
 * effort: without it the directory is only never collected. */
static int set_back_link(const char *run, const char *state_dir)
{
	char *back = bpci__asprintf("%s/.state", run);

	if (!back)
		return BPCI_ENOMEM;
	(void)unlink(back);
	if (state_dir)
		(void)symlink(state_dir, back);
	bpci__free(back);
	return 1;
}

int bpci__coord_rundir_open(bpci_coordinator *c)
{
	char *link = bpci__asprintf("%s/run", c->state_dir);
	char *dir = NULL;
	int rc;

	if (!link)
		return BPCI_ENOMEM;
	rc = current(&dir, link);
	if (rc == 0) {
		rc = fresh(&dir, c->state_dir);
		if (rc == 1)
			collect_stale(dir);
		if (rc == 1)
			rc = set_link(link, dir);
	}
	bpci__free(link);
	if (rc == 1)
		rc = set_back_link(dir, c->state_dir);
	if (rc < 0 || rc == 0) {
		bpci__free(dir);
		dir = NULL;
	}
	if (rc < 0)
		return rc;
	/* no usable runtime directory (or no link to it): DIR/nodes */
	c->run_dir = dir ? dir : bpci__strdup(c->nodes_dir);
	return c->run_dir ? 0 : BPCI_ENOMEM;
}

void bpci__coord_rundir_close(bpci_coordinator *c)
{
	char *link;
	char buf[PATH_MAX];
	ssize_t n;

	if (!c->run_dir || !c->nodes_dir || strcmp(c->run_dir, c->nodes_dir) == 0)
		return;
	if (set_back_link(c->run_dir, NULL) < 0 || rmdir(c->run_dir) < 0) {
		(void)set_back_link(c->run_dir, c->state_dir); /* nodes' files remain */
		return;
	}
	if (!(link = bpci__asprintf("%s/run", c->state_dir)))
		return;
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n > 0 && (buf[n] = '\0', strcmp(buf, c->run_dir) == 0))
		(void)unlink(link);
	bpci__free(link);
}
