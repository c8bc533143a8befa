/*
 * One probe of a node, through the shared probes of probe.h: "GET
 * health.path" on the endpoint must answer 2xx (http), a TCP connect to
 * the endpoint's host and port must be accepted (tcp), or health.command
 * must exit 0 (exec). Each is bounded by health.timeout. The probe context
 * (libcurl's multi handle for HTTP) is created on first use and lives as
 * long as the coordinator.
 */
#include "runtime/coordinator_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "runtime/probe.h"

struct bpci__cprobe {
	bpci__cnode *n;
	bpci__cprobe_cb done;
	bpci__probe *probe;
};

void bpci__cprobe_cancel(bpci__cnode *n)
{
	if (!n->probe)
		return;
	bpci__probe_cancel(n->probe->probe);
	bpci__free(n->probe);
	n->probe = NULL;
}

static void on_result(bpci__probe *p, const bpci__probe_result *r, void *payload)
{
	bpci__cprobe *cp = payload;
	bpci__cnode *n = cp->n;
	bpci__cprobe_cb done = cp->done;
	char why[sizeof(r->reason)];

	(void)p;
	snprintf(why, sizeof(why), "%s", r->reason);
	bpci__cprobe_cancel(n); /* releases cp and p */
	done(n, r->ok, why);
}

/* host and port out of "http://HOST:PORT/..." ("[v6]" accepted). */
static int split_endpoint(const char *url, char *host, size_t hlen, unsigned int *port)
{
	const char *p = strstr(url, "://"), *end, *colon;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(rb - p - 1), p + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		snprintf(host, hlen, "%.*s", (int)((colon ? colon : end) - p), p);
	}
	*port = colon ? (unsigned int)strtoul(colon + 1, NULL, 10)
		      : (strncmp(url, "https", 5) == 0 ? 443u : 80u);
	return *host && *port ? 0 : -1;
}

/* The endpoint with health.path in place of its path. */
static char *health_url(const bpci__cnode *n)
{
	const char *path = "/health", *p = strstr(n->endpoint, "://");
	size_t len;

	(void)bpci_node_spec_get_string(n->spec, "health.path", &path);
	p = p ? p + 3 : n->endpoint;
	len = (size_t)(p - n->endpoint) + strcspn(p, "/?#");
	return bpci__asprintf("%.*s%s", (int)len, n->endpoint, path);
}

static int start(bpci__cprobe *cp, bpci__probe_ctx *ctx)
{
	bpci__cnode *n = cp->n;
	unsigned int tmo = (unsigned int)n->set.timeout_ms, port = 0;
	const char *const *cmd = NULL;
	char host[256], *url, **argv;
	size_t count = 0, i;
	int rc;

	if (n->set.check == BPCI__CHECK_EXEC) {
		if (bpci_node_spec_get_list(n->spec, "health.command", &cmd, &count) < 0 ||
		    count == 0)
			return BPCI_EINVAL;
		argv = bpci__calloc(count + 1, sizeof(*argv));
		if (!argv)
			return BPCI_ENOMEM;
		for (i = 0; i < count; i++)
			argv[i] = (char *)cmd[i];
		rc = bpci__probe_exec(&cp->probe, ctx, (const char *const *)argv, tmo, on_result,
				      cp, NULL);
		bpci__free(argv);
		return rc;
	}
	if (!n->endpoint || split_endpoint(n->endpoint, host, sizeof(host), &port) < 0)
		return BPCI_EINVAL;
	if (n->set.check == BPCI__CHECK_TCP)
		return bpci__probe_tcp(&cp->probe, ctx, host, port, tmo, on_result, cp, NULL);
	url = health_url(n);
	if (!url)
		return BPCI_ENOMEM;
	rc = bpci__probe_http(&cp->probe, ctx, url, 0, tmo, on_result, cp, NULL);
	bpci__free(url);
	return rc;
}

int bpci__cprobe_start(bpci__cnode *n, bpci__cprobe_cb done)
{
	bpci_coordinator *c = n->c;
	bpci__cprobe *cp;
	int rc;

	if (!c->probes && (rc = bpci__probe_ctx_new(&c->probes, c->base, NULL)) < 0)
		return rc;
	cp = bpci__calloc(1, sizeof(*cp));
	if (!cp)
		return BPCI_ENOMEM;
	cp->n = n;
	cp->done = done;
	rc = start(cp, c->probes);
	if (rc < 0) {
		bpci__free(cp);
		return rc;
	}
	n->probe = cp;
	return 0;
}
