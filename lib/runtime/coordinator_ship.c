/*
 * Shipping the coordinator's journal to a remote ledger
 * (bpci_coordinator_ship_to()): the shipper of shipping.c on the journal
 * in DIR/ledger, notified after every flush, and, when it follows the
 * configuration, restarted by a reload that changes
 * audit_integration.bpi_ledger_endpoint.
 */
#include "runtime/coordinator_internal.h"

#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_journal.h"
#include "runtime/shipping.h"

struct bpci__coord_ship {
	bpci__shipping *s;
	bpci_ledger_shipper_options o; /* endpoint NULL: the configuration's */
	char *token;
	int follow;                    /* the endpoint comes from each reload */
};

void bpci__coord_ship_notify(bpci_coordinator *c)
{
	if (c->ship)
		bpci__shipping_notify(c->ship->s);
}

void bpci__coord_ship_stop(bpci_coordinator *c)
{
	if (!c->ship)
		return;
	bpci__shipping_free(c->ship->s);
	if (c->ship->token) {
		explicit_bzero(c->ship->token, strlen(c->ship->token));
		bpci__free(c->ship->token);
	}
	bpci__free(c->ship);
	c->ship = NULL;
}

static int apply(bpci_coordinator *c, const char *endpoint, bpci_diag *diag)
{
	bpci_ledger_shipper_options o = c->ship->o;

	o.endpoint = endpoint;
	o.token = c->ship->token;
	return bpci__shipping_set(&c->ship->s, c->ledger, c->ledger_dir, &o, diag);
}

int bpci_coordinator_ship_to(bpci_coordinator *c, const bpci_ledger_shipper_options *options,
			     bpci_diag *diag)
{
	char *token = NULL;
	int rc;

	if (!c)
		return BPCI_EINVAL;
	if (!options) {
		bpci__coord_ship_stop(c);
		return 0;
	}
	if (options->version != BPCI_LEDGER_SHIPPER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown shipper options version %u (this library knows "
				      "%u)", options->version, BPCI_LEDGER_SHIPPER_OPTIONS_VERSION);
	if (options->token && !(token = bpci__strdup(options->token)))
		return BPCI_ENOMEM;
	if (!c->ship && !(c->ship = bpci__calloc(1, sizeof(*c->ship)))) {
		bpci__free(token);
		return BPCI_ENOMEM;
	}
	if (c->ship->token) {
		explicit_bzero(c->ship->token, strlen(c->ship->token));
		bpci__free(c->ship->token);
	}
	c->ship->token = token;
	c->ship->o = *options;
	c->ship->o.endpoint = NULL;
	c->ship->o.token = NULL;
	c->ship->follow = options->endpoint == NULL;
	if (c->ship->follow) /* until the next reload: what the last one said */
		return 0;
	rc = apply(c, options->endpoint, diag);
	if (rc != 0)
		bpci__coord_ship_stop(c);
	return rc;
}

void bpci__coord_ship_reloaded(bpci_coordinator *c, const bpci_config *config, bpci_diag *diag)
{
	bpci_audit_settings a;
	int rc;

	if (!c->ship || !c->ship->follow || !config)
		return;
	bpci_config_audit(config, &a);
	/* a shipper that cannot start (a damaged state file, no memory) is
	 * no reason to refuse the nodes: a warning, no shipping, and the
	 * next reload tries again */
	rc = apply(c, a.ledger_endpoint, NULL);
	if (rc < 0)
		(void)bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc,
				     "audit_integration.bpi_ledger_endpoint",
				     "cannot ship the journal to %s: %s; it is not shipped (a damaged "
				     "%s/ship-*.state is deleted by hand)",
				     a.ledger_endpoint, bpci_strerror(rc), c->ledger_dir);
}

int bpci_coordinator_ship_stats(bpci_ledger_ship_stats *out, bpci_coordinator *c)
{
	if (!out || !c)
		return BPCI_EINVAL;
	return bpci__shipping_stats(out, c->ship ? c->ship->s : NULL);
}

void bpci__coord_ship_health(json_t *doc, bpci_coordinator *c)
{
	if (c->ship)
		bpci__shipping_health(doc, c->ship->s, c->ledger);
}

char *bpci__coord_ship_metrics(bpci_coordinator *c)
{
	return bpci__shipping_metrics(c->ship ? c->ship->s : NULL, c->ledger);
}
