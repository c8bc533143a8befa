/*
 * The HTTP API server: the listening socket, evhttp's limits, and the
 * dispatch of each request (authentication, routing, 404/405).
 *
 * The socket is created here rather than by evhttp_bind_socket so that a
 * failure keeps its errno (an address in use is a distinct, common error)
 * and so that the backlog is ours: a burst of clients must queue, not be
 * refused.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/http_server_internal.h"

#define MUTATING (EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE)

/* Splits "host:port" / "[v6]:port" into a socket address. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen,
			bpci_diag *diag)
{
	char host[128];
	const char *colon, *h = addr;
	size_t hlen;
	char *end;
	unsigned long port;
	struct addrinfo hints, *ai = NULL;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		h = addr + 1;
		hlen = rb ? (size_t)(rb - h) : 0;
	} else {
		colon = strrchr(addr, ':');
		hlen = colon ? (size_t)(colon - addr) : 0;
		if (colon && memchr(addr, ':', hlen))
			colon = NULL; /* bare IPv6 needs brackets */
	}
	if (!colon || hlen == 0 || hlen >= sizeof(host) || !colon[1])
		goto bad;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535 || colon[1] == '-' || colon[1] == '+')
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = (socklen_t)ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return 0;
bad:
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "listen",
			      "must be HOST:PORT or [IPV6]:PORT with a numeric host and a "
			      "port 0..65535, got \"%s\"", addr);
}

static int open_listener(bpci__http_server *srv, const char *addr, bpci_diag *diag)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1, rc, err;
	char host[64];

	rc = parse_listen(addr, &ss, &sslen, diag);
	if (rc < 0)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Accepted sockets inherit TCP_NODELAY on Linux. Without it a reply
	 * larger than one bufferevent write (16 KiB) waits for the client's
	 * delayed ACK: ~40 ms per large GET /api/nodes on a kept-alive
	 * connection (measured by bench/coordinator_bench).
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		goto fail;
	if (!evhttp_accept_socket_with_handle(srv->http, fd)) {
		close(fd);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOMEM, "listen",
				      "cannot register %s with the event loop", addr);
	}
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST) != 0)
		strcpy(host, ss.ss_family == AF_INET6 ? "::1" : "127.0.0.1");
	if (ss.ss_family == AF_INET6) {
		srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(srv->url, sizeof(srv->url), "http://[%s]:%u", host, srv->port);
	} else {
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		snprintf(srv->url, sizeof(srv->url), "http://%s:%u", host, srv->port);
	}
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
			      err == EADDRINUSE ? BPCI_EBUSY : BPCI_EIO, "listen",
			      "cannot listen on %s: %s", addr, strerror(err));
}

/* Compares the bearer token in time that depends only on the token's length. */
static int token_ok(const bpci__http_server *srv, const char *auth)
{
	const char *given;
	size_t glen, i;
	unsigned char diff;

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	given = auth + 7;
	while (*given == ' ')
		given++;
	glen = strlen(given);
	diff = (unsigned char)(glen != srv->token_len);
	for (i = 0; i < srv->token_len; i++)
		diff |= (unsigned char)(srv->token[i] ^ (i < glen ? given[i] : 0));
	return diff == 0;
}

static void reply_405(bpci__http_req *req, unsigned int allowed)
{
	char allow[64] = "", msg[160];
	unsigned int bit;

	if (allowed & EVHTTP_REQ_GET)
		allowed |= EVHTTP_REQ_HEAD;
	for (bit = 1; bit <= EVHTTP_REQ_PATCH; bit <<= 1) {
		const char *name = (allowed & bit) ? bpci__http_method_name(bit) : NULL;

		if (!name)
			continue;
		if (allow[0])
			strcat(allow, ", ");
		strcat(allow, name);
	}
	snprintf(msg, sizeof(msg), "%s is not allowed on this path; allowed: %s",
		 req->method, allow);
	bpci__http_reply_header(req, "Allow", allow);
	bpci__http_reply_error(req, 405, "method_not_allowed", msg, NULL);
}

static void dispatch(struct evhttp_request *ev, void *arg)
{
	bpci__http_server *srv = arg;
	bpci__http_req *req = bpci__http_req_new(srv, ev);
	const bpci__http_route_entry *route;
	unsigned int allowed;
	int rc;

	if (!req) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	if (srv->token && (bpci__http_method_bit(req->method) & MUTATING) &&
	    !token_ok(srv, bpci__http_req_header(req, "Authorization"))) {
		bpci__http_reply_header(req, "WWW-Authenticate", "Bearer realm=\"bpci\"");
		bpci__http_reply_error(req, 401, "unauthorized",
				       "this request needs the header Authorization: Bearer "
				       "TOKEN with the daemon's API token", NULL);
		return;
	}
	if (!req->query_parsed) {
		bpci__http_reply_error(req, 400, "bad_request",
				       "the query string is not valid URL encoding", "query");
		return;
	}
	rc = bpci__http_route_find(srv, req, &route, &allowed);
	if (rc == BPCI_ENOMEM) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
	} else if (rc < 0) {
		bpci__http_reply_error(req, 400, "bad_request",
				       "a path segment decodes to a NUL byte", "path");
	} else if (route) {
		route->handler(req, route->payload);
	} else if (allowed) {
		reply_405(req, allowed);
	} else {
		char *msg = bpci__asprintf("no such path: %s", req->path);

		bpci__http_reply_error(req, 404, "not_found", msg ? msg : "no such path", NULL);
		bpci__free(msg);
	}
}

/* A vanished client must not kill the daemon with SIGPIPE. */
static void ignore_sigpipe(void)
{
	struct sigaction old, ign;

	if (sigaction(SIGPIPE, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
	    old.sa_handler == SIG_DFL) {
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, NULL);
	}
}

static void configure(bpci__http_server *srv, const bpci__http_server_opts *o)
{
	struct timeval tv;
	unsigned int ms = o && o->timeout_ms ? o->timeout_ms : BPCI__HTTP_DEFAULT_TIMEOUT_MS;
	size_t body = o && o->max_body ? o->max_body : BPCI__HTTP_DEFAULT_MAX_BODY;
	size_t hdrs = o && o->max_headers ? o->max_headers : BPCI__HTTP_DEFAULT_MAX_HEADERS;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evhttp_set_timeout_tv(srv->http, &tv);
	srv->timeout = tv;
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)body);
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)hdrs);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(srv->http, dispatch, srv);
}

int bpci__http_server_new(bpci__http_server **out, struct event_base *base,
			  const bpci__http_server_opts *opts, bpci_diag *diag)
{
	bpci__http_server *srv;
	int rc;

	*out = NULL;
	if (!base || (opts && opts->version != BPCI__HTTP_SERVER_OPTS_VERSION))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "opts",
				      "need an event base and options of version %d",
				      BPCI__HTTP_SERVER_OPTS_VERSION);
	srv = bpci__calloc(1, sizeof(*srv));
	if (!srv)
		return BPCI_ENOMEM;
	srv->base = base;
	srv->http = evhttp_new(base);
	if (opts && opts->token && opts->token[0]) {
		srv->token = bpci__strdup(opts->token);
		srv->token_len = strlen(opts->token);
	}
	if (!srv->http || (opts && opts->token && opts->token[0] && !srv->token)) {
		bpci__http_server_free(srv);
		return BPCI_ENOMEM;
	}
	configure(srv, opts);
	rc = open_listener(srv, opts && opts->listen ? opts->listen : "127.0.0.1:8080", diag);
	if (rc < 0) {
		bpci__http_server_free(srv);
		return rc;
	}
	ignore_sigpipe();
	*out = srv;
	return 0;
}

void bpci__http_server_free(bpci__http_server *srv)
{
	size_t i;

	if (!srv)
		return;
	bpci__http_req_drop_all(srv);
	if (srv->http)
		evhttp_free(srv->http);
	for (i = 0; i < srv->nroutes; i++)
		bpci__http_route_clear(&srv->routes[i]);
	bpci__free(srv->routes);
	if (srv->token) {
		explicit_bzero(srv->token, srv->token_len);
		bpci__free(srv->token);
	}
	bpci__free(srv);
}

const char *bpci__http_server_url(const bpci__http_server *srv)
{
	return srv ? srv->url : "";
}

uint16_t bpci__http_server_port(const bpci__http_server *srv)
{
	return srv ? srv->port : 0;
}
