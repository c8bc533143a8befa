#include "runtime/token.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sys/random.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/fsutil.h"

#define TOKEN_BYTES 32
#define TOKEN_MAX 512

/* Reads an existing token file; 1 when there is none. */
static int read_token(char **out, const char *path, const char *field, bpci_diag *diag)
{
	char buf[TOKEN_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, field,
				      "cannot read %s: %s", path, strerror(errno));
	}
	n = read(fd, buf, TOKEN_MAX);
	close(fd);
	if (n < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, field,
				      "cannot read %s: %s", path, strerror(errno));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0 || strpbrk(buf, " \t\r\n"))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, field,
				      "%s does not hold a token (one line without blanks); "
				      "remove it to have a new one generated", path);
	*out = bpci__strdup(buf);
	return *out ? 0 : BPCI_ENOMEM;
}

static int make_token(char **out, const char *path, const char *field, bpci_diag *diag)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TOKEN_BYTES];
	char text[2 * TOKEN_BYTES + 2];
	size_t i;
	int rc;

	/* getrandom(2), not OpenSSL's RAND_bytes: initialising OpenSSL for
	 * 32 bytes cost the coordinator ~3 MiB of resident memory for good.
	 * Up to 256 bytes come whole once the pool is initialised. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, field,
				      "cannot draw random bytes for the API token: %s",
				      strerror(errno));
	for (i = 0; i < TOKEN_BYTES; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[2 * TOKEN_BYTES] = '\n';
	text[2 * TOKEN_BYTES + 1] = '\0';
	rc = bpci__write_file_atomic(path, text, 2 * TOKEN_BYTES + 1, 0600, diag);
	if (rc != 0)
		return rc;
	text[2 * TOKEN_BYTES] = '\0';
	*out = bpci__strdup(text);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci__token_load(char **out, const char *path, const char *field, bpci_diag *diag)
{
	int rc = read_token(out, path, field, diag);

	return rc == 1 ? make_token(out, path, field, diag) : rc;
}

int bpci__url_file_write(const char *path, const char *url, bpci_diag *diag)
{
	char *text = bpci__asprintf("%s\n", url);
	int rc;

	if (!text)
		return BPCI_ENOMEM;
	rc = bpci__write_file_atomic(path, text, strlen(text), 0644, diag);
	bpci__free(text);
	return rc;
}
