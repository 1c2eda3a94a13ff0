/* SPDX-License-Identifier: Apache-2.0 */
#include "apires.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const v_all[] = { "create", "delete", "deletecollection", "get", "list",
				     "patch", "update", "watch", NULL };
static const char *const v_ns[] = { "create", "delete", "get", "list", "patch", "update", "watch",
				    NULL };
/* The node registers itself: clients may read it and change its labels
 * and annotations, not create or delete it. */
static const char *const v_node[] = { "get", "list", "patch", "update", "watch", NULL };
static const char *const v_get[] = { "get", NULL };
/* Events are recorded by the node (kubelet's and the scheduler's): read
 * and delete them. */
static const char *const v_ev[] = { "delete", "deletecollection", "get", "list", "watch", NULL };
/* EndpointSlices are the node's to compute from Services and pods. */
static const char *const v_read[] = { "get", "list", "watch", NULL };
static const char *const v_create_get[] = { "create", "get", NULL };
/* Status is the node's to write. */
static const char *const v_status[] = { "get", NULL };

static const char *const sn_po[] = { "po", NULL };
static const char *const sn_ns[] = { "ns", NULL };
static const char *const sn_no[] = { "no", NULL };
static const char *const sn_ev[] = { "ev", NULL };
static const char *const sn_svc[] = { "svc", NULL };
static const char *const sn_netpol[] = { "netpol", NULL };
static const char *const cat_all[] = { "all", NULL };

static const struct api_subres pod_subs[] = {
	{ "attach", "PodAttachOptions", v_create_get },
	{ "exec", "PodExecOptions", v_create_get },
	{ "log", "Pod", v_get },
	{ "portforward", "PodPortForwardOptions", v_create_get },
	{ "status", "Pod", v_status },
	{ NULL, NULL, NULL },
};
static const struct api_subres ns_subs[] = {
	{ "status", "Namespace", v_status },
	{ NULL, NULL, NULL },
};
static const struct api_subres node_subs[] = {
	{ "status", "Node", v_status },
	{ NULL, NULL, NULL },
};
static const struct api_subres svc_subs[] = {
	{ "status", "Service", v_status },
	{ NULL, NULL, NULL },
};
static const struct api_subres no_subs[] = { { NULL, NULL, NULL } };

const struct api_resource api_resources[API_KIND_COUNT] = {
	[API_NAMESPACES] = { API_NAMESPACES, "", "v1", "namespaces", "namespace", "Namespace", false,
			     v_ns, sn_ns, NULL, ns_subs },
	[API_PODS] = { API_PODS, "", "v1", "pods", "pod", "Pod", true, v_all, sn_po, cat_all,
		       pod_subs },
	[API_NODES] = { API_NODES, "", "v1", "nodes", "node", "Node", false, v_node, sn_no, NULL,
			node_subs },
	[API_EVENTS] = { API_EVENTS, "", "v1", "events", "event", "Event", true, v_ev, sn_ev, NULL,
			 no_subs },
	[API_SERVICES] = { API_SERVICES, "", "v1", "services", "service", "Service", true, v_ns,
			   sn_svc, cat_all, svc_subs },
	[API_NETPOLS] = { API_NETPOLS, "networking.k8s.io", "v1", "networkpolicies",
			  "networkpolicy", "NetworkPolicy", true, v_ns, sn_netpol, NULL, no_subs },
	[API_ENDPOINTSLICES] = { API_ENDPOINTSLICES, "discovery.k8s.io", "v1", "endpointslices",
				 "endpointslice", "EndpointSlice", true, v_read, NULL, NULL,
				 no_subs },
};

const struct api_group api_groups[] = {
	{ "networking.k8s.io", "v1" },
	{ "discovery.k8s.io", "v1" },
};
const size_t api_n_groups = PN_ARRAY_SIZE(api_groups);

const struct api_resource *api_resource_find(const char *group, const char *version,
					     const char *plural)
{
	for (size_t i = 0; i < API_KIND_COUNT; i++) {
		const struct api_resource *r = &api_resources[i];

		if (!strcmp(r->group, group) && !strcmp(r->version, version) &&
		    !strcmp(r->plural, plural))
			return r;
	}
	return NULL;
}

const struct api_subres *api_subres_find(const struct api_resource *r, const char *name)
{
	for (const struct api_subres *s = r->subs; s && s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

bool api_verb_allowed(const char *const *verbs, const char *verb)
{
	for (; verbs && *verbs; verbs++)
		if (!strcmp(*verbs, verb))
			return true;
	return false;
}

const char *api_resource_api_version(const struct api_resource *r, char *buf, size_t n)
{
	if (!*r->group)
		return r->version;
	snprintf(buf, n, "%s/%s", r->group, r->version);
	return buf;
}

static json_t *str_array(const char *const *v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *api_discovery_versions(void)
{
	/* serverAddressByClientCIDRs is for clients behind a proxy; a node's
	 * own API has none to offer. */
	return json_pack("{s:s, s:[s], s:[]}", "kind", "APIVersions", "versions", "v1",
			 "serverAddressByClientCIDRs");
}

static json_t *group_json(const struct api_group *g)
{
	char gv[128];

	snprintf(gv, sizeof(gv), "%s/%s", g->name, g->version);
	return json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", g->name, "versions",
			 "groupVersion", gv, "version", g->version, "preferredVersion",
			 "groupVersion", gv, "version", g->version);
}

json_t *api_discovery_groups(void)
{
	json_t *groups = json_array();

	for (size_t i = 0; groups && i < api_n_groups; i++)
		json_array_append_new(groups, group_json(&api_groups[i]));
	return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups",
			 groups);
}

json_t *api_discovery_group(const char *group)
{
	for (size_t i = 0; i < api_n_groups; i++) {
		if (!strcmp(api_groups[i].name, group)) {
			json_t *g = group_json(&api_groups[i]);

			json_object_set_new(g, "kind", json_string("APIGroup"));
			json_object_set_new(g, "apiVersion", json_string("v1"));
			return g;
		}
	}
	return NULL;
}

json_t *api_discovery_resources(const char *group, const char *version)
{
	json_t *list = json_array();
	char gv[128];
	bool any = false;

	for (size_t i = 0; list && i < API_KIND_COUNT; i++) {
		const struct api_resource *r = &api_resources[i];
		json_t *o;

		if (strcmp(r->group, group) || strcmp(r->version, version))
			continue;
		any = true;
		o = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural, "singularName",
			      r->singular, "namespaced", r->namespaced, "kind", r->kind, "verbs",
			      str_array(r->verbs));
		if (r->short_names)
			json_object_set_new(o, "shortNames", str_array(r->short_names));
		if (r->categories)
			json_object_set_new(o, "categories", str_array(r->categories));
		json_array_append_new(list, o);
		for (const struct api_subres *s = r->subs; s && s->name; s++) {
			char name[64];

			snprintf(name, sizeof(name), "%s/%s", r->plural, s->name);
			json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name,
							      "singularName", "", "namespaced",
							      r->namespaced, "kind", s->kind, "verbs",
							      str_array(s->verbs)));
		}
	}
	if (!any) {
		json_decref(list);
		return NULL;
	}
	if (*group)
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			 "groupVersion", gv, "resources", list);
}

static json_t *gvk(const char *group, const char *version, const char *kind)
{
	return json_pack("{s:s, s:s, s:s}", "group", group, "version", version, "kind", kind);
}

/* One APIGroupDiscovery: @group with the resources of its (one) version. */
static json_t *aggregated_group(const char *group, const char *version)
{
	json_t *res = json_array();

	for (size_t i = 0; res && i < API_KIND_COUNT; i++) {
		const struct api_resource *r = &api_resources[i];
		json_t *o, *subs;

		if (strcmp(r->group, group) || strcmp(r->version, version))
			continue;
		o = json_pack("{s:s, s:o, s:s, s:s, s:o}", "resource", r->plural, "responseKind",
			      gvk(r->group, r->version, r->kind), "scope",
			      r->namespaced ? "Namespaced" : "Cluster", "singularResource", r->singular,
			      "verbs", str_array(r->verbs));
		if (r->short_names)
			json_object_set_new(o, "shortNames", str_array(r->short_names));
		if (r->categories)
			json_object_set_new(o, "categories", str_array(r->categories));
		subs = json_array();
		for (const struct api_subres *s = r->subs; s && s->name; s++) {
			/* The *Options kinds of connect subresources are requests,
			 * not responses; kube-apiserver lists them under their
			 * own group (core v1) too. */
			json_array_append_new(subs, json_pack("{s:s, s:o, s:o}", "subresource", s->name,
							      "responseKind",
							      gvk(r->group, r->version, s->kind),
							      "verbs", str_array(s->verbs)));
		}
		if (json_array_size(subs))
			json_object_set_new(o, "subresources", subs);
		else
			json_decref(subs);
		json_array_append_new(res, o);
	}
	return json_pack("{s:{s:s}, s:[{s:s, s:o, s:s}]}", "metadata", "name", group, "versions",
			 "version", version, "resources", res, "freshness", "Current");
}

json_t *api_discovery_aggregated(bool core)
{
	json_t *items = json_array();

	if (core) {
		json_t *g = aggregated_group("", "v1");

		/* The core group has no name: kube-apiserver leaves metadata
		 * without one. */
		json_object_set_new(g, "metadata", json_object());
		json_array_append_new(items, g);
	} else {
		for (size_t i = 0; i < api_n_groups; i++)
			json_array_append_new(items,
					      aggregated_group(api_groups[i].name, api_groups[i].version));
	}
	return json_pack("{s:s, s:s, s:{}, s:o}", "kind", "APIGroupDiscoveryList", "apiVersion",
			 "apidiscovery.k8s.io/v2", "metadata", "items", items);
}
