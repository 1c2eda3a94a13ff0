/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_K8SVAL_H
#define PODNET_K8SVAL_H

/*
 * Kubernetes' name and value checks (k8s.io/apimachinery/pkg/util/
 * validation) with their exact messages, and Go's string quoting, which
 * those messages use: the label selector parser, and anything else that
 * must answer as kube-apiserver does, reports through these.
 */

#include <stdbool.h>
#include <stddef.h>

/* A list of messages in the order found; oom set when one was lost. */
struct k8s_msgs {
	char **v;
	size_t n;
	bool oom;
};

void k8s_msgs_add(struct k8s_msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void k8s_msgs_free(struct k8s_msgs *m);
/* The messages joined by "; " (heap; NULL when out of memory). */
char *k8s_msgs_join(const struct k8s_msgs *m, const char *sep);

/* validation.IsQualifiedName (label and annotation keys). */
void k8s_check_qualified_name(const char *v, struct k8s_msgs *out);
/* validation.IsValidLabelValue. */
void k8s_check_label_value(const char *v, struct k8s_msgs *out);
/* validation.IsDNS1123Label, IsDNS1123Subdomain (each message prefixed). */
void k8s_check_dns1123_label(const char *v, struct k8s_msgs *out);
void k8s_check_dns1123_subdomain(const char *v, const char *prefix, struct k8s_msgs *out);
/* validation.IsDNS1035Label (Service names). */
void k8s_check_dns1035_label(const char *v, struct k8s_msgs *out);
/* validation.IsValidPortName (IANA_SVC_NAME). */
void k8s_check_port_name(const char *v, struct k8s_msgs *out);
/* validation.IsEnvVarName. */
void k8s_check_env_var_name(const char *v, struct k8s_msgs *out);

/* Go's strconv.Quote of @s (the %q of field errors), heap; NULL on OOM. */
char *k8s_goquote(const char *s);
/* The same, appended to @b. */
struct pn_buf;
void k8s_goquote_buf(struct pn_buf *b, const char *s);

#endif
