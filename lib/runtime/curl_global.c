/*
 * curl_global_init is not thread-safe on older libcurl and must run once
 * before any other curl call, so it sits behind pthread_once.
 */
#include <pthread.h>

#include "bpci/error.h"
#include "runtime/curl_global.h"
#include "runtime/curl_lazy.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_result = CURLE_FAILED_INIT;

static void init_once(void)
{
	init_result = bpci__curl_global_init_real(CURL_GLOBAL_DEFAULT);
}

int bpci__curl_global_init(void)
{
	pthread_once(&once, init_once);
	return init_result == CURLE_OK ? 0 : BPCI_EIO;
}
