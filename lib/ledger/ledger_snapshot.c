/*
 * Snapshots of a journal's state: snapshots/<name>.snap holds a 32-byte
 * header ("BPCISNP1", u64 tree size, u64 length, u32 CRC32C of the data,
 * u32 zero) and the data. A snapshot replaces its predecessor by rename,
 * so a reader sees the old one or the new one, never a mixture.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define SNAP_HDR 32
#define SNAP_DIR "snapshots"

static int name_ok(const char *n)
{
	size_t i, len = n ? strlen(n) : 0;

	if (len == 0 || len > 64 || n[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_' ||
		      n[i] == '.' || n[i] == '-'))
			return 0;
	return 1;
}

static int bad_name(const char *name, bpci_diag *diag)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "name",
			      "must be 1..64 of [a-z0-9_.-] not starting with '.', got \"%.80s\"",
			      name ? name : "(null)");
}

static int write_file(int sdir, const char *tmp, const char *final, const uint8_t *hdr,
		      const void *data, size_t len)
{
	int fd = openat(sdir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = BPCI_EIO;

	if (fd < 0)
		return BPCI_EIO;
	if (bpci__write_full(fd, hdr, SNAP_HDR) == 0 && bpci__write_full(fd, data, len) == 0 &&
	    fsync(fd) == 0 && renameat(sdir, tmp, sdir, final) == 0 && bpci__fsync_dir(sdir) == 0)
		rc = 0;
	close(fd);
	if (rc < 0)
		unlinkat(sdir, tmp, 0);
	return rc;
}

int bpci_ledger_snapshot_write(bpci_ledger *l, const char *name, const void *data, size_t len,
			       uint64_t tree_size, bpci_diag *diag)
{
	uint8_t hdr[SNAP_HDR];
	char *final = NULL, *tmp = NULL;
	uint64_t size;
	int sdir, rc;

	if (l == NULL || (data == NULL && len > 0))
		return BPCI_EINVAL;
	if (!name_ok(name))
		return bad_name(name, diag);
	if (l->flags & BPCI_LEDGER_READONLY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "is open read-only");
	size = bpci_ledger_size(l);
	if (tree_size > size)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "tree_size",
				      "%llu is beyond the ledger's %llu entries",
				      (unsigned long long)tree_size, (unsigned long long)size);
	if (mkdirat(l->dirfd, SNAP_DIR, 0700) == 0)
		bpci__fsync_dir(l->dirfd);
	else if (errno != EEXIST)
		return BPCI_EIO;
	if ((sdir = openat(l->dirfd, SNAP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return BPCI_EIO;
	memcpy(hdr, SNAP_MAGIC, 8);
	bpci__put64(hdr + 8, tree_size);
	bpci__put64(hdr + 16, len);
	bpci__put32(hdr + 24, bpci__crc32c(0, data, len));
	bpci__put32(hdr + 28, 0);
	final = bpci__asprintf("%s.snap", name);
	tmp = bpci__asprintf(".%s.tmp", name);
	rc = final && tmp ? write_file(sdir, tmp, final, hdr, data, len) : BPCI_ENOMEM;
	close(sdir);
	bpci__free(final);
	bpci__free(tmp);
	if (rc == BPCI_EIO)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "name",
			       "snapshot \"%s\" cannot be written: %s", name, strerror(errno));
	return rc;
}

int bpci_ledger_snapshot_read(void **data, size_t *len, uint64_t *tree_size, bpci_ledger *l,
			      const char *name, bpci_diag *diag)
{
	uint8_t hdr[SNAP_HDR], *buf;
	uint64_t fsize = 0, n = 0;
	char *path;
	int fd, rc;

	if (data == NULL || l == NULL)
		return BPCI_EINVAL;
	if (!name_ok(name))
		return bad_name(name, diag);
	if ((path = bpci__asprintf("%s/%s.snap", SNAP_DIR, name)) == NULL)
		return BPCI_ENOMEM;
	fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC);
	bpci__free(path);
	if (fd < 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	rc = bpci__file_size(fd, &fsize);
	if (rc == 0 && (fsize < SNAP_HDR || bpci__pread_full(fd, hdr, SNAP_HDR, 0) < 0 ||
			memcmp(hdr, SNAP_MAGIC, 8) != 0 ||
			(n = bpci__get64(hdr + 16)) != fsize - SNAP_HDR))
		rc = BPCI_EVERIFY;
	buf = rc == 0 ? bpci__malloc((size_t)n + 1) : NULL;
	if (rc == 0 && buf == NULL)
		rc = BPCI_ENOMEM;
	if (rc == 0 && (rc = bpci__pread_full(fd, buf, (size_t)n, SNAP_HDR)) == 0 &&
	    bpci__crc32c(0, buf, (size_t)n) != bpci__get32(hdr + 24))
		rc = BPCI_EVERIFY;
	close(fd);
	if (rc < 0) {
		bpci__free(buf);
		if (rc == BPCI_EVERIFY)
			bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "name",
				       "snapshot \"%s\" is damaged (header, length or CRC)", name);
		return rc;
	}
	buf[n] = 0;
	*data = buf;
	if (len)
		*len = (size_t)n;
	if (tree_size)
		*tree_size = bpci__get64(hdr + 8);
	return 0;
}
