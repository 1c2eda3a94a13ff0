/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pn_ip_parse(const char *s, struct pn_ip *out)
{
	struct pn_ip ip = { 0 };

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &ip.v4) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &ip.v6) == 1)
		ip.family = AF_INET6;
	else
		return -EINVAL;
	*out = ip;
	return 0;
}

int pn_cidr_parse(const char *s, struct pn_cidr *out)
{
	char buf[PN_CIDR_STRLEN + 1];
	const char *slash;
	char *end;
	long prefix;
	size_t n;
	struct pn_cidr c;

	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (pn_ip_parse(buf, &c.ip) < 0)
		return -EINVAL;
	/* Only plain decimal digits: strtol would accept "+8", " 8" or "0x8". */
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (errno || *end || prefix < 0 ||
	    prefix > (c.ip.family == AF_INET ? 32 : 128))
		return -EINVAL;
	c.prefix = (int)prefix;
	*out = c;
	return 0;
}

const char *pn_ip_str(const struct pn_ip *ip, char buf[PN_IP_STRLEN])
{
	if (!ip->family || !inet_ntop(ip->family, ip->b, buf, PN_IP_STRLEN))
		snprintf(buf, PN_IP_STRLEN, "<none>");
	return buf;
}

const char *pn_cidr_str(const struct pn_cidr *c, char buf[PN_CIDR_STRLEN])
{
	char ip[PN_IP_STRLEN];

	snprintf(buf, PN_CIDR_STRLEN, "%s/%d", pn_ip_str(&c->ip, ip), c->prefix);
	return buf;
}

size_t pn_ip_len(const struct pn_ip *ip)
{
	return ip->family == AF_INET ? 4 : ip->family == AF_INET6 ? 16 : 0;
}

int pn_ip_cmp(const struct pn_ip *a, const struct pn_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, pn_ip_len(a));
}

bool pn_ip_eq(const struct pn_ip *a, const struct pn_ip *b)
{
	return pn_ip_cmp(a, b) == 0;
}

bool pn_ip_is_zero(const struct pn_ip *ip)
{
	for (size_t i = 0; i < pn_ip_len(ip); i++)
		if (ip->b[i])
			return false;
	return true;
}

static void mask_bytes(uint8_t *b, size_t len, int prefix)
{
	for (size_t i = 0; i < len; i++) {
		int bits = prefix - (int)i * 8;

		if (bits >= 8)
			continue;
		b[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

void pn_cidr_network(const struct pn_cidr *c, struct pn_cidr *out)
{
	*out = *c;
	mask_bytes(out->ip.b, pn_ip_len(&out->ip), out->prefix);
}

bool pn_cidr_contains(const struct pn_cidr *c, const struct pn_ip *ip)
{
	struct pn_cidr a, b = { .ip = *ip, .prefix = c->prefix };

	if (c->ip.family != ip->family)
		return false;
	pn_cidr_network(c, &a);
	pn_cidr_network(&b, &b);
	return pn_ip_eq(&a.ip, &b.ip);
}

bool pn_cidr_overlaps(const struct pn_cidr *a, const struct pn_cidr *b)
{
	if (a->ip.family != b->ip.family)
		return false;
	return a->prefix <= b->prefix ? pn_cidr_contains(a, &b->ip)
				      : pn_cidr_contains(b, &a->ip);
}

bool pn_ip_add(const struct pn_ip *ip, int64_t delta, struct pn_ip *out)
{
	size_t len = pn_ip_len(ip);
	struct pn_ip r = *ip;
	uint64_t mag = delta < 0 ? (uint64_t)(-(delta + 1)) + 1 : (uint64_t)delta;
	unsigned carry = 0;

	if (!len)
		return false;
	for (size_t i = len; i-- > 0;) {
		unsigned byte = (unsigned)(mag & 0xff);
		int v;

		mag >>= 8;
		if (delta >= 0) {
			v = r.b[i] + (int)byte + (int)carry;
			carry = v > 0xff;
		} else {
			v = r.b[i] - (int)byte - (int)carry;
			carry = v < 0;
		}
		r.b[i] = (uint8_t)(v & 0xff);
	}
	if (mag || carry)
		return false;
	*out = r;
	return true;
}

void pn_cidr_last(const struct pn_cidr *c, struct pn_ip *out)
{
	size_t len = pn_ip_len(&c->ip);

	*out = c->ip;
	for (size_t i = 0; i < len; i++) {
		int bits = c->prefix - (int)i * 8;

		if (bits >= 8)
			continue;
		out->b[i] |= bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);
	}
}

uint64_t pn_ip_distance(const struct pn_ip *a, const struct pn_ip *b)
{
	size_t len = pn_ip_len(a);
	uint64_t d = 0;
	int borrow = 0;
	uint8_t diff[16];

	for (size_t i = len; i-- > 0;) {
		int v = b->b[i] - a->b[i] - borrow;

		borrow = v < 0;
		diff[i] = (uint8_t)(v & 0xff);
	}
	if (borrow)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i + 8 < len && diff[i])
			return UINT64_MAX;
		if (i + 8 >= len)
			d = (d << 8) | diff[i];
	}
	return d;
}

int pn_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

int pn_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int pn_boot_id(char *buf, size_t size)
{
	const char *f = getenv("PODNET_BOOT_ID_FILE");

	return pn_read_file(f && *f ? f : "/proc/sys/kernel/random/boot_id", buf, size);
}

int pn_read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nbuf;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= (64u << 20)) {
				free(buf);
				return -EFBIG;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

const char *pn_enum_name(const char *const *names, size_t n, int v, const char *unknown)
{
	return v >= 0 && (size_t)v < n && names[v] ? names[v] : unknown;
}

uint64_t pn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pn_random_bytes(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	return 0;
}

int pn_random_id(char out[PN_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[PN_ID_LEN / 2];
	int ret;

	ret = pn_random_bytes(b, sizeof(b));
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[PN_ID_LEN] = '\0';
	return 0;
}

int pn_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
