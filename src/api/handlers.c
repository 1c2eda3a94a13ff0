/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writing verbs, as kube-apiserver's generic registry runs them:
 *
 *   create:  decode (fieldValidation), name from generateName, managed
 *            fields (operation Update), admission and storage by the
 *            runtime (podrt_pod_admit: the pod is pending; the node agent
 *            starts it), 201 with the stored object;
 *   update, patch: GuaranteedUpdate: read the live object, compute the
 *            new one (the body; a merge, strategic merge or JSON patch;
 *            a server-side apply), managed fields, decode, and store it
 *            through the runtime only if the live object has not moved
 *            meanwhile (expect_rv), else again from the read; a PUT
 *            carrying a resourceVersion that is not the live one is a 409
 *            at once;
 *   delete:  DeleteOptions from the body or the query, the pod's grace
 *            period (kube-apiserver's CheckGracefulDelete: 0 for a pod
 *            never started or already finished), dryRun=All; a graceful
 *            delete answers with the Terminating object and the agent
 *            finishes it.
 *
 * Every write goes through the runtime (podrt.h), which the CLI uses too;
 * afterwards node_sync() mirrors it into the cache before answering, so a
 * client reads its write back from any later request.
 */
#include "handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apistatus.h"
#include "fault.h"
#include "fieldsel.h"
#include "labelsel.h"
#include "log.h"
#include "manifest.h"
#include "netpolrt.h"
#include "node.h"
#include "patch.h"
#include "pbuf.h"
#include "podio.h"
#include "podrt.h"
#include "ssa.h"
#include "svcrt.h"

/* GuaranteedUpdate's retries when the object moves under a patch. */
#define UPDATE_TRIES 5

/* What every write request says besides its body. */
struct wreq {
	struct api *a;
	const struct http_req *req;
	const struct api_resource *res;
	struct http_resp *resp;
	const char *ns, *name;
	bool dry_run;
	struct manifest_api fv;
	char manager[132];
	char now[32];
};

static void reply_obj(struct wreq *w, int code, json_t *obj)
{
	if (!obj) {
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	if (http_resp_json(w->resp, code, obj) < 0)
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
}

static void reply_err(struct wreq *w, const char *name, const struct pn_err *err)
{
	apistatus_from_err(w->resp, w->res, name, err);
}

/* Warnings for the client: kubectl prints each as "Warning: TEXT". */
static void add_warnings(struct wreq *w)
{
	size_t i;
	json_t *v;

	json_array_foreach(w->fv.warnings, i, v) {
		char *h = NULL;

		if (asprintf(&h, "299 - \"%s\"", json_string_value(v)) < 0)
			continue;
		/* The text is ours (field paths): quotes inside are escaped. */
		for (char *p = h + 7; p[1]; p++)
			if (*p == '"' && p[-1] != '\\')
				*p = '\'';
		if (http_resp_add_header(w->resp, "Warning", h) < 0) {
			/* the warning is lost, not the write */
		}
		free(h);
	}
}

static void rfc3339_now(struct api *a, char buf[32])
{
	time_t t = api_now(a);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The query's write options; 0, or the 400 is set. */
static int wreq_init(struct wreq *w, struct api *a, const struct http_req *req,
		     const struct api_resource *res, const char *ns, const char *name,
		     struct http_resp *resp)
{
	const char *dr = http_query_get(req, "dryRun");
	const char *fv = http_query_get(req, "fieldValidation");
	const char *fm = http_query_get(req, "fieldManager");

	memset(w, 0, sizeof(*w));
	w->a = a;
	w->req = req;
	w->res = res;
	w->resp = resp;
	w->ns = ns;
	w->name = name;
	rfc3339_now(a, w->now);
	if (dr && *dr) {
		if (strcmp(dr, "All")) {
			apistatus_bad_request(resp, "Invalid dry run value \"%s\": supported values: "
					      "\"All\"", dr);
			return -EINVAL;
		}
		w->dry_run = true;
	}
	/* kube-apiserver's default is Warn; kubectl asks for Strict. */
	w->fv.validation = MANIFEST_FV_WARN;
	if (fv && *fv) {
		if (!strcmp(fv, "Strict"))
			w->fv.validation = MANIFEST_FV_STRICT;
		else if (!strcmp(fv, "Ignore"))
			w->fv.validation = MANIFEST_FV_IGNORE;
		else if (strcmp(fv, "Warn")) {
			apistatus_bad_request(resp, "fieldValidation: Unsupported value: \"%s\": "
					      "supported values: \"Ignore\", \"Strict\", \"Warn\"", fv);
			return -EINVAL;
		}
	}
	w->fv.warnings = json_array();
	if (fm && *fm) {
		if (strlen(fm) > 128) {
			apistatus_reply(resp, 422, "Invalid", NULL,
					"fieldManager: Too long: may not be more than 128 bytes");
			return -EINVAL;
		}
		snprintf(w->manager, sizeof(w->manager), "%s", fm);
	} else {
		ssa_default_manager(http_header_get(req, "User-Agent"), w->manager,
				    sizeof(w->manager));
	}
	return w->fv.warnings ? 0 : -ENOMEM;
}

static void wreq_free(struct wreq *w)
{
	json_decref(w->fv.warnings);
}

/* The body as JSON (JSON is YAML too: apply-patch+yaml bodies go through
 * the YAML reader); 0, or the 400 is set. */
static int body_json(struct wreq *w, json_t **out)
{
	const char *ct = http_header_get(w->req, "Content-Type");
	json_error_t je;
	struct pn_err err = { 0 };

	*out = NULL;
	if (!w->req->body_len) {
		apistatus_bad_request(w->resp, "the body of the request was in an unknown format - "
				      "accepted media types include: application/json, "
				      "application/yaml");
		return -EINVAL;
	}
	if (ct && !strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		char *msg = NULL;
		int r = pbuf_namespace_to_json(w->req->body, w->req->body_len, out, &msg);

		if (r == -EPROTONOSUPPORT)
			apistatus_reply(w->resp, 415, "UnsupportedMediaType", NULL, "%s", msg);
		else if (r < 0)
			apistatus_bad_request(w->resp, "%s", msg ? msg : "out of memory");
		free(msg);
		return r < 0 ? r : 0;
	}
	if (ct && strstr(ct, "yaml")) {
		if (manifest_yaml_to_json(w->req->body, w->req->body_len, out, &err) < 0) {
			apistatus_bad_request(w->resp, "%s", pn_err_msg(&err));
			pn_err_free(&err);
			return -EINVAL;
		}
		return 0;
	}
	*out = json_loadb(w->req->body, w->req->body_len, JSON_DECODE_ANY, &je);
	if (!*out) {
		apistatus_bad_request(w->resp, "json: %s at line %d, column %d", je.text, je.line,
				      je.column);
		return -EINVAL;
	}
	return 0;
}

static json_t *meta_of(json_t *obj)
{
	json_t *m = json_object_get(obj, "metadata");

	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(obj, "metadata", m);
	}
	return m;
}

static const char *meta_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

/*
 * The object's kind, apiVersion, namespace and name against the URL's, as
 * kube-apiserver checks them; fills in what the body left out.  0, or the
 * 400 is set.
 */
static int check_identity(struct wreq *w, json_t *obj, bool need_name)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *ons, *oname;
	char gv[128];
	const char *want_av = api_resource_api_version(w->res, gv, sizeof(gv));
	json_t *meta;

	if (!json_is_object(obj)) {
		apistatus_bad_request(w->resp, "Object 'Kind' is missing in '%s'", w->req->body);
		return -EINVAL;
	}
	if (kind && strcmp(kind, w->res->kind)) {
		apistatus_bad_request(w->resp, "%s in version \"%s\" cannot be handled as a %s: "
				      "no kind \"%s\" is registered for version \"%s\"",
				      w->res->kind, w->res->version, w->res->kind, kind,
				      av ? av : want_av);
		return -EINVAL;
	}
	if (av && strcmp(av, want_av)) {
		apistatus_bad_request(w->resp, "the API version in the data (%s) does not match the "
				      "expected API version (%s)", av, want_av);
		return -EINVAL;
	}
	json_object_set_new(obj, "kind", json_string(w->res->kind));
	json_object_set_new(obj, "apiVersion", json_string(want_av));
	meta = meta_of(obj);
	ons = meta_str(obj, "namespace");
	if (w->res->namespaced) {
		if (ons && *ons && strcmp(ons, w->ns)) {
			apistatus_bad_request(w->resp, "the namespace of the provided object does not "
					      "match the namespace sent on the request");
			return -EINVAL;
		}
		json_object_set_new(meta, "namespace", json_string(w->ns));
	} else {
		json_object_del(meta, "namespace");
	}
	oname = meta_str(obj, "name");
	if (w->name) {
		if (oname && *oname && strcmp(oname, w->name)) {
			apistatus_bad_request(w->resp, "the name of the object (%s) does not match the "
					      "name on the URL (%s)", oname, w->name);
			return -EINVAL;
		}
		json_object_set_new(meta, "name", json_string(w->name));
	} else if ((!oname || !*oname) && need_name) {
		/* generateName: five characters from kube's alphabet (no
		 * vowels, no 0/1/3: nothing that spells a word). */
		static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
		const char *gen = meta_str(obj, "generateName");
		char name[300];

		if (gen && *gen) {
			size_t n = strlen(gen);

			if (n > 58)
				n = 58;
			snprintf(name, sizeof(name), "%.*s", (int)n, gen);
			for (int i = 0; i < 5; i++)
				name[n + i] = alnum[(unsigned)rand() % (sizeof(alnum) - 1)];
			name[n + 5] = '\0';
			json_object_set_new(meta, "name", json_string(name));
		}
	}
	return 0;
}

/* The metadata the API keeps that podnet's decoding does not (the
 * runtime stores it with the spec). */
static json_t *kept_meta(json_t *obj)
{
	static const char *const keys[] = { "managedFields", "generateName", "finalizers",
					    "ownerReferences" };
	json_t *m = json_object_get(obj, "metadata"), *out = json_object();

	for (size_t i = 0; out && i < PN_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(m, keys[i]);

		if (v && !json_is_null(v) &&
		    !(json_is_array(v) && !json_array_size(v)) && !(json_is_string(v) && !*json_string_value(v)))
			json_object_set(out, keys[i], v);
	}
	return out;
}

/* @o (taken over) with its resourceVersion; NULL when it is not an object. */
static json_t *stored_with_rv(json_t *o, int64_t rv)
{
	char s[32];

	if (!json_is_object(o) || !json_is_object(json_object_get(o, "metadata"))) {
		json_decref(o);
		return NULL;
	}
	snprintf(s, sizeof(s), "%lld", (long long)rv);
	json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string(s));
	return o;
}

/* The live object, read from the database (not the cache: a write must
 * see the latest). */
static int live_get(struct wreq *w, struct podrt *rt, const char *name, json_t **obj,
		    int64_t *rv, struct store_pod **row, struct pn_err *err)
{
	*obj = NULL;
	*rv = 0;
	if (row)
		*row = NULL;
	switch (w->res->id) {
	case API_PODS: {
		struct store_pod *sp = NULL;
		int ret = store_pod_get_by_name(rt->st, w->ns, name, &sp, err);

		if (ret < 0)
			return ret;
		*obj = podrt_pod_object(rt, sp);
		*rv = sp->rv;
		if (row)
			*row = sp;
		else
			store_pod_free(sp);
		return *obj ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	case API_NAMESPACES: {
		struct store_namespace *ns = NULL;
		int ret = store_namespace_get(rt->st, name, &ns, err);

		if (ret < 0)
			return ret;
		*rv = ns->rv;
		store_namespace_free(ns);
		/* The cache's object is the row's at this version or newer. */
		node_sync(w->a);
		*obj = cache_get(w->a->cache, API_NAMESPACES, NULL, name);
		return *obj ? 0 : pn_error(err, PN_E_NOT_FOUND, ENOENT,
					   "namespaces \"%s\" not found", name);
	}
	case API_NODES: {
		json_t *n = node_get_object(w->a);

		if (!n || strcmp(meta_str(n, "name") ?: "", name)) {
			json_decref(n);
			return pn_error(err, PN_E_NOT_FOUND, ENOENT, "nodes \"%s\" not found", name);
		}
		*obj = json_deep_copy(n);
		json_decref(n);
		{
			json_t *c = cache_get(w->a->cache, API_NODES, NULL, name);

			if (c && *obj)
				json_object_set(meta_of(*obj), "resourceVersion",
						json_object_get(json_object_get(c, "metadata"),
								"resourceVersion"));
			*rv = strtoll(meta_str(c, "resourceVersion") ?: "0", NULL, 10);
			json_decref(c);
		}
		return *obj ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	case API_NETPOLS: {
		struct store_netpol *np = NULL;
		int ret = store_netpol_get(rt->st, w->ns, name, &np, err);

		if (ret < 0)
			return ret;
		*rv = np->rv;
		*obj = stored_with_rv(netpolrt_object(np), np->rv);
		store_netpol_free(np);
		return *obj ? 0 : pn_error(err, PN_E_STATE, EIO, "stored networkpolicy %s unreadable",
					   name);
	}
	case API_SERVICES: {
		struct store_service *sv = NULL;
		int ret = store_service_get(rt->st, w->ns, name, &sv, err);

		if (ret < 0)
			return ret;
		*rv = sv->rv;
		*obj = stored_with_rv(sv->spec_json ? json_loads(sv->spec_json, 0, NULL) : NULL,
				      sv->rv);
		if (*obj)
			json_object_set_new(*obj, "status", json_pack("{s:{}}", "loadBalancer"));
		store_service_free(sv);
		return *obj ? 0 : pn_error(err, PN_E_STATE, EIO, "stored service %s unreadable", name);
	}
	default:
		return pn_error(err, PN_E_NOT_FOUND, ENOENT, "%s \"%s\" not found", w->res->plural,
				name);
	}
}

/* The stored object after a write: the cache's, once mirrored. */
static json_t *written(struct wreq *w, const char *name)
{
	node_sync(w->a);
	return cache_get(w->a->cache, w->res->id, w->res->namespaced ? w->ns : NULL, name);
}

/* An image the node does not have is refused at admission (kubelet would
 * pull it; podnet imports images): Invalid, on the container's image. */
static void reply_admit_err(struct wreq *w, const struct pn_pod *pod, const struct pn_err *err)
{
	if (err->code == PN_E_NOT_FOUND && !strncmp(pn_err_msg(err), "image \"", 7)) {
		const char *img = pn_err_msg(err) + 7;
		size_t n = strcspn(img, "\"");
		char field[64] = "spec.containers[0].image";

		for (size_t i = 0; i < pod->spec.n_containers; i++)
			if (pod->spec.containers[i].image &&
			    strlen(pod->spec.containers[i].image) == n &&
			    !strncmp(pod->spec.containers[i].image, img, n)) {
				snprintf(field, sizeof(field), "spec.containers[%zu].image", i);
				break;
			}
		apistatus_invalid(w->resp, w->res, pod->meta.name,
				  json_pack("[o]", apistatus_cause("FieldValueNotFound", field,
								   pn_err_msg(err))));
		return;
	}
	reply_err(w, pod->meta.name, err);
}

/* ---- NetworkPolicies and Services */

static enum pn_kind manifest_kind(enum api_kind k)
{
	switch (k) {
	case API_PODS: return PN_KIND_POD;
	case API_NETPOLS: return PN_KIND_NETPOL;
	case API_SERVICES: return PN_KIND_SERVICE;
	default: return PN_KIND_NAMESPACE;
	}
}

/*
 * Store a NetworkPolicy or Service through the runtime (netpolrt.h,
 * svcrt.h: the code `podnet apply` runs), then make the node's nftables
 * rules follow through the runtime's net_sync hook (pol_sync), as the CLI
 * does after its writes.  *changed: something was stored; *dry_out: the
 * object a dry run would have stored.
 */
static int write_netsvc(struct wreq *w, struct podrt *rt, const struct pn_object *o,
			const struct podrt_write *pw, bool *changed, json_t **dry_out,
			struct pn_err *err)
{
	int ret;

	*changed = false;
	if (o->np) {
		enum netpolrt_outcome oc = NETPOLRT_UNCHANGED;

		ret = netpolrt_apply(rt->st, o->np, pw, &oc, w->dry_run ? dry_out : NULL, err);
		*changed = ret == 0 && oc != NETPOLRT_UNCHANGED;
	} else {
		enum svcrt_outcome oc = SVCRT_UNCHANGED;
		struct svcrt_cfg cfg;

		ret = svcrt_config(&cfg, err);
		if (ret == 0)
			ret = svcrt_write(rt->st, &cfg, o->svc, pw, &oc, w->dry_run ? dry_out : NULL,
					  err);
		*changed = ret == 0 && oc != SVCRT_UNCHANGED;
		if (ret == 0 && w->dry_run && *dry_out)
			json_object_set_new(*dry_out, "status", json_pack("{s:{}}", "loadBalancer"));
	}
	if (ret == 0 && *changed && !w->dry_run) {
		struct pn_err se = { 0 };

		/* Stored, its rules not yet in the kernel: a podnetd killed
		 * here leaves that to the next one's sync at start. */
		pn_fault_point("netsvc.stored");
		/* The object is stored: a failure to program the kernel does
		 * not undo it (the next sync, or `podnet sync`, tries again). */
		if (podrt_net_sync(rt, &se) < 0)
			pn_warn("%s %s/%s stored, the node's rules not updated: %s", w->res->singular,
				w->ns, w->name ? w->name : "", pn_err_msg(&se));
		pn_err_free(&se);
	}
	return ret;
}

/* ---- create */

static void create_obj(struct wreq *w, struct podrt *rt, json_t *obj, bool applied, int *status,
		       json_t **out)
{
	struct pn_err err = { 0 };
	struct pn_object o = { 0 };
	enum pn_kind kind = manifest_kind(w->res->id);
	struct podrt_write pw = { .dry_run = w->dry_run, .mode = PODRT_WRITE_CREATE };
	const char *name;

	*out = NULL;
	/* An apply has recorded its own fields (operation Apply). */
	if (!applied)
		json_object_del(meta_of(obj), "managedFields");
	if (!applied && ssa_update(w->res->id, NULL, obj, w->manager, w->now) < 0) {
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	if (manifest_decode_api(obj, kind, &w->fv, &o, &err) < 0) {
		if (err.code == PN_E_BAD_REQUEST)
			apistatus_bad_request(w->resp, "%s", pn_err_msg(&err));
		else
			reply_err(w, meta_str(obj, "name"), &err);
		goto out;
	}
	pw.meta = kept_meta(obj);
	if (o.np || o.svc) {
		bool changed;
		json_t *dry = NULL;

		name = o.np ? o.np->meta.name : o.svc->meta.name;
		if (write_netsvc(w, rt, &o, &pw, &changed, &dry, &err) < 0) {
			reply_err(w, name, &err);
			goto out;
		}
		*out = w->dry_run ? dry : written(w, name);
	} else if (o.pod) {
		struct store_pod *sp = NULL;

		name = o.pod->meta.name;
		if (podrt_pod_admit(rt, o.pod, &pw, &sp, &err) < 0) {
			reply_admit_err(w, o.pod, &err);
			goto out;
		}
		*out = w->dry_run ? podrt_pod_object(rt, sp) : written(w, name);
		if (w->dry_run && *out)
			json_object_del(meta_of(*out), "resourceVersion");
		store_pod_free(sp);
	} else {
		struct store_namespace *row = NULL;

		name = o.ns->meta.name;
		if (podrt_namespace_create(rt, o.ns, &pw, &row, &err) < 0) {
			reply_err(w, name, &err);
			goto out;
		}
		*out = w->dry_run ? NULL : written(w, name);
		if (w->dry_run) {
			*out = namespace_to_json(o.ns);
			if (*out && row) {
				json_object_set_new(meta_of(*out), "uid", json_string(row->uid));
				json_object_update(meta_of(*out), pw.meta);
				json_object_set_new(*out, "status", json_pack("{s:s}", "phase", "Active"));
			}
		}
		store_namespace_free(row);
	}
	*status = 201;
	if (!*out)
		apistatus_reply(w->resp, 500, "InternalError", NULL, "the %s was stored but cannot "
				"be read back", w->res->singular);
out:
	json_decref(pw.meta);
	pn_pod_free(o.pod);
	pn_namespace_free(o.ns);
	pn_netpol_free(o.np);
	pn_service_free(o.svc);
	pn_err_free(&err);
}

void api_handle_create(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, struct http_resp *resp)
{
	struct wreq w;
	struct pn_err err = { 0 };
	struct podrt *rt = NULL;
	json_t *obj = NULL, *out = NULL;
	int status = 0;

	if (res->id != API_PODS && res->id != API_NAMESPACES && res->id != API_NETPOLS &&
	    res->id != API_SERVICES) {
		apistatus_method_not_allowed(resp);
		return;
	}
	if (wreq_init(&w, a, req, res, ns, NULL, resp) < 0 || body_json(&w, &obj) < 0 ||
	    check_identity(&w, obj, true) < 0)
		goto out;
	rt = node_rt_get(a, &err);
	if (!rt) {
		reply_err(&w, NULL, &err);
		goto out;
	}
	create_obj(&w, rt, obj, false, &status, &out);
	if (out) {
		add_warnings(&w);
		reply_obj(&w, status, out);
	}
out:
	node_rt_put(a, rt);
	json_decref(obj);
	pn_err_free(&err);
	wreq_free(&w);
}

/* ---- update and patch */

enum wkind { W_PUT, W_MERGE, W_STRATEGIC, W_JSON, W_APPLY };

static enum wkind patch_kind(const char *ct)
{
	if (!ct)
		return W_PUT;
	if (!strncmp(ct, "application/merge-patch+json", 28))
		return W_MERGE;
	if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		return W_STRATEGIC;
	if (!strncmp(ct, "application/json-patch+json", 27))
		return W_JSON;
	if (!strncmp(ct, "application/apply-patch+yaml", 28) ||
	    !strncmp(ct, "application/apply-patch+cbor", 28))
		return W_APPLY;
	return W_PUT;
}

/* Only labels and annotations of the Node may change (podnetd registers
 * it from what the machine is). */
static int node_check(struct wreq *w, json_t *live, json_t *new_obj, struct pn_err *err)
{
	json_t *a = json_deep_copy(live), *b = json_deep_copy(new_obj);
	bool same;

	if (!a || !b) {
		json_decref(a);
		json_decref(b);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	json_object_del(a, "status");
	json_object_del(b, "status");
	static const char *const free_keys[] = { "labels", "annotations", "managedFields",
						 "resourceVersion" };
	for (size_t i = 0; i < PN_ARRAY_SIZE(free_keys); i++) {
		json_object_del(meta_of(a), free_keys[i]);
		json_object_del(meta_of(b), free_keys[i]);
	}
	same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	(void)w;
	if (same)
		return 0;
	pn_error(err, PN_E_INVALID, EINVAL,
		 "Node is invalid: Forbidden: podnetd lets only metadata.labels and "
		 "metadata.annotations change");
	if (pn_err_cause(err, "FieldValueForbidden", "metadata",
			 "Forbidden: podnetd lets only metadata.labels and metadata.annotations "
			 "change") < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	return -EPERM;
}

/*
 * One attempt: the new object from @live and the request, stored if the
 * live object is still at @live_rv.  Returns 0 (*out set), -EAGAIN when it
 * moved (a patch tries again), or -1 with the response set.
 */
static int update_once(struct wreq *w, struct podrt *rt, json_t *body, enum wkind k, json_t *live,
		       int64_t live_rv, json_t **out, int *status)
{
	struct pn_err err = { 0 };
	struct pn_object o = { 0 };
	struct podrt_write pw = { .dry_run = w->dry_run, .expect_rv = live_rv,
				  .mode = PODRT_WRITE_UPDATE };
	enum podrt_update_result what = PODRT_UNCHANGED;
	json_t *new_obj = NULL, *conflicts = NULL;
	char *msg = NULL;
	int ret = -1;

	*out = NULL;
	*status = 200;
	switch (k) {
	case W_PUT: {
		const char *brv = meta_str(body, "resourceVersion");

		new_obj = json_deep_copy(body);
		if (brv && *brv && strtoll(brv, NULL, 10) != live_rv) {
			apistatus_conflict(w->resp, w->res, w->name);
			goto out;
		}
		/* Fields the client did not send keep their managers. */
		if (new_obj && !json_object_get(meta_of(new_obj), "managedFields"))
			json_object_set(meta_of(new_obj), "managedFields",
					json_object_get(meta_of(live), "managedFields"));
		break;
	}
	case W_MERGE:
		ret = patch_merge(live, body, &new_obj, &msg);
		break;
	case W_STRATEGIC:
		ret = patch_strategic(w->res->id, live, body, &new_obj, &msg);
		break;
	case W_JSON:
		ret = patch_json(live, body, &new_obj, &msg);
		break;
	case W_APPLY: {
		const char *force = http_query_get(w->req, "force");

		if (!http_query_get(w->req, "fieldManager")) {
			apistatus_bad_request(w->resp, "PATCH /%s: fieldManager is required for "
					      "apply requests", w->res->plural);
			goto out;
		}
		ret = ssa_apply(w->res->id, live, body, w->manager, force && !strcmp(force, "true"),
				w->now, &new_obj, &conflicts, &msg);
		if (ret == -EEXIST) {
			json_t *d = apistatus_details(w->res, w->name);

			json_object_set_new(d, "causes", conflicts);
			conflicts = NULL;
			apistatus_reply(w->resp, 409, "Conflict", d, "%s", msg ? msg : "conflict");
			ret = -1;
			goto out;
		}
		break;
	}
	}
	if (k != W_PUT && ret < 0) {
		if (ret == -ENOMEM)
			apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
		else if (k == W_JSON && msg && strstr(msg, "test"))
			apistatus_reply(w->resp, 422, "Invalid", NULL, "%s", msg);
		else
			apistatus_bad_request(w->resp, "%s", msg ? msg : "invalid patch");
		ret = -1;
		goto out;
	}
	ret = -1;
	if (!new_obj) {
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	if (check_identity(w, new_obj, false) < 0)
		goto out;
	if (k != W_APPLY && ssa_update(w->res->id, live, new_obj, w->manager, w->now) < 0) {
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	if (w->res->id == API_NODES) {
		if (node_check(w, live, new_obj, &err) < 0) {
			reply_err(w, w->name, &err);
			goto out;
		}
		if (json_equal(json_object_get(live, "metadata"), json_object_get(new_obj, "metadata"))) {
			*out = json_incref(live);
		} else if (w->dry_run) {
			*out = json_incref(new_obj);
		} else if (node_set_meta(w->a, new_obj, &err) < 0) {
			reply_err(w, w->name, &err);
			goto out;
		} else {
			*out = written(w, w->name);
		}
		ret = 0;
		goto out;
	}
	if (manifest_decode_api(new_obj, manifest_kind(w->res->id), &w->fv, &o, &err) < 0) {
		if (err.code == PN_E_BAD_REQUEST)
			apistatus_bad_request(w->resp, "%s", pn_err_msg(&err));
		else
			reply_err(w, w->name, &err);
		goto out;
	}
	pw.meta = kept_meta(new_obj);
	if (o.np || o.svc) {
		bool changed = false;
		json_t *dry = NULL;

		ret = write_netsvc(w, rt, &o, &pw, &changed, &dry, &err);
		what = changed ? PODRT_CONFIGURED : PODRT_UNCHANGED;
		if (ret == 0 && w->dry_run && changed) {
			json_decref(new_obj);
			new_obj = dry;
			if (new_obj)
				json_object_set(meta_of(new_obj), "resourceVersion",
						json_object_get(meta_of(live), "resourceVersion"));
		} else {
			json_decref(dry);
		}
	} else if (o.pod) {
		ret = podrt_pod_update(rt, o.pod, &pw, &what, NULL, &err);
	} else {
		ret = podrt_namespace_update(rt, o.ns, &pw, &what, &err);
	}
	if (ret < 0) {
		if (err.code == PN_E_CONFLICT && k != W_PUT) {
			ret = -EAGAIN;
			goto out;
		}
		if (err.code == PN_E_CONFLICT)
			apistatus_conflict(w->resp, w->res, w->name);
		else
			reply_err(w, w->name, &err);
		ret = -1;
		goto out;
	}
	if (what == PODRT_UNCHANGED)
		*out = json_incref(live);
	else if (w->dry_run)
		*out = json_incref(new_obj);
	else
		*out = written(w, w->name);
	ret = 0;
out:
	json_decref(new_obj);
	json_decref(conflicts);
	json_decref(pw.meta);
	free(msg);
	pn_pod_free(o.pod);
	pn_namespace_free(o.ns);
	pn_netpol_free(o.np);
	pn_service_free(o.svc);
	pn_err_free(&err);
	return ret;
}

void api_handle_write(struct api *a, const struct http_req *req, const struct api_resource *res,
		      const char *ns, const char *name, struct http_resp *resp)
{
	struct wreq w;
	struct pn_err err = { 0 };
	struct podrt *rt = NULL;
	json_t *body = NULL, *out = NULL;
	enum wkind k = !strcmp(req->method, "PUT") ? W_PUT
						     : patch_kind(http_header_get(req, "Content-Type"));
	int status = 200;

	if (res->id == API_EVENTS) {
		apistatus_method_not_allowed(resp);
		return;
	}
	if (!strcmp(req->method, "PATCH") && k == W_PUT) {
		const char *ct = http_header_get(req, "Content-Type");

		apistatus_reply(resp, 415, "UnsupportedMediaType", NULL,
				"the body of the request was in an unknown format - accepted media "
				"types include: application/json-patch+json, "
				"application/merge-patch+json, application/apply-patch+yaml, "
				"application/strategic-merge-patch+json%s%s",
				ct ? "; got " : "", ct ? ct : "");
		return;
	}
	if (wreq_init(&w, a, req, res, ns, name, resp) < 0 || body_json(&w, &body) < 0)
		goto out;
	if (k == W_PUT && check_identity(&w, body, false) < 0)
		goto out;
	rt = node_rt_get(a, &err);
	if (!rt) {
		reply_err(&w, name, &err);
		goto out;
	}
	for (int tries = 0;; tries++) {
		json_t *live = NULL;
		int64_t live_rv = 0;
		int r;

		if (live_get(&w, rt, name, &live, &live_rv, NULL, &err) < 0) {
			if (err.code == PN_E_NOT_FOUND && k == W_APPLY && res->id != API_NODES) {
				/* An apply creates what does not exist. */
				json_t *obj = NULL, *conflicts = NULL;
				char *msg = NULL;

				pn_err_free(&err);
				if (ssa_apply(res->id, NULL, body, w.manager, false, w.now, &obj,
					      &conflicts, &msg) < 0) {
					apistatus_bad_request(resp, "%s", msg ? msg : "invalid apply");
				} else if (check_identity(&w, obj, false) == 0) {
					create_obj(&w, rt, obj, true, &status, &out);
				}
				json_decref(obj);
				json_decref(conflicts);
				free(msg);
				break;
			}
			if (err.code == PN_E_NOT_FOUND)
				apistatus_not_found(resp, res, name);
			else
				reply_err(&w, name, &err);
			break;
		}
		r = update_once(&w, rt, body, k, live, live_rv, &out, &status);
		json_decref(live);
		if (r == -EAGAIN && tries < UPDATE_TRIES)
			continue;
		if (r == -EAGAIN)
			apistatus_conflict(resp, res, name);
		break;
	}
	if (out) {
		add_warnings(&w);
		reply_obj(&w, status, out);
	}
out:
	node_rt_put(a, rt);
	json_decref(body);
	pn_err_free(&err);
	wreq_free(&w);
}

/* ---- delete */

struct delopts {
	bool has_grace;
	int64_t grace;
	const char *uid;          /* preconditions */
	const char *rv;
	bool dry_run;
};

/* DeleteOptions from the body (kubectl sends one) and the query. */
static int delete_opts(struct wreq *w, json_t **body, struct delopts *o)
{
	const char *g = http_query_get(w->req, "gracePeriodSeconds");

	memset(o, 0, sizeof(*o));
	*body = NULL;
	o->dry_run = w->dry_run;
	if (w->req->body_len) {
		json_error_t je;
		json_t *dr, *pre;

		*body = json_loadb(w->req->body, w->req->body_len, 0, &je);
		if (!json_is_object(*body)) {
			apistatus_bad_request(w->resp, "json: %s", *body ? "DeleteOptions is not an "
					      "object" : je.text);
			return -EINVAL;
		}
		if (json_is_integer(json_object_get(*body, "gracePeriodSeconds"))) {
			o->has_grace = true;
			o->grace = json_integer_value(json_object_get(*body, "gracePeriodSeconds"));
		}
		dr = json_object_get(*body, "dryRun");
		if (json_is_array(dr) && json_array_size(dr)) {
			if (strcmp(json_string_value(json_array_get(dr, 0)) ?: "", "All")) {
				apistatus_bad_request(w->resp, "Invalid dry run value: supported "
						      "values: \"All\"");
				return -EINVAL;
			}
			o->dry_run = true;
		}
		pre = json_object_get(*body, "preconditions");
		o->uid = json_string_value(json_object_get(pre, "uid"));
		o->rv = json_string_value(json_object_get(pre, "resourceVersion"));
	}
	if (g && *g) {
		char *end;

		o->grace = strtoll(g, &end, 10);
		if (*end) {
			apistatus_bad_request(w->resp, "gracePeriodSeconds: Invalid value: \"%s\"", g);
			return -EINVAL;
		}
		o->has_grace = true;
	}
	if (o->has_grace && o->grace < 0) {
		/* kube-apiserver treats a negative period as 1 s. */
		o->grace = 1;
	}
	return 0;
}

/* Preconditions: 0, or the 409 is set. */
static int preconditions(struct wreq *w, const struct delopts *o, json_t *live, const char *name)
{
	const char *uid = meta_str(live, "uid"), *rv = meta_str(live, "resourceVersion");

	if (o->uid && strcmp(o->uid, uid ?: "")) {
		apistatus_reply(w->resp, 409, "Conflict", apistatus_details(w->res, name),
				"Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID "
				"in precondition: %s, UID in object meta: %s", w->res->plural, name,
				o->uid, uid ?: "");
		return -1;
	}
	if (o->rv && strcmp(o->rv, rv ?: "")) {
		apistatus_reply(w->resp, 409, "Conflict", apistatus_details(w->res, name),
				"Operation cannot be fulfilled on %s \"%s\": Precondition failed: "
				"ResourceVersion in precondition: %s, ResourceVersion in object meta: "
				"%s", w->res->plural, name, o->rv, rv ?: "");
		return -1;
	}
	return 0;
}

/* The live object a delete works on, its preconditions met: 0, or -1
 * with the answer set (not found, the read's error, or the 409). */
static int delete_live(struct wreq *w, struct podrt *rt, const char *name,
		       const struct delopts *o, json_t **live, int64_t *rv, struct store_pod **row,
		       struct pn_err *err)
{
	if (live_get(w, rt, name, live, rv, row, err) < 0) {
		if (err->code == PN_E_NOT_FOUND)
			apistatus_not_found(w->resp, w->res, name);
		else
			reply_err(w, name, err);
		return -1;
	}
	return preconditions(w, o, *live, name) < 0 ? -1 : 0;
}

/* kube-apiserver's CheckGracefulDelete for a pod. */
static int64_t pod_grace(const struct store_pod *sp, json_t *live, const struct delopts *o)
{
	const char *phase = json_string_value(json_object_get(json_object_get(live, "status"),
							      "phase"));
	int64_t g;

	if (o->has_grace)
		g = o->grace;
	else
		g = json_integer_value(json_object_get(json_object_get(live, "spec"),
						       "terminationGracePeriodSeconds"));
	/* Never started, or already finished: nothing to wait for. */
	if (sp->state == STORE_POD_PENDING || (phase && (!strcmp(phase, "Succeeded") ||
							 !strcmp(phase, "Failed"))))
		g = 0;
	return g;
}

struct deleted_one {
	struct wreq *w;
	int failed;
	struct pn_err err;
};

static void deleted_cb(void *ctx, const struct store_pod *sp, int ret, const struct pn_err *err)
{
	struct deleted_one *d = ctx;

	if (ret < 0 && !d->failed) {
		d->failed = ret;
		pn_error(&d->err, err->code, err->errnum, "%s", pn_err_msg(err));
	}
	(void)sp;
}

/*
 * Delete one pod: a grace period of 0 removes it before answering (the
 * processes are killed, the network and rows go); otherwise it becomes
 * Terminating and the agent finishes it.  *out: the object to answer with.
 */
static int delete_pod(struct wreq *w, struct podrt *rt, const char *name, const struct delopts *o,
		      json_t **out)
{
	struct pn_err err = { 0 };
	struct store_pod *sp = NULL;
	json_t *live = NULL;
	int64_t rv, grace;
	int ret = -1;

	*out = NULL;
	if (delete_live(w, rt, name, o, &live, &rv, &sp, &err) < 0)
		goto out;
	grace = pod_grace(sp, live, o);
	if (o->dry_run) {
		if (grace > 0 && !json_object_get(meta_of(live), "deletionTimestamp")) {
			char ts[32];
			time_t t = api_now(w->a) + grace;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(meta_of(live), "deletionTimestamp", json_string(ts));
			json_object_set_new(meta_of(live), "deletionGracePeriodSeconds",
					    json_integer(grace));
		}
		*out = json_incref(live);
		ret = 0;
		goto out;
	}
	if (grace == 0) {
		const struct podrt_delete_opts d = { .grace = 0, .force = true };
		struct deleted_one one = { .w = w };

		if (podrt_pods_delete(rt, sp, 1, &d, deleted_cb, &one, &err) < 0 || one.failed) {
			reply_err(w, name, one.failed ? &one.err : &err);
			pn_err_free(&one.err);
			goto out;
		}
		pn_err_free(&one.err);
		node_sync(w->a);
		*out = json_incref(live);
	} else {
		const struct podrt_delete_opts d = { .grace = grace };
		bool gone = false;

		if (podrt_pod_mark_deleting(rt, sp, &d, &gone, NULL, &err) < 0) {
			reply_err(w, name, &err);
			goto out;
		}
		*out = gone ? json_incref(live) : written(w, name);
		if (!*out)
			*out = json_incref(live);
	}
	ret = 0;
out:
	json_decref(live);
	store_pod_free(sp);
	pn_err_free(&err);
	return ret;
}

static int delete_namespace(struct wreq *w, struct podrt *rt, const char *name,
			    const struct delopts *o, json_t **out)
{
	struct pn_err err = { 0 };
	json_t *live = NULL;
	int64_t rv;
	bool gone = false;
	int ret = -1;

	*out = NULL;
	if (delete_live(w, rt, name, o, &live, &rv, NULL, &err) < 0)
		goto out;
	if (podrt_namespace_delete(rt, name, o->dry_run, &gone, &err) < 0) {
		reply_err(w, name, &err);
		goto out;
	}
	if (o->dry_run || gone) {
		json_t *st = json_object_get(live, "status");

		*out = json_deep_copy(live);
		if (*out && st)
			json_object_set_new(*out, "status", json_pack("{s:s}", "phase", "Terminating"));
		if (gone)
			node_sync(w->a);
	} else {
		*out = written(w, name);
	}
	ret = *out ? 0 : -1;
	if (ret < 0)
		apistatus_reply(w->resp, 500, "InternalError", NULL, "out of memory");
out:
	json_decref(live);
	pn_err_free(&err);
	return ret;
}

static int delete_event(struct wreq *w, struct podrt *rt, const char *name,
			const struct delopts *o, json_t **out)
{
	json_t *ev = cache_get(w->a->cache, API_EVENTS, w->ns, name);
	struct pn_err err = { 0 };
	int ret = -1;

	*out = NULL;
	if (!ev) {
		apistatus_not_found(w->resp, w->res, name);
		return -1;
	}
	if (preconditions(w, o, ev, name) < 0)
		goto out;
	if (!o->dry_run && store_event_delete(rt->st, meta_str(ev, "uid"), &err) < 0 &&
	    err.code != PN_E_NOT_FOUND) {
		reply_err(w, name, &err);
		goto out;
	}
	if (!o->dry_run)
		node_sync(w->a);
	*out = json_pack("{s:s, s:s, s:{}, s:s, s:{s:s, s:s, s:s}}", "kind", "Status", "apiVersion",
			 "v1", "metadata", "status", "Success", "details", "name", name, "kind",
			 "events", "uid", meta_str(ev, "uid") ?: "");
	ret = 0;
out:
	json_decref(ev);
	pn_err_free(&err);
	return ret;
}

/* A NetworkPolicy or Service goes at once (nothing to wait for), then the
 * node's rules follow; the answer is kube-apiserver's Success Status. */
static int delete_netsvc(struct wreq *w, struct podrt *rt, const char *name,
			 const struct delopts *o, json_t **out)
{
	struct pn_err err = { 0 };
	json_t *live = NULL, *d;
	int64_t rv;
	int ret = -1;

	*out = NULL;
	if (delete_live(w, rt, name, o, &live, &rv, NULL, &err) < 0)
		goto out;
	if (!o->dry_run) {
		int r = w->res->id == API_NETPOLS ? store_netpol_delete(rt->st, w->ns, name, &err)
						  : svcrt_delete(rt->st, w->ns, name, &err);

		if (r < 0) {
			if (err.code == PN_E_NOT_FOUND)
				apistatus_not_found(w->resp, w->res, name);
			else
				reply_err(w, name, &err);
			goto out;
		}
		pn_err_free(&err);
		pn_fault_point("netsvc.deleted");
		if (podrt_net_sync(rt, &err) < 0)
			pn_warn("%s %s/%s deleted, the node's rules not updated: %s", w->res->singular,
				w->ns, name, pn_err_msg(&err));
		node_sync(w->a);
	}
	d = apistatus_details(w->res, name);
	if (d)
		json_object_set_new(d, "uid", json_string(meta_str(live, "uid") ?: ""));
	*out = json_pack("{s:s, s:s, s:{}, s:s, s:o}", "kind", "Status", "apiVersion", "v1",
			 "metadata", "status", "Success", "details", d ? d : json_object());
	ret = *out ? 0 : -1;
out:
	json_decref(live);
	pn_err_free(&err);
	return ret;
}

void api_handle_delete(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, const char *name, struct http_resp *resp)
{
	struct wreq w;
	struct delopts o;
	struct pn_err err = { 0 };
	struct podrt *rt = NULL;
	json_t *body = NULL, *out = NULL;
	int r = -1;

	if (wreq_init(&w, a, req, res, ns, name, resp) < 0 || delete_opts(&w, &body, &o) < 0)
		goto out;
	rt = node_rt_get(a, &err);
	if (!rt) {
		reply_err(&w, name, &err);
		goto out;
	}
	switch (res->id) {
	case API_PODS:
		r = delete_pod(&w, rt, name, &o, &out);
		break;
	case API_NAMESPACES:
		r = delete_namespace(&w, rt, name, &o, &out);
		break;
	case API_EVENTS:
		r = delete_event(&w, rt, name, &o, &out);
		break;
	case API_NETPOLS:
	case API_SERVICES:
		r = delete_netsvc(&w, rt, name, &o, &out);
		break;
	default:
		apistatus_method_not_allowed(resp);
		break;
	}
	if (r == 0)
		reply_obj(&w, 200, out);
out:
	node_rt_put(a, rt);
	json_decref(body);
	pn_err_free(&err);
	wreq_free(&w);
}

static const char *labels_of(void *ctx, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(ctx, "metadata"),
								  "labels"), key));
}

void api_handle_delete_collection(struct api *a, const struct http_req *req,
				  const struct api_resource *res, const char *ns,
				  struct http_resp *resp)
{
	struct wreq w;
	struct delopts o;
	struct pn_err err = { 0 };
	struct podrt *rt = NULL;
	struct labelsel *ls = NULL;
	struct fieldsel *fs = NULL;
	json_t *body = NULL, *all = NULL, *items = json_array(), *obj;
	const char *lq = http_query_get(req, "labelSelector"), *fq = http_query_get(req, "fieldSelector");
	uint64_t rv;
	size_t i;
	char av[64];

	if (wreq_init(&w, a, req, res, ns, NULL, resp) < 0 || delete_opts(&w, &body, &o) < 0)
		goto out;
	if (lq && labelsel_parse(lq, &ls, &err) < 0) {
		apistatus_bad_request(resp, "%s", pn_err_msg(&err));
		goto out;
	}
	if (fq) {
		char *msg = NULL;

		if (fieldsel_parse(fq, res->id, &fs, &msg) < 0) {
			apistatus_bad_request(resp, "%s", msg ? msg : "out of memory");
			free(msg);
			goto out;
		}
	}
	rt = node_rt_get(a, &err);
	if (!rt || !items) {
		reply_err(&w, NULL, &err);
		goto out;
	}
	all = cache_list(a->cache, res->id, res->namespaced ? ns : NULL, &rv);
	if (res->id == API_PODS) {
		/* All at once: one grace period for all, as podrt_pods_delete()
		 * does; each pod's object as delete answers it. */
		json_array_foreach(all, i, obj) {
			json_t *one = NULL;

			if (!labelsel_matches(ls, labels_of, obj) || !fieldsel_matches(fs, res->id, obj))
				continue;
			w.ns = cache_obj_namespace(obj);
			if (delete_pod(&w, rt, cache_obj_name(obj), &o, &one) == 0)
				json_array_append_new(items, one);
			else
				http_resp_free(resp);
		}
	} else {
		json_array_foreach(all, i, obj) {
			json_t *one = NULL;

			if (!labelsel_matches(ls, labels_of, obj) || !fieldsel_matches(fs, res->id, obj))
				continue;
			w.ns = cache_obj_namespace(obj);
			if (delete_event(&w, rt, cache_obj_name(obj), &o, &one) == 0)
				json_array_append(items, obj);
			else
				http_resp_free(resp);
			json_decref(one);
		}
	}
	memset(resp, 0, sizeof(*resp));
	{
		char lk[64];

		snprintf(lk, sizeof(lk), "%sList", res->kind);
		reply_obj(&w, 200, json_pack("{s:s, s:s, s:{}, s:O}", "kind", lk, "apiVersion",
					     api_resource_api_version(res, av, sizeof(av)),
					     "metadata", "items", items));
	}
out:
	node_rt_put(a, rt);
	labelsel_free(ls);
	fieldsel_free(fs);
	json_decref(all);
	json_decref(items);
	json_decref(body);
	pn_err_free(&err);
	wreq_free(&w);
}

/* ---- subresources */

void api_handle_subresource(struct api *a, const struct http_req *req,
			    const struct api_resource *res, const char *ns, const char *name,
			    const char *sub, struct http_resp *resp)
{
	json_t *obj;

	if (!strcmp(sub, "status")) {
		if (strcmp(req->method, "GET")) {
			apistatus_method_not_allowed(resp);
			return;
		}
		obj = cache_get(a->cache, res->id, res->namespaced ? ns : NULL, name);
		if (!obj) {
			apistatus_not_found(resp, res, name);
			return;
		}
		if (http_resp_json(resp, 200, obj) < 0)
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	if (res->id != API_PODS) {
		apistatus_no_route(resp);
		return;
	}
	podio_handle(a, req, ns, name, sub, resp);
}
