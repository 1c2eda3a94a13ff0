/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_APISTATUS_H
#define PODNET_APISTATUS_H

/*
 * metav1.Status: how kube-apiserver reports every failure, and how clients
 * (kubectl's "Error from server (NotFound): pods "x" not found") read them.
 * Reasons, codes, messages and details follow k8s.io/apimachinery's
 * errors package.
 */

#include <jansson.h>

#include "apires.h"
#include "err.h"
#include "http.h"

/* A Status object; @details is taken over (NULL: none). */
json_t *apistatus_new(int code, const char *reason, const char *message, json_t *details);
/* {"name": @name, "group": group (if any), "kind": plural} */
json_t *apistatus_details(const struct api_resource *res, const char *name);

/* Set @r to a Status failure.  Each returns 0 (the response is set, or
 * a bare 500 when memory ran out). */
int apistatus_reply(struct http_resp *r, int code, const char *reason, json_t *details,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int apistatus_not_found(struct http_resp *r, const struct api_resource *res, const char *name);
int apistatus_already_exists(struct http_resp *r, const struct api_resource *res, const char *name);
/* The optimistic-concurrency failure: a stale resourceVersion. */
int apistatus_conflict(struct http_resp *r, const struct api_resource *res, const char *name);
int apistatus_bad_request(struct http_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int apistatus_method_not_allowed(struct http_resp *r);
/* 404 for a path that names nothing served. */
int apistatus_no_route(struct http_resp *r);
/*
 * 422 Invalid: "<Kind> "<name>" is invalid: <causes>" where each cause is
 * "<field>: <message>" (several are joined as Go's aggregate error prints
 * them, "[a, b]"); @causes is a JSON array of {reason, message, field},
 * taken over.
 */
int apistatus_invalid(struct http_resp *r, const struct api_resource *res, const char *name,
		      json_t *causes);

/*
 * The Status for a runtime error: its code's HTTP status and reason
 * (pn_code_http_status/pn_code_reason), its message, and for Invalid (and
 * Forbidden field changes) the causes, as apistatus_invalid().
 */
int apistatus_from_err(struct http_resp *r, const struct api_resource *res, const char *name,
		       const struct pn_err *err);

/* A cause for apistatus_invalid: reason "FieldValueForbidden" etc. */
json_t *apistatus_cause(const char *reason, const char *field, const char *message);

#endif
