/* SPDX-License-Identifier: Apache-2.0 */
#include "apistatus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *apistatus_new(int code, const char *reason, const char *message, json_t *details)
{
	/* Key order as kube-apiserver writes a Status. */
	json_t *s = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s}", "kind", "Status", "apiVersion", "v1",
			      "metadata", "status", "Failure", "message", message, "reason", reason);

	if (!s) {
		json_decref(details);
		return NULL;
	}
	if (!*reason)
		json_object_del(s, "reason");
	if (details)
		json_object_set_new(s, "details", details);
	json_object_set_new(s, "code", json_integer(code));
	return s;
}

json_t *apistatus_details(const struct api_resource *res, const char *name)
{
	json_t *d = json_object();

	if (!d)
		return NULL;
	if (name)
		json_object_set_new(d, "name", json_string(name));
	if (res && *res->group)
		json_object_set_new(d, "group", json_string(res->group));
	if (res)
		json_object_set_new(d, "kind", json_string(res->plural));
	return d;
}

static int reply_json(struct http_resp *r, int code, json_t *s)
{
	static const char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
				  "\"status\":\"Failure\",\"message\":\"out of memory\","
				  "\"reason\":\"InternalError\",\"code\":500}\n";

	if (!s || http_resp_json(r, code, s) < 0) {
		free(r->body);
		r->kind = HTTP_RESP_BUFFER;
		r->status = 500;
		r->content_type = "application/json";
		/* A static body cannot be handed over: copy or go bodiless. */
		r->body = strdup(oom);
		r->body_len = r->body ? strlen(oom) : 0;
	}
	return 0;
}

static int vreply(struct http_resp *r, int code, const char *reason, json_t *details,
		  const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0) {
		json_decref(details);
		return reply_json(r, 500, NULL);
	}
	reply_json(r, code, apistatus_new(code, reason, msg, details));
	free(msg);
	return 0;
}

int apistatus_reply(struct http_resp *r, int code, const char *reason, json_t *details,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(r, code, reason, details, fmt, ap);
	va_end(ap);
	return 0;
}

static const char *qualified(const struct api_resource *res, char *buf, size_t n)
{
	/* A GroupResource prints as "pods" or "networkpolicies.networking.k8s.io". */
	if (*res->group)
		snprintf(buf, n, "%s.%s", res->plural, res->group);
	else
		snprintf(buf, n, "%s", res->plural);
	return buf;
}

int apistatus_not_found(struct http_resp *r, const struct api_resource *res, const char *name)
{
	char q[128];

	return apistatus_reply(r, 404, "NotFound", apistatus_details(res, name), "%s \"%s\" not found",
			       qualified(res, q, sizeof(q)), name);
}

int apistatus_already_exists(struct http_resp *r, const struct api_resource *res, const char *name)
{
	char q[128];

	return apistatus_reply(r, 409, "AlreadyExists", apistatus_details(res, name),
			       "%s \"%s\" already exists", qualified(res, q, sizeof(q)), name);
}

int apistatus_conflict(struct http_resp *r, const struct api_resource *res, const char *name)
{
	char q[128];

	return apistatus_reply(r, 409, "Conflict", apistatus_details(res, name),
			       "Operation cannot be fulfilled on %s \"%s\": the object has been "
			       "modified; please apply your changes to the latest version and try again",
			       qualified(res, q, sizeof(q)), name);
}

int apistatus_bad_request(struct http_resp *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(r, 400, "BadRequest", NULL, fmt, ap);
	va_end(ap);
	return 0;
}

int apistatus_method_not_allowed(struct http_resp *r)
{
	return apistatus_reply(r, 405, "MethodNotAllowed", json_object(),
			       "the server does not allow this method on the requested resource");
}

int apistatus_no_route(struct http_resp *r)
{
	return apistatus_reply(r, 404, "NotFound", json_object(),
			       "the server could not find the requested resource");
}

json_t *apistatus_cause(const char *reason, const char *field, const char *message)
{
	return json_pack("{s:s, s:s, s:s}", "reason", reason, "message", message, "field", field);
}

int apistatus_invalid(struct http_resp *r, const struct api_resource *res, const char *name,
		      json_t *causes)
{
	json_t *details = json_object(), *c;
	char *all = NULL;
	size_t sz = 0, i, shown = 0;
	FILE *f = open_memstream(&all, &sz);

	if (!details || !f || !causes) {
		if (f)
			fclose(f);
		free(all);
		json_decref(details);
		json_decref(causes);
		return reply_json(r, 500, NULL);
	}
	json_array_foreach(causes, i, c) {
		const char *field = json_string_value(json_object_get(c, "field"));
		const char *msg = json_string_value(json_object_get(c, "message"));
		bool seen = false;
		size_t j;
		json_t *d;

		/* Go's aggregate error prints each distinct message once. */
		json_array_foreach(causes, j, d) {
			if (j >= i)
				break;
			seen |= !strcmp(json_string_value(json_object_get(d, "field")), field) &&
				!strcmp(json_string_value(json_object_get(d, "message")), msg);
		}
		if (seen)
			continue;
		fprintf(f, "%s%s: %s", shown++ ? ", " : "", field, msg);
	}
	if (fclose(f) != 0) {
		free(all);
		json_decref(details);
		json_decref(causes);
		return reply_json(r, 500, NULL);
	}
	if (name)
		json_object_set_new(details, "name", json_string(name));
	if (*res->group)
		json_object_set_new(details, "group", json_string(res->group));
	json_object_set_new(details, "kind", json_string(res->kind));
	json_object_set_new(details, "causes", causes);
	if (shown > 1)
		apistatus_reply(r, 422, "Invalid", details, "%s \"%s\" is invalid: [%s]", res->kind,
				name ? name : "", all);
	else
		apistatus_reply(r, 422, "Invalid", details, "%s \"%s\" is invalid: %s", res->kind,
				name ? name : "", all);
	free(all);
	return 0;
}

int apistatus_from_err(struct http_resp *r, const struct api_resource *res, const char *name,
		       const struct pn_err *err)
{
	const char *msg = pn_err_msg(err);
	int code = pn_code_http_status(err->code);
	const char *reason = pn_code_reason(err->code);

	if ((err->code == PN_E_INVALID || err->code == PN_E_FORBIDDEN) && err->n_causes) {
		json_t *causes = json_array();

		for (size_t i = 0; causes && i < err->n_causes; i++)
			json_array_append_new(causes, apistatus_cause(err->causes[i].reason,
								      err->causes[i].field,
								      err->causes[i].message));
		return apistatus_invalid(r, res, name, causes);
	}
	if (code < 400)
		code = 500;
	if (!reason || !*reason)
		reason = "InternalError";
	return apistatus_reply(r, code, reason,
			       code == 500 ? json_pack("{s:[{s:s}]}", "causes", "message", msg)
					   : apistatus_details(res, name),
			       "%s", msg);
}
