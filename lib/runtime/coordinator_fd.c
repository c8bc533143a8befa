/*
 * One descriptor for programs that embed the coordinator in their own
 * poll/epoll loop (bpci_coordinator_fd).
 *
 * It is an epoll set of our own holding two descriptors: libevent's epoll
 * descriptor (readable when any watched descriptor is) and a timerfd armed
 * after every step for the earliest pending timeout. libevent exposes
 * neither, so the backend descriptor is recognised as the one eventpoll
 * descriptor that event_base_new() created (when another thread created
 * one at the same moment we cannot tell them apart and give up: -1), and
 * the earliest timeout is found by walking the base's events. The walk
 * costs one pass over the events per step, so it is done only once the
 * program has asked for the descriptor.
 */
#include "runtime/coordinator_internal.h"

#include <dirent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/alloc.h"

#define MAX_TRACKED 4096

static int is_eventpoll(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

/* Bitmap of the eventpoll descriptors open now (fds below MAX_TRACKED). */
static void snapshot(unsigned char *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	memset(set, 0, MAX_TRACKED / 8);
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd < MAX_TRACKED &&
		    is_eventpoll(fd))
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

struct event_base *bpci__coord_new_base(int *backend_fd)
{
	unsigned char before[MAX_TRACKED / 8], after[MAX_TRACKED / 8];
	struct event_base *base;
	int fd, found = -1, count = 0;

	snapshot(before);
	base = event_base_new();
	*backend_fd = -1;
	if (!base || strcmp(event_base_get_method(base), "epoll") != 0)
		return base;
	snapshot(after);
	for (fd = 0; fd < MAX_TRACKED; fd++)
		if ((after[fd / 8] & ~before[fd / 8]) & (1u << (fd % 8))) {
			found = fd;
			count++;
		}
	if (count == 1)
		*backend_fd = found;
	return base;
}

static int earliest(const struct event_base *base, const struct event *ev, void *arg)
{
	struct timeval *best = arg, tv;

	(void)base;
	if (event_pending(ev, EV_TIMEOUT, &tv) & EV_TIMEOUT)
		if ((best->tv_sec == 0 && best->tv_usec == 0) || evutil_timercmp(&tv, best, <))
			*best = tv;
	return 0;
}

void bpci__coord_fd_rearm(bpci_coordinator *c, int now)
{
	struct itimerspec its;
	struct timeval best = {0, 0};
	uint64_t expirations;

	if (c->embed_fd < 0)
		return;
	while (read(c->timer_fd, &expirations, sizeof(expirations)) > 0)
		;
	memset(&its, 0, sizeof(its));
	if (now) {
		its.it_value.tv_nsec = 1; /* at once */
		(void)timerfd_settime(c->timer_fd, 0, &its, NULL);
		return;
	}
	event_base_foreach_event(c->base, earliest, &best);
	if (best.tv_sec == 0 && best.tv_usec == 0) {
		(void)timerfd_settime(c->timer_fd, 0, &its, NULL); /* disarm */
		return;
	}
	/* event_pending() reports timeouts on the wall clock */
	its.it_value.tv_sec = best.tv_sec;
	its.it_value.tv_nsec = best.tv_usec * 1000L;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	(void)timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

int bpci_coordinator_fd(const bpci_coordinator *cc)
{
	bpci_coordinator *c = (bpci_coordinator *)cc; /* set up lazily */
	struct epoll_event ev;

	if (!c || c->backend_fd < 0)
		return -1;
	if (c->embed_fd >= 0)
		return c->embed_fd;
	c->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	c->embed_fd = epoll_create1(EPOLL_CLOEXEC);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (c->timer_fd < 0 || c->embed_fd < 0 ||
	    epoll_ctl(c->embed_fd, EPOLL_CTL_ADD, c->backend_fd, &ev) < 0 ||
	    epoll_ctl(c->embed_fd, EPOLL_CTL_ADD, c->timer_fd, &ev) < 0) {
		if (c->timer_fd >= 0)
			close(c->timer_fd);
		if (c->embed_fd >= 0)
			close(c->embed_fd);
		c->timer_fd = c->embed_fd = -1;
		return -1;
	}
	bpci__coord_fd_rearm(c, 1); /* whatever is pending now runs on the first step */
	return c->embed_fd;
}

void bpci__coord_fd_close(bpci_coordinator *c)
{
	if (c->embed_fd >= 0)
		close(c->embed_fd);
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	c->embed_fd = c->timer_fd = -1;
}
