/* Fuzz the sd_notify datagram parser (lib/runtime/notify_msg.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	bpci__notify_msg m;
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = bpci__notify_parse(&m, buf, size);
	if (size > BPCI__NOTIFY_MAX && rc != BPCI_ELIMIT)
		abort();
	if (rc < 0 && m.present != 0)
		abort(); /* a refused datagram must not leak half its fields */
	if (rc == 0 && (m.present & BPCI__NOTIFY_STATUS) &&
	    (m.status < buf || m.status > buf + size || strlen(m.status) > size))
		abort();
	if (rc == 0 && (m.present & BPCI__NOTIFY_MAINPID) && m.mainpid <= 0)
		abort();
	free(buf);
	return 0;
}
