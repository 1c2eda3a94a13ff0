/* SPDX-License-Identifier: Apache-2.0 */
#include "nl.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "netns.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * First receive buffer.  The kernel sizes dump skbs from the largest
 * recvmsg() length it has seen, capped at 32 KiB (netlink_recvmsg:
 * max_recvmsg_len), unless one message needs more (rtnl_calcit for links
 * with many VFs); nl_recv peeks at the real length and grows the buffer
 * for those.
 */
#define NL_RECV_BUF 32768

static int set_opt(int fd, int opt)
{
	int one = 1;

	return setsockopt(fd, SOL_NETLINK, opt, &one, sizeof(one));
}

int nl_open(struct nl_sock *s, int proto, struct pn_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	int fd = -1;
	int ret;

	s->fd = -1;
	s->proto = proto;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "open netlink socket (protocol %d)", proto);
		goto out;
	}
	/* Extended acks carry the kernel's reason text; without them an
	 * EINVAL from a 30-attribute RTM_NEWLINK names nothing.  Both options
	 * exist since 4.12/4.20; an older kernel still works, less precisely. */
	if (set_opt(fd, NETLINK_EXT_ACK) < 0 && errno != ENOPROTOOPT) {
		ret = pn_error(err, PN_E_KERNEL, errno, "set NETLINK_EXT_ACK");
		goto out;
	}
	/* Strict checking makes the kernel filter dumps by the header fields
	 * we set (ifindex, table...) and reject malformed GET requests
	 * instead of silently ignoring them. */
	if (set_opt(fd, NETLINK_GET_STRICT_CHK) < 0 && errno != ENOPROTOOPT) {
		ret = pn_error(err, PN_E_KERNEL, errno, "set NETLINK_GET_STRICT_CHK");
		goto out;
	}
	/* Errors then echo only our request's header, not the whole request:
	 * a bad 1 KiB request does not come back as a 1 KiB error. */
	(void)set_opt(fd, NETLINK_CAP_ACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "bind netlink socket (protocol %d)", proto);
		goto out;
	}
	s->portid = sa.nl_pid;
	s->seq = (uint32_t)pn_now_ns();
	s->fd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

struct open_in_netns {
	struct nl_sock *s;
	int proto;
	struct pn_err *err;
};

static int open_in_netns_fn(void *arg)
{
	struct open_in_netns *a = arg;

	return nl_open(a->s, a->proto, a->err);
}

int nl_open_in_netns(struct nl_sock *s, int proto, int netns_fd, struct pn_err *err)
{
	struct open_in_netns a = { .s = s, .proto = proto, .err = err };

	s->fd = -1;
	/* A netlink socket belongs to the namespace of the task that created
	 * it (sock_net is fixed at socket()), so creating it from a thread
	 * that joined @netns_fd is all it takes. */
	return netns_run(netns_fd, open_in_netns_fn, &a, err);
}

void nl_close(struct nl_sock *s)
{
	if (s && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

void nl_req_init(struct nl_req *r, void *buf, size_t cap, uint16_t type, uint16_t flags,
		 size_t hdrlen, void **hdr)
{
	size_t need = NLMSG_SPACE(hdrlen);

	r->h = buf;
	r->cap = cap;
	if (cap < need) {
		/* A caller bug (fixed-size buffers); every later put fails and
		 * nl_talk/nl_dump refuse the request. */
		r->cap = 0;
		if (hdr)
			*hdr = NULL;
		return;
	}
	memset(buf, 0, need);
	r->h->nlmsg_len = (uint32_t)need;
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = flags;
	if (hdr)
		*hdr = NLMSG_DATA(r->h);
}

static struct nlattr *put_hdr(struct nl_req *r, uint16_t type, size_t len)
{
	size_t off, total;
	struct nlattr *a;

	if (!r->cap)
		return NULL;
	off = NLMSG_ALIGN(r->h->nlmsg_len);
	total = NLA_ALIGN(NLA_HDRLEN + len);
	if (len > UINT16_MAX - NLA_HDRLEN || off + total > r->cap)
		return NULL;
	a = (struct nlattr *)((char *)r->h + off);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	/* Padding goes to the kernel too; keep it zeroed. */
	memset((char *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	r->h->nlmsg_len = (uint32_t)(off + total);
	return a;
}

int nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = put_hdr(r, type, len);

	if (!a)
		return -EMSGSIZE;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	return 0;
}

int nl_put_u8(struct nl_req *r, uint16_t type, uint8_t v)
{
	return nl_put(r, type, &v, sizeof(v));
}

int nl_put_u16(struct nl_req *r, uint16_t type, uint16_t v)
{
	return nl_put(r, type, &v, sizeof(v));
}

int nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	return nl_put(r, type, &v, sizeof(v));
}

int nl_put_str(struct nl_req *r, uint16_t type, const char *s)
{
	return nl_put(r, type, s, strlen(s) + 1);
}

struct nlattr *nl_nest_start(struct nl_req *r, uint16_t type)
{
	/* NLA_F_NESTED always: rtnetlink masks it (nla_type()), newer
	 * parsers (strict nested validation, br_setlink's IFLA_PROTINFO)
	 * require it. */
	return put_hdr(r, type | NLA_F_NESTED, 0);
}

void nl_nest_end(struct nl_req *r, struct nlattr *nest)
{
	size_t len;

	if (!nest)
		return;
	len = (size_t)((char *)r->h + r->h->nlmsg_len - (char *)nest);
	/* An overflowing nest is caught by the put that failed inside it;
	 * nla_len is 16 bits, so refuse to wrap and poison the request. */
	if (len > UINT16_MAX) {
		r->cap = 0;
		return;
	}
	nest->nla_len = (uint16_t)len;
}

static int nl_send(struct nl_sock *s, struct nl_req *r, const char *what, struct pn_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (!r->cap)
		return pn_error(err, PN_E_KERNEL, EMSGSIZE, "%s: request does not fit its buffer",
				what);
	r->h->nlmsg_flags |= NLM_F_REQUEST;
	r->h->nlmsg_seq = ++s->seq;
	r->h->nlmsg_pid = 0;
	do
		n = sendto(s->fd, r->h, r->h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pn_error(err, PN_E_KERNEL, errno, "%s: netlink send", what);
	return 0;
}

/*
 * Receive one datagram into *buf (initially @stack of @stack_cap bytes),
 * growing it on the heap when the datagram is larger: a truncated netlink
 * datagram is lost for good.  Returns its length or -errno.
 */
static ssize_t nl_recv(struct nl_sock *s, char **buf, size_t *cap, char *stack)
{
	ssize_t n;

	for (;;) {
		n = recv(s->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > *cap) {
			char *nb = malloc((size_t)n);

			if (!nb)
				return -ENOMEM;
			if (*buf != stack)
				free(*buf);
			*buf = nb;
			*cap = (size_t)n;
		}
		n = recv(s->fd, *buf, *cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

/*
 * Copy the extended ack text (NLMSGERR_ATTR_MSG) into err->details.  The
 * TLVs start @off bytes into the payload: after struct nlmsgerr and the
 * echoed request in an NLMSG_ERROR, after the int error in an NLMSG_DONE.
 */
static void extack_details(const struct nlmsghdr *h, size_t off, struct pn_err *err)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	const char *msg;

	if (!err || !(h->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return;
	nl_parse_attrs(tb, NLMSGERR_ATTR_MAX,
		       (const struct nlattr *)((const char *)NLMSG_DATA(h) + off), len - off);
	if (tb[NLMSGERR_ATTR_MSG] && (msg = nl_get_str(tb[NLMSGERR_ATTR_MSG])) && *msg)
		pn_err_details(err, "%s", msg);
}

static int kernel_error(const struct nlmsghdr *h, const char *what, struct pn_err *err)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	int errnum;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return pn_error(err, PN_E_KERNEL, EBADMSG, "%s: short netlink error", what);
	errnum = -e->error;
	if (errnum <= 0)
		return 0;
	pn_error(err, PN_E_KERNEL, errnum, "%s", what);
	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e))) {
		/* The echoed request is cut to its header with NETLINK_CAP_ACK
		 * (NLM_F_CAPPED), whole otherwise. */
		size_t off = sizeof(*e);

		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
		extack_details(h, off, err);
	}
	return -errnum;
}

/*
 * The receive loop behind nl_talk and nl_dump.  @cb NULL: wait for the
 * ack only.  Messages of other sequence numbers or port ids are leftovers
 * of an earlier request (a dump abandoned on error) and are skipped.
 */
static int nl_wait(struct nl_sock *s, const struct nl_req *r, nl_msg_cb cb, void *arg,
		   const char *what, struct pn_err *err)
{
	char stack[NL_RECV_BUF];
	char *buf = stack;
	size_t cap = sizeof(stack);
	uint32_t seq = r->h->nlmsg_seq;
	bool dump = r->h->nlmsg_flags & NLM_F_DUMP;
	bool intr = false, stop = false, done = false;
	int ret = 0;

	while (!done) {
		ssize_t n = nl_recv(s, &buf, &cap, stack);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0) {
			ret = pn_error(err, PN_E_KERNEL, (int)-n, "%s: netlink receive", what);
			goto out;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			int c;

			if (h->nlmsg_seq != seq || h->nlmsg_pid != s->portid)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (h->nlmsg_type == NLMSG_ERROR) {
				/* An ack ends a request; an error also ends a dump. */
				int e = kernel_error(h, what, err);

				if (e < 0 && !ret)
					ret = e;
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				const int *de = NLMSG_DATA(h);

				/* A dump that failed midway reports -errno here. */
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *de < 0 && !ret) {
					ret = pn_error(err, PN_E_KERNEL, -*de, "%s", what);
					extack_details(h, NLMSG_ALIGN(sizeof(*de)), err);
				}
				done = true;
				break;
			}
			if (cb && !stop && !ret) {
				c = cb(h, arg);
				/* On error keep draining: the rest of the dump must
				 * not be left queued for the next request. */
				if (c < 0)
					ret = pn_error(err, PN_E_KERNEL, -c, "%s: reading reply", what);
				else if (c > 0)
					stop = true;
			}
			/* A plain GET answers with one message and no ack. */
			if (!dump && !(h->nlmsg_flags & NLM_F_MULTI) && !(r->h->nlmsg_flags & NLM_F_ACK)) {
				done = true;
				break;
			}
		}
		if (left && !done && !NLMSG_OK(h, left)) {
			/* Trailing garbage: the kernel never sends it. */
			ret = pn_error(err, PN_E_KERNEL, EBADMSG, "%s: malformed netlink reply", what);
			goto out;
		}
	}
	/* The kernel restarted its walk midway (the table changed under the
	 * dump): what the callback saw may hold duplicates or miss entries.
	 * Callers that own their accumulator retry; see addr_list. */
	if (intr && !ret)
		ret = pn_error(err, PN_E_KERNEL, EAGAIN, "%s: dump interrupted by a concurrent change",
			       what);
out:
	if (buf != stack)
		free(buf);
	return ret;
}

int nl_talk(struct nl_sock *s, struct nl_req *r, const char *what, struct pn_err *err)
{
	int ret;

	if (r->cap)
		r->h->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send(s, r, what, err);
	if (ret < 0)
		return ret;
	return nl_wait(s, r, NULL, NULL, what, err);
}

int nl_dump(struct nl_sock *s, struct nl_req *r, nl_msg_cb cb, void *arg, const char *what,
	    struct pn_err *err)
{
	int ret;

	ret = nl_send(s, r, what, err);
	if (ret < 0)
		return ret;
	return nl_wait(s, r, cb, arg, what, err);
}

struct nl_array {
	nl_elem_cb cb;
	void *arg;
	size_t size;
	char *v;
	size_t n, cap;
};

static int nl_array_cb(const struct nlmsghdr *h, void *arg)
{
	struct nl_array *a = arg;
	char *elem;
	int ret;

	if (pn_grow(&a->v, &a->cap, a->n, a->size))
		return -ENOMEM;
	/* The slot may hold a reply skipped before, or an interrupted dump's. */
	elem = a->v + a->n * a->size;
	memset(elem, 0, a->size);
	ret = a->cb(h, a->arg, elem);
	if (ret > 0)
		a->n++;
	return ret < 0 ? ret : 0;
}

int nl_dump_array(struct nl_sock *s, struct nl_req *r, int tries, nl_elem_cb cb, void *arg,
		  size_t size, void **out, size_t *n, const char *what, struct pn_err *err)
{
	struct nl_array a = { .cb = cb, .arg = arg, .size = size };
	int ret = -EAGAIN;

	*out = NULL;
	*n = 0;
	/* nl_send() stamps each attempt with a new sequence number. */
	for (int i = 0; i < tries && ret == -EAGAIN; i++) {
		a.n = 0;
		ret = nl_dump(s, r, nl_array_cb, &a, what, err);
	}
	if (ret < 0) {
		free(a.v);
		return ret;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

void nl_parse_attrs(struct nlattr **tb, int max, const struct nlattr *attr, size_t len)
{
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (len >= NLA_HDRLEN && attr->nla_len >= NLA_HDRLEN && attr->nla_len <= len) {
		int type = attr->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(attr->nla_len);

		/* Last one wins, as in the kernel's nla_parse. */
		if (type <= max)
			tb[type] = (struct nlattr *)attr;
		if (step >= len)
			break;
		len -= step;
		attr = (const struct nlattr *)((const char *)attr + step);
	}
}

void nl_parse_msg(struct nlattr **tb, int max, const struct nlmsghdr *h, size_t hdrlen)
{
	size_t off = NLMSG_SPACE(hdrlen);

	if (h->nlmsg_len < off) {
		memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
		return;
	}
	nl_parse_attrs(tb, max, (const struct nlattr *)((const char *)h + off), h->nlmsg_len - off);
}

void nl_parse_nested(struct nlattr **tb, int max, const struct nlattr *nest)
{
	nl_parse_attrs(tb, max, (const struct nlattr *)nl_data(nest), nl_len(nest));
}

uint32_t nl_get_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && nl_len(a) >= sizeof(v))
		memcpy(&v, nl_data(a), sizeof(v));
	return v;
}

uint16_t nl_get_be16(const struct nlattr *a)
{
	uint16_t v = 0;

	if (a && nl_len(a) >= sizeof(v))
		memcpy(&v, nl_data(a), sizeof(v));
	return ntohs(v);
}

uint32_t nl_get_be32(const struct nlattr *a)
{
	return ntohl(nl_get_u32(a));
}

uint64_t nl_get_be64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && nl_len(a) >= sizeof(v))
		memcpy(&v, nl_data(a), sizeof(v));
	return be64toh(v);
}

uint8_t nl_get_u8(const struct nlattr *a)
{
	return a && nl_len(a) >= 1 ? *(const uint8_t *)nl_data(a) : 0;
}

const char *nl_get_str(const struct nlattr *a)
{
	size_t len;

	if (!a)
		return NULL;
	len = nl_len(a);
	if (!len || memchr(nl_data(a), '\0', len) == NULL)
		return NULL;
	return nl_data(a);
}

int nl_join_group(struct nl_sock *s, unsigned int group, struct pn_err *err)
{
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return pn_error(err, PN_E_KERNEL, errno, "join netlink group %u (protocol %d)", group,
				s->proto);
	return 0;
}

int nl_listen_all_nsid(struct nl_sock *s, struct pn_err *err)
{
	if (set_opt(s->fd, NETLINK_LISTEN_ALL_NSID) < 0)
		return pn_error(err, PN_E_KERNEL, errno,
				"listen to every network namespace (NETLINK_LISTEN_ALL_NSID)");
	return 0;
}

void nl_set_rcvbuf(struct nl_sock *s, int bytes)
{
	/* FORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN; the plain
	 * option is capped by it, which is the best an unprivileged caller
	 * gets.  Either way the queue is only bigger, never wrong. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

/* The NETLINK_LISTEN_ALL_NSID control message: the sender's namespace id
 * as the receiving socket's namespace knows it.  The kernel adds it only
 * to messages from another namespace (netlink_recvmsg). */
static int msg_nsid(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int id;

			memcpy(&id, CMSG_DATA(c), sizeof(id));
			return id;
		}
	return NL_NSID_SELF;
}

int nl_read_events(struct nl_sock *s, int idle_ms, nl_event_cb cb, void *arg, unsigned int *lost,
		   struct pn_err *err)
{
	char stack[NL_RECV_BUF];
	char *buf = stack;
	size_t cap = sizeof(stack);
	char ctl[CMSG_SPACE(sizeof(int))];
	int ret = 0;

	for (;;) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		struct iovec iov;
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct nlmsghdr *h;
		ssize_t n, want;
		size_t left;
		int nsid, c;

		n = poll(&p, 1, idle_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = pn_error(err, PN_E_KERNEL, errno, "poll a netlink socket");
			goto out;
		}
		if (n == 0)
			break;
		/* Peek at the length first: a truncated datagram is lost. */
		want = recv(s->fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (want < 0 && errno == ENOBUFS) {
			/* The queue overflowed: the kernel dropped messages and
			 * says so once; what is still queued is intact. */
			if (lost)
				(*lost)++;
			continue;
		}
		if (want < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (want < 0) {
			ret = pn_error(err, PN_E_KERNEL, errno, "netlink receive");
			goto out;
		}
		if ((size_t)want > cap) {
			char *nb = malloc((size_t)want);

			if (!nb) {
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "netlink receive");
				goto out;
			}
			if (buf != stack)
				free(buf);
			buf = nb;
			cap = (size_t)want;
		}
		iov.iov_base = buf;
		iov.iov_len = cap;
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		n = recvmsg(s->fd, &m, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ENOBUFS) {
			if (lost)
				(*lost)++;
			continue;
		}
		if (n < 0) {
			ret = pn_error(err, PN_E_KERNEL, errno, "netlink receive");
			goto out;
		}
		nsid = msg_nsid(&m);
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_NOOP)
				continue;
			c = cb(h, nsid, arg);
			if (c < 0) {
				ret = pn_error(err, PN_E_KERNEL, -c, "reading netlink events");
				goto out;
			}
			if (c > 0)
				goto out;
		}
	}
out:
	if (buf != stack)
		free(buf);
	return ret;
}
