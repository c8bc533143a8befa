/*
 * Internal: TCP ports for nodes without an endpoint.
 *
 * A port is found by letting the kernel pick one (bind to port 0) and is
 * test-bound again right before it is handed out. Neither call holds the
 * port afterwards, so another process can still take it in between; the
 * caller re-tests when it matters. No SO_REUSEADDR: a port with lingering
 * connections counts as busy, which is what a node without the option sees.
 *
 * Thread-safe.
 */
#ifndef BPCI_LIB_RUNTIME_PORT_H
#define BPCI_LIB_RUNTIME_PORT_H

#include <stdint.h>

#include "bpci/error.h"

/*
 * A TCP port on @host (an IPv4 or IPv6 literal, e.g. "127.0.0.1"; NULL
 * means 127.0.0.1) that was free a moment ago. Returns 0 and *out,
 * BPCI_EINVAL (not an address literal), BPCI_EIO.
 */
int bpci__port_free_tcp(const char *host, uint16_t *out, bpci_diag *diag);

/*
 * Whether @port on @host can be bound now. Returns 0 (bindable),
 * BPCI_EBUSY (in use), BPCI_EINVAL (bad host or port 0, or the address is
 * not local), BPCI_EIO.
 */
int bpci__port_test_bind(const char *host, uint16_t port, bpci_diag *diag);

#endif
