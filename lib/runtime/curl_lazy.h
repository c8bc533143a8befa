/*
 * Internal: libcurl, loaded when first needed (dlopen of libcurl.so.4)
 * instead of linked. Include this instead of <curl/curl.h>: it gives
 * curl's types and constants, and points the curl_* calls the library
 * makes at wrappers that load libcurl on their first use.
 *
 * Why: libcurl brings 28 shared libraries (GnuTLS, Kerberos, LDAP, SSH,
 * RTMP, ...), whose loading and constructors cost every process that
 * links libbpci about 20 ms of start and several MiB of mappings, while
 * a coordinator whose nodes report by sd_notify, and most CLI commands
 * other than the clients, never make an HTTP request. Programs that call
 * libcurl themselves still link it; dlopen then finds the same copy.
 *
 * When libcurl cannot be loaded, bpci__curl_global_init() fails (with the
 * loader's reason in bpci__curl_load_error()) and the wrappers return
 * CURLE_FAILED_INIT, CURLM_INTERNAL_ERROR or NULL: HTTP fails cleanly,
 * everything else works.
 */
#ifndef BPCI_LIB_RUNTIME_CURL_LAZY_H
#define BPCI_LIB_RUNTIME_CURL_LAZY_H

/* The plain prototypes: curl's type-checking macros would wrap our
 * redirected names. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

/* 0 once libcurl is loaded (thread-safe, tried once); BPCI_EIO. */
int bpci__curl_load(void);
/* Why loading failed ("" when it did not). */
const char *bpci__curl_load_error(void);

CURLcode bpci__curl_global_init_real(long flags);
CURL *bpci__curl_easy_init(void);
CURLcode bpci__curl_easy_setopt(CURL *h, CURLoption opt, ...);
CURLcode bpci__curl_easy_getinfo(CURL *h, CURLINFO info, ...);
CURLcode bpci__curl_easy_perform(CURL *h);
void bpci__curl_easy_cleanup(CURL *h);
const char *bpci__curl_easy_strerror(CURLcode cc);
struct curl_slist *bpci__curl_slist_append(struct curl_slist *l, const char *s);
void bpci__curl_slist_free_all(struct curl_slist *l);
CURLM *bpci__curl_multi_init(void);
CURLMcode bpci__curl_multi_setopt(CURLM *m, CURLMoption opt, ...);
CURLMcode bpci__curl_multi_add_handle(CURLM *m, CURL *h);
CURLMcode bpci__curl_multi_remove_handle(CURLM *m, CURL *h);
CURLMcode bpci__curl_multi_assign(CURLM *m, curl_socket_t s, void *p);
CURLMcode bpci__curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *running);
CURLMsg *bpci__curl_multi_info_read(CURLM *m, int *left);
CURLMcode bpci__curl_multi_cleanup(CURLM *m);

/* curl.h makes these three function-like macros (to insist on three
 * arguments); ours take their place. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_init bpci__curl_easy_init
#define curl_easy_setopt bpci__curl_easy_setopt
#define curl_easy_getinfo bpci__curl_easy_getinfo
#define curl_easy_perform bpci__curl_easy_perform
#define curl_easy_cleanup bpci__curl_easy_cleanup
#define curl_easy_strerror bpci__curl_easy_strerror
#define curl_slist_append bpci__curl_slist_append
#define curl_slist_free_all bpci__curl_slist_free_all
#define curl_multi_init bpci__curl_multi_init
#define curl_multi_setopt bpci__curl_multi_setopt
#define curl_multi_add_handle bpci__curl_multi_add_handle
#define curl_multi_remove_handle bpci__curl_multi_remove_handle
#define curl_multi_assign bpci__curl_multi_assign
#define curl_multi_socket_action bpci__curl_multi_socket_action
#define curl_multi_info_read bpci__curl_multi_info_read
#define curl_multi_cleanup bpci__curl_multi_cleanup

#endif
