/*
 * Internal: the spawner thread's own posix_spawn (spawner.h), for the
 * spawns of proc.c.
 *
 * glibc's posix_spawn restores every one of the 64 signal dispositions in
 * the child (POSIX_SPAWN_SETSIGDEF with them all, or a query of each:
 * 64 system calls either way), checks each descriptor against
 * RLIMIT_NOFILE, and maps and unmaps a child stack per call (a TLB
 * shootdown on every CPU the process runs on). On a virtual machine where
 * a system call costs microseconds, that was most of a spawn's time on
 * the spawner. This one, run only on the spawner thread (all signals
 * blocked, a descriptor table of a handful, all CLOEXEC above 2):
 *
 *   - resets only the signals that are ignored or caught (read from
 *     /proc/self/status: SigIgn, SigCgt); an execve resets caught ones
 *     anyway, but one pending while the mask is lifted would run the
 *     handler in the child, which shares our memory until it execs;
 *   - lifts the mask just before execve;
 *   - runs on one stack mapped once (vfork semantics: the spawner waits).
 *
 * Same contract as the posix_spawn path: the child leads its own process
 * group, gets @src as 0..2, starts in @working_dir (NULL: ours), nothing
 * else open. Returns 0 (*pid set) or a positive errno (nothing left
 * behind: a child that failed is reaped), or -1 when this path cannot run
 * (the caller uses posix_spawn).
 */
#ifndef BPCI_LIB_RUNTIME_PROC_CLONE_H
#define BPCI_LIB_RUNTIME_PROC_CLONE_H

#include <sys/types.h>

int bpci__proc_clone_spawn(pid_t *pid, const char *path, char *const *argv,
			   char *const *envp, const int *src, const char *working_dir);

#endif
