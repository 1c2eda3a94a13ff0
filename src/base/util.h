/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_UTIL_H
#define PODNET_UTIL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "err.h"

#define PN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PN_MUST_CHECK __attribute__((warn_unused_result))

/* An IPv4 or IPv6 address; family is AF_INET or AF_INET6 (0: unset). */
struct pn_ip {
	int family;
	union {
		uint8_t b[16];
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct pn_cidr {
	struct pn_ip ip;
	int prefix;
};

#define PN_IP_STRLEN 46   /* INET6_ADDRSTRLEN */
#define PN_CIDR_STRLEN 50

/* Strict parsers: no surrounding blanks, no zone ids. Return 0 or -EINVAL. */
int pn_ip_parse(const char *s, struct pn_ip *out) PN_MUST_CHECK;
/* "a.b.c.d/len" or "x::y/len"; host bits are kept (an interface address). */
int pn_cidr_parse(const char *s, struct pn_cidr *out) PN_MUST_CHECK;

const char *pn_ip_str(const struct pn_ip *ip, char buf[PN_IP_STRLEN]);
const char *pn_cidr_str(const struct pn_cidr *c, char buf[PN_CIDR_STRLEN]);

size_t pn_ip_len(const struct pn_ip *ip);       /* 4, 16 or 0 */
int pn_ip_cmp(const struct pn_ip *a, const struct pn_ip *b);
bool pn_ip_eq(const struct pn_ip *a, const struct pn_ip *b);
bool pn_ip_is_zero(const struct pn_ip *ip);
/* Clear host bits: 10.1.2.3/16 -> 10.1.0.0/16. */
void pn_cidr_network(const struct pn_cidr *c, struct pn_cidr *out);
bool pn_cidr_contains(const struct pn_cidr *c, const struct pn_ip *ip);
bool pn_cidr_overlaps(const struct pn_cidr *a, const struct pn_cidr *b);
/* ip + delta within the family's width; returns false on wrap-around. */
bool pn_ip_add(const struct pn_ip *ip, int64_t delta, struct pn_ip *out);
/* Last address of the network (broadcast address for IPv4). */
void pn_cidr_last(const struct pn_cidr *c, struct pn_ip *out);
/* b - a as an unsigned 64-bit distance; saturates at UINT64_MAX. */
uint64_t pn_ip_distance(const struct pn_ip *a, const struct pn_ip *b);

/* Read a small file (sysctl, boot_id) into buf, newline stripped. */
int pn_read_file(const char *path, char *buf, size_t size) PN_MUST_CHECK;
/*
 * The kernel's boot id (a UUID that changes at every boot), or the content
 * of the file named by $PODNET_BOOT_ID_FILE when set: tests simulate a
 * reboot by changing it.  Everything that tells "this boot" from "an earlier
 * one" (store owners, IPAM leases, shims) reads it here.
 */
int pn_boot_id(char *buf, size_t size) PN_MUST_CHECK;
/* Write a string to an existing file (sysctl). */
int pn_write_file(const char *path, const char *s) PN_MUST_CHECK;
/* Read a whole fd (stdin) into a NUL-terminated heap buffer. */
int pn_read_all(int fd, char **out, size_t *len) PN_MUST_CHECK;

/* mkdir -p: missing parents are made 0755, the last component @mode;
 * existing directories are fine.  Returns 0 or -errno. */
int pn_mkdir_p(const char *path, mode_t mode) PN_MUST_CHECK;

/* Monotonic clock in nanoseconds. */
uint64_t pn_now_ns(void);

/* @n bytes from getrandom(2) (the kernel's CSPRNG; it blocks only until
 * the pool is first initialized at boot), short reads retried.  0 or -errno. */
int pn_random_bytes(void *buf, size_t n) PN_MUST_CHECK;

/*
 * An id as containerd and crictl show container and sandbox ids: 64
 * lowercase hex digits of 256 random bits, so ids made anywhere (the
 * store's rows, a shim's restarts) never collide in practice.  Lives in
 * base so that a program making ids links no store (SQLite).
 */
#define PN_ID_LEN 64
int pn_random_id(char out[PN_ID_LEN + 1]) PN_MUST_CHECK;

/*
 * An enum's name from a table indexed by it (designated initializers):
 * names[v], or @unknown if v is out of the table or has no name there.
 */
const char *pn_enum_name(const char *const *names, size_t n, int v, const char *unknown);
#define PN_ENUM_NAME(names, v, unknown) \
	pn_enum_name(names, PN_ARRAY_SIZE(names), (int)(v), unknown)

#endif
