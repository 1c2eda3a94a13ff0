/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_OPENAPI_H
#define PODNET_OPENAPI_H

/*
 * The OpenAPI documents kubectl reads: /openapi/v3 (the index of group
 * versions) and /openapi/v3/api/v1 (paths and schemas of the core group),
 * which `kubectl explain` prints and `kubectl apply` consults for field
 * validation (the fieldValidation parameter on PATCH tells it the server
 * validates, so --validate=strict is done here) and merge keys; and
 * /openapi/v2 as JSON.  Every description is podnet's own text about the
 * fields podnet supports.
 */

#include "http.h"

void openapi_handle(const struct http_req *req, struct http_resp *resp);

#endif
