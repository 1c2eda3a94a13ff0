/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_MANIFEST_H
#define PODNET_MANIFEST_H

/*
 * Kubernetes manifests: multi-document YAML (or JSON) → validated v1 Pod and
 * Namespace structs, and back to the JSON/YAML that kubectl would show.
 *
 * Errors reproduce what kubectl prints for the same manifest against a real
 * API server, so users can search for them: pn_err_msg(err) is the complete
 * text kubectl writes to stderr (it may span lines), e.g.
 *   error: error parsing pod.yaml: error converting YAML to JSON: yaml: line 3: ...
 *   error: error validating "pod.yaml": error validating data: ValidationError(...): ...
 *   error: resource mapping not found for name: "x" namespace: "" from "pod.yaml": ...
 *   Error from server (BadRequest): error when creating "pod.yaml": Pod in version "v1" ...
 *   The Pod "pod1" is invalid: spec.containers[1].name: Duplicate value: "c1"
 * so the CLI prints it as is, adding nothing.  err->code is the Status
 * reason the API server answers with: PN_E_INVALID for "is invalid" (each
 * field error is also in err->causes, reason FieldValueInvalid etc., as in
 * Status.details.causes), PN_E_NOT_FOUND for an unknown kind, PN_E_BAD_REQUEST
 * for the rest (syntax, client-side validation, decoding), PN_E_NOMEM when
 * out of memory.  For YAML syntax errors the details hold "line L, column C".
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netpol.h"
#include "pod.h"
#include "service.h"
#include "util.h"

enum pn_kind { PN_KIND_POD = 1, PN_KIND_NAMESPACE, PN_KIND_NETPOL, PN_KIND_SERVICE };

struct pn_object {
	enum pn_kind kind;
	struct pn_pod *pod;           /* kind == PN_KIND_POD, else NULL */
	struct pn_namespace *ns;      /* kind == PN_KIND_NAMESPACE, else NULL */
	struct pn_netpol *np;         /* kind == PN_KIND_NETPOL, else NULL */
	struct pn_service *svc;       /* kind == PN_KIND_SERVICE, else NULL */
	int doc;                      /* 0-based document index in the source */
	bool namespace_given;         /* metadata.namespace was set (not defaulted):
				       * `apply -n NS` refuses a different one */
};

/*
 * Parse every document of @buf (@len bytes; YAML 1.1 as kubectl reads it,
 * JSON included; a v1 "List" is unrolled into its items).  @source names the
 * input in messages ("pod.yaml", "STDIN").  Empty documents are skipped; the
 * first bad document fails the whole call and *out is left NULL.
 * Defaults are applied as the API server would: namespace "default",
 * restartPolicy Always, terminationGracePeriodSeconds 30, port protocol TCP
 * (and hostPort = containerPort under hostNetwork), imagePullPolicy Always
 * for ":latest" or untagged images else IfNotPresent, env values "" when
 * unset, the label kubernetes.io/metadata.name on Namespaces.
 * uid and creationTimestamp in a manifest are ignored (left NULL/0) as the
 * API server ignores them on create; spec.hostname stays NULL when unset
 * (the runtime uses the pod name).
 */
int manifest_parse(const char *buf, size_t len, const char *source,
		   struct pn_object **out, size_t *n, struct pn_err *err) PN_MUST_CHECK;
void manifest_objects_free(struct pn_object *o, size_t n);
/* The first YAML (or JSON) document of @buf as JSON, with kubectl's YAML
 * rules (step 1); JSON null for an empty input.  PN_E_BAD_REQUEST
 * "error converting YAML to JSON: yaml: line 3: ..." when malformed. */
int manifest_yaml_to_json(const char *buf, size_t len, json_t **out,
			  struct pn_err *err) PN_MUST_CHECK;

/* The API's ?fieldValidation= for fields no Kubernetes version knows. */
enum manifest_fv { MANIFEST_FV_STRICT = 0, MANIFEST_FV_WARN, MANIFEST_FV_IGNORE };

struct manifest_api {
	enum manifest_fv validation;
	json_t *warnings;   /* MANIFEST_FV_WARN: each field's message is appended; may be NULL */
};

/*
 * The API server's half of the pipeline (steps 5-6) for one object of
 * @kind whose apiVersion/kind the caller checked, as kube-apiserver decodes
 * a request body: Go's decoding errors and strict field validation
 *   Pod in version "v1" cannot be handled as a Pod: strict decoding error:
 *   unknown field "spec.containers[0].bogus"
 * (PN_E_BAD_REQUEST), then defaulting and validation with kube-apiserver's
 * own message, `Pod "x" is invalid: [a, b]`, and the causes (PN_E_INVALID).
 * No kubectl-side checks.  Fills out->pod or out->ns (pn_pod_free /
 * pn_namespace_free).
 */
int manifest_decode_api(json_t *o, enum pn_kind kind, const struct manifest_api *api,
			struct pn_object *out, struct pn_err *err) PN_MUST_CHECK;

/*
 * The pod as the API server returns it (without status): keys sorted as in
 * kubectl's output, unset fields omitted, server defaults included.
 * creationTimestamp is RFC 3339 UTC, or null while p->meta.creation is 0.
 * Returns a new reference, NULL on allocation failure.
 */
json_t *pod_to_json(const struct pn_pod *p);
/* Inverse of pod_to_json (the state store's reload); keeps uid and creation. */
int pod_from_json(json_t *j, struct pn_pod **out, struct pn_err *err) PN_MUST_CHECK;

/* The same for Namespaces (apiVersion, kind, metadata; no status). */
json_t *namespace_to_json(const struct pn_namespace *ns);
int namespace_from_json(json_t *j, struct pn_namespace **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * The NetworkPolicy as the API server returns it: apiVersion
 * networking.k8s.io/v1, metadata (with generation once set), spec with
 * the server's defaults (policyTypes, each port's protocol), keys sorted,
 * empty lists omitted as Go's omitempty does.  netpol_from_json is its
 * inverse (the state store's reload).
 */
json_t *netpol_to_json(const struct pn_netpol *np);
int netpol_from_json(json_t *j, struct pn_netpol **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * The same for Services (apiVersion, kind, metadata, spec with the server's
 * defaults: clusterIPs, ipFamilies, internalTrafficPolicy...; status).
 * An unallocated cluster IP or node port is left out.
 */
json_t *service_to_json(const struct pn_service *s);
int service_from_json(json_t *j, struct pn_service **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * kubectl -o yaml rendering of any JSON value: block style, 2-space indent,
 * sequences not indented under their key, map keys sorted as go-yaml v2
 * sorts them (kubectl prints through it: "c9" before "c10"), strings quoted
 * only where a plain scalar would read back as something else ("true", "1",
 * "", timestamps) or could not be written plain (single quotes), multi-line
 * strings as literal blocks.  Returns malloc'ed text ending in "\n", NULL
 * on allocation failure.
 */
char *json_to_yaml(json_t *j);

#endif
