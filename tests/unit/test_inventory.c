/* SPDX-License-Identifier: Apache-2.0 */
/* inventory: the pure parts (cgroup paths -> pod uid and container id). */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "tap.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "6b8d3f0c-1e2a-4b5c-9d8e-7f6a5b4c3d2e"

static void test_parse(const char *text, int want_ret, enum inv_cgroup_kind kind, const char *uid,
		       const char *id, const char *runtime, const char *what)
{
	struct inv_cgroup_id cg = { 0 };
	int ret = inventory_parse_cgroup(text, &cg);

	is_int(ret, want_ret, "%s: return", what);
	if (ret < 0)
		return;
	is_int(cg.kind, kind, "%s: layout", what);
	is_str(cg.pod_uid, uid, "%s: pod uid", what);
	is_str(cg.container_id, id, "%s: container id", what);
	if (runtime)
		is_str(cg.runtime, runtime, "%s: runtime", what);
}

/* A pod's uplink: its veth whose peer is on the node, eth0 when there are several. */
static void test_uplink(void)
{
	struct inv_link pod_links[4] = { 0 }, node_links[1] = { 0 };
	struct inv_netns ns[3] = { 0 };
	struct inventory inv = { .ns = ns, .n_ns = 3, .node = 0 };

	ns[0].is_node = true;
	ns[0].links = node_links;
	ns[0].n_links = 1;
	ns[1].links = pod_links;
	snprintf(pod_links[0].li.name, sizeof(pod_links[0].li.name), "lo");
	pod_links[0].peer = INV_PEER_NONE;
	snprintf(pod_links[1].li.name, sizeof(pod_links[1].li.name), "net1");
	pod_links[1].peer = INV_PEER_OTHER_NS;
	pod_links[1].peer_ns = 2; /* another pod, not the node */
	snprintf(pod_links[2].li.name, sizeof(pod_links[2].li.name), "net2");
	pod_links[2].peer = INV_PEER_OTHER_NS;
	pod_links[2].peer_ns = 0;
	snprintf(pod_links[3].li.name, sizeof(pod_links[3].li.name), "eth0");
	pod_links[3].peer = INV_PEER_OTHER_NS;
	pod_links[3].peer_ns = 0;

	ns[1].n_links = 2;
	ok(inventory_pod_uplink(&inv, &ns[1]) == NULL, "no veth to the node: no uplink");
	ns[1].n_links = 3;
	ok(inventory_pod_uplink(&inv, &ns[1]) == &pod_links[2], "the one veth to the node");
	ns[1].n_links = 4;
	ok(inventory_pod_uplink(&inv, &ns[1]) == &pod_links[3], "eth0 wins among several");
	ok(inventory_pod_uplink(&inv, &ns[0]) == NULL, "the node has none");
}

int main(void)
{
	test_uplink();
	/* podnet-shim under runc's cgroupfs driver: relative to the shim's
	 * own cgroup, in every v1 hierarchy, and the v2 one. */
	test_parse("12:memory:/user.slice/podnet/pod" UID "/" ID64 "\n"
		   "1:name=systemd:/user.slice/podnet/pod" UID "/" ID64 "\n"
		   "0::/user.slice/podnet/pod" UID "/" ID64 "\n",
		   0, INV_CG_PODNET, UID, ID64, "", "podnet, hybrid");
	/* kubelet, cgroupfs driver. */
	test_parse("0::/kubepods/burstable/pod" UID "/" ID64 "\n", 0, INV_CG_KUBEPODS, UID, ID64, "",
		   "kubepods cgroupfs burstable");
	test_parse("0::/kubepods/pod" UID "/" ID64 "\n", 0, INV_CG_KUBEPODS, UID, ID64, "",
		   "kubepods cgroupfs guaranteed");
	/* kubelet, systemd driver: '-' of the uid escaped as '_'. */
	test_parse("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		   "6b8d3f0c_1e2a_4b5c_9d8e_7f6a5b4c3d2e.slice/cri-containerd-" ID64 ".scope\n",
		   0, INV_CG_SYSTEMD_SCOPE, UID, ID64, "cri-containerd", "kubepods systemd containerd");
	test_parse("0::/kubepods.slice/kubepods-pod6b8d3f0c_1e2a_4b5c_9d8e_7f6a5b4c3d2e.slice/crio-" ID64
		   ".scope\n",
		   0, INV_CG_SYSTEMD_SCOPE, UID, ID64, "crio", "kubepods systemd cri-o");
	/* Pod-level cgroup only (a process in the pod slice itself). */
	test_parse("0::/kubepods.slice/kubepods-pod6b8d3f0c_1e2a_4b5c_9d8e_7f6a5b4c3d2e.slice\n", 0,
		   INV_CG_SYSTEMD_SCOPE, UID, "", NULL, "pod slice only");
	/* The line naming the container wins over the one naming the pod. */
	test_parse("4:cpu:/kubepods/pod" UID "\n0::/kubepods/pod" UID "/" ID64 "\n", 0,
		   INV_CG_KUBEPODS, UID, ID64, "", "container line preferred");
	/* Not pods. */
	test_parse("0::/user.slice/user-0.slice/session-3.scope\n", -ENOENT, 0, NULL, NULL, NULL,
		   "a login session");
	test_parse("0::/system.slice/containerd.service\n", -ENOENT, 0, NULL, NULL, NULL,
		   "containerd itself");
	test_parse("0::/podcast/pod12345/" ID64 "\n", -ENOENT, 0, NULL, NULL, NULL,
		   "pod<not a uid>");
	test_parse("0::/mypods/pod" UID "/" ID64 "\n", -ENOENT, 0, NULL, NULL, NULL,
		   "pod<uid> outside kubepods and podnet");
	test_parse("", -ENOENT, 0, NULL, NULL, NULL, "empty");
	test_parse("garbage without colons\n", -ENOENT, 0, NULL, NULL, NULL, "garbage");

	is_str(inv_orphan_kind_str(INV_ORPHAN_LEASE), "lease", "orphan kind names");
	is_str(inv_source_str(INV_SRC_CNI_CACHE), "cni-cache", "source names");
	/* A live snapshot of whatever node runs the tests, with no netns dir,
	 * cache or leases (paths that do not exist): the caller's namespace
	 * is there, first, and our own PID maps to it.  Under ASan this is
	 * also the leak check of the whole collect/JSON/graph path. */
	{
		struct inventory_opts o = { .netns_dir = "/nonexistent/netns",
					    .cni_cache = "/nonexistent/cni",
					    .cni_conf_dir = "/nonexistent/net.d" };
		struct inventory *inv = NULL;
		struct pn_err err = { 0 };
		struct inv_pid p;
		struct stat st;
		char *g = NULL;
		json_t *j;

		is_int(inventory_collect(&o, &inv, &err), 0, "collect: %s", pn_err_msg(&err));
		if (inv) {
			ok(stat("/proc/self/ns/net", &st) == 0 && inv->n_ns >= 1 && inv->node == 0 &&
				   inv->ns[0].is_node && inv->ns[0].ino == st.st_ino,
			   "the caller's netns is the node's, listed first");
			is_int(inventory_pid_lookup(inv, getpid(), &p, &err), 0, "own pid looked up");
			ok(p.ns == &inv->ns[0] && !p.pod, "own pid: node netns, no pod");
			is_int(inventory_pid_lookup(inv, 0, &p, &err), -ESRCH, "pid 0: -ESRCH");
			j = inventory_to_json(inv);
			ok(j && json_array_size(json_object_get(j, "netns")) == inv->n_ns, "json lists every netns");
			json_decref(j);
			is_int(inventory_graph(inv, INV_GRAPH_DOT, &g, &err), 0, "graph dot");
			ok(g && !strncmp(g, "digraph podnet {", 16), "dot starts with digraph");
			free(g);
			is_int(inventory_graph(inv, INV_GRAPH_TEXT, &g, &err), 0, "graph text");
			ok(g && !strncmp(g, "node (netns inode ", 18), "text starts at the node");
			free(g);
		}
		inventory_free(inv);
		inventory_free(NULL);
		pn_err_free(&err);
	}
	return tap_done();
}
