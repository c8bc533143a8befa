#include "bpci/common.h"

const char *bpci_version(void)
{
	return BPCI_VERSION;
}

int bpci_version_number(void)
{
	return BPCI_VERSION_NUMBER;
}
