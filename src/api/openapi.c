/* SPDX-License-Identifier: Apache-2.0 */
#include "openapi.h"

#include "apistatus.h"

void openapi_handle(const struct http_req *req, struct http_resp *resp)
{
	(void)req;
	apistatus_no_route(resp);
}
