/* Shared helpers of the cluster manager tests (support.c). */
#ifndef BPCI_TEST_CLUSTER_MANAGER_H
#define BPCI_TEST_CLUSTER_MANAGER_H

#include <bpci.h>

#include "test.h"

typedef struct cm_env {
	char *dir;
	bpci_cluster_manager *cm;
	bpci_diag *diag;
	int kinds[64];
	size_t nkinds;
} cm_env;

/* A temporary directory and a manager on it (11 free ports of its own). */
void cm_setup(cm_env *e);
/* Open a manager on e->dir into e->cm with port ranges @ranges (NULL: 11
 * free ports from cm_free_range()); returns rc. */
int cm_open(cm_env *e, const char *ranges);
/* Find @n consecutive ports that bind on 127.0.0.1, write "A-B" into
 * @text and return A. Never fixed ports: tests run beside other tests. */
unsigned int cm_free_range(char *text, size_t size, unsigned int n);
/* Shut down, free, remove the directory. */
void cm_teardown(cm_env *e);
/* Wait until replica @id's node runs; returns its pid. */
int cm_wait_running(cm_env *e, const char *id);
/* Entries of the ledger at DIR/ledger (read-only open) whose text holds
 * "type":"@type"; e->cm must be freed first. */
size_t cm_count_type(const char *dir, const char *type);
uint64_t cm_ledger_size(const char *dir);
int cm_alive(int pid);

void cm_add_manager(Suite *s);
void cm_add_cli(Suite *s);
void cm_add_tree(Suite *s);
void cm_add_standby(Suite *s);
void cm_add_glue(Suite *s);

#endif
