/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SERVICE_H
#define PODNET_SERVICE_H

/*
 * The v1 Service model, as the API server holds it after defaulting and
 * allocation, shared by the manifest parser, the state store, the policy
 * layer (endpoints and the nftables generator) and the output code.
 *
 * podnet serves ClusterIP and NodePort Services the way kube-proxy's
 * nftables mode does, and keeps ExternalName Services (they are a DNS
 * CNAME; kube-proxy writes no rule for them either).  LoadBalancer is
 * refused at validation: one node has no load balancer to program.
 *
 * Strings are heap-allocated and owned by the struct that holds them;
 * pn_service_free() releases everything.
 */

#include <stdbool.h>
#include <stddef.h>

#include "pod.h"

enum pn_svc_type {
	PN_SVC_CLUSTER_IP = 0,
	PN_SVC_NODE_PORT,
	PN_SVC_EXTERNAL_NAME,
	PN_SVC_LOAD_BALANCER,  /* parsed to be refused with a clear message */
};

/* ServiceSpec.sessionAffinityConfig.clientIP.timeoutSeconds default: 3 h. */
#define PN_SVC_AFFINITY_DEFAULT_S 10800
#define PN_SVC_AFFINITY_MAX_S 86400
/* kube-apiserver's --service-cluster-ip-range and --service-node-port-range defaults. */
#define PN_SVC_CIDR_DEFAULT "10.96.0.0/12"
#define PN_SVC_NODEPORT_MIN 30000
#define PN_SVC_NODEPORT_MAX 32767

struct pn_svc_port {
	char *name;              /* required when there are several ports */
	char *protocol;          /* "TCP" (default), "UDP", "SCTP" */
	int port;
	int target_port;         /* a number; 0 when target_port_name is set */
	char *target_port_name;  /* a container port's name, resolved per pod */
	int node_port;           /* NodePort: allocated when not requested */
	char *app_protocol;
};

struct pn_service {
	struct pn_meta meta;
	enum pn_svc_type type;
	/* Pods whose labels hold every pair; none: endpoints are managed by
	 * someone else (no EndpointSlice is computed), as in Kubernetes. */
	struct pn_kvs selector;
	char *cluster_ip;        /* allocated or requested; "None": headless; NULL for ExternalName */
	struct pn_svc_port *ports;
	size_t n_ports;
	bool affinity_client_ip; /* sessionAffinity: ClientIP */
	int affinity_timeout;    /* seconds, with affinity_client_ip */
	bool external_local;     /* externalTrafficPolicy: Local (NodePort only) */
	bool internal_local;     /* internalTrafficPolicy: Local */
	bool publish_not_ready;  /* publishNotReadyAddresses */
	char *external_name;     /* ExternalName only */
};

void pn_svc_port_clear(struct pn_svc_port *p);
void pn_service_free(struct pn_service *s);

/* "ClusterIP", "NodePort", "ExternalName", "LoadBalancer". */
const char *pn_svc_type_str(enum pn_svc_type t);
/* A headless Service (clusterIP None): no virtual IP, no rules. */
bool pn_service_headless(const struct pn_service *s);

#endif
