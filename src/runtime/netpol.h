/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NETPOL_H
#define PODNET_NETPOL_H

/*
 * The NetworkPolicy model (networking.k8s.io/v1), as the API server holds
 * it after defaulting, shared by the manifest parser, the state store, the
 * policy layer (evaluator and nftables generator) and the output code.
 *
 * Empty and missing lists mean the same thing everywhere the API says so
 * (ports, from, to: "every port", "every peer"), so the model keeps only a
 * count; what differs is a rule list with no rule (nothing allowed) and a
 * rule with nothing in it (everything allowed), which the counts tell apart.
 * A peer's selectors are pointers because present-but-empty ("every pod",
 * "every namespace") and absent differ.
 *
 * Strings are heap-allocated and owned by the struct that holds them;
 * pn_netpol_free() releases everything.
 */

#include <stdbool.h>
#include <stddef.h>

#include "pod.h"

/* metav1.LabelSelectorOperator */
enum pn_sel_op { PN_SEL_IN = 1, PN_SEL_NOT_IN, PN_SEL_EXISTS, PN_SEL_DOES_NOT_EXIST };

struct pn_sel_req {
	char *key;
	enum pn_sel_op op;
	char *op_raw;             /* the operator as written (validation) */
	char **values;            /* NULL-terminated; In/NotIn: at least one */
	size_t n_values;
};

/* metav1.LabelSelector: every matchLabels pair and every expression must
 * hold (AND); an empty selector selects everything. */
struct pn_selector {
	struct pn_kvs match_labels;   /* sorted by key */
	struct pn_sel_req *exprs;
	size_t n_exprs;
};

/* IANA protocol numbers, as nftables' meta l4proto sees them. */
enum pn_proto { PN_PROTO_TCP = 6, PN_PROTO_UDP = 17, PN_PROTO_SCTP = 132 };

struct pn_np_port {
	enum pn_proto protocol;   /* defaulted to TCP */
	char *protocol_raw;       /* as written, NULL when absent (validation) */
	bool has_port;
	int port;                 /* 1..65535; 0 with no port_name: every port */
	char *port_name;          /* a named port, resolved per destination pod */
	bool has_end_port;
	int end_port;             /* 0: none; else port..end_port */
};

struct pn_np_ipblock {
	char *cidr;
	char **except;            /* NULL-terminated */
	size_t n_except;
};

/* At least one member is set (validation); ip_block comes alone. */
struct pn_np_peer {
	struct pn_selector *pod_selector;
	struct pn_selector *ns_selector;
	struct pn_np_ipblock *ip_block;
};

struct pn_np_rule {
	struct pn_np_port *ports; /* none: every port and protocol */
	size_t n_ports;
	struct pn_np_peer *peers; /* ingress "from" / egress "to"; none: every peer */
	size_t n_peers;
};

enum pn_np_type { PN_NP_INGRESS = 1, PN_NP_EGRESS };

struct pn_netpol {
	struct pn_meta meta;
	struct pn_selector pod_selector;   /* spec.podSelector; empty: every pod of the namespace */
	struct pn_np_rule *ingress;
	size_t n_ingress;
	struct pn_np_rule *egress;
	size_t n_egress;
	/* spec.policyTypes after defaulting (Ingress, plus Egress when there
	 * are egress rules), in the order written. */
	enum pn_np_type types[2];
	size_t n_types;
	char **types_raw;         /* as written, NULL-terminated (validation) */
};

void pn_selector_clear(struct pn_selector *s);
void pn_selector_free(struct pn_selector *s);
void pn_np_rule_clear(struct pn_np_rule *r);
void pn_netpol_free(struct pn_netpol *np);

bool pn_netpol_has_type(const struct pn_netpol *np, enum pn_np_type t);
bool pn_selector_is_empty(const struct pn_selector *s);

/* "TCP", "UDP", "SCTP"; pn_proto_parse returns 0 for anything else. */
const char *pn_proto_str(enum pn_proto p);
enum pn_proto pn_proto_parse(const char *s);

/*
 * The selector as apimachinery's FormatLabelSelector writes it (kubectl's
 * POD-SELECTOR column and describe): requirements sorted by key,
 * "k=v", "k in (a,b)", "k notin (a,b)", "k", "!k", joined by ","; "<none>"
 * for the empty selector.  Heap string, NULL on allocation failure.
 */
char *pn_selector_str(const struct pn_selector *s);

#endif
