/*
 * libFuzzer target: any bytes given to the configuration loader must give
 * either a config or an error code with diagnostics, never a crash, a leak
 * or unbounded time (the loader bounds size, depth and node count).
 */
#include <stdint.h>
#include <stdlib.h>

#include "bpci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bpci_config *config = NULL;
	bpci_diag *diag = NULL;
	char *json = NULL;
	size_t i;

	if (bpci_diag_new(&diag) != 0)
		return 0;
	if (bpci_config_load_string(&config, (const char *)data, size, "fuzz.yaml",
				    size % 2 ? BPCI_VALIDATE_STRICT : 0, diag) != 0) {
		if (config != NULL) /* no partial config on error */
			abort();
	} else {
		/* A loaded config must serialize, and every node be reachable. */
		if (bpci_config_to_json(&json, config) != 0)
			abort();
		for (i = 0; i < bpci_config_node_count(config); i++)
			if (!bpci_config_node(config, i))
				abort();
		bpci_free(json);
	}
	bpci_config_free(config);
	bpci_diag_free(diag);
	return 0;
}
