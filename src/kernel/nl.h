/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NL_H
#define PODNET_NL_H

/*
 * A small netlink layer (no libmnl: the CNI plugins link statically and
 * Debian ships no static libmnl).  Requests are built in a caller's stack
 * buffer with bounds-checked attribute appends; replies are matched by
 * sequence number and port id; kernel errors come back as -errno with the
 * extended-ack text (NETLINK_EXT_ACK) copied into struct pn_err.
 */

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

struct nl_sock {
	int fd;
	int proto;
	uint32_t seq;
	uint32_t portid;
};

#define NL_SOCK_INIT { .fd = -1 }

/* Open a netlink socket of @proto (NETLINK_ROUTE, NETLINK_NETFILTER,
 * NETLINK_SOCK_DIAG) in the caller's network namespace, with extended acks
 * and strict dump checking enabled. */
int nl_open(struct nl_sock *s, int proto, struct pn_err *err) PN_MUST_CHECK;
/* Same, but the socket lives in the network namespace @netns_fd refers
 * to.  Opened from a short-lived thread that setns()es, so the caller's
 * namespace never changes; a netlink socket stays bound to the namespace
 * it was created in. */
int nl_open_in_netns(struct nl_sock *s, int proto, int netns_fd, struct pn_err *err) PN_MUST_CHECK;
void nl_close(struct nl_sock *s);

/* Request building. */
struct nl_req {
	struct nlmsghdr *h;
	size_t cap;
};

/* Start a message of @type/@flags in @buf, with a zeroed family header of
 * @hdrlen bytes (struct ifinfomsg, ifaddrmsg, rtmsg, nfgenmsg...) whose
 * address is returned via @hdr. */
void nl_req_init(struct nl_req *r, void *buf, size_t cap, uint16_t type, uint16_t flags,
		 size_t hdrlen, void **hdr);
/* Append attributes; return 0 or -EMSGSIZE when @cap would be exceeded. */
int nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len) PN_MUST_CHECK;
int nl_put_u8(struct nl_req *r, uint16_t type, uint8_t v) PN_MUST_CHECK;
int nl_put_u16(struct nl_req *r, uint16_t type, uint16_t v) PN_MUST_CHECK;
int nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v) PN_MUST_CHECK;
int nl_put_str(struct nl_req *r, uint16_t type, const char *s) PN_MUST_CHECK;
/* Nested attributes: returns the nest start (NULL on overflow), close with nl_nest_end. */
struct nlattr *nl_nest_start(struct nl_req *r, uint16_t type);
void nl_nest_end(struct nl_req *r, struct nlattr *nest);

/* Send a request with NLM_F_ACK and wait for its ack.  Returns 0 or the
 * kernel's -errno; on error @err names @what and carries the extack text. */
int nl_talk(struct nl_sock *s, struct nl_req *r, const char *what, struct pn_err *err) PN_MUST_CHECK;

/* Send a request (NLM_F_DUMP set by the caller, or a GET expecting one
 * reply) and call @cb on every reply message until NLMSG_DONE/the reply.
 * @cb returns 0 to go on, > 0 to stop early (remaining replies drained),
 * < 0 to fail with that value. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *h, void *arg);
int nl_dump(struct nl_sock *s, struct nl_req *r, nl_msg_cb cb, void *arg, const char *what,
	    struct pn_err *err) PN_MUST_CHECK;

/*
 * A dump into a heap array of @size-byte elements: @cb fills the zeroed
 * @elem from a reply and returns 1 to keep it, 0 to skip the reply, or
 * -errno.  The dump is started over, up to @tries times, while the kernel
 * reports it interrupted (NLM_F_DUMP_INTR: the table changed under it).
 * On failure *out is NULL and *n is 0.
 */
typedef int (*nl_elem_cb)(const struct nlmsghdr *h, void *arg, void *elem);
int nl_dump_array(struct nl_sock *s, struct nl_req *r, int tries, nl_elem_cb cb, void *arg,
		  size_t size, void **out, size_t *n, const char *what,
		  struct pn_err *err) PN_MUST_CHECK;

/*
 * Multicast listening (nfnetlink trace events, rtnetlink monitors).
 * nl_join_group() subscribes to @group (NETLINK_ADD_MEMBERSHIP).
 * nl_listen_all_nsid() makes the socket receive the group's messages from
 * every network namespace that has an id in the socket's own namespace
 * (NETLINK_LISTEN_ALL_NSID, Linux 4.2): one socket, one queue, so events of
 * several namespaces arrive in the order the kernel sent them.
 * nl_set_rcvbuf() grows the receive queue (SO_RCVBUFFORCE as root, else
 * SO_RCVBUF up to net.core.rmem_max): a burst that overflows it is lost.
 */
int nl_join_group(struct nl_sock *s, unsigned int group, struct pn_err *err) PN_MUST_CHECK;
int nl_listen_all_nsid(struct nl_sock *s, struct pn_err *err) PN_MUST_CHECK;
void nl_set_rcvbuf(struct nl_sock *s, int bytes);

/* The namespace a message came from, for a socket with
 * nl_listen_all_nsid(): NL_NSID_SELF when it is the socket's own. */
#define NL_NSID_SELF (-1)
typedef int (*nl_event_cb)(const struct nlmsghdr *h, int nsid, void *arg);
/*
 * Read the messages queued on @s, and those arriving until @idle_ms pass
 * without one, calling @cb for each (> 0 stops, < 0 fails with that value).
 * Messages lost to a full queue (ENOBUFS) are counted in *lost and reading
 * goes on.  Returns 0 or -errno.
 */
int nl_read_events(struct nl_sock *s, int idle_ms, nl_event_cb cb, void *arg, unsigned int *lost,
		   struct pn_err *err) PN_MUST_CHECK;

/* Parsing: fill tb[0..max] with the attributes found in [attr, attr+len). */
void nl_parse_attrs(struct nlattr **tb, int max, const struct nlattr *attr, size_t len);
/* Attributes after the family header of @h. */
void nl_parse_msg(struct nlattr **tb, int max, const struct nlmsghdr *h, size_t hdrlen);
void nl_parse_nested(struct nlattr **tb, int max, const struct nlattr *nest);
static inline const void *nl_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }
static inline size_t nl_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
uint32_t nl_get_u32(const struct nlattr *a);
uint8_t nl_get_u8(const struct nlattr *a);
uint16_t nl_get_be16(const struct nlattr *a);  /* host order out */
uint32_t nl_get_be32(const struct nlattr *a);  /* host order out */
uint64_t nl_get_be64(const struct nlattr *a);  /* host order out */
const char *nl_get_str(const struct nlattr *a); /* NULL if not NUL-terminated */

#endif
