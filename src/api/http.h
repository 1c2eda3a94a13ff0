/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_HTTP_H
#define PODNET_HTTP_H

/*
 * The HTTP side of podnetd, independent of the transport: a request as the
 * handlers see it and the response they hand back.  http_server.c turns
 * libmicrohttpd's callbacks into these; the unit tests build them by hand.
 *
 * A response is one of three things:
 *  - a buffer: status, content type, body (JSON Status errors included);
 *  - a stream: the body comes from a callback, chunked, until it says
 *    it is done or the client goes away (watch, logs -f);
 *  - an upgrade: the connection becomes a WebSocket (exec, attach); the
 *    handler receives the socket once the 101 reply is sent.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* kube-apiserver's default --max-request-bytes for a body it decodes
 * (3 MiB); larger bodies get 413 with its message. */
#define HTTP_MAX_BODY (3u * 1024 * 1024)

struct http_query {
	char *key;
	char *value;
};

struct http_header {
	char *name;
	char *value;
};

struct http_req {
	const char *method;            /* "GET", "POST", ... */
	const char *path;              /* decoded path, no query */
	struct http_query *query;      /* decoded, in order */
	size_t n_query;
	struct http_header *headers;
	size_t n_headers;
	const char *body;              /* NUL-terminated, may be "" */
	size_t body_len;
	bool body_too_large;           /* over HTTP_MAX_BODY, body dropped */
	/* Who the client is: the verified certificate's CN and O's, or
	 * NULL when it presented none (or one we do not trust). */
	const char *user;
	const char *const *groups;
	const char *remote;            /* "127.0.0.1:51234" for logs */
	int conn_fd;                   /* the client's socket, -1 in tests */
};

/* First value of @key in the query string, NULL if absent. */
const char *http_query_get(const struct http_req *r, const char *key);
/* Case-insensitive header lookup, NULL if absent. */
const char *http_header_get(const struct http_req *r, const char *name);

/*
 * A stream's producer.  Called again and again from the connection's own
 * thread; it writes up to @max bytes into @buf and returns how many, 0 to
 * be called again (it should then have waited: there is no busy loop
 * guard), or -1 when the stream is complete.  It may block; other
 * connections are not affected.  A producer that waits long should watch
 * the request's conn_fd for POLLRDHUP and end when the client has gone.
 */
typedef ssize_t (*http_stream_fn)(void *ctx, char *buf, size_t max);
typedef void (*http_stream_free_fn)(void *ctx);

/*
 * An upgraded connection: @fd is a connected stream socket to the client
 * (TLS stays the server's job); @extra holds bytes the client sent after
 * its request that were already read.  The handler runs on a thread of its
 * own, owns the session and @ctx from then on, and returns when finished;
 * the connection is closed after it returns.
 */
typedef void (*http_upgrade_fn)(void *ctx, int fd, const char *extra, size_t extra_len);
typedef void (*http_upgrade_free_fn)(void *ctx);

enum http_resp_kind { HTTP_RESP_BUFFER = 0, HTTP_RESP_STREAM, HTTP_RESP_UPGRADE };

struct http_resp {
	enum http_resp_kind kind;
	int status;
	const char *content_type;      /* static string */
	char *body;                    /* heap, owned; read-only when shared */
	size_t body_len;
	/* A shared body (http_resp_shared): released with body_release(ctx)
	 * instead of free() */
	void (*body_release)(void *ctx);
	void *body_release_ctx;
	struct http_header *headers;   /* extra headers, heap, owned */
	size_t n_headers;
	/* HTTP_RESP_STREAM */
	http_stream_fn stream;
	http_stream_free_fn stream_free;
	void *stream_ctx;
	/* HTTP_RESP_UPGRADE: status 101 and the headers above; the handler
	 * owns upgrade_ctx once called, upgrade_free releases it otherwise */
	http_upgrade_fn upgrade;
	http_upgrade_free_fn upgrade_free;
	void *upgrade_ctx;
};

/* Set a buffered response; @body is copied.  Returns 0 or -ENOMEM. */
int http_resp_set(struct http_resp *r, int status, const char *ctype, const char *body,
		  size_t len) PN_MUST_CHECK;
/* Serialise @j (a reference is taken over: json_decref'd here) as
 * "application/json", compact, with a trailing newline as kube-apiserver
 * writes it.  Returns 0 or -ENOMEM. */
int http_resp_json(struct http_resp *r, int status, json_t *j) PN_MUST_CHECK;
/* A buffered response whose body belongs to someone else (a list other
 * responses send too): @body is read, never written, until @release(@ctx)
 * says this response is done with it (also when it is never sent). */
void http_resp_shared(struct http_resp *r, int status, const char *ctype, const char *body,
		      size_t len, void (*release)(void *ctx), void *ctx);
int http_resp_add_header(struct http_resp *r, const char *name, const char *value) PN_MUST_CHECK;
/* A 200 response whose body @fn writes as it comes; @ctx is @fn's, and
 * @fn_free releases it (also when the response is never sent). */
void http_resp_stream(struct http_resp *r, const char *ctype, http_stream_fn fn,
		      http_stream_free_fn fn_free, void *ctx);
/* Hand the connection, once the 101 is sent, to @fn with @ctx; @fn_free
 * releases @ctx when it never runs. */
void http_resp_upgrade(struct http_resp *r, http_upgrade_fn fn, http_upgrade_free_fn fn_free,
		       void *ctx);
void http_resp_free(struct http_resp *r);

/* kube-apiserver compresses a response of more than 128 KiB for a client
 * that accepts gzip (client-go does, so kubectl does), at gzip level 1
 * (responsewriters: defaultGzipThresholdBytes, ...ContentEncodingLevel). */
#define HTTP_GZIP_MIN (128u * 1024)

/* The request's Accept-Encoding lists gzip (and not with q=0). */
bool http_accepts_gzip(const struct http_req *r);
/* @in as a gzip member, level 1: *out (heap) and *out_len; 0 or -ENOMEM. */
int http_gzip(const char *in, size_t len, char **out, size_t *out_len) PN_MUST_CHECK;

void http_req_free(struct http_req *r);

#endif
