/*
 * Shared by the files of the merkle test program: a reference
 * implementation of RFC 6962 §2.1 written as literally as the RFC's
 * recursive definitions (MTH, PATH, PROOF/SUBPROOF), hashing with OpenSSL
 * directly so that it shares no code with lib/ledger, and hex helpers.
 */
#ifndef BPCI_TEST_MERKLE_H
#define BPCI_TEST_MERKLE_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#define H 32
#define REF_PROOF_MAX 80

/* A proof as the RFC's list of hashes. */
typedef struct ref_proof {
	uint8_t h[REF_PROOF_MAX][H];
	size_t len;
} ref_proof;

/* Fixture of every test case that uses the reference. */
void ref_setup(void);
void ref_teardown(void);

void ref_leaf(uint8_t out[H], const void *data, size_t len);
void ref_node(uint8_t out[H], const uint8_t l[H], const uint8_t r[H]);
/* MTH(D[n]) of n leaf hashes. */
void ref_mth(uint8_t out[H], const uint8_t *leaves, size_t n);
/* PATH(m, D[n]) and PROOF(m, D[n]). */
void ref_path(ref_proof *p, size_t m, const uint8_t *leaves, size_t n);
void ref_consistency(ref_proof *p, size_t m, const uint8_t *leaves, size_t n);
/* Non-zero when @p holds exactly the @len hashes at @path. */
int ref_proof_equals(const ref_proof *p, const uint8_t *path, size_t len);

/* Decode @hex (even length, exactly @len bytes) into @out. */
void unhex(uint8_t *out, const char *hex, size_t len);
/* Lowercase hex of @len bytes into @out (2 * len + 1 bytes). */
void tohex(char *out, const uint8_t *bytes, size_t len);

TCase *merkle_vectors_tcase(void);
TCase *merkle_reference_tcase(void);

#endif
