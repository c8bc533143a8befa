/*
 * audit_ledger - keep a durable, tamper-evident audit trail: open a ledger
 * in a fresh temporary directory, append a few audit events (each one is
 * on disk when the call returns), print a signed checkpoint, prove that
 * one entry is in the log and check that proof against the checkpoint's
 * root alone, verify the whole directory, then remove it. Runs with no
 * arguments; exit status 0 when everything verifies, 1 otherwise.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpci.h>

static int fail(const char *what, int rc, bpci_diag *diag)
{
	fprintf(stderr, "audit_ledger: %s: %s %s\n", what, bpci_strerror(rc),
		bpci_diag_last_text(diag));
	return 1;
}

/* The ledger directory holds only regular files and snapshots/. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int append_events(bpci_ledger *ledger, bpci_diag *diag, uint64_t *proved)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	int rc;

	/* The original's audit_to_bpi(event, details). */
	rc = bpci_ledger_audit(ledger, "cluster_health_check", "Cluster health: 99.50%");
	if (rc < 0)
		return fail("audit", rc, diag);
	ev.type = "node.started";
	ev.actor = "node-coordinator";
	ev.subject = "storage-1";
	ev.details_json = "{\"pid\":4242,\"endpoint\":\"127.0.0.1:9101\"}";
	if ((rc = bpci_ledger_append(proved, ledger, &ev, diag)) < 0)
		return fail("append", rc, diag);
	ev.type = "port.allocated";
	ev.subject = "pipeline-api-1";
	ev.details_json = "{\"port\":9102}";
	if ((rc = bpci_ledger_append(NULL, ledger, &ev, diag)) < 0)
		return fail("append", rc, diag);
	return 0;
}

/* Proves entry @seq against the root that the signed @note commits to. */
static int prove(bpci_ledger *ledger, const char *note, uint64_t seq, bpci_diag *diag)
{
	uint8_t root[32], leaf[32], path[65 * 32];
	size_t path_len = 65, len;
	uint64_t size;
	char *vkey = NULL, *entry = NULL;
	int rc;

	if ((rc = bpci_ledger_public_key(&vkey, NULL, ledger)) < 0)
		return fail("public key", rc, diag);
	printf("verifier key: %s\n", vkey);
	rc = bpci_ledger_checkpoint_verify(&size, root, note, vkey, diag);
	bpci_free(vkey);
	if (rc < 0)
		return fail("checkpoint signature", rc, diag);
	if ((rc = bpci_ledger_get(&entry, &len, ledger, seq, diag)) < 0)
		return fail("get", rc, diag);
	printf("entry %llu: %s\n", (unsigned long long)seq, entry);
	bpci_merkle_leaf_hash(leaf, entry, len);
	bpci_free(entry);
	rc = bpci_ledger_inclusion_proof(path, &path_len, ledger, seq, size);
	if (rc < 0)
		return fail("inclusion proof", rc, diag);
	rc = bpci_merkle_verify_inclusion(leaf, seq, size, path, path_len, root);
	if (rc < 0)
		return fail("inclusion proof does not verify", rc, diag);
	printf("entry %llu is in the log of %llu entries (proof of %zu hashes)\n",
	       (unsigned long long)seq, (unsigned long long)size, path_len);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/audit-ledger-XXXXXX", *note = NULL;
	bpci_ledger *ledger = NULL;
	bpci_diag *diag = NULL;
	uint64_t seq = 0;
	int rc, status = 1;

	if (mkdtemp(dir) == NULL || bpci_diag_new(&diag) < 0) {
		perror("audit_ledger: setup");
		return 1;
	}
	rc = bpci_ledger_open(&ledger, dir, NULL, diag);
	if (rc < 0) {
		status = fail("open", rc, diag);
		goto out;
	}
	if (append_events(ledger, diag, &seq) != 0)
		goto out;
	if ((rc = bpci_ledger_checkpoint(&note, ledger, diag)) < 0) {
		status = fail("checkpoint", rc, diag);
		goto out;
	}
	printf("checkpoint:\n%s", note);
	if (prove(ledger, note, seq, diag) != 0)
		goto out;
	bpci_ledger_free(ledger);
	ledger = NULL;
	if ((rc = bpci_ledger_verify(dir, NULL, diag, NULL, NULL)) < 0) {
		status = fail("verify", rc, diag);
		goto out;
	}
	printf("ledger verifies\n");
	status = 0;
out:
	bpci_free(note);
	bpci_ledger_free(ledger);
	bpci_diag_free(diag);
	remove_dir(dir);
	return status;
}
