/*
 * Internal: libcurl's process-wide initialisation, done once for every
 * user (the CLI's client, the probes) whatever thread gets there first.
 */
#ifndef BPCI_LIB_RUNTIME_CURL_GLOBAL_H
#define BPCI_LIB_RUNTIME_CURL_GLOBAL_H

/* 0, or BPCI_EIO when curl_global_init failed (then on every call).
 * Thread-safe. curl_global_cleanup is left to the program's exit. */
int bpci__curl_global_init(void);

#endif
