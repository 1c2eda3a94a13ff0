/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet-pause: the pod's infra process.  It holds the pod's namespaces
 * open (a namespace lives while a process is in it or a file pins it), and,
 * when the pod shares its PID namespace, it is PID 1 there and reaps the
 * orphans the kernel reparents to it.  Like catatonit and Kubernetes' pause:
 * one signalfd loop, no output, static so it runs from an empty rootfs.
 *
 * Invariants:
 *  - Every signal we can block is blocked before anything else happens and
 *    stays blocked: a signal is only ever consumed from the signalfd, so
 *    none acts by default.  Blocking is also what lets PID 1 of a PID
 *    namespace see SIGTERM at all: the kernel drops a signal whose action
 *    is SIG_DFL for a SIGNAL_UNKILLABLE init (sig_task_ignored()), but never
 *    a blocked one (sig_ignored()), so it stays pending for the signalfd.
 *    SIGKILL from an ancestor namespace (the runtime's `kill`) always works.
 *  - We never print: stdout/stderr may be a closed pipe or a log.
 *  - Exit codes: 128+N after SIGTERM/SIGINT/SIGQUIT/SIGHUP (N the signal),
 *    1 when the signalfd cannot be set up or read; nothing else exits.
 */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_all(void)
{
	/* WNOHANG loop: several children may exit for one SIGCHLD, since
	 * standard signals do not queue. */
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p > 0)
			continue;
		if (p < 0 && errno == EINTR)
			continue;
		return; /* 0: children left but none exited; ECHILD: none left */
	}
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	sigset_t all;
	int sfd;

	(void)argc;
	(void)argv;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return 1;
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (sfd < 0)
		return 1;
	/* Children that exited before the loop starts raised SIGCHLD while
	 * blocked; it is pending and will be read below, but reap now too. */
	reap_all();
	for (;;) {
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return 1;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_all();
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
		case SIGHUP:
			/* The shell convention the runtime and kubelet expect
			 * for a signal death, without dying by the signal. */
			return 128 + (int)si.ssi_signo;
		default:
			/* SIGWINCH, SIGUSR1, SIGPIPE, ...: nothing to do. */
			break;
		}
	}
}
