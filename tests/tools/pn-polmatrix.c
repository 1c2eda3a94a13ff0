/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pn-polmatrix: the evaluator's answers for the flows of a NetworkPolicy
 * test, in pn-netprobe's output format so the two can be compared line by
 * line.  Reads the node's state under $PODNET_ROOT (as podnet does) and,
 * from stdin, lines "NS/POD ADDR:PORT/PROTO" (the source pod, the target as
 * pn-netprobe takes it); prints "NS/POD ADDR:PORT/PROTO ok|fail".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "store.h"

int main(void)
{
	const char *root = getenv("PODNET_ROOT");
	struct store *st = NULL;
	struct pol_world *w = NULL;
	struct pn_err err = { 0 };
	char line[512];
	int rc = 0;

	if (!root || !*root)
		root = "/var/lib/podnet";
	if (store_open(root, &st, &err) < 0 || pol_world_load(st, &w, &err) < 0) {
		fprintf(stderr, "pn-polmatrix: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		store_close(st);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char src[256], target[256], ns[128], name[128], host[128], proto[8];
		const char *colon, *slash;
		struct pol_flow f = { 0 };
		struct pol_verdict v;
		const struct pol_pod *pod;
		struct pn_ip ip;

		if (sscanf(line, "%255s %255s", src, target) != 2 || sscanf(src, "%127[^/]/%127s", ns, name) != 2)
			continue;
		slash = strrchr(target, '/');
		colon = slash ? memrchr(target, ':', (size_t)(slash - target)) : NULL;
		if (!colon) {
			fprintf(stderr, "pn-polmatrix: bad target %s\n", target);
			rc = 1;
			continue;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - target), target);
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		snprintf(proto, sizeof(proto), "%s", slash + 1);
		for (char *p = proto; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		pod = pol_world_pod(w, ns, name);
		if (!pod || pn_ip_parse(host, &ip) < 0) {
			fprintf(stderr, "pn-polmatrix: no pod %s or bad address %s\n", src, host);
			rc = 1;
			continue;
		}
		f.src.kind = POL_EP_POD;
		f.src.pod = pod;
		for (size_t i = 0; i < pod->n_ips; i++)
			if (pod->ips[i].family == ip.family)
				f.src.ip = pod->ips[i];
		pol_endpoint_from_ip(w, &ip, &f.dst);
		f.port = atoi(colon + 1);
		f.proto = pn_proto_parse(proto);
		if (pol_evaluate(w, &f, &v, &err) < 0) {
			fprintf(stderr, "pn-polmatrix: %s\n", pn_err_msg(&err));
			rc = 1;
			break;
		}
		printf("%s %s %s\n", src, target, v.allowed ? "ok" : "fail");
		pol_verdict_free(&v);
	}
	pn_err_free(&err);
	pol_world_free(w);
	store_close(st);
	return rc;
}
