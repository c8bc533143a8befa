/*
 * Names of the OTP restart types and strategies, as users type them.
 */
#include <string.h>

#include "bpci/daemon.h"
#include "common/diag.h"

static const char *const restart_names[] = {NULL, "permanent", "transient", "temporary"};
static const char *const strategy_names[] = {NULL, "one_for_one", "one_for_all",
					     "rest_for_one"};

const char *bpci_child_restart_name(bpci_child_restart restart)
{
	return restart >= BPCI_CHILD_PERMANENT && restart <= BPCI_CHILD_TEMPORARY
		       ? restart_names[restart] : NULL;
}

int bpci_child_restart_parse(bpci_child_restart *out, const char *name, bpci_diag *diag)
{
	int i;

	for (i = BPCI_CHILD_PERMANENT; name && i <= BPCI_CHILD_TEMPORARY; i++) {
		if (strcmp(name, restart_names[i]) == 0) {
			if (out)
				*out = (bpci_child_restart)i;
			return 0;
		}
	}
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "restart",
			      "must be permanent, transient or temporary, got '%s'",
			      name ? name : "");
}

const char *bpci_supervisor_strategy_name(bpci_supervisor_strategy strategy)
{
	return strategy >= BPCI_STRATEGY_ONE_FOR_ONE && strategy <= BPCI_STRATEGY_REST_FOR_ONE
		       ? strategy_names[strategy] : NULL;
}

int bpci_supervisor_strategy_parse(bpci_supervisor_strategy *out, const char *name,
				   bpci_diag *diag)
{
	int i;

	for (i = BPCI_STRATEGY_ONE_FOR_ONE; name && i <= BPCI_STRATEGY_REST_FOR_ONE; i++) {
		if (strcmp(name, strategy_names[i]) == 0) {
			if (out)
				*out = (bpci_supervisor_strategy)i;
			return 0;
		}
	}
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "strategy",
			      "must be one_for_one, one_for_all or rest_for_one, got '%s'",
			      name ? name : "");
}
