/* SPDX-License-Identifier: Apache-2.0 */
#include "tlsfront.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* What one read or one write moves: 64 KiB, four full TLS records. */
#define RELAY_BUF (64 * 1024)
/* A relay's thread needs the handshake's stack (a few KiB of GnuTLS
 * frames) and little else; its buffers are on the heap. */
#define RELAY_STACK (512 * 1024)

struct relay {
	struct tlsfront *f;
	int tcp;            /* the client's socket */
	int pair;           /* our end of the socketpair; -1 before the handshake ends */
	int peer_fd;        /* the end handed to deliver(): the table's key */
	gnutls_session_t s;
	struct pki_identity id;
	bool have_id;
	bool listed;
	char remote[64];
	struct relay *next; /* the identity table */
};

struct tlsfront {
	int lfd;
	int stop_fd;        /* eventfd: readable once stopping, for every poll */
	int port;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	tlsfront_deliver_fn deliver;
	void *ctx;
	unsigned max_conns, handshake_ms;
	pthread_t acceptor;
	bool acceptor_started;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned active;    /* relays whose threads run */
	struct relay *table;
};

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s:%u", a, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(out, size, "?");
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void table_add(struct relay *r)
{
	struct tlsfront *f = r->f;

	/* Newest first: the fd of a relay that has not yet seen its peer
	 * close may already belong to this new one; lookups find this one. */
	pthread_mutex_lock(&f->lock);
	r->next = f->table;
	f->table = r;
	r->listed = true;
	pthread_mutex_unlock(&f->lock);
}

static void table_remove(struct relay *r)
{
	struct tlsfront *f = r->f;

	pthread_mutex_lock(&f->lock);
	for (struct relay **p = &f->table; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	r->listed = false;
	pthread_mutex_unlock(&f->lock);
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int tlsfront_identity(struct tlsfront *f, int fd, char *remote, size_t remote_size,
		      struct pki_identity *id)
{
	int ret = -ENOENT;

	memset(id, 0, sizeof(*id));
	if (remote_size)
		snprintf(remote, remote_size, "?");
	pthread_mutex_lock(&f->lock);
	for (struct relay *r = f->table; r; r = r->next) {
		size_t n = 0;

		if (r->peer_fd != fd)
			continue;
		if (remote_size)
			snprintf(remote, remote_size, "%s", r->remote);
		if (!r->have_id)
			break;
		while (r->id.groups && r->id.groups[n])
			n++;
		id->user = strdup(r->id.user ? r->id.user : "");
		id->groups = calloc(n + 1, sizeof(char *));
		ret = id->user && id->groups ? 0 : -ENOMEM;
		for (size_t i = 0; ret == 0 && i < n; i++) {
			id->groups[i] = strdup(r->id.groups[i]);
			if (!id->groups[i])
				ret = -ENOMEM;
		}
		break;
	}
	pthread_mutex_unlock(&f->lock);
	if (ret == -ENOMEM) {
		free(id->user);
		strv_free(id->groups);
		memset(id, 0, sizeof(*id));
	}
	return ret;
}

/* Wait for fd to be ready for events, the front stopping, or the
 * deadline (-1: none).  1 ready, 0 timed out or stopping, <0 error. */
static int wait_fd(struct relay *r, int fd, short events, int64_t deadline)
{
	struct pollfd p[2] = { { fd, events, 0 }, { r->f->stop_fd, POLLIN, 0 } };
	int timeout = -1, n;

	if (deadline >= 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return 0;
		timeout = (int)left;
	}
	n = poll(p, 2, timeout);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	if (p[1].revents)
		return 0;
	return n > 0 ? 1 : 0;
}

static int handshake(struct relay *r)
{
	static const gnutls_datum_t alpn = { (unsigned char *)"http/1.1", 8 };
	int64_t deadline = now_ms() + r->f->handshake_ms;
	struct pn_err err = { 0 };
	int ret;

	ret = gnutls_init(&r->s, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (ret < 0) {
		r->s = NULL;
		return -ENOMEM;
	}
	if (gnutls_priority_set(r->s, r->f->prio) < 0 ||
	    gnutls_credentials_set(r->s, GNUTLS_CRD_CERTIFICATE, r->f->cred) < 0)
		return -EINVAL;
	/* Asked, not required: /healthz, /livez, /readyz and /version answer
	 * anonymous clients; the API answers them 401 (kube-apiserver's way). */
	gnutls_certificate_server_set_request(r->s, GNUTLS_CERT_REQUEST);
	/* HTTP/1.1 only: a Go client offers h2 first and would speak it if
	 * we agreed; a server without a match answers no ALPN at all. */
	gnutls_alpn_set_protocols(r->s, &alpn, 1, GNUTLS_ALPN_SERVER_PRECEDENCE);
	gnutls_transport_set_int(r->s, r->tcp);
	for (;;) {
		ret = gnutls_handshake(r->s);
		if (ret == 0)
			break;
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(ret)) {
			pn_debug("tls: handshake with %s: %s", r->remote, gnutls_strerror(ret));
			return -EPROTO;
		}
		ret = wait_fd(r, r->tcp, gnutls_record_get_direction(r->s) ? POLLOUT : POLLIN,
			      deadline);
		if (ret <= 0) {
			pn_debug("tls: handshake with %s: %s", r->remote,
				 ret == 0 ? "timed out or stopping" : strerror(-ret));
			return -ETIMEDOUT;
		}
	}
	ret = pki_peer_identity(r->s, &r->id, &err);
	if (ret == 0)
		r->have_id = true;
	else if (ret != -ENOENT)
		pn_log(PN_LOG_INFO, "%s: %s", r->remote, pn_err_msg(&err));
	pn_err_free(&err);
	return 0;
}

/*
 * Both directions at once, one thread, nonblocking sockets: a direction
 * whose reader is slow waits (its buffer full, its source not read) while
 * the other keeps moving, so neither side's flow control can deadlock the
 * other's.
 */
static void relay_loop(struct relay *r)
{
	char *up = malloc(RELAY_BUF), *down = malloc(RELAY_BUF);
	size_t up_off = 0, up_len = 0, dn_off = 0, dn_len = 0;
	/* up: TLS -> pair; dn: pair -> TLS */
	bool up_eof = false, up_shut = false, up_blocked = false;
	bool dn_eof = false, dn_done = false, tls_blocked = false;
	bool pair_hup = false, tcp_hup = false;
	/* Worth reading: poll said so, or not yet asked (a read that
	 * would block is a syscall a small request pays for). */
	bool tcp_rd = true, pair_rd = true;

	if (!up || !down)
		goto out;
	for (;;) {
		bool progress = false;
		struct pollfd p[3];
		ssize_t n;

		if (!up_eof && !up_len && (tcp_rd || gnutls_record_check_pending(r->s))) {
			n = gnutls_record_recv(r->s, up, RELAY_BUF);
			tcp_rd = n != GNUTLS_E_AGAIN;
			if (n > 0) {
				up_off = 0;
				up_len = (size_t)n;
				progress = true;
			} else if (n == 0) {
				/* close_notify (or, tolerated, a bare FIN) */
				up_eof = true;
				progress = true;
			} else if (n == GNUTLS_E_PREMATURE_TERMINATION) {
				up_eof = true;
				progress = true;
			} else if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED &&
				   gnutls_error_is_fatal((int)n)) {
				pn_debug("tls: %s: %s", r->remote, gnutls_strerror((int)n));
				goto out;
			}
		}
		if (up_len) {
			n = write(r->pair, up + up_off, up_len);
			up_blocked = false;
			if (n > 0) {
				up_off += (size_t)n;
				up_len -= (size_t)n;
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				up_blocked = errno == EAGAIN;
			} else {
				goto out;   /* the HTTP side is gone */
			}
		}
		if (up_eof && !up_len && !up_shut) {
			shutdown(r->pair, SHUT_WR);
			up_shut = true;
			progress = true;
		}

		if (!dn_eof && !dn_len && pair_rd) {
			n = read(r->pair, down, RELAY_BUF);
			pair_rd = !(n < 0 && errno == EAGAIN);
			if (n > 0) {
				dn_off = 0;
				dn_len = (size_t)n;
				progress = true;
			} else if (n == 0) {
				dn_eof = true;
				progress = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				goto out;
			}
		}
		if (dn_len) {
			/* Each call seals at most one record (16 KiB); after
			 * EAGAIN GnuTLS wants the same data again, which it is. */
			n = gnutls_record_send(r->s, down + dn_off, dn_len);
			tls_blocked = false;
			if (n > 0) {
				dn_off += (size_t)n;
				dn_len -= (size_t)n;
				progress = true;
			} else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				tls_blocked = n == GNUTLS_E_AGAIN;
			} else {
				pn_debug("tls: %s: %s", r->remote, gnutls_strerror((int)n));
				goto out;
			}
		}
		if (dn_eof && !dn_len && !dn_done) {
			int b = gnutls_bye(r->s, GNUTLS_SHUT_WR);

			tls_blocked = false;
			if (b == GNUTLS_E_AGAIN) {
				tls_blocked = true;
			} else if (b != GNUTLS_E_INTERRUPTED) {
				/* close_notify sent (or the client is gone):
				 * the FIN tells a client that ignores it. */
				shutdown(r->tcp, SHUT_WR);
				dn_done = true;
				progress = true;
			}
		}

		if (up_shut && dn_done)
			break;
		/* The HTTP side closed its socket: nothing the client still
		 * sends has a reader. */
		if (dn_done && pair_hup)
			break;
		if (progress)
			continue;

		p[0] = (struct pollfd){ tcp_hup ? -1 : r->tcp, 0, 0 };
		if (!up_eof && !up_len)
			p[0].events |= POLLIN;
		if (tls_blocked)
			p[0].events |= POLLOUT;
		p[1] = (struct pollfd){ pair_hup ? -1 : r->pair, 0, 0 };
		if (!dn_eof && !dn_len)
			p[1].events |= POLLIN;
		if (up_blocked)
			p[1].events |= POLLOUT;
		p[2] = (struct pollfd){ r->f->stop_fd, POLLIN, 0 };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			goto out;
		if (p[2].revents)
			goto out;
		if (p[0].revents)
			tcp_rd = true;
		if (p[1].revents)
			pair_rd = true;
		/* A hung-up socket stays readable for poll; stop asking it,
		 * or this loop spins while the other side has nothing. */
		if (p[0].revents & (POLLHUP | POLLERR))
			tcp_hup = true;
		if (p[1].revents & (POLLHUP | POLLERR))
			pair_hup = true;
		if (tcp_hup && pair_hup)
			break;
		if (pair_hup && dn_eof && !dn_len && up_len)
			goto out;
	}
out:
	free(up);
	free(down);
}

static void relay_free(struct relay *r)
{
	if (r->listed)
		table_remove(r);
	if (r->s)
		gnutls_deinit(r->s);
	if (r->pair >= 0)
		close(r->pair);
	if (r->tcp >= 0)
		close(r->tcp);
	pki_identity_free(&r->id);
	free(r);
}

static void *relay_thread(void *arg)
{
	struct relay *r = arg;
	struct tlsfront *f = r->f;
	int sp[2] = { -1, -1 }, one = 1;

	setsockopt(r->tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (handshake(r) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) {
		pn_warn("tls: %s: socketpair: %s", r->remote, strerror(errno));
		goto out;
	}
	r->pair = sp[0];
	r->peer_fd = sp[1];
	/* Listed before the HTTP server has the fd: its first request finds
	 * the identity there. */
	table_add(r);
	if (f->deliver(f->ctx, sp[1]) < 0) {
		pn_debug("tls: %s: the HTTP server refused the connection", r->remote);
		goto out;
	}
	relay_loop(r);
out:
	relay_free(r);
	pthread_mutex_lock(&f->lock);
	f->active--;
	pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static void *accept_thread(void *arg)
{
	struct tlsfront *f = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, RELAY_STACK);
	for (;;) {
		struct pollfd p[2] = { { f->lfd, POLLIN, 0 }, { f->stop_fd, POLLIN, 0 } };
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct relay *r;
		pthread_t t;
		bool full;
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(f->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: the backlog waits
				 * until a connection ends. */
				pn_warn("tls: accept: %s", strerror(errno));
				poll(NULL, 0, 100);
			}
			continue;
		}
		pthread_mutex_lock(&f->lock);
		full = f->active >= f->max_conns;
		if (!full)
			f->active++;
		pthread_mutex_unlock(&f->lock);
		r = full ? NULL : calloc(1, sizeof(*r));
		if (!r) {
			if (full)
				pn_warn("tls: %u connections open, refusing another", f->max_conns);
			close(fd);
			goto undo;
		}
		r->f = f;
		r->tcp = fd;
		r->pair = -1;
		r->peer_fd = -1;
		addr_text(&ss, r->remote, sizeof(r->remote));
		if (pthread_create(&t, &attr, relay_thread, r) == 0)
			continue;
		pn_warn("tls: cannot start a connection thread");
		relay_free(r);
undo:
		if (!full) {
			pthread_mutex_lock(&f->lock);
			f->active--;
			pthread_cond_broadcast(&f->idle);
			pthread_mutex_unlock(&f->lock);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

static int listen_on(const struct tlsfront_opts *o, int *port, struct pn_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, ret;

	fd = socket(o->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pn_error(err, PN_E_STATE, errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]:6443" is IPv6 only, as it was under libmicrohttpd. */
	if (o->addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, o->addr, o->addr_len) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		char a[80];

		ret = errno;
		addr_text((const struct sockaddr_storage *)o->addr, a, sizeof(a));
		close(fd);
		return pn_error(err, PN_E_STATE, ret, "cannot listen on %s: %s", a, strerror(ret));
	}
	*port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					 : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int tlsfront_start(const struct tlsfront_opts *o, struct tlsfront **out, struct pn_err *err)
{
	gnutls_datum_t cert = { (unsigned char *)o->cert_pem, (unsigned)strlen(o->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)o->key_pem, (unsigned)strlen(o->key_pem) };
	gnutls_datum_t ca = { (unsigned char *)o->trust_pem, (unsigned)strlen(o->trust_pem) };
	struct tlsfront *f;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	f->lfd = -1;
	f->stop_fd = -1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->idle, NULL);
	f->deliver = o->deliver;
	f->ctx = o->ctx;
	f->max_conns = o->max_conns ? o->max_conns : 1024;
	f->handshake_ms = (o->handshake_timeout_s ? o->handshake_timeout_s : 30) * 1000u;

	ret = gnutls_certificate_allocate_credentials(&f->cred);
	if (ret < 0) {
		f->cred = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "TLS credentials: %s", gnutls_strerror(ret));
		goto fail;
	}
	ret = gnutls_certificate_set_x509_key_mem(f->cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "the serving certificate or key: %s",
			       gnutls_strerror(ret));
		goto fail;
	}
	ret = gnutls_certificate_set_x509_trust_mem(f->cred, &ca, GNUTLS_X509_FMT_PEM);
	if (ret <= 0) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "the client CA: %s",
			       ret < 0 ? gnutls_strerror(ret) : "no certificate");
		goto fail;
	}
	/* The priorities libmicrohttpd used: the system's TLS policy
	 * (Debian's: TLS 1.2 and 1.3, its default ciphers). */
	ret = gnutls_priority_init(&f->prio, "@LIBMICROHTTPD,SYSTEM", NULL);
	if (ret < 0)
		ret = gnutls_priority_init(&f->prio, "NORMAL", NULL);
	if (ret < 0) {
		f->prio = NULL;
		ret = pn_error(err, PN_E_STATE, EINVAL, "TLS priorities: %s", gnutls_strerror(ret));
		goto fail;
	}
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->stop_fd < 0) {
		ret = pn_error(err, PN_E_STATE, errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = listen_on(o, &f->port, err);
	if (ret < 0)
		goto fail;
	f->lfd = ret;
	ret = pthread_create(&f->acceptor, NULL, accept_thread, f);
	if (ret != 0) {
		ret = pn_error(err, PN_E_STATE, ret, "cannot start the accepting thread");
		goto fail;
	}
	f->acceptor_started = true;
	*out = f;
	return 0;
fail:
	tlsfront_stop(f);
	return ret;
}

void tlsfront_stop(struct tlsfront *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	if (f->stop_fd >= 0 && write(f->stop_fd, &one, sizeof(one)) < 0)
		pn_warn("tls: cannot signal the relays to stop: %s", strerror(errno));
	if (f->acceptor_started)
		pthread_join(f->acceptor, NULL);
	/* Every relay polls stop_fd and ends on it; a handshake or a write
	 * to the HTTP side is nonblocking, so none waits for a client. */
	pthread_mutex_lock(&f->lock);
	while (f->active)
		pthread_cond_wait(&f->idle, &f->lock);
	pthread_mutex_unlock(&f->lock);
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	if (f->prio)
		gnutls_priority_deinit(f->prio);
	if (f->cred)
		gnutls_certificate_free_credentials(f->cred);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->idle);
	free(f);
}

int tlsfront_port(const struct tlsfront *f)
{
	return f->port;
}

unsigned tlsfront_active(struct tlsfront *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->active;
	pthread_mutex_unlock(&f->lock);
	return n;
}
