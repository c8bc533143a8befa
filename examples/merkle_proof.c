/*
 * merkle_proof - build a small RFC 6962 Merkle tree of audit entries, print
 * its root, then make and check an inclusion proof (entry 2 is in the
 * tree) and a consistency proof (the tree of the first 3 entries is a
 * prefix of the tree of all 5), and show that an altered entry is
 * refused. Runs with no arguments; exit status 0 when everything verifies
 * (and the altered entry does not), 1 otherwise.
 *
 * A real log would keep the leaf hashes on disk and publish signed roots;
 * the calls and the checks are the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpci.h>

static const char *const entries[] = {
	"2026-01-05T10:00:00Z node storage-1 started",
	"2026-01-05T10:00:02Z node compute-1 started",
	"2026-01-05T10:03:41Z policy retention set to 90d",
	"2026-01-05T10:07:19Z node storage-1 health degraded",
	"2026-01-05T10:07:30Z node storage-1 restarted",
};
#define NENTRIES (sizeof entries / sizeof entries[0])

static void print_hash(const char *label, const uint8_t *hash)
{
	int i;

	printf("%s", label);
	for (i = 0; i < BPCI_MERKLE_HASH_SIZE; i++)
		printf("%02x", hash[i]);
	printf("\n");
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "merkle_proof: %s: %s\n", what, bpci_strerror(rc));
	return 1;
}

/* Prove and check that entry @index is in the tree of all entries, then
 * show that the same proof does not vouch for an altered entry. */
static int show_inclusion(const uint8_t *leaves, size_t index, const uint8_t *root)
{
	static const char altered[] = "2026-01-05T10:03:41Z policy retention set to 1d";
	uint8_t altered_hash[BPCI_MERKLE_HASH_SIZE];
	size_t len = (size_t)bpci_merkle_proof_max(NENTRIES);
	uint8_t *path = malloc(len * BPCI_MERKLE_HASH_SIZE + 1);
	int rc, forged;

	if (path == NULL)
		return fail("inclusion proof buffer", BPCI_ENOMEM);
	rc = bpci_merkle_inclusion_proof(path, &len, leaves, NENTRIES, index);
	if (rc == 0)
		rc = bpci_merkle_verify_inclusion(leaves + index * BPCI_MERKLE_HASH_SIZE, index,
						  NENTRIES, path, len, root);
	bpci_merkle_leaf_hash(altered_hash, altered, strlen(altered));
	forged = bpci_merkle_verify_inclusion(altered_hash, index, NENTRIES, path, len, root);
	free(path);
	if (rc < 0)
		return fail("inclusion proof", rc);
	printf("entry %zu \"%s\": included (%zu-hash proof verified)\n", index, entries[index], len);
	if (forged != BPCI_EVERIFY)
		return fail("an altered entry was not refused", forged == 0 ? BPCI_ERROR : forged);
	printf("altered entry \"%s\": refused (%s)\n", altered, bpci_strerror(forged));
	return 0;
}

/* Prove and check that the first @old entries' tree is a prefix of the whole. */
static int show_consistency(const uint8_t *leaves, size_t old, const uint8_t *root)
{
	uint8_t old_root[BPCI_MERKLE_HASH_SIZE];
	size_t len = 0;
	uint8_t *path;
	int rc;

	rc = bpci_merkle_root(old_root, leaves, old);
	if (rc < 0)
		return fail("old root", rc);
	printf("root of the first %zu entries: ", old);
	print_hash("", old_root);
	/* Ask for the length first, then allocate exactly that. */
	rc = bpci_merkle_consistency_proof(NULL, &len, leaves, old, NENTRIES);
	if (rc != BPCI_EBUFS && rc != 0)
		return fail("consistency proof size", rc);
	path = malloc(len * BPCI_MERKLE_HASH_SIZE + 1);
	if (path == NULL)
		return fail("consistency proof buffer", BPCI_ENOMEM);
	rc = bpci_merkle_consistency_proof(path, &len, leaves, old, NENTRIES);
	if (rc == 0)
		rc = bpci_merkle_verify_consistency(old, NENTRIES, path, len, old_root, root);
	free(path);
	if (rc < 0)
		return fail("consistency proof", rc);
	printf("tree of %zu entries extends tree of %zu: consistent (%zu-hash proof verified)\n",
	       (size_t)NENTRIES, old, len);
	return 0;
}

int main(void)
{
	uint8_t leaves[NENTRIES * BPCI_MERKLE_HASH_SIZE], root[BPCI_MERKLE_HASH_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < NENTRIES; i++)
		bpci_merkle_leaf_hash(leaves + i * BPCI_MERKLE_HASH_SIZE, entries[i],
				      strlen(entries[i]));
	rc = bpci_merkle_root(root, leaves, NENTRIES);
	if (rc < 0)
		return fail("root", rc);
	printf("%zu entries\n", (size_t)NENTRIES);
	print_hash("root: ", root);
	if (show_inclusion(leaves, 2, root) != 0 || show_consistency(leaves, 3, root) != 0)
		return 1;

	return 0;
}
