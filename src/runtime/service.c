/* SPDX-License-Identifier: Apache-2.0 */
/* Destructors and accessors of the Service model (service.h). */
#include "service.h"

#include <stdlib.h>
#include <string.h>

void pn_svc_port_clear(struct pn_svc_port *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->protocol);
	free(p->target_port_name);
	free(p->app_protocol);
	memset(p, 0, sizeof(*p));
}

void pn_service_free(struct pn_service *s)
{
	size_t i;

	if (!s)
		return;
	pn_meta_free(&s->meta);
	pn_kvs_free(&s->selector);
	free(s->cluster_ip);
	for (i = 0; i < s->n_ports; i++)
		pn_svc_port_clear(&s->ports[i]);
	free(s->ports);
	free(s->external_name);
	free(s);
}

const char *pn_svc_type_str(enum pn_svc_type t)
{
	switch (t) {
	case PN_SVC_CLUSTER_IP: return "ClusterIP";
	case PN_SVC_NODE_PORT: return "NodePort";
	case PN_SVC_EXTERNAL_NAME: return "ExternalName";
	case PN_SVC_LOAD_BALANCER: return "LoadBalancer";
	}
	return "ClusterIP";
}

bool pn_service_headless(const struct pn_service *s)
{
	return s->cluster_ip && strcmp(s->cluster_ip, "None") == 0;
}
