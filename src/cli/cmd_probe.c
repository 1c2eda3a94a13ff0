/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet probe FROM TARGET[:PORT]: one TCP/HTTP/UDP/ICMP probe from inside
 * a pod's network namespace (or the node's), one line of result, exit 0 if
 * the target was reached.  Nothing runs in the pod's image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "doctor.h"
#include "podrt.h"
#include "probe.h"

/* "2s", "500ms", "1.5s", "3" (seconds); -1 if malformed. */
static int parse_duration_ms(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -1;
	if (!strcmp(end, "ms"))
		;
	else if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "m"))
		v *= 60000;
	else
		return -1;
	return v > 0 && v < 3600000 ? (int)(v + 0.5) : -1;
}

/* 142µs, 1.2ms, 2.0s: the unit that keeps the number short. */
static const char *fmt_us(uint64_t us, char *buf, size_t n)
{
	if (us < 1000)
		snprintf(buf, n, "%lluµs", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(buf, n, "%.1fms", (double)us / 1e3);
	else
		snprintf(buf, n, "%.1fs", (double)us / 1e6);
	return buf;
}

static const char *fmt_ms(int ms, char *buf, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(buf, n, "%ds", ms / 1000);
	else
		snprintf(buf, n, "%dms", ms);
	return buf;
}

int cmd_probe(int argc, char **argv)
{
	const struct cmd *self = cmd_find("probe");
	struct podrt rt;
	struct pn_err err = { 0 };
	struct probe_req q = { .kind = PROBE_TCP };
	struct probe_result r;
	struct store_pod *from = NULL, *tp = NULL;
	const char *pos[2] = { NULL, NULL }, *ns = NULL;
	char host[256], ref[512], where[300], ip[PN_IP_STRLEN], t1[32], t2[32];
	bool rt_open = false, kind_set = false;
	int npos = 0, fd = -1, ret = 1, timeout_ms = 2000;

	if (cmd_wants_help(self, argc, argv))
		return 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--tcp") || !strcmp(a, "--http") || !strcmp(a, "--udp") ||
		    !strcmp(a, "--icmp")) {
			q.kind = a[2] == 't' ? PROBE_TCP : a[2] == 'h' ? PROBE_HTTP
				 : a[2] == 'u' ? PROBE_UDP : PROBE_ICMP;
			kind_set = true;
		} else if (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10)) {
			const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);

			timeout_ms = v ? parse_duration_ms(v) : -1;
			if (timeout_ms < 0) {
				cmd_errorf("invalid --timeout \"%s\": use e.g. 2s or 500ms", v ? v : "");
				goto out;
			}
		} else if (!strcmp(a, "-n") || !strcmp(a, "--namespace")) {
			if (i + 1 >= argc) {
				cmd_errorf("flag needs an argument: 'n' in -n");
				goto out;
			}
			ns = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			cmd_errorf("unknown flag: %s", a);
			goto out;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			cmd_errorf("too many arguments: %s", a);
			goto out;
		}
	}
	if (npos != 2) {
		cmd_usage(stderr, self);
		goto out;
	}
	q.timeout_ms = timeout_ms;
	if (doctor_split_target(pos[1], host, sizeof(host), &q.port, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (!kind_set && !q.port)
		q.kind = PROBE_ICMP;
	if (q.kind == PROBE_HTTP && !q.port)
		q.port = 80;
	if ((q.kind == PROBE_TCP || q.kind == PROBE_UDP) && !q.port) {
		cmd_errorf("%s probe needs a port: %s:PORT", probe_kind_str(q.kind), pos[1]);
		goto out;
	}

	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out;
	rt_open = true;

	if (strcmp(pos[0], "node")) {
		snprintf(ref, sizeof(ref), "%s%s%s", ns && !strchr(pos[0], '/') ? ns : "",
			 ns && !strchr(pos[0], '/') ? "/" : "", pos[0]);
		if (doctor_pod_find(rt.st, ref, &from, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
		fd = doctor_pod_netns_open(from, &err);
		if (fd < 0) {
			cmd_error(&err);
			goto out;
		}
	}
	if (pn_ip_parse(host, &q.dst) < 0) {
		snprintf(ref, sizeof(ref), "%s%s%s", ns && !strchr(host, '/') ? ns : "",
			 ns && !strchr(host, '/') ? "/" : "", host);
		if (doctor_pod_find(rt.st, ref, &tp, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
		if (doctor_pod_ip(tp, AF_UNSPEC, &q.dst) < 0) {
			cmd_errorf("pod %s has no IP", host);
			goto out;
		}
	}
	if (probe_run(fd, &q, &r, &err) < 0) {
		cmd_error(&err);
		goto out;
	}

	pn_ip_str(&q.dst, ip);
	if (q.kind == PROBE_ICMP)
		snprintf(where, sizeof(where), "%s", ip);
	else
		snprintf(where, sizeof(where), "%s%s%s:%d", q.dst.family == AF_INET6 ? "[" : "", ip,
			 q.dst.family == AF_INET6 ? "]" : "", q.port);
	printf("%s %s from %s: ", probe_kind_str(q.kind), where, pos[0]);
	switch (r.outcome) {
	case PROBE_OK:
		if (q.kind == PROBE_TCP)
			printf("connected in %s\n", fmt_us(r.elapsed_us, t1, sizeof(t1)));
		else if (q.kind == PROBE_HTTP)
			printf("%s, %zu bytes in %s (connected in %s)\n", r.status_line, r.bytes,
			       fmt_us(r.total_us, t1, sizeof(t1)), fmt_us(r.elapsed_us, t2, sizeof(t2)));
		else if (q.kind == PROBE_UDP)
			printf("answered with %zu bytes in %s\n", r.bytes, fmt_us(r.elapsed_us, t1, sizeof(t1)));
		else
			printf("echo reply in %s (%s socket)\n", fmt_us(r.elapsed_us, t1, sizeof(t1)),
			       r.icmp_socket);
		break;
	case PROBE_NO_ANSWER:
		printf("no answer (open|filtered) after %s\n", fmt_ms(timeout_ms, t1, sizeof(t1)));
		break;
	case PROBE_TIMEOUT:
		printf("timed out after %s%s%s\n", fmt_ms(timeout_ms, t1, sizeof(t1)),
		       r.detail[0] ? ": " : "", r.detail);
		break;
	case PROBE_HTTP_ERROR:
		if (r.status_line[0])
			printf("%s, %zu bytes in %s\n", r.status_line, r.bytes,
			       fmt_us(r.total_us, t1, sizeof(t1)));
		else
			printf("%s\n", r.detail);
		break;
	default:
		printf("%s", probe_outcome_str(r.outcome));
		if (r.from[0])
			printf(" (ICMP from %s)", r.from);
		if (r.detail[0])
			printf(": %s", r.detail);
		printf("\n");
		break;
	}
	fflush(stdout);
	ret = probe_outcome_ok(r.outcome) ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	store_pod_free(from);
	store_pod_free(tp);
	if (rt_open)
		podrt_close(&rt);
	pn_err_free(&err);
	return ret;
}
