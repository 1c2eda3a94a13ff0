/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: the order here is the order of `podnet --help`. */
#include <stddef.h>

#include "cmd.h"

#define NS_FLAGS "  -n, --namespace NS   the pod's namespace (default \"default\")\n"

const struct cmd podnet_cmds[] = {
	{ "apply", cmd_apply, "Create pods, namespaces, NetworkPolicies and Services from Kubernetes YAML",
	  "  podnet apply -f FILE|- [-f FILE...]\n\n"
	  "Every document (v1 Pod, Namespace or Service, networking.k8s.io/v1\n"
	  "NetworkPolicy) of every file is validated before anything is created.  A pod\n"
	  "gets its own network namespace (/run/netns/cni-<uuid>), an IP from the CNI\n"
	  "network in PODNET_CNI_CONF_DIR (written by `podnet init` on first use), and its\n"
	  "containers run through the OCI runtime sharing it; the NetworkPolicies that\n"
	  "select it apply before its containers start.  Applying an existing pod with\n"
	  "other labels or annotations changes those (\"configured\"); a policy, a\n"
	  "namespace or a Service is created, configured or unchanged, and the node's\n"
	  "nftables rules follow in one transaction (docs/networkpolicy.md,\n"
	  "docs/services.md).\n" },
	{ "get", cmd_get, "List pods, namespaces, NetworkPolicies, Services or EndpointSlices, as kubectl get does",
	  "  podnet get pods|pod NAME...|namespaces|networkpolicies|netpol|svc|endpointslices\n"
	  "             [-n NS | -A] [-l SELECTOR]\n"
	  "             [-o wide|json|yaml|name|jsonpath=TEMPLATE] [--no-headers]\n\n" NS_FLAGS
	  "  -A, --all-namespaces list the objects of every namespace\n"
	  "  -l, --selector SEL   label selector: k=v, k!=v, k, !k joined by ','\n"
	  "  -o, --output FMT     wide, json, yaml, name, or jsonpath=TEMPLATE (kubectl's syntax)\n" },
	{ "describe", cmd_describe, "Show a pod, a NetworkPolicy or a Service in detail, as kubectl describe does",
	  "  podnet describe pod|pods|networkpolicy|netpol|svc [NAME...] [-n NS]\n"
	  "  podnet describe pod/NAME|networkpolicy/NAME|svc/NAME [-n NS]\n\n"
	  "Without a name every object of that type in the namespace is described.\n"
	  "Events are read back from the containers' states and the kubelet events the\n"
	  "shims record (probe failures, probe kills).\n" },
	{ "delete", cmd_delete, "Delete pods, NetworkPolicies or Services",
	  "  podnet delete pod NAME... [-n NS]\n"
	  "  podnet delete networkpolicy|netpol NAME...|--all [-n NS | -A]\n"
	  "  podnet delete svc NAME... [-n NS]\n"
	  "  podnet delete -f FILE\n\n"	  "Containers get SIGTERM, then SIGKILL after terminationGracePeriodSeconds;\n"
	  "then CNI DEL, the netns pin and every file of the pod are removed.  Deleted\n"
	  "policies stop applying when the command returns (one nftables transaction).\n" },
	{ "exec", cmd_exec, "Run a command in a container of a pod",
	  "  podnet exec [-i] [-t] POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]\n\n"
	  "Without -c the first container is used (and named on stderr).  The exit\n"
	  "status is the command's.\n" },
	{ "logs", cmd_logs, "Print a container's logs",
	  "  podnet logs POD [-c CONTAINER] [-f] [-p|--previous] [-n NS]\n" },
	{ "pods", cmd_pods, "List pod sandboxes, as crictl pods does", "  podnet pods [-q]\n" },
	{ "ps", cmd_ps, "List containers, as crictl ps does",
	  "  podnet ps [-a] [--name REGEX] [-p POD-ID] [-q] [-o json]\n" },
	{ "inspect", cmd_inspect, "Show a container's status and PID (crictl inspect)",
	  "  podnet inspect CONTAINER-ID|NAME...\n\n"
	  "IDs are 64 hex; any unique prefix is accepted.  .info.pid is the PID of the\n"
	  "container's init process on the node.\n" },
	{ "inspectp", cmd_inspectp, "Show a pod sandbox: IP, pause PID, namespaces (crictl inspectp)",
	  "  podnet inspectp POD-ID|POD-NAME...\n" },
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
	  "(podnet/pod<uid>/<id>, kubepods.../pod<uid>/<id>, cri-containerd-<id>.scope).\n" },
	{ "graph", cmd_graph, "Draw the node: bridges, veth pairs, pods and containers",
	  "  podnet graph [-o text|dot|svg]\n\n"
	  "text is an ASCII tree; dot is Graphviz source; svg runs `dot -Tsvg`\n"
	  "(package graphviz).\n" },
	{ "ip", cmd_ip, "Show a pod's links, addresses, routes or neighbours, as ip does",
	  "  podnet ip POD [-c CONTAINER] [-n NS] [-4|-6] addr|link|route|neigh [-o json]\n\n"
	  "Read over rtnetlink inside the pod's network namespace: the same lines, in the\n"
	  "same order, as `ip -n NETNS addr|link|route|neigh`; -o json (or -j) as `ip -j`.\n"
	  "route is IPv4 unless -6.  -c reads the namespace of that container's process\n"
	  "(the pod's, unless the pod uses the host network).  Nothing runs in the image.\n" },
	{ "ss", cmd_ss, "Show a pod's TCP and UDP sockets, as ss does",
	  "  podnet ss POD [-c CONTAINER] [--namespace NS] [-l|-a] [-t] [-u] [-p] [-n] [-4|-6] [-H] [-o json]\n\n"
	  "sock_diag inside the pod's network namespace, laid out as `ss -N NETNS`.  Without\n"
	  "-t/-u both.  -l listening (and unconnected UDP), -a all, default connected.\n"
	  "-p names the owning processes as ss -p does, plus the podnet container each\n"
	  "belongs to: users:((\"nginx\",pid=123,fd=6,container=c3)).  -n numeric ports.\n"
	  "The pod's namespace is --namespace (-n is ss's numeric flag).\n" },
	{ "nsenter", cmd_nsenter, "Run a node binary in a pod's network namespace",
	  "  podnet nsenter POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]\n\n"
	  "Like `nsenter -t PID -n`: only the network namespace is joined (in the child),\n"
	  "so COMMAND is the node's binary with the node's filesystem; the image needs\n"
	  "nothing.  Which namespace was joined is said on stderr.  The exit status is\n"
	  "COMMAND's (127: not found, 126: not executable).\n" },
	{ "probe", cmd_probe, "Probe TCP/HTTP/UDP/ICMP from inside a pod's network namespace",
	  "  podnet probe FROM TARGET[:PORT] [--tcp|--http|--udp|--icmp] [--timeout DUR] [-n NS]\n\n"
	  "FROM is a pod (NAME or NAMESPACE/NAME) or \"node\"; TARGET a pod, NAMESPACE/POD\n"
	  "or an IP ([IPv6]:PORT).  The probe runs natively in FROM's network namespace,\n"
	  "nothing is executed in its image.  Default: --tcp with a port, --icmp without;\n"
	  "--http uses port 80 unless given.  --timeout defaults to 2s.  The result is one\n"
	  "line: connected in 142µs, refused, timed out after 2s, no route to host, host\n"
	  "unreachable, connection reset; for UDP \"no answer (open|filtered)\" unless an\n"
	  "ICMP port unreachable says refused.  ICMP uses a raw socket, or a ping socket\n"
	  "when raw sockets are not permitted.  Exit 0 when the target was reached.\n" },
	{ "doctor", cmd_doctor, "Check a pod's network path (or the node) and name what is broken",
	  "  podnet doctor [POD] [--to TARGET:PORT] [-o json] [--timeout DUR] [-n NS]\n\n"
	  "One line per check, \u2705 / \u26a0\ufe0f / \u274c, with the evidence and the fix.  For POD:\n"
	  "Running; IP in state = on eth0 = in the CNI cache = leased; eth0 up; default\n"
	  "route; host veth up, on the network's bridge, same MTU as eth0; bridge up with\n"
	  "the gateway address; forwarding; masquerade rule; ICMP from the node; listeners\n"
	  "on the pod's containerPorts.  With --to, the same for the target pod, then\n"
	  "something listening on PORT there (and on which address), the NetworkPolicy\n"
	  "verdict, and a TCP (HTTP for 80/8080) probe from POD.  Without POD: the node's\n"
	  "CNI config, plugins, cniVersion, STATUS, orphans, leaked leases and every pod.\n"
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
