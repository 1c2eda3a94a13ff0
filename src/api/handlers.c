/* SPDX-License-Identifier: Apache-2.0 */
#include "handlers.h"

#include "apistatus.h"

void api_handle_create(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, struct http_resp *resp)
{
	(void)a; (void)req; (void)res; (void)ns;
	apistatus_method_not_allowed(resp);
}

void api_handle_write(struct api *a, const struct http_req *req, const struct api_resource *res,
		      const char *ns, const char *name, struct http_resp *resp)
{
	(void)a; (void)req; (void)res; (void)ns; (void)name;
	apistatus_method_not_allowed(resp);
}

void api_handle_delete(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, const char *name, struct http_resp *resp)
{
	(void)a; (void)req; (void)res; (void)ns; (void)name;
	apistatus_method_not_allowed(resp);
}

void api_handle_delete_collection(struct api *a, const struct http_req *req,
				  const struct api_resource *res, const char *ns,
				  struct http_resp *resp)
{
	(void)a; (void)req; (void)res; (void)ns;
	apistatus_method_not_allowed(resp);
}

void api_handle_subresource(struct api *a, const struct http_req *req,
			    const struct api_resource *res, const char *ns, const char *name,
			    const char *sub, struct http_resp *resp)
{
	(void)a; (void)req; (void)res; (void)ns; (void)name; (void)sub;
	apistatus_method_not_allowed(resp);
}
