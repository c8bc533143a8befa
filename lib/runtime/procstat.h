/*
 * Internal: resource use of a node measured from /proc, and of the host.
 *
 * A node is a process group (the coordinator starts each node as a group
 * leader), so every figure is a sum over the live processes whose pgid is
 * the node's: the node and whatever it forked. The rule is that a metric is
 * measured or absent, never invented: each field has a presence bit, and a
 * figure that could not be read for one member of the group (permission,
 * missing kernel support) is absent for the whole group rather than a
 * partial sum that looks like a measurement.
 *
 * Thread-safety: every function here is reentrant (no hidden state); the
 * caller keeps the previous sample that rate computations need.
 */
#ifndef BPCI_LIB_RUNTIME_PROCSTAT_H
#define BPCI_LIB_RUNTIME_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpci/error.h"

/* Presence bits of bpci__procstat.present. */
enum {
	BPCI__PS_CPU = 1u << 0,          /* cpu_ns */
	BPCI__PS_RSS = 1u << 1,          /* rss_bytes */
	BPCI__PS_IO = 1u << 2,           /* io_* (all four together) */
	BPCI__PS_FDS = 1u << 3,          /* fds */
	BPCI__PS_THREADS = 1u << 4,      /* threads */
	BPCI__PS_PROCESSES = 1u << 5,    /* processes */
	BPCI__PS_START = 1u << 6,        /* start_ns, uptime_ns */
	BPCI__PS_CONNECTIONS = 1u << 7   /* active_connections */
};

/*
 * One sample of a process group.
 *
 * cpu_ns: user+system time of the live members plus that of the children
 *   they have reaped (stat fields 14-17), so a group's CPU time does not drop
 *   when a worker exits and is waited for. Time of a member reaped by a
 *   process outside the group (e.g. the coordinator reaping the leader) leaves
 *   the sum; bpci__procstat_cpu_percent() then reports absent, not negative.
 *   Zombie members contribute their (final) CPU time and nothing else.
 * rss_bytes: sum of resident pages (/proc/PID/statm field 2 x page size).
 *   Chosen over PSS from smaps_rollup because statm is O(1) per process while
 *   smaps_rollup walks the page tables; the cost is that pages shared between
 *   members (libraries, copy-on-write after fork) count once per member, so
 *   the sum is an upper bound of what the group really holds.
 * io_rchar, io_wchar: bytes passed to read/write-like calls (sockets and
 *   pipes included); io_read_bytes, io_write_bytes: bytes the storage layer
 *   fetched or was sent (/proc/PID/io, which needs ptrace-read access and
 *   CONFIG_TASK_IO_ACCOUNTING). Like CPU time, these include reaped children.
 * fds: open file descriptors (entries of /proc/PID/fd) summed over members.
 * threads, processes: live threads and live (non-zombie) processes.
 * start_ns: start time of the earliest-started live member (the leader while
 *   it lives) in ns since boot (stat field 22); uptime_ns: time since then, on
 *   CLOCK_BOOTTIME (the clock /proc/uptime and field 22 use).
 * active_connections: distinct TCP sockets (IPv4 and IPv6) in state
 *   ESTABLISHED held open by members, matched by socket inode against
 *   /proc/net/tcp{,6}. Absent when any member lives in another network
 *   namespace than the caller, whose tables this process cannot see.
 * sampled_ns: CLOCK_BOOTTIME when the sample was taken (always set).
 */
typedef struct bpci__procstat {
	unsigned int present;
	pid_t pgid;
	uint64_t sampled_ns;
	uint64_t cpu_ns;
	uint64_t rss_bytes;
	uint64_t io_rchar, io_wchar, io_read_bytes, io_write_bytes;
	uint64_t fds;
	uint64_t threads;
	uint64_t processes;
	uint64_t start_ns, uptime_ns;
	uint64_t active_connections;
} bpci__procstat;

/*
 * Samples the process group @pgid into *@out (cleared first).
 * Returns 0; BPCI_ENOTFOUND when the group has no live member (it exited:
 * out->present is 0, nothing reads as zero); BPCI_EINVAL for pgid <= 0;
 * BPCI_EIO when /proc cannot be read at all (errno kept); BPCI_ENOMEM.
 */
int bpci__procstat_sample(pid_t pgid, bpci__procstat *out);

/*
 * Samples @n groups with one pass over /proc (the coordinator's scrape of
 * many nodes costs one directory scan, not one per node). out[i] gets
 * pgids[i]; a group without members has out[i].present == 0. Returns 0 when
 * /proc was read (even if some groups are gone) or a negative code as above
 * (BPCI_EINVAL also when a pgid appears twice); on error every out[i] has
 * present == 0.
 */
int bpci__procstat_sample_many(const pid_t *pgids, size_t n, bpci__procstat *out);

/*
 * CPU use between two samples of the same group, in percent of one CPU
 * (200 means two CPUs busy), into *@out. Returns 0, or BPCI_ENOTFOUND when
 * it cannot be measured: either sample lacks CPU time, they are of different
 * groups, the group's oldest member changed (the leader exited, or the pgid
 * was reused by a new group), no time passed, or CPU time went backwards.
 */
int bpci__procstat_cpu_percent(const bpci__procstat *prev, const bpci__procstat *cur,
			       double *out);

/* Presence bits of bpci__hoststat.present. */
enum {
	BPCI__HS_CPUS = 1u << 0,       /* cpus */
	BPCI__HS_MEMORY = 1u << 1,     /* mem_total_bytes, mem_available_bytes */
	BPCI__HS_CPU_TIME = 1u << 2,   /* cpu_busy_ticks, cpu_total_ticks */
	BPCI__HS_LOAD = 1u << 3        /* load1, load5, load15 */
};

/*
 * The host: online CPUs (sysconf), MemTotal and MemAvailable from
 * /proc/meminfo, the aggregate "cpu" line of /proc/stat (busy = all but idle
 * and iowait; guest time is already inside user), and /proc/loadavg.
 */
typedef struct bpci__hoststat {
	unsigned int present;
	uint64_t cpus;
	uint64_t mem_total_bytes, mem_available_bytes;
	uint64_t cpu_busy_ticks, cpu_total_ticks;
	double load1, load5, load15;
} bpci__hoststat;

/* Samples the host into *@out. Returns 0 when anything was measured, else
 * BPCI_EIO. */
int bpci__hoststat_sample(bpci__hoststat *out);

/*
 * Host CPU utilisation between two samples as a ratio 0..1 into *@out.
 * Returns 0, or BPCI_ENOTFOUND when either sample lacks CPU time or no
 * ticks passed.
 */
int bpci__hoststat_cpu_utilization(const bpci__hoststat *prev, const bpci__hoststat *cur,
				   double *out);

/*
 * Disk usage of the tree at @path (a node's data directory): allocated
 * blocks (st_blocks x 512) of every entry, the root included, not
 * following symbolic links, not crossing into other file systems, each
 * hard-linked inode counted once. Returns 0; BPCI_ENOTFOUND when @path does
 * not exist; BPCI_EIO when some entry cannot be read (the total would be
 * short, so none is given; errno kept); BPCI_ENOMEM.
 */
int bpci__du(const char *path, uint64_t *bytes);

#endif
