// SPDX-License-Identifier: GPL-2.0
/*
 * The PID 1 of a job's PID namespace. A namespace's init ignores every
 * signal it has no handler for, and its children are reparented to it: so
 * it blocks all signals and takes them with sigwaitinfo(), forwards each to
 * the command's process group, reaps whatever dies, and once the command
 * itself ended, tells the keeper its wait status and exits (the kernel then
 * kills what is left in the namespace). It runs as the job's owner, as the
 * command does: the kernel checks that when the job is registered.
 *
 * It keeps one capability, CAP_SYS_ADMIN, for criu alone: dumping a PID
 * namespace without its own /proc, criu's code in the init mounts a proc
 * of the namespace in the init's working folder, a folder of its own
 * (init_dir) that its owner may write. The command never has it (exec drops
 * it, and the child clears it before). Holding more capabilities than its
 * owner, the init cannot be ptraced nor written to by the owner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "mosctl.h"

extern char **environ;

/* where the descriptors the init keeps are moved, above the others it closes */
#define FD_BASE	100

static void put_status(int fd, uint32_t kind, uint32_t value)
{
	struct mosctl_jobinit_status st = { kind, value };
	ssize_t n;

	do
		n = write(fd, &st, sizeof(st));
	while (n < 0 && errno == EINTR);
}

/* effective and permitted: only CAP_SYS_ADMIN (keep), or nothing */
static int set_caps(bool keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (keep)
		d[0].effective = d[0].permitted = 1U << CAP_SYS_ADMIN;
	return (int)syscall(SYS_capset, &h, d);
}

/* the command, in the init's child: never returns */
static void exec_command(const struct mosctl_jobinit *ji, int err_fd,
			 const sigset_t *old)
{
	const struct mosctl_run_req *req = ji->req;
	int i, e;

	/*
	 * What the caller of mosctl run ignored, the command ignores too (as
	 * exec would have passed it on: nohup works); nothing else, whatever
	 * the keeper ignores.
	 */
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			signal(i, i <= 64 && (req->sigign >> (i - 1) & 1) ? SIG_IGN :
			       SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	setsid();
	if ((ji->uid && set_caps(false) < 0) || fchdir(ji->cwd_fd) < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (dup2(ji->stdio[i], i) < 0)
			goto fail;
	/* all but stdio and err_fd (FD_BASE + 9, close-on-exec) */
	close_range(3, FD_BASE + 8, 0);
	close_range(FD_BASE + 10, ~0U, 0);
	umask((mode_t)req->umask);
	environ = req->envp;
	execvp(req->argv[0], req->argv);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static int move_fd(int fd, int to)
{
	if (fd == to)
		return to;
	if (dup2(fd, to) < 0)
		return -1;
	close(fd);
	return to;
}

void mosctl_jobinit(const struct mosctl_jobinit *in)
{
	struct mosctl_jobinit ji = *in;
	sigset_t all, old;
	int errp[2], e = 0, i;
	pid_t child;
	char go;
	ssize_t n;

	prctl(PR_SET_NAME, "mosix-init");
	/* a session of its own, inside the namespace: criu dumps no outside leader */
	setsid();
	/* keep only what the job needs: the keeper's sockets are not its business */
	ji.go_fd = move_fd(ji.go_fd, FD_BASE);
	ji.status_fd = move_fd(ji.status_fd, FD_BASE + 1);
	ji.cwd_fd = move_fd(ji.cwd_fd, FD_BASE + 2);
	for (i = 0; i < 3; i++)
		ji.stdio[i] = move_fd(ji.stdio[i], FD_BASE + 3 + i);
	if (ji.go_fd < 0 || ji.status_fd < 0 || ji.cwd_fd < 0 || ji.stdio[0] < 0 ||
	    ji.stdio[1] < 0 || ji.stdio[2] < 0)
		_exit(125);
	close_range(0, FD_BASE - 1, 0);
	close_range(FD_BASE + 6, ~0U, 0);

	/* become the owner for good; a failure here never runs anything */
	if (setgroups((size_t)ji.ngroups, ji.groups) < 0 ||
	    setresgid(ji.gid, ji.gid, ji.gid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 1) < 0 ||
	    setresuid(ji.uid, ji.uid, ji.uid) < 0 ||
	    (ji.uid && set_caps(ji.init_dir != NULL) < 0) ||
	    prctl(PR_SET_KEEPCAPS, 0) < 0 ||
	    (ji.init_dir && chdir(ji.init_dir) < 0)) {
		put_status(ji.status_fd, MOSCTL_JOBINIT_SETUP_FAILED, (uint32_t)errno);
		_exit(125);
	}
	put_status(ji.status_fd, MOSCTL_JOBINIT_READY, 0);

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* the keeper registers the job first; EOF: it gave up */
	do
		n = read(ji.go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(0);
	close(ji.go_fd);

	/* (dup2 clears close-on-exec: the exec must close it, or EOF never comes) */
	if (pipe2(errp, O_CLOEXEC) < 0 || move_fd(errp[1], FD_BASE + 9) < 0 ||
	    fcntl(FD_BASE + 9, F_SETFD, FD_CLOEXEC) < 0) {
		put_status(ji.status_fd, MOSCTL_JOBINIT_SETUP_FAILED, (uint32_t)errno);
		_exit(125);
	}
	errp[1] = FD_BASE + 9;
	child = fork();
	if (child < 0) {
		put_status(ji.status_fd, MOSCTL_JOBINIT_SETUP_FAILED, (uint32_t)errno);
		_exit(125);
	}
	if (!child)
		exec_command(&ji, errp[1], &old);
	close(errp[1]);
	close(ji.cwd_fd);
	for (i = 0; i < 3; i++)
		close(ji.stdio[i]);
	/* EOF: the exec succeeded; an errno: it did not */
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(child, NULL, 0);
		put_status(ji.status_fd, MOSCTL_JOBINIT_EXEC_FAILED, (uint32_t)e);
		_exit(127);
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), st;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* the command's process group, as a terminal would */
			if (kill(-child, sig) < 0)
				kill(child, sig);
			continue;
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != child)
				continue;
			put_status(ji.status_fd, MOSCTL_JOBINIT_EXITED, (uint32_t)st);
			_exit(0);
		}
	}
}
