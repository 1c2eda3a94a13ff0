/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_TLSFRONT_H
#define PODNET_TLSFRONT_H

/*
 * podnetd's TLS front: the listening socket, the TLS handshake and the
 * record layer, in front of an HTTP server that speaks plain HTTP.
 *
 * Why: libmicrohttpd 0.9.75 relays an upgraded TLS connection (exec,
 * port-forward, cp) through an 8-byte emergency buffer, 4 bytes per TLS
 * record, ~0.5 MiB/s; fixed upstream only in 0.9.77.  With TLS ended here
 * libmicrohttpd hands an upgraded connection its plain socket and the
 * stream runs at memory speed.
 *
 * Each accepted connection gets a thread (kubectl opens few connections;
 * a slow handshake or a slow reader blocks its own thread only; the
 * count is bounded): it does the handshake (ALPN "http/1.1" only; a client
 * certificate is asked for, not required, and verified against the CA),
 * then relays records to and from one end of a socketpair whose other end
 * goes to deliver().  A half-close travels both ways (close_notify or FIN
 * becomes shutdown(SHUT_WR) of the pair, and the other way round), and
 * either side going away ends the relay.
 *
 * The client's identity is kept in a table keyed by the delivered fd,
 * filled before deliver() is called: the HTTP server asks tlsfront_identity()
 * with the socket it got, so no byte the client sends can change it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"
#include "pki.h"
#include "util.h"

struct tlsfront;

/* Takes ownership of fd (the plain end of a socketpair, nonblocking)
 * whatever it returns; <0: it was closed. */
typedef int (*tlsfront_deliver_fn)(void *ctx, int fd);

struct tlsfront_opts {
	const struct sockaddr *addr;   /* where to listen */
	socklen_t addr_len;
	const char *cert_pem;          /* serving certificate and key */
	const char *key_pem;
	const char *trust_pem;         /* CA that client certificates chain to */
	tlsfront_deliver_fn deliver;
	void *ctx;
	unsigned max_conns;            /* relays at once; over it, refused; 0: 1024 */
	unsigned handshake_timeout_s;  /* 0: 30 */
};

int tlsfront_start(const struct tlsfront_opts *o, struct tlsfront **out,
		   struct pn_err *err) PN_MUST_CHECK;
/* Stops accepting, ends every relay and waits for their threads. */
void tlsfront_stop(struct tlsfront *f);
/* The port actually bound (port 0 in tests). */
int tlsfront_port(const struct tlsfront *f);
/* Relays running now. */
unsigned tlsfront_active(struct tlsfront *f);

/*
 * Who is on the other side of delivered socket fd.  remote gets the
 * client's "ADDR:PORT" ("?" for an fd that is not a live relay's).
 * 0 and *id filled (a copy, the caller frees it) for a verified client
 * certificate; -ENOENT for a client without one (or with one that did
 * not verify) and for an unknown fd; -ENOMEM.
 */
int tlsfront_identity(struct tlsfront *f, int fd, char *remote, size_t remote_size,
		      struct pki_identity *id) PN_MUST_CHECK;

#endif
