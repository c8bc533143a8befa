/*
 * What the manager knows about a daemon's health beyond its own report:
 * a state it set itself with the reason (a daemon below one that vanished
 * is "unknown" until it reports again), and the last probe by its
 * health_monitoring parent.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"

int bpci_daemon_tree_set_state(bpci_daemon_tree *t, const char *id, const char *state,
			       const char *reason, bpci_diag *diag)
{
	long i = t ? bpci__dt_find(t, id) : -1;
	bpci_daemon_live l;
	char *r = NULL;
	int rc;

	bpci__dt_changed(t);
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "no daemon \"%s\" in the tree", id ? id : "");
	/* Checks the state name the way a report does. */
	if ((rc = bpci_daemon_tree_get_live(&l, t, id)) != 0)
		return rc;
	if (!state)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "state",
				      "a state is required");
	l.state = state;
	if ((rc = bpci_daemon_tree_set_live(t, id, &l, diag)) != 0)
		return rc;
	if (reason && !(r = bpci__strdup(reason)))
		return BPCI_ENOMEM;
	t->d[i].live.reason = r;
	return 0;
}

const char *bpci_daemon_tree_state_reason(const bpci_daemon_tree *t, const char *id)
{
	long i = t ? bpci__dt_find(t, id) : -1;

	return i >= 0 ? t->d[i].live.reason : NULL;
}

int bpci_daemon_tree_set_probe(bpci_daemon_tree *t, const char *id,
			       const bpci_daemon_probe *probe)
{
	long i = t ? bpci__dt_find(t, id) : -1;
	dt_probe p;

	bpci__dt_changed(t);
	if (i < 0)
		return BPCI_ENOTFOUND;
	memset(&p, 0, sizeof(p));
	if (probe && probe->version != BPCI_DAEMON_PROBE_VERSION)
		return BPCI_EUNSUPPORTED;
	if (probe) {
		p.set = 1;
		p.ok = probe->ok != 0;
		p.unhealthy = probe->unhealthy != 0;
		p.ms = probe->latency_ms;
		p.failures = probe->failures;
		if (probe->error && !(p.error = bpci__strdup(probe->error)))
			return BPCI_ENOMEM;
	}
	bpci__free(t->d[i].probe.error);
	t->d[i].probe = p;
	return 0;
}

int bpci_daemon_tree_get_probe(bpci_daemon_probe *out, const bpci_daemon_tree *t,
			       const char *id)
{
	long i = t ? bpci__dt_find(t, id) : -1;
	const dt_probe *p;

	if (i < 0 || !t->d[i].probe.set)
		return BPCI_ENOTFOUND;
	p = &t->d[i].probe;
	memset(out, 0, sizeof(*out));
	out->version = BPCI_DAEMON_PROBE_VERSION;
	out->ok = p->ok;
	out->unhealthy = p->unhealthy;
	out->latency_ms = p->ms;
	out->failures = p->failures;
	out->error = p->error;
	return 0;
}
