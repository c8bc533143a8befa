/*
 * Small helpers the benchmarks share (bench/support/bench_util.c): a
 * monotonic clock, sorting samples, finding the built programs and
 * waiting for a daemon's files. Not part of the library.
 */
#ifndef BPCI_BENCH_UTIL_H
#define BPCI_BENCH_UTIL_H

#include <stddef.h>

/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);
/* qsort() comparator of doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);
/* Print "PROGRAM: @what" on stderr and exit 1. */
_Noreturn void bench_die(const char *what);
/* The directory of the built programs: $BPCI_BUILD/bin, else bin/ beside
 * this benchmark's own directory (build/bench/../bin). Dies when neither
 * can be found. */
void bench_bindir(char *out, size_t size);
/* The first line of DIR/NAME (malloc'd), waiting up to @timeout_s for the
 * file to appear; NULL when it did not. */
char *bench_wait_line(const char *dir, const char *name, double timeout_s);

#endif
