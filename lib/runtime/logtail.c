/* The last lines of a log file, found by reading backwards in blocks. */
#include "runtime/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"

#define BLOCK 8192

static int pread_all(int fd, char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BPCI_EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Offset where the last @n lines begin in a file of @size bytes. */
static int find_start(int fd, off_t size, size_t n, off_t *start)
{
	char buf[BLOCK];
	off_t end = size, pos;
	size_t seen = 0;
	char last;
	int rc;

	if ((rc = pread_all(fd, &last, 1, size - 1)) < 0)
		return rc;
	if (last == '\n')
		end = size - 1; /* the final newline ends a line, it starts none */
	while (end > 0) {
		size_t len = end > BLOCK ? BLOCK : (size_t)end;

		pos = end - (off_t)len;
		if ((rc = pread_all(fd, buf, len, pos)) < 0)
			return rc;
		while (len > 0) {
			if (buf[--len] == '\n' && ++seen == n) {
				*start = pos + (off_t)len + 1;
				return 0;
			}
		}
		end = pos;
	}
	*start = 0;
	return 0;
}

static int tail_fd(int fd, size_t n_lines, char **out)
{
	struct stat st;
	off_t start = 0;
	size_t len;
	char *text;
	int rc;

	if (fstat(fd, &st) < 0)
		return BPCI_EIO;
	if (st.st_size > 0 && n_lines > 0 &&
	    (rc = find_start(fd, st.st_size, n_lines, &start)) < 0)
		return rc;
	if (n_lines == 0)
		start = st.st_size;
	len = (size_t)(st.st_size - start);
	text = bpci__malloc(len + 1);
	if (!text)
		return BPCI_ENOMEM;
	if (len > 0 && (rc = pread_all(fd, text, len, start)) < 0) {
		bpci__free(text);
		return rc;
	}
	text[len] = '\0';
	*out = text;
	return 0;
}

int bpci__logfile_tail(const char *path, size_t n_lines, char **out)
{
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	rc = tail_fd(fd, n_lines, out);
	close(fd);
	return rc;
}
