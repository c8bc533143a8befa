/*
 * libFuzzer target: any bytes given to the daemon tree loader must give a
 * tree that round-trips exactly (every rule held) or an error with no tree;
 * the status of a loaded tree must render; any bytes given to the renderer
 * must render or fail cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpci.h"
#include "bpci/daemon_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const bpci_daemon_tree *t)
{
	bpci_daemon_tree *again = NULL;
	char *a = NULL, *b = NULL, *status = NULL, *text = NULL;

	if (bpci_daemon_tree_to_json(&a, t) != 0)
		abort();
	if (bpci_daemon_tree_from_json(&again, a, strlen(a), NULL) != 0)
		abort();
	if (bpci_daemon_tree_to_json(&b, again) != 0 || strcmp(a, b) != 0)
		abort();
	if (bpci_daemon_tree_status_json(&status, t) != 0 ||
	    bpci_daemon_tree_render(&text, status, strlen(status), NULL) != 0)
		abort();
	bpci_free(a);
	bpci_free(b);
	bpci_free(status);
	bpci_free(text);
	bpci_daemon_tree_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bpci_daemon_tree *t = NULL;
	bpci_diag *diag = NULL;
	char *text = NULL;

	if (bpci_diag_new(&diag) != 0)
		return 0;
	if (bpci_daemon_tree_from_json(&t, (const char *)data, size, diag) == 0)
		check_loaded(t);
	else if (t)
		abort();
	if (bpci_daemon_tree_render(&text, (const char *)data, size, diag) != 0 && text)
		abort();
	bpci_free(text);
	bpci_daemon_tree_free(t);
	bpci_diag_free(diag);
	return 0;
}
