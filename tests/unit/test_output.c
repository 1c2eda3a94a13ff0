/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubectl and crictl layouts: tables byte for byte against their output
 * (the first golden is the `kubectl get pods -o wide` example from the
 * Kubernetes documentation), AGE as apimachinery prints it, crictl's
 * CREATED as go-units prints it (its own test table), -o name and -o json.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "output.h"
#include "tap.h"

static const char *const wide_headers[] = {
	"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
	"READINESS GATES",
};

/* Print @t into a string the caller frees. */
static char *render(const struct table *t, bool headers)
{
	struct pn_err err = { 0 };
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	if (table_print(t, f, headers, &err) < 0)
		printf("# table_print: %s\n", pn_err_msg(&err));
	fclose(f);
	pn_err_free(&err);
	return s;
}

static void test_kubectl_wide(void)
{
	const char *row[] = { "nginx-6799fc88d8-8mhqj", "1/1", "Running", "0", "12s", "10.244.0.5",
			      "minikube", NULL, NULL };
	struct table *t = NULL;
	struct pn_err err = { 0 };
	char *s;

	ok(table_new(TABLE_KUBECTL, 9, wide_headers, &t, &err) == 0, "new kubectl table");
	ok(table_add_row(t, row, &err) == 0, "add a row");
	s = render(t, true);
	is_str(s,
	       "NAME                     READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES\n"
	       "nginx-6799fc88d8-8mhqj   1/1     Running   0          12s   10.244.0.5   minikube   <none>           <none>\n",
	       "get pods -o wide, as in the kubectl documentation");
	free(s);
	table_free(t);
	pn_err_free(&err);
}

static void test_kubectl_pods(void)
{
	char r1[48], r2[48], r3[48], a1[OUTPUT_AGE_LEN], a2[OUTPUT_AGE_LEN], a3[OUTPUT_AGE_LEN];
	time_t now = 1714558200; /* 2024-05-01T10:10:00Z */
	const char *rows[3][9] = {
		{ "pod1", "3/3", "Running", format_restarts(1, now - 300, now, r1),
		  format_age(now - 600, now, a1), "10.88.0.2", "node1", NULL, NULL },
		{ "pod2", "1/1", "Running", format_restarts(3, now - 62, now, r2),
		  format_age(now - 540, now, a2), "10.88.0.3", "node1", NULL, NULL },
		{ "pod3", "0/1", "CrashLoopBackOff", format_restarts(7, now - 10, now, r3),
		  format_age(now - 480, now, a3), NULL, NULL, NULL, NULL },
	};
	struct table *t = NULL;
	struct pn_err err = { 0 };
	char *s;

	ok(table_new(TABLE_KUBECTL, 9, wide_headers, &t, &err) == 0, "new kubectl table");
	for (int i = 0; i < 3; i++)
		ok(table_add_row(t, rows[i], &err) == 0, "add row %d", i);
	is_int(table_nrows(t), 3, "three rows");
	s = render(t, true);
	is_str(s,
	       "NAME   READY   STATUS             RESTARTS      AGE   IP          NODE     NOMINATED NODE   READINESS GATES\n"
	       "pod1   3/3     Running            1 (5m ago)    10m   10.88.0.2   node1    <none>           <none>\n"
	       "pod2   1/1     Running            3 (62s ago)   9m    10.88.0.3   node1    <none>           <none>\n"
	       "pod3   0/1     CrashLoopBackOff   7 (10s ago)   8m    <none>      <none>   <none>           <none>\n",
	       "three pods, <none> for the empty cells, restarts with their age");
	free(s);
	s = render(t, false);
	is_str(s,
	       "pod1   3/3   Running            1 (5m ago)    10m   10.88.0.2   node1    <none>   <none>\n"
	       "pod2   1/1   Running            3 (62s ago)   9m    10.88.0.3   node1    <none>   <none>\n"
	       "pod3   0/1   CrashLoopBackOff   7 (10s ago)   8m    <none>      <none>   <none>   <none>\n",
	       "--no-headers: widths from the rows alone, minimum 6");
	free(s);
	table_free(t);
	pn_err_free(&err);
}

static void test_kubectl_edges(void)
{
	const char *headers[] = { "NAME", "STATUS", "AGE" };
	const char *evil[] = { "a\x1b[31mb", "line1\nline2", "p\u00f6d" };
	struct table *t = NULL;
	struct pn_err err = { 0 };
	char *s;

	ok(table_new(TABLE_KUBECTL, 3, headers, &t, &err) == 0, "new table");
	s = render(t, true);
	is_str(s, "", "no rows: kubectl prints nothing (not even headers)");
	free(s);
	ok(table_add_row(t, evil, &err) == 0, "add a row with control characters");
	s = render(t, true);
	is_str(s,
	       "NAME       STATUS     AGE\n"
	       "a^[[31mb   line1...   p\xc3\xb6" "d\n",
	       "ESC shown as ^[, a cell cut at its newline, width counted in runes");
	free(s);
	table_free(t);
	pn_err_free(&err);
}

static void test_crictl(void)
{
	const char *headers[] = { "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT",
				  "POD ID", "POD" };
	char id[OUTPUT_ID_SHORT + 1], pod[OUTPUT_ID_SHORT + 1], age[OUTPUT_AGE_LEN];
	const char *row[8];
	struct table *t = NULL;
	struct pn_err err = { 0 };
	char *s;

	ok(table_new(TABLE_CRICTL, 8, headers, &t, &err) == 0, "new crictl table");
	s = render(t, true);
	is_str(s,
	       "CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD\n",
	       "crictl prints its header with no rows");
	free(s);
	row[0] = truncate_id("5b1c3e2a7d9f4c6e8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
			     OUTPUT_ID_SHORT, id, sizeof(id));
	row[1] = "host";
	row[2] = format_age_crictl(0, 7LL * 60 * 1000000000, age);
	row[3] = "Running";
	row[4] = "c3";
	row[5] = "0";
	row[6] = truncate_id("a81e5d3b9c7f2e4d6b8a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
			     OUTPUT_ID_SHORT, pod, sizeof(pod));
	row[7] = "pod1-with-a-rather-long-name";
	ok(table_add_row(t, row, &err) == 0, "add a container");
	s = render(t, true);
	is_str(s,
	       "CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD\n"
	       "5b1c3e2a7d9f4       host                7 minutes ago       Running             c3                  0                   a81e5d3b9c7f2       pod1-with-a-rather-long-name\n",
	       "crictl ps: 20-column minimum, IDs cut to 13");
	free(s);
	table_free(t);
	pn_err_free(&err);
}

static void test_age(void)
{
	static const struct {
		long long d;
		const char *want;
	} cases[] = {
		{ 0, "0s" },        { 1, "1s" },          { 59, "59s" },        { 60, "60s" },
		{ 119, "119s" },    { 120, "2m" },        { 125, "2m5s" },      { 599, "9m59s" },
		{ 600, "10m" },     { 89 * 60, "89m" },   { 179 * 60 + 59, "179m" },
		{ 3 * 3600, "3h" }, { 3 * 3600 + 300, "3h5m" }, { 7 * 3600 + 59 * 60 + 59, "7h59m" },
		{ 8 * 3600, "8h" }, { 25 * 3600, "25h" }, { 47 * 3600 + 3599, "47h" },
		{ 48 * 3600, "2d" }, { 51 * 3600, "2d3h" }, { 191 * 3600, "7d23h" },
		{ 8 * 86400, "8d" }, { 400 * 86400LL, "400d" }, { 729 * 86400LL, "729d" },
		{ 730 * 86400LL, "2y" }, { 731 * 86400LL, "2y1d" }, { (8 * 365 - 1) * 86400LL, "7y364d" },
		{ 8 * 365 * 86400LL, "8y" }, { 10 * 366 * 86400LL, "10y" },
		{ -1, "0s" },       { -2, "<invalid>" },
	};
	char buf[OUTPUT_AGE_LEN];
	time_t now = 1714558200;

	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++)
		is_str(format_age(now - (time_t)cases[i].d, now, buf), cases[i].want, "age of %llds",
		       cases[i].d);
	is_str(format_age(0, now, buf), "<unknown>", "unset timestamp");
}

static void test_crictl_age(void)
{
	const long long s = 1000000000LL, m = 60 * s, h = 60 * m, day = 24 * h, week = 7 * day,
			month = 30 * day, year = 365 * day;
	const struct {
		long long d;
		const char *want;
	} cases[] = {
		/* docker/go-units TestHumanDuration, with " ago" added by crictl. */
		{ 450000000LL, "Less than a second ago" }, { s, "1 second ago" },
		{ 45 * s, "45 seconds ago" },   { 59 * s, "59 seconds ago" },
		{ 60 * s, "About a minute ago" }, { 3 * m, "3 minutes ago" },
		{ 35 * m + 40 * s, "35 minutes ago" }, { 59 * m, "59 minutes ago" },
		{ h, "About an hour ago" },     { h + 29 * m, "About an hour ago" },
		{ h + 31 * m, "2 hours ago" },  { 3 * h + 29 * m, "3 hours ago" },
		{ 3 * h + 31 * m, "4 hours ago" }, { 24 * h, "24 hours ago" },
		{ day + 12 * h, "36 hours ago" }, { 2 * day, "2 days ago" },
		{ 13 * day + 5 * h, "13 days ago" }, { 2 * week, "2 weeks ago" },
		{ 4 * week + 3 * day, "4 weeks ago" }, { month, "4 weeks ago" },
		{ month + 2 * week, "6 weeks ago" }, { 2 * month, "2 months ago" },
		{ 5 * month + 2 * week, "5 months ago" }, { 24 * month, "24 months ago" },
		{ 24 * month + 2 * week, "2 years ago" }, { 3 * year + 2 * month, "3 years ago" },
		{ -5 * s, "Less than a second ago" },
	};
	char buf[OUTPUT_AGE_LEN];
	long long now = 1714558200LL * s;

	for (size_t i = 0; i < PN_ARRAY_SIZE(cases); i++)
		is_str(format_age_crictl(now - cases[i].d, now, buf), cases[i].want, "crictl age %lldns",
		       cases[i].d);
}

static void test_small_helpers(void)
{
	char buf[64], id[OUTPUT_ID_SHORT + 1];
	char *s = NULL;
	size_t len = 0;
	struct pn_err err = { 0 };
	FILE *f;
	json_t *obj;

	is_str(truncate_id("3f9a1c0e5b7d2a4c6e8f", OUTPUT_ID_SHORT, id, sizeof(id)), "3f9a1c0e5b7d2",
	       "IDs cut to 13");
	is_str(truncate_id("abc", OUTPUT_ID_SHORT, id, sizeof(id)), "abc", "short IDs kept");
	is_str(format_restarts(0, 1000, 2000, buf), "0", "no restarts");
	is_str(format_restarts(2, 0, 2000, buf), "2", "restarts without a time");
	is_str(format_restarts(4, 1000, 1000 + 3 * 3600 + 60, buf), "4 (3h1m ago)", "restarts with age");

	f = open_memstream(&s, &len);
	ok(output_name(f, "Pod", NULL, "pod1", NULL) == 0, "-o name");
	ok(output_name(f, "Pod", "", "pod2", "created") == 0, "apply's message");
	ok(output_name(f, "Deployment", "apps", "web", NULL) == 0, "a grouped kind");
	fclose(f);
	is_str(s, "pod/pod1\npod/pod2 created\ndeployment.apps/web\n", "pod/NAME lines");
	free(s);

	obj = json_loads("{\"metadata\":{\"name\":\"p<1>\"},\"apiVersion\":\"v1\",\"kind\":\"Pod\","
			 "\"spec\":{\"containers\":[]}}", 0, NULL);
	s = NULL;
	f = open_memstream(&s, &len);
	ok(output_json(f, obj, &err) == 0, "-o json");
	fclose(f);
	is_str(s,
	       "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Pod\",\n    \"metadata\": {\n"
	       "        \"name\": \"p\\u003c1\\u003e\"\n    },\n    \"spec\": {\n"
	       "        \"containers\": []\n    }\n}\n",
	       "kubectl's indentation, sorted keys, Go's escaping, final newline");
	free(s);
	json_decref(obj);
	pn_err_free(&err);
}

/* Go's time.Format(time.RFC3339Nano) and time.Time.String() in UTC, as
 * crictl inspect and crictl pods -v print them. */
static void test_times(void)
{
	char b[OUTPUT_TIME_LEN];

	is_str(format_rfc3339nano(1714564800123456789LL, true, b), "2024-05-01T12:00:00.123456789Z",
	       "RFC3339Nano, 9 digits");
	is_str(format_rfc3339nano(1714564800120000000LL, true, b), "2024-05-01T12:00:00.12Z",
	       "trailing zeros of the fraction dropped");
	is_str(format_rfc3339nano(1714564800000000000LL, true, b), "2024-05-01T12:00:00Z",
	       "no fraction when the second is whole");
	is_str(format_rfc3339nano(0, false, b), "0001-01-01T00:00:00Z", "unset: Go's zero time");
	is_str(format_go_time(1714564800123000000LL, b), "2024-05-01 12:00:00.123 +0000 UTC",
	       "time.Time.String()");
}

int main(void)
{
	test_kubectl_wide();
	test_kubectl_pods();
	test_kubectl_edges();
	test_crictl();
	test_age();
	test_crictl_age();
	test_small_helpers();
	test_times();
	return tap_done();
}
