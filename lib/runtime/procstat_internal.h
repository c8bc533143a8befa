/*
 * Internal to the procstat files: /proc readers shared by the process-group,
 * host and TCP-table code (declared here so tests can reach the parsers).
 */
#ifndef BPCI_LIB_RUNTIME_PROCSTAT_INTERNAL_H
#define BPCI_LIB_RUNTIME_PROCSTAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The fields of /proc/PID/stat that procstat uses (1-based field numbers
 * of proc(5) in comments). */
typedef struct bpci__proc_stat_fields {
	char state;                       /* 3 */
	long long ppid;                   /* 4 */
	long long pgrp;                   /* 5 */
	unsigned long long utime, stime;  /* 14, 15 (clock ticks) */
	unsigned long long cutime, cstime; /* 16, 17 */
	unsigned long long num_threads;   /* 20 */
	unsigned long long starttime;     /* 22 (ticks since boot) */
} bpci__proc_stat_fields;

/* Parses one stat line; comm may contain spaces and ')'. 0 or -1. */
int bpci__parse_proc_stat(const char *text, bpci__proc_stat_fields *f);

/* Reads and parses /proc/@pid/stat. 0, or -1 when the process is gone or
 * the line does not parse. */
int bpci__read_proc_stat(pid_t pid, bpci__proc_stat_fields *f);

/* Reads at most size-1 bytes of @name under @dirfd, NUL-terminated. Returns
 * the length or -1 with errno set. */
int bpci__read_small_file(int dirfd, const char *name, char *buf, size_t size);

/* CLOCK_BOOTTIME in ns (0 if unavailable). */
uint64_t bpci__boottime_ns(void);

/*
 * The inodes of TCP sockets in state ESTABLISHED in the caller's network
 * namespace (/proc/net/tcp and /proc/net/tcp6), sorted ascending, into a new
 * array *@out of *@n (free with bpci__free). Returns 0, BPCI_EIO when neither
 * table can be read, BPCI_ENOMEM.
 */
int bpci__tcp_established(uint64_t **out, size_t *n);

/* qsort/bsearch comparator of uint64_t. */
int bpci__cmp_u64(const void *a, const void *b);

#endif
