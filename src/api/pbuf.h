/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PBUF_H
#define PODNET_PBUF_H

/*
 * A Kubernetes protobuf body (application/vnd.kubernetes.protobuf), for
 * the one kind kubectl sends that way to podnetd: a v1 Namespace (kubectl
 * create namespace).  See pbuf.c.
 */

#include <jansson.h>
#include <stddef.h>

/* The Namespace as JSON (apiVersion, kind, metadata: name, generateName,
 * labels, annotations).  -EINVAL (malformed) or -EPROTONOSUPPORT (another
 * kind) with *msg (heap), -ENOMEM. */
int pbuf_namespace_to_json(const char *buf, size_t len, json_t **out, char **msg);

#endif
