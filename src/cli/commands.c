/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: the order here is the order of `podnet --help`. */
#include <stddef.h>

#include "cmd.h"

#define NS_FLAGS "  -n, --namespace NS   the pod's namespace (default \"default\")\n"

const struct cmd podnet_cmds[] = {
	{ "apply", cmd_apply, "Create or update pods, namespaces, NetworkPolicies and Services from Kubernetes YAML",
	  "  podnet apply -f FILE|DIR|- [-f ...] [-R] [-n NS] [-o name]\n\n"
	  "Every document (v1 Pod, Namespace, Service or List, networking.k8s.io/v1\n"
	  "NetworkPolicy) of every file is read before anything changes.  A new pod gets\n"
	  "its own network namespace (/run/netns/cni-<uuid>), an IP from the CNI network in PODNET_CNI_CONF_DIR\n"
	  "(written by `podnet init` on first use), and its containers run through the\n"
	  "OCI runtime sharing it.  An existing pod is updated as kube-apiserver allows:\n"
	  "`pod/x unchanged`, `pod/x configured` (labels, annotations, a container's\n"
	  "image: that container restarts), or its Forbidden message for other fields.\n"
	  "An image change returns once the pod's shim took it (at most 60 s); when it\n"
	  "did not, the error says so, the change stays stored and is taken when the\n"
	  "shim runs again (a later apply of the pod waits for that again).\n"
	  "The NetworkPolicies that select a pod apply before its containers start; any\n"
	  "change to policies, Services or labels is in the node's nftables rules when\n"
	  "the command returns, in one transaction (docs/networkpolicy.md,\n"
	  "docs/services.md).\n\n"
	  "  -f, --filename PATH  a file, a directory (its .json, .yaml, .yml files) or -\n"
	  "                       (standard input, named \"STDIN\" in messages); repeatable\n"
	  "  -R, --recursive      descend into subdirectories of a -f directory\n" NS_FLAGS
	  "                       (for objects that name none; another one is refused)\n"
	  "  -o, --output name    print pod/NAME only\n" },
	{ "get", cmd_get, "List pods, namespaces, NetworkPolicies, Services or EndpointSlices, as kubectl get does",
	  "  podnet get TYPE[,TYPE] [NAME...] | TYPE/NAME... [-n NS | -A] [-l SELECTOR]\n"
	  "             [-o FORMAT] [--no-headers] [--show-labels]\n\n"
	  "TYPE is pods (pod, po), namespaces (namespace, ns), networkpolicies\n"
	  "(networkpolicy, netpol), services (service, svc) or endpointslices.\n\n" NS_FLAGS
	  "  -A, --all-namespaces list pods of every namespace\n"
	  "  -l, --selector SEL   label selector as Kubernetes parses it: k=v, k==v, k!=v,\n"
	  "                       'k in (a,b)', 'k notin (a)', k, !k, joined by ','\n"
	  "  -o, --output FMT     wide, json, yaml (keys sorted as kubectl prints them),\n"
	  "                       name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE\n"
	  "      --no-headers     no header line\n"
	  "      --show-labels    a LABELS column\n" },
	{ "describe", cmd_describe, "Show a pod, a NetworkPolicy or a Service in detail, as kubectl describe does",
	  "  podnet describe pods [NAME...] | pod/NAME... [-n NS | -A] [-l SELECTOR]\n"
	  "  podnet describe networkpolicies [NAME...] | netpol/NAME... [-n NS]\n"
	  "  podnet describe services [NAME...] | svc/NAME... [-n NS]\n\n"
	  "Without a name every pod of the namespace (that SELECTOR picks) is described.\n"
	  "Events are read back from the containers' states (podnet keeps no event log).\n" },
	{ "delete", cmd_delete, "Delete pods, namespaces, NetworkPolicies or Services",
	  "  podnet delete TYPE NAME... | TYPE/NAME... | TYPE (--all | -l SELECTOR) [-n NS | -A]\n"
	  "  podnet delete -f FILE|DIR|- [-R]\n"
	  "  options: [--grace-period=N | --now] [--force] [--wait=false] [--ignore-not-found]\n"
	  "           [-o name]\n\n"
	  "Containers get SIGTERM, then SIGKILL after the grace period (the pod's\n"
	  "terminationGracePeriodSeconds unless --grace-period); then CNI DEL, the netns\n"
	  "pin and every file of the pod are removed.  Several pods stop at the same time,\n"
	  "so deleting many takes one grace period, and each `pod \"x\" deleted` line is\n"
	  "printed as that pod is gone.  A namespace goes with every pod in it.\n"
	  "Deleted NetworkPolicies and Services stop applying when the command returns.\n\n"
	  "      --grace-period N seconds between SIGTERM and SIGKILL (0 needs --force)\n"
	  "      --now            --grace-period=1\n"
	  "      --force          with grace 0: kill at once (kubectl's warning is printed)\n"
	  "      --all            every pod of the namespace\n"
	  "  -l, --selector SEL   the pods SEL picks (as in get)\n"
	  "      --wait=false     return once the pods were told to stop\n" NS_FLAGS },
	{ "exec", cmd_exec, "Run a command in a container of a pod",
	  "  podnet exec [-i] [-t] POD|pod/POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]\n\n"
	  "Without -c: the container the pod's kubectl.kubernetes.io/default-container\n"
	  "annotation names, else the first (named on stderr unless -q).  -t gives the\n"
	  "command a terminal and TERM (the client's, else xterm).  The exit status is\n"
	  "the command's.\n" },
	{ "logs", cmd_logs, "Print a container's logs",
	  "  podnet logs POD|pod/POD [CONTAINER] [-c CONTAINER | --all-containers] [-n NS]\n"
	  "              [-f] [-p] [--tail=N] [--since=DUR | --since-time=TIME] [--timestamps]\n"
	  "              [--prefix] [--limit-bytes=N]\n"
	  "  podnet logs CONTAINER-ID [-f] [-p] [--tail=N] ...   (as crictl logs)\n\n"
	  "  -f, --follow         until the container's attempt ends\n"
	  "  -p, --previous       the attempt before (kubectl's lastState)\n"
	  "      --tail N         the last N lines\n"
	  "      --since DUR      newer than DUR (5s, 2m, 1h); --since-time RFC 3339\n"
	  "      --timestamps     each line starts with its RFC 3339 time\n"
	  "      --all-containers every container, one after the other\n"
	  "      --prefix         each line starts with [pod/POD/CONTAINER]\n" },
	{ "pods", cmd_pods, "List pod sandboxes, as crictl pods does",
	  "  podnet pods [-q] [-v] [--name REGEX] [--namespace REGEX] [--label K=V]...\n"
	  "              [--state ready|notready] [--id ID] [-o json|yaml|table] [--no-trunc]\n" },
	{ "ps", cmd_ps, "List containers, as crictl ps does",
	  "  podnet ps [-a] [-q] [-v] [--name REGEX] [-p POD-ID] [--label K=V]...\n"
	  "            [--state created|running|exited|unknown] [--id ID] [--image IMAGE]\n"
	  "            [-o json|yaml|table] [--no-trunc]\n\n"
	  "One row per attempt, as the CRI reports them: a restarted container is a new\n"
	  "container ID with the next ATTEMPT; -a also lists the attempt before it.\n"
	  "--label matches the labels kubelet puts on containers (io.kubernetes.*).\n" },
	{ "inspect", cmd_inspect, "Show a container's status and PID (crictl inspect)",
	  "  podnet inspect CONTAINER-ID|NAME... [-n NAMESPACE] [-o json|yaml]\n\n"
	  "IDs are 64 hex; any unique prefix is accepted, of the current attempt or the\n"
	  "one before.  A name is exact and wins over an ID prefix; -n narrows both to one\n"
	  "namespace.  One that matches several containers is an error listing them as\n"
	  "crictl ps prints them.  Times are RFC 3339 (0001-01-01T00:00:00Z when unset), as crictl\n"
	  "prints them.  .info.pid is the PID of the container's init process on the\n"
	  "node; .info.runtimeSpec the OCI runtime's spec of the container.\n" },
	{ "inspectp", cmd_inspectp, "Show a pod sandbox: IP, pause PID, namespaces (crictl inspectp)",
	  "  podnet inspectp POD-ID|POD-NAME... [-n NAMESPACE] [-o json|yaml]\n\n"
	  "A name is exact and wins over an ID prefix; -n (--namespace) narrows both to\n"
	  "one namespace.  A name or prefix that matches several pods is an error listing\n"
	  "them, as crictl pods prints them, so one can be named by its ID or with -n.\n" },
	{ "images", cmd_images, "List local images", "  podnet images [-q]\n" },
	{ "image", cmd_image, "Import or remove local images",
	  "  podnet image import [--force] NAME FILE|DIR\n  podnet image rm NAME...\n  podnet image ls\n\n"
	  "FILE is a rootfs tarball (plain or compressed), an OCI image layout or a\n"
	  "`docker save` archive.  The built-in image \"host\" is a copy-on-write view of\n"
	  "the node's own root filesystem.\n" },
	{ "netns", cmd_netns, "List the node's network namespaces and the pods they belong to",
	  "  podnet netns [-o wide|json]\n  podnet netns identify [PID] [-o json]\n\n"
	  "Every network namespace of the node: pinned under PODNET_NETNS_DIR (/run/netns)\n"
	  "or held only by processes.  POD comes from podnet's state or, for pods of\n"
	  "other runtimes, from the CNI results cache (K8S_POD_* args).  HOST-VETH is\n"
	  "the exact node-side peer of the pod's eth0 (peer ifindex and link-netnsid),\n"
	  "BRIDGE its master.  STATUS names orphans and why; orphan cache entries,\n"
	  "leases and host veths follow the table.\n"
	  "identify: the namespace of PID (default: podnet itself) and its pod.\n" },
	{ "pid2pod", cmd_pid2pod, "Map a process to its pod and container",
	  "  podnet pid2pod PID [-o json]\n\n"
	  "Through the process's network namespace and its cgroup path\n"
	  "(podnet/pod<uid>/<id>, kubepods.../pod<uid>/<id>, cri-containerd-<id>.scope).\n"
	  "When reading /proc/PID/ns/net is denied (another user's process; it needs\n"
	  "ptrace access), the cgroup alone is used and NETNS says what was denied.\n" },
	{ "graph", cmd_graph, "Draw the node: bridges, veth pairs, pods and containers",
	  "  podnet graph [-o text|dot|svg]\n\n"
	  "text is an ASCII tree; dot is Graphviz source; svg runs `dot -Tsvg`\n"
	  "(package graphviz).\n" },
	{ "ip", cmd_ip, "Show a pod's links, addresses, routes or neighbours, as ip does",
	  "  podnet ip POD [-c CONTAINER] [-n NS] [-br] [-4|-6] addr|link [show [dev] IFNAME]\n"
	  "  podnet ip POD [-c CONTAINER] [-n NS] [-4|-6] route|neigh [-o json]\n\n"
	  "Read over rtnetlink inside the pod's network namespace: the same lines, in the\n"
	  "same order, as `ip -n NETNS addr|link|route|neigh`; -o json (or -j) as `ip -j`;\n"
	  "-br (-brief) as `ip -br addr|link`; IFNAME shows that link only (`Device \"X\"\n"
	  "does not exist.` when there is none).\n"
	  "route is IPv4 unless -6.  -c reads the namespace of that container's process\n"
	  "(the pod's, unless the pod uses the host network).  Nothing runs in the image.\n" },
	{ "ss", cmd_ss, "Show a pod's TCP and UDP sockets, as ss does",
	  "  podnet ss POD [-c CONTAINER] [--namespace NS] [-l|-a] [-t] [-u] [-p] [-n] [-4|-6] [-H] [-o json]\n"
	  "  podnet ss POD -s [-t|-u ...]\n\n"
	  "sock_diag inside the pod's network namespace, laid out as `ss -N NETNS`.  Without\n"
	  "-t/-u both.  -l listening (and unconnected UDP), -a all, default connected.\n"
	  "-p names the owning processes as ss -p does, plus the podnet container each\n"
	  "belongs to: users:((\"nginx\",pid=123,fd=6,container=c3)).  -n numeric ports.\n"
	  "-s (--summary) prints ss's summary of the namespace's sockets (its\n"
	  "/proc/net/sockstat), then, with -t or -u, the sockets too.\n"
	  "The pod's namespace is --namespace (-n is ss's numeric flag).  Short options\n"
	  "bundle (-ltnp); the long ones are ss's (--listening, --tcp, --processes ...).\n" },
	{ "nsenter", cmd_nsenter, "Run a node binary in a pod's network namespace",
	  "  podnet nsenter POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]\n\n"
	  "Like `nsenter -t PID -n`: only the network namespace is joined (in the child),\n"
	  "so COMMAND is the node's binary with the node's filesystem; the image needs\n"
	  "nothing.  Which namespace was joined is said on stderr.  The exit status is\n"
	  "COMMAND's (127: not found, 126: not executable).  podnet's flags go before\n"
	  "\"--\"; without it, COMMAND's own flags would be read as podnet's.\n" },
	{ "probe", cmd_probe, "Probe TCP/HTTP/UDP/ICMP from inside a pod's network namespace",
	  "  podnet probe FROM TARGET[:PORT] [--tcp|--http|--udp|--icmp] [--timeout DUR] [-n NS]\n\n"
	  "FROM is a pod (NAME or NAMESPACE/NAME), \"node\", or an address (the pod or the\n"
	  "node that has it); TARGET a pod, NAMESPACE/POD, an IP ([IPv6]:PORT), or localhost\n"
	  "(like 127.0.0.1 and ::1, FROM itself: a pod's containers share one loopback).\n"
	  "The probe runs natively in FROM's network namespace, nothing is executed in its\n"
	  "image.  Default: --tcp with a port, --icmp without; --http uses port 80 unless\n"
	  "given.  --timeout defaults to 2s.  The result is one line: connected in 142µs,\n"
	  "refused, timed out after 2s, no route to host, host unreachable, connection\n"
	  "reset (with the sender of the ICMP error that decided it, if one did); for UDP\n"
	  "\"no answer (open|filtered)\" unless an ICMP port unreachable says refused.  ICMP uses a raw socket, or a ping socket\n"
	  "when raw sockets are not permitted.  Exit 0 when the target was reached.\n" },
	{ "trace", cmd_trace, "Name every nftables rule a probe's packets cross, in every namespace",
	  "  podnet trace FROM TO[:PORT][/tcp|/udp|/icmp] [--tcp|--udp|--icmp] [--timeout DUR]\n"
	  "               [-n NS] [-o json]\n\n"
	  "Sends one probe as `podnet probe` does (FROM: a pod, NAMESPACE/POD, \"node\" or an\n"
	  "address; TO: a pod, NAMESPACE/POD, an IP or localhost) with nftables tracing on\n"
	  "for exactly its packets, its answers and ICMP errors about it, in FROM's, the\n"
	  "node's and TO's network namespaces, and prints each packet's passage: every\n"
	  "table, chain and rule (by handle, with its text as `nft -a list ruleset` shows\n"
	  "it) that gave a verdict, whoever wrote it, then the verdict: which rule or\n"
	  "policy dropped the probe, or that none did.  The tracer adds a table\n"
	  "podnet-trace-PID per family to each namespace (chains at priority -2147483648\n"
	  "on the first hooks) and deletes it after.  Exit 0 when the target was reached.\n" },
	{ "doctor", cmd_doctor, "Check a pod's network path (or the node) and name what is broken",
	  "  podnet doctor [POD] [--to TARGET:PORT] [-o json] [--timeout DUR] [-n NS]\n\n"
	  "One line per check, \u2705 / \u26a0\ufe0f / \u274c, with the evidence and the fix.  For POD:\n"
	  "Running; IP in state = on eth0 = in the CNI cache = leased; eth0 up; default\n"
	  "route; host veth up, on the network's bridge, same MTU as eth0, an isolated\n"
	  "port when the network sets portIsolation (and the bridge answering ARP for its\n"
	  "pods); the node's route to the pod; neighbour entries (the pod's, the node's\n"
	  "for it) against the MACs that really own those IPs; bridge up with the gateway\n"
	  "address; forwarding; masquerade rule; ICMP from the node; two containers wanting\n"
	  "one port (from the spec and from \"Address already in use\" in their logs);\n"
	  "listeners on the pod's containerPorts.  With --to, the same for the target pod,\n"
	  "then what is bound on PORT there (TCP and UDP, IPv4 and IPv6: loopback only,\n"
	  "IPv6-only, another address, the wrong protocol or port are named), the\n"
	  "NetworkPolicy verdict, the tracer (podnet trace) through every namespace on the\n"
	  "way, naming any nftables rule or policy that drops the flow by table, chain and\n"
	  "handle, and the probe (HTTP for 80/8080).  Without POD: the node's CNI config,\n"
	  "plugins, cniVersion, STATUS, orphans, leaked leases and every pod.  Fixes name\n"
	  "pods outside \"default\" with -n NS.\n"
	  "Exit 0 only when no check failed.\n" },
	{ "netpol", cmd_netpol, "Explain the NetworkPolicy verdict for a flow",
	  "  podnet netpol explain FROM TO:PORT[/PROTO] [-n NS] [-o json]\n\n"
	  "FROM and TO are pods (NAME in -n NS, or NAMESPACE/NAME), IP addresses\n"
	  "([IPv6]:PORT) or \"node\"; PROTO is TCP (default), UDP or SCTP.  Prints\n"
	  "ALLOWED or DENIED, then each side: the source's egress and the\n"
	  "destination's ingress, whether a policy isolates it, which policies do, and\n"
	  "every rule, peer and port that allows the flow (a named port with the number\n"
	  "it resolved to on the destination pod).  The verdict comes from podnet's\n"
	  "evaluator of the API reference, which shares no code with the nftables rules\n"
	  "it is checked against (docs/networkpolicy.md).\n" },
	{ "sync", cmd_sync, "Bring the node's nftables rules (policies, Services) in line with the state",
	  "  podnet sync\n\n"
	  "Recomputes every Service's endpoints from the pods' labels, addresses and\n"
	  "readiness and replaces podnet's nftables rules in one transaction.  apply\n"
	  "and delete do it themselves; a pod's shim runs it when a container's\n"
	  "readiness changes.\n" },
	{ "gc", cmd_gc, "Remove what dead or half-made pods left behind",
	  "  podnet gc\n\n"
	  "Finishes pods whose apply or delete was killed, removes pod directories,\n"
	  "netns pins and CNI cache entries of pods that no longer exist, and runs\n"
	  "CNI GC with the live pods as the valid attachments, and applies the\n"
	  "NetworkPolicy rules again as the state says.\n" },
	{ "init", cmd_init, "Write the default CNI network configuration if none exists",
	  "  podnet init\n" },
	{ "info", cmd_info, "Show paths and the OCI runtime podnet uses", "  podnet info\n" },
	{ "help", cmd_help, "Show help for podnet or one of its commands",
	  "  podnet help [COMMAND]\n" },
	{ "version", cmd_version, "Print podnet's version", "  podnet version\n" },
	{ NULL, NULL, NULL, NULL },
};
