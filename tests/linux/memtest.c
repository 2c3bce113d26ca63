/*
 * The parts of the Linux guest test (tests/linux/init.sh) a shell cannot do:
 *   memtest mmap MIB   map MIB of anonymous memory, touch and check every
 *                      page, munmap it, and see a child fault on it after
 *   memtest pipe MIB   push MIB through a pipe to a child and compare sums
 * Exit status 0 when it held, else 1 with one line on stderr saying why.
 * Built static (the initramfs has no libc).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *why)
{
	fprintf(stderr, "memtest: %s\n", why);
	return 1;
}

static int test_mmap(size_t mib)
{
	size_t len = mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	volatile uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (p == MAP_FAILED)
		return fail("mmap failed");
	for (size_t off = 0; off < len; off += page)
		p[off / 8] = off ^ 0x5a5a5a5a5a5a5a5aull;
	for (size_t off = 0; off < len; off += page)
		if (p[off / 8] != (off ^ 0x5a5a5a5a5a5a5a5aull))
			return fail("a page lost what was written to it");
	if (munmap((void *)p, len))
		return fail("munmap failed");
	pid = fork();
	if (pid == 0) {
		(void)p[0];		/* must fault: the mapping is gone */
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return fail("fork/wait failed");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		return fail("reading unmapped memory did not SIGSEGV");
	return 0;
}

static int test_pipe(size_t mib)
{
	static unsigned char buf[65536];
	uint64_t sent = 0, got = 0;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return fail("pipe failed");
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		for (size_t i = 0; i < (mib << 20) / sizeof(buf); i++) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = (unsigned char)(i * 31 + j);
			if (write(fd[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(2);
		}
		_exit(0);
	}
	close(fd[1]);
	for (size_t i = 0; i < (mib << 20) / sizeof(buf); i++)
		for (size_t j = 0; j < sizeof(buf); j++)
			sent += (unsigned char)(i * 31 + j);
	for (;;) {
		ssize_t n = read(fd[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t j = 0; j < n; j++)
			got += buf[j];
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the writer failed");
	return got == sent ? 0 : fail("the bytes read differ from those written");
}

int main(int argc, char **argv)
{
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;

	if (argc > 1 && !strcmp(argv[1], "mmap"))
		return test_mmap(mib);
	if (argc > 1 && !strcmp(argv[1], "pipe"))
		return test_pipe(mib);
	return fail("usage: memtest mmap|pipe MIB");
}
