/*
 * The signing key and C2SP signed notes (https://c2sp.org/signed-note,
 * https://c2sp.org/tlog-checkpoint), interoperable with Go's
 * golang.org/x/mod/sumdb/note: an Ed25519 key whose id is the first four
 * bytes of SHA-256(name || "\n" || 0x01 || public key), signature lines
 * "— <name> <base64(id || signature)>", verifier keys
 * "<name>+<hex id>+<base64(0x01 || public key)>".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define EM_DASH "\xe2\x80\x94 "
#define ALG_ED25519 0x01

void bpci__key_id(uint8_t id[4], const char *name, const uint8_t pub[32])
{
	uint8_t md[EVP_MAX_MD_SIZE], buf[256 + 2 + 32];
	size_t n = strlen(name);

	if (n > 256)
		n = 256; /* names are at most 255 bytes; vkey_parse refuses longer */
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = ALG_ED25519;
	memcpy(buf + n + 2, pub, 32);
	if (EVP_Digest(buf, n + 34, md, NULL, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md)); /* never matches a real id: verification fails */
	memcpy(id, md, 4);
}

int bpci__key_public(EVP_PKEY *key, uint8_t pub[32])
{
	size_t n = 32;

	return EVP_PKEY_get_raw_public_key(key, pub, &n) == 1 && n == 32 ? 0 : BPCI_EINVAL;
}

char *bpci__vkey_format(const char *name, const uint8_t pub[32])
{
	uint8_t raw[33], id[4];
	char *b, *out;

	raw[0] = ALG_ED25519;
	memcpy(raw + 1, pub, 32);
	bpci__key_id(id, name, pub);
	if ((b = bpci__b64_encode(raw, sizeof(raw))) == NULL)
		return NULL;
	out = bpci__asprintf("%s+%02x%02x%02x%02x+%s", name, id[0], id[1], id[2], id[3], b);
	bpci__free(b);
	return out;
}

int bpci__vkey_parse(char **name, uint8_t pub[32], uint8_t id[4], const char *vkey)
{
	const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	uint8_t raw[48], want[4];
	unsigned int v[4];
	char hex[9];

	if (p1 == NULL || p2 == NULL || p1 == vkey || p1 - vkey > 255 || p2 - p1 != 9)
		return BPCI_EPARSE;
	memcpy(hex, p1 + 1, 8);
	hex[8] = '\0';
	if (strspn(hex, "0123456789abcdef") != 8 ||
	    sscanf(hex, "%2x%2x%2x%2x", &v[0], &v[1], &v[2], &v[3]) != 4)
		return BPCI_EPARSE;
	if (strlen(p2 + 1) != 44 || bpci__b64_decode(raw, p2 + 1, 44) != 33 ||
	    raw[0] != ALG_ED25519)
		return BPCI_EPARSE;
	if ((*name = bpci__strndup(vkey, (size_t)(p1 - vkey))) == NULL)
		return BPCI_ENOMEM;
	memcpy(pub, raw + 1, 32);
	bpci__key_id(want, *name, pub);
	for (int i = 0; i < 4; i++)
		id[i] = (uint8_t)v[i];
	if (memcmp(want, id, 4) != 0) {
		bpci__free(*name);
		*name = NULL;
		return BPCI_EPARSE; /* the id does not belong to this name and key */
	}
	return 0;
}

static int write_private(bpci_ledger *l, EVP_PKEY *key)
{
	int fd = openat(l->dirfd, "key.pem.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0)
		return BPCI_EIO;
	/* The umask cannot widen 0600, but an old file kept its mode. */
	if (fchmod(fd, 0600) < 0 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return BPCI_EIO;
	}
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 &&
	     fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok)
		return BPCI_EIO;
	if (renameat(l->dirfd, "key.pem.tmp", l->dirfd, "key.pem") < 0)
		return BPCI_EIO;
	return 0;
}

static int write_public(bpci_ledger *l)
{
	char *vkey = bpci__vkey_format(l->origin, l->pub);
	int fd, rc = BPCI_EIO;

	if (vkey == NULL)
		return BPCI_ENOMEM;
	fd = openat(l->dirfd, "key.pub.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && bpci__write_full(fd, vkey, strlen(vkey)) == 0 &&
	    bpci__write_full(fd, "\n", 1) == 0 && fsync(fd) == 0 &&
	    renameat(l->dirfd, "key.pub.tmp", l->dirfd, "key.pub") == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	bpci__free(vkey);
	return rc;
}

static int create_key(bpci_ledger *l, bpci_diag *diag)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	int rc;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOMEM, "key.pem",
				      "Ed25519 key generation failed");
	}
	EVP_PKEY_CTX_free(ctx);
	l->key = key;
	if ((rc = bpci__key_public(key, l->pub)) < 0)
		return rc;
	if ((rc = write_private(l, key)) < 0 || (rc = write_public(l)) < 0 ||
	    (rc = bpci__fsync_dir(l->dirfd)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "key.pem",
				      "cannot be written in %s: %s", l->path, strerror(errno));
	return 0;
}

/* Reads key.pem; BPCI_ENOTFOUND when absent, BPCI_EIO when unreadable. */
static int read_private(int dirfd, EVP_PKEY **out)
{
	int fd = openat(dirfd, "key.pem", O_RDONLY | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return BPCI_EIO;
	}
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL || EVP_PKEY_id(*out) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return BPCI_EVERIFY;
	}
	return 0;
}

/* The verifier key in key.pub, for readers that may not read key.pem. */
static int read_public(int dirfd, uint8_t pub[32])
{
	char buf[400], *name = NULL;
	uint8_t id[4];
	int fd = openat(dirfd, "key.pub", O_RDONLY | O_CLOEXEC), rc;
	ssize_t n;

	if (fd < 0)
		return BPCI_ENOTFOUND;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return BPCI_EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	rc = bpci__vkey_parse(&name, pub, id, buf);
	bpci__free(name);
	return rc;
}

int bpci__key_read_public(int dirfd, uint8_t pub[32])
{
	EVP_PKEY *key = NULL;
	int rc = read_private(dirfd, &key);

	if (rc == 0) {
		rc = bpci__key_public(key, pub);
		EVP_PKEY_free(key);
		return rc;
	}
	return read_public(dirfd, pub);
}

int bpci__key_load_or_create(bpci_ledger *l, bpci_diag *diag)
{
	int rc = read_private(l->dirfd, &l->key);

	if (rc == 0 && (rc = bpci__key_public(l->key, l->pub)) == 0 &&
	    !(l->flags & BPCI_LEDGER_READONLY) && faccessat(l->dirfd, "key.pub", F_OK, 0) != 0)
		rc = write_public(l); /* a crash came between the two files */
	if (rc == 0)
		return 0;
	if (rc == BPCI_EVERIFY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "key.pem",
				      "is not an Ed25519 private key in PEM form");
	if (l->flags & BPCI_LEDGER_READONLY) {
		rc = read_public(l->dirfd, l->pub);
		return rc == BPCI_ENOTFOUND ? 0 : rc; /* no key yet: nothing signed */
	}
	if (rc == BPCI_ENOTFOUND && faccessat(l->dirfd, "key.pub", F_OK, 0) == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "key.pem",
				      "is missing but key.pub exists: a new key would orphan the "
				      "checkpoints signed so far");
	if (rc == BPCI_ENOTFOUND)
		return create_key(l, diag);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "key.pem", "cannot be read: %s",
			      strerror(errno));
}

int bpci__note_sign(char **note, EVP_PKEY *key, const char *name, const uint8_t pub[32],
		    const char *origin, uint64_t size, const uint8_t root[LHASH])
{
	uint8_t sig[4 + 64];
	size_t siglen = 64;
	char *r64 = bpci__b64_encode(root, LHASH), *body = NULL, *s64 = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = BPCI_ENOMEM;

	if (r64 && ctx)
		body = bpci__asprintf("%s\n%llu\n%s\n", origin, (unsigned long long)size, r64);
	if (body) {
		bpci__key_id(sig, name, pub);
		rc = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
				     EVP_DigestSign(ctx, sig + 4, &siglen, (const uint8_t *)body,
						    strlen(body)) == 1 && siglen == 64
			     ? 0 : BPCI_EVERIFY;
	}
	if (rc == 0 && (s64 = bpci__b64_encode(sig, sizeof(sig))) == NULL)
		rc = BPCI_ENOMEM;
	if (rc == 0 && (*note = bpci__asprintf("%s\n" EM_DASH "%s %s\n", body, name, s64)) == NULL)
		rc = BPCI_ENOMEM;
	EVP_MD_CTX_free(ctx);
	bpci__free(r64);
	bpci__free(body);
	bpci__free(s64);
	return rc;
}

static int ed25519_ok(const uint8_t pub[32], const uint8_t *sig, const char *msg, size_t len)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = pk && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		 EVP_DigestVerify(ctx, sig, 64, (const uint8_t *)msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

/* The checkpoint body: origin, size (decimal, no leading zero), root. */
static int parse_body(uint64_t *size, uint8_t root[LHASH], char **origin, const char *b,
		      size_t len, char *why, size_t whylen)
{
	const char *l2 = memchr(b, '\n', len), *l3, *l4;
	uint64_t v = 0;
	const char *p;

	if (l2 == NULL || l2 == b || (l3 = memchr(l2 + 1, '\n', len - (size_t)(l2 + 1 - b))) == NULL ||
	    (l4 = memchr(l3 + 1, '\n', len - (size_t)(l3 + 1 - b))) == NULL) {
		snprintf(why, whylen, "body is not origin, size and root lines");
		return BPCI_EPARSE;
	}
	if (l3 == l2 + 1 || l3 - l2 - 1 > 20 || (l2[1] == '0' && l3 != l2 + 2)) {
		snprintf(why, whylen, "size line is not a decimal number");
		return BPCI_EPARSE;
	}
	for (p = l2 + 1; p < l3; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			snprintf(why, whylen, "size line is not a decimal number");
			return BPCI_EPARSE;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (l4 - l3 - 1 != 44 || bpci__b64_decode(root, l3 + 1, 44) != LHASH) {
		snprintf(why, whylen, "root line is not the base64 of 32 bytes");
		return BPCI_EPARSE;
	}
	*size = v;
	if (origin && (*origin = bpci__strndup(b, (size_t)(l2 - b))) == NULL)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__note_verify(uint64_t *size, uint8_t root[LHASH], char **origin, const char *note,
		      size_t len, const char *vname, const uint8_t pub[32], const uint8_t id[4],
		      char *why, size_t whylen)
{
	const char *sep = NULL, *p, *end = note + len, *nl, *sp;
	size_t i, nlen = vname ? strlen(vname) : 0;
	uint8_t raw[4 + 64 + 8];
	int found = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)note[i] < 0x20 && note[i] != '\n') || note[i] == 0x7f) {
			snprintf(why, whylen, "control character at byte %zu", i);
			return BPCI_EPARSE;
		}
	for (i = 0; i + 1 < len; i++)
		if (note[i] == '\n' && note[i + 1] == '\n')
			sep = note + i; /* the last blank line separates the signatures */
	if (sep == NULL || len == 0 || note[len - 1] != '\n') {
		snprintf(why, whylen, "no blank line before the signatures, or no final newline");
		return BPCI_EPARSE;
	}
	for (p = sep + 2; vname != NULL && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || (size_t)(nl - p) < 4 || memcmp(p, EM_DASH, 4) != 0 ||
		    (sp = memchr(p + 4, ' ', (size_t)(nl - p - 4))) == NULL || sp == p + 4 ||
		    (nl - sp - 1) > (long)(4 * sizeof(raw) / 3)) {
			snprintf(why, whylen, "malformed signature line at byte %zu",
				 (size_t)(p - note));
			return BPCI_EPARSE;
		}
		if ((size_t)(sp - p - 4) != nlen || memcmp(p + 4, vname, nlen) != 0)
			continue; /* another signer: ignored, as the spec says */
		if (bpci__b64_decode(raw, sp + 1, (size_t)(nl - sp - 1)) != 68) {
			snprintf(why, whylen, "signature of %s is not base64 of 68 bytes", vname);
			return BPCI_EPARSE;
		}
		if (memcmp(raw, id, 4) != 0)
			continue;
		if (!ed25519_ok(pub, raw + 4, note, (size_t)(sep + 1 - note))) {
			snprintf(why, whylen, "signature does not verify");
			return BPCI_EVERIFY;
		}
		found = 1;
		break;
	}
	if (!found && vname != NULL) {
		snprintf(why, whylen, "no signature by key %s", vname);
		return BPCI_EVERIFY;
	}
	return parse_body(size, root, origin, note, (size_t)(sep + 1 - note), why, whylen);
}

int bpci_ledger_checkpoint_verify(uint64_t *size, uint8_t root[32], const char *note,
				  const char *vkey, bpci_diag *diag)
{
	char *name = NULL, why[160];
	uint8_t pub[32], id[4], r[LHASH];
	uint64_t s;
	int rc;

	if (note == NULL || vkey == NULL)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "note",
				      "and vkey are required");
	rc = bpci__vkey_parse(&name, pub, id, vkey);
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "vkey",
				      "is not \"<name>+<8 hex>+<base64 Ed25519 key>\" with a "
				      "matching key id: \"%.100s\"", vkey);
	rc = bpci__note_verify(&s, r, NULL, note, strlen(note), name, pub, id, why, sizeof(why));
	bpci__free(name);
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "note", "%s", why);
	if (size)
		*size = s;
	if (root)
		memcpy(root, r, LHASH);
	return 0;
}
