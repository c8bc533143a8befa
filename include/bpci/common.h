/*
 * libbpci — common definitions: export macro, version, memory release.
 *
 * Include <bpci.h> rather than this file.
 */
#ifndef BPCI_COMMON_H
#define BPCI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define BPCI_BEGIN_DECLS extern "C" {
#define BPCI_END_DECLS }
#else
#define BPCI_BEGIN_DECLS
#define BPCI_END_DECLS
#endif

/** Marks a symbol as part of the public ABI (the library builds with
 *  -fvisibility=hidden, so anything not marked stays private). */
#if defined(__GNUC__) || defined(__clang__)
#define BPCI_EXTERN __attribute__((visibility("default")))
#else
#define BPCI_EXTERN
#endif

BPCI_BEGIN_DECLS

/** Compile-time version of the headers. The soname changes with MAJOR only. */
#define BPCI_VERSION_MAJOR 0
#define BPCI_VERSION_MINOR 1
#define BPCI_VERSION_PATCH 0
#define BPCI_VERSION "0.1.0"
/** One number that grows with every release: MAJOR*10000 + MINOR*100 + PATCH. */
#define BPCI_VERSION_NUMBER \
	(BPCI_VERSION_MAJOR * 10000 + BPCI_VERSION_MINOR * 100 + BPCI_VERSION_PATCH)

/**
 * bpci_version - the version of the library actually linked.
 *
 * Returns a static string such as "0.1.0" (never NULL, never to be freed).
 * Compare with BPCI_VERSION to detect a header/library mismatch.
 * Thread-safe.
 */
BPCI_EXTERN const char *bpci_version(void);

/**
 * bpci_version_number - the linked library's BPCI_VERSION_NUMBER.
 * Thread-safe.
 */
BPCI_EXTERN int bpci_version_number(void);

/**
 * bpci_free - release memory that a libbpci function handed to the caller
 * as a plain buffer (for example the text from bpci_node_spec_to_json()).
 *
 * @ptr: the buffer, or NULL (then nothing happens).
 *
 * Never pass a handle here: handles have their own _free function.
 * Thread-safe.
 */
BPCI_EXTERN void bpci_free(void *ptr);

BPCI_END_DECLS

#endif
