/* SPDX-License-Identifier: Apache-2.0 */
#include "wsexec.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "apistatus.h"
#include "log.h"
#include "util.h"

#define CH_STDIN 0
#define CH_STDOUT 1
#define CH_STDERR 2
#define CH_ERROR 3
#define CH_RESIZE 4
#define CH_CLOSE 255

/* Stop reading the process while this much output waits for the client. */
#define QUEUE_LIMIT (1024 * 1024)
/* After the process exits, output of children it left running is read
 * until this long passes without any (their pipes may never close). */
#define DRAIN_IDLE_MS 300

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Does the comma-separated header value @list hold @token (case-insensitive)? */
static bool has_token(const char *list, const char *token)
{
	size_t tl = strlen(token);

	while (list && *list) {
		while (*list == ' ' || *list == ',')
			list++;
		if (!strncasecmp(list, token, tl) &&
		    (list[tl] == '\0' || list[tl] == ',' || list[tl] == ' '))
			return true;
		list = strchr(list, ',');
	}
	return false;
}

int wsexec_accept(const struct http_req *req, struct http_resp *resp, const char *const *protos,
		  size_t n_protos)
{
	const char *upgrade = http_header_get(req, "Upgrade");
	const char *conn = http_header_get(req, "Connection");
	const char *key = http_header_get(req, "Sec-WebSocket-Key");
	const char *offered = http_header_get(req, "Sec-WebSocket-Protocol");
	int chosen = -1;
	unsigned char digest[20];
	char *cat = NULL;
	gnutls_datum_t in, out = { 0 };

	if (!upgrade || strcasecmp(upgrade, "websocket") || !conn || !has_token(conn, "upgrade") ||
	    !key) {
		apistatus_bad_request(resp, "Upgrade request required");
		return -1;
	}
	/* The client's order of preference. */
	for (const char *p = offered; p && *p && chosen < 0;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n && *p == ' ') {
			p++;
			n--;
		}
		while (n && p[n - 1] == ' ')
			n--;
		for (size_t i = 0; i < n_protos; i++)
			if (n == strlen(protos[i]) && !strncmp(p, protos[i], n)) {
				chosen = (int)i;
				break;
			}
		p = end ? end + 1 : NULL;
	}
	if (chosen < 0) {
		char list[256] = "";
		size_t off = 0;

		for (size_t i = 0; i < n_protos; i++)
			off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0,
						"%s%s", i == 0 ? "" : i + 1 == n_protos ? " and " : ", ",
						protos[i]);
		apistatus_bad_request(resp, "podnetd speaks the subprotocol%s %s; the client offered %s",
				      n_protos > 1 ? "s" : "", list,
				      offered && *offered ? offered : "none");
		return -1;
	}
	/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)). */
	if (asprintf(&cat, "%s%s", key, ws_guid) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA1, cat, strlen(cat), digest) < 0) {
		free(cat);
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return -1;
	}
	free(cat);
	in.data = digest;
	in.size = sizeof(digest);
	if (gnutls_base64_encode2(&in, &out) < 0) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return -1;
	}
	{
		char accept[64];

		snprintf(accept, sizeof(accept), "%.*s", (int)out.size, (const char *)out.data);
		gnutls_free(out.data);
		resp->kind = HTTP_RESP_UPGRADE;
		resp->status = 101;
		if (http_resp_add_header(resp, "Sec-WebSocket-Accept", accept) < 0 ||
		    http_resp_add_header(resp, "Sec-WebSocket-Protocol", protos[chosen]) < 0) {
			resp->kind = HTTP_RESP_BUFFER;
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
			return -1;
		}
	}
	return chosen;
}

enum wsexec_proto wsexec_handshake(const struct http_req *req, struct http_resp *resp)
{
	static const char *const protos[] = { "v5.channel.k8s.io", "v4.channel.k8s.io" };
	const char *upgrade = http_header_get(req, "Upgrade");

	if (upgrade && !strncasecmp(upgrade, "SPDY/", 5)) {
		apistatus_bad_request(resp, "podnetd streams exec and attach over WebSocket "
					    "(v5.channel.k8s.io, v4.channel.k8s.io) only, not SPDY: "
					    "use kubectl 1.30 or newer");
		return WSEXEC_NONE;
	}
	switch (wsexec_accept(req, resp, protos, 2)) {
	case 0:
		return WSEXEC_V5;
	case 1:
		return WSEXEC_V4;
	default:
		return WSEXEC_NONE;
	}
}

char *wsexec_status_json(int exit_code, const char *cmdline, const char *why)
{
	json_t *s;
	char *out;

	if (why) {
		s = json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s}]}, s:i}", "metadata", "status", "Failure",
			      "message", why, "reason", "InternalError", "details", "causes",
			      "message", why, "code", 500);
	} else if (exit_code == 0) {
		s = json_pack("{s:{}, s:s}", "metadata", "status", "Success");
	} else {
		char msg[4096], code[16];

		/* kubectl reads the code from the ExitCode cause and prints
		 * "command terminated with exit code N". */
		snprintf(msg, sizeof(msg),
			 "command terminated with non-zero exit code: error executing command %s, "
			 "exit code %d",
			 cmdline ? cmdline : "[]", exit_code);
		snprintf(code, sizeof(code), "%d", exit_code);
		s = json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status", "Failure",
			      "message", msg, "reason", "NonZeroExitCode", "details", "causes", "reason",
			      "ExitCode", "message", code);
	}
	out = s ? json_dumps(s, JSON_COMPACT) : NULL;
	json_decref(s);
	return out;
}

/* ---- the session */

struct bytes {
	char *b;
	size_t len, off;
};

struct session {
	int fd;
	const char *extra;
	size_t extra_len, extra_off;
	enum wsexec_proto proto;
	struct wsexec_proc *p;
	wslay_event_context_ptr ws;
	struct bytes stdin_q;    /* client data not yet written to the process */
	bool stdin_eof;          /* the client closed stdin (v5) */
	bool peer_gone;
	bool started;
	int pidfd;
	bool exited;
	int wstatus;
	uint64_t exited_at, last_output;
	bool resized;
	unsigned short cols, rows;
};

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct session *s = ud;
	ssize_t n;

	(void)flags;
	if (s->extra_off < s->extra_len) {
		size_t k = s->extra_len - s->extra_off;

		if (k > len)
			k = len;
		memcpy(buf, s->extra + s->extra_off, k);
		s->extra_off += k;
		return (ssize_t)k;
	}
	do {
		n = recv(s->fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
						   ? WSLAY_ERR_WOULDBLOCK
						   : WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	if (n == 0) {
		s->peer_gone = true;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *ud)
{
	struct session *s = ud;
	ssize_t n;

	(void)flags;
	do {
		n = send(s->fd, data, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		} else {
			s->peer_gone = true;
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		}
		return -1;
	}
	return n;
}

static void queue(struct session *s, unsigned char ch, const char *data, size_t len)
{
	struct wslay_event_msg m;
	unsigned char *buf = malloc(len + 1);

	if (!buf) {
		s->peer_gone = true;
		return;
	}
	buf[0] = ch;
	if (len)
		memcpy(buf + 1, data, len);
	m.opcode = WSLAY_BINARY_FRAME;
	m.msg = buf;
	m.msg_length = len + 1;
	/* wslay copies the message into its queue. */
	if (wslay_event_queue_msg(s->ws, &m) != 0)
		s->peer_gone = true;
	free(buf);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *ud)
{
	struct session *s = ud;
	const char *data;
	size_t len;

	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		s->peer_gone = true;
		return;
	}
	if (arg->opcode != WSLAY_BINARY_FRAME || arg->msg_length < 1)
		return;
	data = (const char *)arg->msg + 1;
	len = arg->msg_length - 1;
	switch (arg->msg[0]) {
	case CH_STDIN:
		if (s->p->in_fd < 0 || s->stdin_eof || len == 0)
			break;
		{
			char *b = realloc(s->stdin_q.b, s->stdin_q.len + len);

			if (!b)
				break;
			memcpy(b + s->stdin_q.len, data, len);
			s->stdin_q.b = b;
			s->stdin_q.len += len;
		}
		break;
	case CH_RESIZE: {
		json_t *j = json_loadb(data, len, 0, NULL);
		json_int_t w = json_integer_value(json_object_get(j, "Width"));
		json_int_t h = json_integer_value(json_object_get(j, "Height"));

		json_decref(j);
		if (w > 0 && h > 0 && w < 65536 && h < 65536) {
			s->cols = (unsigned short)w;
			s->rows = (unsigned short)h;
			s->resized = true;
			if (s->started && s->p->resize)
				s->p->resize(s->p->ctx, s->cols, s->rows);
		}
		break;
	}
	case CH_CLOSE:
		/* v5: the client closed one of its streams; only stdin is ours
		 * to close. */
		if (s->proto == WSEXEC_V5 && len >= 1 && data[0] == CH_STDIN)
			s->stdin_eof = true;
		break;
	default:
		break;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read what the process wrote on @fd into a message for channel @ch; 0 at
 * the end (the pty's EIO once its other side is closed counts as one). */
static int pump(struct session *s, int *fd, unsigned char ch)
{
	char buf[32768];
	ssize_t n;

	do {
		n = read(*fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	if (n <= 0) {
		/* With a tty, in and out are the same fd: close it once. */
		if (s->p->tty && s->p->in_fd == *fd)
			s->p->in_fd = -1;
		close_fd(fd);
		return 0;
	}
	s->last_output = pn_now_ns() / 1000000;
	queue(s, ch, buf, (size_t)n);
	return 1;
}

static void flush_stdin(struct session *s)
{
	while (s->stdin_q.off < s->stdin_q.len && s->p->in_fd >= 0) {
		ssize_t n = write(s->p->in_fd, s->stdin_q.b + s->stdin_q.off,
				  s->stdin_q.len - s->stdin_q.off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* The process closed its stdin: drop what it will never read. */
			s->stdin_q.off = s->stdin_q.len;
			break;
		}
		s->stdin_q.off += (size_t)n;
	}
	if (s->stdin_q.off == s->stdin_q.len) {
		free(s->stdin_q.b);
		memset(&s->stdin_q, 0, sizeof(s->stdin_q));
		if (s->stdin_eof && !s->p->tty)
			close_fd(&s->p->in_fd);
	}
}

static void nonblock(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void terminate(struct session *s)
{
	/* runc and crun pass SIGTERM on to the process they run. */
	if (s->started && !s->exited && s->p->pid > 0) {
		kill(s->p->pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(s->p->pid, &s->wstatus, WNOHANG) == s->p->pid) {
				s->exited = true;
				return;
			}
			usleep(20000);
		}
		kill(s->p->pid, SIGKILL);
		waitpid(s->p->pid, &s->wstatus, 0);
		s->exited = true;
	}
}

void wsexec_run(int fd, const char *extra, size_t extra_len, enum wsexec_proto proto,
		struct wsexec_proc *p, int client_fd, volatile int *stopping)
{
	struct wslay_event_callbacks cb = { on_recv, on_send, NULL, NULL, NULL, NULL, on_msg };
	struct session s = { 0 };
	bool status_sent = false, close_queued = false;
	uint64_t started_wait = pn_now_ns() / 1000000;

	s.fd = fd;
	s.extra = extra;
	s.extra_len = extra_len;
	s.proto = proto;
	s.p = p;
	s.pidfd = -1;
	nonblock(fd);
	if (wslay_event_context_server_init(&s.ws, &cb, &s) != 0)
		goto out;
	/* A stdin message is small; a bigger one is not ours. */
	wslay_event_config_set_max_recv_msg_length(s.ws, 16 * 1024 * 1024);

	for (;;) {
		struct pollfd pf[6];
		int n = 0, i_ws, i_out = -1, i_err = -1, i_in = -1, i_pid = -1, i_client = -1;
		uint64_t now = pn_now_ns() / 1000000;
		int timeout = 200;

		if (*stopping)
			s.peer_gone = true;
		/* Start the process: for a terminal, once its size is known
		 * (kubectl sends it first thing), so it starts at that size. */
		if (!s.started && !s.peer_gone && (!p->tty || s.resized || now - started_wait > 1000)) {
			char *why = NULL;
			int r;

			s.started = true;
			r = p->spawn(p->ctx, p, s.resized ? s.cols : 80, s.resized ? s.rows : 24, &why);
			if (r < 0) {
				char *st = wsexec_status_json(1, p->cmdline,
							      why ? why : "the process could not be started");

				if (st)
					queue(&s, CH_ERROR, st, strlen(st));
				free(st);
				status_sent = true;
				s.exited = true;
			} else {
				s.pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
				nonblock(p->in_fd);
				nonblock(p->out_fd);
				nonblock(p->err_fd);
			}
			free(why);
		}
		if (s.started && !s.exited && s.pidfd < 0 && p->pid > 0 &&
		    waitpid(p->pid, &s.wstatus, WNOHANG) == p->pid) {
			s.exited = true;
			s.exited_at = now;
		}
		/* A producer without a process (attach): done when its output
		 * has ended. */
		if (s.started && !s.exited && p->pid <= 0 && p->out_fd < 0 && p->err_fd < 0) {
			s.exited = true;
			s.wstatus = 0;
			s.exited_at = now;
		}
		/* All said: the exit status, then close. */
		if (s.started && s.exited && !status_sent &&
		    ((p->out_fd < 0 && p->err_fd < 0) ||
		     (now - (s.last_output > s.exited_at ? s.last_output : s.exited_at) > DRAIN_IDLE_MS))) {
			char *why = NULL, *st;
			int code = p->finish ? p->finish(p->ctx, s.wstatus, &why)
					     : (WIFEXITED(s.wstatus) ? WEXITSTATUS(s.wstatus)
								     : 128 + WTERMSIG(s.wstatus));

			st = wsexec_status_json(code, p->cmdline, why);
			if (st)
				queue(&s, CH_ERROR, st, strlen(st));
			free(st);
			free(why);
			status_sent = true;
		}
		if (s.peer_gone)
			break;
		/* wslay sends control frames before queued data: the close goes
		 * in only once the status is out, and ends the session when sent. */
		if (status_sent && !close_queued && wslay_event_get_queued_msg_count(s.ws) == 0) {
			wslay_event_queue_close(s.ws, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
			close_queued = true;
		}
		if (close_queued && wslay_event_get_close_sent(s.ws))
			break;

		i_ws = n;
		pf[n].fd = fd;
		pf[n].events = (short)((wslay_event_want_read(s.ws) ? POLLIN : 0) |
				       (wslay_event_want_write(s.ws) ? POLLOUT : 0));
		n++;
		if (s.started && wslay_event_get_queued_msg_length(s.ws) < QUEUE_LIMIT) {
			if (p->out_fd >= 0) {
				i_out = n;
				pf[n].fd = p->out_fd;
				pf[n++].events = POLLIN;
			}
			if (p->err_fd >= 0) {
				i_err = n;
				pf[n].fd = p->err_fd;
				pf[n++].events = POLLIN;
			}
		}
		if (s.started && p->in_fd >= 0 && s.stdin_q.len > s.stdin_q.off && !p->tty) {
			i_in = n;
			pf[n].fd = p->in_fd;
			pf[n++].events = POLLOUT;
		}
		if (s.pidfd >= 0 && !s.exited) {
			i_pid = n;
			pf[n].fd = s.pidfd;
			pf[n++].events = POLLIN;
		}
		/* libmicrohttpd (0.9.75) does not pass a TLS client's hang-up
		 * on to the upgraded socket: a killed kubectl is seen here. */
		if (client_fd >= 0) {
			i_client = n;
			pf[n].fd = client_fd;
			pf[n++].events = POLLRDHUP;
		}
		if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (i_client >= 0 && (pf[i_client].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			s.peer_gone = true;
		if (pf[i_ws].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (wslay_event_recv(s.ws) != 0)
				s.peer_gone = true;
		}
		if (pf[i_ws].revents & POLLOUT) {
			if (wslay_event_send(s.ws) != 0)
				s.peer_gone = true;
		}
		if (i_out >= 0 && (pf[i_out].revents & (POLLIN | POLLHUP | POLLERR)))
			pump(&s, &p->out_fd, CH_STDOUT);
		if (i_err >= 0 && (pf[i_err].revents & (POLLIN | POLLHUP | POLLERR)))
			pump(&s, &p->err_fd, CH_STDERR);
		if (s.started && p->in_fd >= 0) {
			if ((i_in >= 0 && (pf[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) || p->tty ||
			    s.stdin_q.len == 0)
				flush_stdin(&s);
		}
		if (i_pid >= 0 && (pf[i_pid].revents & POLLIN)) {
			if (waitpid(p->pid, &s.wstatus, WNOHANG) == p->pid) {
				s.exited = true;
				s.exited_at = pn_now_ns() / 1000000;
			}
		}
		/* Send what was queued in this round. */
		if (wslay_event_want_write(s.ws) && wslay_event_send(s.ws) != 0)
			s.peer_gone = true;
	}
out:
	if (!s.exited)
		terminate(&s);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (p->in_fd >= 0 && p->in_fd != p->out_fd)
		close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	free(s.stdin_q.b);
	if (s.ws)
		wslay_event_context_free(s.ws);
}
