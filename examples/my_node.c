/*
 * my_node — a node program of your own on the service API.
 *
 * Under a coordinator (bpi-core node-coordinator) it is started with the
 * node process contract in its environment (BPCI_NODE_TYPE, BPCI_NODE_PORT,
 * BPCI_NODE_CONFIG, NOTIFY_SOCKET, ...): it then serves GET /health,
 * GET /metrics and its own GET /greeting/{name} until SIGTERM. Point a
 * node's `command:` at it to try.
 *
 * Started alone (no BPCI_NODE_TYPE), it runs a short demonstration: a
 * storage node built in memory, on a free port, that stops as soon as it
 * is ready. That is what `make check` runs.
 *
 *   cc my_node.c $(pkg-config --cflags --libs bpci) -o my_node
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpci.h>

typedef struct app {
	int demo;
	unsigned long greetings;
} app;

/* GET /greeting/{name}: the program's own route. */
static int greeting(bpci_service_response *res, const bpci_service_request *req,
		    void *payload)
{
	app *a = payload;
	char body[256];

	a->greetings++;
	snprintf(body, sizeof(body), "hello, %s (greeting %lu)\n",
		 bpci_service_request_param(req, "name"), a->greetings);
	return bpci_service_respond(res, 200, "text/plain; charset=utf-8", body);
}

static void on_ready(bpci_service *svc, void *payload)
{
	app *a = payload;

	fprintf(stderr, "my_node: %s node '%s' ready: curl http://127.0.0.1:%u/greeting/you\n",
		bpci_node_type_name(bpci_service_type(svc)), bpci_service_id(svc),
		bpci_service_port(svc));
	if (a->demo)
		bpci_service_request_stop(svc);
}

/* The demonstration's spec: what a coordinator would put in BPCI_NODE_CONFIG. */
static int demo_spec(bpci_node_spec **out, bpci_diag *diag)
{
	int rc = bpci_node_spec_new(out, BPCI_NODE_STORAGE);

	if (rc == 0)
		rc = bpci_node_spec_set(*out, "storage_type", "distributed", diag);
	if (rc == 0)
		rc = bpci_node_spec_set(*out, "capacity_gb", "100", diag);
	return rc;
}

int main(void)
{
	bpci_service_options opts = BPCI_SERVICE_OPTIONS_INIT;
	bpci_node_spec *spec = NULL;
	bpci_service *svc = NULL;
	bpci_diag *diag = NULL;
	app a = {0, 0};
	int rc;

	if (bpci_diag_new(&diag) != 0)
		return 1;
	a.demo = getenv("BPCI_NODE_TYPE") == NULL;
	if (a.demo) {
		fprintf(stderr, "my_node: BPCI_NODE_TYPE is not set, so no coordinator started "
			"this program; running a demonstration that stops once ready\n");
		rc = demo_spec(&spec, diag);
		if (rc != 0)
			goto out;
		opts.type = "storage";
		opts.id = "my-node-demo";
		opts.port = 0;            /* any free port */
		opts.notify_socket = "";  /* nobody to notify */
		opts.spec = spec;
	}
	rc = bpci_service_new(&svc, &opts, diag);
	if (rc != 0)
		goto out;
	rc = bpci_service_route(svc, "GET", "/greeting/{name}", greeting, &a);
	if (rc == 0)
		rc = bpci_service_on_ready(svc, on_ready, &a);
	if (rc == 0)
		rc = bpci_service_run(svc, diag);
	if (rc == 0)
		fprintf(stderr, "my_node: stopped after %lu greetings\n", a.greetings);
out:
	if (rc != 0)
		fprintf(stderr, "my_node: %s (%s)\n", bpci_diag_last_text(diag), bpci_strerror(rc));
	bpci_service_free(svc);
	bpci_node_spec_free(spec);
	bpci_diag_free(diag);
	return rc == 0 ? 0 : 1;
}
