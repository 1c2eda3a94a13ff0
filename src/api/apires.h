/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_APIRES_H
#define PODNET_APIRES_H

/*
 * The resources podnetd serves, described once: discovery (legacy and
 * aggregated), the OpenAPI document, routing, Status details and Tables
 * all read this table.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum api_kind {
	API_NAMESPACES = 0,
	API_PODS,
	API_NODES,
	API_EVENTS,
	API_SERVICES,
	API_NETPOLS,          /* networking.k8s.io/v1 */
	API_ENDPOINTSLICES,   /* discovery.k8s.io/v1, computed from pods: read-only */
	API_KIND_COUNT,
};

struct api_subres {
	const char *name;               /* "log", "exec", "status" */
	const char *kind;               /* response kind: "Pod", "Status"... */
	const char *const *verbs;
};

struct api_resource {
	enum api_kind id;
	const char *group;              /* "" for the core group */
	const char *version;            /* "v1" */
	const char *plural;             /* "pods" */
	const char *singular;           /* "pod" */
	const char *kind;               /* "Pod" */
	bool namespaced;
	const char *const *verbs;
	const char *const *short_names; /* may be NULL */
	const char *const *categories;  /* may be NULL */
	const struct api_subres *subs;  /* NULL-name terminated */
};

/* Every served resource, in discovery order. */
extern const struct api_resource api_resources[API_KIND_COUNT];

const struct api_resource *api_resource_find(const char *group, const char *version,
					     const char *plural);
const struct api_subres *api_subres_find(const struct api_resource *r, const char *name);
bool api_verb_allowed(const char *const *verbs, const char *verb);

/* "v1" or "networking.k8s.io/v1". */
const char *api_resource_api_version(const struct api_resource *r, char *buf, size_t n);

/* The groups besides the core one, for /apis. */
struct api_group {
	const char *name;
	const char *version;
};
extern const struct api_group api_groups[];
extern const size_t api_n_groups;

/* Discovery documents. */
json_t *api_discovery_versions(void);                          /* /api */
json_t *api_discovery_groups(void);                            /* /apis */
json_t *api_discovery_group(const char *group);                /* /apis/G, NULL: unknown */
json_t *api_discovery_resources(const char *group, const char *version); /* /api/v1, /apis/G/V */
/* Aggregated discovery (apidiscovery.k8s.io/v2): @core for /api, else /apis. */
json_t *api_discovery_aggregated(bool core);

#endif
