/*
 * Internal: parsing and formatting of scalar values shared by the node
 * model, the resources module, the configuration loader and the CLI-facing
 * setters. Every parser is strict (the whole string must be consumed,
 * surrounding white space is allowed), returns 0 or BPCI_EINVAL, and leaves
 * *out untouched on error. Callers phrase the message (they know the field).
 */
#ifndef BPCI_LIB_MODEL_TEXT_H
#define BPCI_LIB_MODEL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the UTF-8 sequence at @s as jansson accepts it (1 for ASCII;
 * 0 when invalid: overlong, surrogate, above U+10FFFF, truncated). The JSON
 * writers that must produce jansson's exact bytes use it. */
size_t bpci__utf8_len(const unsigned char *s);

/* Decimal unsigned integer; "10_000" and "10,000" are NOT accepted. */
int bpci__parse_uint(const char *s, uint64_t *out);
/* Finite real number ("0.95", "1e3"). */
int bpci__parse_number(const char *s, double *out);
/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int bpci__parse_bool(const char *s, int *out);

/*
 * Duration: a number with a unit, or several ("1h30m"): ms, s, m, h, d,
 * w (7d), y (365d). A bare number is in @bare_unit ("ms", "s", "h", "d");
 * a NULL @bare_unit refuses bare numbers. Units are lower-case and come
 * largest first, each once ("30m1h" and "1m1m" are refused). A component
 * may be fractional if the result is whole milliseconds ("1.5s").
 * Stored in milliseconds; overflow is an error.
 */
int bpci__parse_duration(const char *s, const char *bare_unit, uint64_t *ms);
/* Largest single unit that divides exactly: "7y", "90d", "12h", "1500ms", "0s". */
void bpci__format_duration(char *buf, size_t size, uint64_t ms);

/*
 * Size in bytes: "16Gi", "512Mi", "1.5Ti", "500G" (10^9), "500GB", "16GiB",
 * "1024" with @bare_unit_bytes per unit of a bare number (1<<30 for *_gb
 * fields; 0 refuses bare numbers); a number may be fractional ("0.5",
 * "1.5Gi", at most 9 significant decimals) and is rounded to the nearest
 * byte, except that a fraction of one byte is refused ("1.5B").
 * Binary suffixes (Ki..Ei, KiB..EiB) take any case; decimal ones are K..E
 * or "k", and with a B suffix any case ("GB", "gb"); "B" alone is bytes.
 */
int bpci__parse_size(const char *s, uint64_t bare_unit_bytes, uint64_t *bytes);
/* Largest binary unit that divides exactly: "16Gi", "100Mi", "512" (bytes). */
void bpci__format_size(char *buf, size_t size, uint64_t bytes);

/* CPU: "8", "8 cores", "1 core", "0.5", "500m"; stored in millicores. */
int bpci__parse_cpu(const char *s, uint64_t *millicores);
/* "8", "0.5", "0.125" (cores, shortest exact form) */
void bpci__format_cpu(char *buf, size_t size, uint64_t millicores);

/*
 * Bandwidth: "1000", "1000Mbps", "1Gbps", "100M", "1G", "2000Kbps",
 * "10Gbit/s"; stored in Mbit/s, so an amount that is not whole Mbit/s
 * ("10Kbps", "0.5") is refused. The prefix letter takes any case, "bps"
 * must be lower-case ("GBps" would be bytes).
 */
int bpci__parse_bandwidth(const char *s, uint64_t *mbps);

/* Absolute http:// or https:// URL with a non-empty host and no white space. */
int bpci__is_url(const char *s);
/* Identifier: [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
int bpci__is_ident(const char *s);

/* Levenshtein distance (bytes, case-insensitive). */
size_t bpci__edit_distance(const char *a, const char *b);
/*
 * The candidate nearest to @word when it is close enough to be a likely
 * typo (distance <= max(1, strlen(word)/3)); NULL otherwise. Borrowed.
 */
const char *bpci__suggest(const char *word, const char *const *candidates, size_t n);

/*
 * Split a command line like a POSIX shell does for words: blanks separate,
 * '...' and "..." quote, backslash escapes. No expansion. *argv is an array
 * of *argc strings followed by NULL, allocated with bpci__malloc; free with
 * bpci__free_argv(). Returns 0, BPCI_EINVAL (unterminated quote, empty) or
 * BPCI_ENOMEM.
 */
int bpci__split_argv(const char *s, char ***argv, size_t *argc);
void bpci__free_argv(char **argv);

/*
 * Split a comma-separated list into trimmed items (empty items are an
 * error). *items is NULL-terminated like bpci__split_argv()'s result and is
 * freed with bpci__free_argv(). Returns 0, BPCI_EINVAL or BPCI_ENOMEM.
 */
int bpci__split_list(const char *s, char ***items, size_t *count);

/* Keccak-256 as Ethereum uses it (original Keccak padding, not SHA3-256). */
void bpci__keccak256(uint8_t out[32], const void *data, size_t len);
/*
 * EIP-55: given "0x" + 40 hex digits (any case), write the checksummed form
 * (42 chars + NUL) into @out. Returns 0 or BPCI_EINVAL when @addr is not
 * 0x + 40 hex digits.
 */
int bpci__eip55_checksum(char out[43], const char *addr);
/*
 * Classify an address: 0 valid (all-lower, all-upper hex, or correct
 * mixed-case checksum); 1 mixed case with a wrong checksum (@fixed holds the
 * right form); BPCI_EINVAL when it is not 0x + 40 hex digits. @fixed may
 * be NULL; when not, it receives the checksummed form whenever 0 or 1 is
 * returned.
 */
int bpci__eip55_check(const char *addr, char fixed[43]);

#endif
