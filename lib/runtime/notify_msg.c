/* Parsing of one sd_notify datagram (no I/O: fuzzable). */
#include "runtime/notify.h"

#include <limits.h>
#include <string.h>

/* Strict decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int flag_one(bpci__notify_msg *msg, const char *v, unsigned int bit)
{
	if (strcmp(v, "1") != 0)
		return -1;
	msg->present |= bit;
	return 0;
}

static int assign_number(bpci__notify_msg *msg, const char *key, const char *v)
{
	uint64_t n;

	if (parse_u64(v, &n) < 0)
		return -1;
	if (strcmp(key, "EXTEND_TIMEOUT_USEC") == 0) {
		msg->extend_timeout_usec = n;
		msg->present |= BPCI__NOTIFY_EXTEND_TIMEOUT;
	} else if (strcmp(key, "WATCHDOG_USEC") == 0) {
		msg->watchdog_usec = n;
		msg->present |= BPCI__NOTIFY_WATCHDOG_USEC;
	} else if (strcmp(key, "MAINPID") == 0) {
		if (n == 0 || n > INT_MAX)
			return -1;
		msg->mainpid = (pid_t)n;
		msg->present |= BPCI__NOTIFY_MAINPID;
	} else { /* ERRNO */
		if (n > INT_MAX)
			return -1;
		msg->errno_value = (int)n;
		msg->present |= BPCI__NOTIFY_ERRNO;
	}
	return 0;
}

/* One KEY=VALUE; unknown keys are accepted and ignored. */
static int assign(bpci__notify_msg *msg, const char *key, const char *v)
{
	if (strcmp(key, "READY") == 0)
		return flag_one(msg, v, BPCI__NOTIFY_READY);
	if (strcmp(key, "STOPPING") == 0)
		return flag_one(msg, v, BPCI__NOTIFY_STOPPING);
	if (strcmp(key, "RELOADING") == 0)
		return flag_one(msg, v, BPCI__NOTIFY_RELOADING);
	if (strcmp(key, "WATCHDOG") == 0) {
		if (strcmp(v, "trigger") == 0) {
			msg->present |= BPCI__NOTIFY_WATCHDOG_TRIGGER;
			return 0;
		}
		return flag_one(msg, v, BPCI__NOTIFY_WATCHDOG);
	}
	if (strcmp(key, "STATUS") == 0) {
		msg->status = v;
		msg->present |= BPCI__NOTIFY_STATUS;
		return 0;
	}
	if (strcmp(key, "EXTEND_TIMEOUT_USEC") == 0 || strcmp(key, "WATCHDOG_USEC") == 0 ||
	    strcmp(key, "MAINPID") == 0 || strcmp(key, "ERRNO") == 0)
		return assign_number(msg, key, v);
	return 0;
}

int bpci__notify_parse(bpci__notify_msg *msg, char *buf, size_t len)
{
	char *line = buf, *end = buf + len;

	memset(msg, 0, sizeof(*msg));
	if (len > BPCI__NOTIFY_MAX)
		return BPCI_ELIMIT;
	if (len > 0 && memchr(buf, '\0', len))
		return BPCI_EPARSE;
	buf[len] = '\0';
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *eq;

		if (!nl)
			nl = end;
		if (nl > line) {
			eq = memchr(line, '=', (size_t)(nl - line));
			if (!eq || eq == line)
				goto bad;
			*eq = '\0';
			*nl = '\0';
			if (assign(msg, line, eq + 1) < 0)
				goto bad;
		}
		line = nl + 1;
	}
	return 0;
bad:
	memset(msg, 0, sizeof(*msg));
	return BPCI_EPARSE;
}
