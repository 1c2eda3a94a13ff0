/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SERVER_H
#define PODNET_SERVER_H

/*
 * podnetd's HTTPS listener: TLS (GnuTLS) ends in podnetd's own front
 * (tlsfront.h), which hands each decrypted connection to libmicrohttpd
 * over a socketpair; libmicrohttpd serves plain HTTP with one thread per
 * connection (a watch, a log follow or an exec session blocks its own
 * thread only, so a slow client never holds up another), HTTP/1.1
 * keep-alive and chunked streaming, HTTP upgrade for WebSockets and SPDY.
 *
 * TLS asks every client for a certificate but does not insist: the
 * handler gets the verified identity (or none) and decides, so /healthz
 * and /version answer anonymous clients while the API answers 401, as
 * kube-apiserver does.
 */

#include "err.h"
#include "http.h"
#include "util.h"

struct server;

typedef void (*server_handler_fn)(void *ctx, struct http_req *req, struct http_resp *resp);

struct server_opts {
	const char *listen;          /* "127.0.0.1:6443", "[::1]:6443", ":6443" */
	const char *cert_pem;        /* serving certificate and key */
	const char *key_pem;
	const char *trust_pem;       /* CA that client certificates chain to */
	server_handler_fn handler;
	void *ctx;
	unsigned idle_timeout_s;     /* close idle keep-alive connections; 0: 300 */
};

/* Parse "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses). */
int server_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			struct pn_err *err) PN_MUST_CHECK;

int server_start(const struct server_opts *o, struct server **out, struct pn_err *err) PN_MUST_CHECK;
/* Stops accepting and waits for the connection threads to end; streams
 * must end on their own (they watch for the server stopping). */
void server_stop(struct server *s);
/* The port actually bound (useful with port 0 in tests). */
int server_port(const struct server *s);

#endif
