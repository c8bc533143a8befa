#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((weak)) int bpci_test_node_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}

const char *bpci_test_build_dir(void)
{
	const char *b = getenv("BPCI_BUILD");

	return b && *b ? b : "build";
}

const char *bpci_test_src(const char *relative)
{
	return relative; /* tests run from the source tree's root */
}

char *bpci_test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	ck_assert(asprintf(&path, "%s/bpci-test-XXXXXX", tmp) > 0);
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp: %s", strerror(errno));
	return path;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void bpci_test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *bpci_test_write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	ck_assert(fputs(text, f) >= 0);
	ck_assert(fclose(f) == 0);
	return path;
}

/* Append what is readable on @fd to the growing buffer; 0 at EOF. */
static int drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	*buf = realloc(*buf, *len + (size_t)n + 1);
	ck_assert(*buf != NULL);
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 1;
}

void bpci_test_run_program(bpci_test_run *r, const char *program, const char *const *argv)
{
	int out[2], err[2];
	posix_spawn_file_actions_t fa;
	char *path, **args;
	size_t n = 0, i, lo = 0, le = 0;
	pid_t pid;
	int st, rc;
	struct pollfd pfd[2];

	while (argv && argv[n])
		n++;
	args = calloc(n + 2, sizeof(*args));
	ck_assert(args != NULL);
	ck_assert(asprintf(&path, "%s/bin/%s", bpci_test_build_dir(), program) > 0);
	args[0] = path;
	for (i = 0; i < n; i++)
		args[i + 1] = (char *)argv[i];
	ck_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	rc = posix_spawn(&pid, path, &fa, NULL, args, environ);
	ck_assert_msg(rc == 0, "spawn %s: %s", path, strerror(rc));
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents && !drain(out[0], &r->out, &lo))
			pfd[0].fd = -1;
		if (pfd[1].revents && !drain(err[0], &r->err, &le))
			pfd[1].fd = -1;
	}
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	free(path);
	free(args);
}

void bpci_test_run_free(bpci_test_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
