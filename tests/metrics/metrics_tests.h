/* The TCases of the metrics test program (one file each). */
#ifndef BPCI_TESTS_METRICS_TESTS_H
#define BPCI_TESTS_METRICS_TESTS_H

#include <check.h>

TCase *bpci_test_procstat_tcase(void);
TCase *bpci_test_exposition_tcase(void);

#endif
