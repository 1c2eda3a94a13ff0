/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubelet's probe workers (pkg/kubelet/prober), run by the shim's event
 * loop without ever blocking it.
 *
 * Per container and probe kind one worker, as kubelet keeps:
 *  - it starts with each new attempt of the container: readiness reports
 *    Failure (not ready) until a probe passes, liveness Success, startup
 *    Unknown (not started);
 *  - the first probe runs initialDelaySeconds after the attempt started,
 *    then one every periodSeconds; each has timeoutSeconds;
 *  - liveness and readiness wait for the container to be started (its
 *    startup probe passed, or it has none); the startup probe stops once
 *    it passed;
 *  - a result is reported once it held successThreshold (for Success) or
 *    failureThreshold (for Failure) probes in a row;
 *  - a failed probe is a Warning "Unhealthy" event ("Liveness probe
 *    failed: ..."), with the probe's output;
 *  - liveness or startup reporting Failure restarts the container (the
 *    shim kills it with the probe's or the pod's grace period, and the
 *    restart policy decides, as kubelet's computePodActions does) and the
 *    worker holds until the next attempt.
 *
 * The handlers: tcpSocket connects (non-blocking) from the node to the
 * pod's address; httpGet is a GET through libcurl's multi interface
 * (loaded with dlopen at the first httpGet probe, see curl_load), whose
 * sockets and timer are driven from the shim's epoll (success: 200 <= code
 * < 400, kubelet's rule; redirects are not followed, which kubelet also
 * counts as success when they leave the host); exec runs the OCI
 * runtime's `exec` in the container (started by the child helper), its
 * output read from a pipe, its exit status from the loop's waitpid(-1); grpc is refused by the CLI
 * before a plan holds it (no HTTP/2 client in podnet yet).
 */
#include "shim.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
#define KEY_CURL (PROBE_EP_KEY | (1ull << 61))
/* kubelet's User-Agent: "kube-probe/<major>.<minor>". */
#define PROBE_UA "kube-probe/1.32"

static struct {
	int epfd;
	const struct oci_rt *rt;
	const char *pod_ip;
	CURLM *multi;
	uint64_t curl_at;       /* monotonic ns curl wants a timeout call; 0: none */
	bool curl_ok;
} P = { .epfd = -1 };

static const char *const titles[] = { "Liveness", "Readiness", "Startup" };

const char *probe_kind_title(enum probe_kind k)
{
	return titles[k];
}

/* epoll key of a probe's own fd: container index and kind. */
static uint64_t probe_key(size_t idx, enum probe_kind k)
{
	return PROBE_EP_KEY | ((uint64_t)idx << 2) | (uint64_t)k;
}

/* ------------------------------------------------------------ curl glue */

/*
 * libcurl is not linked: most pods have no httpGet probe, and a linked
 * libcurl makes the dynamic loader map and relocate it and its dependency
 * tree (GnuTLS, nettle, nghttp2, libssh2, LDAP, Kerberos, ...) in every
 * shim at exec (faults/load: RSS 3682 KB, PSS 1758 KB per shim linked;
 * 2451 KB, 657 KB not).  The first httpGet probe dlopens it; the header gives
 * the types, and C holds the functions this file calls, typed from their
 * declarations in <curl/curl.h>.  libcurl's soname-4 ABI is the same in
 * every TLS flavour: the GnuTLS one first (the runtime package of the -dev
 * package the shim builds against, the TLS library podnetd already uses),
 * then the OpenSSL one (Debian's curl binary pulls it in).  RTLD_LOCAL keeps
 * its symbols out of the shim's global scope.  Once loaded it stays: the
 * shim exits soon after prober_fini, and unloading a TLS stack early would
 * only run its destructors sooner.
 */
#define CURL_FNS(X)                                                                                \
	X(global_init) X(global_cleanup) X(multi_init) X(multi_cleanup) X(multi_setopt)            \
	X(multi_add_handle) X(multi_remove_handle) X(multi_info_read) X(multi_socket_action)        \
	X(easy_init) X(easy_cleanup) X(easy_setopt) X(easy_getinfo) X(easy_strerror)               \
	X(slist_append) X(slist_free_all)

static struct {
#define CURL_FN_PTR(f) __typeof__(curl_##f) *f;
	CURL_FNS(CURL_FN_PTR)
#undef CURL_FN_PTR
} C;

static const char *const curl_sonames[] = { "libcurl-gnutls.so.4", "libcurl.so.4" };

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct epoll_event ev = { 0 };

	ev.data.u64 = KEY_CURL | (uint64_t)(unsigned)fd;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(P.epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(P.epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(P.epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	P.curl_at = timeout_ms < 0 ? 0 : shim_now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
	return 0;
}

int prober_init(int epfd, const struct oci_rt *rt, const char *pod_ip, struct pn_err *err)
{
	(void)err;
	P.epfd = epfd;
	P.rt = rt;
	P.pod_ip = pod_ip && *pod_ip ? pod_ip : "127.0.0.1";
	return 0;
}

/*
 * Load libcurl and resolve C.  On failure why says what dlopen/dlsym said
 * (dlerror names the file), and the probe fails with it; the next httpGet
 * probe tries again.
 */
static int curl_load(char *why, size_t n)
{
	static void *lib;
	char errs[512] = "";
	size_t len = 0;

	if (lib)
		return 0;
	for (size_t i = 0; i < sizeof(curl_sonames) / sizeof(curl_sonames[0]) && !lib; i++) {
		lib = dlopen(curl_sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (!lib && len < sizeof(errs))
			len += (size_t)snprintf(errs + len, sizeof(errs) - len, "%s%s", i ? "; " : "",
						dlerror());
	}
	if (!lib) {
		snprintf(why, n, "httpGet probe: libcurl not available: %s", errs);
		return -1;
	}
#define CURL_FN_LOAD(f)                                                                            \
	if (!(*(void **)&C.f = dlsym(lib, "curl_" #f))) {                                          \
		snprintf(why, n, "httpGet probe: libcurl not available: %s", dlerror());          \
		goto fail;                                                                         \
	}
	CURL_FNS(CURL_FN_LOAD)
#undef CURL_FN_LOAD
	return 0;
fail:
	dlclose(lib);
	lib = NULL;
	memset(&C, 0, sizeof(C));
	return -1;
}

/*
 * libcurl is loaded and set up at the first httpGet probe, not at the
 * shim's start: its global init loads the TLS library's state, megabytes a
 * shim of a pod without HTTP probes (most of them) should not carry.
 */
static int curl_start(char *why, size_t n)
{
	if (P.curl_ok)
		return 0;
	if (curl_load(why, n) < 0)
		return -1;
	if (C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, n, "libcurl: global init failed");
		return -1;
	}
	P.multi = C.multi_init();
	if (!P.multi) {
		C.global_cleanup();
		snprintf(why, n, "libcurl: out of memory");
		return -1;
	}
	P.curl_ok = true;
	C.multi_setopt(P.multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	C.multi_setopt(P.multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	return 0;
}

void prober_fini(void)
{
	if (P.curl_ok) {
		C.multi_cleanup(P.multi);
		C.global_cleanup();
		P.curl_ok = false;
	}
}

/* -------------------------------------------------------- worker results */

static size_t ctr_index(const struct shim_ctr *ctrs, const struct shim_ctr *c)
{
	return (size_t)(c - ctrs);
}

/* Update started/ready from the workers; tell the shim when ready flips. */
static void recompute(struct shim_ctr *c)
{
	const struct probe *st = &c->probes[PROBE_STARTUP], *rd = &c->probes[PROBE_READINESS];
	bool running = c->state == CS_RUNNING;
	bool started = running && (!st->present || st->result == PR_SUCCESS);
	bool ready = started && (!rd->present || rd->result == PR_SUCCESS);

	c->started = started;
	if (ready != c->ready) {
		c->ready = ready;
		shim_readiness_changed(c);
	}
}

static void probe_done(struct shim_ctr *c, enum probe_kind k, enum probe_result r,
		       const char *output)
{
	struct probe *p = &c->probes[k];
	int threshold;

	p->busy = false;
	if (r == PR_FAILURE)
		shim_event(c, "Warning", "Unhealthy", "%s probe failed: %s", titles[k],
			   output ? output : "");
	if (r == PR_UNKNOWN)
		return;
	/* resultRun: reported only after enough of the same in a row */
	if (p->last == r) {
		p->run++;
	} else {
		p->last = r;
		p->run = 1;
	}
	threshold = r == PR_SUCCESS ? p->success_threshold : p->failure_threshold;
	if (p->run < threshold || p->result == r)
		return;
	p->result = r;
	shim_log("container %s: %s probe %s", c->name, titles[k],
		 r == PR_SUCCESS ? "succeeded" : "failed");
	if (r == PR_FAILURE && (k == PROBE_LIVENESS || k == PROBE_STARTUP)) {
		/* Stop probing until a new attempt (kubelet: onHold). */
		p->on_hold = true;
		p->run = 0;
		shim_probe_restart(c, k);
	}
	recompute(c);
}

/* ------------------------------------------------------------ handlers */

static void cancel(struct probe *p)
{
	if (p->easy) {
		C.multi_remove_handle(P.multi, p->easy);
		C.easy_cleanup(p->easy);
		p->easy = NULL;
	}
	if (p->fd >= 0) {
		epoll_ctl(P.epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
	}
	if (p->pid > 0 && !p->exited)
		kill(p->pid, SIGKILL); /* reaped by the loop, ignored then */
	p->pid = 0;
	p->exited = false;
	p->busy = false;
}

static const char *host_of(const struct probe *p)
{
	return p->host && *p->host ? p->host : P.pod_ip;
}

static int start_tcp(struct shim_ctr *ctrs, struct shim_ctr *c, enum probe_kind k, char *why,
		     size_t n)
{
	struct probe *p = &c->probes[k];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->port) };
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd;

	if (inet_pton(AF_INET, host_of(p), &sa.sin_addr) != 1) {
		snprintf(why, n, "dial tcp: lookup %s: no such host", host_of(p));
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, n, "dial tcp %s:%d: socket: %s", host_of(p), p->port, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		snprintf(why, n, "dial tcp %s:%d: connect: %s", host_of(p), p->port, strerror(errno));
		close(fd);
		return -1;
	}
	ev.data.u64 = probe_key(ctr_index(ctrs, c), k);
	if (epoll_ctl(P.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		snprintf(why, n, "epoll: %s", strerror(errno));
		close(fd);
		return -1;
	}
	p->fd = fd;
	return 0;
}

/* Go's syscall error texts are strerror's, lowercase: "connection refused". */
static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

static void tcp_ready(struct shim_ctr *c, enum probe_kind k)
{
	struct probe *p = &c->probes[k];
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	char why[256], e[128];

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	cancel(p);
	if (!soerr) {
		probe_done(c, k, PR_SUCCESS, NULL);
		return;
	}
	snprintf(e, sizeof(e), "%s", strerror(soerr));
	lower_first(e);
	snprintf(why, sizeof(why), "dial tcp %s:%d: connect: %s", host_of(p), p->port, e);
	probe_done(c, k, PR_FAILURE, why);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

static int start_http(struct shim_ctr *c, enum probe_kind k, char *why, size_t n)
{
	struct probe *p = &c->probes[k];
	struct curl_slist *hdrs = NULL;
	bool ua = false, accept = false;
	char url[2048];
	CURL *e;

	snprintf(url, sizeof(url), "%s://%s:%d%s%s", p->scheme && !strcmp(p->scheme, "HTTPS") ? "https" : "http",
		 host_of(p), p->port, p->path && p->path[0] == '/' ? "" : "/", p->path ? p->path : "");
	if (curl_start(why, n) < 0)
		return -1;
	e = C.easy_init();
	if (!e) {
		snprintf(why, n, "libcurl: out of memory");
		return -1;
	}
	for (size_t i = 0; p->headers && p->headers[i]; i++) {
		ua |= !strncasecmp(p->headers[i], "User-Agent:", 11);
		accept |= !strncasecmp(p->headers[i], "Accept:", 7);
		hdrs = C.slist_append(hdrs, p->headers[i]);
	}
	if (!accept)
		hdrs = C.slist_append(hdrs, "Accept: */*");
	C.easy_setopt(e, CURLOPT_URL, url);
	C.easy_setopt(e, CURLOPT_PRIVATE, hdrs);
	C.easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	if (!ua)
		C.easy_setopt(e, CURLOPT_USERAGENT, PROBE_UA);
	C.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	C.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout * 1000L);
	/* kubelet does not verify the certificate of an HTTPS probe. */
	C.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	C.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	/* the body is not needed; kubelet reads at most 10 KiB of it */
	C.easy_setopt(e, CURLOPT_MAXFILESIZE, 10240L);
	C.easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	p->easy = e;
	if (C.multi_add_handle(P.multi, e) != CURLM_OK) {
		C.slist_free_all(hdrs);
		C.easy_cleanup(e);
		p->easy = NULL;
		snprintf(why, n, "libcurl: cannot add the request");
		return -1;
	}
	return 0;
}

/* Completed transfers: their probes' results. */
static void curl_collect(struct shim_ctr *ctrs, size_t n)
{
	CURLMsg *m;
	int left;

	if (!P.curl_ok)
		return;
	while ((m = C.multi_info_read(P.multi, &left))) {
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct curl_slist *hdrs = NULL;
		long code = 0, oserr = 0;
		char why[512], *url = NULL, es[128];

		if (m->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < PROBE_KINDS; k++) {
				struct probe *p = &ctrs[i].probes[k];

				if (p->easy != e)
					continue;
				C.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
				C.easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
				C.easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url);
				C.easy_getinfo(e, CURLINFO_PRIVATE, (char **)&hdrs);
				snprintf(es, sizeof(es), "%s", oserr ? strerror((int)oserr) : "");
				lower_first(es);
				if (rc == CURLE_OK || (rc == CURLE_FILESIZE_EXCEEDED && code)) {
					if (code >= 200 && code < 400) {
						snprintf(why, sizeof(why), "%s", "");
					} else {
						snprintf(why, sizeof(why), "HTTP probe failed with statuscode: %ld",
							 code);
					}
				} else if (rc == CURLE_OPERATION_TIMEDOUT) {
					snprintf(why, sizeof(why),
						 "Get \"%s\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
						 url ? url : "");
				} else if (rc == CURLE_COULDNT_CONNECT && oserr) {
					snprintf(why, sizeof(why), "Get \"%s\": dial tcp %s:%d: connect: %s",
						 url ? url : "", host_of(p), p->port, es);
				} else {
					snprintf(why, sizeof(why), "Get \"%s\": %s", url ? url : "",
						 C.easy_strerror(rc));
				}
				C.multi_remove_handle(P.multi, e);
				C.slist_free_all(hdrs);
				C.easy_cleanup(e);
				p->easy = NULL;
				probe_done(&ctrs[i], (enum probe_kind)k, why[0] ? PR_FAILURE : PR_SUCCESS, why);
				goto next;
			}
		/* a handle of a cancelled probe: already cleaned */
next:;
	}
}

static int start_exec(struct shim_ctr *ctrs, struct shim_ctr *c, enum probe_kind k, char *why,
		      size_t n)
{
	struct probe *p = &c->probes[k];
	struct epoll_event ev = { .events = EPOLLIN };
	struct pn_child ch = { 0 };
	struct pn_err err = { 0 };
	struct pn_spawn sp = { 0 };
	size_t argc = 0, i = 0;
	char **argv;
	int rc;

	while (p->argv[argc])
		argc++;
	argv = calloc(argc + 6, sizeof(*argv));
	if (!argv) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	argv[i++] = (char *)P.rt->path;
	argv[i++] = "--root";
	argv[i++] = (char *)P.rt->root;
	argv[i++] = "exec";
	argv[i++] = c->id;
	for (size_t a = 0; a < argc; a++)
		argv[i++] = p->argv[a];
	/* Started by the child helper, but not waited for by it: the pipe is
	 * read by the loop and the exit reaped by its waitpid(-1), so the
	 * loop never blocks on a probe (kubelet's output is stdout and
	 * stderr together). */
	sp.path = P.rt->path;
	sp.argv = argv;
	sp.out = PN_STDIO_PIPE;
	sp.err = PN_STDIO_STDOUT;
	rc = pn_spawn_start(&sp, &ch, &err);
	free(argv);
	if (rc < 0) {
		snprintf(why, n, "%s", pn_err_msg(&err));
		pn_err_free(&err);
		return -1;
	}
	if (ch.pidfd >= 0)
		close(ch.pidfd);
	fcntl(ch.out, F_SETFL, O_NONBLOCK);
	p->pid = ch.pid;
	p->fd = ch.out;
	p->exited = false;
	p->out_len = 0;
	ev.data.u64 = probe_key(ctr_index(ctrs, c), k);
	epoll_ctl(P.epfd, EPOLL_CTL_ADD, p->fd, &ev);
	return 0;
}

/* Both the pipe's EOF and the exit are in: the result. */
static void exec_finish(struct shim_ctr *c, enum probe_kind k)
{
	struct probe *p = &c->probes[k];
	char out[sizeof(p->out) + 1];
	int st = p->wstatus;

	memcpy(out, p->out, p->out_len);
	out[p->out_len] = '\0';
	/* kubelet trims nothing but the event shows the text as it came */
	while (p->out_len && (out[p->out_len - 1] == '\n'))
		out[--p->out_len] = '\0';
	p->pid = 0;
	p->exited = false;
	cancel(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		probe_done(c, k, PR_SUCCESS, NULL);
	else
		probe_done(c, k, PR_FAILURE, out);
}

static void exec_read(struct shim_ctr *c, enum probe_kind k)
{
	struct probe *p = &c->probes[k];
	char buf[4096];
	ssize_t r;

	for (;;) {
		r = read(p->fd, buf, sizeof(buf));
		if (r > 0) {
			size_t room = sizeof(p->out) - p->out_len;
			size_t take = (size_t)r < room ? (size_t)r : room;

			memcpy(p->out + p->out_len, buf, take);
			p->out_len += take;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (r == 0) {
		epoll_ctl(P.epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
		if (p->exited)
			exec_finish(c, k);
	}
}

bool prober_child_exited(struct shim_ctr *ctrs, size_t n, pid_t pid, int wstatus)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PROBE_KINDS; k++) {
			struct probe *p = &ctrs[i].probes[k];

			if (p->pid != pid || !p->busy)
				continue;
			p->exited = true;
			p->wstatus = wstatus;
			if (p->fd < 0)
				exec_finish(&ctrs[i], (enum probe_kind)k);
			return true;
		}
	return false;
}

/* ------------------------------------------------------------ scheduling */

void prober_container_started(struct shim_ctr *c)
{
	uint64_t now = shim_now_ns();

	for (int k = 0; k < PROBE_KINDS; k++) {
		struct probe *p = &c->probes[k];

		cancel(p);
		p->result = k == PROBE_LIVENESS ? PR_SUCCESS : k == PROBE_READINESS ? PR_FAILURE
										: PR_UNKNOWN;
		p->last = PR_UNKNOWN;
		p->run = 0;
		p->on_hold = false;
		p->next_at = now + (uint64_t)p->initial_delay * NS_PER_S;
	}
	c->started = c->ready = false;
	recompute(c);
}

void prober_container_stopped(struct shim_ctr *c)
{
	for (int k = 0; k < PROBE_KINDS; k++)
		cancel(&c->probes[k]);
	c->started = false;
	if (c->ready) {
		c->ready = false;
		shim_readiness_changed(c);
	}
}

static bool may_run(const struct shim_ctr *c, enum probe_kind k)
{
	const struct probe *p = &c->probes[k];

	if (!p->present || p->on_hold || c->state != CS_RUNNING || c->kill_reason)
		return false;
	if (k == PROBE_STARTUP)
		return p->result != PR_SUCCESS;
	return c->started;
}

uint64_t prober_next_wakeup(const struct shim_ctr *ctrs, size_t n)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PROBE_KINDS; k++) {
			const struct probe *p = &ctrs[i].probes[k];

			if (p->busy && p->deadline < next)
				next = p->deadline;
			else if (!p->busy && may_run(&ctrs[i], (enum probe_kind)k) && p->next_at < next)
				next = p->next_at;
		}
	if (P.curl_at && P.curl_at < next)
		next = P.curl_at;
	return next;
}

void prober_tick(struct shim_ctr *ctrs, size_t n, uint64_t now)
{
	int running;

	if (P.curl_at && now >= P.curl_at) {
		P.curl_at = 0;
		C.multi_socket_action(P.multi, CURL_SOCKET_TIMEOUT, 0, &running);
		curl_collect(ctrs, n);
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PROBE_KINDS; k++) {
			struct shim_ctr *c = &ctrs[i];
			struct probe *p = &c->probes[k];
			char why[512] = "";
			int rc = -1;

			if (p->busy && now >= p->deadline && !p->easy) {
				bool was_exec = p->handler == PH_EXEC;
				char msg[256];

				cancel(p);
				if (was_exec)
					snprintf(msg, sizeof(msg), "command timed out");
				else
					snprintf(msg, sizeof(msg), "dial tcp %s:%d: i/o timeout", host_of(p),
						 p->port);
				probe_done(c, (enum probe_kind)k, PR_FAILURE, msg);
				continue;
			}
			if (p->busy || !may_run(c, (enum probe_kind)k) || now < p->next_at)
				continue;
			/* kubelet's ticker: the next one a period after this one */
			p->next_at = now + (uint64_t)p->period * NS_PER_S;
			p->busy = true;
			p->deadline = now + (uint64_t)p->timeout * NS_PER_S;
			if ((p->handler == PH_TCP || p->handler == PH_HTTP) && p->port == 0) {
				p->busy = false;
				probe_done(c, (enum probe_kind)k, PR_FAILURE,
					   "the probe's named port is not a port of the container");
				continue;
			}
			switch (p->handler) {
			case PH_TCP: rc = start_tcp(ctrs, c, (enum probe_kind)k, why, sizeof(why)); break;
			case PH_HTTP:
				rc = start_http(c, (enum probe_kind)k, why, sizeof(why));
				/* curl's own timeout covers it; ours is a backstop */
				p->deadline = now + (uint64_t)p->timeout * NS_PER_S + NS_PER_S;
				break;
			case PH_EXEC: rc = start_exec(ctrs, c, (enum probe_kind)k, why, sizeof(why)); break;
			case PH_GRPC:
			case PH_NONE: snprintf(why, sizeof(why), "probe handler not supported"); break;
			}
			if (rc < 0) {
				p->busy = false;
				probe_done(c, (enum probe_kind)k, PR_FAILURE, why);
			}
		}
	/* an added curl handle starts on the next socket_action */
	if (P.curl_ok) {
		C.multi_socket_action(P.multi, CURL_SOCKET_TIMEOUT, 0, &running);
		curl_collect(ctrs, n);
	}
}

void prober_on_event(struct shim_ctr *ctrs, size_t n, uint64_t key, uint32_t events)
{
	int running;

	if ((key & KEY_CURL) == KEY_CURL) {
		int fd = (int)(key & 0xffffffffu);
		int mask = (events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			   (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			   (events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

		C.multi_socket_action(P.multi, fd, mask, &running);
		curl_collect(ctrs, n);
		return;
	}
	{
		size_t idx = (size_t)((key & ~PROBE_EP_KEY) >> 2);
		enum probe_kind k = (enum probe_kind)(key & 3);
		struct probe *p;

		if (idx >= n || k >= PROBE_KINDS)
			return;
		p = &ctrs[idx].probes[k];
		if (!p->busy || p->fd < 0)
			return;
		if (p->handler == PH_TCP)
			tcp_ready(&ctrs[idx], k);
		else if (p->handler == PH_EXEC)
			exec_read(&ctrs[idx], k);
	}
}
