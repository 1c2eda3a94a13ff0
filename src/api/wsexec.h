/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_WSEXEC_H
#define PODNET_WSEXEC_H

/*
 * Kubernetes' remote command streams over a WebSocket (the channel.k8s.io
 * protocols of pods/exec and pods/attach): every binary message starts
 * with its channel, 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status
 * with the exit code, then the end), 4 resize ({"Width":W,"Height":H});
 * v5.channel.k8s.io adds 255, the close of one channel (stdin's end of
 * file).  WebSocket framing is wslay's; the handshake (101, the
 * Sec-WebSocket-Accept key, the subprotocol) is wsexec_handshake().
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "http.h"

enum wsexec_proto { WSEXEC_NONE = 0, WSEXEC_V4, WSEXEC_V5 };

/*
 * Check that @req asks for a WebSocket with a subprotocol we speak and set
 * @resp to the 101 answer's headers (kind HTTP_RESP_UPGRADE; the caller
 * fills in upgrade/upgrade_ctx).  Returns the protocol, or WSEXEC_NONE
 * with @resp set to the 400 Status to send.
 */
enum wsexec_proto wsexec_handshake(const struct http_req *req, struct http_resp *resp);

/*
 * The WebSocket handshake for the first subprotocol of the client's
 * Sec-WebSocket-Protocol list that is one of @protos: @resp becomes the 101
 * answer naming it.  Returns its index in @protos, or -1 with @resp set to
 * the 400 Status (not a WebSocket request, or none of @protos offered).
 */
int wsexec_accept(const struct http_req *req, struct http_resp *resp, const char *const *protos,
		  size_t n_protos);

/* The process on the other end. */
struct wsexec_proc {
	/* Start it (a terminal of @cols x @rows when tty): fill pid and the
	 * fds below; -1 with *why (heap) when it cannot run. */
	int (*spawn)(void *ctx, struct wsexec_proc *p, unsigned short cols, unsigned short rows,
		     char **why);
	pid_t pid;             /* waited for here; 0: no process, the session
				* ends when out_fd and err_fd reach their end */
	int in_fd;             /* its stdin (a pipe or the pty), -1: none */
	int out_fd;            /* its stdout (or the pty), -1: none */
	int err_fd;            /* its stderr, -1: none (a tty merges it) */
	bool tty;
	/* The exit code of the process given its wait status, and a message
	 * when it did not run at all (heap); may be NULL: plain status. */
	int (*finish)(void *ctx, int wstatus, char **why);
	/* The terminal's new size. */
	void (*resize)(void *ctx, unsigned short cols, unsigned short rows);
	void *ctx;
	char *cmdline;         /* "[sh -c exit 7]" for messages */
};

/*
 * Run the session on @fd (already upgraded) until the process has exited
 * and its output and exit status are sent, or the client left (then the
 * process gets SIGTERM, SIGKILL 2 s later).  Closes the fds of @p; does
 * not close @fd.  @client_fd: the client's TCP socket under TLS (-1:
 * unknown), watched for its hang-up only.  @stopping: end early when it
 * becomes non-zero.
 */
void wsexec_run(int fd, const char *extra, size_t extra_len, enum wsexec_proto proto,
		struct wsexec_proc *p, int client_fd, volatile int *stopping);

/* The error channel's Status for an exit code (0: Success). */
char *wsexec_status_json(int exit_code, const char *cmdline, const char *why);

#endif
