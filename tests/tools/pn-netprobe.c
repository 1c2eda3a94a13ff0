/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pn-netprobe: the servers and the prober of the NetworkPolicy tests
 * (tests/netns/netpol-*.sh), in the style of the upstream e2e suite's
 * agnhost: every pod serves TCP and UDP on the same ports, every pod
 * probes every other.
 *
 *   pn-netprobe serve PORT...
 *       TCP and UDP on each PORT (IPv4 and IPv6): a TCP connection gets
 *       "ok\n" and is closed; a UDP datagram is answered with "ok\n".
 *   pn-netprobe probe TIMEOUT_MS TARGET...
 *       TARGET is ADDR:PORT/PROTO (IPv6 in brackets), PROTO tcp or udp.
 *       All targets at once; one line per target, in order:
 *       "TARGET ok" when the server answered within TIMEOUT_MS, else
 *       "TARGET fail" (a refusal is silence: callers that expect an
 *       answer probe a failed target again with a longer timeout).  A TCP target answers by accepting and writing; a
 *       UDP target by replying to a datagram (sent every 50 ms until the
 *       timeout, as packets may be dropped).  Exit status 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16
#define MAX_TARGETS 512

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_on(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, zero = 0;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		fprintf(stderr, "pn-netprobe: %s port %d: %s\n", type == SOCK_STREAM ? "tcp" : "udp", port,
			strerror(errno));
		exit(1);
	}
	return fd;
}

static __attribute__((noreturn)) void serve(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[32];
	int tcp[MAX_PORTS], udp[MAX_PORTS], n = 0, ep = epoll_create1(EPOLL_CLOEXEC);

	for (int i = 0; i < argc && n < MAX_PORTS; i++, n++) {
		tcp[n] = listen_on(SOCK_STREAM, atoi(argv[i]));
		udp[n] = listen_on(SOCK_DGRAM, atoi(argv[i]));
		ev.data.u64 = (uint64_t)tcp[n];
		epoll_ctl(ep, EPOLL_CTL_ADD, tcp[n], &ev);
		ev.data.u64 = (uint64_t)udp[n] | (1ull << 32);
		epoll_ctl(ep, EPOLL_CTL_ADD, udp[n], &ev);
	}
	printf("serving\n");
	fflush(stdout);
	for (;;) {
		int k = epoll_wait(ep, evs, 32, -1);

		for (int i = 0; i < k; i++) {
			int fd = (int)(evs[i].data.u64 & 0xffffffff);

			if (evs[i].data.u64 >> 32) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				char buf[512];

				while (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) >= 0) {
					sendto(fd, "ok\n", 3, 0, (struct sockaddr *)&from, fl);
					fl = sizeof(from);
				}
			} else {
				int c;

				while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
					if (write(c, "ok\n", 3) != 3) {
						/* the prober gave up: nothing to do */
					}
					close(c);
				}
			}
		}
	}
}

struct target {
	const char *text;
	struct sockaddr_storage sa;
	socklen_t len;
	bool udp;
	int fd;
	bool connected, done, ok;
	long long last_send;
};

static bool parse_target(struct target *t, const char *s)
{
	char host[128], proto[8];
	const char *colon, *slash;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->sa;
	int port;

	memset(t, 0, sizeof(*t));
	t->text = s;
	t->fd = -1;
	slash = strrchr(s, '/');
	colon = slash ? memrchr(s, ':', (size_t)(slash - s)) : NULL;
	if (!slash || !colon || (size_t)(colon - s) >= sizeof(host))
		return false;
	if (s[0] == '[')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	port = atoi(colon + 1);
	snprintf(proto, sizeof(proto), "%s", slash + 1);
	t->udp = !strcasecmp(proto, "udp");
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		t->len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		t->len = sizeof(*s6);
	} else {
		return false;
	}
	return true;
}

static int probe(int timeout_ms, int argc, char **argv)
{
	static struct target t[MAX_TARGETS];
	static struct pollfd pfd[MAX_TARGETS];
	int n = argc < MAX_TARGETS ? argc : MAX_TARGETS;
	long long start = now_ms(), now;

	for (int i = 0; i < n; i++) {
		if (!parse_target(&t[i], argv[i])) {
			t[i].done = true;
			continue;
		}
		t[i].fd = socket(t[i].sa.ss_family, (t[i].udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (t[i].fd < 0) {
			t[i].done = true;
			continue;
		}
		if (connect(t[i].fd, (struct sockaddr *)&t[i].sa, t[i].len) < 0 && errno != EINPROGRESS) {
			t[i].done = true;
			continue;
		}
		if (t[i].udp) {
			if (send(t[i].fd, "probe\n", 6, 0) < 0) {
				/* an ICMP error from an earlier probe: try again below */
			}
			t[i].last_send = start;
		}
	}
	while ((now = now_ms()) - start < timeout_ms) {
		int np = 0, left = 0;

		for (int i = 0; i < n; i++) {
			if (t[i].done)
				continue;
			left++;
			if (t[i].udp && now - t[i].last_send >= 50) {
				if (send(t[i].fd, "probe\n", 6, 0) < 0) {
					/* refused: keep trying until the timeout */
				}
				t[i].last_send = now;
			}
			pfd[np].fd = t[i].fd;
			pfd[np].events = POLLIN;
			np++;
		}
		if (!left)
			break;
		if (poll(pfd, (nfds_t)np, 10) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			char buf[16];
			ssize_t r;

			if (t[i].done)
				continue;
			r = recv(t[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r >= 2 && !memcmp(buf, "ok", 2)) {
				t[i].ok = t[i].done = true;
			} else if (r < 0 && !t[i].udp && errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != ENOTCONN) {
				t[i].done = true; /* refused or reset: no policy lets it through */
			}
		}
	}
	/*
	 * A prober descheduled past its deadline (a loaded machine) may find
	 * answers that arrived meanwhile: look once more before calling a
	 * target failed, so "fail" means no answer had come by the deadline.
	 */
	for (int i = 0; i < n; i++) {
		char buf[16];

		if (!t[i].done && recv(t[i].fd, buf, sizeof(buf), MSG_DONTWAIT) >= 2 && !memcmp(buf, "ok", 2))
			t[i].ok = true;
	}
	for (int i = 0; i < n; i++) {
		printf("%s %s\n", argv[i], t[i].ok ? "ok" : "fail");
		if (t[i].fd >= 0)
			close(t[i].fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "serve"))
		serve(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "probe"))
		return probe(atoi(argv[2]), argc - 3, argv + 3);
	fputs("usage: pn-netprobe serve PORT... | probe TIMEOUT_MS ADDR:PORT/PROTO...\n", stderr);
	return 2;
}
