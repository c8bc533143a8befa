/*
 * The ESTABLISHED rows of the kernel's TCP tables. A node's active
 * connections are its sockets (by inode, from /proc/PID/fd) that appear here;
 * netlink sock_diag would avoid reading every socket of the host, but the
 * text tables need no privileges and are what ss(8) falls back to.
 */
#include "runtime/procstat_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "bpci/error.h"
#include "common/alloc.h"

#define TCP_ESTABLISHED_STATE 0x01

int bpci__cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Appends the ESTABLISHED inodes of one table; 1 if it cannot be opened. */
static int read_table(const char *path, uint64_t **v, size_t *n, size_t *cap)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int rc = 0;

	if (!f)
		return 1;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int st;
		unsigned long long ino;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %llu", &st, &ino) != 2)
			continue;
		if (st != TCP_ESTABLISHED_STATE || ino == 0)
			continue;
		if (bpci__grow((void **)v, cap, *n + 1, sizeof(**v)) != 0) {
			rc = BPCI_ENOMEM;
			break;
		}
		(*v)[(*n)++] = ino;
	}
	fclose(f);
	return rc;
}

int bpci__tcp_established(uint64_t **out, size_t *n)
{
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int r4, r6;

	r4 = read_table("/proc/net/tcp", &v, &cnt, &cap);
	r6 = r4 < 0 ? 0 : read_table("/proc/net/tcp6", &v, &cnt, &cap);
	if (r4 < 0 || r6 < 0 || (r4 > 0 && r6 > 0)) {
		bpci__free(v);
		*out = NULL;
		*n = 0;
		return r4 < 0 || r6 < 0 ? BPCI_ENOMEM : BPCI_EIO;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), bpci__cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}
