/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet describe pod: kubectl's describe layout (k8s.io/kubectl
 * pkg/describe/describe.go, describePod), printed from the same Pod JSON
 * that `get -o json` prints, so the two never disagree.
 *
 * kubectl writes every line through a PrefixWriter (two spaces per level)
 * into Go's text/tabwriter (minwidth 0, padding 2, blanks); the alignment of
 * its output (why "Command:" breaks the column, why "Volumes:" lines up with
 * the conditions table) comes from tabwriter's column blocks, so those are
 * reproduced here rather than approximated with fixed widths.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "labelsel.h"
#include "output.h"
#include "endpoints.h"
#include "manifest.h"
#include "podrt.h"
#include "store.h"
#include "svcrt.h"

#define TW_PADDING 2

/* --- Go's text/tabwriter, AlignLeft, padchar ' ' ------------------------ */

struct tw {
	FILE *f;        /* open_memstream over buf */
	char *buf;
	size_t len;
};

struct tw_line {
	const char **cells; /* the last cell is the text after the last tab */
	size_t *lens;
	size_t n;
};

static int tw_open(struct tw *w)
{
	w->buf = NULL;
	w->len = 0;
	w->f = open_memstream(&w->buf, &w->len);
	return w->f ? 0 : -1;
}

/* kubectl's PrefixWriter.Write(level, format, ...). */
static void tw_printf(struct tw *w, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void tw_printf(struct tw *w, int level, const char *fmt, ...)
{
	va_list ap;

	for (int i = 0; i < level; i++)
		fputs("  ", w->f);
	va_start(ap, fmt);
	vfprintf(w->f, fmt, ap);
	va_end(ap);
}

/* tabwriter measures cells in runes (utf8.RuneCount). */
static size_t runes(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static void tw_write_lines(FILE *out, const struct tw_line *l, size_t line0, size_t line1,
			   size_t nlines, const size_t *widths, size_t nw)
{
	for (size_t i = line0; i < line1; i++) {
		for (size_t j = 0; j < l[i].n; j++) {
			fwrite(l[i].cells[j], 1, l[i].lens[j], out);
			if (j < nw)
				for (size_t k = runes(l[i].cells[j], l[i].lens[j]); k < widths[j]; k++)
					fputc(' ', out);
		}
		/* The text after the last newline has none. */
		if (i + 1 < nlines)
			fputc('\n', out);
	}
}

/* tabwriter.format: a column block is a run of consecutive lines that all
 * have a tab-terminated cell in this column; each block gets its own width. */
static void tw_format(FILE *out, const struct tw_line *l, size_t line0, size_t line1,
		      size_t nlines, size_t *widths, size_t col)
{
	for (size_t this = line0; this < line1; this++) {
		size_t width = 0;

		if (col + 1 >= l[this].n)
			continue;
		tw_write_lines(out, l, line0, this, nlines, widths, col);
		line0 = this;
		for (; this < line1 && col + 1 < l[this].n; this++) {
			size_t cw = runes(l[this].cells[col], l[this].lens[col]) + TW_PADDING;

			if (cw > width)
				width = cw;
		}
		widths[col] = width;
		tw_format(out, l, line0, this, nlines, widths, col + 1);
		line0 = this;
		if (this == line1)
			break;
	}
	tw_write_lines(out, l, line0, line1, nlines, widths, col);
}

/* Lay out everything written so far onto @out; @w is closed. */
static int tw_flush(struct tw *w, FILE *out)
{
	struct tw_line *lines = NULL;
	size_t nlines = 0, maxcells = 1, *widths = NULL;
	int ret = -1;
	char *p;

	if (fclose(w->f) != 0) {
		w->f = NULL;
		goto out;
	}
	w->f = NULL;
	for (size_t i = 0; i < w->len; i++)
		nlines += w->buf[i] == '\n';
	nlines++;
	lines = calloc(nlines, sizeof(*lines));
	if (!lines)
		goto out;
	p = w->buf;
	for (size_t i = 0; i < nlines; i++) {
		char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p), n = 1;

		for (size_t k = 0; k < len; k++)
			n += p[k] == '\t';
		lines[i].cells = calloc(n, sizeof(*lines[i].cells));
		lines[i].lens = calloc(n, sizeof(*lines[i].lens));
		if (!lines[i].cells || !lines[i].lens)
			goto out;
		lines[i].n = n;
		if (n > maxcells)
			maxcells = n;
		for (size_t k = 0, c = 0, start = 0; k <= len; k++) {
			if (k == len || p[k] == '\t') {
				lines[i].cells[c] = p + start;
				lines[i].lens[c++] = k - start;
				start = k + 1;
			}
		}
		p = end ? end + 1 : p + len;
	}
	widths = calloc(maxcells, sizeof(*widths));
	if (!widths)
		goto out;
	tw_format(out, lines, 0, nlines, nlines, widths, 0);
	ret = ferror(out) ? -1 : 0;
out:
	for (size_t i = 0; lines && i < nlines; i++) {
		free(lines[i].cells);
		free(lines[i].lens);
	}
	free(lines);
	free(widths);
	free(w->buf);
	w->buf = NULL;
	return ret;
}

/* Release @w unprinted (tw_flush releases it too). */
static void tw_close(struct tw *w)
{
	if (w->f)
		fclose(w->f);
	w->f = NULL;
	free(w->buf);
	w->buf = NULL;
}

/* Print one object's description, after a blank line unless it is the
 * @first (kubectl's separator between objects); @w is released. */
static int tw_put(struct tw *w, bool first)
{
	if (!first)
		fputs("\n\n", stdout);
	return tw_flush(w, stdout);
}

/* tw_put, and a failure reported. */
static int tw_emit(struct tw *w, bool first)
{
	if (tw_put(w, first) < 0) {
		cmd_errorf("writing the description failed");
		return -1;
	}
	return 0;
}

/* --- describePod -------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Go's time.RFC1123Z in local time, as metav1.Time prints after decoding. */
static const char *rfc1123z(const char *rfc3339, char buf[64])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm = { 0 };
	char zone[8];
	time_t t;

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
		/* A zero metav1.Time formats as Go's zero time. */
		snprintf(buf, 64, "Mon, 01 Jan 0001 00:00:00 +0000");
		return buf;
	}
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* Day and month names by hand: strftime's follow the locale. */
	snprintf(buf, 64, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday], tm.tm_mday,
		 mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return buf;
}

static time_t parse_time(const char *rfc3339)
{
	struct tm tm = { 0 };

	if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* printLabelsMultiline / printAnnotationsMultiline: sorted keys, one per
 * line, continuation lines in the value column; annotations cut at 140. */
static void describe_map(struct tw *w, const char *title, json_t *map, const char *sep,
			 bool cut)
{
	size_t n = json_is_object(map) ? json_object_size(map) : 0, i = 0;
	const char **keys;
	const char *k;
	json_t *v;

	tw_printf(w, 0, "%s:\t", title);
	keys = n ? calloc(n, sizeof(*keys)) : NULL;
	if (!keys) {
		tw_printf(w, 0, "<none>\n");
		return;
	}
	json_object_foreach(map, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 0; i < n; i++) {
		const char *val = json_string_value(json_object_get(map, keys[i]));
		char *line = NULL;

		if (i)
			tw_printf(w, 0, "\t");
		if (asprintf(&line, "%s%s%s", keys[i], sep, val ? val : "") < 0)
			break;
		if (cut && strlen(line) > 140)
			tw_printf(w, 0, "%.140s...\n", line);
		else
			tw_printf(w, 0, "%s\n", line);
		free(line);
	}
	free(keys);
}

/* describeStatus: one ContainerState under @title ("State", "Last State"). */
static void describe_state(struct tw *w, const char *title, json_t *state)
{
	json_t *s;
	char t[64];

	if ((s = json_object_get(state, "running"))) {
		tw_printf(w, 2, "%s:\tRunning\n", title);
		tw_printf(w, 3, "Started:\t%s\n", rfc1123z(jstr(s, "startedAt"), t));
	} else if ((s = json_object_get(state, "terminated"))) {
		tw_printf(w, 2, "%s:\tTerminated\n", title);
		if (jstr(s, "reason") && *jstr(s, "reason"))
			tw_printf(w, 3, "Reason:\t%s\n", jstr(s, "reason"));
		if (jstr(s, "message") && *jstr(s, "message"))
			tw_printf(w, 3, "Message:\t%s\n", jstr(s, "message"));
		tw_printf(w, 3, "Exit Code:\t%d\n", (int)json_integer_value(json_object_get(s, "exitCode")));
		tw_printf(w, 3, "Started:\t%s\n", rfc1123z(jstr(s, "startedAt"), t));
		tw_printf(w, 3, "Finished:\t%s\n", rfc1123z(jstr(s, "finishedAt"), t));
	} else {
		s = json_object_get(state, "waiting");
		tw_printf(w, 2, "%s:\tWaiting\n", title);
		if (jstr(s, "reason") && *jstr(s, "reason"))
			tw_printf(w, 3, "Reason:\t%s\n", jstr(s, "reason"));
	}
}

/* "80/TCP, 443/TCP"; @key "containerPort" or "hostPort" (0 when unset). */
static void port_list(json_t *ports, const char *key, char *buf, size_t n)
{
	size_t i, o = 0;
	json_t *p;

	buf[0] = '\0';
	json_array_foreach(ports, i, p) {
		const char *proto = jstr(p, "protocol");

		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%d/%s", i ? ", " : "",
				      (int)json_integer_value(json_object_get(p, key)),
				      proto ? proto : "TCP");
		if (o >= n)
			break;
	}
}

static json_t *status_of(json_t *statuses, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(statuses, i, s)
		if (jstr(s, "name") && !strcmp(jstr(s, "name"), name))
			return s;
	return NULL;
}

static void describe_lines(struct tw *w, int level, const char *title, json_t *arr)
{
	size_t i;
	json_t *a;

	if (json_array_size(arr) == 0)
		return;
	tw_printf(w, level, "%s:\n", title);
	json_array_foreach(arr, i, a) {
		const char *s = json_string_value(a);

		/* Each line of a multi-line argument on its own line. */
		for (const char *p = s ? s : ""; p;) {
			const char *nl = strchr(p, '\n');

			tw_printf(w, level + 1, "%.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
			p = nl ? nl + 1 : NULL;
		}
	}
}

/* describeContainerProbe: "http-get http://:8080/healthz delay=0s timeout=1s ..." */
static void describe_probe(struct tw *w, const char *title, json_t *p)
{
	json_t *h, *e;
	char port[64];
	size_t i;

	if (!json_is_object(p))
		return;
	tw_printf(w, 2, "%s:	", title);
	if ((h = json_object_get(p, "httpGet"))) {
		json_t *pt = json_object_get(h, "port");
		const char *scheme = jstr(h, "scheme") ? jstr(h, "scheme") : "HTTP";

		if (json_is_string(pt))
			snprintf(port, sizeof(port), "%s", json_string_value(pt));
		else
			snprintf(port, sizeof(port), "%lld", (long long)json_integer_value(pt));
		tw_printf(w, 0, "http-get %s://%s:%s%s", !strcmp(scheme, "HTTPS") ? "https" : "http",
			  jstr(h, "host") ? jstr(h, "host") : "", port, jstr(h, "path") ? jstr(h, "path") : "");
	} else if ((h = json_object_get(p, "tcpSocket"))) {
		json_t *pt = json_object_get(h, "port");

		if (json_is_string(pt))
			snprintf(port, sizeof(port), "%s", json_string_value(pt));
		else
			snprintf(port, sizeof(port), "%lld", (long long)json_integer_value(pt));
		tw_printf(w, 0, "tcp-socket %s:%s", jstr(h, "host") ? jstr(h, "host") : "", port);
	} else if ((h = json_object_get(p, "exec"))) {
		tw_printf(w, 0, "exec [");
		json_array_foreach(json_object_get(h, "command"), i, e)
			tw_printf(w, 0, "%s%s", i ? " " : "", json_string_value(e));
		tw_printf(w, 0, "]");
	} else {
		tw_printf(w, 0, "unknown");
	}
	tw_printf(w, 0, " delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld\n",
		  (long long)json_integer_value(json_object_get(p, "initialDelaySeconds")),
		  (long long)json_integer_value(json_object_get(p, "timeoutSeconds")),
		  (long long)json_integer_value(json_object_get(p, "periodSeconds")),
		  (long long)json_integer_value(json_object_get(p, "successThreshold")),
		  (long long)json_integer_value(json_object_get(p, "failureThreshold")));
}

static void describe_container(struct tw *w, json_t *c, json_t *st)
{
	char ports[512];
	json_t *env = json_object_get(c, "env"), *e;
	size_t i;

	tw_printf(w, 1, "%s:\n", jstr(c, "name"));
	if (st && jstr(st, "containerID"))
		tw_printf(w, 2, "Container ID:\t%s\n", jstr(st, "containerID"));
	tw_printf(w, 2, "Image:\t%s\n", jstr(c, "image") ? jstr(c, "image") : "");
	if (st && jstr(st, "imageID"))
		tw_printf(w, 2, "Image ID:\t%s\n", jstr(st, "imageID"));
	port_list(json_object_get(c, "ports"), "containerPort", ports, sizeof(ports));
	if (strchr(ports, ','))
		tw_printf(w, 2, "Ports:\t%s\n", ports);
	else
		tw_printf(w, 2, "Port:\t%s\n", ports[0] ? ports : "<none>");
	port_list(json_object_get(c, "ports"), "hostPort", ports, sizeof(ports));
	if (strchr(ports, ','))
		tw_printf(w, 2, "Host Ports:\t%s\n", ports);
	else
		tw_printf(w, 2, "Host Port:\t%s\n", ports[0] ? ports : "<none>");
	describe_lines(w, 2, "Command", json_object_get(c, "command"));
	describe_lines(w, 2, "Args", json_object_get(c, "args"));
	if (st) {
		json_t *last = json_object_get(st, "lastState");

		describe_state(w, "State", json_object_get(st, "state"));
		if (json_object_get(last, "terminated"))
			describe_state(w, "Last State", last);
		tw_printf(w, 2, "Ready:\t%s\n",
			  json_is_true(json_object_get(st, "ready")) ? "True" : "False");
		tw_printf(w, 2, "Restart Count:\t%d\n",
			  (int)json_integer_value(json_object_get(st, "restartCount")));
	}
	describe_probe(w, "Liveness", json_object_get(c, "livenessProbe"));
	describe_probe(w, "Readiness", json_object_get(c, "readinessProbe"));
	describe_probe(w, "Startup", json_object_get(c, "startupProbe"));
	tw_printf(w, 2, "Environment:%s\n", json_array_size(env) ? "" : "\t<none>");
	json_array_foreach(env, i, e) {
		const char *v = jstr(e, "value");

		tw_printf(w, 3, "%s:\t%s\n", jstr(e, "name"), v ? v : "");
	}
	/* podnet mounts no volumes into containers. */
	tw_printf(w, 2, "Mounts:\t<none>\n");
}

/*
 * podnet keeps no event log; what kubelet would have recorded is read back
 * from the containers' states: when each started, and the back-off it is in.
 */
struct event {
	const char *type, *reason;
	time_t when;
	size_t seq;     /* order of recording: ties keep it (qsort is not stable) */
	char msg[512];
	const char *from;
	int count;      /* > 1: "AGE (xN over FIRST)" */
	time_t first;
};

static void add_event(struct event *ev, size_t *n, size_t max, const char *type,
		      const char *reason, time_t when, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void add_event(struct event *ev, size_t *n, size_t max, const char *type,
		      const char *reason, time_t when, const char *fmt, ...)
{
	va_list ap;

	if (*n >= max || when == 0)
		return;
	ev[*n].type = type;
	ev[*n].reason = reason;
	ev[*n].when = when;
	ev[*n].seq = *n;
	ev[*n].from = "podnet-shim";
	ev[*n].count = 1;
	ev[*n].first = when;
	va_start(ap, fmt);
	vsnprintf(ev[*n].msg, sizeof(ev[*n].msg), fmt, ap);
	va_end(ap);
	(*n)++;
}

static int cmp_events(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->when != y->when)
		return (x->when > y->when) - (x->when < y->when);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * @recorded: what the shim recorded as kubelet would (events.json: probe
 * failures, probe kills), merged with what is read back from the states.
 */
static void describe_events(struct tw *w, json_t *pod, json_t *recorded, time_t now)
{
	json_t *meta = json_object_get(pod, "metadata");
	json_t *cst = json_object_get(json_object_get(pod, "status"), "containerStatuses"), *s;
	json_t *rec = json_object_get(recorded, "events");
	size_t n = 0, max = 4 * json_array_size(cst) + json_array_size(rec), i;
	struct event *ev = max ? calloc(max, sizeof(*ev)) : NULL;

	json_array_foreach(cst, i, s) {
		const char *name = jstr(s, "name"), *image = jstr(s, "image");
		json_t *state = json_object_get(s, "state");
		json_t *last = json_object_get(json_object_get(s, "lastState"), "terminated");
		json_t *run = json_object_get(state, "running");
		json_t *term = json_object_get(state, "terminated");
		json_t *wait = json_object_get(state, "waiting");
		const char *started = jstr(run ? run : term ? term : last, "startedAt");

		if (!ev)
			break;
		add_event(ev, &n, max, "Normal", "Pulled", parse_time(started),
			  "Container image \"%s\" already present on machine", image ? image : "");
		add_event(ev, &n, max, "Normal", "Started", parse_time(started), "Started container %s",
			  name);
		if (wait && jstr(wait, "reason") && !strcmp(jstr(wait, "reason"), "CrashLoopBackOff"))
			add_event(ev, &n, max, "Warning", "BackOff", parse_time(jstr(last, "finishedAt")),
				  "Back-off restarting failed container %s in pod %s_%s(%s)", name,
				  jstr(meta, "name"), jstr(meta, "namespace"), jstr(meta, "uid"));
		if (term && jstr(term, "reason") && !strcmp(jstr(term, "reason"), "StartError"))
			add_event(ev, &n, max, "Warning", "Failed", parse_time(jstr(term, "finishedAt")),
				  "Error: %s", jstr(term, "message") ? jstr(term, "message") : "");
	}
	json_array_foreach(rec, i, s) {
		size_t before = n;

		if (!ev)
			break;
		add_event(ev, &n, max, jstr(s, "type") ? jstr(s, "type") : "Normal",
			  jstr(s, "reason") ? jstr(s, "reason") : "", parse_time(jstr(s, "lastTimestamp")),
			  "%s", jstr(s, "message") ? jstr(s, "message") : "");
		if (n > before) {
			ev[before].from = "kubelet";
			ev[before].count = (int)json_integer_value(json_object_get(s, "count"));
			ev[before].first = parse_time(jstr(s, "firstTimestamp"));
		}
	}
	if (n == 0) {
		tw_printf(w, 0, "Events:\t<none>\n");
		free(ev);
		return;
	}
	qsort(ev, n, sizeof(*ev), cmp_events);
	tw_printf(w, 0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
	tw_printf(w, 1, "----\t------\t----\t----\t-------\n");
	for (i = 0; i < n; i++) {
		char age[OUTPUT_AGE_LEN], first[OUTPUT_AGE_LEN], col[3 * OUTPUT_AGE_LEN];

		format_age(ev[i].when, now, age);
		/* kubectl: "2m (x4 over 3m)" for an aggregated event */
		if (ev[i].count > 1)
			snprintf(col, sizeof(col), "%s (x%d over %s)", age, ev[i].count,
				 format_age(ev[i].first, now, first));
		else
			snprintf(col, sizeof(col), "%s", age);
		tw_printf(w, 1, "%s\t%s\t%s\t%s\t%s\n", ev[i].type, ev[i].reason, col, ev[i].from,
			  ev[i].msg);
	}
	free(ev);
}

static void describe_pod(struct tw *w, json_t *pod, json_t *recorded)
{
	json_t *meta = json_object_get(pod, "metadata"), *spec = json_object_get(pod, "spec");
	json_t *status = json_object_get(pod, "status"), *e;
	json_t *ips = json_object_get(status, "podIPs"), *conds = json_object_get(status, "conditions");
	const char *node = jstr(spec, "nodeName"), *host_ip = jstr(status, "hostIP");
	size_t i;
	char t[64];

	tw_printf(w, 0, "Name:\t%s\n", jstr(meta, "name"));
	tw_printf(w, 0, "Namespace:\t%s\n", jstr(meta, "namespace"));
	/* The API server's default priority; podnet has no priority classes
	 * and no service accounts, so those lines are left out. */
	tw_printf(w, 0, "Priority:\t0\n");
	if (node)
		tw_printf(w, 0, "Node:\t%s/%s\n", node, host_ip ? host_ip : "");
	else
		tw_printf(w, 0, "Node:\t<none>\n");
	if (jstr(status, "startTime"))
		tw_printf(w, 0, "Start Time:\t%s\n", rfc1123z(jstr(status, "startTime"), t));
	describe_map(w, "Labels", json_object_get(meta, "labels"), "=", false);
	describe_map(w, "Annotations", json_object_get(meta, "annotations"), ": ", true);
	tw_printf(w, 0, "Status:\t%s\n", jstr(status, "phase") ? jstr(status, "phase") : "Unknown");
	tw_printf(w, 0, "IP:\t%s\n", jstr(status, "podIP") ? jstr(status, "podIP") : "");
	if (json_array_size(ips) == 0) {
		tw_printf(w, 0, "IPs:\t<none>\n");
	} else {
		tw_printf(w, 0, "IPs:\n");
		json_array_foreach(ips, i, e)
			tw_printf(w, 1, "IP:\t%s\n", jstr(e, "ip"));
	}
	tw_printf(w, 0, "Containers:\n");
	json_array_foreach(json_object_get(spec, "containers"), i, e)
		describe_container(w, e,
				   status_of(json_object_get(status, "containerStatuses"), jstr(e, "name")));
	if (json_array_size(conds)) {
		tw_printf(w, 0, "Conditions:\n  Type\tStatus\n");
		json_array_foreach(conds, i, e)
			tw_printf(w, 1, "%s \t%s \n", jstr(e, "type"), jstr(e, "status"));
	}
	tw_printf(w, 0, "Volumes:\t<none>\n");
	tw_printf(w, 0, "QoS Class:\t%s\n",
		  jstr(status, "qosClass") ? jstr(status, "qosClass") : "BestEffort");
	describe_map(w, "Node-Selectors", json_object_get(spec, "nodeSelector"), "=", false);
	tw_printf(w, 0, "Tolerations:\t<none>\n");
	describe_events(w, pod, recorded, time(NULL));
}


/* ---- NetworkPolicy: describeNetworkPolicy, from the object's JSON */

/* FormatLabelSelector of a selector in JSON. */
static char *selector_text(json_t *sel)
{
	struct pn_netpol *np = NULL;
	json_t *j = json_pack("{s:s, s:s, s:{s:s}, s:{s:O}}", "apiVersion", "networking.k8s.io/v1", "kind",
			      "NetworkPolicy", "metadata", "name", "x", "spec", "podSelector", sel);
	char *t = NULL;

	if (j && netpol_from_json(j, &np, NULL) == 0)
		t = pn_selector_str(&np->pod_selector);
	pn_netpol_free(np);
	json_decref(j);
	return t ? t : strdup("<error>");
}

/* The rules of one direction (printNetworkPolicySpecIngressFrom/EgressTo). */
static void describe_np_rules(struct tw *w, json_t *rules, bool egress)
{
	const char *ind = "    ", *peers_key = egress ? "to" : "from";
	const char *peer_word = egress ? "To" : "From";
	size_t i, k, n = json_array_size(rules);
	json_t *r, *p;

	if (n == 0) {
		tw_printf(w, 0, "%s<none> (Selected pods are isolated for %s connectivity)\n", ind,
			  egress ? "egress" : "ingress");
		return;
	}
	json_array_foreach(rules, i, r) {
		json_t *ports = json_object_get(r, "ports"), *peers = json_object_get(r, peers_key);

		if (json_array_size(ports) == 0)
			tw_printf(w, 0, "%sTo Port: <any> (traffic allowed to all ports)\n", ind);
		json_array_foreach(ports, k, p) {
			json_t *port = json_object_get(p, "port"), *end = json_object_get(p, "endPort");
			const char *proto = jstr(p, "protocol") ? jstr(p, "protocol") : "TCP";
			char pbuf[64];

			/* IntOrString's String: a nil pointer prints "<nil>" */
			if (json_is_string(port))
				snprintf(pbuf, sizeof(pbuf), "%s", json_string_value(port));
			else if (json_is_integer(port))
				snprintf(pbuf, sizeof(pbuf), "%lld", (long long)json_integer_value(port));
			else
				snprintf(pbuf, sizeof(pbuf), "<nil>");
			if (json_is_integer(end))
				tw_printf(w, 0, "%sTo Port Range: %s-%lld/%s\n", ind, pbuf,
					  (long long)json_integer_value(end), proto);
			else
				tw_printf(w, 0, "%sTo Port: %s/%s\n", ind, pbuf, proto);
		}
		if (json_array_size(peers) == 0)
			tw_printf(w, 0, "%s%s: <any> (traffic not restricted by %s)\n", ind, peer_word,
				  egress ? "destination" : "source");
		json_array_foreach(peers, k, p) {
			json_t *pods = json_object_get(p, "podSelector"), *nss = json_object_get(p, "namespaceSelector");
			json_t *ib = json_object_get(p, "ipBlock");

			tw_printf(w, 0, "%s%s:\n", ind, peer_word);
			if (nss) {
				char *t = selector_text(nss);

				tw_printf(w, 1, "%sNamespaceSelector: %s\n", ind, t);
				free(t);
			}
			if (pods) {
				char *t = selector_text(pods);

				tw_printf(w, 1, "%sPodSelector: %s\n", ind, t);
				free(t);
			}
			if (!pods && !nss && ib) {
				json_t *e;
				size_t x;

				tw_printf(w, 1, "%sIPBlock:\n", ind);
				tw_printf(w, 2, "%sCIDR: %s\n", ind, jstr(ib, "cidr") ? jstr(ib, "cidr") : "");
				tw_printf(w, 2, "%sExcept: ", ind);
				json_array_foreach(json_object_get(ib, "except"), x, e)
					tw_printf(w, 0, "%s%s", x ? ", " : "", json_string_value(e));
				tw_printf(w, 0, "\n");
			}
		}
		if (i + 1 != n)
			tw_printf(w, 0, "%s----------\n", ind);
	}
}

static void describe_netpol(struct tw *w, json_t *np)
{
	json_t *meta = json_object_get(np, "metadata"), *spec = json_object_get(np, "spec"), *t;
	time_t created = parse_time(jstr(meta, "creationTimestamp"));
	bool in = false, eg = false;
	char when[80], *sel;
	struct tm tm;
	size_t i;

	tw_printf(w, 0, "Name:\t%s\n", jstr(meta, "name"));
	tw_printf(w, 0, "Namespace:\t%s\n", jstr(meta, "namespace"));
	/* metav1.Time printed with %s: Go's Time.String in local time */
	localtime_r(&created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	tw_printf(w, 0, "Created on:\t%s\n", when);
	describe_map(w, "Labels", json_object_get(meta, "labels"), "=", false);
	describe_map(w, "Annotations", json_object_get(meta, "annotations"), ": ", true);
	tw_printf(w, 0, "Spec:\n");
	tw_printf(w, 1, "PodSelector: ");
	sel = selector_text(json_object_get(spec, "podSelector"));
	if (!strcmp(sel, "<none>"))
		tw_printf(w, 2, "<none> (Allowing the specific traffic to all pods in this namespace)\n");
	else
		tw_printf(w, 2, "%s\n", sel);
	free(sel);
	json_array_foreach(json_object_get(spec, "policyTypes"), i, t) {
		in |= !strcmp(json_string_value(t) ?: "", "Ingress");
		eg |= !strcmp(json_string_value(t) ?: "", "Egress");
	}
	if (in) {
		tw_printf(w, 1, "Allowing ingress traffic:\n");
		describe_np_rules(w, json_object_get(spec, "ingress"), false);
	} else {
		tw_printf(w, 1, "Not affecting ingress traffic\n");
	}
	if (eg) {
		tw_printf(w, 1, "Allowing egress traffic:\n");
		describe_np_rules(w, json_object_get(spec, "egress"), true);
	} else {
		tw_printf(w, 1, "Not affecting egress traffic\n");
	}
	tw_printf(w, 1, "Policy Types: ");
	if (json_array_size(json_object_get(spec, "policyTypes")) == 0)
		tw_printf(w, 0, "<none>");
	json_array_foreach(json_object_get(spec, "policyTypes"), i, t)
		tw_printf(w, 0, "%s%s", i ? ", " : "", json_string_value(t));
	tw_printf(w, 0, "\n");
}

static int describe_np_one(const struct store_netpol *row, bool first)
{
	struct tw w = { 0 };
	json_t *j = json_loads(row->spec_json, 0, NULL);
	int rc = 1;

	if (!j || tw_open(&w) < 0) {
		cmd_errorf("networkpolicy %s: stored object unreadable", row->name);
		goto out;
	}
	describe_netpol(&w, j);
	rc = tw_emit(&w, first) < 0;
out:
	tw_close(&w);
	json_decref(j);
	return rc;
}

/* @name NULL: every policy of @ns. */
int cmd_describe_netpol(struct podrt *rt, const char *ns, const char *name)
{
	struct store_netpol *rows = NULL, *one = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	int rc = 0;

	if (name) {
		if (store_netpol_get(rt->st, ns, name, &one, &err) < 0) {
			fprintf(stderr, "Error from server (NotFound): networkpolicies.networking.k8s.io \"%s\" not found\n",
				name);
			rc = 1;
		} else {
			rc = describe_np_one(one, true);
		}
		store_netpol_free(one);
		pn_err_free(&err);
		return rc;
	}
	if (store_netpol_list(rt->st, ns, &rows, &n, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	if (n == 0)
		fprintf(stderr, "No resources found in %s namespace.\n", ns);
	for (size_t i = 0; i < n; i++)
		rc |= describe_np_one(&rows[i], i == 0);
	store_netpol_array_free(rows, n);
	return rc;
}

/* Describe one pod row to stdout; kubectl separates pods by a blank line. */
static int describe_one(struct podrt *rt, const struct store_pod *sp, bool first)
{
	struct podrt_view v;
	struct pn_err err = { 0 };
	struct tw w = { 0 };
	json_t *j = NULL;
	int rc = 1;

	if (podrt_view_get(rt, sp, &v, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	j = podrt_view_to_json(&v);
	if (!j || tw_open(&w) < 0) {
		cmd_errorf("out of memory");
		goto out;
	}
	{
		char path[4200];
		json_t *rec;

		snprintf(path, sizeof(path), "%s/events.json", v.pod_dir);
		rec = json_load_file(path, 0, NULL);
		describe_pod(&w, j, rec);
		json_decref(rec);
	}
	rc = tw_emit(&w, first) < 0;
out:
	tw_close(&w);
	json_decref(j);
	podrt_view_free(&v);
	pn_err_free(&err);
	return rc;
}

/*
 * kubectl describe service (describeService): the Service's fields, then
 * per port its EndpointSlice addresses (formatEndpointSlices: ready
 * endpoints only, "ip:port", three then " + N more...", "<none>" when the
 * Service has no slice at all).
 */
static void describe_slices_for(struct tw *w, const struct ep_slice *sl, size_t ns, const char *pname)
{
	size_t count = 0, listed = 0;
	bool more = false;

	tw_printf(w, 0, "Endpoints:\t");
	if (ns == 0) {
		tw_printf(w, 0, "<none>\n");
		return;
	}
	for (size_t i = 0; i < ns; i++)
		for (size_t p = 0; p < sl[i].n_ports; p++) {
			if (strcmp(sl[i].ports[p].name, pname ? pname : "") != 0)
				continue;
			for (size_t e = 0; e < sl[i].n_eps; e++) {
				if (listed == 3)
					more = true;
				if (!sl[i].eps[e].ready)
					continue;
				if (!more) {
					tw_printf(w, 0, "%s%s:%d", listed ? "," : "", sl[i].eps[e].ip,
						  sl[i].ports[p].port);
					listed++;
				}
				count++;
			}
		}
	if (more)
		tw_printf(w, 0, " + %zu more...", count - 3);
	tw_printf(w, 0, "\n");
}

static void describe_service(struct tw *w, const struct pn_service *s, json_t *j,
			     const struct ep_slice *sl, size_t ns)
{
	json_t *meta = json_object_get(j, "metadata");
	size_t i;

	tw_printf(w, 0, "Name:\t%s\n", s->meta.name);
	tw_printf(w, 0, "Namespace:\t%s\n", s->meta.namespace_);
	describe_map(w, "Labels", json_object_get(meta, "labels"), "=", false);
	describe_map(w, "Annotations", json_object_get(meta, "annotations"), ": ", true);
	tw_printf(w, 0, "Selector:\t");
	for (i = 0; i < s->selector.n; i++)
		tw_printf(w, 0, "%s%s=%s", i ? "," : "", s->selector.items[i].key,
			  s->selector.items[i].value);
	tw_printf(w, 0, "%s\n", s->selector.n ? "" : "<none>");
	tw_printf(w, 0, "Type:\t%s\n", pn_svc_type_str(s->type));
	if (s->type != PN_SVC_EXTERNAL_NAME) {
		tw_printf(w, 0, "IP Family Policy:\tSingleStack\n");
		tw_printf(w, 0, "IP Families:\tIPv4\n");
	} else {
		tw_printf(w, 0, "IP Families:\t<none>\n");
	}
	tw_printf(w, 0, "IP:\t%s\n", s->cluster_ip && s->type != PN_SVC_EXTERNAL_NAME ? s->cluster_ip : "");
	tw_printf(w, 0, "IPs:\t%s\n",
		  s->cluster_ip && s->type != PN_SVC_EXTERNAL_NAME ? s->cluster_ip : "<none>");
	if (s->type == PN_SVC_EXTERNAL_NAME)
		tw_printf(w, 0, "External Name:\t%s\n", s->external_name ? s->external_name : "");
	for (i = 0; i < s->n_ports; i++) {
		const struct pn_svc_port *p = &s->ports[i];
		const char *name = p->name && *p->name ? p->name : "<unset>";

		tw_printf(w, 0, "Port:\t%s\t%d/%s\n", name, p->port, p->protocol);
		if (p->target_port_name)
			tw_printf(w, 0, "TargetPort:\t%s/%s\n", p->target_port_name, p->protocol);
		else
			tw_printf(w, 0, "TargetPort:\t%d/%s\n", p->target_port, p->protocol);
		if (p->node_port)
			tw_printf(w, 0, "NodePort:\t%s\t%d/%s\n", name, p->node_port, p->protocol);
		describe_slices_for(w, sl, ns, p->name);
	}
	tw_printf(w, 0, "Session Affinity:\t%s\n", s->affinity_client_ip ? "ClientIP" : "None");
	if (s->type == PN_SVC_NODE_PORT)
		tw_printf(w, 0, "External Traffic Policy:\t%s\n", s->external_local ? "Local" : "Cluster");
	if (s->type != PN_SVC_EXTERNAL_NAME)
		tw_printf(w, 0, "Internal Traffic Policy:\t%s\n", s->internal_local ? "Local" : "Cluster");
	tw_printf(w, 0, "Events:\t<none>\n");
}

static int describe_services(struct podrt *rt, const char *ns, char **names, size_t nn)
{
	struct pn_service **svcs = NULL;
	struct ep_podset pods = { 0 };
	struct pn_err err = { 0 };
	size_t n = 0, shown = 0;
	int rc = 0;

	if (svcrt_list(rt->st, ns, &svcs, &n, &err) < 0 || endpoints_pods_load(rt->st, rt->root, false, &pods, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		svcrt_array_free(svcs, n);
		return 1;
	}
	for (size_t k = 0; k < nn; k++) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			found |= !strcmp(svcs[i]->meta.name, names[k]);
		if (!found) {
			fprintf(stderr, "Error from server (NotFound): services \"%s\" not found\n", names[k]);
			rc = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct ep_slice *sl = NULL;
		size_t nsl = 0;
		struct tw w = { 0 };
		json_t *j = NULL;
		bool want = nn == 0;

		for (size_t k = 0; k < nn; k++)
			want |= !strcmp(svcs[i]->meta.name, names[k]);
		if (!want)
			continue;
		if (endpoints_compute(svcs[i], pods.pods, pods.n, &sl, &nsl, &err) < 0 ||
		    !(j = service_to_json(svcs[i])) || tw_open(&w) < 0) {
			cmd_errorf("%s", err.msg ? pn_err_msg(&err) : "out of memory");
			pn_err_free(&err);
			ep_slices_free(sl, nsl);
			json_decref(j);
			rc = 1;
			continue;
		}
		describe_service(&w, svcs[i], j, sl, nsl);
		if (tw_put(&w, shown++ == 0) < 0)
			rc = 1;
		json_decref(j);
		ep_slices_free(sl, nsl);
	}
	if (n == 0 && nn == 0)
		fprintf(stderr, "No resources found in %s namespace.\n", ns);
	endpoints_pods_free(&pods);
	svcrt_array_free(svcs, n);
	return rc;
}

int cmd_describe(int argc, char **argv)
{
	struct get_opts o = { .ns = "default" };
	struct flag flags[] = {
		FLAG_DEF("namespace", 'n', FLAG_STRING, &o.ns),
		FLAG_DEF("all-namespaces", 'A', FLAG_BOOL, &o.all_ns),
		FLAG_DEF("selector", 'l', FLAG_STRING, &o.selector),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct cmd_targets tg = { 0 };
	struct podrt rt;
	struct pn_err err = { 0 };
	struct store_pod *pods = NULL;
	size_t n = 0, named = 0;
	bool first = true, opened = false, all = false, netpol = false, svc = false;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		goto out;
	if (a.n == 0) {
		cmd_errorf("You must specify the type of resource to describe. Valid resource types: pods, services, networkpolicies.");
		goto out;
	}
	if (cmd_targets_parse("describe", a.v, a.n, &tg) < 0)
		goto out;
	for (size_t i = 0; i < tg.n; i++) {
		if (tg.v[i].type->rt == CMD_RT_NETPOL) {
			netpol = true;
		} else if (tg.v[i].type->rt == CMD_RT_SERVICE) {
			svc = true;
		} else if (tg.v[i].type->rt != CMD_RT_POD) {
			cmd_errorf("podnet describe shows pods, services and networkpolicies; for %s use \"podnet get %s -o yaml\"",
				   tg.v[i].type->resource, tg.v[i].type->resource);
			goto out;
		}
		named += tg.v[i].name != NULL;
		all |= tg.v[i].name == NULL;
	}
	if (named && o.selector) {
		cmd_errorf("name cannot be provided when a selector is specified");
		goto out;
	}
	if (named && o.all_ns) {
		/* kubectl's resource builder refuses it too. */
		cmd_errorf("a resource cannot be retrieved by name across all namespaces");
		goto out;
	}
	if (cmd_selector_parse(tg.v[0].type, o.selector, &o.sel) < 0)
		goto out;
	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out;
	opened = true;
	if (svc) {
		/* Services: by name, or every one of the namespace. */
		char **names = calloc(tg.n + 1, sizeof(*names));
		size_t nn = 0;

		if (!names)
			goto out;
		for (size_t i = 0; i < tg.n; i++)
			if (tg.v[i].type->rt == CMD_RT_SERVICE && tg.v[i].name)
				names[nn++] = (char *)tg.v[i].name;
		rc = describe_services(&rt, o.ns, names, nn);
		free(names);
		goto out;
	}
	if (netpol) {
		/* NetworkPolicies: by name, or every one of the namespace. */
		rc = 0;
		for (size_t i = 0; i < tg.n; i++) {
			if (tg.v[i].type->rt != CMD_RT_NETPOL)
				continue;
			rc |= cmd_describe_netpol(&rt, o.ns, tg.v[i].name);
		}
		goto out;
	}
	rc = 0;
	/* Without a name, every pod of the namespace (that the selector picks). */
	if (all) {
		size_t shown = 0;

		if (store_pod_list(rt.st, o.all_ns ? NULL : o.ns, &pods, &n, &err) < 0) {
			cmd_error(&err);
			rc = 1;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *spec = pods[i].spec_json ? json_loads(pods[i].spec_json, 0, NULL) : NULL;
			bool match = cmd_labels_match(o.sel, json_object_get(json_object_get(spec, "metadata"),
									     "labels"));

			json_decref(spec);
			if (!match)
				continue;
			rc |= describe_one(&rt, &pods[i], first);
			first = false;
			shown++;
		}
		if (shown == 0) {
			if (o.all_ns)
				fprintf(stderr, "No resources found\n");
			else
				fprintf(stderr, "No resources found in %s namespace.\n", o.ns);
		}
	}
	for (size_t i = 0; i < tg.n; i++) {
		struct store_pod *sp = NULL;

		if (!tg.v[i].name)
			continue;
		if (store_pod_get_by_name(rt.st, o.ns, tg.v[i].name, &sp, &err) < 0) {
			fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", tg.v[i].name);
			pn_err_free(&err);
			rc = 1;
			continue;
		}
		rc |= describe_one(&rt, sp, first);
		first = false;
		store_pod_free(sp);
	}
out:
	if (opened)
		podrt_close(&rt);
	store_pod_array_free(pods, n);
	labelsel_free(o.sel);
	pn_err_free(&err);
	cmd_targets_free(&tg);
	flag_args_free(&a);
	return rc;
}
