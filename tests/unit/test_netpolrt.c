/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime's writes of NetworkPolicies and Services as podnetd uses
 * them (netpolrt_apply, svcrt_write with struct podrt_write): create-only
 * and update-only modes, the resourceVersion precondition, dry runs that
 * change nothing (allocations included), the API's metadata kept in the
 * stored object, generation counting spec changes only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "netpolrt.h"
#include "svcrt.h"
#include "tap.h"

static char tmp[] = "/tmp/podnet-test-netpolrt.XXXXXX";

static struct pn_object *parse(const char *yaml)
{
	struct pn_object *o = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;

	if (manifest_parse(yaml, strlen(yaml), "t.yaml", &o, &n, &err) < 0 || n != 1) {
		printf("# %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return NULL;
	}
	return o;
}

static void free_obj(struct pn_object *o)
{
	if (o)
		manifest_objects_free(o, 1);
}

static const char np_yaml[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny, namespace: default}\nspec: {podSelector: {}}\n";
static const char np_yaml2[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny, namespace: default}\n"
	"spec: {podSelector: {matchLabels: {app: a}}}\n";
static const char np_yaml3[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: deny, namespace: default, labels: {tier: db}}\n"
	"spec: {podSelector: {matchLabels: {app: a}}}\n";

static int64_t np_rv(struct store *st)
{
	struct store_netpol *row = NULL;
	struct pn_err err = { 0 };
	int64_t rv = -1;

	if (store_netpol_get(st, "default", "deny", &row, &err) == 0)
		rv = row->rv;
	store_netpol_free(row);
	pn_err_free(&err);
	return rv;
}

static void test_netpol(struct store *st)
{
	struct pn_object *o = parse(np_yaml), *o2 = parse(np_yaml2), *o3 = parse(np_yaml3);
	struct podrt_write w = { .mode = PODRT_WRITE_UPDATE };
	enum netpolrt_outcome oc = NETPOLRT_UNCHANGED;
	struct pn_err err = { 0 };
	json_t *out = NULL;
	int64_t rv;

	if (!o || !o2 || !o3) {
		ok(0, "parse the policies");
		goto out;
	}
	is_int(netpolrt_apply(st, o->np, &w, &oc, NULL, &err), -ENOENT, "update-only of a missing one");
	is_int(err.code, PN_E_NOT_FOUND, "NotFound");
	is_str(pn_err_msg(&err), "networkpolicies.networking.k8s.io \"deny\" not found", "its message");
	pn_err_free(&err);

	w = (struct podrt_write){ .mode = PODRT_WRITE_CREATE, .dry_run = true };
	is_int(netpolrt_apply(st, o->np, &w, &oc, &out, &err), 0, "dry-run create: %s", pn_err_msg(&err));
	ok(out && json_integer_value(json_object_get(json_object_get(out, "metadata"), "generation")) == 1,
	   "the dry run answers the object, generation 1");
	json_decref(out);
	out = NULL;
	is_int(np_rv(st), -1, "and stores nothing");

	w = (struct podrt_write){ .mode = PODRT_WRITE_CREATE,
				  .meta = json_pack("{s:[{s:s}]}", "managedFields", "manager", "kubectl") };
	is_int(netpolrt_apply(st, o->np, &w, &oc, NULL, &err), 0, "create: %s", pn_err_msg(&err));
	is_int(oc, NETPOLRT_CREATED, "created");
	json_decref(w.meta);
	{
		struct store_netpol *row = NULL;

		if (store_netpol_get(st, "default", "deny", &row, &err) == 0) {
			ok(strstr(row->spec_json, "\"managedFields\":[{\"manager\":\"kubectl\"}]") != NULL,
			   "the API's metadata is kept in the stored object");
			ok(row->uid && strlen(row->uid) == 36, "a uid");
		} else {
			ok(0, "read it back: %s", pn_err_msg(&err));
		}
		store_netpol_free(row);
	}
	w = (struct podrt_write){ .mode = PODRT_WRITE_CREATE };
	is_int(netpolrt_apply(st, o->np, &w, &oc, NULL, &err), -EEXIST, "create-only of a taken name");
	is_str(pn_err_msg(&err), "networkpolicies.networking.k8s.io \"deny\" already exists",
	       "AlreadyExists, kube-apiserver's text");
	pn_err_free(&err);

	rv = np_rv(st);
	w = (struct podrt_write){ .mode = PODRT_WRITE_UPDATE, .expect_rv = rv - 1 };
	is_int(netpolrt_apply(st, o2->np, &w, &oc, NULL, &err), -ESTALE, "a stale resourceVersion");
	is_int(err.code, PN_E_CONFLICT, "Conflict");
	ok(strstr(pn_err_msg(&err), "the object has been modified") != NULL, "kube-apiserver's text");
	pn_err_free(&err);
	is_int(np_rv(st), rv, "nothing written");

	w.expect_rv = rv;
	w.dry_run = true;
	is_int(netpolrt_apply(st, o2->np, &w, &oc, &out, &err), 0, "dry-run update");
	is_int(oc, NETPOLRT_CONFIGURED, "would be configured");
	json_decref(out);
	out = NULL;
	is_int(np_rv(st), rv, "a dry run writes nothing");

	w.dry_run = false;
	is_int(netpolrt_apply(st, o2->np, &w, &oc, NULL, &err), 0, "update at the live version");
	is_int(oc, NETPOLRT_CONFIGURED, "configured");
	is_int((int)o2->np->meta.generation, 2, "a spec change: generation 2");
	ok(np_rv(st) > rv, "the resourceVersion moved");

	w = (struct podrt_write){ 0 };
	is_int(netpolrt_apply(st, o3->np, &w, &oc, NULL, &err), 0, "a label only (the CLI's apply)");
	is_int((int)o3->np->meta.generation, 2, "metadata changes leave generation");
	is_int(netpolrt_apply(st, o3->np, NULL, &oc, NULL, &err), 0, "the same again");
	is_int(oc, NETPOLRT_UNCHANGED, "unchanged");
out:
	pn_err_free(&err);
	free_obj(o);
	free_obj(o2);
	free_obj(o3);
}

static const char svc_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
	"spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}\n";

static void test_service(struct store *st)
{
	struct pn_object *o = parse(svc_yaml), *o2 = parse(svc_yaml);
	struct podrt_write w = { .mode = PODRT_WRITE_CREATE, .dry_run = true };
	enum svcrt_outcome oc = SVCRT_UNCHANGED;
	struct store_service *row = NULL;
	struct svcrt_cfg cfg;
	struct pn_err err = { 0 };
	json_t *out = NULL;
	size_t n = 99;

	if (!o || !o2 || svcrt_config(&cfg, &err) < 0) {
		ok(0, "parse the Service, config: %s", pn_err_msg(&err));
		goto out;
	}
	is_int(svcrt_write(st, &cfg, o->svc, &w, &oc, &out, &err), 0, "dry-run create: %s",
	       pn_err_msg(&err));
	ok(out && json_string_value(json_object_get(json_object_get(out, "spec"), "clusterIP")) &&
		   json_integer_value(json_object_get(
			   json_array_get(json_object_get(json_object_get(out, "spec"), "ports"), 0),
			   "nodePort")) >= 30000,
	   "the dry run answers with an address and a node port");
	json_decref(out);
	out = NULL;
	{
		struct store_service *all = NULL;

		is_int(store_service_list(st, NULL, &all, &n, &err), 0, "list");
		is_int((int)n, 0, "a dry run stores nothing (and keeps no allocation)");
		store_service_array_free(all, n);
	}
	w.dry_run = false;
	is_int(svcrt_write(st, &cfg, o->svc, &w, &oc, NULL, &err), 0, "create: %s", pn_err_msg(&err));
	is_int(oc, SVCRT_CREATED, "created");
	is_int(svcrt_write(st, &cfg, o2->svc, &w, &oc, NULL, &err), -EEXIST, "create-only again");
	is_str(pn_err_msg(&err), "services \"web\" already exists", "AlreadyExists");
	pn_err_free(&err);
	if (store_service_get(st, "default", "web", &row, &err) < 0) {
		ok(0, "read it back");
		goto out;
	}
	w = (struct podrt_write){ .mode = PODRT_WRITE_UPDATE, .expect_rv = row->rv + 1 };
	is_int(svcrt_write(st, &cfg, o2->svc, &w, &oc, NULL, &err), -ESTALE, "a stale resourceVersion");
	is_int(err.code, PN_E_CONFLICT, "Conflict");
	pn_err_free(&err);
	w.expect_rv = row->rv;
	is_int(svcrt_write(st, &cfg, o2->svc, &w, &oc, NULL, &err), 0, "update at the live version");
	is_int(oc, SVCRT_UNCHANGED, "the same spec: unchanged (its allocations kept)");
	is_str(o2->svc->cluster_ip, row->cluster_ip, "the cluster IP kept");
	is_int(svcrt_delete(st, "default", "web", &err), 0, "delete");
	w = (struct podrt_write){ .mode = PODRT_WRITE_UPDATE };
	is_int(svcrt_write(st, &cfg, o2->svc, &w, &oc, NULL, &err), -ENOENT, "update-only of a missing one");
	is_str(pn_err_msg(&err), "services \"web\" not found", "NotFound");
out:
	pn_err_free(&err);
	store_service_free(row);
	free_obj(o);
	free_obj(o2);
}

int main(void)
{
	struct store *st = NULL;
	struct pn_err err = { 0 };
	char root[256];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof(root), "%s/root", tmp);
	if (store_open(root, &st, &err) < 0) {
		printf("Bail out! open: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return 1;
	}
	test_netpol(st);
	test_service(st);
	store_close(st);
	if (!tap_failed) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
	}
	return tap_done();
}
