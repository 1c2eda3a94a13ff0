/* SPDX-License-Identifier: Apache-2.0 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "pki.h"
#include "tlsfront.h"

struct server {
	struct MHD_Daemon *d;
	struct tlsfront *front;
	server_handler_fn handler;
	void *ctx;
	int port;
};

/* Per connection: who the client is, as the TLS front verified it. */
struct conn_ctx {
	bool checked;
	struct pki_identity id;
	bool have_id;
	char remote[64];
};

struct upgrade_job;

/* Per request: the body as it arrives. */
struct req_ctx {
	struct http_req req;
	char *body;
	size_t len, cap;
	bool too_large;
	char *path;
	/* An upgrade answer: the session's job, owned here until the
	 * upgrade happens (then by the session's thread). */
	struct upgrade_job *upgrade;
	bool upgrade_taken;
};

int server_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			struct pn_err *err)
{
	char host[128];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon)
		return pn_error(err, PN_E_BAD_REQUEST, 0, "--listen %s: want HOST:PORT", s);
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return pn_error(err, PN_E_BAD_REQUEST, 0, "--listen %s: bad port", s);
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		h = s + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return pn_error(err, PN_E_BAD_REQUEST, 0, "--listen %s: bad address", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!host[0] || !strcmp(host, "0.0.0.0")) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		*len = sizeof(*a);
		return 0;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
			a->sin_family = AF_INET;
			a->sin_port = htons((uint16_t)port);
			*len = sizeof(*a);
			return 0;
		}
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			*len = sizeof(*a6);
			return 0;
		}
	}
	if (!strcmp(host, "localhost")) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
		return 0;
	}
	return pn_error(err, PN_E_BAD_REQUEST, 0, "--listen %s: %s is not an IP address", s,
			host);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* libmicrohttpd reports every client that hangs up mid-request; those
	 * are routine, so they are debug output. */
	pn_log(PN_LOG_DEBUG, "http: %s", buf);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct conn_ctx *cc;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		cc = calloc(1, sizeof(*cc));
		*socket_context = cc;
	} else {
		cc = *socket_context;
		if (cc) {
			pki_identity_free(&cc->id);
			free(cc);
		}
		*socket_context = NULL;
	}
}

static void upgrade_proto_free(struct upgrade_job *j);

static void req_ctx_free(struct req_ctx *rc)
{
	if (!rc)
		return;
	if (rc->upgrade && !rc->upgrade_taken)
		upgrade_proto_free(rc->upgrade);
	http_req_free(&rc->req);
	free(rc->body);
	free(rc->path);
	free(rc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_ctx_free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      size_t key_size, const char *value, size_t value_size)
{
	struct http_req *r = cls;

	(void)key_size;
	(void)value_size;
	if (kind == MHD_HEADER_KIND) {
		struct http_header *h = realloc(r->headers, (r->n_headers + 1) * sizeof(*h));

		if (!h)
			return MHD_NO;
		r->headers = h;
		h[r->n_headers].name = strdup(key);
		h[r->n_headers].value = strdup(value ? value : "");
		r->n_headers++;
	} else if (kind == MHD_GET_ARGUMENT_KIND) {
		/* Decoded by libmicrohttpd as a form: %XX, and "+" is a space,
		 * as Go clients (url.Values.Encode) write a selector's spaces. */
		struct http_query *q = realloc(r->query, (r->n_query + 1) * sizeof(*q));

		if (!q)
			return MHD_NO;
		r->query = q;
		q[r->n_query].key = strdup(key);
		q[r->n_query].value = strdup(value ? value : "");
		r->n_query++;
	}
	return MHD_YES;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_resp *r = cls;
	ssize_t n;

	(void)pos;
	n = r->stream(r->stream_ctx, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void stream_free(void *cls)
{
	struct http_resp *r = cls;

	http_resp_free(r);
	free(r);
}

struct upgrade_job {
	http_upgrade_fn fn;
	http_upgrade_free_fn free_fn;
	void *ctx;
	int fd;
	char *extra;
	size_t extra_len;
	struct MHD_UpgradeResponseHandle *urh;
};

static void *upgrade_thread(void *arg)
{
	struct upgrade_job *j = arg;

	j->fn(j->ctx, j->fd, j->extra, j->extra_len);
	MHD_upgrade_action(j->urh, MHD_UPGRADE_ACTION_CLOSE);
	j->ctx = NULL;   /* the handler released it */
	upgrade_proto_free(j);
	return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct upgrade_job *j = cls;
	struct req_ctx *rc = con_cls;
	pthread_attr_t attr;
	pthread_t t;
	bool started = false;

	(void)c;
	/* From here the session's thread owns the job. */
	if (rc)
		rc->upgrade_taken = true;
	j->fd = sock;
	j->urh = urh;
	if (extra_in_size) {
		j->extra = malloc(extra_in_size);
		if (j->extra) {
			memcpy(j->extra, extra_in, extra_in_size);
			j->extra_len = extra_in_size;
		}
	}
	/* TLS forwarding starts only when this returns, so the session runs
	 * on its own thread. */
	if (!extra_in_size || j->extra) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, upgrade_thread, j) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		pn_warn("http: cannot start an upgraded session");
		upgrade_proto_free(j);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	}
}

static void upgrade_proto_free(struct upgrade_job *j)
{
	if (j->free_fn && j->ctx)
		j->free_fn(j->ctx);
	free(j->extra);
	free(j);
}

static bool http_resp_has_header(const struct http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return true;
	return false;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct http_resp *r,
				 struct upgrade_job **job)
{
	struct MHD_Response *m = NULL;
	enum MHD_Result ret;
	int status = r->status ? r->status : 200;

	switch (r->kind) {
	case HTTP_RESP_BUFFER:
		if (r->body_release) {
			/* A shared list: sent from where it is, released
			 * once libmicrohttpd is done with it. */
			m = MHD_create_response_from_buffer_with_free_callback_cls(
				r->body_len, r->body, r->body_release, r->body_release_ctx);
			if (m) {
				r->body = NULL;
				r->body_release = NULL;
				r->body_release_ctx = NULL;
			}
			break;
		}
		m = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
		if (m)
			r->body = NULL;
		break;
	case HTTP_RESP_STREAM: {
		/* The response outlives this call: the producer and its context
		 * move to a heap copy that libmicrohttpd frees when done. */
		struct http_resp *own = calloc(1, sizeof(*own));

		if (!own)
			break;
		own->kind = HTTP_RESP_STREAM;
		own->stream = r->stream;
		own->stream_free = r->stream_free;
		own->stream_ctx = r->stream_ctx;
		r->stream_free = NULL;
		r->stream_ctx = NULL;
		/* A block a client sees at once (watch events are small; a
		 * bigger block only delays them). */
		m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, own,
						      stream_free);
		if (!m)
			stream_free(own);
		break;
	}
	case HTTP_RESP_UPGRADE: {
		struct upgrade_job *j = calloc(1, sizeof(*j));

		if (!j)
			break;
		j->fn = r->upgrade;
		j->free_fn = r->upgrade_free;
		j->ctx = r->upgrade_ctx;
		r->upgrade_ctx = NULL;
		*job = j;
		m = MHD_create_response_for_upgrade(on_upgrade, j);
		status = MHD_HTTP_SWITCHING_PROTOCOLS;
		/* A WebSocket unless the handler names another protocol
		 * (port-forward's SPDY/3.1); MHD wants the header set. */
		if (m && !http_resp_has_header(r, MHD_HTTP_HEADER_UPGRADE))
			MHD_add_response_header(m, MHD_HTTP_HEADER_UPGRADE, "websocket");
		break;
	}
	}
	if (!m)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->kind != HTTP_RESP_UPGRADE)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache, private");
	for (size_t i = 0; i < r->n_headers; i++)
		MHD_add_response_header(m, r->headers[i].name, r->headers[i].value);
	ret = MHD_queue_response(c, (unsigned)status, m);
	MHD_destroy_response(m);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct req_ctx *rc = *con_cls;
	struct http_resp resp = { 0 };
	const union MHD_ConnectionInfo *ci;
	struct conn_ctx *cc = NULL;
	enum MHD_Result ret;

	(void)version;
	if (!rc) {
		rc = calloc(1, sizeof(*rc));
		if (!rc)
			return MHD_NO;
		*con_cls = rc;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (rc->too_large || rc->len + n > HTTP_MAX_BODY) {
			/* Read and drop the rest; the answer is 413 either way. */
			rc->too_large = true;
			return MHD_YES;
		}
		if (rc->len + n + 1 > rc->cap) {
			size_t cap = rc->cap ? rc->cap : 4096;
			char *b;

			while (cap < rc->len + n + 1)
				cap *= 2;
			b = realloc(rc->body, cap);
			if (!b)
				return MHD_NO;
			rc->body = b;
			rc->cap = cap;
		}
		memcpy(rc->body + rc->len, upload, n);
		rc->len += n;
		return MHD_YES;
	}

	/* The whole request is here. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci)
		cc = ci->socket_context;
	if (cc && !cc->checked) {
		/* Keyed by the socket libmicrohttpd reads: the TLS front filled
		 * it in before handing the socket over, from the verified
		 * certificate; nothing in the request can change it. */
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		cc->checked = true;
		if (ci && tlsfront_identity(s->front, ci->connect_fd, cc->remote,
					    sizeof(cc->remote), &cc->id) == 0)
			cc->have_id = true;
	}
	rc->path = strdup(url);
	rc->req.method = method;
	rc->req.path = rc->path ? rc->path : "/";
	rc->req.body = rc->body ? rc->body : "";
	if (rc->body)
		rc->body[rc->len] = '\0';
	rc->req.body_len = rc->len;
	rc->req.body_too_large = rc->too_large;
	rc->req.remote = cc && cc->remote[0] ? cc->remote : "?";
	if (cc && cc->have_id) {
		rc->req.user = cc->id.user;
		rc->req.groups = (const char *const *)cc->id.groups;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	rc->req.conn_fd = ci ? ci->connect_fd : -1;
	MHD_get_connection_values_n(c, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, collect_header,
				    &rc->req);

	s->handler(s->ctx, &rc->req, &resp);
	ret = send_resp(c, &resp, &rc->upgrade);
	http_resp_free(&resp);
	return ret;
}

/* A connection the TLS front has decrypted: libmicrohttpd reads it as
 * plain HTTP.  It sees a Unix socket, so it tries no TCP options on it. */
static int deliver(void *ctx, int fd)
{
	struct server *s = ctx;
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	/* The socket is closed on failure too. */
	if (MHD_add_connection(s->d, fd, (struct sockaddr *)&un, sizeof(un)) != MHD_YES)
		return -(errno ? errno : ENOMEM);
	return 0;
}

int server_start(const struct server_opts *o, struct server **out, struct pn_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct server *s;
	struct tlsfront_opts fo = { 0 };
	/* TLS ends in tlsfront.c: libmicrohttpd 0.9.75 relays an upgraded
	 * TLS connection 4 bytes per record (see tlsfront.h). */
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_UPGRADE |
			 MHD_USE_ERROR_LOG;
	int ret;

	ret = server_parse_listen(o->listen, &ss, &sl, err);
	if (ret < 0)
		return ret;
	if (!MHD_is_feature_supported(MHD_FEATURE_UPGRADE))
		return pn_error(err, PN_E_STATE, ENOTSUP,
				"libmicrohttpd was built without HTTP upgrade support");
	s = calloc(1, sizeof(*s));
	if (!s)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	s->handler = o->handler;
	s->ctx = o->ctx;
	s->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
		NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout_s ? o->idle_timeout_s : 300u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return pn_error(err, PN_E_STATE, errno ? errno : ENOMEM,
				"cannot start libmicrohttpd");
	}
	fo.addr = (struct sockaddr *)&ss;
	fo.addr_len = sl;
	fo.cert_pem = o->cert_pem;
	fo.key_pem = o->key_pem;
	fo.trust_pem = o->trust_pem;
	fo.deliver = deliver;
	fo.ctx = s;
	ret = tlsfront_start(&fo, &s->front, err);
	if (ret < 0) {
		MHD_stop_daemon(s->d);
		free(s);
		return ret;
	}
	s->port = tlsfront_port(s->front);
	*out = s;
	return 0;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* The front first: its relays close their sockets, so
	 * libmicrohttpd's connections end. */
	tlsfront_stop(s->front);
	MHD_stop_daemon(s->d);
	free(s);
}

int server_port(const struct server *s)
{
	return s->port;
}
