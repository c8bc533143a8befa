#include "runtime/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/diag.h"

static int make_addr(const char *host, uint16_t port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!host)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return BPCI_EINVAL;
}

/* Bind a fresh TCP socket; returns the fd or -errno. */
static int bind_tcp(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int bpci__port_free_tcp(const char *host, uint16_t *out, bpci_diag *diag)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (make_addr(host, 0, &ss, &len) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "host",
				      "must be an IPv4 or IPv6 address, got \"%s\"", host);
	fd = bind_tcp(&ss, len);
	if (fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "host",
				      "cannot bind a port on %s: %s", host ? host : "127.0.0.1",
				      strerror(-fd));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int err = errno;

		close(fd);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "host",
				      "getsockname: %s", strerror(err));
	}
	close(fd);
	*out = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int bpci__port_test_bind(const char *host, uint16_t port, bpci_diag *diag)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (port == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "port",
				      "must be 1..65535, got 0");
	if (make_addr(host, port, &ss, &len) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "host",
				      "must be an IPv4 or IPv6 address, got \"%s\"", host);
	fd = bind_tcp(&ss, len);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd == -EADDRINUSE || fd == -EACCES)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "port",
				      "%u on %s is in use", port, host ? host : "127.0.0.1");
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
			      fd == -EADDRNOTAVAIL ? BPCI_EINVAL : BPCI_EIO, "host",
			      "cannot bind %s:%u: %s", host ? host : "127.0.0.1", port,
			      strerror(-fd));
}
