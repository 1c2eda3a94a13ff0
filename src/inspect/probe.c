/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Probes from inside a network namespace: TCP connect, HTTP GET, UDP with
 * ICMP errors, ICMP echo; and the listener dump `doctor` uses.  See probe.h.
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

#define PROBE_DEFAULT_TIMEOUT_MS 2000

const char *probe_kind_str(enum probe_kind k)
{
	switch (k) {
	case PROBE_TCP: return "tcp";
	case PROBE_HTTP: return "http";
	case PROBE_UDP: return "udp";
	case PROBE_ICMP: return "icmp";
	}
	return "?";
}

const char *probe_outcome_str(enum probe_outcome o)
{
	switch (o) {
	case PROBE_OK: return "ok";
	case PROBE_NO_ANSWER: return "no answer (open|filtered)";
	case PROBE_REFUSED: return "refused";
	case PROBE_TIMEOUT: return "timed out";
	case PROBE_NO_ROUTE: return "no route to host";
	case PROBE_UNREACHABLE: return "host unreachable";
	case PROBE_RESET: return "connection reset";
	case PROBE_HTTP_ERROR: return "HTTP error";
	case PROBE_FAILED: return "failed";
	}
	return "?";
}

bool probe_outcome_ok(enum probe_outcome o)
{
	/* UDP silence is what an open port that does not answer looks like:
	 * nothing refused it, so it is not a failure (nc -uz agrees). */
	return o == PROBE_OK || o == PROBE_NO_ANSWER;
}

struct probe_job {
	const struct probe_req *req;
	struct probe_result *res;
	struct pn_err *err;
	uint64_t deadline_ns;
};

static int remaining_ms(const struct probe_job *j)
{
	uint64_t now = pn_now_ns();

	if (now >= j->deadline_ns)
		return 0;
	return (int)((j->deadline_ns - now + 999999) / 1000000);
}

static socklen_t make_sockaddr(const struct pn_ip *ip, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr = ip->v4;
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	s6->sin6_addr = ip->v6;
	return sizeof(*s6);
}

/* Bind @fd to the requested source port (any address), so a tracer can
 * match the probe's packets before the first one leaves. */
static int bind_src_port(struct probe_job *j, int fd)
{
	const struct probe_req *q = j->req;
	struct sockaddr_storage ss;
	struct pn_ip any = { .family = q->dst.family };
	socklen_t sl;

	if (!q->src_port)
		return 0;
	sl = make_sockaddr(&any, q->src_port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return pn_error(j->err, PN_E_KERNEL, errno, "bind the probe to source port %d",
				q->src_port);
	return 0;
}

/* Read one queued error (IP_RECVERR/IPV6_RECVERR): the ICMP error or local
 * failure the kernel matched to this socket, with who sent it (the
 * offender address) and its type and code.  Returns its errno, 0 if none. */
static int read_errqueue(int fd, struct probe_result *r)
{
	char data[256], ctl[512];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };

	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		const struct sock_extended_err *ee;
		const struct sockaddr *off;

		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
			continue;
		ee = (const struct sock_extended_err *)CMSG_DATA(c);
		off = (const struct sockaddr *)(ee + 1);
		if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
			struct pn_ip ip = { .family = off->sa_family };

			if (off->sa_family == AF_INET)
				ip.v4 = ((const struct sockaddr_in *)off)->sin_addr;
			else if (off->sa_family == AF_INET6)
				ip.v6 = ((const struct sockaddr_in6 *)off)->sin6_addr;
			if (ip.family)
				pn_ip_str(&ip, r->from);
			r->icmp_type = ee->ee_type;
			r->icmp_code = ee->ee_code;
		}
		return (int)ee->ee_errno;
	}
	return 0;
}

/* What an ICMP destination-unreachable said, in words. */
static const char *unreach_str(bool v6, int code)
{
	if (v6)
		return code == ICMPV6_NOROUTE ? "no route" : code == ICMPV6_ADM_PROHIBITED
		       ? "administratively prohibited (a firewall)" : code == ICMPV6_ADDR_UNREACH
		       ? "address unreachable" : code == ICMPV6_PORT_UNREACH ? "port unreachable"
		       : "destination unreachable";
	switch (code) {
	case ICMP_NET_UNREACH: return "network unreachable";
	case ICMP_HOST_UNREACH: return "host unreachable";
	case ICMP_PROT_UNREACH: return "protocol unreachable";
	case ICMP_PORT_UNREACH: return "port unreachable";
	case ICMP_FRAG_NEEDED: return "fragmentation needed";
	case ICMP_NET_ANO:
	case ICMP_HOST_ANO:
	case ICMP_PKT_FILTERED: return "administratively prohibited (a firewall)";
	default: return "destination unreachable";
	}
}

/* A connection-level errno as an outcome. */
static void set_errno_outcome(struct probe_result *r, int e)
{
	r->errnum = e;
	switch (e) {
	case ECONNREFUSED:
		r->outcome = PROBE_REFUSED;
		break;
	case ETIMEDOUT:
		r->outcome = PROBE_TIMEOUT;
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
		r->outcome = e == ENETUNREACH ? PROBE_NO_ROUTE : PROBE_UNREACHABLE;
		/* Where the error came from: an ICMP error from a router on
		 * the way (its address in r->from), the namespace's own ICMP
		 * when the next hop never answered ARP/NDP (ipv4_link_failure
		 * sends it from our own address), or, with no ICMP at all,
		 * the namespace's own routing table refusing at connect(). */
		if (r->from[0] && r->icmp_self)
			snprintf(r->detail, sizeof(r->detail),
				 "no ARP/NDP answer for the next hop (this namespace's own ICMP)");
		else if (r->from[0])
			snprintf(r->detail, sizeof(r->detail), "ICMP%s %s from %s",
				 strchr(r->from, ':') ? "v6" : "",
				 unreach_str(strchr(r->from, ':') != NULL, r->icmp_code), r->from);
		else if (e == ENETUNREACH)
			snprintf(r->detail, sizeof(r->detail), "no route in the namespace's routing table");
		else
			snprintf(r->detail, sizeof(r->detail), "no ARP/NDP answer for the next hop");
		break;
	case ECONNRESET:
	case EPIPE:
		r->outcome = PROBE_RESET;
		break;
	case EPERM:
	case EACCES:
		/* The namespace's own netfilter output hook dropped the packet:
		 * ip_local_out() hands NF_DROP back as -EPERM. */
		r->outcome = PROBE_FAILED;
		snprintf(r->detail, sizeof(r->detail), "blocked by a firewall rule in the source namespace");
		break;
	default:
		r->outcome = PROBE_FAILED;
		snprintf(r->detail, sizeof(r->detail), "%s", strerror(e));
		break;
	}
}

/* Is @addr the socket's own source address? */
static bool is_own_address(int fd, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pn_ip ip = { 0 };
	char b[PN_IP_STRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return false;
	ip.family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		ip.v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		ip.v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return false;
	return !strcmp(pn_ip_str(&ip, b), addr);
}

/* Connect @fd (non-blocking) within the job's deadline.  0 when connected,
 * 1 when the outcome is set (failed), -errno on a local error. */
static int tcp_connect(struct probe_job *j, int *fdp)
{
	const struct probe_req *q = j->req;
	struct probe_result *r = j->res;
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(&q->dst, q->port, &ss);
	uint64_t t0;
	int fd, e;

	fd = socket(q->dst.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pn_error(j->err, PN_E_KERNEL, errno, "create a TCP socket");
	*fdp = fd;
	e = bind_src_port(j, fd);
	if (e < 0)
		return e;
	/* With RECVERR an ICMP error that fails the connect is queued with
	 * its sender (tcp_v4_err: ip_icmp_error in SYN_SENT), so the outcome
	 * can say who answered unreachable. */
	e = 1;
	(void)setsockopt(fd, q->dst.family == AF_INET ? SOL_IP : SOL_IPV6,
			 q->dst.family == AF_INET ? IP_RECVERR : IPV6_RECVERR, &e, sizeof(e));
	t0 = pn_now_ns();
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		set_errno_outcome(r, errno);
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int ms = remaining_ms(j), n;
		socklen_t el = sizeof(e);

		n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pn_error(j->err, PN_E_KERNEL, errno, "poll");
		if (n == 0) {
			r->outcome = PROBE_TIMEOUT;
			r->elapsed_us = (pn_now_ns() - t0) / 1000;
			return 1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			return pn_error(j->err, PN_E_KERNEL, errno, "getsockopt SO_ERROR");
		if (e) {
			if (read_errqueue(fd, r) && r->from[0])
				r->icmp_self = is_own_address(fd, r->from);
			set_errno_outcome(r, e);
			r->elapsed_us = (pn_now_ns() - t0) / 1000;
			return 1;
		}
		break;
	}
connected:
	r->elapsed_us = (pn_now_ns() - t0) / 1000;
	r->outcome = PROBE_OK;
	return 0;
}

/* Wait for @events on @fd until the deadline: 1 ready (what came in
 * *revents if not NULL), 0 timed out, -errno. */
static int wait_fd(struct probe_job *j, int fd, short events, short *revents)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, remaining_ms(j));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (revents)
			*revents = p.revents;
		return n > 0;
	}
}

static int http_exchange(struct probe_job *j, int fd, uint64_t t0)
{
	const struct probe_req *q = j->req;
	struct probe_result *r = j->res;
	char req[512], hostbuf[PN_IP_STRLEN], head[4096];
	size_t sent = 0, len, head_len = 0, total = 0;
	bool head_done = false;
	int n;

	pn_ip_str(&q->dst, hostbuf);
	len = (size_t)snprintf(req, sizeof(req),
			       "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\nUser-Agent: podnet-probe\r\n"
			       "Accept: */*\r\nConnection: close\r\n\r\n",
			       q->http_path ? q->http_path : "/", q->dst.family == AF_INET6 ? "[" : "",
			       hostbuf, q->dst.family == AF_INET6 ? "]" : "", q->port);
	while (sent < len) {
		ssize_t w;

		n = wait_fd(j, fd, POLLOUT, NULL);
		if (n <= 0)
			goto timeout;
		w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0) {
			set_errno_outcome(r, errno);
			return 0;
		}
		sent += (size_t)w;
	}
	for (;;) {
		char buf[16384];
		ssize_t got;

		n = wait_fd(j, fd, POLLIN, NULL);
		if (n <= 0)
			goto timeout;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0) {
			set_errno_outcome(r, errno);
			return 0;
		}
		if (got == 0)
			break;
		total += (size_t)got;
		if (!head_done) {
			size_t take = (size_t)got < sizeof(head) - 1 - head_len ? (size_t)got
										  : sizeof(head) - 1 - head_len;
			char *end;

			memcpy(head + head_len, buf, take);
			head_len += take;
			head[head_len] = '\0';
			end = strstr(head, "\r\n\r\n");
			if (end) {
				head_done = true;
				head_len = (size_t)(end - head) + 4;
			} else if (head_len == sizeof(head) - 1) {
				head_done = true; /* oversized head: count the rest as body */
			}
		}
	}
	r->total_us = (pn_now_ns() - t0) / 1000;
	{
		char *eol = strstr(head, "\r\n");
		int status = 0;

		if (total && eol)
			*eol = '\0';
		if (total && sscanf(head, "HTTP/%*d.%*d %d", &status) == 1 && status >= 100 &&
		    status <= 999) {
			snprintf(r->status_line, sizeof(r->status_line), "%.127s", head);
			r->http_status = status;
			r->bytes = total >= head_len ? total - head_len : 0;
			r->outcome = status < 400 ? PROBE_OK : PROBE_HTTP_ERROR;
		} else {
			r->outcome = PROBE_HTTP_ERROR;
			r->bytes = total;
			snprintf(r->detail, sizeof(r->detail), "%s",
				 total ? "the answer is not HTTP" : "connection closed without an answer");
		}
	}
	return 0;
timeout:
	if (n < 0)
		return pn_error(j->err, PN_E_KERNEL, -n, "poll");
	r->outcome = PROBE_TIMEOUT;
	snprintf(r->detail, sizeof(r->detail), "connected, but no HTTP answer");
	return 0;
}

static int run_tcp(struct probe_job *j)
{
	int fd = -1, ret;
	uint64_t t0 = pn_now_ns();

	ret = tcp_connect(j, &fd);
	if (ret != 0) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	if (j->req->kind == PROBE_HTTP)
		ret = http_exchange(j, fd, t0);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The datagram probes' wait for an answer: 1 when one may be read, 0 when
 * the outcome is decided (@none at the deadline, or the ICMP error queued
 * on the socket if @errqueue), <0 if poll failed.  Sets the elapsed time.
 */
static int wait_answer(struct probe_job *j, int fd, uint64_t t0, bool errqueue,
		       enum probe_outcome none)
{
	struct probe_result *r = j->res;
	short revents = 0;
	int n = wait_fd(j, fd, POLLIN, &revents), e;

	if (n < 0)
		return pn_error(j->err, PN_E_KERNEL, -n, "poll");
	r->elapsed_us = (pn_now_ns() - t0) / 1000;
	if (n == 0) {
		r->outcome = none;
		return 0;
	}
	if (errqueue && (revents & POLLERR) && (e = read_errqueue(fd, r))) {
		if (r->from[0])
			r->icmp_self = is_own_address(fd, r->from);
		set_errno_outcome(r, e);
		return 0;
	}
	return 1;
}

static int run_udp(struct probe_job *j)
{
	const struct probe_req *q = j->req;
	struct probe_result *r = j->res;
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(&q->dst, q->port, &ss);
	static const char payload[] = "podnet-probe\n";
	int fd, on = 1, ret = 0;
	uint64_t t0;

	fd = socket(q->dst.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pn_error(j->err, PN_E_KERNEL, errno, "create a UDP socket");
	/* Without RECVERR a connected UDP socket still sees ECONNREFUSED, but
	 * not who sent the ICMP error nor the unreachable kinds. */
	if (q->dst.family == AF_INET)
		(void)setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
	else
		(void)setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on));
	ret = bind_src_port(j, fd);
	if (ret < 0)
		goto out;
	t0 = pn_now_ns();
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    send(fd, payload, sizeof(payload) - 1, 0) < 0) {
		set_errno_outcome(r, errno);
		goto out;
	}
	for (;;) {
		int ready = wait_answer(j, fd, t0, true, PROBE_NO_ANSWER);
		char buf[2048];
		ssize_t got;

		if (ready <= 0) {
			ret = ready;
			goto out;
		}
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got >= 0) {
			r->outcome = PROBE_OK;
			r->bytes = (size_t)got;
			goto out;
		}
		if (errno != EAGAIN && errno != EINTR) {
			set_errno_outcome(r, errno);
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An ICMP error (outer type/code) quoting our echo request as an outcome. */
static void icmp_error_outcome(struct probe_result *r, bool v6, int type, int code)
{
	if (!v6 && type == ICMP_DEST_UNREACH) {
		switch (code) {
		case ICMP_NET_UNREACH:
			r->outcome = PROBE_NO_ROUTE;
			r->errnum = ENETUNREACH;
			snprintf(r->detail, sizeof(r->detail), "ICMP network unreachable");
			return;
		case ICMP_PORT_UNREACH:
		case ICMP_PROT_UNREACH:
			r->outcome = PROBE_REFUSED;
			r->errnum = ECONNREFUSED;
			return;
		case ICMP_NET_ANO:
		case ICMP_HOST_ANO:
		case ICMP_PKT_FILTERED:
			r->outcome = PROBE_UNREACHABLE;
			r->errnum = EHOSTUNREACH;
			snprintf(r->detail, sizeof(r->detail), "ICMP administratively prohibited (a firewall)");
			return;
		default:
			r->outcome = PROBE_UNREACHABLE;
			r->errnum = EHOSTUNREACH;
			snprintf(r->detail, sizeof(r->detail), "ICMP host unreachable (code %d)", code);
			return;
		}
	}
	if (v6 && type == ICMPV6_DEST_UNREACH) {
		r->errnum = code == ICMPV6_NOROUTE ? ENETUNREACH : EHOSTUNREACH;
		r->outcome = code == ICMPV6_NOROUTE ? PROBE_NO_ROUTE : PROBE_UNREACHABLE;
		snprintf(r->detail, sizeof(r->detail), "ICMPv6 destination unreachable (code %d)", code);
		return;
	}
	r->outcome = PROBE_UNREACHABLE;
	r->errnum = EHOSTUNREACH;
	snprintf(r->detail, sizeof(r->detail), "ICMP%s type %d code %d", v6 ? "v6" : "", type, code);
}

/*
 * Classify one ICMP message (starting at its ICMP header) received on a raw
 * socket: 1 if it is the reply to, or an error about, our echo request
 * @id (outcome set), 0 if it is someone else's.
 */
static int icmp_classify(struct probe_result *r, bool v6, const uint8_t *p, size_t len,
			 uint16_t id, const struct pn_ip *src, const struct pn_ip *dst)
{
	const uint8_t *inner;
	size_t ilen, ihl;

	if (len < 8)
		return 0;
	if ((!v6 && p[0] == ICMP_ECHOREPLY) || (v6 && p[0] == ICMPV6_ECHO_REPLY)) {
		uint16_t rid;

		memcpy(&rid, p + 4, 2);
		if (ntohs(rid) != id || !pn_ip_eq(src, dst))
			return 0;
		r->outcome = PROBE_OK;
		return 1;
	}
	if (!v6 && p[0] != ICMP_DEST_UNREACH && p[0] != ICMP_TIME_EXCEEDED)
		return 0;
	if (v6 && p[0] != ICMPV6_DEST_UNREACH && p[0] != ICMPV6_TIME_EXCEED)
		return 0;
	/* The error quotes our packet: IP header, then our echo header. */
	inner = p + 8;
	ilen = len - 8;
	if (!v6) {
		if (ilen < 20)
			return 0;
		ihl = (size_t)(inner[0] & 0x0f) * 4;
		if (inner[9] != IPPROTO_ICMP || ilen < ihl + 8 || memcmp(inner + 16, &dst->v4, 4))
			return 0;
	} else {
		ihl = 40;
		if (ilen < ihl + 8 || inner[6] != IPPROTO_ICMPV6 || memcmp(inner + 24, &dst->v6, 16))
			return 0;
	}
	{
		uint16_t qid;

		memcpy(&qid, inner + ihl + 4, 2);
		if (ntohs(qid) != id)
			return 0;
	}
	icmp_error_outcome(r, v6, p[0], p[1]);
	pn_ip_str(src, r->from);
	return 1;
}

static int run_icmp(struct probe_job *j)
{
	const struct probe_req *q = j->req;
	struct probe_result *r = j->res;
	bool v6 = q->dst.family == AF_INET6;
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(&q->dst, 0, &ss);
	uint8_t pkt[64];
	uint16_t id = 0, seq = 1;
	bool raw = true;
	uint64_t t0;
	int fd, on = 1, ret = 0;

	/* Raw first: it needs no sysctl.  A ping socket is allowed only to
	 * groups in the namespace's net.ipv4.ping_group_range (default
	 * "1 0": nobody), which we read but never change in a pod. */
	fd = socket(q->dst.family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		raw = false;
		fd = socket(q->dst.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (fd < 0)
			return pn_error(j->err, PN_E_KERNEL, errno,
					"no raw ICMP socket (no CAP_NET_RAW) and no ping socket "
					"(group not in net.ipv4.ping_group_range)");
	} else if (fd < 0) {
		return pn_error(j->err, PN_E_KERNEL, errno, "create a raw ICMP socket");
	}
	r->icmp_socket = raw ? "raw" : "ping";
	if (q->icmp_id)
		id = q->icmp_id;
	else if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)getpid();
	if (!raw && q->icmp_id) {
		/* A ping socket's echo id is its bound "port" (ping_v4_bind). */
		struct sockaddr_storage bs;
		struct pn_ip any = { .family = q->dst.family };
		socklen_t bl = make_sockaddr(&any, q->icmp_id, &bs);

		if (bind(fd, (struct sockaddr *)&bs, bl) < 0) {
			ret = pn_error(j->err, PN_E_KERNEL, errno, "bind the ping socket to id %u",
				       q->icmp_id);
			goto out;
		}
	}
	if (!raw) /* the kernel sets the id of a ping socket's echo (its "port") */
		(void)setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &on,
				 sizeof(on));
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO;
	{
		uint16_t nid = htons(id), nseq = htons(seq);

		memcpy(pkt + 4, &nid, 2);
		memcpy(pkt + 6, &nseq, 2);
	}
	memcpy(pkt + 8, "podnet-probe", 12);
	/* ICMPv6 raw sockets get their checksum from the kernel (RFC 3542
	 * 3.1); for ICMPv4 it is ours to fill. */
	if (!v6) {
		uint16_t c = inet_csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	}
	t0 = pn_now_ns();
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0) {
		set_errno_outcome(r, errno);
		goto out;
	}
	for (;;) {
		/* A ping socket queues ICMP errors; a raw one reads them as packets. */
		int ready = wait_answer(j, fd, t0, !raw, PROBE_TIMEOUT);
		uint8_t buf[1500];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct pn_ip src = { 0 };
		const uint8_t *icmp = buf;
		ssize_t got;
		size_t len;

		if (ready <= 0) {
			ret = ready;
			goto out;
		}
		got = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			set_errno_outcome(r, errno);
			goto out;
		}
		len = (size_t)got;
		src.family = from.ss_family;
		if (from.ss_family == AF_INET)
			src.v4 = ((struct sockaddr_in *)&from)->sin_addr;
		else if (from.ss_family == AF_INET6)
			src.v6 = ((struct sockaddr_in6 *)&from)->sin6_addr;
		if (!raw) {
			/* The kernel hands a ping socket only its own replies. */
			r->outcome = PROBE_OK;
			goto out;
		}
		if (!v6) { /* an IPv4 raw socket reads the IP header too */
			size_t ihl;

			if (len < 20)
				continue;
			ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (len < ihl)
				continue;
			icmp = buf + ihl;
			len -= ihl;
		}
		if (icmp_classify(r, v6, icmp, len, id, &src, &q->dst))
			goto out;
	}
out:
	close(fd);
	return ret;
}

static int probe_job_fn(void *arg)
{
	struct probe_job *j = arg;

	switch (j->req->kind) {
	case PROBE_TCP:
	case PROBE_HTTP:
		return run_tcp(j);
	case PROBE_UDP:
		return run_udp(j);
	case PROBE_ICMP:
		return run_icmp(j);
	}
	return pn_error(j->err, PN_E_BAD_REQUEST, EINVAL, "unknown probe kind %d", j->req->kind);
}

int probe_run(int netns_fd, const struct probe_req *req, struct probe_result *res,
	      struct pn_err *err)
{
	struct probe_job j = { .req = req, .res = res, .err = err };
	int tmo = req->timeout_ms > 0 ? req->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
	int ret;

	memset(res, 0, sizeof(*res));
	res->icmp_type = res->icmp_code = -1;
	if (req->dst.family != AF_INET && req->dst.family != AF_INET6) {
		ret = pn_error(err, PN_E_BAD_REQUEST, EINVAL, "probe target has no address");
		goto out;
	}
	if (req->kind != PROBE_ICMP && (req->port <= 0 || req->port > 65535)) {
		ret = pn_error(err, PN_E_BAD_REQUEST, EINVAL, "port %d out of range 1-65535",
			       req->port);
		goto out;
	}
	/* The deadline is fixed before the thread starts: entering the
	 * namespace is part of the budget the user gave. */
	j.deadline_ns = pn_now_ns() + (uint64_t)tmo * 1000000ull;
	if (netns_fd < 0)
		ret = probe_job_fn(&j);
	else
		ret = netns_run(netns_fd, probe_job_fn, &j, err);
out:
	return ret;
}
