#include "runtime/curl_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpci/error.h"

/* The functions we call, from the loaded library. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[256];

/* dlsym into a function pointer without an object-to-function cast. */
static int sym(void *lib, const char *name, void *fp, size_t size)
{
	void *p = dlsym(lib, name);

	if (!p) {
		snprintf(load_error, sizeof(load_error), "libcurl has no %s", name);
		return -1;
	}
	memcpy(fp, &p, size);
	return 0;
}

#define SYM(lib, field, name) sym(lib, name, &api.field, sizeof(api.field))

static void load(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
		return;
	}
	/* kept open for the life of the process, like a linked library */
	loaded = SYM(lib, global_init, "curl_global_init") == 0 &&
		 SYM(lib, easy_init, "curl_easy_init") == 0 &&
		 SYM(lib, easy_setopt, "curl_easy_setopt") == 0 &&
		 SYM(lib, easy_getinfo, "curl_easy_getinfo") == 0 &&
		 SYM(lib, easy_perform, "curl_easy_perform") == 0 &&
		 SYM(lib, easy_cleanup, "curl_easy_cleanup") == 0 &&
		 SYM(lib, easy_strerror, "curl_easy_strerror") == 0 &&
		 SYM(lib, slist_append, "curl_slist_append") == 0 &&
		 SYM(lib, slist_free_all, "curl_slist_free_all") == 0 &&
		 SYM(lib, multi_init, "curl_multi_init") == 0 &&
		 SYM(lib, multi_setopt, "curl_multi_setopt") == 0 &&
		 SYM(lib, multi_add_handle, "curl_multi_add_handle") == 0 &&
		 SYM(lib, multi_remove_handle, "curl_multi_remove_handle") == 0 &&
		 SYM(lib, multi_assign, "curl_multi_assign") == 0 &&
		 SYM(lib, multi_socket_action, "curl_multi_socket_action") == 0 &&
		 SYM(lib, multi_info_read, "curl_multi_info_read") == 0 &&
		 SYM(lib, multi_cleanup, "curl_multi_cleanup") == 0;
}

int bpci__curl_load(void)
{
	pthread_once(&once, load);
	return loaded ? 0 : BPCI_EIO;
}

const char *bpci__curl_load_error(void)
{
	return loaded ? "" : load_error;
}

CURLcode bpci__curl_global_init_real(long flags)
{
	return bpci__curl_load() == 0 ? api.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *bpci__curl_easy_init(void)
{
	return bpci__curl_load() == 0 ? api.easy_init() : NULL;
}

/*
 * The variadic setters take one argument whose type the option's number
 * range tells (curl.h's CURLOPTTYPE_*): read it as that type and pass it
 * on as that type.
 */
typedef void (*fnptr)(void);

#define FORWARD_OPTION(call, opt, ap)                                                   \
	((opt) < CURLOPTTYPE_OBJECTPOINT     ? call(va_arg(ap, long))                   \
	 : (opt) < CURLOPTTYPE_FUNCTIONPOINT ? call(va_arg(ap, void *))                 \
	 : (opt) < CURLOPTTYPE_OFF_T         ? call(va_arg(ap, fnptr))                    \
	 : (opt) < CURLOPTTYPE_BLOB          ? call(va_arg(ap, curl_off_t))             \
					     : call(va_arg(ap, void *)))

CURLcode bpci__curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode cc;

	if (!loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
#define EASY_SET(v) api.easy_setopt(h, opt, v)
	cc = FORWARD_OPTION(EASY_SET, (int)opt, ap);
#undef EASY_SET
	va_end(ap);
	return cc;
}

CURLMcode bpci__curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list ap;
	CURLMcode mc;

	if (!loaded)
		return CURLM_INTERNAL_ERROR;
	va_start(ap, opt);
#define MULTI_SET(v) api.multi_setopt(m, opt, v)
	mc = FORWARD_OPTION(MULTI_SET, (int)opt, ap);
#undef MULTI_SET
	va_end(ap);
	return mc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode bpci__curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	void *out;

	if (!loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	out = va_arg(ap, void *);
	va_end(ap);
	return api.easy_getinfo(h, info, out);
}

CURLcode bpci__curl_easy_perform(CURL *h)
{
	return loaded ? api.easy_perform(h) : CURLE_FAILED_INIT;
}

void bpci__curl_easy_cleanup(CURL *h)
{
	if (loaded)
		api.easy_cleanup(h);
}

const char *bpci__curl_easy_strerror(CURLcode cc)
{
	return loaded ? api.easy_strerror(cc) : load_error;
}

struct curl_slist *bpci__curl_slist_append(struct curl_slist *l, const char *s)
{
	return bpci__curl_load() == 0 ? api.slist_append(l, s) : NULL;
}

void bpci__curl_slist_free_all(struct curl_slist *l)
{
	if (loaded)
		api.slist_free_all(l);
}

CURLM *bpci__curl_multi_init(void)
{
	return bpci__curl_load() == 0 ? api.multi_init() : NULL;
}

CURLMcode bpci__curl_multi_add_handle(CURLM *m, CURL *h)
{
	return loaded ? api.multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode bpci__curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return loaded ? api.multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode bpci__curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
	return loaded ? api.multi_assign(m, s, p) : CURLM_INTERNAL_ERROR;
}

CURLMcode bpci__curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *running)
{
	return loaded ? api.multi_socket_action(m, s, ev, running) : CURLM_INTERNAL_ERROR;
}

CURLMsg *bpci__curl_multi_info_read(CURLM *m, int *left)
{
	return loaded ? api.multi_info_read(m, left) : NULL;
}

CURLMcode bpci__curl_multi_cleanup(CURLM *m)
{
	return loaded ? api.multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}
