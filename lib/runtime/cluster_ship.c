/*
 * Shipping the cluster manager's ledger (DIR/ledger) to a remote ledger
 * (bpci_cluster_manager_ship_to()): the shipper of shipping.c, notified
 * after every journal append. The replicas' coordinator journal
 * (DIR/coordinator-ledger) is local history and is not shipped.
 */
#include "runtime/cluster_internal.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_ship.h"
#include "runtime/shipping.h"

int bpci_cluster_manager_ship_to(bpci_cluster_manager *cm,
				 const bpci_ledger_shipper_options *options, bpci_diag *diag)
{
	char *dir;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (options && options->version != BPCI_LEDGER_SHIPPER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown shipper options version %u (this library knows "
				      "%u)", options->version, BPCI_LEDGER_SHIPPER_OPTIONS_VERSION);
	dir = bpci__asprintf("%s/ledger", cm->state_dir);
	if (!dir)
		return BPCI_ENOMEM;
	rc = bpci__shipping_set(&cm->ship, cm->ledger, dir, options, diag);
	bpci__free(dir);
	return rc;
}

int bpci_cluster_manager_ship_stats(bpci_ledger_ship_stats *out, bpci_cluster_manager *cm)
{
	if (!out || !cm)
		return BPCI_EINVAL;
	return bpci__shipping_stats(out, cm->ship);
}

void bpci__cm_ship_notify(bpci_cluster_manager *cm)
{
	bpci__shipping_notify(cm->ship);
}

void bpci__cm_ship_free(bpci_cluster_manager *cm)
{
	bpci__shipping_free(cm->ship);
	cm->ship = NULL;
}

void bpci__cm_ship_health(json_t *doc, bpci_cluster_manager *cm)
{
	bpci__shipping_health(doc, cm->ship, cm->ledger);
}

char *bpci__cm_ship_metrics(bpci_cluster_manager *cm)
{
	return bpci__shipping_metrics(cm->ship, cm->ledger);
}
