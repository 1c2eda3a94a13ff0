/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CNI_H
#define PODNET_CNI_H

/*
 * The CNI protocol (SPEC.md of containernetworking/cni, version 1.1.0):
 * environment, network configuration, results and errors.  Raw JSON is
 * parsed here, once, into the structs below; nothing else in podnet reads
 * CNI JSON.  Versions 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are spoken.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "util.h"

enum cni_version {
	CNI_V_UNKNOWN = 0,
	CNI_V030,
	CNI_V031,
	CNI_V040,
	CNI_V100,
	CNI_V110,
};

/* "0.3.0" -> CNI_V030 ...; CNI_V_UNKNOWN for anything else. */
enum cni_version cni_version_parse(const char *s);
const char *cni_version_str(enum cni_version v);
/* JSON array of every version spoken, for VERSION. */
json_t *cni_supported_versions(void);

enum cni_cmd {
	CNI_CMD_NONE = 0,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
	CNI_CMD_VERSION,
};

#define CNI_MAX_IPS 8

/* CNI_ARGS: "K=V;K=V" (libcni's conventions). */
struct cni_args {
	bool ignore_unknown;
	char *k8s_pod_name;
	char *k8s_pod_namespace;
	char *k8s_pod_uid;
	char *k8s_pod_infra_container_id;
	struct pn_ip ips[CNI_MAX_IPS];  /* IP=10.0.0.5,fd00::5 */
	size_t n_ips;
	char mac[18];                   /* MAC=aa:bb:..; "" if unset */
};

/*
 * Parse CNI_ARGS.  Unknown keys are an error (code PN_CNI_INVALID_ENV,
 * naming the key) unless IgnoreUnknown=1/true is present anywhere in the
 * string, as libcni's LoadArgs does.  Empty string or NULL: no args.
 */
int cni_args_parse(const char *s, struct cni_args *out, struct pn_err *err) PN_MUST_CHECK;
void cni_args_free(struct cni_args *a);

/* The CNI_* environment of one invocation. */
struct cni_env {
	enum cni_cmd cmd;
	const char *command;      /* CNI_COMMAND as given */
	const char *container_id; /* CNI_CONTAINERID */
	const char *netns;        /* CNI_NETNS */
	const char *ifname;       /* CNI_IFNAME */
	const char *path;         /* CNI_PATH */
	struct cni_args args;
};

/*
 * Read and validate the environment for the verb in CNI_COMMAND, as the
 * spec requires per verb: ADD needs CONTAINERID, NETNS, IFNAME, PATH; DEL
 * and CHECK need CONTAINERID, IFNAME, PATH (NETNS may be empty for DEL);
 * GC and STATUS need PATH; VERSION needs nothing.  CNI_CONTAINERID must
 * match libcni's ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$; CNI_IFNAME must be 1..15
 * bytes, not "." or "..", without '/', ':' or whitespace.  Errors carry
 * PN_CNI_INVALID_ENV and name the variable and its value.  Strings are
 * borrowed from the environment.
 */
int cni_env_from_environ(struct cni_env *env, struct pn_err *err) PN_MUST_CHECK;
void cni_env_free(struct cni_env *env);

struct cni_route {
	struct pn_cidr dst;
	struct pn_ip gw;    /* family 0: no gateway */
	int mtu;            /* 1.1.0 fields; 0 = unset */
	int advmss;
	int priority;
	int table;
	int scope;          /* -1 = unset (0 is RT_SCOPE_UNIVERSE) */
};

struct cni_dns {
	char **nameservers;
	size_t n_nameservers;
	char *domain;
	char **search;
	size_t n_search;
	char **options;
	size_t n_options;
};

struct cni_iface {
	char *name;
	char *mac;          /* "" or NULL: unknown */
	char *sandbox;      /* netns path for container interfaces, NULL on host */
	int mtu;            /* 1.1.0; 0 = unset */
};

struct cni_ipconfig {
	struct pn_cidr address;
	struct pn_ip gateway; /* family 0: none */
	int iface;            /* index into interfaces, -1 = none */
};

struct cni_result {
	enum cni_version version; /* version the result was parsed as */
	struct cni_iface *ifaces;
	size_t n_ifaces;
	struct cni_ipconfig *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	struct cni_dns dns;
};

/*
 * Parse a result of any spoken version (a plugin's stdout, a prevResult,
 * an IPAM result).  0.3.x/0.4.0 "version" fields on ips are accepted and
 * checked against the address.  Errors: PN_CNI_DECODE naming the field.
 */
int cni_result_parse(json_t *j, enum cni_version v, struct cni_result **out,
		     struct pn_err *err) PN_MUST_CHECK;
/* Encode in version @v (cniVersion set to it). New reference. */
json_t *cni_result_to_json(const struct cni_result *r, enum cni_version v);
struct cni_result *cni_result_new(void);
void cni_result_free(struct cni_result *r);
/* Append helpers; return the new element's index or -ENOMEM. */
int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox, int mtu);
int cni_result_add_ip(struct cni_result *r, const struct pn_cidr *addr,
		      const struct pn_ip *gw, int iface);
int cni_result_add_route(struct cni_result *r, const struct cni_route *rt);
int cni_dns_copy(struct cni_dns *dst, const struct cni_dns *src);
void cni_dns_free(struct cni_dns *d);
void cni_route_init(struct cni_route *rt); /* zero, scope = -1 */

struct cni_range {
	struct pn_cidr subnet;   /* network address, host bits cleared */
	struct pn_ip start;      /* defaults: subnet+1 ... */
	struct pn_ip end;        /* ... last-1 (v4: before broadcast) */
	struct pn_ip gateway;    /* default: subnet+1; family 0 never */
};

struct cni_rangeset {
	struct cni_range *ranges;
	size_t n;
};

/* IPAM config of host-local's shape (and podnet-ipam's). */
struct cni_ipam_conf {
	char *type;
	struct cni_rangeset *sets;  /* "ranges", or legacy "subnet" as one set */
	size_t n_sets;
	struct cni_route *routes;
	size_t n_routes;
	char *data_dir;             /* default /var/lib/cni/networks */
	char *resolv_conf;          /* NULL: none */
};

/* One attachment (GC's cni.dev/valid-attachments entry). */
struct cni_attachment {
	char *container_id;
	char *ifname;
};

/* A network configuration as handed to a plugin on stdin. */
struct cni_conf {
	json_t *raw;                /* the whole document, owned */
	enum cni_version version;
	char *name;
	char *type;
	bool has_ipam;
	json_t *ipam_raw;           /* borrowed from raw */
	/* ipam.type is always set when has_ipam; the rest of ipam is parsed
	 * only when ipam.type == "podnet-ipam" or parse_ipam is set. */
	struct cni_ipam_conf ipam;
	struct cni_dns dns;
	struct cni_result *prev_result; /* NULL if absent */
	/* runtimeConfig */
	struct pn_ip rc_ips[CNI_MAX_IPS];  /* runtimeConfig.ips (CIDR or IP accepted) */
	size_t n_rc_ips;
	char rc_mac[18];
	/* args.cni.ips */
	struct pn_ip arg_ips[CNI_MAX_IPS];
	size_t n_arg_ips;
	/* GC: cni.dev/valid-attachments or cni.dev/attachments; NULL if absent */
	struct cni_attachment *valid;
	size_t n_valid;
	bool has_valid;

	/* podnet-bridge keys */
	char *bridge;           /* default "podnet0" */
	bool is_gateway;
	bool is_default_gateway; /* implies is_gateway */
	bool force_address;
	bool ip_masq;
	int mtu;                /* 0 = kernel default (1500) */
	bool hairpin_mode;
	bool promisc_mode;
	/* Pod ports isolated from each other and the bridge answering ARP/NDP
	 * for pods, so pod-to-pod traffic is routed through the bridge (and
	 * meets the inet forward hook, where NetworkPolicy is enforced). */
	bool port_isolation;
	/* Frames from a pod must carry its own MAC and addresses (bridge-family
	 * prerouting, per port). */
	bool spoof_check;
};

/*
 * Parse a network configuration.  Validates types of every known key
 * (PN_CNI_INVALID_CONFIG / PN_CNI_DECODE, naming the key and the value),
 * cniVersion (PN_CNI_INCOMPATIBLE_VERSION), network name (libcni's
 * ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$), IPAM ranges (CIDRs, start/end/gateway
 * inside subnet, start <= end, no overlap between ranges anywhere in the
 * config) when @parse_ipam is true.  Unknown keys are ignored and stay in
 * raw, so they are passed on to delegated plugins untouched.
 */
int cni_conf_parse(const char *buf, size_t len, bool parse_ipam, struct cni_conf **out,
		   struct pn_err *err) PN_MUST_CHECK;
/* Parse the "ipam" object alone (used by podnet-ipam on a whole config). */
int cni_ipam_conf_parse(json_t *ipam, struct cni_ipam_conf *out, struct pn_err *err) PN_MUST_CHECK;
void cni_ipam_conf_free(struct cni_ipam_conf *c);
void cni_conf_free(struct cni_conf *c);

/*
 * Print the spec's error object {"cniVersion","code","msg","details"} on
 * @f.  @v is the config's version if known, else the newest.
 */
void cni_error_print(FILE *f, enum cni_version v, const struct pn_err *err);
/* libcni's ValidateContainerID / ValidateNetworkName:
 * ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
bool cni_valid_name(const char *s);
/* libcni's ValidateInterfaceName: NULL if @s is a valid interface name,
 * else why not ("interface name contains '/'"). */
const char *cni_ifname_problem(const char *s);
/* JSON type of @j as the error messages name it: "object", "integer"... */
const char *cni_json_type(const json_t *j);

/* Print a JSON document followed by a newline. */
int cni_json_print(FILE *f, json_t *j);

#endif
