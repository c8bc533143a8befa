/* Shared helpers of the daemon tree tests (tests/daemon/): real bpi-core
 * processes on 127.0.0.1, talked to over HTTP. */
#ifndef BPCI_TESTS_DAEMON_H
#define BPCI_TESTS_DAEMON_H

#include <jansson.h>
#include <sys/types.h>

#include "test.h"

/* A daemon the test started itself (a root, or a remote daemon). */
typedef struct dt_daemon {
	pid_t pid;
	char *dir;      /* its state directory */
	char *url, *token;
	char *err;      /* its stderr file */
} dt_daemon;

/* Start build/bin/bpi-core node-coordinator start --daemon-id @id
 * --state-dir @dir --listen 127.0.0.1:0 plus the NULL-terminated extra
 * arguments; wait until its api.url exists. */
void dt_start(dt_daemon *d, const char *dir, const char *id, ...) __attribute__((sentinel));
/* SIGTERM and wait (SIGKILL after 20 s); returns the exit status. */
int dt_stop(dt_daemon *d);
void dt_free(dt_daemon *d);

/* The daemon at @dir (a child's state directory): its url and token. */
void dt_read_url(const char *dir, char **url, char **token);

/* HTTP: returns the status; *@body (malloc'd) receives the answer. */
long dt_http(const char *method, const char *url, const char *token, const char *body,
	     char **answer);
/* GET @url/api/daemon-tree/status as JSON (with the token when given). */
json_t *dt_status(const char *url, const char *token);
/* The SUBTREE entry of @id within @tree (borrowed), or NULL. */
json_t *dt_find(json_t *tree, const char *id);
/* POST /api/daemons {"daemon_id":@id, "restart":@restart}; asserts 201. */
void dt_add_child(const char *url, const char *token, const char *id, const char *restart);
/* Start a sleeping node on the daemon at @url; returns its pid. */
long dt_start_node(const char *url, const char *token, const char *name);
/* The pid of node @name on the daemon at @url (0 when none). */
long dt_node_pid(const char *url, const char *name);

/* Poll @url's status until entry @id has @state (NULL: any, with a pid) (and, when @not_pid is
 * non-zero, a pid other than it, and when @min_hb > 0 at least that many
 * heartbeats); fail after @timeout_ms. Returns the entry's pid. */
long dt_wait_state(const char *url, const char *id, const char *state, long not_pid,
		   long min_hb, int timeout_ms);

/* 1 when @pid runs (a zombie does not). */
int dt_alive(long pid);
double dt_now(void);
void dt_sleep_ms(long ms);
/* The text of a file (malloc'd; "" when missing). */
char *dt_slurp(const char *path);

void dt_add_tree_tests(Suite *s);
void dt_add_strategy_tests(Suite *s);
void dt_add_api_tests(Suite *s);
void dt_add_inproc_tests(Suite *s);
void dt_add_handover_tests(Suite *s);

#endif
