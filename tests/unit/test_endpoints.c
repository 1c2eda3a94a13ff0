/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pods as endpoints, loaded again and again through a memo (what
 * podnetd does on every change): a pod whose row did not change is the
 * same look as before, a changed one is looked at again, a deleted one is
 * gone, a new one appears; and what the memo gives equals a plain load.
 */
#include "endpoints.h"
#include "store.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[] = "/tmp/test_endpoints.XXXXXX";

static const char spec_fmt[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
	"\"default\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
	"\"image\":\"host\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080}]}]}}";

static char *add_pod(struct store *st, const char *name, const char *ip)
{
	struct store_pod p = { 0 };
	struct pn_err err = { 0 };
	char *uid = NULL;

	p.namespace_ = "default";
	p.name = (char *)name;
	p.pod_ip = (char *)ip;
	p.state = STORE_POD_READY;
	p.phase = STORE_PHASE_RUNNING;
	if (asprintf(&p.spec_json, spec_fmt, name) < 0)
		abort();
	if (store_pod_insert(st, &p, &err) == 0)
		uid = p.uid;   /* the insert's, as the sandbox id */
	else
		printf("# insert %s: %s\n", name, pn_err_msg(&err));
	free(p.sandbox_id);
	free(p.spec_json);
	pn_err_free(&err);
	return uid;
}

static const struct ep_pod *find(const struct ep_podset *s, const char *uid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->pods[i].uid, uid))
			return &s->pods[i];
	return NULL;
}

int main(void)
{
	struct store *st = NULL;
	struct pn_err err = { 0 };
	struct ep_memo *memo = NULL;
	struct ep_podset s1, s2, plain;
	const struct pn_pod *a1, *b1;
	char *a, *b, *c, *nonet, cmd[600];

	if (!mkdtemp(root) || store_open(root, &st, &err) < 0 || ep_memo_new(&memo) < 0) {
		printf("Bail out! %s\n", pn_err_msg(&err));
		return 1;
	}
	a = add_pod(st, "a", "10.244.0.2");
	b = add_pod(st, "b", "10.244.0.3");
	ok(a && b, "two pods");
	nonet = add_pod(st, "nonet", NULL);
	ok(nonet != NULL, "and one without an address");

	is_int(endpoints_pods_load_memo(st, root, memo, &s1, &err), 0, "load through the memo");
	is_int(s1.n, 2, "the pods with an address");
	a1 = find(&s1, a) ? find(&s1, a)->pod : NULL;
	b1 = find(&s1, b) ? find(&s1, b)->pod : NULL;
	ok(a1 && b1 && !strcmp(a1->meta.name, "a"), "their specs, decoded");
	is_int(endpoints_find_port(a1, "http", "TCP"), 8080, "named ports resolve");
	endpoints_pods_free(&s1);

	/* Nothing changed: the same looks, not made again. */
	is_int(endpoints_pods_load_memo(st, root, memo, &s2, &err), 0, "load again");
	ok(find(&s2, a) && find(&s2, a)->pod == a1 && find(&s2, b) && find(&s2, b)->pod == b1,
	   "unchanged pods come from the memo");
	endpoints_pods_free(&s2);

	/* a is being deleted: its row moves, it is looked at again. */
	{
		struct store_pod p = { .uid = a, .state = STORE_POD_DELETING };

		is_int(store_pod_update(st, &p, STORE_POD_F_STATE, &err), 0, "a: deleting");
	}
	c = add_pod(st, "c", "10.244.0.4");
	ok(c != NULL, "a third pod");
	is_int(store_pod_delete(st, b, &err), 0, "b deleted");
	is_int(endpoints_pods_load_memo(st, root, memo, &s1, &err), 0, "load after the changes");
	is_int(s1.n, 2, "a and c");
	ok(find(&s1, a) && find(&s1, a)->terminating, "a changed: terminating");
	ok(!find(&s1, b), "b gone");
	ok(find(&s1, c) && !strcmp(find(&s1, c)->ip, "10.244.0.4"), "c there, with its address");

	/* The memo's answer is a plain load's. */
	is_int(endpoints_pods_load(st, root, false, &plain, &err), 0, "a plain load");
	{
		bool same = plain.n == s1.n;

		for (size_t i = 0; same && i < plain.n; i++) {
			const struct ep_pod *p = &plain.pods[i], *m = find(&s1, p->uid);

			same = m && !strcmp(m->ip, p->ip) && m->ready == p->ready &&
			       m->terminating == p->terminating && m->finished == p->finished &&
			       !strcmp(m->pod->meta.name, p->pod->meta.name);
		}
		ok(same, "the memo gives what a plain load gives");
	}
	endpoints_pods_free(&plain);
	endpoints_pods_free(&s1);

	ep_memo_free(memo);
	store_close(st);
	free(a);
	free(b);
	free(c);
	free(nonet);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	pn_err_free(&err);
	return tap_done();
}
