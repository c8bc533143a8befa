/*
 * Checkpoints: signed notes kept in the append-only file "checkpoints"
 * (a 16-byte header "BPCICKP1" and zeros, then records framed like the
 * segments'). A new one is signed only when a consistency proof from the
 * latest one to the new tree verifies, so no two checkpoints of this log
 * can ever describe diverging histories.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpci/merkle.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "ledger/ledger_internal.h"

#define CKPT_FILE "checkpoints"

static int ckpt_open(bpci_ledger *l, uint64_t *fsize)
{
	uint8_t hdr[FILE_HDR];
	int ro = (l->flags & BPCI_LEDGER_READONLY) != 0;

	if (l->ckptfd < 0)
		l->ckptfd = openat(l->dirfd, CKPT_FILE,
				   (ro ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
	if (l->ckptfd < 0)
		return ro && errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO;
	if (bpci__file_size(l->ckptfd, fsize) < 0)
		return BPCI_EIO;
	if (*fsize == 0 && !ro) {
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, CKPT_MAGIC, 8);
		if (bpci__pwrite_full(l->ckptfd, hdr, FILE_HDR, 0) < 0 || fsync(l->ckptfd) < 0)
			return BPCI_EIO;
		*fsize = FILE_HDR;
	}
	if (*fsize < FILE_HDR)
		return ro ? BPCI_ENOTFOUND : BPCI_EVERIFY;
	if (bpci__pread_full(l->ckptfd, hdr, FILE_HDR, 0) < 0 || memcmp(hdr, CKPT_MAGIC, 8) != 0)
		return BPCI_EVERIFY;
	return 0;
}

/* The latest checkpoint must describe a prefix of the entries we hold. */
static int check_latest(bpci_ledger *l, bpci_diag *diag)
{
	uint8_t root[LHASH];
	char why[160];
	int rc = bpci__note_verify(&l->last_size, l->last_root, NULL, l->last_note,
				   strlen(l->last_note), NULL, NULL, NULL, why, sizeof(why));

	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, CKPT_FILE,
				      "checkpoint %llu: %s", (unsigned long long)(l->ckpt_count - 1),
				      why);
	if (l->last_size > l->size)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, CKPT_FILE,
				      "checkpoint %llu covers %llu entries but the ledger holds "
				      "only %llu: acknowledged entries are missing",
				      (unsigned long long)(l->ckpt_count - 1),
				      (unsigned long long)l->last_size, (unsigned long long)l->size);
	rc = bpci__tree_root(&l->rtree, &l->rhash, root, l->last_size);
	if (rc < 0)
		return rc;
	if (memcmp(root, l->last_root, LHASH) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, CKPT_FILE,
				      "checkpoint %llu: root at size %llu differs from the "
				      "entries' tree: the log was rewritten",
				      (unsigned long long)(l->ckpt_count - 1),
				      (unsigned long long)l->last_size);
	return 0;
}

int bpci__ckpt_load(bpci_ledger *l, bpci_diag *diag)
{
	uint64_t fsize = 0, off = FILE_HDR, count = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = 0, last_len = 0;
	uint64_t last_off = 0;
	bpci__rec_status st;
	int rc = ckpt_open(l, &fsize), err;

	if (rc == BPCI_ENOTFOUND)
		return 0;
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, CKPT_FILE,
				      "cannot be opened or has a bad header");
	while ((st = bpci__record_read(l->ckptfd, off, fsize, CKPT_MAX, &buf, &cap, &len, &err)) ==
	       REC_OK) {
		last_off = off;
		last_len = len;
		off += REC_HDR + len;
		count++;
	}
	if (st != REC_END && !(l->flags & BPCI_LEDGER_READONLY)) {
		int at_end = st == REC_SHORT || (st == REC_BADCRC && off + REC_HDR + len == fsize) ||
			     bpci__tail_is_zero(l->ckptfd, off, fsize);

		if (!at_end) {
			bpci__free(buf);
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, CKPT_FILE,
					      "checkpoint %llu: damaged record at offset %llu",
					      (unsigned long long)count, (unsigned long long)off);
		}
		if (ftruncate(l->ckptfd, (off_t)off) < 0 || fsync(l->ckptfd) < 0) {
			bpci__free(buf);
			return BPCI_EIO;
		}
	}
	l->ckpt_count = count;
	l->ckpt_end = off;
	bpci__free(l->last_note);
	l->last_note = NULL;
	l->last_size = 0;
	if (count > 0) {
		st = bpci__record_read(l->ckptfd, last_off, fsize, CKPT_MAX, &buf, &cap, &last_len,
				       &err);
		if (st != REC_OK || (l->last_note = bpci__strndup((char *)buf, last_len)) == NULL)
			rc = st != REC_OK ? BPCI_EIO : BPCI_ENOMEM;
		else
			rc = check_latest(l, diag);
	}
	bpci__free(buf);
	return rc;
}

/* Refuses to sign unless the latest checkpoint's tree is a prefix of ours. */
static int consistent_with_latest(bpci_ledger *l, const uint8_t root[LHASH], bpci_diag *diag)
{
	uint8_t path[66 * LHASH];
	size_t plen = 66;
	int rc;

	if (l->last_note == NULL || l->last_size == 0)
		return 0;
	if (l->last_size > l->size)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "checkpoint",
				      "latest checkpoint covers %llu entries, the ledger %llu",
				      (unsigned long long)l->last_size,
				      (unsigned long long)l->size);
	rc = bpci__tree_consistency(&l->rtree, &l->rhash, path, &plen, l->last_size, l->size);
	if (rc < 0)
		return rc;
	rc = bpci_merkle_verify_consistency(l->last_size, l->size, path, plen, l->last_root, root);
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EVERIFY, "checkpoint",
				      "the tree of %llu entries is not consistent with the latest "
				      "checkpoint (size %llu): refusing to sign",
				      (unsigned long long)l->size, (unsigned long long)l->last_size);
	return 0;
}

int bpci__ckpt_sign_locked(bpci_ledger *l, char **out, bpci_diag *diag)
{
	uint8_t root[LHASH], hdr[REC_HDR];
	char *note = NULL;
	size_t len;
	int rc;

	if (l->last_note && l->last_size == l->size) {
		*out = bpci__strdup(l->last_note);
		return *out ? 0 : BPCI_ENOMEM;
	}
	if ((rc = bpci__tree_root(&l->rtree, &l->rhash, root, l->size)) < 0 ||
	    (rc = consistent_with_latest(l, root, diag)) < 0)
		return rc;
	rc = bpci__note_sign(&note, l->key, l->origin, l->pub, l->origin, l->size, root);
	if (rc < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "checkpoint",
				      "Ed25519 signing failed");
	len = strlen(note);
	bpci__put32(hdr, (uint32_t)len);
	bpci__put32(hdr + 4, bpci__crc32c(0, note, len));
	if (bpci__pwrite_full(l->ckptfd, hdr, REC_HDR, l->ckpt_end) < 0 ||
	    bpci__pwrite_full(l->ckptfd, note, len, l->ckpt_end + REC_HDR) < 0 ||
	    fdatasync(l->ckptfd) < 0) {
		bpci__free(note);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, CKPT_FILE,
				      "cannot be written: %s", strerror(errno));
	}
	l->ckpt_end += REC_HDR + len;
	l->ckpt_count++;
	l->last_size = l->size;
	memcpy(l->last_root, root, LHASH);
	bpci__free(l->last_note);
	l->last_note = note;
	l->last_ckpt_time = time(NULL);
	l->stats.checkpoints++;
	*out = bpci__strdup(note);
	return *out ? 0 : BPCI_ENOMEM;
}

int bpci_ledger_checkpoint(char **note, bpci_ledger *l, bpci_diag *diag)
{
	int rc;

	if (note == NULL || l == NULL)
		return BPCI_EINVAL;
	if (l->flags & BPCI_LEDGER_READONLY)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ledger",
				      "is open read-only: only the writer signs checkpoints");
	pthread_mutex_lock(&l->mu);
	rc = l->broken ? l->broken : bpci__ckpt_sign_locked(l, note, diag);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_latest_checkpoint(char **note, bpci_ledger *l)
{
	int rc = 0;

	if (note == NULL || l == NULL)
		return BPCI_EINVAL;
	pthread_mutex_lock(&l->mu);
	if (l->last_note == NULL)
		rc = BPCI_ENOTFOUND;
	else if ((*note = bpci__strdup(l->last_note)) == NULL)
		rc = BPCI_ENOMEM;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int bpci_ledger_public_key(char **vkey, uint8_t raw[32], bpci_ledger *l)
{
	static const uint8_t zero[32];

	if (l == NULL)
		return BPCI_EINVAL;
	if (memcmp(l->pub, zero, 32) == 0)
		return BPCI_ENOTFOUND; /* read-only, before the writer made a key */
	if (raw)
		memcpy(raw, l->pub, 32);
	if (vkey && (*vkey = bpci__vkey_format(l->origin, l->pub)) == NULL)
		return BPCI_ENOMEM;
	return 0;
}
