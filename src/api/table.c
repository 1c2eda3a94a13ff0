/* SPDX-License-Identifier: Apache-2.0 */
#include "table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

struct column {
	const char *name;
	const char *type;
	const char *format;
	int priority;
	const char *description;
};

/* Column descriptions are podnet's own words for what each cell shows. */
static const struct column pod_cols[] = {
	{ "Name", "string", "name", 0, "The pod's name, unique within its namespace." },
	{ "Ready", "string", "", 0, "Containers ready out of the pod's containers." },
	{ "Status", "string", "", 0, "The pod's phase, or why a container is not running." },
	{ "Restarts", "string", "", 0,
	  "Container restarts in the pod, and how long ago the last one ended." },
	{ "Age", "string", "", 0, "Time since the pod was created." },
	{ "IP", "string", "", 1, "The pod's first IP address." },
	{ "Node", "string", "", 1, "The node the pod runs on." },
	{ "Nominated Node", "string", "", 1, "A node the scheduler nominated for the pod." },
	{ "Readiness Gates", "string", "", 1, "Readiness gates met out of those declared." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column ns_cols[] = {
	{ "Name", "string", "name", 0, "The namespace's name." },
	{ "Status", "string", "", 0, "Active, or Terminating while its objects are removed." },
	{ "Age", "string", "", 0, "Time since the namespace was created." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column node_cols[] = {
	{ "Name", "string", "name", 0, "The node's name." },
	{ "Status", "string", "", 0, "Ready when the node runs pods." },
	{ "Roles", "string", "", 0, "Roles from the node's node-role.kubernetes.io labels." },
	{ "Age", "string", "", 0, "Time since the node registered." },
	{ "Version", "string", "", 0, "The node agent's version." },
	{ "Internal-IP", "string", "", 1, "The node's address inside the cluster." },
	{ "External-IP", "string", "", 1, "The node's address outside the cluster." },
	{ "OS-Image", "string", "", 1, "The operating system's name (os-release)." },
	{ "Kernel-Version", "string", "", 1, "The kernel's release (uname -r)." },
	{ "Container-Runtime", "string", "", 1, "The container runtime and its version." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column event_cols[] = {
	{ "Last Seen", "string", "", 0, "Time since the event was last seen." },
	{ "Type", "string", "", 0, "Normal or Warning." },
	{ "Reason", "string", "", 0, "Why the event happened, in one word." },
	{ "Object", "string", "", 0, "The object the event is about." },
	{ "Subobject", "string", "", 1, "The part of the object (a container) it is about." },
	{ "Source", "string", "", 1, "The component that reported it, and its host." },
	{ "Message", "string", "", 0, "What happened." },
	{ "First Seen", "string", "", 1, "Time since the event was first seen." },
	{ "Count", "string", "", 1, "How many times it was seen." },
	{ "Name", "string", "name", 1, "The event's name." },
	{ NULL, NULL, NULL, 0, NULL },
};

/* kubectl's printers for these three (pkg/printers/internalversion):
 * the same columns, podnet's words. */
static const struct column svc_cols[] = {
	{ "Name", "string", "name", 0, "The Service's name." },
	{ "Type", "string", "", 0, "ClusterIP, NodePort or ExternalName." },
	{ "Cluster-IP", "string", "", 0, "The virtual address clients connect to." },
	{ "External-IP", "string", "", 0, "Addresses outside the cluster (ExternalName's name)." },
	{ "Port(s)", "string", "", 0, "Service ports, with the node port of a NodePort Service." },
	{ "Age", "string", "", 0, "Time since the Service was created." },
	{ "Selector", "string", "", 1, "The labels of the pods that back the Service." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column netpol_cols[] = {
	{ "Name", "string", "name", 0, "The NetworkPolicy's name." },
	{ "Pod-Selector", "string", "", 0, "The pods of its namespace the policy isolates." },
	{ "Age", "string", "", 0, "Time since the policy was created." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column slice_cols[] = {
	{ "Name", "string", "name", 0, "The EndpointSlice's name." },
	{ "AddressType", "string", "", 0, "IPv4 or IPv6." },
	{ "Ports", "string", "", 0, "The ports of the endpoints." },
	{ "Endpoints", "string", "", 0, "The first three addresses, and how many more." },
	{ "Age", "string", "", 0, "Time since the slice was created." },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct column *columns_of(enum api_kind k)
{
	switch (k) {
	case API_PODS: return pod_cols;
	case API_NAMESPACES: return ns_cols;
	case API_NODES: return node_cols;
	case API_EVENTS: return event_cols;
	case API_SERVICES: return svc_cols;
	case API_NETPOLS: return netpol_cols;
	case API_ENDPOINTSLICES: return slice_cols;
	default: return NULL;
	}
}

bool table_wanted(const char *accept)
{
	/* "application/json;as=Table;v=v1;g=meta.k8s.io, application/json":
	 * the first media type that is a Table wins (the parameters' order
	 * varies between clients). */
	const char *p = accept;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char one[256];

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			for (char *c = one; *c; c++)
				if (*c == ' ')
					memmove(c, c + 1, strlen(c));
			if (strstr(one, "as=Table") && strstr(one, "g=meta.k8s.io") &&
			    (!strncmp(one, "application/json", 16)))
				return true;
			/* The first acceptable non-Table type ends the search. */
			if (!strncmp(one, "application/json", 16) && !strstr(one, "as="))
				return false;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

int table_parse_include(const char *s)
{
	if (!s || !*s || !strcmp(s, "Metadata"))
		return TABLE_INCLUDE_METADATA;
	if (!strcmp(s, "None"))
		return TABLE_INCLUDE_NONE;
	if (!strcmp(s, "Object"))
		return TABLE_INCLUDE_OBJECT;
	return -1;
}

void table_human_duration(long long s, char *buf, size_t n)
{
	long long m, h;

	/* Allow a second of clock skew either way, as Go's does. */
	if (s < -1) {
		snprintf(buf, n, "<invalid>");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 120) {
		snprintf(buf, n, "%llds", s);
		return;
	}
	m = s / 60;
	if (m < 10) {
		if (s % 60)
			snprintf(buf, n, "%lldm%llds", m, s % 60);
		else
			snprintf(buf, n, "%lldm", m);
		return;
	}
	if (m < 180) {
		snprintf(buf, n, "%lldm", m);
		return;
	}
	h = s / 3600;
	if (h < 8) {
		if (m % 60)
			snprintf(buf, n, "%lldh%lldm", h, m % 60);
		else
			snprintf(buf, n, "%lldh", h);
	} else if (h < 48) {
		snprintf(buf, n, "%lldh", h);
	} else if (h < 24 * 8) {
		if (h % 24)
			snprintf(buf, n, "%lldd%lldh", h / 24, h % 24);
		else
			snprintf(buf, n, "%lldd", h / 24);
	} else if (h < 24 * 365 * 2) {
		snprintf(buf, n, "%lldd", h / 24);
	} else if (h < 24 * 365 * 8) {
		long long d = (h / 24) % 365;

		if (d)
			snprintf(buf, n, "%lldy%lldd", h / 24 / 365, d);
		else
			snprintf(buf, n, "%lldy", h / 24 / 365);
	} else {
		snprintf(buf, n, "%lldy", h / 24 / 365);
	}
}

static time_t parse_time(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !*s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

void table_age(const char *ts, time_t now, char *buf, size_t n)
{
	time_t t = parse_time(ts);

	if (!t) {
		snprintf(buf, n, "<unknown>");
		return;
	}
	table_human_duration((long long)(now - t), buf, n);
}

static const char *jstr(json_t *o, const char *path)
{
	/* "a.b.c" */
	char key[64];
	const char *p = path;

	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		p = dot ? dot + 1 : p + n;
	}
	return json_string_value(o);
}

static const char *or_none(const char *s)
{
	return s && *s ? s : "<none>";
}

/* A JSON string: quotes, backslashes and control characters escaped
 * (the rest, UTF-8 included, as is: RFC 8259 allows it). */
static void json_str_text(struct pn_buf *b, const char *s)
{
	pn_buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			pn_buf_putc(b, '\\');
			pn_buf_putc(b, (char)ch);
		} else if (ch < 0x20) {
			pn_buf_printf(b, "\\u%04x", ch);
		} else {
			/* runs of plain bytes in one append */
			size_t n = strcspn(p, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
					   "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
					   "\x1b\x1c\x1d\x1e\x1f");

			pn_buf_add(b, p, n);
			p += n - 1;
		}
	}
	pn_buf_putc(b, '"');
}

static void strings_text(struct pn_buf *b, const char *const *v, size_t n)
{
	pn_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			pn_buf_putc(b, ',');
		json_str_text(b, v[i]);
	}
	pn_buf_putc(b, ']');
}

/* The cells of a pod: a JSON array, or with @text its text appended there. */
static json_t *pod_cells(json_t *pod, time_t now, json_t **conditions, struct pn_buf *text)
{
	json_t *status = json_object_get(pod, "status"), *cs, *c, *spec = json_object_get(pod, "spec");
	const char *phase = jstr(status, "phase"), *sr = jstr(status, "reason");
	char reason[128], restarts_s[64], age[32], last_age[32];
	int restarts = 0, ready = 0, total = (int)json_array_size(json_object_get(spec, "containers"));
	time_t last_restart = 0;
	bool has_running = false;
	size_t i;
	const char *ip = NULL;

	snprintf(reason, sizeof(reason), "%s", sr && *sr ? sr : (phase ? phase : ""));
	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		if (!strcmp(jstr(c, "type") ?: "", "PodScheduled") &&
		    !strcmp(jstr(c, "reason") ?: "", "SchedulingGated"))
			snprintf(reason, sizeof(reason), "SchedulingGated");
	}
	*conditions = NULL;
	if (phase && !strcmp(phase, "Succeeded"))
		*conditions = json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status", "True",
					"reason", "", "message", "The pod has completed successfully.");
	else if (phase && !strcmp(phase, "Failed"))
		*conditions = json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status", "True",
					"reason", "", "message", "The pod has failed.");

	/* Containers from the last: the first container's state wins. */
	cs = json_object_get(status, "containerStatuses");
	for (i = json_array_size(cs); i-- > 0;) {
		json_t *st, *last;
		const char *w, *tr;

		c = json_array_get(cs, i);
		restarts += (int)json_integer_value(json_object_get(c, "restartCount"));
		last = json_object_get(json_object_get(c, "lastState"), "terminated");
		if (last) {
			time_t t = parse_time(jstr(last, "finishedAt"));

			if (t > last_restart)
				last_restart = t;
		}
		st = json_object_get(c, "state");
		w = jstr(st, "waiting.reason");
		tr = jstr(st, "terminated.reason");
		if (w && *w) {
			snprintf(reason, sizeof(reason), "%s", w);
		} else if (tr && *tr) {
			snprintf(reason, sizeof(reason), "%s", tr);
		} else if (json_object_get(st, "terminated")) {
			json_t *t = json_object_get(st, "terminated");
			long long sig = json_integer_value(json_object_get(t, "signal"));

			if (sig)
				snprintf(reason, sizeof(reason), "Signal:%lld", sig);
			else
				snprintf(reason, sizeof(reason), "ExitCode:%lld",
					 json_integer_value(json_object_get(t, "exitCode")));
		} else if (json_is_true(json_object_get(c, "ready")) && json_object_get(st, "running")) {
			has_running = true;
			ready++;
		}
	}
	if (!strcmp(reason, "Completed") && has_running) {
		bool pod_ready = false;

		json_array_foreach(json_object_get(status, "conditions"), i, c)
			if (!strcmp(jstr(c, "type") ?: "", "Ready") &&
			    !strcmp(jstr(c, "status") ?: "", "True"))
				pod_ready = true;
		snprintf(reason, sizeof(reason), "%s", pod_ready ? "Running" : "NotReady");
	}
	if (jstr(pod, "metadata.deletionTimestamp")) {
		if (sr && !strcmp(sr, "NodeLost"))
			snprintf(reason, sizeof(reason), "Unknown");
		else if (!phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed")))
			snprintf(reason, sizeof(reason), "Terminating");
	}
	if (restarts && last_restart) {
		table_human_duration((long long)(now - last_restart), last_age, sizeof(last_age));
		snprintf(restarts_s, sizeof(restarts_s), "%d (%s ago)", restarts, last_age);
	} else {
		snprintf(restarts_s, sizeof(restarts_s), "%d", restarts);
	}
	table_age(jstr(pod, "metadata.creationTimestamp"), now, age, sizeof(age));
	{
		json_t *ips = json_object_get(status, "podIPs");

		if (json_array_size(ips))
			ip = jstr(json_array_get(ips, 0), "ip");
	}
	{
		char rd[32];
		json_t *gates = json_object_get(spec, "readinessGates");
		char gates_s[32] = "<none>";

		if (json_array_size(gates)) {
			/* podnet sets no readiness gate conditions itself. */
			snprintf(gates_s, sizeof(gates_s), "0/%zu", json_array_size(gates));
		}
		snprintf(rd, sizeof(rd), "%d/%d", ready, total);
		if (text) {
			const char *v[] = { jstr(pod, "metadata.name") ?: "", rd, reason, restarts_s, age,
					    or_none(ip), or_none(jstr(spec, "nodeName")),
					    or_none(jstr(status, "nominatedNodeName")), gates_s };

			strings_text(text, v, PN_ARRAY_SIZE(v));
			return NULL;
		}
		return json_pack("[s, s, s, s, s, s, s, s, s]", jstr(pod, "metadata.name") ?: "", rd, reason, restarts_s,
				 age, or_none(ip), or_none(jstr(spec, "nodeName")),
				 or_none(jstr(status, "nominatedNodeName")), gates_s);
	}
}

static json_t *ns_cells(json_t *ns, time_t now)
{
	char age[32];

	table_age(jstr(ns, "metadata.creationTimestamp"), now, age, sizeof(age));
	return json_pack("[s, s, s]", jstr(ns, "metadata.name") ?: "",
			 jstr(ns, "status.phase") ?: "", age);
}

static json_t *node_cells(json_t *node, time_t now)
{
	json_t *status = json_object_get(node, "status"), *c, *labels;
	const char *internal = NULL, *external = NULL, *k;
	char st[64] = "Unknown", roles[256] = "", age[32];
	size_t i;

	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		if (strcmp(jstr(c, "type") ?: "", "Ready"))
			continue;
		snprintf(st, sizeof(st), "%s",
			 !strcmp(jstr(c, "status") ?: "", "True") ? "Ready" : "NotReady");
	}
	if (json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable")))
		strncat(st, ",SchedulingDisabled", sizeof(st) - strlen(st) - 1);
	json_array_foreach(json_object_get(status, "addresses"), i, c) {
		const char *t = jstr(c, "type") ?: "";

		if (!strcmp(t, "InternalIP") && !internal)
			internal = jstr(c, "address");
		else if (!strcmp(t, "ExternalIP") && !external)
			external = jstr(c, "address");
	}
	/* Roles: node-role.kubernetes.io/<role> keys and the kubernetes.io/role
	 * value, sorted, comma-separated. */
	labels = json_object_get(json_object_get(node, "metadata"), "labels");
	{
		const char *rl[16];
		size_t n = 0;
		json_t *v;

		json_object_foreach(labels, k, v) {
			const char *r = NULL;

			if (!strncmp(k, "node-role.kubernetes.io/", 24) && k[24])
				r = k + 24;
			else if (!strcmp(k, "kubernetes.io/role"))
				r = json_string_value(v);
			if (r && *r && n < 16)
				rl[n++] = r;
		}
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n; b++)
				if (strcmp(rl[b], rl[a]) < 0) {
					const char *t = rl[a];

					rl[a] = rl[b];
					rl[b] = t;
				}
		for (size_t a = 0; a < n; a++) {
			if (a && !strcmp(rl[a], rl[a - 1]))
				continue;
			if (*roles)
				strncat(roles, ",", sizeof(roles) - strlen(roles) - 1);
			strncat(roles, rl[a], sizeof(roles) - strlen(roles) - 1);
		}
	}
	table_age(jstr(node, "metadata.creationTimestamp"), now, age, sizeof(age));
	return json_pack("[s, s, s, s, s, s, s, s, s, s]", jstr(node, "metadata.name") ?: "", st,
			 or_none(roles), age, jstr(status, "nodeInfo.kubeletVersion") ?: "",
			 or_none(internal), or_none(external),
			 jstr(status, "nodeInfo.osImage") ?: "",
			 jstr(status, "nodeInfo.kernelVersion") ?: "",
			 jstr(status, "nodeInfo.containerRuntimeVersion") ?: "");
}

static json_t *event_cells(json_t *ev, time_t now)
{
	const char *first = jstr(ev, "firstTimestamp"), *last = jstr(ev, "lastTimestamp");
	const char *kind = jstr(ev, "involvedObject.kind") ?: "";
	const char *name = jstr(ev, "involvedObject.name");
	const char *comp = jstr(ev, "source.component"), *host = jstr(ev, "source.host");
	char first_s[32], last_s[32], target[512], source[256], lower[64], *msg;
	json_int_t count = json_integer_value(json_object_get(ev, "count"));
	json_t *cells;
	size_t i;

	if (first && *first)
		table_age(first, now, first_s, sizeof(first_s));
	else
		table_age(jstr(ev, "eventTime"), now, first_s, sizeof(first_s));
	if (last && *last)
		table_age(last, now, last_s, sizeof(last_s));
	else
		snprintf(last_s, sizeof(last_s), "%s", first_s);
	if (count == 0)
		count = 1;
	for (i = 0; kind[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)kind[i]);
	lower[i] = '\0';
	if (name && *name)
		snprintf(target, sizeof(target), "%s/%s", lower, name);
	else
		snprintf(target, sizeof(target), "%s", lower);
	if (!comp || !*comp)
		comp = jstr(ev, "reportingComponent") ?: "";
	if (host && *host)
		snprintf(source, sizeof(source), "%s, %s", comp, host);
	else
		snprintf(source, sizeof(source), "%s", comp);
	/* strings.TrimSpace of the message */
	{
		const char *m = jstr(ev, "message") ?: "";
		size_t n;

		while (isspace((unsigned char)*m))
			m++;
		n = strlen(m);
		while (n && isspace((unsigned char)m[n - 1]))
			n--;
		msg = strndup(m, n);
	}
	cells = json_pack("[s, s, s, s, s, s, s, s, I, s]", last_s, jstr(ev, "type") ?: "",
			  jstr(ev, "reason") ?: "", target, jstr(ev, "involvedObject.fieldPath") ?: "",
			  source, msg ? msg : "", first_s, (json_int_t)count,
			  jstr(ev, "metadata.name") ?: "");
	free(msg);
	return cells;
}

/* "k=v,k2=v2" sorted, as labels.FormatLabels; "<none>" when empty. */
static void map_text(json_t *m, char *buf, size_t n)
{
	const char *keys[64];
	size_t nk = 0, len = 0;
	const char *k;
	json_t *v;

	json_object_foreach(m, k, v)
		if (nk < PN_ARRAY_SIZE(keys))
			keys[nk++] = k;
	for (size_t a = 0; a < nk; a++)
		for (size_t b = a + 1; b < nk; b++)
			if (strcmp(keys[b], keys[a]) < 0) {
				const char *t = keys[a];

				keys[a] = keys[b];
				keys[b] = t;
			}
	buf[0] = '\0';
	for (size_t i = 0; i < nk && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", i ? "," : "", keys[i],
					json_string_value(json_object_get(m, keys[i])) ?: "");
	if (!nk)
		snprintf(buf, n, "<none>");
}

static json_t *svc_cells(json_t *svc, time_t now)
{
	json_t *spec = json_object_get(svc, "spec"), *p;
	const char *type = jstr(spec, "type") ?: "ClusterIP";
	const char *cip = jstr(spec, "clusterIP");
	char ports[512] = "", ext[256] = "<none>", sel[512], age[32];
	size_t i, len = 0;

	/* kubectl: ExternalName shows its name as the external IP; a
	 * LoadBalancer (never stored here) would show <pending>. */
	if (!strcmp(type, "ExternalName"))
		snprintf(ext, sizeof(ext), "%s", jstr(spec, "externalName") ?: "<none>");
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		json_int_t port = json_integer_value(json_object_get(p, "port"));
		json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
		const char *proto = jstr(p, "protocol") ?: "TCP";

		if (len >= sizeof(ports))
			break;
		if (np)
			len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%lld:%lld/%s",
						i ? "," : "", (long long)port, (long long)np, proto);
		else
			len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%lld/%s",
						i ? "," : "", (long long)port, proto);
	}
	map_text(json_object_get(spec, "selector"), sel, sizeof(sel));
	table_age(jstr(svc, "metadata.creationTimestamp"), now, age, sizeof(age));
	return json_pack("[s, s, s, s, s, s, s]", jstr(svc, "metadata.name") ?: "", type,
			 cip && *cip ? cip : "<none>", ext, *ports ? ports : "<none>", age, sel);
}

/* metav1.FormatLabelSelector */
static void selector_text(json_t *s, char *buf, size_t n)
{
	json_t *ml = json_object_get(s, "matchLabels"), *e;
	size_t len, i;

	map_text(ml, buf, n);
	if (!strcmp(buf, "<none>"))
		buf[0] = '\0';
	len = strlen(buf);
	json_array_foreach(json_object_get(s, "matchExpressions"), i, e) {
		const char *key = jstr(e, "key") ?: "", *op = jstr(e, "operator") ?: "";
		json_t *vals = json_object_get(e, "values"), *v;
		size_t j;

		if (len >= n)
			break;
		if (len)
			buf[len++] = ',';
		if (!strcmp(op, "Exists")) {
			len += (size_t)snprintf(buf + len, n - len, "%s", key);
		} else if (!strcmp(op, "DoesNotExist")) {
			len += (size_t)snprintf(buf + len, n - len, "!%s", key);
		} else {
			len += (size_t)snprintf(buf + len, n - len, "%s %s (", key,
						!strcmp(op, "In") ? "in" : "notin");
			json_array_foreach(vals, j, v)
				if (len < n)
					len += (size_t)snprintf(buf + len, n - len, "%s%s", j ? "," : "",
								json_string_value(v) ?: "");
			if (len < n)
				len += (size_t)snprintf(buf + len, n - len, ")");
		}
	}
	if (!*buf)
		snprintf(buf, n, "<none>");
}

static json_t *netpol_cells(json_t *np, time_t now)
{
	char sel[512], age[32];

	selector_text(json_object_get(json_object_get(np, "spec"), "podSelector"), sel, sizeof(sel));
	table_age(jstr(np, "metadata.creationTimestamp"), now, age, sizeof(age));
	return json_pack("[s, s, s]", jstr(np, "metadata.name") ?: "", sel, age);
}

static json_t *slice_cells(json_t *sl, time_t now)
{
	char ports[256] = "", eps[512] = "", age[32];
	size_t i, len = 0, shown = 0, total = 0;
	json_t *p, *e;

	json_array_foreach(json_object_get(sl, "ports"), i, p) {
		if (len < sizeof(ports))
			len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%lld", i ? "," : "",
						(long long)json_integer_value(json_object_get(p, "port")));
	}
	len = 0;
	json_array_foreach(json_object_get(sl, "endpoints"), i, e) {
		json_t *a;
		size_t j;

		json_array_foreach(json_object_get(e, "addresses"), j, a) {
			total++;
			if (shown < 3 && len < sizeof(eps)) {
				len += (size_t)snprintf(eps + len, sizeof(eps) - len, "%s%s",
							shown ? "," : "", json_string_value(a) ?: "");
				shown++;
			}
		}
	}
	if (total > shown && len < sizeof(eps))
		snprintf(eps + len, sizeof(eps) - len, " + %zu more...", total - shown);
	table_age(jstr(sl, "metadata.creationTimestamp"), now, age, sizeof(age));
	return json_pack("[s, s, s, s, s]", jstr(sl, "metadata.name") ?: "",
			 jstr(sl, "addressType") ?: "", *ports ? ports : "<unset>",
			 total ? eps : "<unset>", age);
}

static json_t *kind_cells(enum api_kind kind, json_t *obj, time_t now)
{
	switch (kind) {
	case API_NAMESPACES: return ns_cells(obj, now);
	case API_NODES: return node_cells(obj, now);
	case API_EVENTS: return event_cells(obj, now);
	case API_SERVICES: return svc_cells(obj, now);
	case API_NETPOLS: return netpol_cells(obj, now);
	case API_ENDPOINTSLICES: return slice_cells(obj, now);
	default: return NULL;
	}
}

static json_t *row_object(json_t *obj, enum table_include inc)
{
	json_t *m;

	if (inc == TABLE_INCLUDE_OBJECT)
		return json_incref(obj);
	m = json_pack("{s:s, s:s, s:O}", "kind", "PartialObjectMetadata", "apiVersion",
		      "meta.k8s.io/v1", "metadata", json_object_get(obj, "metadata"));
	return m;
}

json_t *table_build(enum api_kind kind, json_t *objs, enum table_include inc, time_t now,
		    const char *rv, const char *cont)
{
	const struct column *cols = columns_of(kind);
	json_t *t, *defs, *rows, *meta, *obj;
	size_t i;

	if (!cols)
		return NULL;
	defs = json_array();
	for (const struct column *c = cols; defs && c->name; c++)
		json_array_append_new(defs, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
						      "type", c->type, "format", c->format,
						      "description", c->description, "priority",
						      c->priority));
	rows = json_array();
	json_array_foreach(objs, i, obj) {
		json_t *row, *cells = NULL, *conds = NULL;

		switch (kind) {
		case API_PODS: cells = pod_cells(obj, now, &conds, NULL); break;
		default: cells = kind_cells(kind, obj, now); break;
		}
		row = json_pack("{s:o}", "cells", cells ? cells : json_array());
		if (conds)
			json_object_set_new(row, "conditions", conds);
		if (inc != TABLE_INCLUDE_NONE)
			json_object_set_new(row, "object", row_object(obj, inc));
		json_array_append_new(rows, row);
	}
	meta = json_object();
	if (rv)
		json_object_set_new(meta, "resourceVersion", json_string(rv));
	if (cont && *cont)
		json_object_set_new(meta, "continue", json_string(cont));
	t = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
		      "metadata", meta, "columnDefinitions", defs, "rows", rows);
	return t;
}

/* Each row's cells (and conditions) as JSON text. */
static void row_cells_text(struct pn_buf *b, enum api_kind kind, json_t *obj, time_t now)
{
	json_t *cells = NULL, *conds = NULL;
	char *t;

	pn_buf_puts(b, "{\"cells\":");
	if (kind == API_PODS) {
		/* the common case, written straight out */
		pod_cells(obj, now, &conds, b);
	} else {
		cells = kind_cells(kind, obj, now);
		t = cells ? json_dumps(cells, JSON_COMPACT) : NULL;
		pn_buf_puts(b, t ? t : "[]");
		free(t);
	}
	if (conds) {
		t = json_dumps(conds, JSON_COMPACT);
		if (t) {
			pn_buf_puts(b, ",\"conditions\":");
			pn_buf_puts(b, t);
		}
		free(t);
	}
	json_decref(cells);
	json_decref(conds);
}

char *table_text(enum api_kind kind, json_t *objs, json_t *texts, json_t *metas,
		 enum table_include inc, time_t now, const char *rv, const char *cont, size_t *len)
{
	const struct column *cols = columns_of(kind);
	struct pn_buf b = { 0 };
	json_t *obj, *head;
	size_t i;
	char *t;

	if (!cols)
		return NULL;
	/* The head as table_build() makes it, rows left empty. */
	head = table_build(kind, NULL, inc, now, rv, cont);
	json_object_del(head, "rows");
	t = head ? json_dumps(head, JSON_COMPACT) : NULL;
	json_decref(head);
	if (!t)
		return NULL;
	/* "{...}" -> "{...,\"rows\":[" */
	pn_buf_add(&b, t, strlen(t) - 1);
	free(t);
	pn_buf_puts(&b, ",\"rows\":[");
	json_array_foreach(objs, i, obj) {
		const char *text = NULL;

		if (i)
			pn_buf_putc(&b, ',');
		row_cells_text(&b, kind, obj, now);
		switch (inc) {
		case TABLE_INCLUDE_NONE:
			break;
		case TABLE_INCLUDE_OBJECT:
			text = json_string_value(json_array_get(texts, i));
			t = text ? NULL : json_dumps(obj, JSON_COMPACT);
			pn_buf_puts(&b, ",\"object\":");
			pn_buf_puts(&b, text ? text : (t ? t : "null"));
			free(t);
			break;
		case TABLE_INCLUDE_METADATA:
			text = json_string_value(json_array_get(metas, i));
			t = text ? NULL : json_dumps(json_object_get(obj, "metadata"), JSON_COMPACT);
			pn_buf_puts(&b, ",\"object\":{\"kind\":\"PartialObjectMetadata\","
				    "\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":");
			pn_buf_puts(&b, text ? text : (t ? t : "{}"));
			pn_buf_putc(&b, '}');
			free(t);
			break;
		}
		pn_buf_putc(&b, '}');
	}
	pn_buf_puts(&b, "]}\n");
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return pn_buf_take(&b);
}
