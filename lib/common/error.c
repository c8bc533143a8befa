#include "bpci/error.h"

const char *bpci_strerror(int code)
{
	switch (code) {
	case BPCI_OK: return "success";
	case BPCI_ERROR: return "operation failed";
	case BPCI_ENOMEM: return "out of memory";
	case BPCI_EINVAL: return "invalid value";
	case BPCI_EPARSE: return "malformed input";
	case BPCI_ENOTFOUND: return "not found";
	case BPCI_EEXISTS: return "already exists";
	case BPCI_EIO: return "input/output error";
	case BPCI_ELIMIT: return "limit exceeded";
	case BPCI_EBUFS: return "buffer too small";
	case BPCI_EUNREACHABLE: return "cannot be reached";
	case BPCI_EVERIFY: return "verification failed";
	case BPCI_EBUSY: return "resource busy";
	case BPCI_EUNSUPPORTED: return "unsupported format or feature";
	}
	return "unknown error";
}
