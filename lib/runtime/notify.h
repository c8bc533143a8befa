/*
 * Internal: the systemd notification protocol (sd_notify(3)), server and
 * client side.
 *
 * The server owns an AF_UNIX datagram socket bound to a path (in the state
 * directory) or to an abstract address written "@name". SO_PASSCRED makes
 * the kernel attach the sender's credentials to every datagram, so each
 * message is attributed to the pid that really sent it, whatever MAINPID it
 * claims. A datagram is newline-separated KEY=VALUE assignments. Known keys
 * are parsed; unknown keys are ignored (the protocol grows). A datagram
 * larger than 4096 bytes, one with a NUL byte, a line without '=' or with
 * an empty key, or a known key with an invalid value is dropped whole:
 * acting on half of a malformed message is worse than on none. File
 * descriptors passed along (FDSTORE) are closed at once.
 *
 * Single-threaded: use from the thread running the event base.
 */
#ifndef BPCI_LIB_RUNTIME_NOTIFY_H
#define BPCI_LIB_RUNTIME_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpci/error.h"

struct event_base;

#define BPCI__NOTIFY_MAX 4096   /* largest datagram accepted, in bytes */

/* Which fields of a bpci__notify_msg were present. */
enum {
	BPCI__NOTIFY_READY = 1u << 0,
	BPCI__NOTIFY_WATCHDOG = 1u << 1,        /* WATCHDOG=1 */
	BPCI__NOTIFY_WATCHDOG_TRIGGER = 1u << 2, /* WATCHDOG=trigger: fail now */
	BPCI__NOTIFY_STATUS = 1u << 3,
	BPCI__NOTIFY_STOPPING = 1u << 4,
	BPCI__NOTIFY_RELOADING = 1u << 5,
	BPCI__NOTIFY_EXTEND_TIMEOUT = 1u << 6,
	BPCI__NOTIFY_MAINPID = 1u << 7,
	BPCI__NOTIFY_ERRNO = 1u << 8,
	BPCI__NOTIFY_WATCHDOG_USEC = 1u << 9
};

/* One parsed datagram. A key given twice keeps its last value. */
typedef struct bpci__notify_msg {
	unsigned int present;          /* BPCI__NOTIFY_* bits */
	const char *status;            /* STATUS=, borrowed (valid in the callback) */
	uint64_t extend_timeout_usec;  /* EXTEND_TIMEOUT_USEC= */
	uint64_t watchdog_usec;        /* WATCHDOG_USEC= */
	pid_t mainpid;                 /* MAINPID= (> 0) */
	int errno_value;               /* ERRNO= (>= 0) */
} bpci__notify_msg;

/*
 * Parse @len bytes at @buf, which must have room for @len + 1 bytes (it is
 * modified in place: lines are NUL-terminated so that msg->status points
 * into it). Returns 0 (msg->present may be 0 when
 * only unknown keys came), BPCI_ELIMIT (> BPCI__NOTIFY_MAX), BPCI_EPARSE.
 */
int bpci__notify_parse(bpci__notify_msg *msg, char *buf, size_t len);

/* Called for each accepted datagram that set at least one known key, with
 * the sender's pid from its credentials. Whether that pid is a known node
 * is the callback's business. The callback must not free the server. */
typedef void (*bpci__notify_cb)(pid_t pid, const bpci__notify_msg *msg, void *payload);

typedef struct bpci__notify_server bpci__notify_server;

/*
 * Bind the socket at @address (a path, or "@name" for the abstract
 * namespace) and watch it on @base. A stale socket file at the path is
 * replaced; any other existing file is refused. Returns 0 and the server
 * in *out (free with bpci__notify_server_free), BPCI_EINVAL (empty or
 * too-long address), BPCI_EEXISTS (a non-socket file is there),
 * BPCI_EBUSY (address in use), BPCI_EIO, BPCI_ENOMEM.
 */
int bpci__notify_server_new(bpci__notify_server **out, struct event_base *base,
			    const char *address, bpci__notify_cb cb, void *payload,
			    bpci_diag *diag);

/* The address as given ("@name" or a path): the NOTIFY_SOCKET value. */
const char *bpci__notify_server_address(const bpci__notify_server *s);

/* Datagrams dropped so far (oversized, malformed, without credentials). */
uint64_t bpci__notify_server_dropped(const bpci__notify_server *s);

/*
 * Hold (@on 1): datagrams received from now on are kept, not delivered;
 * release (@on 0): the kept ones are delivered from the loop, in order,
 * before anything newer, as many per wakeup as the socket's. For a caller that spawns many processes without
 * running the loop: the socket's queue holds only net.unix.max_dgram_qlen
 * datagrams (10 by default), and every further sender blocks on it; each
 * read then wakes all of them (a thundering herd, quadratic in the number
 * of blocked senders). Draining into memory keeps the queue empty while
 * the messages wait for the nodes they name to be known.
 */
void bpci__notify_server_hold(bpci__notify_server *s, int on);

/* Receive every datagram queued now (delivered, or kept when holding). */
void bpci__notify_server_drain(bpci__notify_server *s);

/*
 * While holding: deliver now, in order, the kept datagrams whose sender
 * @known(pid, @arg) accepts, and keep the others, in order. A pid's
 * datagrams are either all delivered or all kept, so each sender's order
 * holds. Lets a caller that spawns many processes handle the READY=1 of
 * those already known while it spawns the rest.
 */
void bpci__notify_server_release(bpci__notify_server *s, int (*known)(pid_t pid, void *arg),
				 void *arg);

/* Close the socket and unlink its path (not abstract names); kept
 * datagrams are dropped. NULL is a no-op. */
void bpci__notify_server_free(bpci__notify_server *s);

/*
 * Client: send @text as one datagram to @socket_path ("@name" for an
 * abstract address; NULL: $NOTIFY_SOCKET). Blocking send. Returns 0,
 * BPCI_ENOTFOUND (NULL path and no NOTIFY_SOCKET, or nobody bound there),
 * BPCI_EINVAL (address too long or empty), BPCI_ELIMIT (text too long),
 * BPCI_EIO.
 */
int bpci__notify_send(const char *socket_path, const char *text);

#endif
