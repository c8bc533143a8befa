#include "runtime/proc_clone.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)
#define KSIG_MAX 64

/* The kernel's struct sigaction for rt_sigaction (no restorer needed for
 * SIG_DFL). */
typedef struct ksigaction {
	unsigned long handler;  /* SIG_DFL: 0 */
	unsigned long flags;
	void *restorer;
	uint64_t mask;
} ksigaction;

typedef struct child_args {
	const char *path;
	char *const *argv, *const *envp;
	const int *src;
	const char *working_dir;
	int reset[KSIG_MAX];
	int nreset;
	int err;              /* written by the child when a step fails */
} child_args;

/* Bits of SigIgn and SigCgt in /proc/self/status (signal n is bit n-1);
 * 0 when unreadable. */
static int dispositions(uint64_t *set)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), found = 0;

	*set = 0;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nSigIgn:\t"))) {
		*set |= strtoull(p + 9, NULL, 16);
		found++;
	}
	if ((p = strstr(buf, "\nSigCgt:\t"))) {
		*set |= strtoull(p + 9, NULL, 16);
		found++;
	}
	return found == 2;
}

/*
 * The child: our memory, the spawner's (suspended) thread's TLS, every
 * signal blocked. Raw system calls only, results into @a (errno is the
 * spawner's). Not instrumented: it runs on a stack the sanitizer does not
 * know.
 */
__attribute__((no_sanitize_address)) static int child(void *arg)
{
	child_args *a = arg;
	ksigaction dfl = {0, 0, NULL, 0};
	uint64_t none = 0;
	long r = 0;
	int i;

	for (i = 0; i < a->nreset; i++)
		(void)syscall(SYS_rt_sigaction, a->reset[i], &dfl, NULL, sizeof(uint64_t));
	if ((r = syscall(SYS_setpgid, 0, 0)) == 0)
		for (i = 0; i < 3 && r >= 0; i++)
			r = syscall(SYS_dup2, a->src[i], i);
	if (r >= 0 && a->working_dir)
		r = syscall(SYS_chdir, a->working_dir);
	if (r >= 0)
		r = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	if (r >= 0)
		r = syscall(SYS_execve, a->path, a->argv, a->envp);
	a->err = errno ? errno : EIO; /* the spawner's errno: it is suspended */
	syscall(SYS_exit, 127);
	return 127;
}

static void *stack_top(void)
{
	static _Thread_local void *stack; /* one per spawner worker, mapped once */

	if (!stack) {
		void *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		stack = p;
	}
	return (char *)stack + STACK_SIZE;
}

int bpci__proc_clone_spawn(pid_t *pid, const char *path, char *const *argv,
			   char *const *envp, const int *src, const char *working_dir)
{
	child_args a;
	uint64_t set;
	void *top = stack_top();
	int sig;
	pid_t child_pid;

	if (!top || !dispositions(&set))
		return -1;
	memset(&a, 0, sizeof(a));
	a.path = path;
	a.argv = argv;
	a.envp = envp;
	a.src = src;
	a.working_dir = working_dir;
	for (sig = 1; sig <= KSIG_MAX; sig++)
		if ((set >> (sig - 1)) & 1 && sig != SIGKILL && sig != SIGSTOP)
			a.reset[a.nreset++] = sig;
	child_pid = clone(child, top, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (child_pid < 0)
		return errno;
	if (a.err) {
		while (waitpid(child_pid, NULL, 0) < 0 && errno == EINTR)
			;
		return a.err;
	}
	*pid = child_pid;
	return 0;
}
