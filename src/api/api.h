/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_API_H
#define PODNET_API_H

/*
 * podnetd's request handling: routing, authentication decisions, and the
 * verbs on each resource.  api_handle() is the server's handler; it reads
 * from the cache and writes through the node (the runtime), and never
 * prints: the daemon logs through log.h.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "apires.h"
#include "cache.h"
#include "listcache.h"
#include "http.h"

struct api_node;

/* What podnetd tells clients about itself (/version). */
#define API_GIT_VERSION "v1.32.0-podnet"
#define API_MAJOR "1"
#define API_MINOR "32"

struct api {
	struct cache *cache;
	struct listcache *lists;    /* lists as sent, for the next request; NULL: none */
	struct api_node *node;      /* the kubelet side; NULL in tests */
	const char *node_name;
	volatile int stopping;      /* streams end when set */
	int verbosity;              /* -v: 2 and up logs every request */
	/* Test hook: when set, time(NULL) is replaced by this. */
	time_t fixed_now;
};

void api_handle(void *ctx, struct http_req *req, struct http_resp *resp);

/* A parsed request path (kube-apiserver's RequestInfo). */
struct api_route {
	bool api;                  /* under /api or /apis */
	char *group;               /* "" for core; NULL for /apis itself */
	char *version;             /* NULL for /api, /apis/GROUP */
	char *namespace_;          /* every string is heap or NULL */
	char *resource;
	char *name;
	char *subresource;
	int parts;                 /* path segments after the version; -1 for /api
				    * and /apis/GROUP, -2 for /apis */
};

int api_route_parse(const char *path, struct api_route *rt);
void api_route_free(struct api_route *rt);

time_t api_now(const struct api *a);

#endif
