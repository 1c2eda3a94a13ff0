/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_POD_H
#define PODNET_POD_H

/*
 * The pod model shared by the manifest parser, the state store, the
 * runtime and the output code.  A pod is the network boundary: one network
 * namespace (one IP, one localhost) shared by all of its containers.
 *
 * Strings are heap-allocated and owned by the struct that holds them;
 * pod_free() releases everything.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pn_kv {
	char *key;
	char *value;
};

struct pn_kvs {
	struct pn_kv *items;
	size_t n;
};

struct pn_env {
	char *name;
	char *value;
};

struct pn_port {
	char *name;          /* optional */
	int container_port;  /* 1..65535 */
	int host_port;       /* 0: none */
	char *protocol;      /* "TCP" (default), "UDP", "SCTP" */
};

/*
 * A container probe (v1 Probe) after defaulting.  Exactly one handler is
 * set (validation); @present tells an absent probe from one written
 * without a handler, which validation rejects.
 */
enum pn_probe_handler { PN_PROBE_NONE = 0, PN_PROBE_EXEC, PN_PROBE_HTTP, PN_PROBE_TCP, PN_PROBE_GRPC };

struct pn_http_header {
	char *name;
	char *value;
};

struct pn_probe {
	bool present;
	enum pn_probe_handler handler;
	unsigned handlers;            /* bit 1 << handler of each one written (validation: exactly 1) */
	char **command;               /* exec; NULL-terminated */
	char *path;                   /* httpGet; default "/" */
	char *host;                   /* httpGet, tcpSocket; NULL: the pod's IP */
	char *scheme;                 /* httpGet: "HTTP" (default) or "HTTPS" */
	struct pn_http_header *headers;
	size_t n_headers;
	int port;                     /* httpGet, tcpSocket, grpc */
	char *port_name;              /* httpGet, tcpSocket: a container port's name */
	char *grpc_service;           /* grpc; NULL: "" (the server's overall health) */
	int initial_delay;            /* seconds; default 0 */
	int timeout;                  /* seconds; default 1 */
	int period;                   /* seconds; default 10 */
	int success_threshold;        /* default 1 (must be 1 for liveness and startup) */
	int failure_threshold;        /* default 3 */
	bool has_termination_grace;   /* probe-level terminationGracePeriodSeconds */
	long long termination_grace;
};

enum pn_pull_policy { PN_PULL_DEFAULT = 0, PN_PULL_ALWAYS, PN_PULL_IF_NOT_PRESENT, PN_PULL_NEVER };

struct pn_container_spec {
	char *name;          /* DNS-1123 label */
	char *image;
	char **command;      /* NULL-terminated; NULL: image default */
	char **args;         /* NULL-terminated; NULL: none */
	char *working_dir;
	struct pn_env *env;
	size_t n_env;
	struct pn_port *ports;
	size_t n_ports;
	enum pn_pull_policy pull_policy;
	bool tty;
	bool stdin_open;
	struct pn_probe liveness, readiness, startup;
};

enum pn_restart_policy { PN_RESTART_ALWAYS = 0, PN_RESTART_ON_FAILURE, PN_RESTART_NEVER };

struct pn_pod_spec {
	struct pn_container_spec *containers;
	size_t n_containers;
	enum pn_restart_policy restart_policy;  /* default Always */
	bool host_network;
	bool host_pid;
	bool host_ipc;
	bool share_process_namespace;
	int64_t termination_grace_period;       /* seconds, default 30 */
	char *hostname;                          /* default: pod name */
	struct pn_kvs node_selector;             /* kept, shown, not used */
};

struct pn_meta {
	char *name;
	char *namespace_;    /* default "default" */
	char *uid;           /* 8-4-4-4-12 hex, assigned at creation */
	struct pn_kvs labels;
	struct pn_kvs annotations;
	time_t creation;     /* creationTimestamp, assigned at creation */
	int64_t generation;  /* objects with a spec the server versions (NetworkPolicy); 0: none */
};

/* A v1 Pod as written in a manifest (spec) plus what the runtime knows. */
struct pn_pod {
	struct pn_meta meta;
	struct pn_pod_spec spec;
};

/* A v1 Namespace. */
struct pn_namespace {
	struct pn_meta meta;
};

void pn_kvs_free(struct pn_kvs *k);
const char *pn_kvs_get(const struct pn_kvs *k, const char *key);
void pn_meta_free(struct pn_meta *m);
void pn_probe_clear(struct pn_probe *p);
void pn_container_spec_free(struct pn_container_spec *c);
void pn_pod_free(struct pn_pod *p);
void pn_namespace_free(struct pn_namespace *ns);

/* Kubernetes spellings: "Always", "OnFailure", "Never"; "IfNotPresent"... ("" for PN_PULL_DEFAULT). */
const char *pn_restart_policy_str(enum pn_restart_policy r);
const char *pn_pull_policy_str(enum pn_pull_policy p);

#endif
