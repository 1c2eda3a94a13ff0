/* SPDX-License-Identifier: Apache-2.0 */
#include "openapi.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "apires.h"
#include "apistatus.h"

/*
 * The schema is written as tables of types and their fields; the v3
 * document (components/schemas, "#/components/schemas/" refs, fields as
 * allOf[$ref] the way kube-apiserver publishes them, so kubectl explain
 * renders "<PodSpec>") and the v2 one ("#/definitions/") come from the same
 * tables.  Only what podnet implements is described.
 */

enum ftype {
	F_STR,
	F_INT32,
	F_INT64,
	F_BOOL,
	F_TIME,      /* meta.v1.Time: an RFC 3339 string */
	F_REF,       /* another type */
	F_STRS,      /* []string */
	F_REFS,      /* []type */
	F_MAP,       /* map[string]string */
	F_QTYS,      /* map[string]Quantity */
	F_OBJ,       /* free-form object (fieldsV1) */
	F_IOS,       /* intstr.IntOrString */
};

struct field {
	const char *name;
	enum ftype t;
	const char *ref;          /* F_REF, F_REFS */
	const char *desc;
	bool required;
	const char *merge_key;    /* x-kubernetes-patch-merge-key */
	const char *strategy;     /* x-kubernetes-patch-strategy */
	const char *const *enums;
	const char *const *map_keys; /* x-kubernetes-list-type: map keys */
};

struct type {
	const char *name;         /* "core.v1.Pod" */
	const char *desc;
	const struct field *fields;
	const char *kind;         /* x-kubernetes-group-version-kind, or NULL */
	const char *group;
};

#define END { NULL, F_STR, NULL, NULL, false, NULL, NULL, NULL, NULL }
#define FLD(n, t, ref, d) { n, t, ref, d, false, NULL, NULL, NULL, NULL }
#define FLDE(n, d, e) { n, F_STR, NULL, d, false, NULL, NULL, e, NULL }

static const char *const e_phase[] = { "Failed", "Pending", "Running", "Succeeded", "Unknown", NULL };
static const char *const e_restart[] = { "Always", "Never", "OnFailure", NULL };
static const char *const e_pull[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const e_proto[] = { "SCTP", "TCP", "UDP", NULL };
static const char *const e_dns[] = { "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None",
				     NULL };
static const char *const e_ns_phase[] = { "Active", "Terminating", NULL };
static const char *const k_port[] = { "containerPort", "protocol", NULL };

#define API_VERSION_DESC                                                                           \
	"The schema version of this object: \"v1\" for the core group, \"GROUP/v1\" otherwise. "   \
	"Clients send it; the server answers with the version it stored."
#define KIND_DESC "The object's type, in CamelCase (Pod, Namespace, ...). Read-only on the server."

static const struct field f_objectmeta[] = {
	{ "name", F_STR, NULL,
	  "The object's name: unique among objects of its kind in its namespace, fixed once "
	  "created. Pod and namespace names are DNS subdomains (lower case, digits, '-', '.').",
	  false, NULL, NULL, NULL, NULL },
	{ "generateName", F_STR, NULL,
	  "A prefix the server completes with random characters when name is empty.", false, NULL,
	  NULL, NULL, NULL },
	{ "namespace", F_STR, NULL,
	  "The namespace the object lives in; \"default\" when a namespaced object gives none.",
	  false, NULL, NULL, NULL, NULL },
	{ "uid", F_STR, NULL,
	  "A unique identifier the server gives the object when it is created; never reused.",
	  false, NULL, NULL, NULL, NULL },
	{ "resourceVersion", F_STR, NULL,
	  "An opaque version the server changes on every write. Send it back with an update to "
	  "make the update fail (409 Conflict) if someone changed the object in between; give it "
	  "to a watch to receive the changes after it.",
	  false, NULL, NULL, NULL, NULL },
	{ "generation", F_INT64, NULL, "How many times the desired state (spec) has changed.", false,
	  NULL, NULL, NULL, NULL },
	{ "creationTimestamp", F_TIME, NULL, "When the server created the object (UTC).", false, NULL,
	  NULL, NULL, NULL },
	{ "deletionTimestamp", F_TIME, NULL,
	  "Set when deletion was asked for: the time by which the object's processes are killed "
	  "if they have not stopped. The object stays visible (Terminating) until then.",
	  false, NULL, NULL, NULL, NULL },
	{ "deletionGracePeriodSeconds", F_INT64, NULL,
	  "The grace period the deletion was given, in seconds.", false, NULL, NULL, NULL, NULL },
	{ "labels", F_MAP, NULL,
	  "Key/value pairs to select objects by (label selectors: app=web, env in (a,b)).", false,
	  NULL, NULL, NULL, NULL },
	{ "annotations", F_MAP, NULL,
	  "Key/value pairs for tools and people, not used for selection.", false, NULL, NULL, NULL,
	  NULL },
	{ "managedFields", F_REFS, "meta.v1.ManagedFieldsEntry",
	  "Which client (field manager) set which fields, kept by server-side apply.", false, NULL,
	  NULL, NULL, NULL },
	END,
};

static const struct field f_listmeta[] = {
	{ "resourceVersion", F_STR, NULL,
	  "The version of the list: watch from it to receive every later change.", false, NULL, NULL,
	  NULL, NULL },
	{ "continue", F_STR, NULL, "Set when the list was cut by limit: pass it to get the rest.",
	  false, NULL, NULL, NULL, NULL },
	{ "remainingItemCount", F_INT64, NULL, "How many items the cut left out.", false, NULL, NULL,
	  NULL, NULL },
	END,
};

static const struct field f_managed[] = {
	{ "manager", F_STR, NULL, "The client that set the fields (kubectl, kubectl-client-side-apply, ...).",
	  false, NULL, NULL, NULL, NULL },
	{ "operation", F_STR, NULL, "Apply (server-side apply) or Update (any other write).", false,
	  NULL, NULL, NULL, NULL },
	{ "apiVersion", F_STR, NULL, "The version of the object the fields belong to.", false, NULL,
	  NULL, NULL, NULL },
	{ "time", F_TIME, NULL, "When the manager last changed them.", false, NULL, NULL, NULL, NULL },
	{ "fieldsType", F_STR, NULL, "The format of fieldsV1: always FieldsV1.", false, NULL, NULL,
	  NULL, NULL },
	{ "fieldsV1", F_OBJ, NULL, "The set of fields, as a tree of f:NAME and k:{KEY} entries.",
	  false, NULL, NULL, NULL, NULL },
	{ "subresource", F_STR, NULL, "The subresource written through (status), if any.", false,
	  NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_pod[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "metadata", F_REF, "meta.v1.ObjectMeta", "The pod's name, namespace, labels and annotations.",
	  false, NULL, NULL, NULL, NULL },
	{ "spec", F_REF, "core.v1.PodSpec", "What the pod should run.", false, NULL, NULL, NULL, NULL },
	{ "status", F_REF, "core.v1.PodStatus",
	  "What the node reports about the pod; written by the node, read-only for clients.", false,
	  NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_podspec[] = {
	{ "containers", F_REFS, "core.v1.Container",
	  "The pod's containers. They share one network namespace (one IP, one localhost) and are "
	  "started together. At least one; names unique in the pod.",
	  true, "name", "merge", NULL, NULL },
	{ "restartPolicy", F_STR, NULL,
	  "When a container that exited is started again: Always (default), OnFailure (non-zero "
	  "exit only) or Never. Restarts back off 10s, 20s, 40s ... up to 5 minutes.",
	  false, NULL, NULL, e_restart, NULL },
	{ "terminationGracePeriodSeconds", F_INT64, NULL,
	  "Seconds between SIGTERM and SIGKILL when the pod is deleted (default 30; 0 kills at "
	  "once). A delete request's gracePeriodSeconds overrides it.",
	  false, NULL, NULL, NULL, NULL },
	{ "hostNetwork", F_BOOL, NULL,
	  "Run in the node's network namespace instead of one of the pod's own (no pod IP of its "
	  "own; the pod's IP is the node's).",
	  false, NULL, NULL, NULL, NULL },
	{ "hostPID", F_BOOL, NULL, "Share the node's process ID namespace.", false, NULL, NULL, NULL,
	  NULL },
	{ "hostIPC", F_BOOL, NULL, "Share the node's IPC namespace.", false, NULL, NULL, NULL, NULL },
	{ "shareProcessNamespace", F_BOOL, NULL,
	  "One process ID namespace for all the pod's containers (the pause process is PID 1).",
	  false, NULL, NULL, NULL, NULL },
	{ "hostname", F_STR, NULL, "The host name inside the pod; the pod's name when unset.", false,
	  NULL, NULL, NULL, NULL },
	{ "dnsPolicy", F_STR, NULL,
	  "Validated and kept; the pod's resolv.conf is the node's on this node.", false, NULL, NULL,
	  e_dns, NULL },
	{ "nodeName", F_STR, NULL, "The node the pod runs on: always this node.", false, NULL, NULL,
	  NULL, NULL },
	{ "nodeSelector", F_MAP, NULL, "Kept and shown; there is only one node to choose.", false,
	  NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_container[] = {
	{ "name", F_STR, NULL, "The container's name, a DNS label unique in the pod.", true, NULL, NULL,
	  NULL, NULL },
	{ "image", F_STR, NULL,
	  "A local image: one imported with `podnet image import`, or \"host\" (a copy-on-write "
	  "view of the node's own file system). Changing it restarts the container.",
	  false, NULL, NULL, NULL, NULL },
	{ "command", F_STRS, NULL, "The program and its first arguments; the image's entrypoint if unset.",
	  false, NULL, NULL, NULL, NULL },
	{ "args", F_STRS, NULL, "Arguments after command; the image's default arguments if unset.",
	  false, NULL, NULL, NULL, NULL },
	{ "workingDir", F_STR, NULL, "The directory the process starts in.", false, NULL, NULL, NULL,
	  NULL },
	{ "env", F_REFS, "core.v1.EnvVar", "Environment variables, in order.", false, "name", "merge",
	  NULL, NULL },
	{ "ports", F_REFS, "core.v1.ContainerPort",
	  "Ports the container listens on: informative (the pod's IP reaches every port), and "
	  "checked for clashes between containers.",
	  false, "containerPort", "merge", NULL, k_port },
	{ "imagePullPolicy", F_STR, NULL,
	  "Images are local: every policy uses the image present on the node.", false, NULL, NULL,
	  e_pull, NULL },
	{ "stdin", F_BOOL, NULL, "Keep the container's standard input open.", false, NULL, NULL, NULL,
	  NULL },
	{ "tty", F_BOOL, NULL, "Give the container a terminal.", false, NULL, NULL, NULL, NULL },
	FLD("livenessProbe", F_REF, "core.v1.Probe",
	    "Restart the container (by its restartPolicy) when this fails failureThreshold "
	    "times in a row."),
	FLD("readinessProbe", F_REF, "core.v1.Probe",
	    "The container is ready (and its pod a Service endpoint) while this succeeds."),
	FLD("startupProbe", F_REF, "core.v1.Probe",
	    "Until this succeeds once, the other probes wait; failing it restarts the container."),
	END,
};

static const char *const e_scheme[] = { "HTTP", "HTTPS", NULL };

static const struct field f_probe[] = {
	FLD("exec", F_REF, "core.v1.ExecAction", "Run a command in the container: exit 0 passes."),
	FLD("httpGet", F_REF, "core.v1.HTTPGetAction",
	    "GET from the pod's address: a status from 200 to 399 passes."),
	FLD("tcpSocket", F_REF, "core.v1.TCPSocketAction", "Connect to a port: a connection passes."),
	FLD("grpc", F_REF, "core.v1.GRPCAction",
	    "A gRPC health check: not supported by podnet (refused at admission)."),
	FLD("initialDelaySeconds", F_INT32, NULL, "Seconds after the start before the first probe."),
	FLD("periodSeconds", F_INT32, NULL, "Seconds between probes. Default 10, at least 1."),
	FLD("timeoutSeconds", F_INT32, NULL, "Seconds a probe may take. Default 1, at least 1."),
	FLD("successThreshold", F_INT32, NULL,
	    "Successes in a row after a failure to pass. Default 1; must be 1 for liveness and "
	    "startup."),
	FLD("failureThreshold", F_INT32, NULL, "Failures in a row to fail. Default 3, at least 1."),
	FLD("terminationGracePeriodSeconds", F_INT64, NULL,
	    "Liveness and startup: the grace period when the probe's failure stops the "
	    "container, instead of the pod's."),
	END,
};

static const struct field f_exec[] = {
	FLD("command", F_STRS, NULL, "The program and its arguments, run without a shell."),
	END,
};

static const struct field f_httpget[] = {
	FLD("path", F_STR, NULL, "The path to GET. Default /."),
	{ "port", F_IOS, NULL, "A number, or the name of one of the container's ports.", true, NULL,
	  NULL, NULL, NULL },
	FLD("host", F_STR, NULL, "The address to connect to. Default: the pod's IP."),
	FLDE("scheme", "HTTP (default) or HTTPS (the certificate is not verified).", e_scheme),
	FLD("httpHeaders", F_REFS, "core.v1.HTTPHeader", "Headers to send."),
	END,
};

static const struct field f_httphdr[] = {
	{ "name", F_STR, NULL, "The header's name.", true, NULL, NULL, NULL, NULL },
	{ "value", F_STR, NULL, "Its value.", true, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_tcpsock[] = {
	{ "port", F_IOS, NULL, "A number, or the name of one of the container's ports.", true, NULL,
	  NULL, NULL, NULL },
	FLD("host", F_STR, NULL, "The address to connect to. Default: the pod's IP."),
	END,
};

static const struct field f_grpc[] = {
	{ "port", F_INT32, NULL, "The gRPC service's port.", true, NULL, NULL, NULL, NULL },
	FLD("service", F_STR, NULL, "The service name in the health check request."),
	END,
};

static const struct field f_port[] = {
	{ "containerPort", F_INT32, NULL, "The port number, 1-65535.", true, NULL, NULL, NULL, NULL },
	{ "hostPort", F_INT32, NULL, "A port on the node; equal to containerPort under hostNetwork.",
	  false, NULL, NULL, NULL, NULL },
	{ "name", F_STR, NULL, "A name for the port (an IANA service name).", false, NULL, NULL, NULL,
	  NULL },
	{ "protocol", F_STR, NULL, "TCP (default), UDP or SCTP.", false, NULL, NULL, e_proto, NULL },
	END,
};

static const struct field f_env[] = {
	{ "name", F_STR, NULL, "The variable's name.", true, NULL, NULL, NULL, NULL },
	{ "value", F_STR, NULL, "Its value; empty when unset.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_podstatus[] = {
	{ "phase", F_STR, NULL,
	  "Pending until the pod's containers were started, Running while one runs, Succeeded or "
	  "Failed once all have exited for good, Unknown when the node lost track of them.",
	  false, NULL, NULL, e_phase, NULL },
	{ "conditions", F_REFS, "core.v1.PodCondition",
	  "PodScheduled, Initialized, ContainersReady and Ready, each True or False.", false, "type",
	  "merge", NULL, NULL },
	{ "hostIP", F_STR, NULL, "The address of the node the pod runs on.", false, NULL, NULL, NULL,
	  NULL },
	{ "hostIPs", F_REFS, "core.v1.HostIP", "The node's addresses.", false, NULL, NULL, NULL, NULL },
	{ "podIP", F_STR, NULL, "The pod's first IP address (from the CNI plugin).", false, NULL, NULL,
	  NULL, NULL },
	{ "podIPs", F_REFS, "core.v1.PodIP", "All the pod's IP addresses, IPv4 first.", false, "ip",
	  "merge", NULL, NULL },
	{ "startTime", F_TIME, NULL, "When the node accepted the pod.", false, NULL, NULL, NULL, NULL },
	{ "containerStatuses", F_REFS, "core.v1.ContainerStatus", "One entry per container.", false,
	  NULL, NULL, NULL, NULL },
	{ "qosClass", F_STR, NULL, "BestEffort: podnet sets no resource limits.", false, NULL, NULL,
	  NULL, NULL },
	{ "reason", F_STR, NULL, "A word saying why the pod is in this phase, if any.", false, NULL,
	  NULL, NULL, NULL },
	{ "message", F_STR, NULL, "The same in a sentence.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_podcond[] = {
	{ "type", F_STR, NULL, "The condition.", true, NULL, NULL, NULL, NULL },
	{ "status", F_STR, NULL, "True, False or Unknown.", true, NULL, NULL, NULL, NULL },
	{ "lastProbeTime", F_TIME, NULL, "When it was last checked.", false, NULL, NULL, NULL, NULL },
	{ "lastTransitionTime", F_TIME, NULL, "When it last changed.", false, NULL, NULL, NULL, NULL },
	{ "reason", F_STR, NULL, "Why, in a word.", false, NULL, NULL, NULL, NULL },
	{ "message", F_STR, NULL, "Why, in a sentence.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_ip[] = {
	{ "ip", F_STR, NULL, "An IP address.", true, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_ctrstatus[] = {
	{ "name", F_STR, NULL, "The container's name.", true, NULL, NULL, NULL, NULL },
	{ "containerID", F_STR, NULL, "podnet://ID of the container's current run.", false, NULL,
	  NULL, NULL, NULL },
	{ "image", F_STR, NULL, "The image it runs.", true, NULL, NULL, NULL, NULL },
	{ "imageID", F_STR, NULL, "The image's identity.", true, NULL, NULL, NULL, NULL },
	{ "state", F_REF, "core.v1.ContainerState", "What it is doing now.", false, NULL, NULL, NULL,
	  NULL },
	{ "lastState", F_REF, "core.v1.ContainerState", "How its previous run ended.", false, NULL,
	  NULL, NULL, NULL },
	{ "ready", F_BOOL, NULL, "Running (podnet has no readiness probes).", true, NULL, NULL, NULL,
	  NULL },
	{ "started", F_BOOL, NULL, "Whether it has started.", false, NULL, NULL, NULL, NULL },
	{ "restartCount", F_INT32, NULL, "How many times it was restarted.", true, NULL, NULL, NULL,
	  NULL },
	END,
};

static const struct field f_ctrstate[] = {
	{ "running", F_REF, "core.v1.ContainerStateRunning", "Set while it runs.", false, NULL, NULL,
	  NULL, NULL },
	{ "terminated", F_REF, "core.v1.ContainerStateTerminated", "Set once it has exited.", false,
	  NULL, NULL, NULL, NULL },
	{ "waiting", F_REF, "core.v1.ContainerStateWaiting",
	  "Set before it starts and between restarts.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_running[] = {
	{ "startedAt", F_TIME, NULL, "When it started.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_terminated[] = {
	{ "exitCode", F_INT32, NULL, "Its exit status; 128+N when killed by signal N.", true, NULL,
	  NULL, NULL, NULL },
	{ "signal", F_INT32, NULL, "The signal that killed it, if one did.", false, NULL, NULL, NULL,
	  NULL },
	{ "reason", F_STR, NULL, "Completed, Error, OOMKilled or StartError.", false, NULL, NULL, NULL,
	  NULL },
	{ "message", F_STR, NULL, "More about the exit (the runtime's error for StartError).", false,
	  NULL, NULL, NULL, NULL },
	{ "startedAt", F_TIME, NULL, "When that run started.", false, NULL, NULL, NULL, NULL },
	{ "finishedAt", F_TIME, NULL, "When it ended.", false, NULL, NULL, NULL, NULL },
	{ "containerID", F_STR, NULL, "podnet://ID of that run.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_waiting[] = {
	{ "reason", F_STR, NULL, "ContainerCreating or CrashLoopBackOff.", false, NULL, NULL, NULL,
	  NULL },
	{ "message", F_STR, NULL, "When the next restart is due, and why.", false, NULL, NULL, NULL,
	  NULL },
	END,
};

static const struct field f_ns[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "metadata", F_REF, "meta.v1.ObjectMeta", "The namespace's name and labels.", false, NULL,
	  NULL, NULL, NULL },
	{ "spec", F_REF, "core.v1.NamespaceSpec", "Nothing to set.", false, NULL, NULL, NULL, NULL },
	{ "status", F_REF, "core.v1.NamespaceStatus", "Active or Terminating.", false, NULL, NULL,
	  NULL, NULL },
	END,
};

static const struct field f_nsspec[] = {
	{ "finalizers", F_STRS, NULL, "Kept as given.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_nsstatus[] = {
	{ "phase", F_STR, NULL,
	  "Active, or Terminating while its pods are deleted (it refuses new ones meanwhile).", false,
	  NULL, NULL, e_ns_phase, NULL },
	END,
};

static const struct field f_node[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "metadata", F_REF, "meta.v1.ObjectMeta", "The node's name, labels and annotations.", false,
	  NULL, NULL, NULL, NULL },
	{ "spec", F_REF, "core.v1.NodeSpec", "The node's pod network.", false, NULL, NULL, NULL, NULL },
	{ "status", F_REF, "core.v1.NodeStatus", "What the node reports about itself.", false, NULL,
	  NULL, NULL, NULL },
	END,
};

static const struct field f_nodespec[] = {
	{ "podCIDR", F_STR, NULL, "The range pod IPs come from (the CNI network's first range).", false,
	  NULL, NULL, NULL, NULL },
	{ "podCIDRs", F_STRS, NULL, "All of them.", false, NULL, NULL, NULL, NULL },
	{ "unschedulable", F_BOOL, NULL, "Always false: this node runs what it is given.", false, NULL,
	  NULL, NULL, NULL },
	END,
};

static const struct field f_nodestatus[] = {
	{ "addresses", F_REFS, "core.v1.NodeAddress", "InternalIP and Hostname.", false, "type",
	  "merge", NULL, NULL },
	{ "capacity", F_QTYS, NULL, "CPUs, memory, storage and pods the node has.", false, NULL, NULL,
	  NULL, NULL },
	{ "allocatable", F_QTYS, NULL, "What pods may use of it.", false, NULL, NULL, NULL, NULL },
	{ "conditions", F_REFS, "core.v1.NodeCondition", "Ready while podnetd runs.", false, "type",
	  "merge", NULL, NULL },
	{ "nodeInfo", F_REF, "core.v1.NodeSystemInfo", "The node's software.", false, NULL, NULL, NULL,
	  NULL },
	END,
};

static const struct field f_nodeaddr[] = {
	{ "type", F_STR, NULL, "InternalIP, ExternalIP or Hostname.", true, NULL, NULL, NULL, NULL },
	{ "address", F_STR, NULL, "The address.", true, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_nodecond[] = {
	{ "type", F_STR, NULL, "The condition.", true, NULL, NULL, NULL, NULL },
	{ "status", F_STR, NULL, "True, False or Unknown.", true, NULL, NULL, NULL, NULL },
	{ "lastHeartbeatTime", F_TIME, NULL, "When the node last reported it.", false, NULL, NULL,
	  NULL, NULL },
	{ "lastTransitionTime", F_TIME, NULL, "When it last changed.", false, NULL, NULL, NULL, NULL },
	{ "reason", F_STR, NULL, "Why, in a word.", false, NULL, NULL, NULL, NULL },
	{ "message", F_STR, NULL, "Why, in a sentence.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_nodeinfo[] = {
	{ "machineID", F_STR, NULL, "/etc/machine-id.", true, NULL, NULL, NULL, NULL },
	{ "systemUUID", F_STR, NULL, "The machine's identity.", true, NULL, NULL, NULL, NULL },
	{ "bootID", F_STR, NULL, "The kernel's boot id.", true, NULL, NULL, NULL, NULL },
	{ "kernelVersion", F_STR, NULL, "uname -r.", true, NULL, NULL, NULL, NULL },
	{ "osImage", F_STR, NULL, "The distribution (os-release).", true, NULL, NULL, NULL, NULL },
	{ "containerRuntimeVersion", F_STR, NULL, "The runtime, as runtime://version.", true, NULL,
	  NULL, NULL, NULL },
	{ "kubeletVersion", F_STR, NULL, "podnetd's version.", true, NULL, NULL, NULL, NULL },
	{ "kubeProxyVersion", F_STR, NULL, "Empty.", true, NULL, NULL, NULL, NULL },
	{ "operatingSystem", F_STR, NULL, "linux.", true, NULL, NULL, NULL, NULL },
	{ "architecture", F_STR, NULL, "amd64, arm64, ...", true, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_event[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "metadata", F_REF, "meta.v1.ObjectMeta", "The event's name and namespace.", true, NULL, NULL,
	  NULL, NULL },
	{ "involvedObject", F_REF, "core.v1.ObjectReference", "The object the event is about.", true,
	  NULL, NULL, NULL, NULL },
	{ "reason", F_STR, NULL,
	  "What happened, in a word: Scheduled, Pulled, Created, Started, Killing, BackOff, ...",
	  false, NULL, NULL, NULL, NULL },
	{ "message", F_STR, NULL, "What happened, in a sentence.", false, NULL, NULL, NULL, NULL },
	{ "type", F_STR, NULL, "Normal or Warning.", false, NULL, NULL, NULL, NULL },
	{ "source", F_REF, "core.v1.EventSource", "Who reported it.", false, NULL, NULL, NULL, NULL },
	{ "count", F_INT32, NULL, "How many times it happened.", false, NULL, NULL, NULL, NULL },
	{ "firstTimestamp", F_TIME, NULL, "When it first happened.", false, NULL, NULL, NULL, NULL },
	{ "lastTimestamp", F_TIME, NULL, "When it last happened.", false, NULL, NULL, NULL, NULL },
	{ "reportingComponent", F_STR, NULL, "The component that reported it.", false, NULL, NULL, NULL,
	  NULL },
	{ "reportingInstance", F_STR, NULL, "Its instance (the node).", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_objref[] = {
	{ "apiVersion", F_STR, NULL, "The object's version.", false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, "The object's kind.", false, NULL, NULL, NULL, NULL },
	{ "name", F_STR, NULL, "The object's name.", false, NULL, NULL, NULL, NULL },
	{ "namespace", F_STR, NULL, "The object's namespace.", false, NULL, NULL, NULL, NULL },
	{ "uid", F_STR, NULL, "The object's uid.", false, NULL, NULL, NULL, NULL },
	{ "resourceVersion", F_STR, NULL, "The object's version when the event happened.", false, NULL,
	  NULL, NULL, NULL },
	{ "fieldPath", F_STR, NULL, "The part of the object: spec.containers{NAME} for a container.",
	  false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_evsource[] = {
	{ "component", F_STR, NULL, "kubelet (podnetd or the podnet runtime), default-scheduler.", false,
	  NULL, NULL, NULL, NULL },
	{ "host", F_STR, NULL, "The node.", false, NULL, NULL, NULL, NULL },
	END,
};

static const struct field f_status[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "status", F_STR, NULL, "Success or Failure.", false, NULL, NULL, NULL, NULL },
	{ "message", F_STR, NULL, "What went wrong, for people.", false, NULL, NULL, NULL, NULL },
	{ "reason", F_STR, NULL, "What went wrong, for programs (NotFound, AlreadyExists, Invalid, ...).",
	  false, NULL, NULL, NULL, NULL },
	{ "code", F_INT32, NULL, "The HTTP status.", false, NULL, NULL, NULL, NULL },
	{ "details", F_OBJ, NULL, "The object concerned, and each invalid field (causes).", false, NULL,
	  NULL, NULL, NULL },
	END,
};

static const struct field f_deleteopts[] = {
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },
	{ "gracePeriodSeconds", F_INT64, NULL,
	  "Seconds the pod's processes get between SIGTERM and SIGKILL; 0 with --force removes the "
	  "pod at once.",
	  false, NULL, NULL, NULL, NULL },
	{ "propagationPolicy", F_STR, NULL, "Orphan, Background or Foreground: pods own nothing here.",
	  false, NULL, NULL, NULL, NULL },
	{ "dryRun", F_STRS, NULL, "[All]: check the request, change nothing.", false, NULL, NULL, NULL,
	  NULL },
	END,
};

#define LIST_FIELDS(item, what)                                                                     \
	{ "apiVersion", F_STR, NULL, API_VERSION_DESC, false, NULL, NULL, NULL, NULL },             \
	{ "kind", F_STR, NULL, KIND_DESC, false, NULL, NULL, NULL, NULL },                          \
	{ "metadata", F_REF, "meta.v1.ListMeta", "The list's version and continue token.", false,  \
	  NULL, NULL, NULL, NULL },                                                                 \
	{ "items", F_REFS, item, what, true, NULL, NULL, NULL, NULL }, END

static const struct field f_podlist[] = { LIST_FIELDS("core.v1.Pod", "The pods.") };
static const struct field f_nslist[] = { LIST_FIELDS("core.v1.Namespace", "The namespaces.") };
static const struct field f_nodelist[] = { LIST_FIELDS("core.v1.Node", "The node.") };
static const struct field f_eventlist[] = { LIST_FIELDS("core.v1.Event", "The events.") };

/* ---- Services, NetworkPolicies, EndpointSlices */

static const char *const e_svc_type[] = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort",
					  NULL };
static const char *const e_affinity[] = { "ClientIP", "None", NULL };
static const char *const e_traffic[] = { "Cluster", "Local", NULL };
static const char *const e_sel_op[] = { "DoesNotExist", "Exists", "In", "NotIn", NULL };
static const char *const e_np_type[] = { "Egress", "Ingress", NULL };
static const char *const e_addr_type[] = { "FQDN", "IPv4", "IPv6", NULL };
static const char *const k_svc_port[] = { "port", "protocol", NULL };

static const struct field f_svc[] = {
	FLD("apiVersion", F_STR, NULL, API_VERSION_DESC),
	FLD("kind", F_STR, NULL, KIND_DESC),
	FLD("metadata", F_REF, "meta.v1.ObjectMeta", "The Service's name, namespace and labels."),
	FLD("spec", F_REF, "core.v1.ServiceSpec",
	    "Which pods back the Service and on which ports it is reached."),
	FLD("status", F_REF, "core.v1.ServiceStatus", "Nothing: no load balancer serves it."),
	END,
};

static const struct field f_svcspec[] = {
	FLDE("type", "ClusterIP (default): a virtual address inside the cluster; NodePort: that "
	     "and a port on the node's addresses; ExternalName: a DNS name. LoadBalancer is "
	     "refused: a single node has no load balancer.", e_svc_type),
	FLD("selector", F_MAP, NULL,
	    "The labels of the pods that receive the traffic; without one, no EndpointSlice is "
	    "computed."),
	FLD("clusterIP", F_STR, NULL,
	    "The virtual address, allocated from the service range (10.96.0.0/12 unless "
	    "PODNET_SERVICE_CIDR says otherwise) when empty; \"None\": headless. Fixed once set."),
	FLD("clusterIPs", F_STRS, NULL, "The same, as a list (one IPv4 address)."),
	{ "ports", F_REFS, "core.v1.ServicePort", "The ports the Service is reached on.", false,
	  "port", "merge", NULL, k_svc_port },
	FLDE("sessionAffinity", "ClientIP: a client keeps reaching the same pod; None (default).",
	     e_affinity),
	FLD("sessionAffinityConfig", F_OBJ, NULL, "clientIP.timeoutSeconds: how long (3 h default)."),
	FLDE("externalTrafficPolicy",
	     "Local: node port traffic only to pods on this node, client address kept.", e_traffic),
	FLDE("internalTrafficPolicy", "Local: cluster IP traffic only to pods on this node.",
	     e_traffic),
	FLD("publishNotReadyAddresses", F_BOOL, NULL, "Pods count as endpoints before they are ready."),
	FLD("externalName", F_STR, NULL, "ExternalName only: the DNS name the Service stands for."),
	FLD("ipFamilies", F_STRS, NULL, "IPv4."),
	FLD("ipFamilyPolicy", F_STR, NULL, "SingleStack."),
	END,
};

static const struct field f_svcport[] = {
	FLD("name", F_STR, NULL, "The port's name; required when there are several."),
	{ "protocol", F_STR, NULL, "TCP (default), UDP or SCTP.", false, NULL, NULL, e_proto, NULL },
	{ "port", F_INT32, NULL, "The port on the cluster IP.", true, NULL, NULL, NULL, NULL },
	FLD("targetPort", F_IOS, NULL,
	    "The pods' port: a number, or the name of a container port (resolved per pod). "
	    "Default: port."),
	FLD("nodePort", F_INT32, NULL,
	    "NodePort: the port on the node's addresses, allocated from 30000-32767 when not "
	    "given."),
	FLD("appProtocol", F_STR, NULL, "The application protocol, kept as given."),
	END,
};

static const struct field f_svcstatus[] = {
	FLD("loadBalancer", F_OBJ, NULL, "Always empty."),
	END,
};

static const struct field f_np[] = {
	FLD("apiVersion", F_STR, NULL, API_VERSION_DESC),
	FLD("kind", F_STR, NULL, KIND_DESC),
	FLD("metadata", F_REF, "meta.v1.ObjectMeta", "The policy's name, namespace and labels."),
	FLD("spec", F_REF, "networking.v1.NetworkPolicySpec",
	    "The pods the policy isolates and the traffic it allows them."),
	END,
};

static const struct field f_npspec[] = {
	{ "podSelector", F_REF, "meta.v1.LabelSelector",
	  "The pods of the policy's namespace it applies to; empty: all of them.", false, NULL,
	  NULL, NULL, NULL },
	FLD("ingress", F_REFS, "networking.v1.NetworkPolicyIngressRule",
	    "What may reach the selected pods; none (with Ingress in policyTypes): nothing."),
	FLD("egress", F_REFS, "networking.v1.NetworkPolicyEgressRule",
	    "What the selected pods may reach; none (with Egress in policyTypes): nothing."),
	{ "policyTypes", F_STRS, NULL,
	  "Ingress, Egress or both: the directions the policy isolates. Default: Ingress, and "
	  "Egress when there are egress rules.", false, NULL, NULL, e_np_type, NULL },
	END,
};

static const struct field f_npingress[] = {
	FLD("from", F_REFS, "networking.v1.NetworkPolicyPeer", "The sources allowed; none: any."),
	FLD("ports", F_REFS, "networking.v1.NetworkPolicyPort", "The ports allowed; none: any."),
	END,
};

static const struct field f_npegress[] = {
	FLD("to", F_REFS, "networking.v1.NetworkPolicyPeer", "The destinations allowed; none: any."),
	FLD("ports", F_REFS, "networking.v1.NetworkPolicyPort", "The ports allowed; none: any."),
	END,
};

static const struct field f_nppeer[] = {
	FLD("podSelector", F_REF, "meta.v1.LabelSelector",
	    "Pods (of the policy's namespace, or of the namespaces namespaceSelector selects)."),
	FLD("namespaceSelector", F_REF, "meta.v1.LabelSelector", "Namespaces, by their labels."),
	FLD("ipBlock", F_REF, "networking.v1.IPBlock", "Addresses, by CIDR; alone in its peer."),
	END,
};

static const struct field f_npport[] = {
	{ "protocol", F_STR, NULL, "TCP (default), UDP or SCTP.", false, NULL, NULL, e_proto, NULL },
	FLD("port", F_IOS, NULL, "A number or a container port's name; none: every port."),
	FLD("endPort", F_INT32, NULL, "With a numeric port: the last port of the range."),
	END,
};

static const struct field f_ipblock[] = {
	{ "cidr", F_STR, NULL, "The addresses, e.g. 192.168.1.0/24.", true, NULL, NULL, NULL, NULL },
	FLD("except", F_STRS, NULL, "Ranges inside cidr left out."),
	END,
};

static const struct field f_labelsel[] = {
	FLD("matchLabels", F_MAP, NULL, "Labels that must all be present with these values."),
	FLD("matchExpressions", F_REFS, "meta.v1.LabelSelectorRequirement",
	    "Requirements that must all hold."),
	END,
};

static const struct field f_labelreq[] = {
	{ "key", F_STR, NULL, "The label's key.", true, NULL, NULL, NULL, NULL },
	{ "operator", F_STR, NULL, "In, NotIn, Exists or DoesNotExist.", true, NULL, NULL, e_sel_op,
	  NULL },
	FLD("values", F_STRS, NULL, "In, NotIn: at least one value; Exists, DoesNotExist: none."),
	END,
};

static const struct field f_slice[] = {
	FLD("apiVersion", F_STR, NULL, API_VERSION_DESC),
	FLD("kind", F_STR, NULL, KIND_DESC),
	FLD("metadata", F_REF, "meta.v1.ObjectMeta",
	    "Named after its Service; label kubernetes.io/service-name."),
	{ "addressType", F_STR, NULL, "IPv4.", true, NULL, NULL, e_addr_type, NULL },
	FLD("endpoints", F_REFS, "discovery.v1.Endpoint", "The pods the Service selects."),
	FLD("ports", F_REFS, "discovery.v1.EndpointPort",
	    "The Service's ports, as numbers these pods listen on."),
	END,
};

static const struct field f_endpoint[] = {
	{ "addresses", F_STRS, NULL, "The pod's address.", true, NULL, NULL, NULL, NULL },
	FLD("conditions", F_REF, "discovery.v1.EndpointConditions", "Ready, serving, terminating."),
	FLD("nodeName", F_STR, NULL, "This node."),
	FLD("targetRef", F_REF, "core.v1.ObjectReference", "The pod."),
	END,
};

static const struct field f_epcond[] = {
	FLD("ready", F_BOOL, NULL, "The pod is Ready (or the Service publishes not-ready addresses)."),
	FLD("serving", F_BOOL, NULL, "The pod is Ready, whether terminating or not."),
	FLD("terminating", F_BOOL, NULL, "The pod is being deleted."),
	END,
};

static const struct field f_epport[] = {
	FLD("name", F_STR, NULL, "The Service port's name."),
	{ "protocol", F_STR, NULL, "TCP, UDP or SCTP.", false, NULL, NULL, e_proto, NULL },
	FLD("port", F_INT32, NULL, "The port the pods listen on."),
	FLD("appProtocol", F_STR, NULL, "The application protocol."),
	END,
};

#undef FLD
#undef FLDE

static const struct field f_svclist[] = { LIST_FIELDS("core.v1.Service", "The Services.") };
static const struct field f_nplist[] = { LIST_FIELDS("networking.v1.NetworkPolicy",
						     "The NetworkPolicies.") };
static const struct field f_slicelist[] = { LIST_FIELDS("discovery.v1.EndpointSlice",
							"The EndpointSlices.") };

static const struct type types[] = {
	{ "meta.v1.ObjectMeta", "What every stored object carries: name, namespace, labels, ...",
	  f_objectmeta, NULL, NULL },
	{ "meta.v1.ListMeta", "What every list carries.", f_listmeta, NULL, NULL },
	{ "meta.v1.ManagedFieldsEntry", "The fields one manager set.", f_managed, NULL, NULL },
	{ "meta.v1.Status", "The result of a request that returns no object, and every error.",
	  f_status, "Status", "" },
	{ "meta.v1.DeleteOptions", "How to delete.", f_deleteopts, "DeleteOptions", "" },
	{ "core.v1.Pod",
	  "A pod: containers that share one network namespace (one IP address, one localhost), "
	  "run on this node by podnet's runtime.",
	  f_pod, "Pod", "" },
	{ "core.v1.PodList", "A list of pods.", f_podlist, "PodList", "" },
	{ "core.v1.PodSpec", "What a pod runs and how.", f_podspec, NULL, NULL },
	{ "core.v1.Container", "One container of a pod.", f_container, NULL, NULL },
	{ "core.v1.ContainerPort", "A port a container listens on.", f_port, NULL, NULL },
	{ "core.v1.Probe", "A check of a container: exactly one handler.", f_probe, NULL, NULL },
	{ "core.v1.ExecAction", "A command to run.", f_exec, NULL, NULL },
	{ "core.v1.HTTPGetAction", "An HTTP GET.", f_httpget, NULL, NULL },
	{ "core.v1.HTTPHeader", "An HTTP header.", f_httphdr, NULL, NULL },
	{ "core.v1.TCPSocketAction", "A TCP connection.", f_tcpsock, NULL, NULL },
	{ "core.v1.GRPCAction", "A gRPC health check.", f_grpc, NULL, NULL },
	{ "core.v1.EnvVar", "An environment variable.", f_env, NULL, NULL },
	{ "core.v1.PodStatus", "What the node reports about a pod.", f_podstatus, NULL, NULL },
	{ "core.v1.PodCondition", "One condition of a pod.", f_podcond, NULL, NULL },
	{ "core.v1.PodIP", "One IP address of a pod.", f_ip, NULL, NULL },
	{ "core.v1.HostIP", "One IP address of the pod's node.", f_ip, NULL, NULL },
	{ "core.v1.ContainerStatus", "What the node reports about one container.", f_ctrstatus, NULL,
	  NULL },
	{ "core.v1.ContainerState", "Exactly one of running, terminated, waiting.", f_ctrstate, NULL,
	  NULL },
	{ "core.v1.ContainerStateRunning", "A running container.", f_running, NULL, NULL },
	{ "core.v1.ContainerStateTerminated", "A container that exited.", f_terminated, NULL, NULL },
	{ "core.v1.ContainerStateWaiting", "A container not running yet, or between restarts.",
	  f_waiting, NULL, NULL },
	{ "core.v1.Namespace", "A namespace: a scope for pod names.", f_ns, "Namespace", "" },
	{ "core.v1.NamespaceList", "A list of namespaces.", f_nslist, "NamespaceList", "" },
	{ "core.v1.NamespaceSpec", "A namespace's spec.", f_nsspec, NULL, NULL },
	{ "core.v1.NamespaceStatus", "A namespace's state.", f_nsstatus, NULL, NULL },
	{ "core.v1.Node", "This node, as its agent (podnetd) reports it.", f_node, "Node", "" },
	{ "core.v1.NodeList", "A list of nodes: this one.", f_nodelist, "NodeList", "" },
	{ "core.v1.NodeSpec", "The node's configuration.", f_nodespec, NULL, NULL },
	{ "core.v1.NodeStatus", "The node's state.", f_nodestatus, NULL, NULL },
	{ "core.v1.NodeAddress", "One address of the node.", f_nodeaddr, NULL, NULL },
	{ "core.v1.NodeCondition", "One condition of the node.", f_nodecond, NULL, NULL },
	{ "core.v1.NodeSystemInfo", "The node's software.", f_nodeinfo, NULL, NULL },
	{ "core.v1.Event",
	  "Something that happened to an object: a pod scheduled, a container started, a restart "
	  "backing off. Kept for an hour.",
	  f_event, "Event", "" },
	{ "core.v1.EventList", "A list of events.", f_eventlist, "EventList", "" },
	{ "core.v1.ObjectReference", "A reference to an object.", f_objref, NULL, NULL },
	{ "core.v1.EventSource", "Who reported an event.", f_evsource, NULL, NULL },
	{ "core.v1.Service",
	  "A Service: one stable address (and node port) in front of the pods its selector picks, "
	  "served by nftables rules on this node.",
	  f_svc, "Service", "" },
	{ "core.v1.ServiceList", "A list of Services.", f_svclist, "ServiceList", "" },
	{ "core.v1.ServiceSpec", "A Service's desired state.", f_svcspec, NULL, NULL },
	{ "core.v1.ServicePort", "One port of a Service.", f_svcport, NULL, NULL },
	{ "core.v1.ServiceStatus", "A Service's state.", f_svcstatus, NULL, NULL },
	{ "networking.v1.NetworkPolicy",
	  "A NetworkPolicy: which traffic the pods it selects may receive and send, enforced by "
	  "nftables rules on this node.",
	  f_np, "NetworkPolicy", "networking.k8s.io" },
	{ "networking.v1.NetworkPolicyList", "A list of NetworkPolicies.", f_nplist,
	  "NetworkPolicyList", "networking.k8s.io" },
	{ "networking.v1.NetworkPolicySpec", "A NetworkPolicy's rules.", f_npspec, NULL, NULL },
	{ "networking.v1.NetworkPolicyIngressRule", "Traffic allowed in: from these peers to these "
	  "ports.", f_npingress, NULL, NULL },
	{ "networking.v1.NetworkPolicyEgressRule", "Traffic allowed out: to these peers on these "
	  "ports.", f_npegress, NULL, NULL },
	{ "networking.v1.NetworkPolicyPeer", "Pods, namespaces or addresses.", f_nppeer, NULL, NULL },
	{ "networking.v1.NetworkPolicyPort", "A port, a named port or a range.", f_npport, NULL, NULL },
	{ "networking.v1.IPBlock", "A CIDR and exceptions.", f_ipblock, NULL, NULL },
	{ "meta.v1.LabelSelector", "Objects by their labels: every part must hold; empty: all.",
	  f_labelsel, NULL, NULL },
	{ "meta.v1.LabelSelectorRequirement", "A key, an operator and values.", f_labelreq, NULL,
	  NULL },
	{ "discovery.v1.EndpointSlice",
	  "The endpoints of a Service: computed by the node from the Service and its pods "
	  "(read-only).",
	  f_slice, "EndpointSlice", "discovery.k8s.io" },
	{ "discovery.v1.EndpointSliceList", "A list of EndpointSlices.", f_slicelist,
	  "EndpointSliceList", "discovery.k8s.io" },
	{ "discovery.v1.Endpoint", "One pod's address and conditions.", f_endpoint, NULL, NULL },
	{ "discovery.v1.EndpointConditions", "An endpoint's conditions.", f_epcond, NULL, NULL },
	{ "discovery.v1.EndpointPort", "One port of the endpoints.", f_epport, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void full_name(const char *short_name, char *buf, size_t n)
{
	if (!strncmp(short_name, "intstr.", 7))
		snprintf(buf, n, "io.k8s.apimachinery.pkg.util.%s", short_name);
	else if (!strncmp(short_name, "meta.", 5))
		snprintf(buf, n, "io.k8s.apimachinery.pkg.apis.%s", short_name);
	else
		snprintf(buf, n, "io.k8s.api.%s", short_name);
}

static json_t *ref_to(const char *short_name, bool v3)
{
	char full[256], ref[300];

	full_name(short_name, full, sizeof(full));
	snprintf(ref, sizeof(ref), "%s%s", v3 ? "#/components/schemas/" : "#/definitions/", full);
	return json_pack("{s:s}", "$ref", ref);
}

static json_t *enum_of(const char *const *e)
{
	json_t *a = json_array();

	for (; a && e && *e; e++)
		json_array_append_new(a, json_string(*e));
	return a;
}

static json_t *field_schema(const struct field *f, bool v3)
{
	json_t *s;

	switch (f->t) {
	case F_STR: s = json_pack("{s:s}", "type", "string"); break;
	case F_INT32: s = json_pack("{s:s, s:s}", "type", "integer", "format", "int32"); break;
	case F_INT64: s = json_pack("{s:s, s:s}", "type", "integer", "format", "int64"); break;
	case F_BOOL: s = json_pack("{s:s}", "type", "boolean"); break;
	case F_TIME: s = json_pack("{s:s, s:s}", "type", "string", "format", "date-time"); break;
	case F_STRS:
		s = json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
		break;
	case F_MAP:
		s = json_pack("{s:s, s:{s:s}}", "type", "object", "additionalProperties", "type",
			      "string");
		break;
	case F_QTYS:
		s = json_pack("{s:s, s:{s:s}}", "type", "object", "additionalProperties", "type",
			      "string");
		break;
	case F_OBJ: s = json_pack("{s:s}", "type", "object"); break;
	case F_IOS:
		/* A reference, as kube-apiserver publishes it: kubectl explain
		 * names the type after it (<IntOrString>). */
		if (v3)
			s = json_pack("{s:[o]}", "allOf", ref_to("intstr.IntOrString", v3));
		else
			s = ref_to("intstr.IntOrString", v3);
		break;
	case F_REF:
		/* kube-apiserver wraps a ref so it can carry its own description. */
		if (v3)
			s = json_pack("{s:[o], s:{}}", "allOf", ref_to(f->ref, v3), "default");
		else
			s = ref_to(f->ref, v3);
		break;
	case F_REFS: {
		json_t *item = ref_to(f->ref, v3);

		if (v3)
			item = json_pack("{s:{}, s:[o]}", "default", "allOf", item);
		s = json_pack("{s:s, s:o}", "type", "array", "items", item);
		break;
	}
	default: s = json_object(); break;
	}
	if (!s)
		return NULL;
	if (f->desc)
		json_object_set_new(s, "description", json_string(f->desc));
	if (f->enums)
		json_object_set_new(s, "enum", enum_of(f->enums));
	if (f->merge_key)
		json_object_set_new(s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
	if (f->strategy)
		json_object_set_new(s, "x-kubernetes-patch-strategy", json_string(f->strategy));
	if (f->map_keys) {
		json_object_set_new(s, "x-kubernetes-list-type", json_string("map"));
		json_object_set_new(s, "x-kubernetes-list-map-keys", enum_of(f->map_keys));
	} else if (f->merge_key) {
		json_object_set_new(s, "x-kubernetes-list-type", json_string("map"));
		json_object_set_new(s, "x-kubernetes-list-map-keys", json_pack("[s]", f->merge_key));
	}
	if (f->t == F_MAP)
		json_object_set_new(s, "x-kubernetes-map-type", json_string("granular"));
	return s;
}

static json_t *type_schema(const struct type *t, bool v3)
{
	json_t *props = json_object(), *req = json_array();
	json_t *s = json_pack("{s:s, s:s}", "description", t->desc, "type", "object");

	for (const struct field *f = t->fields; f->name; f++) {
		json_object_set_new(props, f->name, field_schema(f, v3));
		if (f->required)
			json_array_append_new(req, json_string(f->name));
	}
	json_object_set_new(s, "properties", props);
	if (json_array_size(req))
		json_object_set_new(s, "required", req);
	else
		json_decref(req);
	if (t->kind)
		json_object_set_new(s, "x-kubernetes-group-version-kind",
				    json_pack("[{s:s, s:s, s:s}]", "group", t->group, "kind", t->kind,
					      "version", "v1"));
	return s;
}

static json_t *schemas(bool v3)
{
	json_t *o = json_object();

	for (const struct type *t = types; o && t->name; t++) {
		char full[256];

		full_name(t->name, full, sizeof(full));
		json_object_set_new(o, full, type_schema(t, v3));
	}
	/* Not an object: a number or a string (a port's name).  kube-apiserver
	 * publishes it as apimachinery's intstr.IntOrString describes itself:
	 * in v2 a string of format int-or-string, in v3 one of integer and
	 * string (OpenAPIV3OneOfTypes) with that format and no type of its
	 * own, which is why kubectl explain (v3) names it <IntOrString>: it
	 * prints a referenced type's name unless the type is a primitive. */
	if (o)
		json_object_set_new(o, "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
				    v3 ? json_pack("{s:s, s:s, s:[{s:s}, {s:s}]}", "description",
						   "A number or a string.", "format", "int-or-string",
						   "oneOf", "type", "integer", "type", "string")
				       : json_pack("{s:s, s:s, s:s}", "description",
						   "A number or a string.", "type", "string", "format",
						   "int-or-string"));
	return o;
}

/* ---- paths */

static json_t *param(const char *name, const char *in, const char *desc, bool v3)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "name", name, "in", in, "description", desc);

	if (!strcmp(in, "path"))
		json_object_set_new(p, "required", json_true());
	if (v3)
		json_object_set_new(p, "schema", json_pack("{s:s, s:b}", "type", "string",
							   "uniqueItems", 1));
	else
		json_object_set_new(p, "type", json_string("string"));
	return p;
}

static json_t *response(const char *ref, bool v3)
{
	json_t *schema = ref_to(ref, v3);

	if (v3)
		return json_pack("{s:{s:s, s:{s:{s:o}}}}", "200", "description", "OK", "content",
				 "application/json", "schema", schema);
	return json_pack("{s:{s:s, s:o}}", "200", "description", "OK", "schema", schema);
}

static json_t *operation(const struct api_resource *r, const char *action, const char *verb_desc,
			 const char *resp_ref, bool body, bool patch_params, bool v3)
{
	char id[128];
	json_t *params = json_array();
	json_t *op;

	snprintf(id, sizeof(id), "%s%s", action, r->kind);
	if (body || patch_params) {
		json_array_append_new(params, param("dryRun", "query",
						    "All: validate and answer as if done, change nothing.",
						    v3));
		json_array_append_new(params, param("fieldManager", "query",
						    "The name recorded as the manager of the fields set.",
						    v3));
		json_array_append_new(params,
				      param("fieldValidation", "query",
					    "Strict: reject unknown or duplicate fields (400); Warn "
					    "(default): drop them with a warning; Ignore: drop them.",
					    v3));
	}
	if (patch_params)
		json_array_append_new(params, param("force", "query",
						    "Server-side apply: take over fields other managers set.",
						    v3));
	op = json_pack("{s:s, s:s, s:o, s:o, s:s, s:{s:s, s:s, s:s}}", "description", verb_desc,
		       "operationId", id, "parameters", params, "responses",
		       response(resp_ref, v3), "x-kubernetes-action", action,
		       "x-kubernetes-group-version-kind", "group", r->group, "kind", r->kind,
		       "version", r->version);
	if (body && v3)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:{s:{s:o}}, s:b}", "content", "*/*", "schema",
					      resp_ref ? ref_to(resp_ref, v3) : json_object(),
					      "required", 1));
	return op;
}

/* The schemas' short prefix of a group: "core.v1", "networking.v1". */
static const char *schema_prefix(const char *group, char *buf, size_t n)
{
	size_t l = strcspn(group, ".");

	if (!*group)
		snprintf(buf, n, "core.v1");
	else
		snprintf(buf, n, "%.*s.v1", (int)l, group);
	return buf;
}

static json_t *paths_for_group(const char *group, const char *version, bool v3)
{
	json_t *paths = json_object();

	for (size_t i = 0; i < API_KIND_COUNT; i++) {
		const struct api_resource *r = &api_resources[i];
		char base[256], coll[320], item[340], type[96], list[96], pfx[64];
		bool w = api_verb_allowed(r->verbs, "create");

		if (strcmp(r->group, group) || strcmp(r->version, version))
			continue;
		snprintf(type, sizeof(type), "%s.%s", schema_prefix(r->group, pfx, sizeof(pfx)),
			 r->kind);
		snprintf(list, sizeof(list), "%s.%sList", pfx, r->kind);
		if (*group)
			snprintf(base, sizeof(base), "/apis/%s/%s", group, version);
		else
			snprintf(base, sizeof(base), "/api/%s", version);
		if (r->namespaced) {
			snprintf(coll, sizeof(coll), "%s/namespaces/{namespace}/%s", base, r->plural);
			/* The list across namespaces. */
			{
				char all[320];

				snprintf(all, sizeof(all), "%s/%s", base, r->plural);
				json_object_set_new(paths, all,
						    json_pack("{s:o}", "get",
							      operation(r, "list", "List objects of every namespace.",
									list, false, false, v3)));
			}
		} else {
			snprintf(coll, sizeof(coll), "%s/%s", base, r->plural);
		}
		snprintf(item, sizeof(item), "%s/{name}", coll);
		{
			json_t *c = json_pack("{s:o}", "get",
					      operation(r, "list", "List objects.", list, false, false, v3));

			if (w)
				json_object_set_new(c, "post", operation(r, "post", "Create an object.",
									  type, true, false, v3));
			json_object_set_new(paths, coll, c);
		}
		{
			json_t *it = json_pack("{s:o}", "get",
					       operation(r, "get", "Read an object.", type, false, false, v3));

			if (api_verb_allowed(r->verbs, "update"))
				json_object_set_new(it, "put", operation(r, "put", "Replace an object.",
									 type, true, false, v3));
			if (api_verb_allowed(r->verbs, "patch"))
				json_object_set_new(it, "patch",
						    operation(r, "patch",
							      "Change an object with a JSON patch, a JSON "
							      "merge patch, a strategic merge patch or "
							      "server-side apply.",
							      type, false, true, v3));
			if (api_verb_allowed(r->verbs, "delete"))
				json_object_set_new(it, "delete",
						    operation(r, "delete", "Delete an object.", type, false,
							      false, v3));
			json_object_set_new(paths, item, it);
		}
	}
	return paths;
}

static json_t *doc_v3(const char *group, const char *version)
{
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0", "info", "title",
			 "Kubernetes (podnet)", "version", API_GIT_VERSION, "paths",
			 paths_for_group(group, version, true), "components", "schemas",
			 schemas(true));
}

static json_t *doc_v2(void)
{
	json_t *paths = paths_for_group("", "v1", false);

	/* One document for every group. */
	for (size_t i = 0; paths && i < api_n_groups; i++) {
		json_t *g = paths_for_group(api_groups[i].name, api_groups[i].version, false);

		json_object_update(paths, g);
		json_decref(g);
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "swagger", "2.0", "info", "title",
			 "Kubernetes (podnet)", "version", API_GIT_VERSION, "paths", paths,
			 "definitions", schemas(false));
}

/* Built once, served many times: the documents never change while the
 * daemon runs.  One v3 document per group version, as kube-apiserver
 * publishes them (kubectl explain and apply's validation read the one of
 * the object's group). */
#define N_DOCS 3
static const char *const doc_paths[N_DOCS][3] = {
	{ "api/v1", "", "v1" },
	{ "apis/networking.k8s.io/v1", "networking.k8s.io", "v1" },
	{ "apis/discovery.k8s.io/v1", "discovery.k8s.io", "v1" },
};
static struct {
	pthread_once_t once;
	char *v3[N_DOCS], *v3_index, *v2;
	char hash[N_DOCS][33];
} docs = { PTHREAD_ONCE_INIT, { NULL }, NULL, NULL, { "" } };

static char *dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

static void build(void)
{
	json_t *paths = json_object();

	for (int d = 0; d < N_DOCS; d++) {
		unsigned char digest[32];
		char url[192];

		docs.v3[d] = dump(doc_v3(doc_paths[d][1], doc_paths[d][2]));
		if (docs.v3[d] && gnutls_hash_fast(GNUTLS_DIG_SHA256, docs.v3[d], strlen(docs.v3[d]),
						   digest) == 0) {
			/* The index names each document with a hash of its
			 * content: clients cache a document until it changes. */
			for (int i = 0; i < 16; i++)
				snprintf(docs.hash[d] + 2 * i, 3, "%02X", digest[i]);
		}
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", doc_paths[d][0], docs.hash[d]);
		json_object_set_new(paths, doc_paths[d][0], json_pack("{s:s}", "serverRelativeURL", url));
	}
	docs.v2 = dump(doc_v2());
	docs.v3_index = dump(json_pack("{s:o}", "paths", paths));
}

static void serve(struct http_resp *resp, const char *body)
{
	if (!body || http_resp_set(resp, 200, "application/json", body, strlen(body)) < 0)
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
}

void openapi_handle(const struct http_req *req, struct http_resp *resp)
{
	pthread_once(&docs.once, build);
	if (strcmp(req->method, "GET")) {
		apistatus_method_not_allowed(resp);
		return;
	}
	if (!strcmp(req->path, "/openapi/v3") || !strcmp(req->path, "/openapi/v3/")) {
		serve(resp, docs.v3_index);
	} else if (!strncmp(req->path, "/openapi/v3/", 12)) {
		int d;

		for (d = 0; d < N_DOCS && strcmp(req->path + 12, doc_paths[d][0]); d++)
			;
		if (d == N_DOCS) {
			apistatus_no_route(resp);
			return;
		}
		serve(resp, docs.v3[d]);
		if (resp->status == 200 && http_resp_add_header(resp, "Etag", docs.hash[d]) < 0)
			resp->status = 500;
	} else if (!strcmp(req->path, "/openapi/v2")) {
		const char *accept = http_header_get(req, "Accept");

		/* kubectl asks for protobuf first and takes JSON when told so by
		 * the content type. */
		(void)accept;
		serve(resp, docs.v2);
	} else {
		apistatus_no_route(resp);
	}
}
