/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state store as podnet commands use it: one database file under a
 * throwaway PODNET_ROOT, opened by several processes at once.
 *
 *   parent ──┬── 8 writers × 20 pods        (no lost or failed insert)
 *            ├── 2 racers, same pod name     (one wins, one AlreadyExists)
 *            └── a writer killed by SIGKILL  (only whole transactions remain)
 */
#include "store.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp[] = "/tmp/test_store.XXXXXX";

static char *root_path(const char *sub)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, sub);
	return buf[i];
}

/* A pod row as apply would write it. */
static void pod_init(struct store_pod *p, const char *ns, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->namespace_ = ns ? strdup(ns) : NULL;
	p->name = strdup(name);
	if (asprintf(&p->spec_json, "{\"metadata\":{\"name\":\"%s\"}}", name) < 0)
		abort();
}

static void pod_clear(struct store_pod *p)
{
	/* store_pod_free() frees the struct too; this one lives on the stack. */
	struct store_pod *h = malloc(sizeof(*h));

	*h = *p;
	store_pod_free(h);
	memset(p, 0, sizeof(*p));
}

static void ctr_init(struct store_container *c, const char *pod_uid, const char *name, int idx)
{
	memset(c, 0, sizeof(*c));
	c->pod_uid = strdup(pod_uid);
	c->name = strdup(name);
	c->idx = idx;
	c->image = strdup("host");
}

static void ctr_clear(struct store_container *c)
{
	struct store_container *h = malloc(sizeof(*h));

	*h = *c;
	store_container_free(h);
	memset(c, 0, sizeof(*c));
}

static int64_t sql_int(const char *root, const char *sql)
{
	char path[600];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s/state.db", root);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static const char *sql_text(const char *root, const char *sql, char *buf, size_t size)
{
	char path[600];
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/state.db", root);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
		snprintf(buf, size, "%s", sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return buf;
}

static bool is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static void test_ids(void)
{
	char id[STORE_ID_LEN + 1], id2[STORE_ID_LEN + 1], uuid[STORE_UUID_LEN + 1];

	ok(store_new_id(id) == 0 && is_hex(id, 64), "new id is 64 hex: %s", id);
	ok(store_new_id(id2) == 0 && strcmp(id, id2), "two ids differ");
	ok(store_new_uuid(uuid) == 0 && strlen(uuid) == 36 && uuid[8] == '-' &&
		   uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-',
	   "uuid is 8-4-4-4-12: %s", uuid);
	ok(uuid[14] == '4' && strchr("89ab", uuid[19]), "uuid is RFC 4122 version 4");
}

static void test_open_schema(void)
{
	const char *root = root_path("a/b/root");
	struct store *st = NULL;
	struct store_namespace *nss = NULL, *ns = NULL;
	struct pn_err err = { 0 };
	char buf[64];
	size_t n = 0;
	struct stat sb;

	is_int(store_open(root, &st, &err), 0, "open creates root and database: %s", pn_err_msg(&err));
	ok(stat(root, &sb) == 0 && (sb.st_mode & 0777) == 0700, "state dir is private");
	is_str(store_path(st), root_path("a/b/root/state.db"), "database path");
	is_int(store_namespace_list(st, &nss, &n, &err), 0, "list namespaces");
	ok(n == 1 && !strcmp(nss[0].name, "default"), "only namespace \"default\"");
	ok(n == 1 && nss[0].uid && strlen(nss[0].uid) == 36 && nss[0].created_ns > 0,
	   "default has a uid and a creation time");
	store_namespace_array_free(nss, n);
	store_close(st);
	st = NULL;

	is_int(sql_int(root, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "user_version set");
	is_str(sql_text(root, "PRAGMA journal_mode", buf, sizeof(buf)), "wal", "WAL mode");

	is_int(store_open(root, &st, &err), 0, "reopen: %s", pn_err_msg(&err));
	is_int(store_namespace_get(st, "default", &ns, &err), 0, "default still there");
	store_namespace_free(ns);
	is_int(sql_int(root, "SELECT count(*) FROM namespaces"), 1, "reopen adds nothing");
	store_close(st);
	pn_err_free(&err);
}

static void test_bad_files(void)
{
	const char *root = root_path("corrupt");
	struct store *st = NULL;
	struct pn_err err = { 0 };
	char path[600];
	int fd, ret;

	mkdir(root, 0700);
	snprintf(path, sizeof(path), "%s/state.db", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 64; i++)
		if (write(fd, "this is not an SQLite database, it is garbage! ", 47) != 47)
			break;
	close(fd);
	ret = store_open(root, &st, &err);
	is_int(ret, -EIO, "garbage file: -EIO");
	ok(strstr(pn_err_msg(&err), path) && strstr(pn_err_msg(&err), "corrupt"), "message names the path: %s",
	   pn_err_msg(&err));
	ok(st == NULL, "no handle on failure");

	root = root_path("newer");
	is_int(store_open(root, &st, &err), 0, "fresh database");
	store_close(st);
	st = NULL;
	sql_int(root, "PRAGMA user_version = 99");
	ret = store_open(root, &st, &err);
	ok(ret == -EPROTO && strstr(pn_err_msg(&err), "newer"), "newer schema refused: %s", pn_err_msg(&err));
	store_close(st);
	pn_err_free(&err);
}

static void test_namespaces(struct store *st)
{
	struct store_namespace ns = { 0 }, *got = NULL;
	struct store_pod p;
	struct pn_err err = { 0 };
	int ret;

	ret = store_namespace_delete(st, "default", &err);
	ok(ret == -EPERM, "default cannot be deleted");
	is_str(pn_err_msg(&err), "namespaces \"default\" is forbidden: this namespace may not be deleted",
	       "kubectl's message for default");

	ns.name = strdup("team");
	is_int(store_namespace_add(st, &ns, &err), 0, "add namespace team");
	ok(ns.uid && strlen(ns.uid) == 36, "namespace uid assigned");
	free(ns.uid);
	ns.uid = NULL;
	ret = store_namespace_add(st, &ns, &err);
	ok(ret == -EEXIST && err.code == PN_E_ALREADY_EXISTS, "namespace twice: EEXIST");
	is_str(pn_err_msg(&err), "namespaces \"team\" already exists", "namespace exists message");
	free(ns.uid);
	free(ns.name);

	is_int(store_namespace_get(st, "team", &got, &err), 0, "get team");
	ok(got && got->phase == STORE_NS_ACTIVE, "team is Active");
	store_namespace_free(got);

	/* Insert fills in only what the caller left unset. */
	ns.name = strdup("chosen");
	ns.uid = strdup("00000000-0000-4000-8000-0000000000c5");
	ns.created_ns = 42;
	is_int(store_namespace_add(st, &ns, &err), 0, "add a namespace with its own uid and time");
	is_int(store_namespace_get(st, "chosen", &got, &err), 0, "get it");
	ok(got && !strcmp(got->uid, ns.uid) && got->created_ns == 42,
	   "a caller's uid and creation time are kept");
	store_namespace_free(got);
	is_int(store_namespace_delete(st, "chosen", &err), 0, "delete it");
	free(ns.uid);
	free(ns.name);
	memset(&ns, 0, sizeof(ns));
	ret = store_namespace_get(st, "nope", &got, &err);
	ok(ret == -ENOENT && !strcmp(pn_err_msg(&err), "namespaces \"nope\" not found"),
	   "missing namespace: %s", pn_err_msg(&err));

	pod_init(&p, "ghost", "p");
	ret = store_pod_insert(st, &p, &err);
	ok(ret == -ENOENT && !strcmp(pn_err_msg(&err), "namespaces \"ghost\" not found"),
	   "pod in missing namespace: %s", pn_err_msg(&err));
	pod_clear(&p);

	pod_init(&p, "team", "tp");
	is_int(store_pod_insert(st, &p, &err), 0, "pod in team");
	ret = store_namespace_delete(st, "team", &err);
	ok(ret == -ENOTEMPTY && strstr(pn_err_msg(&err), "still has 1 pod"), "namespace with pods: %s",
	   pn_err_msg(&err));
	is_int(store_namespace_set_terminating(st, "team", &err), 0, "team terminating");
	pod_clear(&p);
	pod_init(&p, "team", "late");
	ret = store_pod_insert(st, &p, &err);
	is_int(ret, -EPERM, "no new pods in a terminating namespace");
	is_str(pn_err_msg(&err),
	       "pods \"late\" is forbidden: unable to create new content in namespace team "
	       "because it is being terminated",
	       "kubectl's terminating message");
	pod_clear(&p);

	{
		struct store_pod *tp = NULL;

		is_int(store_pod_get_by_name(st, "team", "tp", &tp, &err), 0, "get team/tp");
		is_int(store_pod_delete(st, tp->uid, &err), 0, "delete team/tp");
		store_pod_free(tp);
	}
	is_int(store_namespace_delete(st, "team", &err), 0, "empty namespace deleted");
	ret = store_namespace_delete(st, "team", &err);
	is_int(ret, -ENOENT, "deleted namespace is gone");
	is_str(pn_err_msg(&err), "namespaces \"team\" not found", "deleted namespace: message");
	ret = store_namespace_set_terminating(st, "team", &err);
	ok(ret == -ENOENT && err.code == PN_E_NOT_FOUND,
	   "terminate a missing namespace: -ENOENT");
	is_str(pn_err_msg(&err), "namespaces \"team\" not found", "terminate a missing namespace: message");
	pn_err_free(&err);
}

static void test_pods(struct store *st)
{
	struct store_pod p, p2, other, *got = NULL, *list = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	int ret;

	pod_init(&p, NULL, "pod1");
	is_int(store_pod_insert(st, &p, &err), 0, "insert pod1: %s", pn_err_msg(&err));
	is_str(p.namespace_, "default", "namespace defaults to default");
	ok(p.uid && strlen(p.uid) == 36 && is_hex(p.sandbox_id, 64), "uid and sandbox id assigned");
	ok(p.created_ns > 0, "creation time assigned");
	ok(p.owner && store_owner_alive(p.owner), "creating pod owned by this live process");

	is_int(store_pod_get_by_name(st, "default", "pod1", &got, &err), 0, "get by name");
	ok(got && !strcmp(got->uid, p.uid) && got->state == STORE_POD_CREATING &&
		   got->phase == STORE_PHASE_PENDING,
	   "new pod is creating/Pending");
	ok(got && !strcmp(got->spec_json, p.spec_json), "spec_json stored opaque");
	ok(got && got->pod_ip == NULL && got->shim_pid == 0 && got->started_ns == 0,
	   "unset fields read back unset");
	store_pod_free(got);
	got = NULL;

	/* Everything apply learns while building the pod. */
	p.netns_path = strdup("/run/netns/cni-1234");
	p.pod_ip = strdup("10.88.0.5");
	p.pod_ips = strdup("[\"10.88.0.5\"]");
	p.host_ip = strdup("192.168.1.10");
	p.shim_pid = 4242;
	p.pause_pid = 4243;
	p.started_ns = 1700000000123456789LL;
	p.phase = STORE_PHASE_RUNNING;
	p.state = STORE_POD_READY;
	is_int(store_pod_update(st, &p, STORE_POD_F_NETNS | STORE_POD_F_IPS | STORE_POD_F_SHIM_PID,
				&err),
	       0, "update netns, ips, shim pid");
	is_int(store_pod_get(st, p.uid, &got, &err), 0, "get by uid");
	ok(got && !strcmp(got->pod_ip, "10.88.0.5") && !strcmp(got->netns_path, p.netns_path) &&
		   !strcmp(got->pod_ips, p.pod_ips) && got->shim_pid == 4242,
	   "updated fields read back");
	ok(got && got->pause_pid == 0 && got->state == STORE_POD_CREATING &&
		   got->phase == STORE_PHASE_PENDING && got->started_ns == 0,
	   "fields outside the mask untouched");
	store_pod_free(got);
	got = NULL;
	is_int(store_pod_update(st, &p,
				STORE_POD_F_STATE | STORE_POD_F_PHASE | STORE_POD_F_PAUSE_PID |
					STORE_POD_F_STARTED,
				&err),
	       0, "pod ready and Running");
	is_int(store_pod_get(st, p.uid, &got, &err), 0, "get again");
	ok(got && got->state == STORE_POD_READY && got->phase == STORE_PHASE_RUNNING &&
		   got->pause_pid == 4243 && got->started_ns == 1700000000123456789LL,
	   "state, phase, pause pid, start time");
	ok(got && got->owner == NULL, "a ready pod has no owner");
	store_pod_free(got);
	got = NULL;

	/* Same name, same namespace: kubectl's AlreadyExists. */
	pod_init(&p2, "default", "pod1");
	ret = store_pod_insert(st, &p2, &err);
	is_int(ret, -EEXIST, "duplicate pod: -EEXIST");
	is_int(err.code, PN_E_ALREADY_EXISTS, "duplicate pod: PN_E_ALREADY_EXISTS");
	is_str(pn_err_msg(&err), "pods \"pod1\" already exists", "duplicate pod: kubectl's message");
	pod_clear(&p2);

	/* A caller-chosen netns path can't be shared by two pods either. */
	pod_init(&p2, "default", "pod-netns");
	p2.netns_path = strdup(p.netns_path);
	ret = store_pod_insert(st, &p2, &err);
	ok(ret == -EEXIST && strstr(pn_err_msg(&err), "/run/netns/cni-1234"), "netns in use: %s", pn_err_msg(&err));
	pod_clear(&p2);

	pod_init(&other, "kube-system", "pod1");
	{
		struct store_namespace ns = { .name = (char *)"kube-system" };

		ret = store_namespace_add(st, &ns, &err);
		free(ns.uid);
	}
	is_int(ret, 0, "add kube-system");
	is_int(store_pod_insert(st, &other, &err), 0, "pod1 in another namespace is fine");

	is_int(store_pod_list(st, NULL, &list, &n, &err), 0, "list all pods");
	ok(n == 2 && !strcmp(list[0].namespace_, "default") &&
		   !strcmp(list[1].namespace_, "kube-system"),
	   "two pods, ordered by namespace");
	store_pod_array_free(list, n);
	is_int(store_pod_list(st, "kube-system", &list, &n, &err), 0, "list one namespace");
	ok(n == 1 && !strcmp(list[0].uid, other.uid), "only kube-system's pod");
	store_pod_array_free(list, n);

	ret = store_pod_get_by_name(st, "default", "nope", &got, &err);
	ok(ret == -ENOENT && err.code == PN_E_NOT_FOUND, "missing pod: -ENOENT");
	is_str(pn_err_msg(&err), "pods \"nope\" not found", "missing pod: kubectl's message");

	/* A rolled-back insert leaves nothing. */
	pod_init(&p2, NULL, "rolled-back");
	is_int(store_begin(st, &err), 0, "begin");
	ok(store_in_transaction(st), "in transaction");
	is_int(store_pod_insert(st, &p2, &err), 0, "insert inside a transaction");
	store_rollback(st);
	ok(!store_in_transaction(st), "rolled back");
	ret = store_pod_get_by_name(st, NULL, "rolled-back", &got, &err);
	is_int(ret, -ENOENT, "rolled-back pod is gone");
	store_rollback(st); /* harmless without a transaction */
	pod_clear(&p2);

	is_int(store_pod_delete(st, other.uid, &err), 0, "delete kube-system/pod1");
	ret = store_pod_delete(st, other.uid, &err);
	is_int(ret, -ENOENT, "delete twice: -ENOENT");
	{
		char want[96];

		snprintf(want, sizeof(want), "pod with uid \"%s\" not found", other.uid);
		is_str(pn_err_msg(&err), want, "delete twice: message");
		ret = store_pod_update(st, &other, STORE_POD_F_PHASE, &err);
		is_int(ret, -ENOENT, "update a deleted pod: -ENOENT");
		is_str(pn_err_msg(&err), want, "update a deleted pod: message");
		ret = store_pod_get(st, other.uid, &got, &err);
		is_int(ret, -ENOENT, "get a deleted pod: -ENOENT");
		is_str(pn_err_msg(&err), want, "get a deleted pod: message");
	}
	pod_clear(&other);
	is_int(store_namespace_delete(st, "kube-system", &err), 0, "kube-system deleted");
	pod_clear(&p);
	pn_err_free(&err);
}

static void test_containers(struct store *st)
{
	struct store_pod p, *pods = NULL;
	struct store_container c[3], dup, *list = NULL, *got = NULL;
	struct store_attachment att = { 0 }, *atts = NULL;
	struct pn_err err = { 0 };
	char prefix[16];
	size_t n = 0;
	int ret;

	pod_init(&p, NULL, "withctrs");
	is_int(store_pod_insert(st, &p, &err), 0, "insert pod for containers");
	is_int(store_begin(st, &err), 0, "begin for containers");
	for (int i = 2; i >= 0; i--) {
		char name[8];

		snprintf(name, sizeof(name), "c%d", i + 1);
		ctr_init(&c[i], p.uid, name, i);
		ret = store_container_insert(st, &c[i], &err);
		ok(ret == 0 && is_hex(c[i].id, 64), "insert container %s", name);
	}
	is_int(store_commit(st, &err), 0, "commit containers");

	is_int(store_container_list(st, p.uid, &list, &n, &err), 0, "list containers");
	ok(n == 3 && !strcmp(list[0].name, "c1") && !strcmp(list[2].name, "c3") &&
		   list[0].state == STORE_CTR_CREATED,
	   "three containers, in spec order, created");
	store_container_array_free(list, n);

	ctr_init(&dup, p.uid, "c2", 7);
	ret = store_container_insert(st, &dup, &err);
	ok(ret == -EEXIST && err.code == PN_E_ALREADY_EXISTS && strstr(pn_err_msg(&err), "\"c2\" already exists"),
	   "duplicate container name: %s", pn_err_msg(&err));
	ctr_clear(&dup);
	ctr_init(&dup, "00000000-0000-4000-8000-000000000000", "cx", 0);
	ret = store_container_insert(st, &dup, &err);
	is_int(ret, -ENOENT, "container of a missing pod: -ENOENT");
	is_str(pn_err_msg(&err), "pod with uid \"00000000-0000-4000-8000-000000000000\" not found",
	       "container of a missing pod: message");
	ctr_clear(&dup);
	ctr_init(&dup, p.uid, "c9", 1);
	ret = store_container_insert(st, &dup, &err);
	ok(ret == -EEXIST && err.code == PN_E_ALREADY_EXISTS, "container index taken: -EEXIST");
	ok(strstr(pn_err_msg(&err), "containers \"c9\": id ") &&
		   strstr(pn_err_msg(&err), " or index 1 already in use"),
	   "container index taken: %s", pn_err_msg(&err));
	ctr_clear(&dup);

	/* What the shim records over a container's life. */
	c[2].state = STORE_CTR_EXITED;
	c[2].pid = 999;
	c[2].exit_code = 0;
	c[2].reason = strdup("Completed");
	c[2].started_ns = 10;
	c[2].finished_ns = 20;
	c[2].restart_count = 3;
	c[2].last_exit_code = 137;
	c[2].last_reason = strdup("Error");
	is_int(store_container_update(st, &c[2],
				      STORE_CTR_F_STATE | STORE_CTR_F_PID | STORE_CTR_F_EXIT |
					      STORE_CTR_F_REASON | STORE_CTR_F_STARTED |
					      STORE_CTR_F_FINISHED | STORE_CTR_F_RESTARTS |
					      STORE_CTR_F_LAST,
				      &err),
	       0, "update container c3");
	is_int(store_container_get_by_name(st, p.uid, "c3", &got, &err), 0, "get c3 by name");
	ok(got && got->state == STORE_CTR_EXITED && got->pid == 999 && got->exit_code == 0 &&
		   !strcmp(got->reason, "Completed") && got->restart_count == 3 &&
		   got->finished_ns == 20 && got->last_exit_code == 137 &&
		   !strcmp(got->last_reason, "Error"),
	   "c3's exit, restarts and last state");
	store_container_free(got);
	got = NULL;
	ret = store_container_get_by_name(st, p.uid, "c9", &got, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "container c9 is not valid for pod"),
	   "missing container: %s", pn_err_msg(&err));

	memcpy(prefix, c[0].id, 12);
	prefix[12] = '\0';
	is_int(store_container_find(st, prefix, &got, &err), 0, "find container by 12-char prefix");
	ok(got && !strcmp(got->id, c[0].id), "it is c1");
	store_container_free(got);
	got = NULL;

	att.pod_uid = p.uid;
	att.network = (char *)"podnet";
	att.ifname = (char *)"eth0";
	att.container_id = p.sandbox_id;
	is_int(store_attachment_add(st, &att, &err), 0, "record CNI attachment");
	ret = store_attachment_add(st, &att, &err);
	is_int(ret, -EEXIST, "attachment twice: -EEXIST");
	{
		char want[128];

		snprintf(want, sizeof(want), "attachment podnet/eth0 of pod %s already exists",
			 p.uid);
		is_str(pn_err_msg(&err), want, "attachment twice: message");
	}
	att.pod_uid = (char *)"00000000-0000-4000-8000-000000000000";
	ret = store_attachment_add(st, &att, &err);
	is_int(ret, -ENOENT, "attachment of a missing pod: -ENOENT");
	is_str(pn_err_msg(&err), "pod with uid \"00000000-0000-4000-8000-000000000000\" not found",
	       "attachment of a missing pod: message");
	att.pod_uid = p.uid;
	is_int(store_attachment_list(st, NULL, &atts, &n, &err), 0, "list attachments");
	ok(n == 1 && !strcmp(atts[0].container_id, p.sandbox_id) && !strcmp(atts[0].ifname, "eth0"),
	   "the attachment, with its container id");
	store_attachment_array_free(atts, n);

	is_int(store_pod_delete(st, p.uid, &err), 0, "delete the pod");
	is_int(store_container_list(st, p.uid, &list, &n, &err), 0, "list after delete");
	is_int(n, 0, "containers cascaded away");
	store_container_array_free(list, n);
	is_int(store_attachment_list(st, p.uid, &atts, &n, &err), 0, "attachments after delete");
	is_int(n, 0, "attachments cascaded away");
	store_attachment_array_free(atts, n);
	ret = store_container_update(st, &c[0], STORE_CTR_F_STATE, &err);
	is_int(ret, -ENOENT, "update a cascaded container: -ENOENT");
	{
		char want[128];

		snprintf(want, sizeof(want), "container \"%s\" not found", c[0].id);
		is_str(pn_err_msg(&err), want, "update a cascaded container: message");
	}

	for (int i = 0; i < 3; i++)
		ctr_clear(&c[i]);
	pod_clear(&p);
	(void)pods;
	pn_err_free(&err);
}

static void test_prefix(struct store *st)
{
	static const char *ids[] = {
		"abc1000000000000000000000000000000000000000000000000000000000000",
		"abc2000000000000000000000000000000000000000000000000000000000000",
		"abd9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"f000000000000000000000000000000000000000000000000000000000000000",
	};
	struct store_pod p[4], *got = NULL;
	struct pn_err err = { 0 };
	int ret;

	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "pfx%d", i);
		pod_init(&p[i], NULL, name);
		p[i].sandbox_id = strdup(ids[i]);
		ret = store_pod_insert(st, &p[i], &err);
		ok(ret == 0, "insert %s with sandbox %.4s...", name, ids[i]);
	}
	ret = store_pod_find(st, "abc", &got, &err);
	is_int(ret, -ENOTUNIQ, "prefix abc is ambiguous");
	is_str(pn_err_msg(&err), "pod sandbox ID prefix \"abc\" is ambiguous: 2 candidates",
	       "ambiguous prefix names the count");
	is_int(store_pod_find(st, "abc2", &got, &err), 0, "abc2 is unique");
	ok(got && !strcmp(got->name, "pfx1"), "abc2 is pfx1");
	store_pod_free(got);
	got = NULL;
	is_int(store_pod_find(st, "ABD", &got, &err), 0, "prefix is case-insensitive");
	ok(got && !strcmp(got->name, "pfx2"), "ABD is pfx2 (its last digit is f)");
	store_pod_free(got);
	got = NULL;
	is_int(store_pod_find(st, ids[3], &got, &err), 0, "a full id matches");
	store_pod_free(got);
	got = NULL;
	ret = store_pod_find(st, "abe", &got, &err);
	ok(ret == -ENOENT && !strcmp(pn_err_msg(&err), "pod sandbox \"abe\" not found"), "no match: %s",
	   pn_err_msg(&err));
	ret = store_pod_find(st, "pod1", &got, &err);
	is_int(ret, -ENOENT, "a non-hex prefix matches nothing");
	ret = store_pod_find(st, "", &got, &err);
	is_int(ret, -ENOENT, "an empty prefix matches nothing");
	for (int i = 0; i < 4; i++) {
		ret = store_pod_delete(st, p[i].uid, &err);
		pod_clear(&p[i]);
	}
	pn_err_free(&err);
}

/* WAL: a writer's lock makes other writers wait, never readers. */
static void test_busy(struct store *st, const char *root)
{
	struct store *st2 = NULL;
	struct store_pod p, *got = NULL;
	struct pn_err err = { 0 };
	uint64_t t0;
	int ret;

	pod_init(&p, NULL, "busy");
	is_int(store_open(root, &st2, &err), 0, "second connection");
	store_set_busy_timeout(st2, 200);
	is_int(store_begin(st, &err), 0, "first connection takes the write lock");
	is_int(store_pod_insert(st, &p, &err), 0, "and writes");
	t0 = pn_now_ns();
	ret = store_begin(st2, &err);
	is_int(ret, -EAGAIN, "second writer gives up after its timeout");
	ok(err.code == PN_E_BUSY && strstr(pn_err_msg(&err), "state database busy"),
	   "busy message: %s", pn_err_msg(&err));
	ok(pn_now_ns() - t0 >= 150000000ull, "it waited for the busy timeout first");
	ret = store_pod_get_by_name(st2, NULL, "busy", &got, &err);
	is_int(ret, -ENOENT, "a reader is not blocked and sees only committed rows");
	is_int(store_commit(st, &err), 0, "commit");
	is_int(store_pod_get_by_name(st2, NULL, "busy", &got, &err), 0, "now visible");
	store_pod_free(got);
	is_int(store_begin(st2, &err), 0, "second writer gets the lock now");
	is_int(store_pod_delete(st2, p.uid, &err), 0, "and deletes");
	is_int(store_commit(st2, &err), 0, "commit");
	store_close(st2);
	pod_clear(&p);
	pn_err_free(&err);
}

/* Children block on a pipe until the parent closes it: all start at once. */
static void barrier_wait(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static int child_writer(const char *root, int barrier, int w)
{
	struct store *st = NULL;
	struct pn_err err = { 0 };
	int ret = 0;

	barrier_wait(barrier);
	/* A fresh database: the children also race to create the schema. */
	if (store_open(root, &st, &err)) {
		fprintf(stderr, "# writer %d: %s\n", w, pn_err_msg(&err));
		pn_err_free(&err);
		return 1;
	}
	for (int i = 0; i < 20 && !ret; i++) {
		struct store_pod p;
		struct store_container c;
		char name[32];

		snprintf(name, sizeof(name), "w%d-pod%d", w, i);
		pod_init(&p, NULL, name);
		ret = store_begin(st, &err);
		if (!ret)
			ret = store_pod_insert(st, &p, &err);
		if (!ret) {
			ctr_init(&c, p.uid, "c1", 0);
			ret = store_container_insert(st, &c, &err);
			ctr_clear(&c);
		}
		if (!ret)
			ret = store_commit(st, &err);
		else
			store_rollback(st);
		if (ret)
			fprintf(stderr, "# writer %d pod %d: %s\n", w, i, pn_err_msg(&err));
		pod_clear(&p);
	}
	store_close(st);
	pn_err_free(&err);
	return ret ? 1 : 0;
}

static void test_concurrent_writers(void)
{
	const char *root = root_path("concurrent");
	int bar[2], status, fails = 0;
	pid_t pids[8];

	if (pipe(bar))
		abort();
	for (int w = 0; w < 8; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(bar[1]);
			_exit(child_writer(root, bar[0], w));
		}
	}
	close(bar[0]);
	close(bar[1]);
	for (int w = 0; w < 8; w++) {
		if (waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fails++;
	}
	is_int(fails, 0, "8 concurrent writers, no error");
	is_int(sql_int(root, "SELECT count(*) FROM pods"), 160, "160 pods");
	is_int(sql_int(root, "SELECT count(*) FROM containers"), 160, "160 containers");
	is_int(sql_int(root, "SELECT count(*) FROM namespaces"), 1, "schema created once");
}

/* Two applies of the same pod at the same instant. */
static void test_name_race(void)
{
	const char *root = root_path("race");
	struct store *st = NULL;
	struct pn_err err = { 0 };
	int wins = 0, exists = 0, other = 0;

	if (store_open(root, &st, &err))
		abort();
	store_close(st);
	for (int round = 0; round < 10; round++) {
		int bar[2], status;
		pid_t pids[2];

		if (pipe(bar))
			abort();
		for (int k = 0; k < 2; k++) {
			pids[k] = fork();
			if (pids[k] == 0) {
				struct store_pod p;
				char name[32];
				int ret;

				close(bar[1]);
				if (store_open(root, &st, &err))
					_exit(3);
				snprintf(name, sizeof(name), "racer%d", round);
				pod_init(&p, NULL, name);
				barrier_wait(bar[0]);
				ret = store_pod_insert(st, &p, &err);
				if (ret == -EEXIST) {
					char want[64];

					snprintf(want, sizeof(want), "pods \"%s\" already exists", name);
					_exit(strcmp(pn_err_msg(&err), want) ? 4 : 17);
				}
				_exit(ret ? 5 : 0);
			}
		}
		close(bar[0]);
		close(bar[1]);
		for (int k = 0; k < 2; k++) {
			waitpid(pids[k], &status, 0);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				wins++;
			else if (WIFEXITED(status) && WEXITSTATUS(status) == 17)
				exists++;
			else
				other++;
		}
	}
	is_int(wins, 10, "each of 10 races has one winner");
	is_int(exists, 10, "and one loser with `pods \"NAME\" already exists`");
	is_int(other, 0, "no other outcome");
	is_int(sql_int(root, "SELECT count(*) FROM pods"), 10, "10 pods, one per name");
	pn_err_free(&err);
}

/* A writer killed at an arbitrary instant, five times. */
static void test_sigkill(void)
{
	const char *root = root_path("killed");
	struct store *st = NULL;
	struct pn_err err = { 0 };
	int torn = 0, lost = 0, extra = 0, bad_open = 0, bad_list = 0, alive_owner = 0, integrity = 0;
	long reported = 0;

	if (store_open(root, &st, &err))
		abort();
	store_close(st);
	st = NULL;
	for (int round = 0; round < 5; round++) {
		int fds[2], status;
		long seen = 0, v;
		int64_t before = sql_int(root, "SELECT count(*) FROM pods");
		int64_t after;
		pid_t pid;

		if (pipe(fds))
			abort();
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			if (store_open(root, &st, &err))
				_exit(3);
			for (long i = 0;; i++) {
				struct store_pod p;
				char name[48];
				int ret;

				snprintf(name, sizeof(name), "k%d-%ld", round, i);
				pod_init(&p, NULL, name);
				ret = store_begin(st, &err);
				if (!ret)
					ret = store_pod_insert(st, &p, &err);
				for (int c = 0; c < 3 && !ret; c++) {
					struct store_container ctr;
					char cn[8];

					snprintf(cn, sizeof(cn), "c%d", c);
					ctr_init(&ctr, p.uid, cn, c);
					ret = store_container_insert(st, &ctr, &err);
					ctr_clear(&ctr);
				}
				if (!ret)
					ret = store_commit(st, &err);
				if (ret)
					_exit(4);
				pod_clear(&p);
				/* Reported only once committed. */
				if (write(fds[1], &i, sizeof(i)) != sizeof(i))
					_exit(5);
			}
		}
		close(fds[1]);
		/* Let it commit a little, then kill it wherever it is. */
		while (seen < 10 + round * 7 && read(fds[0], &v, sizeof(v)) == sizeof(v))
			seen++;
		usleep((useconds_t)(round * 1300));
		kill(pid, SIGKILL);
		while (read(fds[0], &v, sizeof(v)) == sizeof(v))
			seen++;
		close(fds[0]);
		waitpid(pid, &status, 0);
		reported += seen;

		if (store_open(root, &st, &err)) {
			bad_open++;
			continue;
		}
		after = sql_int(root, "SELECT count(*) FROM pods");
		if (after - before < seen)
			lost++;
		if (after - before > seen + 1)
			extra++;
		if (sql_int(root, "SELECT count(*) FROM pods p WHERE (SELECT count(*) FROM "
				  "containers c WHERE c.pod_uid = p.uid) <> 3") != 0)
			torn++;
		{
			struct store_pod *list = NULL;
			size_t n = 0;

			if (store_pod_list(st, NULL, &list, &n, &err) == 0)
				for (size_t i = 0; i < n; i++)
					alive_owner += store_owner_alive(list[i].owner);
			else
				bad_list++;
			store_pod_array_free(list, n);
		}
		store_close(st);
		st = NULL;
	}
	{
		char buf[32];

		is_str(sql_text(root, "PRAGMA integrity_check", buf, sizeof(buf)), "ok",
		       "integrity_check after 5 kills");
		integrity = 1;
	}
	is_int(bad_open, 0, "database opens cleanly after every SIGKILL");
	is_int(lost, 0, "no reported commit lost (%ld reported)", reported);
	is_int(extra, 0, "at most the one unreported commit beyond them");
	is_int(torn, 0, "every pod has all 3 containers of its transaction");
	is_int(bad_list, 0, "the pods can be listed after every SIGKILL");
	is_int(alive_owner, 0, "the killed writer's rows are seen as abandoned");
	(void)integrity;
	pn_err_free(&err);
}


/* resourceVersions: one counter, taken by every write of a pod, namespace
 * or event in its own transaction, and the change log podnetd reads. */
static void test_versions(struct store *st)
{
	struct store_pod p, *got = NULL;
	struct store_namespace ns = { 0 };
	struct store_change *ch = NULL;
	struct pn_err err = { 0 };
	int64_t rv0 = 0, rv = 0;
	size_t n = 0;

	is_int(store_rv(st, &rv0, &err), 0, "current resourceVersion");
	pod_init(&p, NULL, "versioned");
	is_int(store_pod_insert(st, &p, &err), 0, "insert");
	is_int(p.rv, rv0 + 1, "insert takes the next rv");
	p.phase = STORE_PHASE_RUNNING;
	is_int(store_pod_update(st, &p, STORE_POD_F_PHASE, &err), 0, "update");
	is_int(store_pod_get(st, p.uid, &got, &err), 0, "get");
	is_int(got->rv, rv0 + 2, "an update takes the next rv, stored in the row");
	store_pod_free(got);
	got = NULL;
	p.status_json = strdup("{\"phase\":\"Running\"}");
	p.deletion_ns = 1234;
	p.deletion_grace = 7;
	is_int(store_pod_update(st, &p, STORE_POD_F_STATUS | STORE_POD_F_DELETION, &err), 0,
	       "status and deletion");
	is_int(store_pod_get(st, p.uid, &got, &err), 0, "get");
	ok(got && !strcmp(got->status_json, "{\"phase\":\"Running\"}") && got->deletion_ns == 1234 &&
		   got->deletion_grace == 7,
	   "status_json, deletion_ns and deletion_grace stored");
	store_pod_free(got);
	got = NULL;
	ns.name = strdup("versions");
	is_int(store_namespace_add(st, &ns, &err), 0, "namespace add");
	is_int(ns.rv, rv0 + 4, "a namespace takes the next rv");
	is_int(store_pod_delete(st, p.uid, &err), 0, "delete");
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 5, "delete takes the next rv");

	is_int(store_changes(st, rv0, &ch, &n, &err), 0, "changes after the start");
	is_int(n, 5, "five changes");
	if (n == 5) {
		ok(!strcmp(ch[0].kind, "pods") && !strcmp(ch[0].key, p.uid) &&
			   ch[0].type == STORE_CHANGE_ADDED && ch[0].rv == rv0 + 1,
		   "ADDED pods/<uid> at rv+1");
		ok(ch[1].type == STORE_CHANGE_MODIFIED && ch[2].type == STORE_CHANGE_MODIFIED,
		   "then two MODIFIED");
		ok(!strcmp(ch[3].kind, "namespaces") && !strcmp(ch[3].key, "versions"),
		   "namespaces are keyed by name");
		ok(ch[4].type == STORE_CHANGE_DELETED && !strcmp(ch[4].key, p.uid), "DELETED last");
	}
	store_change_array_free(ch, n);
	ch = NULL;
	is_int(store_changes(st, rv, &ch, &n, &err), 0, "changes after the latest");
	is_int(n, 0, "none");
	store_change_array_free(ch, n);
	/* A failed write takes no version. */
	pod_clear(&p);
	pod_init(&p, "nope", "x");
	ok(store_pod_insert(st, &p, &err) < 0, "insert into a missing namespace fails");
	is_int(store_rv(st, &rv0, &err), 0, "rv");
	is_int(rv0, rv, "and takes no resourceVersion");
	pod_clear(&p);
	ok(store_namespace_delete(st, "versions", &err) == 0, "namespace delete");
	free(ns.name);
	free(ns.uid);
	pn_err_free(&err);
}

/* store_rv_reserve: a block of versions that logs no change (podnetd's
 * resync numbers what has no version of its own with it), alone or in the
 * caller's transaction; the log goes on after the block without a gap a
 * reader would take for lost changes. */
static void test_rv_reserve(struct store *st)
{
	struct store_change *ch = NULL;
	struct pn_err err = { 0 };
	int64_t rv0 = 0, rv = 0, last = 0;
	size_t n = 0;

	is_int(store_rv(st, &rv0, &err), 0, "current resourceVersion");
	is_int(store_rv_reserve(st, 5, &last, &err), 0, "reserve 5 alone: %s", pn_err_msg(&err));
	is_int(last, rv0 + 5, "returns the highest of the block");
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 5, "the counter moved by 5");
	is_int(store_rv_reserve(st, 1, &last, &err), 0, "reserve 1");
	is_int(last, rv0 + 6, "the next one");

	is_int(store_begin(st, &err), 0, "begin");
	is_int(store_rv_reserve(st, 3, &last, &err), 0, "reserve 3 in an open transaction: %s",
	       pn_err_msg(&err));
	is_int(last, rv0 + 9, "the highest of the block");
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 9, "seen in the transaction");
	is_int(store_commit(st, &err), 0, "commit");
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 9, "kept by the commit");
	is_int(store_begin(st, &err), 0, "begin");
	is_int(store_rv_reserve(st, 4, &last, &err), 0, "reserve 4, then roll back");
	store_rollback(st);
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 9, "the caller's transaction: a rollback takes the block back");

	last = -1;
	is_int(store_rv_reserve(st, 0, &last, &err), -EINVAL, "reserve 0: EINVAL");
	is_int(err.code, PN_E_BAD_REQUEST, "BadRequest");
	is_int(store_rv_reserve(st, -3, &last, &err), -EINVAL, "reserve -3: EINVAL");
	is_int(store_rv(st, &rv, &err), 0, "rv");
	is_int(rv, rv0 + 9, "a refused reservation takes nothing");
	pn_err_free(&err);

	is_int(store_changes(st, rv0 + 9, &ch, &n, &err), 0,
	       "changes after the block's end, none yet: %s", pn_err_msg(&err));
	is_int(n, 0, "none");
	store_change_array_free(ch, n);
	ch = NULL;
	is_int(store_touch(st, "nodes", "reserve", &rv, &err), 0, "a change after the block");
	is_int(rv, rv0 + 10, "takes the next version");
	is_int(store_changes(st, rv0 + 9, &ch, &n, &err), 0,
	       "changes after the block's end: not stale: %s", pn_err_msg(&err));
	ok(n == 1 && ch[0].rv == rv0 + 10 && !strcmp(ch[0].kind, "nodes") &&
		   !strcmp(ch[0].key, "reserve"),
	   "that change");
	store_change_array_free(ch, n);
	ch = NULL;
	is_int(store_changes(st, rv0, &ch, &n, &err), 0, "changes from before the blocks");
	ok(n == 1 && ch[0].rv == rv0 + 10, "the blocks logged nothing");
	store_change_array_free(ch, n);
	pn_err_free(&err);
}

/* changes_kept: open a fresh database with PODNET_STORE_CHANGES_KEPT=@value
 * (NULL: unset), make 12 changes, and ask for the changes after the first
 * version: the return of store_changes(). */
static int changes_kept(const char *value, const char *sub, size_t *n)
{
	const char *root = root_path(sub);
	struct store_change *ch = NULL;
	struct store *st = NULL;
	struct pn_err err = { 0 };
	int64_t rv0 = 0, rv = 0;
	int ret;

	*n = 0;
	if (value)
		setenv("PODNET_STORE_CHANGES_KEPT", value, 1);
	else
		unsetenv("PODNET_STORE_CHANGES_KEPT");
	ret = store_open(root, &st, &err);
	unsetenv("PODNET_STORE_CHANGES_KEPT");
	if (!ret)
		ret = store_rv(st, &rv0, &err);
	for (int i = 0; !ret && i < 12; i++)
		ret = store_touch(st, "nodes", "kept", &rv, &err);
	if (!ret)
		ret = store_changes(st, rv0, &ch, n, &err);
	else
		printf("# %s: %s\n", sub, pn_err_msg(&err));
	store_change_array_free(ch, *n);
	store_close(st);
	pn_err_free(&err);
	return ret;
}

/* PODNET_STORE_CHANGES_KEPT: a short log for tests (1 to 8192); anything
 * else keeps the default 8192. */
static void test_changes_kept(void)
{
	static const char *const bad[] = { "0", "x", "9999", "4x", "" };
	char sub[32];
	size_t n = 0;

	is_int(changes_kept("4", "kept-4", &n), -ESTALE,
	       "PODNET_STORE_CHANGES_KEPT=4: 12 changes later the first ones are gone (-ESTALE)");
	is_int(changes_kept(NULL, "kept-unset", &n), 0, "unset: the 12 changes are kept");
	is_int(n, 12, "all 12");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sub, sizeof(sub), "kept-bad-%zu", i);
		is_int(changes_kept(bad[i], sub, &n), 0,
		       "PODNET_STORE_CHANGES_KEPT=\"%s\": the default", bad[i]);
		is_int(n, 12, "all 12 changes kept");
	}
}

/* Events: recorded, aggregated as kubelet does, listed, expired. */
static void test_events(struct store *st)
{
	struct store_event ev = { 0 }, ev2 = { 0 }, *list = NULL;
	struct pn_err err = { 0 };
	size_t n = 0, gone = 0;

	ev.namespace_ = strdup("default");
	ev.obj_kind = strdup("Pod");
	ev.obj_name = strdup("web");
	ev.obj_uid = strdup("11111111-2222-4333-8444-555555555555");
	ev.obj_field = strdup("spec.containers{c1}");
	ev.reason = strdup("BackOff");
	ev.message = strdup("Back-off restarting failed container c1");
	ev.type = strdup("Warning");
	ev.first_ns = 1000000000;
	is_int(store_event_record(st, &ev, &err), 0, "record: %s", pn_err_msg(&err));
	is_str(ev.name, "web.3b9aca00", "named <object>.<hex ns>");
	is_int(ev.count, 1, "count 1");
	is_str(ev.component, "kubelet", "source kubelet by default");
	ev2.namespace_ = strdup("default");
	ev2.obj_kind = strdup("Pod");
	ev2.obj_name = strdup("web");
	ev2.obj_uid = strdup(ev.obj_uid);
	ev2.obj_field = strdup("spec.containers{c1}");
	ev2.reason = strdup("BackOff");
	ev2.message = strdup("Back-off restarting failed container c1");
	ev2.last_ns = 5000000000;
	is_int(store_event_record(st, &ev2, &err), 0, "record the same again");
	is_int(ev2.count, 2, "aggregated: count 2");
	is_str(ev2.name, "web.3b9aca00", "in the same event");
	is_int(ev2.first_ns, 1000000000, "first seen kept");
	is_int(store_event_list(st, "default", &list, &n, &err), 0, "list");
	is_int(n, 1, "one event");
	store_event_array_free(list, n);
	is_int(store_event_expire(st, 6000000000, &gone, &err), 0, "expire");
	is_int(gone, 1, "the old event expired");
	is_int(store_event_list(st, NULL, &list, &n, &err), 0, "list all");
	is_int(n, 0, "none left");
	store_event_array_free(list, n);
	store_event_array_free(NULL, 0);
	{
		/* The stack structs' strings. */
		struct store_event *h = malloc(sizeof(*h));

		*h = ev;
		store_event_free(h);
		h = malloc(sizeof(*h));
		*h = ev2;
		store_event_free(h);
	}
	pn_err_free(&err);
}

/* A version-1 database (podnet before podnetd) is migrated in place: its
 * pods keep their containers (the rebuilt pods table cascades nothing). */
static void test_migrate_v1(void)
{
	const char *root = root_path("v1");
	char db[600];
	sqlite3 *h = NULL;
	struct store *st = NULL;
	struct store_pod *p = NULL;
	struct store_container *cs = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	static const char v1[] =
		"PRAGMA journal_mode=WAL; PRAGMA user_version=1;"
		"CREATE TABLE namespaces (name TEXT PRIMARY KEY NOT NULL, uid TEXT NOT NULL UNIQUE,"
		" spec_json TEXT, phase TEXT NOT NULL, created_ns INTEGER NOT NULL) STRICT;"
		"CREATE TABLE pods (uid TEXT PRIMARY KEY NOT NULL, namespace TEXT NOT NULL"
		" REFERENCES namespaces(name), name TEXT NOT NULL, sandbox_id TEXT NOT NULL UNIQUE,"
		" spec_json TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('creating','ready','deleting')),"
		" phase TEXT NOT NULL, reason TEXT, netns_path TEXT UNIQUE, pod_ip TEXT, pod_ips TEXT,"
		" host_ip TEXT, shim_pid INTEGER, pause_pid INTEGER, created_ns INTEGER NOT NULL,"
		" started_ns INTEGER, owner TEXT, UNIQUE (namespace, name)) STRICT;"
		"CREATE TABLE containers (id TEXT PRIMARY KEY NOT NULL, pod_uid TEXT NOT NULL"
		" REFERENCES pods(uid) ON DELETE CASCADE, name TEXT NOT NULL, idx INTEGER NOT NULL,"
		" image TEXT NOT NULL, state TEXT NOT NULL, pid INTEGER, exit_code INTEGER NOT NULL,"
		" reason TEXT, message TEXT, created_ns INTEGER NOT NULL, started_ns INTEGER,"
		" finished_ns INTEGER, restart_count INTEGER NOT NULL, log_path TEXT,"
		" last_exit_code INTEGER NOT NULL, last_reason TEXT, last_started_ns INTEGER,"
		" last_finished_ns INTEGER, UNIQUE (pod_uid, name), UNIQUE (pod_uid, idx)) STRICT;"
		"CREATE TABLE images (name TEXT PRIMARY KEY NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL,"
		" kind TEXT NOT NULL, size INTEGER NOT NULL, created_ns INTEGER NOT NULL) STRICT;"
		"CREATE TABLE attachments (pod_uid TEXT NOT NULL REFERENCES pods(uid) ON DELETE CASCADE,"
		" network TEXT NOT NULL, ifname TEXT NOT NULL, container_id TEXT NOT NULL, netns_path TEXT,"
		" created_ns INTEGER NOT NULL, PRIMARY KEY (pod_uid, network, ifname)) STRICT;"
		"INSERT INTO namespaces VALUES ('default', '00000000-0000-4000-8000-000000000000', NULL,"
		" 'Active', 1);"
		"INSERT INTO pods (uid, namespace, name, sandbox_id, spec_json, state, phase, created_ns)"
		" VALUES ('11111111-1111-4111-8111-111111111111', 'default', 'old',"
		" '" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "', '{}', 'ready',"
		" 'Running', 2);"
		"INSERT INTO containers (id, pod_uid, name, idx, image, state, exit_code, created_ns,"
		" restart_count, last_exit_code) VALUES"
		" ('" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "',"
		" '11111111-1111-4111-8111-111111111111', 'c1', 0, 'host', 'running', 0, 3, 0, 0);";

	snprintf(db, sizeof(db), "%s/state.db", root);
	mkdir(root, 0700);
	ok(sqlite3_open(db, &h) == SQLITE_OK && sqlite3_exec(h, v1, NULL, NULL, NULL) == SQLITE_OK,
	   "a version-1 database");
	sqlite3_close(h);
	is_int(store_open(root, &st, &err), 0, "opened and migrated: %s", pn_err_msg(&err));
	is_int(sql_int(root, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "at the current version");
	is_int(store_pod_get_by_name(st, "default", "old", &p, &err), 0, "the old pod is there");
	ok(p && p->state == STORE_POD_READY && p->rv == 1 && !p->status_json,
	   "ready, rv 1, no recorded status");
	is_int(store_container_list(st, p ? p->uid : "", &cs, &n, &err), 0, "its containers");
	is_int(n, 1, "its container survived the pods table's rebuild");
	store_container_array_free(cs, n);
	is_int(sql_int(root, "SELECT count(*) FROM pragma_foreign_key_check"), 0, "foreign keys hold");
	if (p) {
		p->state = STORE_POD_PENDING;
		is_int(store_pod_update(st, p, STORE_POD_F_STATE, &err), 0, "the new state 'pending'");
	}
	store_pod_free(p);
	store_close(st);
	pn_err_free(&err);
}

/* Run a statement on the database directly (a schema of an older version). */
static int sql_exec(const char *root, const char *sql)
{
	char path[600];
	sqlite3 *db = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/state.db", root);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void netpol_row(struct store_netpol *np, const char *ns, const char *name, const char *json)
{
	memset(np, 0, sizeof(*np));
	np->namespace_ = strdup(ns);
	np->name = strdup(name);
	np->spec_json = strdup(json);
}

static void netpol_clear(struct store_netpol *np)
{
	struct store_netpol *h = malloc(sizeof(*h));

	*h = *np;
	store_netpol_free(h);
	memset(np, 0, sizeof(*np));
}

/* NetworkPolicies: kubectl's messages, lists by namespace, updates bump
 * nothing by themselves, a namespace takes its policies with it, and a
 * version-2 database gains the table. */
static void test_netpols(void)
{
	const char *root = root_path("netpols");
	struct store *st = NULL;
	struct store_netpol a, b, dup, *got = NULL, *list = NULL;
	struct store_namespace ns = { 0 };
	struct pn_err err = { 0 };
	size_t n = 0;

	is_int(store_open(root, &st, &err), 0, "open: %s", pn_err_msg(&err));
	ns.name = "team";
	is_int(store_namespace_add(st, &ns, &err), 0, "namespace team");
	free(ns.uid);
	netpol_row(&a, "team", "deny", "{\"a\":1}");
	is_int(store_netpol_insert(st, &a, &err), 0, "insert team/deny");
	ok(a.uid && strlen(a.uid) == 36 && a.generation == 1 && a.created_ns > 0,
	   "insert fills in uid, generation 1 and the creation time");
	netpol_row(&dup, "team", "deny", "{}");
	is_int(store_netpol_insert(st, &dup, &err), -EEXIST, "the same name again");
	is_str(pn_err_msg(&err), "networkpolicies.networking.k8s.io \"deny\" already exists",
	       "kubectl's AlreadyExists text");
	is_int(err.code, PN_E_ALREADY_EXISTS, "code AlreadyExists");
	netpol_clear(&dup);
	netpol_row(&dup, "nowhere", "deny", "{}");
	is_int(store_netpol_insert(st, &dup, &err), -ENOENT, "a policy in a namespace that does not exist");
	is_str(pn_err_msg(&err), "namespaces \"nowhere\" not found", "NotFound names the namespace");
	netpol_clear(&dup);
	netpol_row(&b, "default", "allow", "{\"b\":1}");
	is_int(store_netpol_insert(st, &b, &err), 0, "insert default/allow");

	is_int(store_netpol_list(st, NULL, &list, &n, &err), 0, "list all");
	ok(n == 2 && !strcmp(list[0].namespace_, "default") && !strcmp(list[1].name, "deny"),
	   "ordered by namespace, name");
	store_netpol_array_free(list, n);
	is_int(store_netpol_list(st, "team", &list, &n, &err), 0, "list one namespace");
	ok(n == 1 && !strcmp(list[0].spec_json, "{\"a\":1}"), "only team's");
	store_netpol_array_free(list, n);

	free(a.spec_json);
	a.spec_json = strdup("{\"a\":2}");
	a.generation = 2;
	is_int(store_netpol_update(st, &a, STORE_NETPOL_F_SPEC, &err), 0, "update the object");
	is_int(store_netpol_get(st, "team", "deny", &got, &err), 0, "get it back");
	ok(got && got->generation == 2 && !strcmp(got->spec_json, "{\"a\":2}"), "object and generation written");
	store_netpol_free(got);
	got = NULL;
	is_int(store_netpol_get(st, "team", "nope", &got, &err), -ENOENT, "get a missing one");
	is_str(pn_err_msg(&err), "networkpolicies.networking.k8s.io \"nope\" not found", "kubectl's NotFound text");
	is_int(store_netpol_delete(st, "default", "allow", &err), 0, "delete default/allow");
	is_int(store_netpol_delete(st, "default", "allow", &err), -ENOENT, "delete it again: not found");

	is_int(store_namespace_set_spec(st, "team", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", &err), 0,
	       "a namespace's object (its labels) is updated in place");
	is_int(store_namespace_delete(st, "team", &err), 0, "delete namespace team");
	is_int(sql_int(root, "SELECT count(*) FROM netpols"), 0, "its policies went with it");
	netpol_clear(&a);
	netpol_clear(&b);
	store_close(st);

	/* A version-2 database (no netpols, no Services) is migrated on open. */
	ok(sql_exec(root, "DROP TABLE netpols; DROP TABLE host_ports; DROP TABLE node_ports;"
			  " DROP TABLE services; PRAGMA user_version = 2") == SQLITE_OK,
	   "make it version 2");
	is_int(store_open(root, &st, &err), 0, "open migrates: %s", pn_err_msg(&err));
	is_int(sql_int(root, "PRAGMA user_version"), STORE_SCHEMA_VERSION, "now the current version");
	is_int(sql_int(root, "SELECT count(*) FROM services"), 0, "  ...with the Services tables");
	is_int(store_netpol_list(st, NULL, &list, &n, &err), 0, "the table is there");
	store_netpol_array_free(list, n);
	store_close(st);
	pn_err_free(&err);
}

int main(void)
{
	struct store *st = NULL;
	struct pn_err err = { 0 };

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	printf("# state under %s\n", tmp);
	test_ids();
	test_open_schema();
	test_bad_files();
	if (store_open(root_path("main"), &st, &err)) {
		printf("Bail out! open: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return 1;
	}
	test_namespaces(st);
	test_pods(st);
	test_containers(st);
	test_prefix(st);
	test_versions(st);
	test_events(st);
	test_rv_reserve(st);
	test_busy(st, root_path("main"));
	store_close(st);
	test_changes_kept();
	test_concurrent_writers();
	test_name_race();
	test_sigkill();
	test_migrate_v1();
	test_netpols();

	if (!tap_failed) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
	}
	pn_err_free(&err);
	return tap_done();
}
