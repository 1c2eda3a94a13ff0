/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_HANDLERS_H
#define PODNET_HANDLERS_H

/*
 * The writing verbs and the subresources, per kind (handlers.c): create,
 * update/patch, delete, deletecollection; pods/log, pods/exec,
 * pods/attach, pods/portforward, and the status subresources.
 */

#include "api.h"

void api_handle_create(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, struct http_resp *resp);
/* PUT (update) and PATCH. */
void api_handle_write(struct api *a, const struct http_req *req, const struct api_resource *res,
		      const char *ns, const char *name, struct http_resp *resp);
void api_handle_delete(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, const char *name, struct http_resp *resp);
void api_handle_delete_collection(struct api *a, const struct http_req *req,
				  const struct api_resource *res, const char *ns,
				  struct http_resp *resp);
void api_handle_subresource(struct api *a, const struct http_req *req,
			    const struct api_resource *res, const char *ns, const char *name,
			    const char *sub, struct http_resp *resp);

#endif
