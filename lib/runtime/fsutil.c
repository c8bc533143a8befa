#include "runtime/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

static int fail(bpci_diag *diag, int err, const char *step, const char *path)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
			      err == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO, "path",
			      "%s %s: %s", step, path, strerror(err));
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* dirname and basename of @path, as new strings. */
static int split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*dir = bpci__strdup(".");
		*base = bpci__strdup(path);
	} else {
		*dir = slash == path ? bpci__strdup("/")
				     : bpci__strndup(path, (size_t)(slash - path));
		*base = bpci__strdup(slash + 1);
	}
	if (!*dir || !*base) {
		bpci__free(*dir);
		bpci__free(*base);
		return BPCI_ENOMEM;
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write, fsync and rename the temporary file; errno tells what failed. */
static int fill_and_commit(int fd, const char *tmp, const char *path, const void *data,
			   size_t len, mode_t mode, const char **step)
{
	*step = "chmod";
	if (fchmod(fd, mode) < 0)
		return -1;
	*step = "write";
	if (write_all(fd, data, len) < 0)
		return -1;
	*step = "fsync";
	if (fsync(fd) < 0)
		return -1;
	*step = "rename onto";
	return rename(tmp, path);
}

int bpci__write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    bpci_diag *diag)
{
	char *dir, *base, *tmp;
	const char *step = "create temporary file for";
	int fd, rc, err;

	if (!path || !*path || path[strlen(path) - 1] == '/')
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "path",
				      "must name a file, got \"%s\"", path ? path : "(null)");
	if ((rc = split_path(path, &dir, &base)) < 0)
		return rc;
	tmp = bpci__asprintf("%s/.%s.tmp.XXXXXX", dir, base);
	if (!tmp) {
		bpci__free(dir);
		bpci__free(base);
		return BPCI_ENOMEM;
	}
	rc = 0;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = fail(diag, errno, step, path);
	} else {
		if (fill_and_commit(fd, tmp, path, data, len, mode & 07777, &step) < 0) {
			err = errno;
			(void)unlink(tmp);
			rc = fail(diag, err, step, path);
		}
		close(fd);
	}
	if (rc == 0 && sync_dir(dir) < 0)
		rc = fail(diag, errno, "fsync directory of", path);
	bpci__free(tmp);
	bpci__free(dir);
	bpci__free(base);
	return rc;
}
