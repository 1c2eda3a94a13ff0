/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only driver of the library's CNI runtime (what `cnitool` is to
 * libcni) and of the netns pinning, for tests/netns/cniclient.sh.
 *
 *   pn-cnitool [-d CONFDIR] [-n NET] [-c CACHEDIR] [-a CAPARGS_JSON] [-k NS/POD/UID] \
 *              add|del|check ID NETNS [IFNAME]
 *   pn-cnitool ... gc [ID:IFNAME...] | status | validate | cache
 *   pn-cnitool netns-add DIR NAME | netns-del PATH | netns-name
 *
 * CNI_PATH comes from the environment.  Exit 0 on success, 1 with the
 * error on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cniclient.h"
#include "netns.h"

/* Print @e and release it. */
static int fail(struct pn_err *e)
{
	fprintf(stderr, "error (code %d): %s%s%s\n", e->code, pn_err_msg(e), e->details ? ": " : "",
		pn_err_details_text(e));
	pn_err_free(e);
	return 1;
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *net = NULL, *k8s = NULL;
	struct cniclient cc = { 0 };
	struct cni_netlist *list = NULL;
	struct cniclient_kv kv[CNICLIENT_K8S_NARGS];
	struct cniclient_rt rt = { 0 };
	json_t *caps = NULL;
	struct pn_err e = { 0 };
	char k8sbuf[512];
	const char *cmd;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "+d:n:c:a:k:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 'n': net = optarg; break;
		case 'c': cc.cache_dir = optarg; break;
		case 'a':
			caps = json_loads(optarg, 0, NULL);
			if (!caps) {
				fprintf(stderr, "bad -a JSON\n");
				return 2;
			}
			break;
		case 'k': k8s = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: see the comment in tests/tools/pn-cnitool.c\n");
		return 2;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "netns-name")) {
		char name[NETNS_NAME_MAX];

		if (netns_new_name(name) < 0)
			return 1;
		puts(name);
		return 0;
	}
	if (!strcmp(cmd, "netns-add") && optind + 2 == argc) {
		char *path = NULL;

		if (netns_create_pinned(argv[optind], argv[optind + 1], &path, &e) < 0)
			return fail(&e);
		puts(path);
		free(path);
		return 0;
	}
	if (!strcmp(cmd, "netns-del") && optind + 1 == argc)
		return netns_delete_pinned(argv[optind], &e) < 0 ? fail(&e) : 0;
	if (!strcmp(cmd, "cache")) {
		struct cniclient_cached *v = NULL;
		size_t n = 0;

		if (cniclient_list_cache(cc.cache_dir, NULL, &v, &n, &e) < 0)
			return fail(&e);
		for (size_t i = 0; i < n; i++) {
			char ip[PN_CIDR_STRLEN] = "-";
			const char *pod = cniclient_cached_arg(&v[i], "K8S_POD_NAME");

			if (v[i].result && v[i].result->n_ips)
				pn_cidr_str(&v[i].result->ips[0].address, ip);
			printf("%s %s %s %s %s %s\n", v[i].network, v[i].container_id, v[i].ifname,
			       v[i].netns ? v[i].netns : "-", pod ? pod : "-", ip);
		}
		cniclient_cached_free_all(v, n);
		return 0;
	}

	if (cniclient_load_conflist(confdir, net, &list, &e) < 0) {
		rc = fail(&e);
		goto out;
	}
	if (!strcmp(cmd, "status")) {
		rc = cniclient_status(&cc, list, &e) < 0 ? fail(&e) : 0;
		goto out;
	}
	if (!strcmp(cmd, "validate")) {
		rc = cniclient_validate(&cc, list, &e) < 0 ? fail(&e) : 0;
		goto out;
	}
	if (!strcmp(cmd, "gc")) {
		int n = argc - optind;
		struct cni_attachment *valid = calloc((size_t)n + 1, sizeof(*valid));

		for (int i = 0; valid && i < n; i++) {
			char *colon = strchr(argv[optind + i], ':');

			valid[i].container_id = argv[optind + i];
			valid[i].ifname = colon ? colon + 1 : "eth0";
			if (colon)
				*colon = '\0';
		}
		rc = cniclient_gc(&cc, list, valid, (size_t)n, &e) < 0 ? fail(&e) : 0;
		free(valid);
		goto out;
	}
	if (optind + 2 > argc) {
		fprintf(stderr, "%s: need ID NETNS [IFNAME]\n", cmd);
		rc = 2;
		goto out;
	}
	rt.container_id = argv[optind];
	rt.netns = argv[optind + 1];
	rt.ifname = optind + 2 < argc ? argv[optind + 2] : "eth0";
	rt.capability_args = caps;
	if (k8s) {
		char *ns, *pod, *uid;

		snprintf(k8sbuf, sizeof(k8sbuf), "%s", k8s);
		ns = strtok(k8sbuf, "/");
		pod = strtok(NULL, "/");
		uid = strtok(NULL, "/");
		cniclient_rt_k8s_args(&rt, kv, ns ? ns : "", pod ? pod : "", rt.container_id,
				      uid ? uid : "");
	}
	if (!strcmp(cmd, "add")) {
		struct cni_result *res = NULL;
		json_t *j;

		if (cniclient_add(&cc, list, &rt, &res, &e) < 0) {
			rc = fail(&e);
			goto out;
		}
		j = cni_result_to_json(res, list->version);
		rc = j ? cni_json_print(stdout, j) < 0 : 1;
		json_decref(j);
		cni_result_free(res);
	} else if (!strcmp(cmd, "del")) {
		rc = cniclient_del(&cc, list, &rt, &e) < 0 ? fail(&e) : 0;
	} else if (!strcmp(cmd, "check")) {
		rc = cniclient_check(&cc, list, &rt, &e) < 0 ? fail(&e) : 0;
	} else {
		fprintf(stderr, "unknown command %s\n", cmd);
		rc = 2;
	}
out:
	json_decref(caps);
	cni_netlist_free(list);
	pn_err_free(&e);
	return rc;
}
