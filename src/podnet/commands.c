/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: the order here is the order of `podnet --help`. */
#include <stddef.h>

#include "cmd.h"

#define NS_FLAGS "  -n, --namespace NS   the pod's namespace (default \"default\")\n"

const struct cmd podnet_cmds[] = {
	{ "apply", cmd_apply, "Create pods and namespaces from Kubernetes YAML",
	  "  podnet apply -f FILE|- [-f FILE...]\n\n"
	  "Every document (v1 Pod or Namespace) of every file is validated before\n"
	  "anything is created.  A pod gets its own network namespace\n"
	  "(/run/netns/cni-<uuid>), an IP from the CNI network in PODNET_CNI_CONF_DIR\n"
	  "(written by `podnet init` on first use), and its containers run through the\n"
	  "OCI runtime sharing it.\n" },
	{ "get", cmd_get, "List pods or namespaces, as kubectl get does",
	  "  podnet get pods|pod NAME...|namespaces [-n NS | -A] [-l SELECTOR]\n"
	  "             [-o wide|json|yaml|name|jsonpath=TEMPLATE] [--no-headers]\n\n" NS_FLAGS
	  "  -A, --all-namespaces list pods of every namespace\n"
	  "  -l, --selector SEL   label selector: k=v, k!=v, k, !k joined by ','\n"
	  "  -o, --output FMT     wide, json, yaml, name, or jsonpath=TEMPLATE (kubectl's syntax)\n" },
	{ "delete", cmd_delete, "Delete pods (containers stopped, network removed)",
	  "  podnet delete pod NAME... [-n NS]\n  podnet delete -f FILE\n\n"
	  "Containers get SIGTERM, then SIGKILL after terminationGracePeriodSeconds;\n"
	  "then CNI DEL, the netns pin and every file of the pod are removed.\n" },
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
	{ "gc", cmd_gc, "Remove what dead or half-made pods left behind",
	  "  podnet gc\n\n"
	  "Finishes pods whose apply or delete was killed, removes pod directories,\n"
	  "netns pins and CNI cache entries of pods that no longer exist, and runs\n"
	  "CNI GC with the live pods as the valid attachments.\n" },
	{ "init", cmd_init, "Write the default CNI network configuration if none exists",
	  "  podnet init\n" },
	{ "info", cmd_info, "Show paths and the OCI runtime podnet uses", "  podnet info\n" },
	{ "help", cmd_help, "Show help for podnet or one of its commands",
	  "  podnet help [COMMAND]\n" },
	{ "version", cmd_version, "Print podnet's version", "  podnet version\n" },
	{ NULL, NULL, NULL, NULL },
};
