#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The fault suite's oracle: what a podnet node holds beyond its pods' needs.

Run inside a throwaway node (tests/faults/lib.sh) after `podnet gc`.  Prints
one "leak: ..." line per object that belongs to no pod, or pod that is not
whole, and exits 0 (the caller counts the lines).  One process with few
children, because a loaded 2-core machine spends ~0.1 s per fork+exec:

  pods      every row ready; `podnet get pods -A -o json` readable; every pod
            Running, each container running or ended as its restartPolicy
            allows; no IP on two pods
  netns     every cni-* pin is a pod's; every pod's pin exists and holds the
            peer of exactly one veth (eth0); no other veth
  IPAM      every lease and lease index names a pod's sandbox; every lease's
            IP is its pod's
  CNI cache every results entry is a pod's attachment
  state     pod dirs, runtime state dirs, rootfs mounts: exactly the pods'
  cgroups   none left of a pod that is gone (uids ever seen by this test)
  processes one shim per pod, one `sleep $MARK` per container running it
  nftables  the ruleset's size is the same whenever as many pods run (the
            bridge's guard has per-port entries, so it is per pod count);
            table inet podnet (policies, Services) is left out

--note only records the uids and cgroup parents it sees (call it after a
kill, before gc removes the pod that would name them).

--reset force-removes every pod of the node and all it holds, by the
node's own means, not podnet's (after a trial that leaked, so one leak
fails one trial, not every later one): SIGKILL by PID to the shims and
containers of the uids seen, every process in their cgroups and the inits
in the runtime's state; then the cgroups, rootfs mounts, pod dirs, runtime
state, pod rows (the store's foreign keys cascade), netns pins, veths,
leases, lease index and CNI cache.  Prints one "# reset: ..." line of what
it removed.  The network's nftables rules are left to the `podnet gc`
that follows (it syncs them with the store, now without pods).

Environment: PODNET_ROOT, P (the podnet binary), MARK, FAULT_STATE (a dir
for what it remembers between runs), FAULT_NODE_VETHS (the node's own
veths, e.g. the uplink tests/netns/lib.sh's node_nic makes for podnetd).
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

ROOT = os.environ.get("PODNET_ROOT", "/var/lib/podnet")
PODNET = os.environ["P"]
MARK = os.environ["MARK"]
STATE = os.environ["FAULT_STATE"]
NETNS_DIR = "/run/netns"
CNI = "/var/lib/cni"
NET = os.environ.get("FAULT_NETWORK", "podnet")


def lines(path):
    try:
        with open(path) as f:
            return [l.strip() for l in f if l.strip()]
    except OSError:
        return []


def first_line(path):
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return None


def listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def rows():
    db = os.path.join(ROOT, "state.db")
    if not os.path.exists(db):
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(
            "select uid, name, sandbox_id, netns_path, state, pod_ip from pods").fetchall()
    finally:
        con.close()


def note(pods):
    """Remember uids and the pods' parent cgroup dirs (the shim lists them)."""
    seen = set(lines(os.path.join(STATE, "seen")))
    parents = set(lines(os.path.join(STATE, "cgparents")))
    seen.update(r[0] for r in pods)
    for uid in listdir(os.path.join(ROOT, "pods")):
        seen.add(uid)
        try:
            with open(os.path.join(ROOT, "pods", uid, "shim.json")) as f:
                for d in json.load(f).get("cgroups") or []:
                    parents.add(d.rsplit("/", 1)[0])
        except (OSError, ValueError):
            pass
    with open(os.path.join(STATE, "seen"), "w") as f:
        f.write("".join(u + "\n" for u in sorted(seen)))
    with open(os.path.join(STATE, "cgparents"), "w") as f:
        f.write("".join(p + "\n" for p in sorted(parents)))
    return seen, parents


def procs():
    """(pid, argv) of every process, from /proc (no ps)."""
    out = []
    for pid in listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        out.append((int(pid), [a.decode(errors="replace") for a in argv if a]))
    return out


def run(*argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def ruleset_lines(text):
    """The ruleset's lines but table inet podnet's: that one holds the
    NetworkPolicies' and Services' rules, whose size follows those objects,
    not the pod count (tests/faults/podnetd-objects.sh checks it against
    what the store gives)."""
    keep, skip = [], False
    for l in text.splitlines():
        if l.startswith("table inet podnet {"):
            skip = True
        elif skip and l == "}":
            skip = False
            continue
        if not skip:
            keep.append(l)
    return keep


def check(pods, seen, parents):
    leak = []
    uids = {r[0] for r in pods}
    sandboxes = {r[2]: r for r in pods}
    pins = {r[3]: r for r in pods if r[3]}
    ips = {}
    for uid, name, sb, ns, state, ip in pods:
        if state != "ready":
            leak.append(f"pod {name} is {state} after gc")
        if ip:
            if ip in ips:
                leak.append(f"IP {ip} on pods {ips[ip]} and {name}")
            ips[ip] = name

    # Pods Running; each container running, or ended as its pod's
    # restartPolicy lets it (Never; OnFailure with 0).
    rc, out, err = run(PODNET, "get", "pods", "-A", "-o", "json")
    nctr = nrun = nsleep = 0
    try:
        items = json.loads(out)["items"] if out.strip() else []
        if rc != 0:
            raise ValueError(err)
        for it in items:
            name = it["metadata"]["name"]
            policy = it["spec"].get("restartPolicy", "Always")
            cmds = {c["name"]: c.get("command") for c in it["spec"]["containers"]}
            cs = it["status"].get("containerStatuses", [])
            nctr += len(cs)
            if it["status"]["phase"] != "Running":
                leak.append(f"pod {name} is {it['status']['phase']}")
            for c in cs:
                if "running" in c["state"]:
                    nrun += 1
                    nsleep += cmds.get(c["name"]) == ["sleep", MARK]
                    continue
                code = c["state"].get("terminated", {}).get("exitCode")
                if not (policy == "Never" or (policy == "OnFailure" and code == 0)):
                    leak.append(f"pod {name}: container {c['name']} is not running "
                                f"({json.dumps(c['state'])[:120]})")
    except (ValueError, KeyError) as e:
        leak.append(f"podnet get pods is unreadable (exit {rc}): {str(e)[:200]}")

    # netns pins, veths and their peers
    for f in listdir(NETNS_DIR):
        p = os.path.join(NETNS_DIR, f)
        if f.startswith("cni-") and p not in pins:
            leak.append(f"netns pin {p}")
    # iproute2 names a veth's peer netns "link-netns NAME" when it is a
    # pinned one it knows, else "link-netnsid N".
    ids = {}
    _, out, _ = run("ip", "netns", "list-id")
    for m in re.finditer(r"nsid (\d+) \(iproute2 netns name: (\S+)\)", out):
        ids[m.group(2)] = m.group(1)
    # FAULT_NODE_VETHS: the node's own veths (its uplink), not a pod's.
    own = set(os.environ.get("FAULT_NODE_VETHS", "").split())
    _, out, _ = run("ip", "-o", "link", "show", "type", "veth")
    out = "\n".join(l for l in out.splitlines()
                    if re.match(r"\d+: ([^:@]+)", l).group(1) not in own)
    peers = re.findall(r"link-netns(?:id)? (\S+)", out)
    nveth = len(out.splitlines())
    for ns, r in pins.items():
        name = os.path.basename(ns)
        n = peers.count(name) + peers.count(ids.get(name, "none"))
        if not os.path.exists(ns):
            leak.append(f"pod {r[1]} lost its netns {ns}")
        elif n != 1:
            leak.append(f"pod {r[1]}: {n} veth peers in {name}")
    if nveth != len(pins):
        leak.append(f"{nveth} veths for {len(pins)} pods with a netns")

    # leases, lease index, CNI cache
    d = os.path.join(CNI, "networks", NET)
    for f in listdir(d):
        if re.fullmatch(r"[0-9.]+|[0-9a-f:]*:[0-9a-f:]*", f):
            owner = first_line(os.path.join(d, f))
            if owner not in sandboxes:
                leak.append(f"lease {f} of {owner}")
            elif ips.get(f) != sandboxes[owner][1]:
                leak.append(f"lease {f} of pod {sandboxes[owner][1]}, whose IP is not {f}")
    for f in listdir(os.path.join(d, "by-attachment")):
        owner = first_line(os.path.join(d, "by-attachment", f))
        if owner not in sandboxes:
            leak.append(f"lease index {f} ({owner or 'empty'})")
    for f in listdir(os.path.join(CNI, "results")):
        m = re.fullmatch(rf"{NET}-([0-9a-f]+)-eth0", f)
        if not m or m.group(1) not in sandboxes:
            leak.append(f"CNI cache entry {f}")

    # pod dirs, runtime state, mounts
    for f in listdir(os.path.join(ROOT, "pods")):
        if f not in uids:
            leak.append(f"pod dir {f}")
    nrt = len(listdir(os.path.join(ROOT, "runtime")))
    if nrt != len(pods) + nrun:
        leak.append(f"{nrt} runtime states for {len(pods)} pods + {nrun} running containers")
    rootfs = 0
    for line in lines("/proc/self/mountinfo"):
        mnt = line.split()[4]
        pre = os.path.join(ROOT, "pods") + "/"
        if mnt.startswith(pre):
            if mnt[len(pre):].split("/")[0] not in uids:
                leak.append(f"mount {mnt}")
            if mnt.endswith("/rootfs"):
                rootfs += 1
    if rootfs != nctr:
        leak.append(f"{rootfs} rootfs mounts for {nctr} containers")

    # cgroups of pods that are gone
    for uid in seen - uids:
        for p in parents:
            if os.path.isdir(f"{p}/pod{uid}"):
                leak.append(f"cgroup {p}/pod{uid}")

    # processes
    sleepers = shims = 0
    for pid, argv in procs():
        if argv == ["sleep", MARK]:
            sleepers += 1
        elif argv and argv[0].endswith("podnet-shim") and "--pod-uid" in argv:
            uid = argv[argv.index("--pod-uid") + 1]
            if uid in uids:
                shims += 1
            elif uid in seen:
                leak.append(f"shim {pid} of pod {uid}, which is gone")
    if sleepers != nsleep:
        leak.append(f"{sleepers} `sleep {MARK}` processes for {nsleep} such containers")
    if shims != len(pods):
        leak.append(f"{shims} shims for {len(pods)} pods")

    # nftables
    if pods:
        _, out, _ = run("nft", "list", "ruleset")
        n = len(ruleset_lines(out))
        base_f = os.path.join(STATE, f"nftbase-{len(pods)}")
        base = first_line(base_f)
        if base is None:
            # Only a node found whole sets the baseline: while it converges
            # (podnetd restarting) a pod's row may be there before its
            # port's guard entries are.
            if leak:
                return leak
            with open(base_f, "w") as f:
                f.write(f"{n}\n")
        elif int(base) != n:
            leak.append(f"nftables went from {base} to {n} lines with {len(pods)} pods")
    return leak


def alive(pid):
    """@pid runs (exists and is no zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def start_time(pid):
    """The start time of @pid (field 22 of /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def cgroup_dirs(top):
    """@top and every cgroup below it, deepest first."""
    out = []
    for d, _, _ in os.walk(top):
        out.append(d)
    return sorted(out, key=lambda d: d.count("/"), reverse=True)


def reset(pods, seen, parents):
    uids = seen | {r[0] for r in pods}
    rtroot = os.path.join(ROOT, "runtime")
    cgroups = [f"{p}/pod{u}" for p in parents for u in uids if os.path.isdir(f"{p}/pod{u}")]
    victims = set()
    for pid, argv in procs():
        if argv == ["sleep", MARK]:
            victims.add(pid)
        elif argv and argv[0].endswith("podnet-shim") and "--pod-uid" in argv and \
                argv[argv.index("--pod-uid") + 1] in uids:
            victims.add(pid)
    # The runtime's own record of each container: its init (the same
    # process only if it started when the runtime says) and its cgroups.
    for f in listdir(rtroot):
        try:
            with open(os.path.join(rtroot, f, "state.json")) as sf:
                st = json.load(sf)
        except (OSError, ValueError):
            continue
        pid = st.get("init_process_pid")
        if pid and start_time(pid) == st.get("init_process_start"):
            victims.add(pid)
        for d in (st.get("cgroup_paths") or {}).values():
            if os.path.isdir(d) and "/pod" in d:
                cgroups.append(d)
    for top in cgroups:
        for d in cgroup_dirs(top):
            victims.update(int(p) for p in lines(os.path.join(d, "cgroup.procs")))
    victims.discard(os.getpid())
    for pid in victims:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    # A killed process leaves its cgroup as it exits (before it is reaped):
    # wait for that, bounded, then remove the directories.
    for _ in range(200):
        if not any(alive(p) for p in victims):
            break
        time.sleep(0.05)
    ncg = 0
    for top in cgroups:
        for d in cgroup_dirs(top):
            try:
                os.rmdir(d)
                ncg += 1
            except OSError:
                pass
    # Mounts under the pod dirs, deepest first (a rootfs overlay, its
    # bind mounts), detached lazily: nothing of the pod runs any more.
    pre = os.path.join(ROOT, "pods") + "/"
    mnts = [l.split()[4] for l in lines("/proc/self/mountinfo") if l.split()[4].startswith(pre)]
    for m in sorted(set(mnts), key=lambda m: m.count("/"), reverse=True):
        run("umount", "-l", m)
    for d in (os.path.join(ROOT, "pods"), rtroot):
        for f in listdir(d):
            run("rm", "-rf", "--one-file-system", os.path.join(d, f))
    db = os.path.join(ROOT, "state.db")
    if os.path.exists(db):
        con = sqlite3.connect(db, timeout=30)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("DELETE FROM pods")
            con.commit()
        finally:
            con.close()
    npin = 0
    for f in listdir(NETNS_DIR):
        if f.startswith("cni-"):
            run("ip", "netns", "delete", f)
            npin += 1
    own = set(os.environ.get("FAULT_NODE_VETHS", "").split())
    _, out, _ = run("ip", "-o", "link", "show", "type", "veth")
    nveth = 0
    for l in out.splitlines():
        name = re.match(r"\d+: ([^:@]+)", l).group(1)
        if name not in own:
            run("ip", "link", "delete", name)
            nveth += 1
    nlease = 0
    for net in listdir(os.path.join(CNI, "networks")):
        d = os.path.join(CNI, "networks", net)
        for f in listdir(d):
            if re.fullmatch(r"[0-9.]+|[0-9a-f:]*:[0-9a-f:]*", f):
                os.unlink(os.path.join(d, f))
                nlease += 1
        for f in listdir(os.path.join(d, "by-attachment")):
            os.unlink(os.path.join(d, "by-attachment", f))
    for f in listdir(os.path.join(CNI, "results")):
        os.unlink(os.path.join(CNI, "results", f))
    print(f"# reset: {len(pods)} pods, {len(victims)} processes killed, {ncg} cgroups, "
          f"{len(mnts)} mounts, {npin} netns pins, {nveth} veths, {nlease} leases")


def main():
    pods = rows()
    seen, parents = note(pods)
    if sys.argv[1:] == ["--note"]:
        return 0
    if sys.argv[1:] == ["--reset"]:
        reset(pods, seen, parents)
        return 0
    for l in sorted(set(check(pods, seen, parents))):
        print("leak:", l)
    return 0


if __name__ == "__main__":
    sys.exit(main())
