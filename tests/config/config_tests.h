/* TCases of the "config" suite (include/bpci/config.h), and helpers. */
#ifndef BPCI_TESTS_CONFIG_H
#define BPCI_TESTS_CONFIG_H

#include "bpci.h"
#include "test.h"

TCase *config_load_tcase(void);
TCase *config_errors_tcase(void);
TCase *config_limits_tcase(void);
TCase *config_json_tcase(void);

/* Load @text as "c.yaml"; on failure asserts that no config came back.
 * *@diag receives a new list (free it). */
int cfg_load(bpci_config **out, const char *text, unsigned int flags, bpci_diag **diag);

/* The text of entry @i (asserting it exists). */
const char *cfg_text(const bpci_diag *diag, size_t i);

/* Read a file of the source tree into a malloc'd string. */
char *cfg_read(const char *path, size_t *len);

#endif
