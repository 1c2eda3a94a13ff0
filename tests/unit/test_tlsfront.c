/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnetd's TLS front against a GnuTLS client, with this test standing in
 * for the HTTP server behind it:
 *
 *   client (GnuTLS, admin/none/other-CA cert) --TLS, 127.0.0.1:port-->
 *     tlsfront relay --socketpair--> deliver(): the fd this test reads
 *
 * Handshakes with and without a client certificate, one from another CA,
 * a client that does not trust the server, ALPN, the identity table,
 * half-close both ways, 32 MiB each way at once, stop with a relay open,
 * the bound on connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pki.h"
#include "tap.h"
#include "testfs.h"
#include "tlsfront.h"

#define BULK (32u << 20)

/* The HTTP server's part: the delivered fds, in order. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int delivered[16];
static int n_delivered;

static int deliver(void *ctx, int fd)
{
	(void)ctx;
	pthread_mutex_lock(&lock);
	if (n_delivered < 16)
		delivered[n_delivered++] = fd;
	else
		close(fd);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* The next delivered fd, made blocking; -1 after 30 s. */
static int next_fd(int i)
{
	int fd = -1;

	for (int t = 0; t < 3000 && fd < 0; t++) {
		pthread_mutex_lock(&lock);
		if (n_delivered > i)
			fd = delivered[i];
		pthread_mutex_unlock(&lock);
		if (fd < 0)
			usleep(10000);
	}
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int wait_idle(struct tlsfront *f)
{
	for (int t = 0; t < 3000; t++) {
		if (tlsfront_active(f) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

struct client {
	int fd;
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	int hs;      /* the handshake's result */
};

/* Connect and handshake; cert/key NULL: no client certificate. */
static void client_open(struct client *c, int port, const char *ca, const char *cert,
			const char *key)
{
	static const gnutls_datum_t protos[2] = { { (unsigned char *)"h2", 2 },
						  { (unsigned char *)"http/1.1", 8 } };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	gnutls_datum_t d;

	memset(c, 0, sizeof(*c));
	c->hs = -1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return;
	gnutls_certificate_allocate_credentials(&c->cred);
	d = (gnutls_datum_t){ (unsigned char *)ca, (unsigned)strlen(ca) };
	gnutls_certificate_set_x509_trust_mem(c->cred, &d, GNUTLS_X509_FMT_PEM);
	if (cert) {
		gnutls_datum_t cd = { (unsigned char *)cert, (unsigned)strlen(cert) };
		gnutls_datum_t kd = { (unsigned char *)key, (unsigned)strlen(key) };

		gnutls_certificate_set_x509_key_mem(c->cred, &cd, &kd, GNUTLS_X509_FMT_PEM);
	}
	gnutls_init(&c->s, GNUTLS_CLIENT);
	gnutls_set_default_priority(c->s);
	gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->cred);
	gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, "localhost", 9);
	gnutls_session_set_verify_cert(c->s, "localhost", 0);
	/* As Go's client offers them: h2 first. */
	gnutls_alpn_set_protocols(c->s, protos, 2, 0);
	gnutls_transport_set_int(c->s, c->fd);
	do
		c->hs = gnutls_handshake(c->s);
	while (c->hs < 0 && !gnutls_error_is_fatal(c->hs));
}

static void client_close(struct client *c)
{
	if (c->s)
		gnutls_deinit(c->s);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)((i * 131u + (i >> 12) + seed) & 0xff);
}

/* Both bulk directions: what one side sends, the other checks. */
struct bulk {
	struct client *c;   /* client side, or NULL: the plain fd */
	int fd;
	size_t n;
	unsigned seed;
	size_t got;
	bool same;
};

/* All @k bytes of @buf to @fd: @k, or -1. */
static ssize_t write_all(int fd, const char *buf, size_t k)
{
	size_t d = 0;

	while (d < k) {
		/* The reader made the fd nonblocking (one file description
		 * for both threads). */
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t w = write(fd, buf + d, k - d);

		if (w < 0 && errno == EAGAIN && poll(&p, 1, 30000) > 0)
			continue;
		if (w <= 0)
			return -1;
		d += (size_t)w;
	}
	return (ssize_t)k;
}

/* One direction's sender: b->n bytes of the pattern from b's side, then
 * its half-close (the plain fd's FIN, the client's close_notify).  A TLS
 * send may take only part of the buffer (one record). */
static void *bulk_send(void *arg)
{
	struct bulk *b = arg;
	char buf[65536];
	size_t off = 0;

	while (off < b->n) {
		size_t k = b->n - off < sizeof(buf) ? b->n - off : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < k; i++)
			buf[i] = (char)pattern(off + i, b->seed);
		w = b->c ? gnutls_record_send(b->c->s, buf, k) : write_all(b->fd, buf, k);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (b->c)
		gnutls_bye(b->c->s, GNUTLS_SHUT_WR);
	else
		shutdown(b->fd, SHUT_WR);
	return NULL;
}

static void check_bytes(struct bulk *b, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)buf[i] != pattern(b->got + i, b->seed))
			b->same = false;
	b->got += n;
}

int main(void)
{
	char dir[] = "/tmp/pn-tlsfront.XXXXXX", other[] = "/tmp/pn-tlsfront-other.XXXXXX";
	char path[256], remote[64], buf[64];
	struct pki pki = { 0 }, pki2 = { 0 };
	struct pki_opts po = { 0 };
	struct pn_err err = { 0 };
	struct tlsfront_opts fo = { 0 };
	struct tlsfront *f = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pki_identity id = { 0 };
	char *admin_crt, *admin_key, *other_crt, *other_key;
	struct client c = { .fd = -1 };
	gnutls_datum_t alpn = { 0 };
	int fd, port, fds0;

	if (!mkdtemp(dir) || !mkdtemp(other))
		return 1;
	po.server_url = "https://127.0.0.1:6443";
	po.node_name = "node";
	po.dir = dir;
	ok(pki_ensure(&po, &pki, &err) == 0, "the node's PKI: %s", pn_err_msg(&err));
	po.dir = other;
	ok(pki_ensure(&po, &pki2, &err) == 0, "another CA and its admin: %s", pn_err_msg(&err));
	snprintf(path, sizeof(path), "%s/admin.crt", dir);
	admin_crt = test_slurp(path);
	snprintf(path, sizeof(path), "%s/admin.key", dir);
	admin_key = test_slurp(path);
	snprintf(path, sizeof(path), "%s/admin.crt", other);
	other_crt = test_slurp(path);
	snprintf(path, sizeof(path), "%s/admin.key", other);
	other_key = test_slurp(path);
	if (!pki.ca_pem || !pki2.ca_pem || !admin_crt || !admin_key || !other_crt || !other_key)
		return 1;

	fds0 = test_count_fds();
	fo.addr = (struct sockaddr *)&a;
	fo.addr_len = sizeof(a);
	fo.cert_pem = pki.cert_pem;
	fo.key_pem = pki.key_pem;
	fo.trust_pem = pki.ca_pem;
	fo.deliver = deliver;
	fo.handshake_timeout_s = 5;
	ok(tlsfront_start(&fo, &f, &err) == 0, "the front listens: %s", pn_err_msg(&err));
	if (!f)
		return tap_done();
	port = tlsfront_port(f);
	ok(port > 0, "on an ephemeral port (%d)", port);

	/* 1: the admin certificate. */
	client_open(&c, port, pki.ca_pem, admin_crt, admin_key);
	is_int(c.hs, 0, "handshake with a client certificate (%s)", gnutls_strerror(c.hs));
	ok(gnutls_alpn_get_selected_protocol(c.s, &alpn) == 0 && alpn.size == 8 &&
	   !memcmp(alpn.data, "http/1.1", 8), "ALPN: http/1.1, though the client offered h2 first");
	fd = next_fd(0);
	ok(fd >= 0, "the connection is delivered");
	is_int(tlsfront_identity(f, fd, remote, sizeof(remote), &id), 0, "its identity is known");
	is_str(id.user, "kubernetes-admin", "the certificate's CN");
	is_str(id.groups && id.groups[0] ? id.groups[0] : NULL, "system:masters", "its O");
	ok(!strncmp(remote, "127.0.0.1:", 10), "the client's address: %s", remote);
	pki_identity_free(&id);
	is_int(tlsfront_identity(f, 12345, remote, sizeof(remote), &id), -ENOENT,
	       "an fd that is no relay's: none");
	is_str(remote, "?", "and no address");

	/* Half-close, client first: close_notify -> EOF on the plain side,
	 * which can still answer; its close -> close_notify. */
	ok(gnutls_record_send(c.s, "ping", 4) == 4 && gnutls_bye(c.s, GNUTLS_SHUT_WR) == 0,
	   "the client sends and half-closes");
	memset(buf, 0, sizeof(buf));
	is_int(read(fd, buf, 4), 4, "the plain side reads the bytes");
	is_int(read(fd, buf + 4, sizeof(buf) - 4), 0, "then EOF");
	ok(write(fd, "pong", 4) == 4, "and can still answer");
	close(fd);
	memset(buf, 0, sizeof(buf));
	is_int(gnutls_record_recv(c.s, buf, sizeof(buf)), 4, "the client reads the answer");
	is_str(buf, "pong", "intact");
	is_int(gnutls_record_recv(c.s, buf, sizeof(buf)), 0, "then close_notify");
	client_close(&c);
	ok(wait_idle(f) == 0, "the relay ends");
	is_int(tlsfront_identity(f, fd, remote, sizeof(remote), &id), -ENOENT,
	       "its identity is gone with it");

	/* 2: no certificate: a session, no identity. */
	client_open(&c, port, pki.ca_pem, NULL, NULL);
	is_int(c.hs, 0, "handshake without a client certificate");
	fd = next_fd(1);
	is_int(tlsfront_identity(f, fd, remote, sizeof(remote), &id), -ENOENT,
	       "anonymous: no identity");
	ok(remote[0] != '?', "but its address: %s", remote);
	/* Half-close, server first. */
	shutdown(fd, SHUT_WR);
	is_int(gnutls_record_recv(c.s, buf, sizeof(buf)), 0, "the plain side's FIN: close_notify");
	ok(gnutls_record_send(c.s, "late", 4) == 4, "the client can still send");
	memset(buf, 0, sizeof(buf));
	is_int(read(fd, buf, sizeof(buf)), 4, "and it arrives");
	client_close(&c);
	is_int(read(fd, buf, sizeof(buf)), 0, "the client's close: EOF");
	close(fd);

	/* 3: a certificate of another CA: a session, no identity. */
	client_open(&c, port, pki.ca_pem, other_crt, other_key);
	is_int(c.hs, 0, "handshake with another CA's certificate (asked, not required)");
	fd = next_fd(2);
	is_int(tlsfront_identity(f, fd, remote, sizeof(remote), &id), -ENOENT,
	       "another CA's certificate: no identity");
	client_close(&c);
	close(fd);

	/* 4: a client trusting another CA refuses the server. */
	client_open(&c, port, pki2.ca_pem, admin_crt, admin_key);
	is_int(c.hs, GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR,
	       "a client with the wrong CA: certificate verification error");
	client_close(&c);
	ok(wait_idle(f) == 0, "every relay ends");
	pthread_mutex_lock(&lock);
	is_int(n_delivered, 3, "the refused handshake delivered nothing");
	pthread_mutex_unlock(&lock);

	/* 5: 32 MiB each way at the same time. */
	client_open(&c, port, pki.ca_pem, admin_crt, admin_key);
	fd = next_fd(3);
	{
		struct bulk up = { .c = &c, .n = BULK, .seed = 7, .same = true };
		struct bulk down = { .fd = fd, .n = BULK, .seed = 11, .same = true };
		pthread_t t1, t2;
		char *big = malloc(65536);
		bool up_eof = false, down_eof = false;

		pthread_create(&t1, NULL, bulk_send, &up);
		pthread_create(&t2, NULL, bulk_send, &down);
		/* This thread reads both: the plain side with poll, the
		 * client's session only here (the sender only sends). */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		while (big && (!up_eof || !down_eof)) {
			struct pollfd p[2] = { { up_eof ? -1 : fd, POLLIN, 0 },
					       { down_eof ? -1 : c.fd, POLLIN, 0 } };

			if ((down_eof || gnutls_record_check_pending(c.s) == 0) &&
			    poll(p, 2, 30000) <= 0)
				break;
			if (p[0].revents) {
				ssize_t n = read(fd, big, 65536);

				if (n > 0)
					check_bytes(&up, big, (size_t)n);
				else if (n == 0 || errno != EAGAIN)
					up_eof = true;
			}
			if (!down_eof && (p[1].revents || gnutls_record_check_pending(c.s))) {
				ssize_t n = gnutls_record_recv(c.s, big, 65536);

				if (n > 0)
					check_bytes(&down, big, (size_t)n);
				else if (n == 0 || gnutls_error_is_fatal((int)n)) {
					if (n < 0)
						printf("# client recv: %s\n", gnutls_strerror((int)n));
					down_eof = true;
				}
			}
		}
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		free(big);
		is_int(up.got, BULK, "32 MiB client to server");
		ok(up.same, "byte-identical");
		is_int(down.got, BULK, "32 MiB server to client, at the same time");
		ok(down.same, "byte-identical");
	}
	close(fd);
	client_close(&c);
	ok(wait_idle(f) == 0, "the relay ends");

	/* 6: stopping with a connection open ends its relay. */
	client_open(&c, port, pki.ca_pem, NULL, NULL);
	fd = next_fd(4);
	ok(fd >= 0 && tlsfront_active(f) == 1, "a connection open");
	tlsfront_stop(f);
	ok(1, "stop returns with it open");
	is_int(read(fd, buf, sizeof(buf)), 0, "and the plain side sees its end");
	close(fd);
	client_close(&c);

	/* 7: the bound on relays: over it, a connection is closed unheard. */
	fo.max_conns = 1;
	f = NULL;
	ok(tlsfront_start(&fo, &f, &err) == 0, "a front for one connection: %s", pn_err_msg(&err));
	if (!f)
		return tap_done();
	port = tlsfront_port(f);
	{
		struct client c2 = { .fd = -1 };

		client_open(&c, port, pki.ca_pem, NULL, NULL);
		is_int(c.hs, 0, "the first connection is served");
		fd = next_fd(5);
		client_open(&c2, port, pki.ca_pem, NULL, NULL);
		ok(c2.hs < 0, "a second one is refused (%s)", gnutls_strerror(c2.hs));
		client_close(&c2);
		client_close(&c);
		close(fd);
		ok(wait_idle(f) == 0, "the first one ends");
		client_open(&c, port, pki.ca_pem, NULL, NULL);
		is_int(c.hs, 0, "then there is room again");
		client_close(&c);
		fd = next_fd(6);
		if (fd >= 0)
			close(fd);
	}
	tlsfront_stop(f);
	is_int(test_count_fds(), fds0, "no fd left behind");

	pki_free(&pki);
	pki_free(&pki2);
	free(admin_crt);
	free(admin_key);
	free(other_crt);
	free(other_key);
	pn_err_free(&err);
	snprintf(path, sizeof(path), "rm -rf %s %s", dir, other);
	if (system(path) != 0)
		ok(0, "cleanup");
	return tap_done();
}
