/*
 * Fuzz target: bpci_node_spec_from_json() on arbitrary bytes. Whatever it
 * accepts must serialize, read back as an equal spec, and serialize to the
 * same text (the canonical-form promise of bpci_node_spec_to_json()).
 */
#include <bpci.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bpci_node_spec *a = NULL, *b = NULL;
	char *j1 = NULL, *j2 = NULL;
	bpci_diag *diag = NULL;

	if (bpci_diag_new(&diag) != 0)
		return 0;
	if (bpci_node_spec_from_json(&a, (const char *)data, size, diag) == 0) {
		(void)bpci_node_spec_validate(a, BPCI_VALIDATE_STRICT, diag);
		if (bpci_node_spec_to_json(&j1, a) != 0 ||
		    bpci_node_spec_from_json(&b, j1, strlen(j1), NULL) != 0 ||
		    !bpci_node_spec_equal(a, b) || bpci_node_spec_to_json(&j2, b) != 0 ||
		    strcmp(j1, j2) != 0)
			abort();
	}
	bpci_free(j1);
	bpci_free(j2);
	bpci_node_spec_free(a);
	bpci_node_spec_free(b);
	bpci_diag_free(diag);
	return 0;
}
