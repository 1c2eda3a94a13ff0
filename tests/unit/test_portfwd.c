/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pods/portforward's session, driven over a socketpair by a SPDY client
 * written here as kubectl's spdystream behaves: the handshakes (SPDY/3.1
 * upgrade, WebSocket subprotocol, refusals); an error and a data stream
 * paired by requestid, bytes both ways to a listener on the loopback,
 * the client's half-close reaching the listener as end of file and the
 * listener's close ending both streams; a port with nothing listening
 * (kubelet's message on the error stream); a stream without a port reset;
 * PING echoed; GOAWAY when podnetd stops; GOAWAY on garbage.
 *
 * Runs in a network namespace of its own (unshare), whose loopback it
 * brings up: the listener and the dials stay inside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portfwd.h"
#include "spdy.h"
#include "tap.h"

static struct http_req make_req(const char *upgrade, const char *version, const char *protos)
{
	static struct http_header h[5];
	struct http_req r = { 0 };
	size_t n = 0;

	h[n++] = (struct http_header){ "Connection", "Upgrade" };
	if (upgrade)
		h[n++] = (struct http_header){ "Upgrade", (char *)upgrade };
	if (version)
		h[n++] = (struct http_header){ "X-Stream-Protocol-Version", (char *)version };
	h[n++] = (struct http_header){ "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" };
	if (protos)
		h[n++] = (struct http_header){ "Sec-WebSocket-Protocol", (char *)protos };
	r.method = "GET";
	r.path = "/api/v1/namespaces/default/pods/p/portforward";
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

static void test_handshake(void)
{
	struct http_resp resp = { 0 };
	struct http_req req;

	req = make_req("SPDY/3.1", "portforward.k8s.io", NULL);
	is_int(portfwd_handshake(&req, &resp), PORTFWD_SPDY, "Upgrade: SPDY/3.1: the SPDY session");
	ok(resp.kind == HTTP_RESP_UPGRADE && resp.status == 101, "101");
	is_str(resp_header(&resp, "Upgrade"), "SPDY/3.1", "Upgrade: SPDY/3.1 back");
	is_str(resp_header(&resp, "X-Stream-Protocol-Version"), "portforward.k8s.io",
	       "the protocol version named");
	http_resp_free(&resp);

	req = make_req("SPDY/3.1", "v4.channel.k8s.io", NULL);
	is_int(portfwd_handshake(&req, &resp), PORTFWD_NONE, "SPDY with another protocol: refused");
	ok(resp.status == 403 && resp.body &&
		   strstr(resp.body, "unable to negotiate protocol: client supports v4.channel.k8s.io"),
	   "403 saying which");
	http_resp_free(&resp);

	req = make_req("websocket", NULL, "v5.channel.k8s.io, SPDY/3.1+portforward.k8s.io");
	is_int(portfwd_handshake(&req, &resp), PORTFWD_WEBSOCKET, "a WebSocket: the tunnel");
	is_str(resp_header(&resp, "Sec-WebSocket-Protocol"), "SPDY/3.1+portforward.k8s.io",
	       "SPDY/3.1+portforward.k8s.io chosen");
	http_resp_free(&resp);

	req = make_req("websocket", NULL, "v5.channel.k8s.io");
	is_int(portfwd_handshake(&req, &resp), PORTFWD_NONE, "a WebSocket without it: refused");
	ok(resp.status == 400 && resp.body &&
		   strstr(resp.body, "podnetd speaks the subprotocol SPDY/3.1+portforward.k8s.io; "
				     "the client offered v5.channel.k8s.io"),
	   "400 naming it");
	http_resp_free(&resp);
}

/* ---- the client side */

struct client {
	int fd;
	struct spdy_codec tx, rx;
	struct pn_buf in;
	size_t off;
};

struct server {
	int fd;
	const char *extra;
	size_t extra_len;
	volatile int stopping;
};

static void *serve(void *arg)
{
	struct server *s = arg;

	portfwd_run(s->fd, s->extra, s->extra_len, PORTFWD_SPDY, "sandbox0", NULL, -1,
		    &s->stopping);
	return NULL;
}

static void send_buf(struct client *c, struct pn_buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(c->fd, b->s + off, b->len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pn_buf_reset(b);
}

static void syn(struct client *c, uint32_t id, const char *type, const char *port, const char *rid)
{
	struct spdy_header h[3];
	struct pn_buf b = { 0 };
	size_t n = 0;

	if (port)
		h[n++] = (struct spdy_header){ "port", (char *)port, strlen(port) };
	if (rid)
		h[n++] = (struct spdy_header){ "requestid", (char *)rid, strlen(rid) };
	h[n++] = (struct spdy_header){ "streamtype", (char *)type, strlen(type) };
	if (spdy_put_syn_stream(&c->tx, &b, id, 0, h, n) == 0)
		send_buf(c, &b);
	free(b.s);
}

static void data(struct client *c, uint32_t id, uint8_t flags, const char *s)
{
	struct pn_buf b = { 0 };

	spdy_put_data(&b, id, flags, s, strlen(s));
	send_buf(c, &b);
	free(b.s);
}

/* The next frame from podnetd (5 s at most): false at the end or on error. */
static bool next(struct client *c, struct spdy_frame *f)
{
	for (;;) {
		struct pn_err err = { 0 };
		ssize_t n = spdy_parse(&c->rx, (const uint8_t *)c->in.s + c->off, c->in.len - c->off,
				       f, &err);
		struct pollfd p = { c->fd, POLLIN, 0 };
		char buf[65536];

		if (n > 0) {
			c->off += (size_t)n;
			return true;
		}
		if (n < 0) {
			printf("# %s\n", pn_err_msg(&err));
			pn_err_free(&err);
			return false;
		}
		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = read(c->fd, buf, sizeof(buf));
		if (n <= 0)
			return false;
		pn_buf_add(&c->in, buf, (size_t)n);
	}
}

/* Frames until one of @type on @id (data: its bytes appended to @got). */
static bool until(struct client *c, enum spdy_type type, uint32_t id, uint8_t flags,
		  struct pn_buf *got)
{
	struct spdy_frame f;

	while (next(c, &f)) {
		bool hit = f.type == type && f.stream_id == id && (f.flags & flags) == flags;

		if (got && f.type == SPDY_DATA && f.stream_id == id)
			pn_buf_add(got, (const char *)f.data, f.len);
		spdy_frame_clear(&f);
		if (hit)
			return true;
	}
	return false;
}

static int listen_lo(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static ssize_t read_timeout(int fd, char *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, 5000) <= 0)
		return -1;
	return read(fd, buf, len);
}

static void test_session(void)
{
	struct client c = { 0 };
	struct server s = { 0 };
	int sp[2], lfd, pod = -1;
	uint16_t lport = 0;
	char port[8], buf[64];
	pthread_t t;
	struct pn_buf got = { 0 };
	ssize_t n;

	lfd = listen_lo(&lport);
	ok(lfd >= 0, "a listener on 127.0.0.1:%u", lport);
	snprintf(port, sizeof(port), "%u", lport);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	c.fd = sp[0];
	s.fd = sp[1];
	spdy_codec_init(&c.tx);
	spdy_codec_init(&c.rx);
	/* The first frame arrives with the request, as bytes read past it. */
	{
		struct pn_buf first = { 0 };
		struct spdy_header h[3] = { { "port", port, strlen(port) },
					    { "requestid", "0", 1 },
					    { "streamtype", "error", 5 } };

		if (spdy_put_syn_stream(&c.tx, &first, 1, 0, h, 3) == 0) {
			s.extra = first.s;
			s.extra_len = first.len;
		}
		pthread_create(&t, NULL, serve, &s);
		syn(&c, 3, "data", port, "0");
		ok(until(&c, SPDY_SYN_REPLY, 1, 0, NULL), "SYN_REPLY for the error stream (from extra)");
		ok(until(&c, SPDY_SYN_REPLY, 3, 0, NULL), "SYN_REPLY for the data stream");
		pod = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ok(pod >= 0, "the pair dialled 127.0.0.1:%u", lport);
		data(&c, 3, 0, "hello");
		n = read_timeout(pod, buf, sizeof(buf));
		ok(n == 5 && !memcmp(buf, "hello", 5), "client bytes reach the port");
		write(pod, "world", 5);
		ok(until(&c, SPDY_DATA, 3, 0, &got) && !strcmp(got.s ?: "", "world"),
		   "the port's bytes come back on the data stream");
		pn_buf_reset(&got);
		data(&c, 3, SPDY_FLAG_FIN, "");
		ok(read_timeout(pod, buf, sizeof(buf)) == 0, "the client's FIN: end of file at the port");
		write(pod, "bye", 3);
		close(pod);
		ok(until(&c, SPDY_DATA, 3, SPDY_FLAG_FIN, &got) && !strcmp(got.s ?: "", "bye"),
		   "after the half-close the port still answers, then its close ends the data stream");
		ok(until(&c, SPDY_DATA, 1, SPDY_FLAG_FIN, NULL), "and the error stream, empty");
		pn_buf_reset(&got);
		free(first.s);
	}

	/* Nothing listens on the port once the listener is closed. */
	close(lfd);
	syn(&c, 5, "error", port, "1");
	syn(&c, 7, "data", port, "1");
	ok(until(&c, SPDY_DATA, 5, 0, &got) && strstr(got.s ?: "", "error forwarding port ") &&
		   strstr(got.s, "to pod sandbox0, uid : failed to connect to localhost:") &&
		   strstr(got.s, "inside namespace \"host\", IPv4: dial tcp4 127.0.0.1:") &&
		   strstr(got.s, "connect: Connection refused"),
	   "a refused dial: kubelet's message on the error stream: %s", got.s ?: "");
	pn_buf_reset(&got);
	ok(until(&c, SPDY_DATA, 7, SPDY_FLAG_FIN, NULL), "then the data stream ends");
	ok(until(&c, SPDY_DATA, 5, SPDY_FLAG_FIN, NULL), "and the error stream");

	/* A stream without a port: reset, as httpStreamReceived refuses it. */
	syn(&c, 9, "data", NULL, "2");
	{
		struct spdy_frame f;

		ok(next(&c, &f) && f.type == SPDY_RST_STREAM && f.stream_id == 9 &&
			   f.value == SPDY_RST_CANCEL,
		   "a stream without a port header: RST_STREAM CANCEL");
		spdy_frame_clear(&f);
	}
	{
		struct pn_buf b = { 0 };
		struct spdy_frame f;

		spdy_put_ping(&b, 7);
		send_buf(&c, &b);
		free(b.s);
		ok(next(&c, &f) && f.type == SPDY_PING && f.value == 7, "PING 7 echoed");
		spdy_frame_clear(&f);
	}
	s.stopping = 1;
	{
		struct spdy_frame f;

		ok(next(&c, &f) && f.type == SPDY_GOAWAY && f.value == SPDY_GOAWAY_OK &&
			   f.stream_id == 9,
		   "podnetd stopping: GOAWAY, last stream 9");
		spdy_frame_clear(&f);
	}
	pthread_join(t, NULL);
	ok(1, "and the session ends");
	close(sp[0]);
	close(sp[1]);
	free(got.s);
	free(c.in.s);
	spdy_codec_free(&c.tx);
	spdy_codec_free(&c.rx);
}

static void test_garbage(void)
{
	struct client c = { 0 };
	struct server s = { 0 };
	struct spdy_frame f;
	int sp[2];
	pthread_t t;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	c.fd = sp[0];
	s.fd = sp[1];
	spdy_codec_init(&c.rx);
	pthread_create(&t, NULL, serve, &s);
	write(c.fd, "\x80\x02\x00\x01\x00\x00\x00\x00", 8);
	ok(next(&c, &f) && f.type == SPDY_GOAWAY && f.value == SPDY_GOAWAY_PROTOCOL_ERROR,
	   "a SPDY/2 frame: GOAWAY PROTOCOL_ERROR");
	spdy_frame_clear(&f);
	pthread_join(t, NULL);
	ok(!next(&c, &f), "then the session ends");
	close(sp[0]);
	close(sp[1]);
	free(c.in.s);
	spdy_codec_free(&c.rx);
}

/* A network namespace of our own with its loopback up. */
static bool own_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;
	bool up;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	if (fd >= 0)
		close(fd);
	return up;
}

int main(void)
{
	test_handshake();
	if (!own_netns()) {
		printf("ok %d # SKIP sessions need a network namespace of their own (root)\n", ++tap_n);
		return tap_done();
	}
	test_session();
	test_garbage();
	return tap_done();
}
