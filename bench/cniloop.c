/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cniloop: the runtime side of a CNI ADD/DEL, timed in one process, for
 * changes to the library's CNI client (src/cni/cniclient.c) and the child
 * helper below it.  bench/cniloop.sh runs it in a throwaway node.
 *
 *   cniloop exec DIR TYPE N
 *       N cniclient_exec() of plugin TYPE in DIR (a trivial static binary
 *       measures what running any plugin costs the runtime).
 *   cniloop chain CONFDIR N
 *       N pods: a pinned netns each, cniclient_add() of the conflist in
 *       CONFDIR for each, then cniclient_del() for each.
 *
 * Prints one line per operation: count, p50, p90, mean in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cniclient.h"
#include "netns.h"
#include "util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *ns, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ns[i];
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-5s n=%zu p50=%.3f p90=%.3f mean=%.3f ms\n", what, n, ns[n / 2] / 1e6,
	       ns[n * 9 / 10] / 1e6, (double)sum / (double)n / 1e6);
}

static int fail(const char *what, const struct pn_err *e)
{
	fprintf(stderr, "cniloop: %s: %s (%s)\n", what, pn_err_msg(e), pn_err_details_text(e));
	return 1;
}

static int loop_exec(const char *dir, const char *type, size_t n)
{
	static const char conf[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"loop\",\"type\":\"x\"}";
	uint64_t *t = calloc(n, sizeof(*t));
	struct pn_err e = { 0 };
	int rc = 1;

	for (size_t i = 0; t && i < n; i++) {
		json_t *j = NULL;
		uint64_t t0 = pn_now_ns();

		if (cniclient_exec(dir, type, "VERSION", conf, sizeof(conf) - 1, &j, &e) < 0) {
			fail("exec", &e);
			goto out;
		}
		t[i] = pn_now_ns() - t0;
		json_decref(j);
	}
	if (t) {
		report("exec", t, n);
		rc = 0;
	}
out:
	pn_err_free(&e);
	free(t);
	return rc;
}

static int loop_chain(const char *confdir, size_t n)
{
	struct cniclient cc = { 0 };
	struct cni_netlist *list = NULL;
	uint64_t *add = calloc(n, sizeof(*add)), *del = calloc(n, sizeof(*del));
	char **ns = calloc(n, sizeof(*ns)), id[64];
	struct pn_err e = { 0 };
	int rc = 1;

	if (!add || !del || !ns)
		goto out;
	if (cniclient_load_conflist(confdir, NULL, &list, &e) < 0) {
		fail("conflist", &e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char name[NETNS_NAME_MAX];

		if (netns_new_name(name) < 0 || netns_create_pinned("/run/netns", name, &ns[i], &e) < 0) {
			fail("netns", &e);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cniclient_rt rt = { .container_id = id, .netns = ns[i], .ifname = "eth0" };
		struct cni_result *res = NULL;
		uint64_t t0;

		snprintf(id, sizeof(id), "loop%zu", i);
		t0 = pn_now_ns();
		if (cniclient_add(&cc, list, &rt, &res, &e) < 0) {
			fail("ADD", &e);
			goto out;
		}
		add[i] = pn_now_ns() - t0;
		cni_result_free(res);
	}
	for (size_t i = 0; i < n; i++) {
		struct cniclient_rt rt = { .container_id = id, .netns = ns[i], .ifname = "eth0" };
		uint64_t t0;

		snprintf(id, sizeof(id), "loop%zu", i);
		t0 = pn_now_ns();
		if (cniclient_del(&cc, list, &rt, &e) < 0) {
			fail("DEL", &e);
			goto out;
		}
		del[i] = pn_now_ns() - t0;
	}
	report("ADD", add, n);
	report("DEL", del, n);
	rc = 0;
out:
	for (size_t i = 0; ns && i < n; i++) {
		if (ns[i])
			(void)!netns_delete_pinned(ns[i], NULL);
		free(ns[i]);
	}
	free(ns);
	free(add);
	free(del);
	cni_netlist_free(list);
	pn_err_free(&e);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "exec"))
		return loop_exec(argv[2], argv[3], strtoul(argv[4], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "chain"))
		return loop_chain(argv[2], strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: cniloop exec DIR TYPE N | cniloop chain CONFDIR N\n");
	return 2;
}
