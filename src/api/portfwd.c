/* SPDX-License-Identifier: Apache-2.0 */
#include "portfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "apistatus.h"
#include "log.h"
#include "netns.h"
#include "spdy.h"
#include "util.h"
#include "wsexec.h"

#define PROTO "portforward.k8s.io"
#define WS_PROTO "SPDY/3.1+" PROTO

/* kubelet's default streamCreationTimeout: how long the first stream of a
 * pair waits for the second. */
#define PAIR_TIMEOUT_MS 30000
/* Stop reading a side while this much waits for the other. */
#define QUEUE_LIMIT (1024 * 1024)
#define READ_CHUNK 32768
/* A connect to a pod's loopback either answers at once or the listener's
 * backlog is full: do not wait on it longer than this. */
#define DIAL_TIMEOUT_S 5

enum portfwd_transport portfwd_handshake(const struct http_req *req, struct http_resp *resp)
{
	static const char *const protos[] = { WS_PROTO };
	const char *upgrade = http_header_get(req, "Upgrade");
	const char *version = http_header_get(req, "X-Stream-Protocol-Version");

	if (upgrade && !strcasecmp(upgrade, "SPDY/3.1")) {
		/* httpstream.Handshake: a client naming no version is a legacy
		 * one and gets no version back; one naming others is refused. */
		if (version && !strstr(version, PROTO)) {
			apistatus_reply(resp, 403, "Forbidden", NULL,
					"unable to upgrade: unable to negotiate protocol: client "
					"supports %s, server supports [" PROTO "]",
					version);
			return PORTFWD_NONE;
		}
		resp->kind = HTTP_RESP_UPGRADE;
		resp->status = 101;
		if (http_resp_add_header(resp, "Upgrade", "SPDY/3.1") < 0 ||
		    (version && http_resp_add_header(resp, "X-Stream-Protocol-Version", PROTO) < 0)) {
			resp->kind = HTTP_RESP_BUFFER;
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
			return PORTFWD_NONE;
		}
		return PORTFWD_SPDY;
	}
	return wsexec_accept(req, resp, protos, 1) == 0 ? PORTFWD_WEBSOCKET : PORTFWD_NONE;
}

/* One forwarded connection: kubectl's error and data streams. */
struct pair {
	char *request_id;
	uint32_t error_id, data_id;   /* 0 until that stream arrived */
	uint16_t port;
	int sock;                     /* to the pod, -1 before the dial / after */
	uint64_t created_ms;
	struct pn_buf to_pod;         /* client bytes the pod has not read yet */
	size_t to_pod_off;
	bool started;                 /* both streams there, dialled */
	bool client_fin;              /* the client ended its data stream */
	bool shut_wr;                 /* ...and the pod was told so */
	bool error_fin, data_fin;     /* we ended ours */
	bool done;                    /* free at the end of this round */
	struct pair *next;
};

struct pf {
	int fd;
	enum portfwd_transport t;
	const char *extra;
	size_t extra_len, extra_off;
	wslay_event_context_ptr ws;
	struct pn_buf in;             /* SPDY bytes from the client, from in_off */
	size_t in_off;
	struct pn_buf out;            /* SPDY bytes for the client, from out_off */
	size_t out_off;
	struct spdy_codec codec;
	struct pair *pairs;
	const char *pod_id, *netns_path;
	uint32_t last_stream;
	bool peer_gone;               /* the connection is over */
	bool ending;                  /* send what is queued, then end */
};

/* ---- the transport: SPDY bytes over the raw socket or in WebSocket
 * binary messages */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct pf *s = ud;
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

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *ud)
{
	struct pf *s = ud;
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

static void ws_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		   void *ud)
{
	struct pf *s = ud;

	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		s->peer_gone = true;
		return;
	}
	/* streamtunnel.go: the SPDY bytes travel in binary messages. */
	if (arg->opcode == WSLAY_BINARY_FRAME && arg->msg_length)
		pn_buf_add(&s->in, (const char *)arg->msg, arg->msg_length);
}

/* Bytes queued for the client and not yet on the wire. */
static size_t out_pending(struct pf *s)
{
	size_t n = s->out.len - s->out_off;

	if (s->ws)
		n += wslay_event_get_queued_msg_length(s->ws);
	return n;
}

/* Hand what was written this round to the transport. */
static void flush_out(struct pf *s)
{
	if (s->out.failed) {
		s->peer_gone = true;
		return;
	}
	if (s->t == PORTFWD_WEBSOCKET) {
		if (s->out.len > s->out_off) {
			struct wslay_event_msg m = { WSLAY_BINARY_FRAME,
						     (const uint8_t *)s->out.s + s->out_off,
						     s->out.len - s->out_off };

			/* wslay copies the message. */
			if (wslay_event_queue_msg(s->ws, &m) != 0)
				s->peer_gone = true;
			pn_buf_reset(&s->out);
			s->out_off = 0;
		}
		if (wslay_event_want_write(s->ws) && wslay_event_send(s->ws) != 0)
			s->peer_gone = true;
		return;
	}
	while (s->out.len > s->out_off) {
		ssize_t n = send(s->fd, s->out.s + s->out_off, s->out.len - s->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			s->peer_gone = true;
			return;
		}
		s->out_off += (size_t)n;
	}
	pn_buf_reset(&s->out);
	s->out_off = 0;
}

static void read_in(struct pf *s)
{
	char buf[READ_CHUNK];
	ssize_t n;

	if (s->t == PORTFWD_WEBSOCKET) {
		if (wslay_event_recv(s->ws) != 0)
			s->peer_gone = true;
		return;
	}
	if (s->extra_off < s->extra_len) {
		pn_buf_add(&s->in, s->extra + s->extra_off, s->extra_len - s->extra_off);
		s->extra_off = s->extra_len;
	}
	do {
		n = recv(s->fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		s->peer_gone = true;
		return;
	}
	pn_buf_add(&s->in, buf, (size_t)n);
}

/* ---- streams */

static struct pair *pair_by_stream(struct pf *s, uint32_t id)
{
	for (struct pair *p = s->pairs; p; p = p->next)
		if (!p->done && id && (p->data_id == id || p->error_id == id))
			return p;
	return NULL;
}

static void end_stream(struct pf *s, uint32_t id, bool *fin)
{
	if (id && !*fin)
		spdy_put_data(&s->out, id, SPDY_FLAG_FIN, NULL, 0);
	*fin = true;
}

/* kubelet's portForward() returning: @msg (if any) on the error stream,
 * then both streams ended. */
static void pair_finish(struct pf *s, struct pair *p, const char *msg)
{
	if (msg && p->error_id && !p->error_fin)
		spdy_put_data(&s->out, p->error_id, 0, msg, strlen(msg));
	end_stream(s, p->data_id, &p->data_fin);
	end_stream(s, p->error_id, &p->error_fin);
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	p->done = true;
}

struct dial {
	uint16_t port;
	int fd;
	int err4, err6;
};

static int dial_one(int family, uint16_t port, int *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct timeval tv = { DIAL_TIMEOUT_S, 0 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	/* connect(2) on a blocking socket honours SO_SNDTIMEO (socket(7)). */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		*err = errno == EINPROGRESS ? ETIMEDOUT : errno;
		close(fd);
		return -1;
	}
	return fd;
}

/* In the pod's namespace (netns_run's thread): localhost, IPv4 first.
 * The socket stays in the namespace it was made in. */
static int dial_fn(void *arg)
{
	struct dial *d = arg;

	d->fd = dial_one(AF_INET, d->port, &d->err4);
	if (d->fd < 0)
		d->fd = dial_one(AF_INET6, d->port, &d->err6);
	return 0;
}

static void pair_start(struct pf *s, struct pair *p)
{
	struct dial d = { .port = p->port, .fd = -1 };
	struct pn_err err = { 0 };
	char msg[1024];
	int nsfd = -1;

	p->started = true;
	if (s->netns_path) {
		nsfd = netns_open(s->netns_path, &err);
		if (nsfd < 0 || netns_run(nsfd, dial_fn, &d, &err) < 0) {
			snprintf(msg, sizeof(msg),
				 "error forwarding port %u to pod %s, uid : failed to enter network "
				 "namespace \"%s\": %s",
				 p->port, s->pod_id, s->netns_path, pn_err_msg(&err));
			goto fail;
		}
	} else {
		dial_fn(&d);
	}
	if (d.fd < 0) {
		/* containerd's wording, which kubectl users know. */
		snprintf(msg, sizeof(msg),
			 "error forwarding port %u to pod %s, uid : failed to connect to localhost:%u "
			 "inside namespace \"%s\", IPv4: dial tcp4 127.0.0.1:%u: connect: %s IPv6 dial "
			 "tcp6 [::1]:%u: connect: %s ",
			 p->port, s->pod_id, p->port, s->netns_path ? s->netns_path : "host", p->port,
			 strerror(d.err4), p->port, strerror(d.err6));
		goto fail;
	}
	fcntl(d.fd, F_SETFL, fcntl(d.fd, F_GETFL) | O_NONBLOCK);
	p->sock = d.fd;
	if (nsfd >= 0)
		close(nsfd);
	pn_err_free(&err);
	return;
fail:
	if (nsfd >= 0)
		close(nsfd);
	pn_err_free(&err);
	pn_warn("portforward: %s", msg);
	pair_finish(s, p, msg);
}

static void on_syn_stream(struct pf *s, const struct spdy_frame *f)
{
	const char *port = spdy_header_get(f, "port");
	const char *type = spdy_header_get(f, "streamtype");
	const char *rid = spdy_header_get(f, "requestid");
	char idbuf[16], *end = NULL;
	unsigned long pn = 0;
	struct pair *p;

	s->last_stream = f->stream_id;
	if (port)
		pn = strtoul(port, &end, 10);
	/* httpStreamReceived(): both headers required and valid, else the
	 * stream is reset (spdystream's Reset sends CANCEL). */
	if (!port || !*port || *end || pn < 1 || pn > 65535 || !type ||
	    (strcmp(type, "error") && strcmp(type, "data"))) {
		spdy_put_rst(&s->out, f->stream_id, SPDY_RST_CANCEL);
		return;
	}
	if (spdy_put_syn_reply(&s->codec, &s->out, f->stream_id, 0, NULL, 0) < 0) {
		s->peer_gone = true;
		return;
	}
	if (!rid || !*rid) {
		/* A client without request ids: kubelet pairs error stream N
		 * with data stream N + 2. */
		snprintf(idbuf, sizeof(idbuf), "%u",
			 !strcmp(type, "error") ? f->stream_id : f->stream_id - 2);
		rid = idbuf;
	}
	for (p = s->pairs; p; p = p->next)
		if (!p->done && !strcmp(p->request_id, rid))
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || !(p->request_id = strdup(rid))) {
			free(p);
			s->peer_gone = true;
			return;
		}
		p->sock = -1;
		p->created_ms = pn_now_ns() / 1000000;
		p->next = s->pairs;
		s->pairs = p;
	}
	if (!strcmp(type, "error")) {
		if (p->error_id) {
			char msg[128];

			snprintf(msg, sizeof(msg),
				 "error processing stream for request %s: error stream already assigned",
				 rid);
			spdy_put_data(&s->out, p->error_id, 0, msg, strlen(msg));
			return;
		}
		p->error_id = f->stream_id;
	} else {
		if (p->data_id) {
			char msg[128];

			snprintf(msg, sizeof(msg),
				 "error processing stream for request %s: data stream already assigned",
				 rid);
			if (p->error_id && !p->error_fin)
				spdy_put_data(&s->out, p->error_id, 0, msg, strlen(msg));
			return;
		}
		p->data_id = f->stream_id;
		p->port = (uint16_t)pn;
	}
	if (p->error_id && p->data_id && !p->started)
		pair_start(s, p);
}

static void on_data(struct pf *s, const struct spdy_frame *f)
{
	struct pair *p = pair_by_stream(s, f->stream_id);

	/* spdystream too drops data for streams it does not know. */
	if (!p || f->stream_id != p->data_id)
		return;
	if (f->len && p->sock >= 0 && !p->client_fin)
		pn_buf_add(&p->to_pod, (const char *)f->data, f->len);
	if (p->to_pod.failed) {
		pair_finish(s, p, "podnetd: out of memory");
		return;
	}
	if (f->flags & SPDY_FLAG_FIN)
		p->client_fin = true;
}

static void on_rst(struct pf *s, const struct spdy_frame *f)
{
	struct pair *p = pair_by_stream(s, f->stream_id);

	if (!p)
		return;
	/* kubectl resets its data stream once it is done with the
	 * connection; it still reads the error stream to its end. */
	if (f->stream_id == p->data_id)
		p->data_fin = true;
	else
		p->error_fin = true;
	pair_finish(s, p, NULL);
}

/* Parse and act on every whole frame received. */
static void process_in(struct pf *s)
{
	while (!s->peer_gone && !s->ending) {
		struct spdy_frame f;
		struct pn_err err = { 0 };
		ssize_t n = spdy_parse(&s->codec, (const uint8_t *)s->in.s + s->in_off,
				       s->in.len - s->in_off, &f, &err);

		if (n == 0)
			break;
		if (n < 0) {
			pn_warn("portforward: %s", pn_err_msg(&err));
			pn_err_free(&err);
			spdy_put_goaway(&s->out, s->last_stream, SPDY_GOAWAY_PROTOCOL_ERROR);
			s->ending = true;
			break;
		}
		s->in_off += (size_t)n;
		switch (f.type) {
		case SPDY_SYN_STREAM:
			on_syn_stream(s, &f);
			break;
		case SPDY_DATA:
			on_data(s, &f);
			break;
		case SPDY_RST_STREAM:
			on_rst(s, &f);
			break;
		case SPDY_PING:
			/* Section 2.6.5: the receiver of a ping sends it back
			 * (kubectl pings every 10 s over the tunnel). */
			spdy_put_ping(&s->out, f.value);
			break;
		case SPDY_GOAWAY:
			s->ending = true;
			break;
		default:
			/* SETTINGS, WINDOW_UPDATE (no flow control on either
			 * side), HEADERS, SYN_REPLY: nothing to do. */
			break;
		}
		spdy_frame_clear(&f);
	}
	if (s->in_off == s->in.len) {
		pn_buf_reset(&s->in);
		s->in_off = 0;
	}
	if (s->in.failed)
		s->peer_gone = true;
}

static void pod_write(struct pair *p)
{
	while (p->to_pod.len > p->to_pod_off) {
		ssize_t n = send(p->sock, p->to_pod.s + p->to_pod_off, p->to_pod.len - p->to_pod_off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* The pod closed: what the client still sends is dropped. */
			p->to_pod_off = p->to_pod.len;
			break;
		}
		p->to_pod_off += (size_t)n;
	}
	pn_buf_reset(&p->to_pod);
	p->to_pod_off = 0;
}

static void pod_read(struct pf *s, struct pair *p)
{
	char buf[READ_CHUNK];
	ssize_t n;

	do {
		n = recv(p->sock, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* The pod ended the connection (or reset it): end both streams,
		 * as kubelet does when its copy returns. */
		pair_finish(s, p, NULL);
		return;
	}
	spdy_put_data(&s->out, p->data_id, 0, buf, (size_t)n);
}

static void pairs_sweep(struct pf *s, uint64_t now)
{
	for (struct pair **pp = &s->pairs; *pp;) {
		struct pair *p = *pp;

		if (!p->done && !p->started && now - p->created_ms > PAIR_TIMEOUT_MS) {
			char msg[128];

			snprintf(msg, sizeof(msg), "timed out waiting for streams (request %s)",
				 p->request_id);
			pair_finish(s, p, msg);
		}
		if (p->done) {
			*pp = p->next;
			free(p->request_id);
			free(p->to_pod.s);
			free(p);
			continue;
		}
		pp = &p->next;
	}
}

void portfwd_run(int fd, const char *extra, size_t extra_len, enum portfwd_transport t,
		 const char *pod_id, const char *netns_path, int client_fd,
		 volatile int *stopping)
{
	struct wslay_event_callbacks cb = { ws_recv, ws_send, NULL, NULL, NULL, NULL, ws_msg };
	struct pf s = { 0 };
	struct pollfd *pf = NULL;
	struct pair **who = NULL;
	size_t cap = 0, cap_who = 0;
	bool goaway_sent = false;

	s.fd = fd;
	s.t = t;
	s.extra = extra;
	s.extra_len = extra_len;
	s.pod_id = pod_id;
	s.netns_path = netns_path;
	spdy_codec_init(&s.codec);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (t == PORTFWD_WEBSOCKET) {
		if (wslay_event_context_server_init(&s.ws, &cb, &s) != 0)
			goto out;
		wslay_event_config_set_max_recv_msg_length(s.ws, 16 * 1024 * 1024);
	} else if (extra_len) {
		read_in(&s);
	}
	process_in(&s);

	while (!s.peer_gone) {
		size_t n = 0, backlog = 0;
		int i_ws = 0, i_client = -1;

		if (*stopping && !goaway_sent) {
			spdy_put_goaway(&s.out, s.last_stream, SPDY_GOAWAY_OK);
			goaway_sent = s.ending = true;
		}
		pairs_sweep(&s, pn_now_ns() / 1000000);
		flush_out(&s);
		if (s.peer_gone)
			break;
		if (s.ending && out_pending(&s) == 0)
			break;
		for (struct pair *p = s.pairs; p; p = p->next)
			n++;
		if (pn_grow(&pf, &cap, n + 2, sizeof(*pf)) < 0 ||
		    pn_grow(&who, &cap_who, n + 2, sizeof(*who)) < 0)
			break;
		n = 0;
		for (struct pair *p = s.pairs; p; p = p->next)
			backlog += p->to_pod.len - p->to_pod_off;
		pf[n].fd = fd;
		pf[n].events = 0;
		if (!s.ending && backlog < QUEUE_LIMIT)
			pf[n].events |= POLLIN;
		if (s.ws ? wslay_event_want_write(s.ws) : s.out.len > s.out_off)
			pf[n].events |= POLLOUT;
		if (s.ws && !wslay_event_want_read(s.ws))
			pf[n].events &= (short)~POLLIN;
		who[n++] = NULL;
		/* libmicrohttpd (0.9.75) does not pass a TLS client's hang-up
		 * on to the upgraded socket: without this, a session whose
		 * kubectl was killed would live on.  POLLRDHUP only: the
		 * bytes on it are libmicrohttpd's to read. */
		if (client_fd >= 0) {
			i_client = (int)n;
			pf[n].fd = client_fd;
			pf[n].events = POLLRDHUP;
			who[n++] = NULL;
		}
		for (struct pair *p = s.pairs; p; p = p->next) {
			if (p->sock < 0)
				continue;
			pf[n].fd = p->sock;
			pf[n].events = 0;
			if (out_pending(&s) < QUEUE_LIMIT)
				pf[n].events |= POLLIN;
			if (p->to_pod.len > p->to_pod_off)
				pf[n].events |= POLLOUT;
			who[n++] = p;
		}
		if (poll(pf, (nfds_t)n, 200) < 0 && errno != EINTR)
			break;
		if (i_client >= 0 && (pf[i_client].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			s.peer_gone = true;
		if (pf[i_ws].revents & (POLLIN | POLLHUP | POLLERR))
			read_in(&s);
		if (pf[i_ws].revents & POLLOUT)
			flush_out(&s);
		process_in(&s);
		for (size_t i = 1; i < n; i++) {
			struct pair *p = who[i];

			if (!p || p->sock < 0)
				continue;
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
				pod_read(&s, p);
			if (p->sock >= 0 && (pf[i].revents & POLLOUT))
				pod_write(p);
		}
		/* The client's end of its data stream, once the pod has read
		 * everything before it: the pod sees end of file. */
		for (struct pair *p = s.pairs; p; p = p->next) {
			if (p->sock >= 0 && p->to_pod.len > p->to_pod_off)
				pod_write(p);
			if (p->sock >= 0 && p->client_fin && !p->shut_wr &&
			    p->to_pod.len == p->to_pod_off) {
				shutdown(p->sock, SHUT_WR);
				p->shut_wr = true;
			}
		}
	}
out:
	for (struct pair *p = s.pairs, *next; p; p = next) {
		next = p->next;
		if (p->sock >= 0)
			close(p->sock);
		free(p->request_id);
		free(p->to_pod.s);
		free(p);
	}
	free(pf);
	free(who);
	free(s.in.s);
	free(s.out.s);
	spdy_codec_free(&s.codec);
	if (s.ws)
		wslay_event_context_free(s.ws);
}
