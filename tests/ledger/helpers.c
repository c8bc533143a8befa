/* Helpers of the ledger tests (see ledger_test.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_test.h"
#include "test.h"

bpci_ledger_options lt_options(uint64_t segment_bytes)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;

	o.segment_bytes = segment_bytes;
	o.checkpoint_interval_s = BPCI_LEDGER_CHECKPOINT_NEVER;
	return o;
}

bpci_ledger *lt_open(const char *dir, const bpci_ledger_options *o)
{
	bpci_ledger *l = NULL;
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_ledger_open(&l, dir, o, d);
	ck_assert_msg(rc == 0, "open %s: %s: %s", dir, bpci_strerror(rc), bpci_diag_last_text(d));
	bpci_diag_free(d);
	return l;
}

uint64_t lt_append(bpci_ledger *l, const char *subject)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	uint64_t seq = UINT64_MAX;
	int rc;

	ev.type = "node.started";
	ev.actor = "test";
	ev.subject = subject;
	ev.details_json = "{\"pid\":42}";
	rc = bpci_ledger_append(&seq, l, &ev, NULL);
	ck_assert_msg(rc == 0, "append: %s", bpci_strerror(rc));
	return seq;
}

int lt_verify(const char *dir, const char *vkey, char *msg, size_t cap)
{
	bpci_ledger_verify_options o = BPCI_LEDGER_VERIFY_OPTIONS_INIT;
	bpci_diag *d;
	int rc;

	o.vkey = vkey;
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_ledger_verify(dir, &o, d, NULL, NULL);
	if (msg)
		snprintf(msg, cap, "%s", bpci_diag_last_text(d));
	bpci_diag_free(d);
	return rc;
}

char *lt_read_file(const char *dir, const char *name, size_t *len)
{
	char path[512], *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert(buf != NULL);
	ck_assert(read(fd, buf, (size_t)st.st_size) == st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	if (len)
		*len = (size_t)st.st_size;
	return buf;
}

void lt_write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

void lt_copy_dir(const char *from, const char *to)
{
	struct dirent *de;
	struct stat st;
	char path[512];
	DIR *d = opendir(from);

	ck_assert(d != NULL);
	ck_assert(mkdir(to, 0700) == 0 || errno == EEXIST);
	while ((de = readdir(d)) != NULL) {
		char *data;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", from, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		data = lt_read_file(from, de->d_name, &len);
		lt_write_bytes(to, de->d_name, data, len);
		snprintf(path, sizeof(path), "%s/%s", to, de->d_name);
		chmod(path, st.st_mode & 0777);
		free(data);
	}
	closedir(d);
}

/* Bitwise CRC32C, independent of the library's table version. */
uint32_t lt_crc32c(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;
	int k;

	while (len--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}
