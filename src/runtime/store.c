/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

struct store {
	sqlite3 *db;
	char *path;
	int64_t changes_kept;   /* STORE_CHANGES_KEPT, or PODNET_STORE_CHANGES_KEPT's */
};

/*
 * Schema version 1.  STRICT tables make SQLite reject a value of the wrong
 * type instead of storing it; the CHECKs keep rows written by any version
 * of podnet readable by this one.  Every foreign key's child columns lead
 * an index (the UNIQUE/PRIMARY KEY constraints), so a cascade never scans.
 * A migration to version N+1 appends a step to store_migrate(), which runs
 * all steps in the same transaction that bumps user_version.
 */
static const char schema_v1[] =
	"CREATE TABLE namespaces ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
	" uid TEXT NOT NULL UNIQUE,"
	" spec_json TEXT,"
	" phase TEXT NOT NULL CHECK (phase IN ('Active', 'Terminating')),"
	" created_ns INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE pods ("
	" uid TEXT PRIMARY KEY NOT NULL CHECK (length(uid) = 36),"
	/* No cascade: a namespace is deleted only once its pods are gone. */
	" namespace TEXT NOT NULL REFERENCES namespaces(name),"
	" name TEXT NOT NULL CHECK (name <> ''),"
	" sandbox_id TEXT NOT NULL UNIQUE CHECK (length(sandbox_id) = 64),"
	" spec_json TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'deleting')),"
	" phase TEXT NOT NULL CHECK (phase IN"
	"  ('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown')),"
	" reason TEXT,"
	/* Two pods pinned on one netns path would tear down each other. */
	" netns_path TEXT UNIQUE,"
	" pod_ip TEXT,"
	" pod_ips TEXT,"
	" host_ip TEXT,"
	" shim_pid INTEGER,"
	" pause_pid INTEGER,"
	" created_ns INTEGER NOT NULL,"
	" started_ns INTEGER,"
	" owner TEXT,"
	/* The lock on a pod's name: concurrent applies race here. */
	" UNIQUE (namespace, name)"
	") STRICT;"
	"CREATE TABLE containers ("
	" id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),"
	" pod_uid TEXT NOT NULL REFERENCES pods(uid) ON DELETE CASCADE,"
	" name TEXT NOT NULL CHECK (name <> ''),"
	" idx INTEGER NOT NULL CHECK (idx >= 0),"
	" image TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('created', 'running', 'exited', 'unknown')),"
	" pid INTEGER,"
	" exit_code INTEGER NOT NULL,"
	" reason TEXT,"
	" message TEXT,"
	" created_ns INTEGER NOT NULL,"
	" started_ns INTEGER,"
	" finished_ns INTEGER,"
	" restart_count INTEGER NOT NULL CHECK (restart_count >= 0),"
	" log_path TEXT,"
	" last_exit_code INTEGER NOT NULL,"
	" last_reason TEXT,"
	" last_started_ns INTEGER,"
	" last_finished_ns INTEGER,"
	" UNIQUE (pod_uid, name),"
	" UNIQUE (pod_uid, idx)"
	") STRICT;"
	/*
	 * Unused: images live under <root>/images with their own metadata
	 * (image.c).  The table stays so that every version-1 database has the
	 * same schema; a later version may drop it.
	 */
	"CREATE TABLE images ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
	/* Not unique: two names may tag the same content, as in crictl. */
	" id TEXT NOT NULL CHECK (length(id) = 64),"
	" path TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('dir', 'host')),"
	" size INTEGER NOT NULL CHECK (size >= 0),"
	" created_ns INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE attachments ("
	" pod_uid TEXT NOT NULL REFERENCES pods(uid) ON DELETE CASCADE,"
	" network TEXT NOT NULL,"
	" ifname TEXT NOT NULL,"
	" container_id TEXT NOT NULL,"
	" netns_path TEXT,"
	" created_ns INTEGER NOT NULL,"
	" PRIMARY KEY (pod_uid, network, ifname)"
	") STRICT;";

/*
 * Version 2: resourceVersions and events, for podnetd.
 *  - counters.rv is the one resourceVersion counter; every write of a pod,
 *    namespace or event takes the next value in its own transaction and
 *    logs it in changes, so podnetd learns what any process changed, in
 *    order, from the log alone;
 *  - pods gains the state "pending" (accepted through the API, nothing
 *    made yet), its rv, the status a node agent last recorded, and the
 *    deletion time and grace period.  A CHECK cannot be altered in place:
 *    the table is rebuilt (SQLite's "make other kinds of table schema
 *    changes" procedure; foreign keys are off while the migration runs);
 *  - namespaces gains its rv;
 *  - events holds v1 Events.
 */
static const char schema_v2[] =
	"CREATE TABLE counters ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" value INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO counters (name, value) VALUES ('rv', 1);"
	"CREATE TABLE changes ("
	" rv INTEGER PRIMARY KEY NOT NULL,"
	" kind TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED'))"
	") STRICT;"
	"ALTER TABLE namespaces ADD COLUMN rv INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE pods_v2 ("
	" uid TEXT PRIMARY KEY NOT NULL CHECK (length(uid) = 36),"
	" namespace TEXT NOT NULL REFERENCES namespaces(name),"
	" name TEXT NOT NULL CHECK (name <> ''),"
	" sandbox_id TEXT NOT NULL UNIQUE CHECK (length(sandbox_id) = 64),"
	" spec_json TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'deleting', 'pending')),"
	" phase TEXT NOT NULL CHECK (phase IN"
	"  ('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown')),"
	" reason TEXT,"
	" netns_path TEXT UNIQUE,"
	" pod_ip TEXT,"
	" pod_ips TEXT,"
	" host_ip TEXT,"
	" shim_pid INTEGER,"
	" pause_pid INTEGER,"
	" created_ns INTEGER NOT NULL,"
	" started_ns INTEGER,"
	" owner TEXT,"
	" rv INTEGER NOT NULL DEFAULT 1,"
	" status_json TEXT,"
	" deletion_ns INTEGER,"
	" deletion_grace INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (namespace, name)"
	") STRICT;"
	"INSERT INTO pods_v2 (uid, namespace, name, sandbox_id, spec_json, state, phase, reason,"
	" netns_path, pod_ip, pod_ips, host_ip, shim_pid, pause_pid, created_ns, started_ns, owner)"
	" SELECT uid, namespace, name, sandbox_id, spec_json, state, phase, reason, netns_path,"
	" pod_ip, pod_ips, host_ip, shim_pid, pause_pid, created_ns, started_ns, owner FROM pods;"
	"DROP TABLE pods;"
	"ALTER TABLE pods_v2 RENAME TO pods;"
	"CREATE TABLE events ("
	" uid TEXT PRIMARY KEY NOT NULL,"
	" namespace TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" obj_kind TEXT NOT NULL,"
	" obj_name TEXT NOT NULL,"
	" obj_uid TEXT,"
	" obj_field TEXT,"
	" reason TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" type TEXT NOT NULL CHECK (type IN ('Normal', 'Warning')),"
	" component TEXT NOT NULL,"
	" host TEXT,"
	" count INTEGER NOT NULL CHECK (count >= 1),"
	" first_ns INTEGER NOT NULL,"
	" last_ns INTEGER NOT NULL,"
	" rv INTEGER NOT NULL,"
	" UNIQUE (namespace, name)"
	") STRICT;"
	/* record() looks for the same event of the same object. */
	"CREATE INDEX events_by_object ON events (obj_uid, reason);";

/*
 * Version 3: NetworkPolicies.  A namespace's policies go with it
 * (the API server deletes a namespace's objects with it).
 */
static const char schema_v3[] =
	"CREATE TABLE netpols ("
	" uid TEXT PRIMARY KEY NOT NULL CHECK (length(uid) = 36),"
	" namespace TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,"
	" name TEXT NOT NULL CHECK (name <> ''),"
	" spec_json TEXT NOT NULL,"
	" generation INTEGER NOT NULL CHECK (generation >= 1),"
	" created_ns INTEGER NOT NULL,"
	" rv INTEGER NOT NULL DEFAULT 1,"
	" UNIQUE (namespace, name)"
	") STRICT;";

/* Version 4: Services and the node ports they hold, pods' host ports. */
static const char schema_v4[] =
	"CREATE TABLE services ("
	" uid TEXT PRIMARY KEY NOT NULL CHECK (length(uid) = 36),"
	/* A namespace's deletion takes its Services, as in Kubernetes. */
	" namespace TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,"
	" name TEXT NOT NULL CHECK (name <> ''),"
	" spec_json TEXT NOT NULL,"
	/* The allocator's lock: two Services never get one address. */
	" cluster_ip TEXT UNIQUE,"
	" created_ns INTEGER NOT NULL,"
	" rv INTEGER NOT NULL DEFAULT 1,"
	" UNIQUE (namespace, name)"
	") STRICT;"
	"CREATE TABLE node_ports ("
	" protocol TEXT NOT NULL CHECK (protocol IN ('TCP', 'UDP', 'SCTP')),"
	" port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	" service_uid TEXT NOT NULL REFERENCES services(uid) ON DELETE CASCADE,"
	" PRIMARY KEY (protocol, port)"
	") STRICT;"
	"CREATE INDEX node_ports_service ON node_ports (service_uid);"
	/* Pods' hostPorts: the scheduler's NodePorts check, made atomic. */
	"CREATE TABLE host_ports ("
	" protocol TEXT NOT NULL CHECK (protocol IN ('TCP', 'UDP', 'SCTP')),"
	" port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	" pod_uid TEXT NOT NULL REFERENCES pods(uid) ON DELETE CASCADE,"
	" PRIMARY KEY (protocol, port)"
	") STRICT;"
	"CREATE INDEX host_ports_pod ON host_ports (pod_uid);";

/* ---- rows described once, read, written and freed from the description */

enum col_type {
	COL_TEXT,     /* char *, NULL <-> NULL */
	COL_ID,       /* char *, 64 hex; insert generates it if NULL */
	COL_UUID,     /* char *, RFC 4122 v4; insert generates it if NULL */
	COL_INT,      /* int, never NULL */
	COL_PID,      /* pid_t, 0 <-> NULL */
	COL_TIME,     /* int64_t, 0 <-> NULL */
	COL_I64,      /* int64_t, never NULL */
	COL_CREATED,  /* int64_t, never NULL; insert sets 0 to now (ns) */
	COL_ENUM,     /* an enum stored as one of names[] */
};

struct col {
	const char *name;
	enum col_type type;
	size_t off;
	const char *const *names;  /* COL_ENUM */
	size_t n_names;
	unsigned field;            /* update mask bit; 0: set only at insert */
};

struct table {
	const char *name;
	const struct col *cols;
	size_t n_cols;
	size_t row_size;
	const char *order;         /* ORDER BY of lists */
};

static const char *const pod_state_names[] = { "creating", "ready", "deleting", "pending" };
static const char *const change_type_names[] = { "ADDED", "MODIFIED", "DELETED" };
static const char *const phase_names[] = { "Pending", "Running", "Succeeded", "Failed",
					   "Unknown" };
static const char *const ctr_state_names[] = { "created", "running", "exited", "unknown" };
static const char *const ns_phase_names[] = { "Active", "Terminating" };

/* The namespace's update mask, private: set_terminating and set_spec. */
enum { NS_F_PHASE = 1u << 0, NS_F_RV = 1u << 1, NS_F_SPEC = 1u << 2 };
/* Private update bits: the rv column, written by every versioned update,
 * and an event's counting. */
enum { POD_F_RV = 1u << 30, NP_F_RV = 1u << 29, EV_F_COUNT = 1u << 0, EV_F_RV = 1u << 1 };
/* A Service changes in place only by apply (its spec). */
enum { SVC_F_SPEC = 1u << 0, SVC_F_RV = 1u << 1 };

#define ENUMS(a) a, PN_ARRAY_SIZE(a)
#define C(s, f, t) #f, t, offsetof(struct s, f)

static const struct col ns_cols[] = {
	{ C(store_namespace, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_namespace, uid, COL_UUID), NULL, 0, 0 },
	{ C(store_namespace, spec_json, COL_TEXT), NULL, 0, NS_F_SPEC },
	{ C(store_namespace, phase, COL_ENUM), ENUMS(ns_phase_names), NS_F_PHASE },
	{ C(store_namespace, created_ns, COL_CREATED), NULL, 0, 0 },
	{ C(store_namespace, rv, COL_I64), NULL, 0, NS_F_RV },
};

/* The SQL column is "namespace"; the C field avoids the C++ keyword. */
static const struct col pod_cols[] = {
	{ C(store_pod, uid, COL_UUID), NULL, 0, 0 },
	{ "namespace", COL_TEXT, offsetof(struct store_pod, namespace_), NULL, 0, 0 },
	{ C(store_pod, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_pod, sandbox_id, COL_ID), NULL, 0, STORE_POD_F_SANDBOX },
	{ C(store_pod, spec_json, COL_TEXT), NULL, 0, STORE_POD_F_SPEC },
	{ C(store_pod, state, COL_ENUM), ENUMS(pod_state_names), STORE_POD_F_STATE },
	{ C(store_pod, phase, COL_ENUM), ENUMS(phase_names), STORE_POD_F_PHASE },
	{ C(store_pod, reason, COL_TEXT), NULL, 0, STORE_POD_F_PHASE },
	{ C(store_pod, netns_path, COL_TEXT), NULL, 0, STORE_POD_F_NETNS },
	{ C(store_pod, pod_ip, COL_TEXT), NULL, 0, STORE_POD_F_IPS },
	{ C(store_pod, pod_ips, COL_TEXT), NULL, 0, STORE_POD_F_IPS },
	{ C(store_pod, host_ip, COL_TEXT), NULL, 0, STORE_POD_F_IPS },
	{ C(store_pod, shim_pid, COL_PID), NULL, 0, STORE_POD_F_SHIM_PID },
	{ C(store_pod, pause_pid, COL_PID), NULL, 0, STORE_POD_F_PAUSE_PID },
	{ C(store_pod, created_ns, COL_CREATED), NULL, 0, 0 },
	{ C(store_pod, started_ns, COL_TIME), NULL, 0, STORE_POD_F_STARTED },
	{ C(store_pod, owner, COL_TEXT), NULL, 0, STORE_POD_F_STATE },
	{ C(store_pod, rv, COL_I64), NULL, 0, POD_F_RV },
	{ C(store_pod, status_json, COL_TEXT), NULL, 0, STORE_POD_F_STATUS },
	{ C(store_pod, deletion_ns, COL_TIME), NULL, 0, STORE_POD_F_DELETION },
	{ C(store_pod, deletion_grace, COL_I64), NULL, 0, STORE_POD_F_DELETION },
};

static const struct col ctr_cols[] = {
	{ C(store_container, id, COL_ID), NULL, 0, 0 },
	{ C(store_container, pod_uid, COL_TEXT), NULL, 0, 0 },
	{ C(store_container, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_container, idx, COL_INT), NULL, 0, 0 },
	{ C(store_container, image, COL_TEXT), NULL, 0, 0 },
	{ C(store_container, state, COL_ENUM), ENUMS(ctr_state_names), STORE_CTR_F_STATE },
	{ C(store_container, pid, COL_PID), NULL, 0, STORE_CTR_F_PID },
	{ C(store_container, exit_code, COL_INT), NULL, 0, STORE_CTR_F_EXIT },
	{ C(store_container, reason, COL_TEXT), NULL, 0, STORE_CTR_F_REASON },
	{ C(store_container, message, COL_TEXT), NULL, 0, STORE_CTR_F_REASON },
	{ C(store_container, created_ns, COL_CREATED), NULL, 0, 0 },
	{ C(store_container, started_ns, COL_TIME), NULL, 0, STORE_CTR_F_STARTED },
	{ C(store_container, finished_ns, COL_TIME), NULL, 0, STORE_CTR_F_FINISHED },
	{ C(store_container, restart_count, COL_INT), NULL, 0, STORE_CTR_F_RESTARTS },
	{ C(store_container, log_path, COL_TEXT), NULL, 0, STORE_CTR_F_LOG_PATH },
	{ C(store_container, last_exit_code, COL_INT), NULL, 0, STORE_CTR_F_LAST },
	{ C(store_container, last_reason, COL_TEXT), NULL, 0, STORE_CTR_F_LAST },
	{ C(store_container, last_started_ns, COL_TIME), NULL, 0, STORE_CTR_F_LAST },
	{ C(store_container, last_finished_ns, COL_TIME), NULL, 0, STORE_CTR_F_LAST },
};

static const struct col att_cols[] = {
	{ C(store_attachment, pod_uid, COL_TEXT), NULL, 0, 0 },
	{ C(store_attachment, network, COL_TEXT), NULL, 0, 0 },
	{ C(store_attachment, ifname, COL_TEXT), NULL, 0, 0 },
	{ C(store_attachment, container_id, COL_TEXT), NULL, 0, 0 },
	{ C(store_attachment, netns_path, COL_TEXT), NULL, 0, 0 },
	{ C(store_attachment, created_ns, COL_CREATED), NULL, 0, 0 },
};

static const struct col ev_cols[] = {
	{ C(store_event, uid, COL_UUID), NULL, 0, 0 },
	{ "namespace", COL_TEXT, offsetof(struct store_event, namespace_), NULL, 0, 0 },
	{ C(store_event, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, obj_kind, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, obj_name, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, obj_uid, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, obj_field, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, reason, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, message, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, type, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, component, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, host, COL_TEXT), NULL, 0, 0 },
	{ C(store_event, count, COL_INT), NULL, 0, EV_F_COUNT },
	{ C(store_event, first_ns, COL_I64), NULL, 0, 0 },
	{ C(store_event, last_ns, COL_I64), NULL, 0, EV_F_COUNT },
	{ C(store_event, rv, COL_I64), NULL, 0, EV_F_RV },
};

static const struct col change_cols[] = {
	{ C(store_change, rv, COL_I64), NULL, 0, 0 },
	{ C(store_change, kind, COL_TEXT), NULL, 0, 0 },
	{ C(store_change, key, COL_TEXT), NULL, 0, 0 },
	{ C(store_change, type, COL_ENUM), ENUMS(change_type_names), 0 },
};

static const struct col np_cols[] = {
	{ C(store_netpol, uid, COL_UUID), NULL, 0, 0 },
	{ "namespace", COL_TEXT, offsetof(struct store_netpol, namespace_), NULL, 0, 0 },
	{ C(store_netpol, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_netpol, spec_json, COL_TEXT), NULL, 0, STORE_NETPOL_F_SPEC },
	{ C(store_netpol, generation, COL_I64), NULL, 0, STORE_NETPOL_F_SPEC },
	{ C(store_netpol, created_ns, COL_CREATED), NULL, 0, 0 },
	{ C(store_netpol, rv, COL_I64), NULL, 0, NP_F_RV },
};

static const struct col svc_cols[] = {
	{ C(store_service, uid, COL_UUID), NULL, 0, 0 },
	{ "namespace", COL_TEXT, offsetof(struct store_service, namespace_), NULL, 0, 0 },
	{ C(store_service, name, COL_TEXT), NULL, 0, 0 },
	{ C(store_service, spec_json, COL_TEXT), NULL, 0, SVC_F_SPEC },
	{ C(store_service, cluster_ip, COL_TEXT), NULL, 0, 0 },
	{ C(store_service, created_ns, COL_CREATED), NULL, 0, 0 },
	{ C(store_service, rv, COL_I64), NULL, 0, SVC_F_RV },
};

#undef C
#undef ENUMS

#define TABLE(n, c, s, o) { n, c, PN_ARRAY_SIZE(c), sizeof(struct s), o }
static const struct table ns_table = TABLE("namespaces", ns_cols, store_namespace, "name");
static const struct table pod_table = TABLE("pods", pod_cols, store_pod, "namespace, name");
static const struct table ctr_table =
	TABLE("containers", ctr_cols, store_container, "pod_uid, idx");
static const struct table att_table =
	TABLE("attachments", att_cols, store_attachment, "pod_uid, network, ifname");
static const struct table ev_table = TABLE("events", ev_cols, store_event, "namespace, name");
static const struct table change_table = TABLE("changes", change_cols, store_change, "rv");
static const struct table np_table = TABLE("netpols", np_cols, store_netpol, "namespace, name");
static const struct table svc_table =
	TABLE("services", svc_cols, store_service, "namespace, name");
#undef TABLE

#define ALL_FIELDS (~0u)

/* ---- errors */

/*
 * Map a failed SQLite call to -errno and a message that starts with what
 * we were doing.  Must run before anything else touches the connection:
 * sqlite3_errmsg() describes the most recent call only.
 */
static int store_vfail(struct store *st, int rc, struct pn_err *err, const char *fmt,
		       va_list ap)
{
	const char *detail = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	int sys = st->db ? sqlite3_system_errno(st->db) : 0;
	char what[256];

	vsnprintf(what, sizeof(what), fmt, ap);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return pn_error(err, PN_E_BUSY, EAGAIN,
				"%s: state database busy (%s held by another podnet)", what,
				st->path);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		/* What a user can do about it, as commands: salvage the rows
		 * SQLite can still read, or start over, in which case gc stops
		 * and removes everything of the pods the old state held (their
		 * directories, netns pins, runtime state and CNI attachments
		 * are all "of no pod" then). */
		return pn_error(err, PN_E_STATE, EIO,
				"%s: state database %s is corrupt: %s; to keep what can be read: "
				"sqlite3 %s .recover | sqlite3 %s.new && mv %s.new %s; to start "
				"over (every pod is stopped and removed): mv %s %s.corrupt && podnet gc",
				what, st->path, detail, st->path, st->path, st->path, st->path, st->path,
				st->path);
	case SQLITE_NOMEM:
		return pn_error(err, PN_E_NOMEM, ENOMEM, "%s: out of memory", what);
	case SQLITE_FULL:
		return pn_error(err, PN_E_STATE, ENOSPC, "%s: state database %s: %s", what,
				st->path, detail);
	case SQLITE_READONLY:
		return pn_error(err, PN_E_STATE, EROFS, "%s: state database %s: %s", what,
				st->path, detail);
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return pn_error(err, PN_E_STATE, EACCES, "%s: state database %s: %s", what,
				st->path, detail);
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		/* "disk I/O error" alone hides ENOSPC, EDQUOT, EROFS... */
		if (sys > 0)
			return pn_error(err, PN_E_STATE, sys, "%s: state database %s: %s (%s)", what,
					st->path, detail, strerror(sys));
		return pn_error(err, PN_E_STATE, EIO, "%s: state database %s: %s", what, st->path,
				detail);
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		/* A value the schema refuses: the message names the column. */
		return pn_error(err, PN_E_INVALID, EINVAL, "%s: %s", what, detail);
	default:
		return pn_error(err, PN_E_STATE, EIO, "%s: state database %s: %s", what, st->path,
				detail);
	}
}

static int store_fail(struct store *st, int rc, struct pn_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int store_fail(struct store *st, int rc, struct pn_err *err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = store_vfail(st, rc, err, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * A refusal of the request itself (not found, already exists, forbidden):
 * pn_error() without errno text in details, since no syscall failed.
 */
static int store_vrefuse(struct pn_err *err, int code, int errnum, const char *fmt, va_list ap)
{
	pn_verror(err, code, errnum, fmt, ap);
	pn_err_details_clear(err);
	return -errnum;
}

static int store_refuse(struct pn_err *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int store_refuse(struct pn_err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = store_vrefuse(err, code, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

/* Not found: kubectl's NotFound. */
static int store_notfound(struct pn_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int store_notfound(struct pn_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = store_vrefuse(err, PN_E_NOT_FOUND, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- statements */

static int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out,
			 struct pn_err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return store_fail(st, rc, err, "prepare \"%.60s\"", sql);
	}
	return 0;
}

/* Run statements without parameters (schema, transactions, pragmas). */
static int store_exec(struct store *st, const char *sql, struct pn_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_fail(st, rc, err, "%.60s", sql);
	return 0;
}

static int bind_texts(sqlite3_stmt *stmt, const char *const *args, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = sqlite3_bind_text(stmt, (int)i + 1, args[i], -1, SQLITE_STATIC);

		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Bind the columns of @row selected by @fields, from parameter @first on. */
static int bind_row(sqlite3_stmt *stmt, int first, const struct table *t, const void *row,
		    unsigned fields, int *next)
{
	const char *base = row;
	int i = first, rc = SQLITE_OK;

	for (size_t c = 0; c < t->n_cols && rc == SQLITE_OK; c++) {
		const struct col *col = &t->cols[c];
		const void *p = base + col->off;

		if (fields != ALL_FIELDS && !(col->field & fields))
			continue;
		switch (col->type) {
		case COL_TEXT:
		case COL_ID:
		case COL_UUID:
			rc = sqlite3_bind_text(stmt, i, *(char *const *)p, -1, SQLITE_STATIC);
			break;
		case COL_INT:
			rc = sqlite3_bind_int(stmt, i, *(const int *)p);
			break;
		case COL_PID:
			rc = *(const pid_t *)p ? sqlite3_bind_int(stmt, i, *(const pid_t *)p)
					       : sqlite3_bind_null(stmt, i);
			break;
		case COL_TIME:
			rc = *(const int64_t *)p ? sqlite3_bind_int64(stmt, i, *(const int64_t *)p)
						 : sqlite3_bind_null(stmt, i);
			break;
		case COL_I64:
		case COL_CREATED:
			rc = sqlite3_bind_int64(stmt, i, *(const int64_t *)p);
			break;
		case COL_ENUM: {
			int v = *(const int *)p;

			if (v < 0 || (size_t)v >= col->n_names)
				return SQLITE_RANGE;
			rc = sqlite3_bind_text(stmt, i, col->names[v], -1, SQLITE_STATIC);
			break;
		}
		}
		i++;
	}
	*next = i;
	return rc;
}

static bool col_is_text(const struct col *col)
{
	return col->type == COL_TEXT || col->type == COL_ID || col->type == COL_UUID;
}

static void row_clear(const struct table *t, void *row)
{
	char *base = row;

	if (!row)
		return;
	for (size_t c = 0; c < t->n_cols; c++) {
		if (col_is_text(&t->cols[c])) {
			char **s = (char **)(base + t->cols[c].off);

			free(*s);
			*s = NULL;
		}
	}
}

static void rows_free(const struct table *t, void *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		row_clear(t, (char *)rows + i * t->row_size);
	free(rows);
}

/* Read the current result row (selected in column order) into @row. */
static int read_row(struct store *st, sqlite3_stmt *stmt, const struct table *t, void *row,
		    struct pn_err *err)
{
	char *base = row;

	for (size_t c = 0; c < t->n_cols; c++) {
		const struct col *col = &t->cols[c];
		void *p = base + col->off;
		int i = (int)c;

		switch (col->type) {
		case COL_TEXT:
		case COL_ID:
		case COL_UUID: {
			const unsigned char *s = sqlite3_column_text(stmt, i);

			if (!s && sqlite3_column_type(stmt, i) != SQLITE_NULL)
				return pn_error(err, PN_E_NOMEM, ENOMEM, "read %s.%s", t->name,
						col->name);
			if (s && !(*(char **)p = strdup((const char *)s)))
				return pn_error(err, PN_E_NOMEM, ENOMEM, "read %s.%s", t->name,
						col->name);
			break;
		}
		case COL_INT:
		case COL_PID:
			*(int *)p = sqlite3_column_int(stmt, i);
			break;
		case COL_TIME:
		case COL_I64:
		case COL_CREATED:
			*(int64_t *)p = sqlite3_column_int64(stmt, i);
			break;
		case COL_ENUM: {
			const char *s = (const char *)sqlite3_column_text(stmt, i);
			size_t v;

			for (v = 0; s && v < col->n_names; v++)
				if (!strcmp(s, col->names[v]))
					break;
			if (!s || v == col->n_names)
				return pn_error(err, PN_E_STATE, EIO,
						"state database %s is corrupt: %s.%s is \"%s\"",
						st->path, t->name, col->name, s ? s : "NULL");
			*(int *)p = (int)v;
			break;
		}
		}
	}
	return 0;
}

/*
 * Statements are built from the schema's own names (tables, columns and
 * the WHERE constants of this file), never from values: values are bound.
 */
static void sql_columns(struct pn_buf *sql, const struct table *t, unsigned fields,
			const char *suffix)
{
	bool first = true;

	for (size_t c = 0; c < t->n_cols; c++) {
		if (fields != ALL_FIELDS && !(t->cols[c].field & fields))
			continue;
		pn_buf_printf(sql, "%s%s%s", first ? "" : ", ", t->cols[c].name, suffix);
		first = false;
	}
}

/* Prepare the statement built in @sql, which is freed either way. */
static int sql_prepare(struct store *st, const struct table *t, struct pn_buf *sql,
		       sqlite3_stmt **out, struct pn_err *err)
{
	int ret;

	*out = NULL;
	if (sql->failed)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "statement for %s", t->name);
	else
		ret = store_prepare(st, sql->s, out, err);
	pn_buf_reset(sql);
	return ret;
}

/*
 * SELECT every column of @t WHERE @where (a constant with ?N parameters
 * bound to @args) into a heap array of rows.
 */
static int rows_select(struct store *st, const struct table *t, const char *where,
		       const char *const *args, size_t n_args, void **out, size_t *n_out,
		       struct pn_err *err)
{
	struct pn_buf sql = { 0 };
	sqlite3_stmt *stmt = NULL;
	size_t n = 0, cap = 0;
	char *rows = NULL;
	int ret, rc;

	pn_buf_puts(&sql, "SELECT ");
	sql_columns(&sql, t, ALL_FIELDS, "");
	pn_buf_printf(&sql, " FROM %s%s%s ORDER BY %s", t->name, where ? " WHERE " : "",
		      where ? where : "", t->order);
	ret = sql_prepare(st, t, &sql, &stmt, err);
	if (ret)
		goto out;
	rc = bind_texts(stmt, args, n_args);
	if (rc != SQLITE_OK) {
		ret = store_fail(st, rc, err, "read %s", t->name);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (pn_grow(&rows, &cap, n, t->row_size)) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "read %s", t->name);
			goto out;
		}
		/* Counted before it is read, so that a half-read row is freed. */
		ret = read_row(st, stmt, t, rows + n++ * t->row_size, err);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, err, "read %s", t->name);
		goto out;
	}
	*out = rows;
	*n_out = n;
	rows = NULL;
	n = 0;
	ret = 0;
out:
	sqlite3_finalize(stmt);
	rows_free(t, rows, n);
	return ret;
}

/*
 * Run an INSERT of every column of @row, or an UPDATE of the @fields
 * columns WHERE @key = @key_value.  Returns 0 or the SQLite result code
 * (callers map constraint failures to their own messages), and the number
 * of rows changed in @changes.
 */
static int row_write(struct store *st, const struct table *t, const void *row, unsigned fields,
		     const char *key, const char *key_value, int *changes, int *rc_out,
		     struct pn_err *err)
{
	struct pn_buf sql = { 0 };
	sqlite3_stmt *stmt = NULL;
	int ret, rc, next;

	*rc_out = SQLITE_OK;
	if (!key) {
		pn_buf_printf(&sql, "INSERT INTO %s (", t->name);
		sql_columns(&sql, t, ALL_FIELDS, "");
		pn_buf_puts(&sql, ") VALUES (");
		for (size_t c = 0; c < t->n_cols; c++)
			pn_buf_puts(&sql, c ? ", ?" : "?");
		pn_buf_puts(&sql, ")");
	} else {
		pn_buf_printf(&sql, "UPDATE %s SET ", t->name);
		sql_columns(&sql, t, fields, " = ?");
		pn_buf_printf(&sql, " WHERE %s = ?", key);
	}
	ret = sql_prepare(st, t, &sql, &stmt, err);
	if (ret)
		goto out;
	rc = bind_row(stmt, 1, t, row, key ? fields : ALL_FIELDS, &next);
	if (rc == SQLITE_OK && key)
		rc = sqlite3_bind_text(stmt, next, key_value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	*rc_out = rc;
	*changes = rc == SQLITE_OK ? sqlite3_changes(st->db) : 0;
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* A statement with text parameters and no result rows; *changes set. */
static int store_run(struct store *st, const char *sql, const char *const *args, size_t n_args,
		     int *changes, int *rc_out, struct pn_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret, rc;

	*rc_out = SQLITE_OK;
	ret = store_prepare(st, sql, &stmt, err);
	if (ret)
		goto out;
	rc = bind_texts(stmt, args, n_args);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = SQLITE_OK;
	}
	*rc_out = rc;
	if (changes)
		*changes = rc == SQLITE_OK ? sqlite3_changes(st->db) : 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* SELECT count(*)-like single integer. */
static int store_count(struct store *st, const char *sql, const char *const *args,
		       size_t n_args, int64_t *out, struct pn_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret, rc;

	ret = store_prepare(st, sql, &stmt, err);
	if (ret)
		goto out;
	rc = bind_texts(stmt, args, n_args);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(stmt, 0);
	} else if (rc == SQLITE_DONE) {
		*out = 0;
	} else {
		ret = store_fail(st, rc, err, "%.60s", sql);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* ---- the operations every table's public functions are made of */

static int new_id(char **dst, bool uuid)
{
	char buf[STORE_ID_LEN + 1];
	int ret;

	ret = uuid ? store_new_uuid(buf) : store_new_id(buf);
	if (ret)
		return ret;
	*dst = strdup(buf);
	return *dst ? 0 : -ENOMEM;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* What insert assigns: ids left NULL, creation times left 0. */
static int row_assign(const struct table *t, void *row)
{
	char *base = row;
	int ret = 0;

	for (size_t c = 0; c < t->n_cols && !ret; c++) {
		const struct col *col = &t->cols[c];
		void *p = base + col->off;

		if ((col->type == COL_ID || col->type == COL_UUID) && !*(char **)p)
			ret = new_id(p, col->type == COL_UUID);
		else if (col->type == COL_CREATED && !*(int64_t *)p)
			*(int64_t *)p = now_ns();
	}
	return ret;
}

/*
 * INSERT @row after row_assign().  A failure is reported as @failed, and
 * its SQLite code is left in *rc: a caller that can name the conflict (a
 * key taken, a parent missing) then replaces the report with its own.
 */
static int row_insert(struct store *st, const struct table *t, void *row, int *rc,
		      struct pn_err *err, const char *failed, ...)
	__attribute__((format(printf, 6, 7)));
static int row_insert(struct store *st, const struct table *t, void *row, int *rc,
		      struct pn_err *err, const char *failed, ...)
{
	int ret, changes = 0;
	va_list ap;

	*rc = SQLITE_OK;
	ret = row_assign(t, row);
	if (ret)
		return pn_error(err, PN_E_KERNEL, -ret, "%s: generate ids", t->name);
	ret = row_write(st, t, row, ALL_FIELDS, NULL, NULL, &changes, rc, err);
	if (ret || *rc == SQLITE_OK)
		return ret;
	va_start(ap, failed);
	ret = store_vfail(st, *rc, err, failed, ap);
	va_end(ap);
	return ret;
}

/* One row by a unique key: 0 with *out set, or -ENOENT with @notfound. */
static int row_get(struct store *st, const struct table *t, const char *where,
		   const char *const *args, size_t n_args, void **out, struct pn_err *err,
		   const char *notfound, ...) __attribute__((format(printf, 8, 9)));
static int row_get(struct store *st, const struct table *t, const char *where,
		   const char *const *args, size_t n_args, void **out, struct pn_err *err,
		   const char *notfound, ...)
{
	void *rows = NULL;
	size_t n = 0;
	va_list ap;
	int ret;

	ret = rows_select(st, t, where, args, n_args, &rows, &n, err);
	if (ret)
		return ret;
	if (n == 0) {
		free(rows);
		va_start(ap, notfound);
		ret = store_vrefuse(err, PN_E_NOT_FOUND, ENOENT, notfound, ap);
		va_end(ap);
		return ret;
	}
	/* The keys used here are unique: a second row cannot exist. */
	for (size_t i = 1; i < n; i++)
		row_clear(t, (char *)rows + i * t->row_size);
	*out = rows;
	return 0;
}

/* Every row of @t, or with @value those WHERE @where (one parameter, ?1). */
static int rows_list(struct store *st, const struct table *t, const char *where,
		     const char *value, void **out, size_t *n, struct pn_err *err)
{
	return rows_select(st, t, value ? where : NULL, &value, value ? 1 : 0, out, n, err);
}

/* How an UPDATE or a DELETE of one keyed row ended. */
static int row_changed(struct store *st, int rc, int changes, struct pn_err *err,
		       const char *failed, const char *notfound, va_list ap)
{
	if (rc != SQLITE_OK)
		return store_vfail(st, rc, err, failed, ap);
	if (!changes)
		return store_vrefuse(err, PN_E_NOT_FOUND, ENOENT, notfound, ap);
	return 0;
}

/*
 * UPDATE the @fields columns of the row WHERE @key = @value.  A failure
 * is reported as @failed, no such row as -ENOENT with @notfound; the two
 * formats take the same arguments.
 */
static int row_update(struct store *st, const struct table *t, const void *row,
		      unsigned fields, const char *key, const char *value, struct pn_err *err,
		      const char *failed, const char *notfound, ...)
	__attribute__((format(printf, 8, 10), format(printf, 9, 10)));
static int row_update(struct store *st, const struct table *t, const void *row,
		      unsigned fields, const char *key, const char *value, struct pn_err *err,
		      const char *failed, const char *notfound, ...)
{
	int ret, rc = SQLITE_OK, changes = 0;
	va_list ap;

	ret = row_write(st, t, row, fields, key, value, &changes, &rc, err);
	if (ret)
		return ret;
	va_start(ap, notfound);
	ret = row_changed(st, rc, changes, err, failed, notfound, ap);
	va_end(ap);
	return ret;
}

/* DELETE the rows WHERE @where (?N bound to @args), reported as by row_update(). */
static int row_delete(struct store *st, const struct table *t, const char *where,
		      const char *const *args, size_t n_args, struct pn_err *err,
		      const char *failed, const char *notfound, ...)
	__attribute__((format(printf, 7, 9), format(printf, 8, 9)));
static int row_delete(struct store *st, const struct table *t, const char *where,
		      const char *const *args, size_t n_args, struct pn_err *err,
		      const char *failed, const char *notfound, ...)
{
	struct pn_buf sql = { 0 };
	int ret, rc = SQLITE_OK, changes = 0;
	va_list ap;

	pn_buf_printf(&sql, "DELETE FROM %s WHERE %s", t->name, where);
	if (sql.failed)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "statement for %s", t->name);
	else
		ret = store_run(st, sql.s, args, n_args, &changes, &rc, err);
	pn_buf_reset(&sql);
	if (ret)
		return ret;
	va_start(ap, notfound);
	ret = row_changed(st, rc, changes, err, failed, notfound, ap);
	va_end(ap);
	return ret;
}

/* ---- transactions */

int store_begin(struct store *st, struct pn_err *err)
{
	if (!sqlite3_get_autocommit(st->db))
		return pn_error(err, PN_E_STATE, EBUSY, "begin: a transaction is already open on %s",
				st->path);
	return store_exec(st, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *st, struct pn_err *err)
{
	int ret;

	ret = store_exec(st, "COMMIT", err);
	/*
	 * A failed COMMIT (busy is impossible once BEGIN IMMEDIATE holds the
	 * lock; an I/O error is not) may leave the transaction open: end it so
	 * the caller's undo sees the committed state.
	 */
	if (ret)
		store_rollback(st);
	return ret;
}

void store_rollback(struct store *st)
{
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_end(struct store *st, int ret, struct pn_err *err)
{
	if (ret == 0)
		return store_commit(st, err);
	store_rollback(st);
	return ret;
}

int store_savepoint(struct store *st, struct pn_err *err)
{
	return store_exec(st, "SAVEPOINT podnet_step", err);
}

int store_savepoint_release(struct store *st, struct pn_err *err)
{
	return store_exec(st, "RELEASE podnet_step", err);
}

void store_savepoint_rollback(struct store *st)
{
	/* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
	if (st && st->db && !sqlite3_get_autocommit(st->db)) {
		sqlite3_exec(st->db, "ROLLBACK TO podnet_step", NULL, NULL, NULL);
		sqlite3_exec(st->db, "RELEASE podnet_step", NULL, NULL, NULL);
	}
}

bool store_in_transaction(const struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

/*
 * Multi-statement operations run in the caller's transaction if one is
 * open, otherwise in their own.  Their own is IMMEDIATE too: a deferred
 * one that reads, then writes, could fail busy without waiting.
 */
static int tx_enter(struct store *st, bool *own, struct pn_err *err)
{
	*own = sqlite3_get_autocommit(st->db) != 0;
	return *own ? store_exec(st, "BEGIN IMMEDIATE", err) : 0;
}

static int tx_leave(struct store *st, bool own, int ret, struct pn_err *err)
{
	if (!own)
		return ret;
	if (ret) {
		store_rollback(st);
		return ret;
	}
	return store_commit(st, err);
}

/* ---- ids */

_Static_assert(STORE_ID_LEN == PN_ID_LEN, "store ids are base's random ids");

int store_new_id(char out[STORE_ID_LEN + 1])
{
	return pn_random_id(out);
}

int store_new_uuid(char out[STORE_UUID_LEN + 1])
{
	uint8_t b[16];
	int ret;

	ret = pn_random_bytes(b, sizeof(b));
	if (ret)
		return ret;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 4122 4.4: version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10xx */
	snprintf(out, STORE_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
}

/* ---- owners */

/* State letter and starttime (field 22) of /proc/PID/stat. */
static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	const char *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = pn_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	/* comm may hold spaces and parentheses; fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	if (sscanf(p, "%llu", start) != 1)
		return -EINVAL;
	return 0;
}

int store_owner_self(char **out)
{
	char boot[64], *s = NULL;
	unsigned long long start;
	char state;
	int ret;

	ret = pn_boot_id(boot, sizeof(boot));
	if (ret)
		return ret;
	ret = proc_stat(getpid(), &state, &start);
	if (ret)
		return ret;
	if (asprintf(&s, "%s:%d:%llu", boot, (int)getpid(), start) < 0)
		return -ENOMEM;
	*out = s;
	return 0;
}

bool store_owner_alive(const char *owner)
{
	char boot[64], cur[64], state;
	unsigned long long start, cur_start;
	int pid;

	if (!owner || sscanf(owner, "%63[0-9a-f-]:%d:%llu", boot, &pid, &start) != 3 || pid <= 0)
		return false;
	/* Unknown boot id: cannot tell, and a live owner must not be torn down. */
	if (pn_boot_id(cur, sizeof(cur)) == 0 && strcmp(cur, boot))
		return false;
	if (proc_stat(pid, &state, &cur_start))
		return false;
	/* A zombie holds no locks and runs no more code. */
	return cur_start == start && state != 'Z' && state != 'X';
}

/* ---- open, schema */

static int user_version(struct store *st, int64_t *v, struct pn_err *err)
{
	return store_count(st, "PRAGMA user_version", NULL, 0, v, err);
}

static int store_migrate_locked(struct store *st, int64_t *v, struct pn_err *err)
{
	char sql[64], uid[STORE_UUID_LEN + 1], created[32];
	const char *args[2] = { uid, created };
	int ret, rc, changes;
	bool own = false;

	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = user_version(st, v, err);
	if (ret || *v >= STORE_SCHEMA_VERSION)
		goto out;
	if (*v == 0) {
		ret = store_exec(st, schema_v1, err);
		if (ret)
			goto out;
		ret = store_new_uuid(uid);
		if (ret) {
			ret = pn_error(err, PN_E_KERNEL, -ret, "generate namespace uid");
			goto out;
		}
		snprintf(created, sizeof(created), "%lld", (long long)now_ns());
		ret = store_run(st,
				"INSERT INTO namespaces (name, uid, phase, created_ns)"
				" VALUES ('default', ?1, 'Active', CAST(?2 AS INTEGER))",
				args, 2, &changes, &rc, err);
		if (!ret && rc != SQLITE_OK)
			ret = store_fail(st, rc, err, "create namespace \"default\"");
		if (ret)
			goto out;
	}
	if (*v < 2) {
		ret = store_exec(st, schema_v2, err);
		if (ret)
			goto out;
	}
	if (*v < 3) {
		ret = store_exec(st, schema_v3, err);
		if (ret)
			goto out;
	}
	if (*v < 4) {
		ret = store_exec(st, schema_v4, err);
		if (ret)
			goto out;
	}
	/* Later versions add their steps here, each from the one before. */
	/* PRAGMA takes no parameters; the value is our own constant. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	ret = store_exec(st, sql, err);
	if (!ret)
		*v = STORE_SCHEMA_VERSION;
out:
	return tx_leave(st, own, ret, err);
}

/*
 * Create or migrate the schema in one transaction.  The first check runs
 * without the write lock so that opening an up-to-date database (every
 * `podnet get`) never waits for a writer; the version is read again under
 * the lock because another process may have created the schema between.
 */
static int store_migrate(struct store *st, struct pn_err *err)
{
	int64_t v = 0;
	int ret;

	ret = user_version(st, &v, err);
	if (!ret && v != STORE_SCHEMA_VERSION)
		ret = store_migrate_locked(st, &v, err);
	if (!ret && v > STORE_SCHEMA_VERSION)
		ret = pn_error(err, PN_E_STATE, EPROTO,
			       "state database %s has schema version %lld, newer than this "
			       "podnet's %d; upgrade podnet",
			       st->path, (long long)v, STORE_SCHEMA_VERSION);
	return ret;
}

/*
 * WAL: readers (`get`, `ps`) never block the writer and the writer never
 * blocks them; a killed writer leaves an uncommitted WAL tail that readers
 * ignore and the next writer overwrites.  The mode is persistent in the
 * file; setting it again is a no-op.
 *
 * Switching a new file to WAL needs an exclusive lock, and SQLite returns
 * SQLITE_BUSY there without calling the busy handler: two podnet commands
 * on a fresh node both fail that way (the concurrent-writers test showed
 * it).  So the switch is retried here, within the same busy timeout.
 */
static int store_enable_wal(struct store *st, struct pn_err *err)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	long waited_ms = 0, nap_ms = 1;
	int ret, rc;

	ret = store_prepare(st, "PRAGMA journal_mode = WAL", &stmt, err);
	if (ret)
		goto out;
	while ((rc = sqlite3_step(stmt)) == SQLITE_BUSY || (rc & 0xff) == SQLITE_BUSY) {
		struct timespec ts = { 0, nap_ms * 1000000L };

		if (waited_ms >= STORE_DEFAULT_BUSY_MS)
			break;
		sqlite3_reset(stmt);
		nanosleep(&ts, NULL);
		waited_ms += nap_ms;
		if (nap_ms < 32)
			nap_ms *= 2;
	}
	if (rc != SQLITE_ROW) {
		ret = store_fail(st, rc, err, "set WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || strcmp(mode, "wal")) {
		ret = pn_error(err, PN_E_STATE, EIO, "state database %s: cannot use WAL (mode %s)",
			       st->path, mode ? mode : "?");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(stmt);
	return ret;
}

int store_open(const char *root, struct store **out, struct pn_err *err)
{
	struct store *st = NULL;
	int ret, rc;

	if (!root || !*root)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "state root is empty");
	st = calloc(1, sizeof(*st));
	if (!st || asprintf(&st->path, "%s/state.db", root) < 0) {
		if (st)
			st->path = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "open state database under %s", root);
		goto out;
	}
	st->changes_kept = STORE_CHANGES_KEPT;
	/* Tests make podnetd fall behind the log with a few changes. */
	{
		const char *e = getenv("PODNET_STORE_CHANGES_KEPT");
		char *end;
		long long v = e ? strtoll(e, &end, 10) : 0;

		if (e && *e && !*end && v >= 1 && v <= STORE_CHANGES_KEPT)
			st->changes_kept = v;
	}
	/* Pod specs may carry secrets in env: keep the state private to root. */
	ret = pn_mkdir_p(root, 0700);
	if (ret) {
		ret = pn_error(err, PN_E_STATE, -ret, "create state directory %s", root);
		goto out;
	}
	/*
	 * NOFOLLOW: the state file is never a symlink planted for us.  SQLite
	 * opens its files O_CLOEXEC, so the CNI plugins, runtimes and shims we
	 * exec never inherit them.
	 */
	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = store_fail(st, rc, err, "open");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_DEFAULT_BUSY_MS);
	/* No schema tricks from a tampered file, no writable_schema. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

	ret = store_enable_wal(st, err);
	if (ret)
		goto out;
	/*
	 * synchronous=NORMAL: in WAL mode a commit is then written but not
	 * fsynced; the WAL is fsynced at checkpoints.  A killed process loses
	 * nothing (the data is in the kernel's page cache); only a power loss
	 * or kernel crash can roll back the last commits, and then every pod
	 * process and netns is gone too, so gc reconciles from what remains.
	 * The database is never corrupted either way, and apply avoids one
	 * fsync per step.
	 */
	ret = store_exec(st, "PRAGMA synchronous = NORMAL", err);
	/* Foreign keys are off while the schema migrates (a table rebuilt by
	 * a migration must not cascade to its children), on for every use. */
	if (!ret)
		ret = store_migrate(st, err);
	if (!ret)
		ret = store_exec(st, "PRAGMA foreign_keys = ON", err);
	if (ret)
		goto out;
	*out = st;
	st = NULL;
out:
	store_close(st);
	return ret;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->db) {
		store_rollback(st);
		/* Every statement is finalized by its function: close cannot fail busy. */
		sqlite3_close(st->db);
	}
	free(st->path);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

void store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

/* ---- resourceVersions */

/*
 * Take the next resourceVersion for a change of the @kind row @key and log
 * the change, in the caller's transaction (so the row, its rv and the log
 * are one commit).  The log is trimmed to the last STORE_CHANGES_KEPT
 * every 1024 versions (both smaller with PODNET_STORE_CHANGES_KEPT).
 */
static int store_bump(struct store *st, const char *kind, const char *key,
		      enum store_change_type type, int64_t *rv, struct pn_err *err)
{
	const char *args[4];
	char rvs[32];
	int ret, rc = SQLITE_OK, changes;

	ret = store_count(st, "UPDATE counters SET value = value + 1 WHERE name = 'rv' RETURNING value",
			  NULL, 0, rv, err);
	if (ret)
		return ret;
	snprintf(rvs, sizeof(rvs), "%lld", (long long)*rv);
	args[0] = rvs;
	args[1] = kind;
	args[2] = key;
	args[3] = change_type_names[type];
	ret = store_run(st,
			"INSERT INTO changes (rv, kind, key, type) VALUES (CAST(?1 AS INTEGER), ?2, ?3, ?4)",
			args, 4, &changes, &rc, err);
	if (!ret && rc != SQLITE_OK)
		ret = store_fail(st, rc, err, "log change %s of %s %s", rvs, kind, key);
	if (!ret && *rv % (st->changes_kept < 1024 ? st->changes_kept : 1024) == 0) {
		snprintf(rvs, sizeof(rvs), "%lld", (long long)(*rv - st->changes_kept));
		ret = store_run(st, "DELETE FROM changes WHERE rv <= CAST(?1 AS INTEGER)", args, 1,
				&changes, &rc, err);
		if (!ret && rc != SQLITE_OK)
			ret = store_fail(st, rc, err, "trim the change log");
	}
	return ret;
}

int store_touch(struct store *st, const char *kind, const char *key, int64_t *rv,
		struct pn_err *err)
{
	bool own;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_bump(st, kind, key, STORE_CHANGE_MODIFIED, rv, err);
	return tx_leave(st, own, ret, err);
}

int store_touch_type(struct store *st, const char *kind, const char *key,
		     enum store_change_type type, int64_t *rv, struct pn_err *err)
{
	bool own;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_bump(st, kind, key, type, rv, err);
	return tx_leave(st, own, ret, err);
}

int store_rv(struct store *st, int64_t *rv, struct pn_err *err)
{
	return store_count(st, "SELECT value FROM counters WHERE name = 'rv'", NULL, 0, rv, err);
}

int store_rv_reserve(struct store *st, int64_t count, int64_t *last, struct pn_err *err)
{
	char cs[32];
	const char *args[] = { cs };
	bool own;
	int ret;

	if (count < 1)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "reserve %lld resourceVersions",
				(long long)count);
	snprintf(cs, sizeof(cs), "%lld", (long long)count);
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_count(st,
			  "UPDATE counters SET value = value + CAST(?1 AS INTEGER) WHERE name = 'rv' "
			  "RETURNING value",
			  args, 1, last, err);
	return tx_leave(st, own, ret, err);
}

int store_changes(struct store *st, int64_t after, struct store_change **out, size_t *n,
		  struct pn_err *err)
{
	char rvs[32];
	const char *args[] = { rvs };
	int64_t oldest = 0, now = 0;
	bool own = false;
	int ret;

	*out = NULL;
	*n = 0;
	snprintf(rvs, sizeof(rvs), "%lld", (long long)after);
	/* One read snapshot: the oldest kept and the list agree. */
	own = sqlite3_get_autocommit(st->db) != 0;
	if (own) {
		ret = store_exec(st, "BEGIN", err);
		if (ret)
			return ret;
	}
	ret = store_count(st, "SELECT value FROM counters WHERE name = 'rv'", NULL, 0, &now, err);
	if (!ret)
		ret = store_count(st, "SELECT coalesce(min(rv), 0) FROM changes", NULL, 0, &oldest, err);
	if (!ret && after < now && (oldest == 0 || oldest > after + 1))
		ret = store_refuse(err, PN_E_CONFLICT, ESTALE,
				   "changes after resourceVersion %lld are no longer kept (oldest %lld)",
				   (long long)after, (long long)oldest);
	if (!ret)
		ret = rows_select(st, &change_table, "rv > CAST(?1 AS INTEGER)", args, 1, (void **)out,
				  n, err);
	if (own)
		store_rollback(st);
	return ret;
}

void store_change_array_free(struct store_change *a, size_t n)
{
	rows_free(&change_table, a, n);
}

int store_data_version(struct store *st, int64_t *v, struct pn_err *err)
{
	return store_count(st, "PRAGMA data_version", NULL, 0, v, err);
}

/* ---- namespaces */

void store_namespace_free(struct store_namespace *ns)
{
	row_clear(&ns_table, ns);
	free(ns);
}

void store_namespace_array_free(struct store_namespace *a, size_t n)
{
	rows_free(&ns_table, a, n);
}

int store_namespace_add(struct store *st, struct store_namespace *ns, struct pn_err *err)
{
	int ret, rc;

	bool own = false;

	if (!ns->name || !*ns->name)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "namespace name is empty");
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_bump(st, "namespaces", ns->name, STORE_CHANGE_ADDED, &ns->rv, err);
	if (!ret) {
		ret = row_insert(st, &ns_table, ns, &rc, err, "create namespaces \"%s\"", ns->name);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
					   "namespaces \"%s\" already exists", ns->name);
	}
	return tx_leave(st, own, ret, err);
}

int store_namespace_get(struct store *st, const char *name, struct store_namespace **out,
			struct pn_err *err)
{
	const char *args[] = { name };

	return row_get(st, &ns_table, "name = ?1", args, 1, (void **)out, err,
		       "namespaces \"%s\" not found", name);
}

int store_namespace_list(struct store *st, struct store_namespace **out, size_t *n,
			 struct pn_err *err)
{
	return rows_list(st, &ns_table, NULL, NULL, (void **)out, n, err);
}

static int namespace_forbidden(const char *name, struct pn_err *err)
{
	/* kubectl: namespaces "default" is forbidden: this namespace may not be deleted */
	return store_refuse(err, PN_E_FORBIDDEN, EPERM,
			    "namespaces \"%s\" is forbidden: this namespace may not be deleted",
			    name);
}

int store_namespace_set_terminating(struct store *st, const char *name, struct pn_err *err)
{
	struct store_namespace ns = { .phase = STORE_NS_TERMINATING };
	bool own = false;
	int ret;

	if (!strcmp(name, "default"))
		return namespace_forbidden(name, err);
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_bump(st, "namespaces", name, STORE_CHANGE_MODIFIED, &ns.rv, err);
	if (!ret)
		ret = row_update(st, &ns_table, &ns, NS_F_PHASE | NS_F_RV, "name", name, err,
				 "terminate namespaces \"%s\"", "namespaces \"%s\" not found", name);
	return tx_leave(st, own, ret, err);
}

int store_namespace_set_spec(struct store *st, const char *name, const char *spec_json,
			     struct pn_err *err)
{
	struct store_namespace ns = { .spec_json = (char *)spec_json };
	bool own = false;
	int ret;

	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_bump(st, "namespaces", name, STORE_CHANGE_MODIFIED, &ns.rv, err);
	if (!ret)
		ret = row_update(st, &ns_table, &ns, NS_F_SPEC | NS_F_RV, "name", name, err,
				 "update namespaces \"%s\"", "namespaces \"%s\" not found", name);
	return tx_leave(st, own, ret, err);
}

int store_namespace_delete(struct store *st, const char *name, struct pn_err *err)
{
	const char *args[] = { name };
	int64_t pods = 0;
	bool own = false;
	int ret, rc = SQLITE_OK;

	if (!strcmp(name, "default"))
		return namespace_forbidden(name, err);
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_count(st, "SELECT count(*) FROM pods WHERE namespace = ?1", args, 1, &pods,
			  err);
	if (!ret && pods)
		ret = store_refuse(err, PN_E_CONFLICT, ENOTEMPTY,
				   "namespaces \"%s\" still has %lld pod%s", name, (long long)pods,
				   pods == 1 ? "" : "s");
	if (!ret) {
		int64_t rv;

		ret = store_bump(st, "namespaces", name, STORE_CHANGE_DELETED, &rv, err);
	}
	/* Its NetworkPolicies and Services go with it (ON DELETE CASCADE): their changes
	 * are logged here, so a watcher learns they are gone. */
	if (!ret) {
		struct store_netpol *nps = NULL;
		size_t nnp = 0;
		int64_t rv;

		struct store_service *svcs = NULL;
		size_t nsvc = 0;

		ret = store_netpol_list(st, name, &nps, &nnp, err);
		for (size_t i = 0; !ret && i < nnp; i++)
			ret = store_bump(st, "networkpolicies", nps[i].uid, STORE_CHANGE_DELETED, &rv,
					 err);
		store_netpol_array_free(nps, nnp);
		if (!ret)
			ret = store_service_list(st, name, &svcs, &nsvc, err);
		for (size_t i = 0; !ret && i < nsvc; i++)
			ret = store_bump(st, "services", svcs[i].uid, STORE_CHANGE_DELETED, &rv, err);
		store_service_array_free(svcs, nsvc);
	}
	/* Its events go with it, as kube-apiserver's namespace deletion
	 * removes every object of the namespace. */
	if (!ret)
		ret = store_run(st, "DELETE FROM events WHERE namespace = ?1", args, 1, NULL, &rc, err);
	if (!ret)
		ret = row_delete(st, &ns_table, "name = ?1", args, 1, err,
				 "delete namespaces \"%s\"", "namespaces \"%s\" not found", name);
	return tx_leave(st, own, ret, err);
}

/* ---- NetworkPolicies */

void store_netpol_free(struct store_netpol *np)
{
	row_clear(&np_table, np);
	free(np);
}

void store_netpol_array_free(struct store_netpol *a, size_t n)
{
	rows_free(&np_table, a, n);
}

int store_netpol_insert(struct store *st, struct store_netpol *np, struct pn_err *err)
{
	bool own = false;
	int ret, rc;

	if (!np->namespace_ || !np->name || !np->spec_json)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "networkpolicy without namespace, name or object");
	if (!np->generation)
		np->generation = 1;
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = row_insert(st, &np_table, np, &rc, err, "create networkpolicies.networking.k8s.io \"%s\"",
			 np->name);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		ret = store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
				   "networkpolicies.networking.k8s.io \"%s\" already exists", np->name);
	else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		ret = store_refuse(err, PN_E_NOT_FOUND, ENOENT, "namespaces \"%s\" not found",
				   np->namespace_);
	if (!ret)
		ret = store_bump(st, "networkpolicies", np->uid, STORE_CHANGE_ADDED, &np->rv, err);
	if (!ret)
		ret = row_update(st, &np_table, np, NP_F_RV, "uid", np->uid, err,
				 "create networkpolicies.networking.k8s.io \"%s\"",
				 "networkpolicies.networking.k8s.io \"%s\" not found", np->name);
	return tx_leave(st, own, ret, err);
}

int store_netpol_get(struct store *st, const char *namespace_, const char *name,
		     struct store_netpol **out, struct pn_err *err)
{
	const char *args[] = { namespace_, name };

	return row_get(st, &np_table, "namespace = ?1 AND name = ?2", args, 2, (void **)out, err,
		       "networkpolicies.networking.k8s.io \"%s\" not found", name);
}

int store_netpol_get_by_uid(struct store *st, const char *uid, struct store_netpol **out,
			    struct pn_err *err)
{
	const char *args[] = { uid };

	return row_get(st, &np_table, "uid = ?1", args, 1, (void **)out, err,
		       "networkpolicy %s not found", uid);
}

int store_netpol_list(struct store *st, const char *namespace_, struct store_netpol **out,
		      size_t *n, struct pn_err *err)
{
	return rows_list(st, &np_table, "namespace = ?1", namespace_, (void **)out, n, err);
}

int store_netpol_update(struct store *st, const struct store_netpol *np, unsigned fields,
			struct pn_err *err)
{
	struct store_netpol copy = *np;
	bool own = false;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_bump(st, "networkpolicies", np->uid, STORE_CHANGE_MODIFIED, &copy.rv, err);
	if (!ret)
		ret = row_update(st, &np_table, &copy, fields | NP_F_RV, "uid", np->uid, err,
				 "update networkpolicies.networking.k8s.io \"%s\"",
				 "networkpolicies.networking.k8s.io \"%s\" not found", np->name);
	return tx_leave(st, own, ret, err);
}

int store_netpol_delete(struct store *st, const char *namespace_, const char *name,
			struct pn_err *err)
{
	const char *args[] = { namespace_, name };
	struct store_netpol *np = NULL;
	bool own = false;
	int64_t rv;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_netpol_get(st, namespace_, name, &np, err);
	if (!ret)
		ret = store_bump(st, "networkpolicies", np->uid, STORE_CHANGE_DELETED, &rv, err);
	if (!ret)
		ret = row_delete(st, &np_table, "namespace = ?1 AND name = ?2", args, 2, err,
				 "delete networkpolicies.networking.k8s.io \"%s\"",
				 "networkpolicies.networking.k8s.io \"%s\" not found", name);
	if (np)
		store_netpol_free(np);
	return tx_leave(st, own, ret, err);
}

/* ---- pods */

void store_pod_free(struct store_pod *p)
{
	row_clear(&pod_table, p);
	free(p);
}

void store_pod_array_free(struct store_pod *a, size_t n)
{
	rows_free(&pod_table, a, n);
}

/* What insert fills in besides ids and times; on failure @p keeps it. */
static int pod_assign(struct store_pod *p, struct pn_err *err)
{
	int ret;

	if (!p->name || !*p->name)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "pod name is empty");
	if (!p->spec_json)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "pods \"%s\": no spec",
				p->name);
	if (!p->namespace_ && !(p->namespace_ = strdup("default")))
		return pn_error(err, PN_E_NOMEM, ENOMEM, "pods \"%s\"", p->name);
	if (p->state != STORE_POD_READY && !p->owner) {
		ret = store_owner_self(&p->owner);
		if (ret)
			return pn_error(err, PN_E_KERNEL, -ret, "pods \"%s\": identify this process",
					p->name);
	}
	return 0;
}

int store_pod_insert(struct store *st, struct store_pod *p, struct pn_err *err)
{
	const char *args[2];
	int ret, rc = SQLITE_OK;
	int64_t taken = 0;
	bool own = false;

	ret = pod_assign(p, err);
	if (ret)
		return ret;
	args[0] = p->namespace_;
	args[1] = p->name;
	/* The namespace check and the insert see one snapshot. */
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_count(st,
			  "SELECT CASE phase WHEN 'Active' THEN 1 ELSE 2 END"
			  " FROM namespaces WHERE name = ?1",
			  args, 1, &taken, err);
	if (ret)
		goto out;
	if (taken == 0) {
		ret = store_notfound(err, ENOENT, "namespaces \"%s\" not found", p->namespace_);
		goto out;
	}
	if (taken == 2) {
		ret = store_refuse(err, PN_E_FORBIDDEN, EPERM,
				   "pods \"%s\" is forbidden: unable to create new content in "
				   "namespace %s because it is being terminated",
				   p->name, p->namespace_);
		goto out;
	}
	/* The uid first: the change log names the row by it. */
	ret = row_assign(&pod_table, p);
	if (ret) {
		ret = pn_error(err, PN_E_KERNEL, -ret, "pods \"%s\": generate ids", p->name);
		goto out;
	}
	ret = store_bump(st, "pods", p->uid, STORE_CHANGE_ADDED, &p->rv, err);
	if (ret)
		goto out;
	ret = row_insert(st, &pod_table, p, &rc, err, "create pods \"%s\"", p->name);
	if (rc != SQLITE_CONSTRAINT_UNIQUE && rc != SQLITE_CONSTRAINT_PRIMARYKEY)
		goto out;
	/* Which key: the name (the common case) or a caller-chosen id. */
	ret = store_count(st, "SELECT count(*) FROM pods WHERE namespace = ?1 AND name = ?2",
			  args, 2, &taken, err);
	if (ret)
		goto out;
	if (taken)
		ret = store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST, "pods \"%s\" already exists", p->name);
	else
		ret = store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
				   "pods \"%s\": uid %s, sandbox %s or netns %s already in use",
				   p->name, p->uid, p->sandbox_id,
				   p->netns_path ? p->netns_path : "-");
out:
	return tx_leave(st, own, ret, err);
}

int store_pod_update(struct store *st, const struct store_pod *p, unsigned fields,
		     struct pn_err *err)
{
	struct store_pod copy = *p;
	char *owner = NULL;
	int ret;

	if (!p->uid)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "pod update without uid");
	fields &= STORE_POD_F_STATE | STORE_POD_F_PHASE | STORE_POD_F_NETNS | STORE_POD_F_IPS |
		  STORE_POD_F_SHIM_PID | STORE_POD_F_PAUSE_PID | STORE_POD_F_STARTED |
		  STORE_POD_F_SPEC | STORE_POD_F_STATUS | STORE_POD_F_DELETION | STORE_POD_F_SANDBOX;
	if ((fields & STORE_POD_F_SANDBOX) && !p->sandbox_id)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "pod %s: new sandbox id missing", p->uid);
	if (!fields)
		return 0;
	/* The process that starts a step owns the row until it is ready. */
	if (fields & STORE_POD_F_STATE) {
		if (p->state != STORE_POD_READY) {
			ret = store_owner_self(&owner);
			if (ret)
				return pn_error(err, PN_E_KERNEL, -ret,
						"pod %s: identify this process", p->uid);
		}
		copy.owner = owner;
	}
	{
		bool own = false;

		ret = tx_enter(st, &own, err);
		if (!ret)
			ret = store_bump(st, "pods", p->uid, STORE_CHANGE_MODIFIED, &copy.rv, err);
		if (!ret)
			ret = row_update(st, &pod_table, &copy, fields | POD_F_RV, "uid", p->uid, err,
					 "update pod %s", "pod with uid \"%s\" not found", p->uid);
		ret = tx_leave(st, own, ret, err);
	}
	free(owner);
	return ret;
}

int store_pod_get(struct store *st, const char *uid, struct store_pod **out, struct pn_err *err)
{
	const char *args[] = { uid };

	return row_get(st, &pod_table, "uid = ?1", args, 1, (void **)out, err,
		       "pod with uid \"%s\" not found", uid);
}

int store_pod_get_by_name(struct store *st, const char *namespace_, const char *name,
			  struct store_pod **out, struct pn_err *err)
{
	const char *args[] = { namespace_ ? namespace_ : "default", name };

	return row_get(st, &pod_table, "namespace = ?1 AND name = ?2", args, 2, (void **)out,
		       err, "pods \"%s\" not found", name);
}

static int id_range(const char *prefix, char lo[STORE_ID_LEN + 1], char hi[STORE_ID_LEN + 1])
{
	size_t n = strlen(prefix);

	if (n == 0 || n > STORE_ID_LEN)
		return 1;
	for (size_t i = 0; i < n; i++) {
		char c = prefix[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 1;
		lo[i] = hi[i] = c;
	}
	lo[n] = hi[n] = '\0';
	hi[n - 1]++;
	return 0;
}

static int find_by_prefix(struct store *st, const struct table *t, const char *where,
			  const char *prefix, const char *noun, void **out, struct pn_err *err)
{
	char lo[STORE_ID_LEN + 1], hi[STORE_ID_LEN + 1];
	const char *args[] = { lo, hi };
	void *rows = NULL;
	size_t n = 0;
	int ret;

	if (id_range(prefix, lo, hi))
		return store_notfound(err, ENOENT, "%s \"%s\" not found", noun, prefix);
	ret = rows_select(st, t, where, args, 2, &rows, &n, err);
	if (ret)
		return ret;
	if (n == 1) {
		*out = rows;
		return 0;
	}
	rows_free(t, rows, n);
	if (n == 0)
		return store_notfound(err, ENOENT, "%s \"%s\" not found", noun, prefix);
	return store_refuse(err, PN_E_BAD_REQUEST, ENOTUNIQ,
			    "%s ID prefix \"%s\" is ambiguous: %zu candidates", noun, prefix, n);
}

int store_pod_find(struct store *st, const char *id_prefix, struct store_pod **out,
		   struct pn_err *err)
{
	return find_by_prefix(st, &pod_table, "sandbox_id >= ?1 AND sandbox_id < ?2", id_prefix,
			      "pod sandbox", (void **)out, err);
}

int store_pod_list(struct store *st, const char *namespace_, struct store_pod **out, size_t *n,
		   struct pn_err *err)
{
	return rows_list(st, &pod_table, "namespace = ?1", namespace_, (void **)out, n, err);
}

int store_pod_delete(struct store *st, const char *uid, struct pn_err *err)
{
	const char *args[] = { uid };

	int64_t rv;
	bool own = false;
	int ret;

	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_bump(st, "pods", uid, STORE_CHANGE_DELETED, &rv, err);
	/* ON DELETE CASCADE removes containers and attachments in the same statement. */
	if (!ret)
		ret = row_delete(st, &pod_table, "uid = ?1", args, 1, err, "delete pod %s",
				 "pod with uid \"%s\" not found", uid);
	return tx_leave(st, own, ret, err);
}

/* ---- containers */

void store_container_free(struct store_container *c)
{
	store_container_clear(c);
	free(c);
}

void store_container_clear(struct store_container *c)
{
	row_clear(&ctr_table, c);
}

void store_container_array_free(struct store_container *a, size_t n)
{
	rows_free(&ctr_table, a, n);
}

int store_container_insert(struct store *st, struct store_container *c, struct pn_err *err)
{
	const char *args[2];
	int64_t taken = 0;
	int ret, rc;

	if (!c->name || !*c->name || !c->pod_uid || !c->image)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"container needs a name, a pod and an image");
	ret = row_insert(st, &ctr_table, c, &rc, err, "create containers \"%s\"", c->name);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return store_notfound(err, ENOENT, "pod with uid \"%s\" not found", c->pod_uid);
	if (rc != SQLITE_CONSTRAINT_UNIQUE && rc != SQLITE_CONSTRAINT_PRIMARYKEY)
		return ret;
	/* Which key: the name (the common case), or a caller-chosen id or index. */
	args[0] = c->pod_uid;
	args[1] = c->name;
	ret = store_count(st, "SELECT count(*) FROM containers WHERE pod_uid = ?1 AND name = ?2",
			  args, 2, &taken, err);
	if (ret)
		return ret;
	if (taken)
		return store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
				    "containers \"%s\" already exists in pod %s", c->name,
				    c->pod_uid);
	return store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
			    "containers \"%s\": id %s or index %d already in use", c->name, c->id,
			    c->idx);
}

int store_container_update(struct store *st, const struct store_container *c, unsigned fields,
			   struct pn_err *err)
{
	if (!c->id)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "container update without id");
	fields &= STORE_CTR_F_STATE | STORE_CTR_F_PID | STORE_CTR_F_EXIT | STORE_CTR_F_REASON |
		  STORE_CTR_F_STARTED | STORE_CTR_F_FINISHED | STORE_CTR_F_RESTARTS |
		  STORE_CTR_F_LOG_PATH | STORE_CTR_F_LAST;
	if (!fields)
		return 0;
	return row_update(st, &ctr_table, c, fields, "id", c->id, err, "update container %s",
			  "container \"%s\" not found", c->id);
}

int store_container_list(struct store *st, const char *pod_uid, struct store_container **out,
			 size_t *n, struct pn_err *err)
{
	return rows_list(st, &ctr_table, "pod_uid = ?1", pod_uid, (void **)out, n, err);
}

int store_container_find(struct store *st, const char *id_prefix, struct store_container **out,
			 struct pn_err *err)
{
	return find_by_prefix(st, &ctr_table, "id >= ?1 AND id < ?2", id_prefix, "container",
			      (void **)out, err);
}

int store_container_get_by_name(struct store *st, const char *pod_uid, const char *name,
				struct store_container **out, struct pn_err *err)
{
	const char *args[] = { pod_uid, name };

	/* kubectl: container c9 is not valid for pod pod1 */
	return row_get(st, &ctr_table, "pod_uid = ?1 AND name = ?2", args, 2, (void **)out, err,
		       "container %s is not valid for pod %s", name, pod_uid);
}

/* ---- attachments */

void store_attachment_array_free(struct store_attachment *a, size_t n)
{
	rows_free(&att_table, a, n);
}

int store_attachment_add(struct store *st, struct store_attachment *a, struct pn_err *err)
{
	int ret, rc;

	if (!a->pod_uid || !a->network || !a->ifname || !a->container_id)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL,
				"attachment needs a pod, a network, an ifname and a container id");
	ret = row_insert(st, &att_table, a, &rc, err, "add attachment %s/%s", a->network,
			 a->ifname);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return store_notfound(err, ENOENT, "pod with uid \"%s\" not found", a->pod_uid);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
				    "attachment %s/%s of pod %s already exists", a->network,
				    a->ifname, a->pod_uid);
	return ret;
}

int store_attachment_remove_all(struct store *st, const char *pod_uid, struct pn_err *err)
{
	const char *args[] = { pod_uid };
	int ret;

	ret = row_delete(st, &att_table, "pod_uid = ?1", args, 1, err,
			 "remove the attachments of pod %s", "pod %s has no attachment", pod_uid);
	if (ret == -ENOENT) {
		pn_err_free(err);
		ret = 0;
	}
	return ret;
}

int store_attachment_list(struct store *st, const char *pod_uid, struct store_attachment **out,
			  size_t *n, struct pn_err *err)
{
	return rows_list(st, &att_table, "pod_uid = ?1", pod_uid, (void **)out, n, err);
}

/* ---- events */

void store_event_free(struct store_event *ev)
{
	row_clear(&ev_table, ev);
	free(ev);
}

void store_event_array_free(struct store_event *a, size_t n)
{
	rows_free(&ev_table, a, n);
}

int store_event_record(struct store *st, struct store_event *ev, struct pn_err *err)
{
	const char *args[4];
	struct store_event *same = NULL;
	size_t n = 0;
	bool own = false;
	int ret, rc = SQLITE_OK;

	if (!ev->namespace_ || !ev->obj_kind || !ev->obj_name || !ev->reason || !ev->message)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "an event needs its object and reason");
	if (!ev->type && !(ev->type = strdup("Normal")))
		return pn_error(err, PN_E_NOMEM, ENOMEM, "record event");
	if (!ev->component && !(ev->component = strdup("kubelet")))
		return pn_error(err, PN_E_NOMEM, ENOMEM, "record event");
	if (!ev->first_ns)
		ev->first_ns = now_ns();
	if (!ev->last_ns)
		ev->last_ns = ev->first_ns;
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	/* kubelet's aggregation: the same thing again is a count, not a row. */
	args[0] = ev->obj_uid;
	args[1] = ev->reason;
	args[2] = ev->message;
	args[3] = ev->obj_field;
	ret = rows_select(st, &ev_table,
			  "obj_uid IS ?1 AND reason = ?2 AND message = ?3 AND obj_field IS ?4", args, 4,
			  (void **)&same, &n, err);
	if (ret)
		goto out;
	if (n) {
		same->count++;
		same->last_ns = ev->last_ns;
		ret = store_bump(st, "events", same->uid, STORE_CHANGE_MODIFIED, &same->rv, err);
		if (!ret)
			ret = row_update(st, &ev_table, same, EV_F_COUNT | EV_F_RV, "uid", same->uid, err,
					 "count event %s", "event %s not found", same->uid);
		if (!ret) {
			/* The caller sees the stored event. */
			struct store_event tmp = *ev;

			*ev = *same;
			*same = tmp;
		}
		goto out;
	}
	ret = row_assign(&ev_table, ev);
	if (ret) {
		ret = pn_error(err, PN_E_KERNEL, -ret, "events: generate ids");
		goto out;
	}
	if (!ev->name) {
		/* kubelet names an event "<object>.<nanoseconds in hex>". */
		if (asprintf(&ev->name, "%s.%llx", ev->obj_name, (unsigned long long)ev->first_ns) < 0) {
			ev->name = NULL;
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "record event");
			goto out;
		}
	}
	ev->count = ev->count > 0 ? ev->count : 1;
	ret = store_bump(st, "events", ev->uid, STORE_CHANGE_ADDED, &ev->rv, err);
	if (!ret)
		ret = row_insert(st, &ev_table, ev, &rc, err, "record event %s", ev->name);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		ret = store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST, "events \"%s\" already exists",
				   ev->name);
out:
	store_event_array_free(same, n);
	return tx_leave(st, own, ret, err);
}

int store_event_list(struct store *st, const char *namespace_, struct store_event **out,
		     size_t *n, struct pn_err *err)
{
	return rows_list(st, &ev_table, "namespace = ?1", namespace_, (void **)out, n, err);
}

int store_event_get(struct store *st, const char *uid, struct store_event **out,
		    struct pn_err *err)
{
	const char *args[] = { uid };

	return row_get(st, &ev_table, "uid = ?1", args, 1, (void **)out, err,
		       "event with uid \"%s\" not found", uid);
}

int store_event_delete(struct store *st, const char *uid, struct pn_err *err)
{
	const char *args[] = { uid };
	int64_t rv;
	bool own = false;
	int ret;

	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = store_bump(st, "events", uid, STORE_CHANGE_DELETED, &rv, err);
	if (!ret)
		ret = row_delete(st, &ev_table, "uid = ?1", args, 1, err, "delete event %s",
				 "event with uid \"%s\" not found", uid);
	return tx_leave(st, own, ret, err);
}

int store_event_expire(struct store *st, int64_t before_ns, size_t *n, struct pn_err *err)
{
	char before[32];
	const char *args[] = { before };
	struct store_event *old = NULL;
	size_t k = 0;
	bool own = false;
	int ret;

	*n = 0;
	snprintf(before, sizeof(before), "%lld", (long long)before_ns);
	ret = tx_enter(st, &own, err);
	if (ret)
		return ret;
	ret = rows_select(st, &ev_table, "last_ns < CAST(?1 AS INTEGER)", args, 1, (void **)&old, &k,
			  err);
	for (size_t i = 0; !ret && i < k; i++)
		ret = store_event_delete(st, old[i].uid, err);
	if (!ret)
		*n = k;
	store_event_array_free(old, k);
	return tx_leave(st, own, ret, err);
}

/* ---- services */

void store_service_free(struct store_service *s)
{
	row_clear(&svc_table, s);
	free(s);
}

void store_service_array_free(struct store_service *a, size_t n)
{
	rows_free(&svc_table, a, n);
}

static int service_insert(struct store *st, struct store_service *s, struct pn_err *err)
{
	int ret, rc;

	ret = row_insert(st, &svc_table, s, &rc, err, "create services \"%s\"", s->name);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		/* Which key: the name, or the address? */
		struct store_service *old = NULL;

		if (store_service_get(st, s->namespace_, s->name, &old, NULL) == 0) {
			store_service_free(old);
			return store_refuse(err, PN_E_ALREADY_EXISTS, EEXIST,
					    "services \"%s\" already exists", s->name);
		}
		return store_refuse(err, PN_E_CONFLICT, EADDRINUSE, "provided IP is already allocated");
	}
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return store_refuse(err, PN_E_NOT_FOUND, ENOENT, "namespaces \"%s\" not found",
				    s->namespace_);
	return ret;
}

int store_service_insert(struct store *st, struct store_service *s, struct pn_err *err)
{
	bool own = false;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = service_insert(st, s, err);
	if (!ret)
		ret = store_bump(st, "services", s->uid, STORE_CHANGE_ADDED, &s->rv, err);
	if (!ret)
		ret = row_update(st, &svc_table, s, SVC_F_RV, "uid", s->uid, err,
				 "create services \"%s\"", "services \"%s\" not found", s->name);
	return tx_leave(st, own, ret, err);
}

int store_service_update_spec(struct store *st, const struct store_service *s, struct pn_err *err)
{
	struct store_service copy = *s;
	bool own = false;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_bump(st, "services", s->uid, STORE_CHANGE_MODIFIED, &copy.rv, err);
	if (!ret)
		ret = row_update(st, &svc_table, &copy, SVC_F_SPEC | SVC_F_RV, "uid", s->uid, err,
				 "update services \"%s\"", "services \"%s\" not found", s->name);
	return tx_leave(st, own, ret, err);
}

int store_service_get(struct store *st, const char *namespace_, const char *name,
		      struct store_service **out, struct pn_err *err)
{
	const char *args[] = { namespace_, name };

	return row_get(st, &svc_table, "namespace = ?1 AND name = ?2", args, 2, (void **)out, err,
		       "services \"%s\" not found", name);
}

int store_service_get_by_uid(struct store *st, const char *uid, struct store_service **out,
			     struct pn_err *err)
{
	const char *args[] = { uid };

	return row_get(st, &svc_table, "uid = ?1", args, 1, (void **)out, err,
		       "service %s not found", uid);
}

int store_service_list(struct store *st, const char *namespace_, struct store_service **out,
		       size_t *n, struct pn_err *err)
{
	return rows_list(st, &svc_table, "namespace = ?1", namespace_, (void **)out, n, err);
}

int store_service_delete(struct store *st, const char *uid, struct pn_err *err)
{
	const char *args[] = { uid };
	bool own = false;
	int64_t rv;
	int ret = tx_enter(st, &own, err);

	if (ret)
		return ret;
	ret = store_bump(st, "services", uid, STORE_CHANGE_DELETED, &rv, err);
	if (!ret)
		ret = row_delete(st, &svc_table, "uid = ?1", args, 1, err, "delete service %s",
				 "service %s not found", uid);
	return tx_leave(st, own, ret, err);
}

int store_node_port_claim(struct store *st, const char *uid, const char *protocol, int port,
			  struct pn_err *err)
{
	char num[16];
	const char *args[] = { protocol, num, uid };
	int ret, rc = SQLITE_OK, changes = 0;

	snprintf(num, sizeof(num), "%d", port);
	ret = store_run(st,
			"INSERT INTO node_ports (protocol, port, service_uid)"
			" VALUES (?1, CAST(?2 AS INTEGER), ?3)",
			args, 3, &changes, &rc, err);
	if (ret)
		return ret;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return store_refuse(err, PN_E_CONFLICT, EADDRINUSE, "provided port is already allocated");
	if (rc != SQLITE_OK)
		return store_fail(st, rc, err, "claim node port %s/%d", protocol, port);
	return 0;
}

int store_node_ports_release(struct store *st, const char *uid, struct pn_err *err)
{
	const char *args[] = { uid };
	int ret, rc = SQLITE_OK, changes = 0;

	ret = store_run(st, "DELETE FROM node_ports WHERE service_uid = ?1", args, 1, &changes, &rc,
			err);
	if (!ret && rc != SQLITE_OK)
		ret = store_fail(st, rc, err, "release node ports of %s", uid);
	return ret;
}

int store_host_port_claim(struct store *st, const char *pod_uid, const char *protocol, int port,
			  struct pn_err *err)
{
	char num[16];
	const char *args[] = { protocol, num, pod_uid };
	int ret, rc = SQLITE_OK, changes = 0;

	snprintf(num, sizeof(num), "%d", port);
	ret = store_run(st,
			"INSERT INTO host_ports (protocol, port, pod_uid)"
			" VALUES (?1, CAST(?2 AS INTEGER), ?3)",
			args, 3, &changes, &rc, err);
	if (ret)
		return ret;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return store_refuse(err, PN_E_CONFLICT, EADDRINUSE, "host port %s/%d is taken",
				    protocol, port);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, err, "claim host port %s/%d", protocol, port);
	return 0;
}
