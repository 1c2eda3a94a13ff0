/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PODIO_H
#define PODNET_PODIO_H

/*
 * A pod's stream subresources (podio.c): log, exec, attach (the
 * output), portforward (portfwd.c).
 */

#include "api.h"

void podio_handle(struct api *a, const struct http_req *req, const char *ns, const char *name,
		  const char *sub, struct http_resp *resp);

#endif
