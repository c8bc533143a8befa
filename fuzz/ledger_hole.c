/*
 * Fuzz the rule that tells a power loss's hole from damage
 * (lib/ledger/ledger_hole.c): the input is the tail of a last segment from
 * a damaged record on, judged in an empty ledger directory (no index,
 * checkpoint or snapshot; the default batch bound). The resynchronizing
 * scan must find only complete canonical entries, and the verdict must
 * follow from what it found.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include "ledger/ledger_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int empty_dir(void)
{
	static int fd = -1;
	char tmpl[] = "/tmp/bpci-fuzz-hole-XXXXXX";

	if (fd < 0 && mkdtemp(tmpl) != NULL) {
		fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rmdir(tmpl); /* an unlinked, empty directory stays empty */
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("segment", MFD_CLOEXEC), dirfd = empty_dir();
	uint64_t seq = 7, max = 0;
	bpci__hole h;
	int found = 0;

	if (fd < 0 || dirfd < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	if (bpci__hole_scan(fd, 0, size, UINT64_MAX, &max, &found) == 0 && found &&
	    size < REC_HDR + 10)
		abort(); /* no room for a record, yet one was found */
	if (bpci__hole_judge(&h, dirfd, fd, seq, 0, size, 0) == 0) {
		if (h.last_seq < seq || h.entries != h.last_seq - seq + 1)
			abort();
		if (h.bound != BPCI__BOUND_DEFAULT ||
		    h.cuttable != (h.entries <= 2 * (uint64_t)BPCI__BOUND_DEFAULT))
			abort();
		if (!h.cuttable && h.why[0] == '\0')
			abort();
	}
	close(fd);
	return 0;
}
