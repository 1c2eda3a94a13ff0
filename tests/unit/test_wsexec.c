/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The remote command protocol over a WebSocket: the handshake answer
 * (RFC 6455's example key, the subprotocol choice, refusals) and a whole
 * session against a real process, driven by a wslay client over a
 * socketpair as kubectl drives podnetd: stdin in, stdout and stderr out on
 * their channels, stdin closed with v5's close message, the exit code on
 * the error channel, then a normal close.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "tap.h"
#include "wsexec.h"

extern char **environ;

/* A NUL-terminated copy that lives until the next call. */
static const char *text(const char *b, size_t n)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%.*s", (int)n, b);
	return buf;
}

static struct http_req make_req(const char *upgrade, const char *protos)
{
	static struct http_header h[4];
	struct http_req r = { 0 };
	size_t n = 0;

	h[n++] = (struct http_header){ "Connection", "Upgrade" };
	if (upgrade)
		h[n++] = (struct http_header){ "Upgrade", (char *)upgrade };
	h[n++] = (struct http_header){ "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" };
	if (protos)
		h[n++] = (struct http_header){ "Sec-WebSocket-Protocol", (char *)protos };
	r.method = "GET";
	r.path = "/api/v1/namespaces/default/pods/p/exec";
	r.headers = h;
	r.n_headers = n;
	return r;
}

static const char *resp_header(const struct http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* ---- a session */

struct child {
	const char *script;
};

static int spawn_sh(void *ctx, struct wsexec_proc *p, unsigned short cols, unsigned short rows,
		    char **why)
{
	struct child *c = ctx;
	int in[2], out[2], err[2];
	posix_spawn_file_actions_t fa;
	char *argv[] = { "sh", "-c", (char *)c->script, NULL };

	(void)cols;
	(void)rows;
	(void)why;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (posix_spawn(&p->pid, "/bin/sh", &fa, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = err[0];
	return 0;
}

struct server_args {
	int fd;
	struct wsexec_proc p;
	volatile int stopping;
};

static void *server(void *arg)
{
	struct server_args *a = arg;

	wsexec_run(a->fd, NULL, 0, WSEXEC_V5, &a->p, -1, &a->stopping);
	close(a->fd);
	return NULL;
}

struct client {
	int fd;
	char out[4096], err[4096], status[4096];
	size_t out_len, err_len;
	bool closed;
};

static ssize_t c_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct client *c = ud;
	ssize_t n = recv(c->fd, buf, len, 0);

	(void)flags;
	if (n <= 0) {
		wslay_event_set_error(ctx, n < 0 && errno == EAGAIN ? WSLAY_ERR_WOULDBLOCK
								   : WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t c_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		      void *ud)
{
	struct client *c = ud;
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

	(void)flags;
	if (n < 0) {
		wslay_event_set_error(ctx, errno == EAGAIN ? WSLAY_ERR_WOULDBLOCK
							   : WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static int c_mask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
	(void)ctx;
	(void)ud;
	memset(buf, 0x5a, len);
	return 0;
}

static void c_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud)
{
	struct client *c = ud;
	size_t n = a->msg_length ? a->msg_length - 1 : 0;

	(void)ctx;
	if (a->opcode == WSLAY_CONNECTION_CLOSE) {
		c->closed = true;
		return;
	}
	if (!a->msg_length)
		return;
	if (a->msg[0] == 1 && c->out_len + n < sizeof(c->out)) {
		memcpy(c->out + c->out_len, a->msg + 1, n);
		c->out_len += n;
	} else if (a->msg[0] == 2 && c->err_len + n < sizeof(c->err)) {
		memcpy(c->err + c->err_len, a->msg + 1, n);
		c->err_len += n;
	} else if (a->msg[0] == 3 && n < sizeof(c->status)) {
		memcpy(c->status, a->msg + 1, n);
		c->status[n] = '\0';
	}
}

static void send_msg(wslay_event_context_ptr ws, const void *data, size_t len)
{
	struct wslay_event_msg m = { WSLAY_BINARY_FRAME, data, len };

	wslay_event_queue_msg(ws, &m);
}

static void run_session(const char *script, struct client *c, bool send_stdin)
{
	struct wslay_event_callbacks cb = { c_recv, c_send, c_mask, NULL, NULL, NULL, c_msg };
	struct server_args sa = { 0 };
	struct child ch = { script };
	wslay_event_context_ptr ws;
	pthread_t t;
	int sv[2];

	memset(c, 0, sizeof(*c));
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	sa.fd = sv[0];
	sa.p.spawn = spawn_sh;
	sa.p.ctx = &ch;
	sa.p.in_fd = sa.p.out_fd = sa.p.err_fd = -1;
	sa.p.cmdline = "[sh -c script]";
	c->fd = sv[1];
	/* wslay reads until the socket would block: on a blocking socket the
	 * client could sit in recv() with its stdin still queued while the
	 * script waits for that stdin. */
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	pthread_create(&t, NULL, server, &sa);
	wslay_event_context_client_init(&ws, &cb, c);
	if (send_stdin) {
		static const char in[] = "\0hello\n", close_stdin[] = { (char)255, 0 };

		send_msg(ws, in, sizeof(in) - 1);
		send_msg(ws, close_stdin, sizeof(close_stdin));
	}
	for (int i = 0; i < 500 && !c->closed; i++) {
		struct pollfd p = { c->fd, POLLIN | (wslay_event_want_write(ws) ? POLLOUT : 0), 0 };

		if (poll(&p, 1, 20) > 0) {
			if (p.revents & POLLIN && wslay_event_recv(ws) != 0)
				break;
			if (p.revents & POLLOUT)
				wslay_event_send(ws);
		}
	}
	wslay_event_context_free(ws);
	close(c->fd);
	pthread_join(t, NULL);
}

int main(void)
{
	struct http_req req;
	struct http_resp resp = { 0 };
	struct client c;
	json_t *st;

	/* Handshake */
	req = make_req("websocket", "v4.channel.k8s.io, v5.channel.k8s.io");
	is_int(wsexec_handshake(&req, &resp), WSEXEC_V4, "the client's first supported protocol wins");
	is_int(resp.status, 101, "101 Switching Protocols");
	is_str(resp_header(&resp, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	       "Sec-WebSocket-Accept of RFC 6455's example");
	is_str(resp_header(&resp, "Sec-WebSocket-Protocol"), "v4.channel.k8s.io", "protocol echoed");
	http_resp_free(&resp);

	req = make_req("websocket", "base64.channel.k8s.io,v5.channel.k8s.io");
	is_int(wsexec_handshake(&req, &resp), WSEXEC_V5, "v5 after an unknown one");
	http_resp_free(&resp);

	req = make_req("websocket", "channel.k8s.io");
	is_int(wsexec_handshake(&req, &resp), WSEXEC_NONE, "no common protocol");
	is_int(resp.status, 400, "400");
	ok(resp.body && strstr(resp.body, "the client offered channel.k8s.io"), "the refusal names what was offered");
	http_resp_free(&resp);

	req = make_req("SPDY/3.1", NULL);
	is_int(wsexec_handshake(&req, &resp), WSEXEC_NONE, "SPDY refused");
	ok(resp.body && strstr(resp.body, "not SPDY"), "SPDY: the refusal says why");
	http_resp_free(&resp);

	req = make_req(NULL, NULL);
	is_int(wsexec_handshake(&req, &resp), WSEXEC_NONE, "a plain GET");
	ok(resp.body && strstr(resp.body, "Upgrade request required"), "kube-apiserver's words");
	http_resp_free(&resp);

	/* A session: stdin, stdout, stderr, exit code. */
	run_session("echo out; echo err >&2; read x; echo got:$x; cat; exit 7", &c, true);
	ok(c.closed, "the server closed the WebSocket");
	is_str(text(c.out, c.out_len), "out\ngot:hello\n", "stdout on channel 1, stdin delivered");
	is_str(text(c.err, c.err_len), "err\n", "stderr on channel 2");
	st = json_loads(c.status, 0, NULL);
	is_str(json_string_value(json_object_get(st, "status")), "Failure", "error channel: Failure");
	is_str(json_string_value(json_object_get(st, "reason")), "NonZeroExitCode", "NonZeroExitCode");
	is_str(json_string_value(json_object_get(
		       json_array_get(json_object_get(json_object_get(st, "details"), "causes"), 0),
		       "message")),
	       "7", "the ExitCode cause holds 7");
	json_decref(st);

	run_session("echo done", &c, false);
	st = json_loads(c.status, 0, NULL);
	is_str(json_string_value(json_object_get(st, "status")), "Success", "exit 0: Success");
	is_str(text(c.out, c.out_len), "done\n", "its output");
	json_decref(st);

	/* A child left behind keeps stdout open: the session still ends. */
	run_session("sleep 30 & echo bg", &c, false);
	ok(c.closed, "ends although a background child holds stdout");
	st = json_loads(c.status, 0, NULL);
	is_str(json_string_value(json_object_get(st, "status")), "Success", "and reports the exit");
	json_decref(st);
	return tap_done();
}
