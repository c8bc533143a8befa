/*
 * The service handle: construction, getters and sd_notify messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "notify.h"
#include "service_internal.h"

int bpci_service_new(bpci_service **out, const bpci_service_options *opts, bpci_diag *diag)
{
	bpci_service *svc;
	int rc;

	*out = NULL;
	svc = bpci__calloc(1, sizeof(*svc));
	if (!svc)
		return BPCI_ENOMEM;
	svc->stop_pipe[0] = svc->stop_pipe[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &svc->started);
	rc = bpci__service_load(svc, opts, diag);
	if (rc == 0)
		rc = bpci__service_metrics_init(svc);
	if (rc == 0)
		rc = bpci__service_builtin_routes(svc);
	/* A pipe rather than a flag: the loop can watch it, and write(2) is
	 * async-signal-safe, so request_stop works from a signal handler. */
	if (rc == 0 && pipe2(svc->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				    "pipe2: %s", strerror(errno));
	if (rc != 0) {
		bpci_service_free(svc);
		return rc;
	}
	*out = svc;
	return 0;
}

void bpci_service_free(bpci_service *svc)
{
	size_t i;

	if (!svc)
		return;
	for (i = 0; i < svc->nroutes; i++)
		bpci__service_route_free(svc->routes[i]);
	bpci__free(svc->routes);
	bpci__metrics_free(svc->metrics);
	if (svc->stop_pipe[0] >= 0)
		close(svc->stop_pipe[0]);
	if (svc->stop_pipe[1] >= 0)
		close(svc->stop_pipe[1]);
	bpci_node_spec_free(svc->spec);
	bpci__free(svc->id);
	bpci__free(svc->config_path);
	bpci__free(svc->coordinator_url);
	bpci__free(svc->notify_socket);
	bpci__free(svc);
}

const char *bpci_service_id(const bpci_service *svc)
{
	return svc->id;
}

bpci_node_type bpci_service_type(const bpci_service *svc)
{
	return svc->type;
}

unsigned int bpci_service_port(const bpci_service *svc)
{
	return svc->port;
}

const bpci_node_spec *bpci_service_spec(const bpci_service *svc)
{
	return svc->spec;
}

const char *bpci_service_config_path(const bpci_service *svc)
{
	return svc->config_path;
}

const char *bpci_service_coordinator_url(const bpci_service *svc)
{
	return svc->coordinator_url;
}

uint64_t bpci_service_watchdog_usec(const bpci_service *svc)
{
	return svc->watchdog_usec;
}

double bpci__service_uptime(const bpci_service *svc)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - svc->started.tv_sec) +
	       (double)(now.tv_nsec - svc->started.tv_nsec) / 1e9;
}

int bpci_service_notify(bpci_service *svc, const char *state)
{
	if (!state || !*state)
		return BPCI_EINVAL;
	if (strlen(state) > BPCI__NOTIFY_MAX)
		return BPCI_ELIMIT;
	if (!svc->notify_socket)
		return 0;
	return bpci__notify_send(svc->notify_socket, state);
}

int bpci_service_ready(bpci_service *svc)
{
	return bpci_service_notify(svc, "READY=1");
}

int bpci_service_status(bpci_service *svc, const char *fmt, ...)
{
	static const char key[] = "STATUS=";
	va_list ap;
	char *text, *p;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BPCI_EINVAL;
	text = bpci__malloc(sizeof(key) + (size_t)n);
	if (!text)
		return BPCI_ENOMEM;
	memcpy(text, key, sizeof(key) - 1);
	va_start(ap, fmt);
	vsnprintf(text + sizeof(key) - 1, (size_t)n + 1, fmt, ap);
	va_end(ap);
	for (p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rc = bpci_service_notify(svc, text);
	bpci__free(text);
	return rc;
}

int bpci_service_on_ready(bpci_service *svc, bpci_service_ready_cb cb, void *payload)
{
	svc->ready_cb = cb;
	svc->ready_payload = payload;
	return 0;
}

void bpci_service_request_stop(bpci_service *svc)
{
	int saved = errno;
	ssize_t r;

	/* A full pipe already holds a pending stop: losing this byte is fine. */
	do
		r = write(svc->stop_pipe[1], "x", 1);
	while (r < 0 && errno == EINTR);
	errno = saved;
}
