/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lease store of podnet-ipam (layout in ipam.h).
 *
 * One inode per attachment.  ADD creates by-attachment/<id>-<ifname> with
 * O_EXCL (which also finds an attachment that exists), writes the whole
 * lease into it ("containerid\nifname\nnetns\nbootid\ncreated_unix\n"),
 * then for each address appends "<ip>\n" to it and link(2)s it to the
 * address's name, so the lease and the index are hard links of one file:
 * one file creation per ADD, however many range sets; lease readers stop
 * after the five fields, the index reader reads the address lines.  A
 * lease of a temp file (".tmp.<pid>.<n>", linked then unlinked) is only
 * made when another attachment's live index holds our index name.
 *
 * What a killed process (SIGKILL at any instruction; not power loss) can
 * leave, and why none of it hurts:
 *  - A lease name is link(2)ed to an inode whose lease fields are fully
 *    written, so a lease exists whole or not at all.
 *  - Every address is appended to the index *before* the link(2) that may
 *    take it: every lease is named by its attachment's index, DEL never
 *    misses one.  An index may name more (a line cut short, an address that
 *    turned out taken), which is harmless: DEL acts on a name only when it
 *    is the index's own inode or its content names the attachment; CHECK
 *    and GC read the content.
 *  - An index whose leases are all gone (a DEL or rollback cut short
 *    between the leases and the index) is "not live": the next ADD of the
 *    attachment replaces it, GC and reclaim remove it.
 *  - A temp file never parses as an address; only lock holders make them,
 *    so any a lock holder sees is orphaned: GC and reclaim unlink it.
 *  - The cursor may be torn: it is a hint and garbage is ignored.
 *  - flock(2) locks die with their holder.
 * So whatever a kill leaves, GC (which reads every lease) removes it all.
 *
 * No fsync: it would cost milliseconds per ADD, and the page cache
 * survives a process' death.  After power loss a lease may come back
 * empty; a lease naming no container counts as stale (reclaimed on
 * exhaustion) and any GC removes it; and every lease of the old boot is
 * stale through its boot id anyway.
 */
#include "ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fault.h"

#define LOCK_NAME "lock"
#define INDEX_DIR "by-attachment"
#define CURSOR_PREFIX "last_reserved_ip."
#define TMP_PREFIX ".tmp."
/* Link attempts from the cursor before reading the directory once: the
 * next address is almost always free, a crowded set is read, not probed. */
#define FAST_TRIES 16
#define LEASE_MAX 8192
#define INDEX_MAX (1u << 20)

struct store {
	int dfd;        /* <dataDir>/<network>, -1: store absent */
	int lockfd;
	char dir[PATH_MAX];
};

#define STORE_INIT { .dfd = -1, .lockfd = -1, .dir = "" }

/* One lease as read from disk; the strings point into buf. */
struct lease {
	char buf[LEASE_MAX];
	const char *id;
	const char *ifname;
	const char *netns;
	const char *boot_id;
	long long created;      /* unix seconds; 0: unknown */
};

/* The index of one attachment; strings point into buf. */
struct index {
	struct stat sb;         /* the inode that every lease of it links */
	char *buf;
	const char *id;
	const char *ifname;
	struct pn_ip *ips;
	size_t n_ips;
};

static const char *current_boot_id(void)
{
	static char id[64];
	static bool done;

	/* The boot id cannot change while we run; an unreadable one ("")
	 * disables reclaim by boot id rather than reclaiming everything. */
	if (!done) {
		if (pn_boot_id(id, sizeof(id)) < 0)
			id[0] = '\0';
		done = true;
	}
	return id;
}

/* Names become file names: refuse what could escape or confuse the store. */
static int check_name(const char *what, const char *s, size_t max, struct pn_err *err)
{
	if (!s || !*s || strlen(s) > max || strchr(s, '/') || strchr(s, '\n') ||
	    strchr(s, '\r') || !strcmp(s, ".") || !strcmp(s, ".."))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "invalid %s \"%s\" for the lease store",
				what, s ? s : "");
	return 0;
}


static void store_close(struct store *st)
{
	/* Closing the last fd of the open file description drops the flock. */
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dfd >= 0)
		close(st->dfd);
	st->lockfd = st->dfd = -1;
}

/*
 * Open and lock the store of @network.  With @create the directories are
 * made on first use; without, an absent store is not an error: st->dfd
 * stays -1 (DEL, CHECK, GC and STATUS of a network never used).
 */
static int store_open(const char *data_dir, const char *network, bool create, int lock_op,
		      struct store *st, struct pn_err *err)
{
	int ret, n, flags;

	if (!data_dir || !*data_dir)
		data_dir = IPAM_DEFAULT_DATA_DIR;
	ret = check_name("network name", network, 255, err);
	if (ret < 0)
		goto out;
	n = snprintf(st->dir, sizeof(st->dir), "%s/%s", data_dir, network);
	if (n < 0 || (size_t)n >= sizeof(st->dir)) {
		ret = pn_error(err, PN_E_IPAM_STORE, ENAMETOOLONG, "lease store path too long: %s/%s",
			       data_dir, network);
		goto out;
	}
	st->dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dfd < 0 && errno == ENOENT && create) {
		ret = pn_mkdir_p(st->dir, 0755);
		if (ret < 0) {
			ret = pn_error(err, PN_E_IPAM_STORE, -ret, "cannot create lease store %s",
				       st->dir);
			goto out;
		}
		st->dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (st->dfd < 0) {
		if (errno == ENOENT && !create) {
			ret = 0;
			goto out;
		}
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot open lease store %s", st->dir);
		goto out;
	}
	/* Readers open the lock read-only so that `podnet-ipam leases` works
	 * for users who cannot write the store; flock needs no write access. */
	flags = lock_op == LOCK_EX ? O_RDWR | O_CREAT : O_RDONLY;
	st->lockfd = openat(st->dfd, LOCK_NAME, flags | O_CLOEXEC, 0644);
	if (st->lockfd < 0) {
		if (lock_op != LOCK_EX && errno == ENOENT) {
			ret = 0; /* nobody ever changed it: nothing to be consistent with */
			goto out;
		}
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot open %s/" LOCK_NAME, st->dir);
		goto out;
	}
	while (flock(st->lockfd, lock_op) < 0) {
		if (errno != EINTR) {
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot lock %s/" LOCK_NAME,
				       st->dir);
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0)
		store_close(st);
	return ret;
}

/* Read a small file relative to @dfd; NUL-terminated; returns length. */
static ssize_t read_small_at(int dfd, const char *name, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (n + 1 < size) {
		r = read(fd, buf + n, size - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return r;
		}
		n += (size_t)r;
		/* A short read of a regular file is its end: spare the read
		 * that would return 0. */
		if (r == 0 || n + 1 < size)
			break;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

static int write_all(int fd, const char *s, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, s, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Split @p at '\n' into up to @n fields; trailing blanks and '\r' (the
 * "id\r\nifname" of host-local) are dropped.  Returns the rest. */
static char *split_fields(char *p, const char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *nl, *e;

		fields[i] = "";
		if (!p || !*p)
			continue;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		e = p + strlen(p);
		while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		fields[i] = p;
		p = nl ? nl + 1 : NULL;
	}
	return p;
}

/*
 * Read the lease named @name.  Accepts podnet's
 * "id\nifname\nnetns\nbootid\ncreated\n" and host-local's "id\r\nifname"
 * and "id".  @want_mtime: take the creation time from the file when the
 * content has none (host-local leases).
 */
static int lease_read(int dfd, const char *name, struct lease *l, bool want_mtime)
{
	const char *f[5];
	ssize_t n;
	char *end;

	n = read_small_at(dfd, name, l->buf, sizeof(l->buf));
	if (n < 0)
		return (int)n;
	split_fields(l->buf, f, 5);
	l->id = f[0];
	l->ifname = f[1];
	l->netns = f[2];
	l->boot_id = f[3];
	l->created = strtoll(f[4], &end, 10);
	if (*end || l->created < 0)
		l->created = 0;
	if (!l->created && want_mtime) {
		struct stat sb;

		if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			l->created = sb.st_mtime;
	}
	return 0;
}

/* host-local's oldest leases hold only the container id: they name every
 * interface of that container, as host-local itself released them. */
static bool lease_names(const struct lease *l, const char *id, const char *ifname)
{
	return !strcmp(l->id, id) && (!l->ifname[0] || !strcmp(l->ifname, ifname));
}

/*
 * A lease nobody can still be using: written in an earlier boot (every
 * netns died with it), or recorded with a netns path that is gone, or
 * naming no container at all (nobody could ever release it).  A netns
 * path is only trusted to be gone on ENOENT; host-local leases record
 * neither boot nor netns and are never stale.
 */
static bool lease_is_stale(const struct lease *l)
{
	const char *boot = current_boot_id();

	if (!l->id[0])
		return true;
	if (l->boot_id[0] && boot[0] && strcmp(l->boot_id, boot))
		return true;
	if (l->netns[0] == '/' && access(l->netns, F_OK) < 0 && errno == ENOENT)
		return true;
	return false;
}

static bool name_is_lease(const char *name, struct pn_ip *ip)
{
	return name[0] != '.' && pn_ip_parse(name, ip) == 0;
}

static DIR *dir_open_at(int dfd, const char *sub)
{
	DIR *d;
	int fd, e;

	/* A fresh open file description: fdopendir on a dup would share the
	 * directory offset with the store's fd. */
	fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/* To walk the leases of @st: its directory, and room to read one lease. */
static int leases_open(const struct store *st, DIR **d, struct lease **l, struct pn_err *err)
{
	*d = dir_open_at(st->dfd, ".");
	*l = malloc(sizeof(**l));
	if (!*d || !*l)
		return pn_error(err, PN_E_IPAM_STORE, *d ? ENOMEM : errno, "cannot read %s",
				st->dir);
	return 0;
}

/* Accepts what leases_open() left, opened or not. */
static void leases_close(DIR *d, struct lease *l)
{
	if (d)
		closedir(d);
	free(l);
}

static int ip_cmp_qsort(const void *a, const void *b)
{
	return pn_ip_cmp(a, b);
}

/* ---- range sets ---- */

static bool range_has(const struct cni_range *r, const struct pn_ip *ip)
{
	return ip->family == r->start.family && pn_ip_cmp(&r->start, ip) <= 0 &&
	       pn_ip_cmp(ip, &r->end) <= 0;
}

static int set_range_for(const struct cni_rangeset *s, const struct pn_ip *ip)
{
	for (size_t i = 0; i < s->n; i++)
		if (range_has(&s->ranges[i], ip))
			return (int)i;
	return -1;
}

/* Network and broadcast addresses are never handed out (except in /31,
 * /32, /127, /128 where every address is a host, RFC 3021/6164), nor any
 * gateway of the set. */
static bool set_skips(const struct cni_rangeset *s, size_t ri, const struct pn_ip *ip)
{
	const struct cni_range *r = &s->ranges[ri];
	int host_bits = (int)pn_ip_len(ip) * 8 - r->subnet.prefix;
	struct pn_ip last;

	for (size_t i = 0; i < s->n; i++)
		if (s->ranges[i].gateway.family && pn_ip_eq(&s->ranges[i].gateway, ip))
			return true;
	if (host_bits < 2)
		return false;
	if (pn_ip_eq(&r->subnet.ip, ip))
		return true;
	if (ip->family == AF_INET) {
		pn_cidr_last(&r->subnet, &last);
		if (pn_ip_eq(&last, ip))
			return true;
	}
	return false;
}

static uint64_t set_size(const struct cni_rangeset *s)
{
	uint64_t total = 0, d;

	for (size_t i = 0; i < s->n; i++) {
		d = pn_ip_distance(&s->ranges[i].start, &s->ranges[i].end);
		if (d == UINT64_MAX || total + d + 1 < total)
			return UINT64_MAX;
		total += d + 1;
	}
	return total;
}

static void set_next(const struct cni_rangeset *s, size_t *ri, struct pn_ip *cur)
{
	if (pn_ip_eq(cur, &s->ranges[*ri].end) || !pn_ip_add(cur, 1, cur)) {
		*ri = (*ri + 1) % s->n;
		*cur = s->ranges[*ri].start;
	}
}

/* "10.22.0.2-10.22.0.3,10.23.0.2-10.23.0.9", as host-local names a set. */
static const char *set_str(const struct cni_rangeset *s, char *buf, size_t size)
{
	char a[PN_IP_STRLEN], b[PN_IP_STRLEN];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%s-%s", i ? "," : "",
				 pn_ip_str(&s->ranges[i].start, a), pn_ip_str(&s->ranges[i].end, b));
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* ---- the attachment index ---- */

static int index_name(char *buf, size_t size, const char *id, const char *ifname)
{
	int n = snprintf(buf, size, INDEX_DIR "/%s-%s", id, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void index_free(struct index *ix)
{
	free(ix->buf);
	free(ix->ips);
	memset(ix, 0, sizeof(*ix));
}

/* Header "id\nifname\n", then one address a line.  Lines that do not
 * parse (a write cut short) are skipped. */
static int index_read(int dfd, const char *name, struct index *ix)
{
	const char *f[5];
	char *p, *nl;
	ssize_t n;
	size_t cap;
	int ret;

	memset(ix, 0, sizeof(*ix));
	if (fstatat(dfd, name, &ix->sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	cap = (size_t)ix->sb.st_size + 2;
	if (cap > INDEX_MAX)
		cap = INDEX_MAX;
	ix->buf = malloc(cap);
	if (!ix->buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = read_small_at(dfd, name, ix->buf, cap);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	/* The index is the attachment's lease inode: lease fields, then the
	 * journal of addresses. */
	p = split_fields(ix->buf, f, 5);
	ix->id = f[0];
	ix->ifname = f[1];
	ix->ips = calloc((size_t)n / 2 + 1, sizeof(*ix->ips));
	if (!ix->ips) {
		ret = -ENOMEM;
		goto out;
	}
	for (; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (pn_ip_parse(p, &ix->ips[ix->n_ips]) == 0)
			ix->n_ips++;
	}
	ret = 0;
out:
	if (ret < 0)
		index_free(ix);
	return ret;
}

/* Whether some address of the index is leased to the index's attachment. */
static bool index_is_live(int dfd, const struct index *ix)
{
	char name[PN_IP_STRLEN];
	struct lease *l;
	bool live = false;

	if (!ix->id[0])
		return false;
	l = malloc(sizeof(*l));
	if (!l)
		return true; /* cannot tell: keep it */
	for (size_t i = 0; i < ix->n_ips && !live; i++)
		if (lease_read(dfd, pn_ip_str(&ix->ips[i], name), l, false) == 0)
			live = lease_names(l, ix->id, ix->ifname);
	free(l);
	return live;
}

static int tmp_name(char *buf, size_t size, const char *dir)
{
	static unsigned counter;
	unsigned r = (unsigned)(pn_now_ns() ^ (pn_now_ns() >> 29)) + ++counter * 2654435761u;
	int n = snprintf(buf, size, "%s%s" TMP_PREFIX "%d.%08x", dir ? dir : "", dir ? "/" : "",
			 (int)getpid(), r);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Create a temp file under @dfd/@dir holding @content; name in @name. */
static int tmp_create(int dfd, const char *dir, const char *content, size_t len, char *name,
		      size_t size)
{
	int fd = -1, ret = -EEXIST;

	for (int tries = 0; tries < 16 && fd < 0 && ret == -EEXIST; tries++) {
		ret = tmp_name(name, size, dir);
		if (ret < 0)
			break;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		ret = fd < 0 ? -errno : 0;
	}
	if (fd < 0) {
		name[0] = '\0'; /* not ours: never unlink it */
		goto out;
	}
	ret = write_all(fd, content, len);
	if (ret < 0)
		goto out;
	ret = close(fd) < 0 ? -errno : 0;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0 && name[0])
		unlinkat(dfd, name, 0);
	if (ret < 0)
		name[0] = '\0';
	return ret;
}

/* ---- ADD ---- */

struct taken {
	struct pn_ip ip;
	size_t set;
	size_t range;
	bool linked;            /* created by this ADD (else: ours from before) */
};

struct add_ctx {
	const struct cni_ipam_conf *conf;
	const struct ipam_request *req;
	struct store *st;
	const char *content;    /* the lease: id, ifname, netns, boot id, time */
	size_t content_len;
	char idxname[PATH_MAX];
	int idxfd;              /* the journal; -1: none (index name collision) */
	char tmp[64];           /* without journal: the lease as a temp file */
	const char *src;        /* the name every lease is linked from */
	struct taken *taken;
	size_t n_taken;
	size_t *cursor_len;     /* per set: length of the cursor file as read */
};

/*
 * Create the attachment's inode: its index name first, holding the whole
 * lease content before any lease name links to it.  An existing index
 * naming a live lease of ours means the attachment exists (PN_E_EXISTS);
 * one naming nothing live is left over and replaced.  A live index of
 * another attachment whose "<id>-<ifname>" spells the same name (ids and
 * ifnames may both hold '-') is left alone: this attachment then goes
 * without an index (its leases come from a temp file) and its DEL scans.
 */
static int index_open_for_add(struct add_ctx *c, struct pn_err *err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC;
	const struct ipam_request *req = c->req;
	int dfd = c->st->dfd, fd = -1, ret;
	struct index ix = { 0 };

	ret = index_name(c->idxname, sizeof(c->idxname), req->container_id, req->ifname);
	if (ret < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, -ret, "index name too long for %s/%s",
			       req->container_id, req->ifname);
		goto out;
	}
	fd = openat(dfd, c->idxname, flags, 0644);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dfd, INDEX_DIR, 0755) < 0 && errno != EEXIST) {
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot create %s/" INDEX_DIR,
				       c->st->dir);
			goto out;
		}
		fd = openat(dfd, c->idxname, flags, 0644);
	}
	if (fd < 0 && errno == EEXIST) {
		if (index_read(dfd, c->idxname, &ix) == 0 && index_is_live(dfd, &ix)) {
			char a[PN_IP_STRLEN];

			if (!strcmp(ix.id, req->container_id) && !strcmp(ix.ifname, req->ifname)) {
				ret = pn_error(err, PN_E_EXISTS, EEXIST,
					       "container %s interface %s already holds an address in network %s (%s)",
					       req->container_id, req->ifname, req->network,
					       ix.n_ips ? pn_ip_str(&ix.ips[0], a) : "?");
				goto out;
			}
			ret = tmp_create(dfd, NULL, c->content, c->content_len, c->tmp,
					 sizeof(c->tmp));
			if (ret < 0) {
				ret = pn_error(err, PN_E_IPAM_STORE, -ret,
					       "cannot write a lease in %s", c->st->dir);
				goto out;
			}
			c->src = c->tmp;
			goto out;
		}
		/* Left over: no lease name links to its inode any more (every
		 * link is journaled first), so a fresh inode replaces it. */
		unlinkat(dfd, c->idxname, 0);
		fd = openat(dfd, c->idxname, flags, 0644);
	}
	if (fd < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot create %s/%s", c->st->dir,
			       c->idxname);
		goto out;
	}
	pn_fault_point("ipam.add.index-created");
	ret = write_all(fd, c->content, c->content_len);
	if (ret < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, -ret, "cannot write %s/%s", c->st->dir,
			       c->idxname);
		unlinkat(dfd, c->idxname, 0);
		goto out;
	}
	c->idxfd = fd;
	c->src = c->idxname;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	index_free(&ix);
	return ret;
}

/*
 * 0: the address is ours now; -EEXIST: leased already; else store error.
 * @probe: the address may well be taken (we are past the cursor's next),
 * so look before journaling it, to keep the journal free of other
 * attachments' addresses; under the lock nothing can change in between.
 */
static int lease_take(struct add_ctx *c, const struct pn_ip *ip, bool probe, struct pn_err *err)
{
	char name[PN_IP_STRLEN + 1];
	size_t len;
	int ret;

	pn_ip_str(ip, name);
	len = strlen(name);
	if (probe && faccessat(c->st->dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if (c->idxfd >= 0) {
		/* Journal first (see the top of this file). */
		name[len] = '\n';
		ret = write_all(c->idxfd, name, len + 1);
		name[len] = '\0';
		if (ret < 0)
			return pn_error(err, PN_E_IPAM_STORE, -ret, "cannot write %s/%s",
					c->st->dir, c->idxname);
	}
	if (linkat(c->st->dfd, c->src, c->st->dfd, name, 0) == 0)
		return 0;
	if (errno == EEXIST)
		return -EEXIST;
	return pn_error(err, PN_E_IPAM_STORE, errno, "cannot create lease %s/%s", c->st->dir, name);
}

static bool is_taken_by_us(const struct add_ctx *c, const struct pn_ip *ip)
{
	for (size_t i = 0; i < c->n_taken; i++)
		if (pn_ip_eq(&c->taken[i].ip, ip))
			return true;
	return false;
}

/* Unlink the index of (@id, @ifname) once it names no live lease of its
 * own (its last lease reclaimed), so that nothing of it remains. */
static void index_drop_if_dead(int dfd, const char *id, const char *ifname)
{
	char name[PATH_MAX];
	struct index ix;

	if (!id[0] || index_name(name, sizeof(name), id, ifname) < 0 ||
	    index_read(dfd, name, &ix) < 0)
		return;
	if (!strcmp(ix.id, id) && !strcmp(ix.ifname, ifname) && !index_is_live(dfd, &ix))
		unlinkat(dfd, name, 0);
	index_free(&ix);
}

/*
 * Remove stale leases (see lease_is_stale) and orphaned temp files of the
 * network; leases of the attachment being added are never touched.
 */
static int reclaim_stale(struct add_ctx *c, size_t *n_reclaimed, struct pn_err *err)
{
	struct lease *l = NULL;
	struct dirent *de;
	struct pn_ip ip;
	DIR *d = NULL;
	int ret;

	*n_reclaimed = 0;
	ret = leases_open(c->st, &d, &l, err);
	if (ret < 0)
		goto out;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			if (strcmp(de->d_name, c->tmp))
				unlinkat(c->st->dfd, de->d_name, 0);
			continue;
		}
		if (!name_is_lease(de->d_name, &ip) || is_taken_by_us(c, &ip))
			continue;
		if (lease_read(c->st->dfd, de->d_name, l, false) < 0)
			continue;
		if (lease_names(l, c->req->container_id, c->req->ifname) || !lease_is_stale(l))
			continue;
		if (unlinkat(c->st->dfd, de->d_name, 0) == 0)
			(*n_reclaimed)++;
		index_drop_if_dead(c->st->dfd, l->id, l->ifname);
	}
	ret = 0;
out:
	leases_close(d, l);
	return ret;
}

/* The leased addresses of set @s, sorted: read once when probing from the
 * cursor keeps hitting leases. */
static int leased_load(struct store *st, const struct cni_rangeset *s, struct pn_ip **out,
		       size_t *n_out, struct pn_err *err)
{
	struct pn_ip *v = NULL, ip;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret;

	d = dir_open_at(st->dfd, ".");
	if (!d) {
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot read %s", st->dir);
		goto out;
	}
	while ((de = readdir(d))) {
		if (!name_is_lease(de->d_name, &ip) || set_range_for(s, &ip) < 0)
			continue;
		if (pn_grow(&v, &cap, n, sizeof(*v))) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "reading %s", st->dir);
			goto out;
		}
		v[n++] = ip;
	}
	qsort(v, n, sizeof(*v), ip_cmp_qsort);
	*out = v;
	*n_out = n;
	v = NULL;
	ret = 0;
out:
	if (d)
		closedir(d);
	free(v);
	return ret;
}

/* Where to start: after the set's cursor if it names an address of the
 * set, else at the first range's start (host-local's order). */
static void cursor_start(struct add_ctx *c, size_t si, size_t *ri, struct pn_ip *cur)
{
	const struct cni_rangeset *s = &c->conf->sets[si];
	char name[64], buf[PN_IP_STRLEN + 8];
	struct pn_ip ip;
	ssize_t n;
	int r;

	*ri = 0;
	*cur = s->ranges[0].start;
	snprintf(name, sizeof(name), CURSOR_PREFIX "%zu", si);
	n = read_small_at(c->st->dfd, name, buf, sizeof(buf));
	c->cursor_len[si] = n < 0 ? SIZE_MAX : (size_t)n;
	if (n <= 0)
		return;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (pn_ip_parse(buf, &ip) < 0 || (r = set_range_for(s, &ip)) < 0)
		return;
	*ri = (size_t)r;
	*cur = ip;
	set_next(s, ri, cur);
}

/*
 * A hint only (a torn write is ignored by cursor_start), so no temp file.
 * Overwritten in place, never O_TRUNC: ext4 treats a truncate to zero as
 * "replace via truncate" (auto_da_alloc) and that cost milliseconds per
 * ADD here; shrinking to a non-zero length is cheap.
 */
static void cursor_write(struct add_ctx *c, size_t si, const struct pn_ip *ip)
{
	char name[64], a[PN_IP_STRLEN];
	size_t len;
	ssize_t w;
	int fd;

	snprintf(name, sizeof(name), CURSOR_PREFIX "%zu", si);
	fd = openat(c->st->dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	len = strlen(pn_ip_str(ip, a));
	w = pwrite(fd, a, len, 0);
	if (w == (ssize_t)len && c->cursor_len[si] != len)
		(void)!ftruncate(fd, (off_t)len);
	close(fd);
}

static int alloc_in_set(struct add_ctx *c, size_t si, struct taken *t, struct pn_err *err)
{
	const struct cni_rangeset *s = &c->conf->sets[si];
	uint64_t total = set_size(s), visited;
	struct pn_ip *leased = NULL, cur;
	size_t n_leased = 0, tries, ri, reclaimed;
	bool loaded;
	char sbuf[256];
	int ret;

	for (int pass = 0; pass < 2; pass++) {
		tries = 0;
		loaded = false;
		cursor_start(c, si, &ri, &cur);
		for (visited = 0; visited < total; visited++, set_next(s, &ri, &cur)) {
			if (set_skips(s, ri, &cur))
				continue;
			if (loaded && bsearch(&cur, leased, n_leased, sizeof(*leased), ip_cmp_qsort))
				continue;
			ret = lease_take(c, &cur, tries > 0 && !loaded, err);
			if (ret == 0) {
				t->ip = cur;
				t->set = si;
				t->range = ri;
				t->linked = true;
				goto out;
			}
			if (ret != -EEXIST)
				goto out;
			if (!loaded && ++tries >= FAST_TRIES) {
				ret = leased_load(c->st, s, &leased, &n_leased, err);
				if (ret < 0)
					goto out;
				loaded = true;
			}
		}
		if (pass > 0)
			break;
		ret = reclaim_stale(c, &reclaimed, err);
		if (ret < 0)
			goto out;
		if (!reclaimed)
			break;
		free(leased);
		leased = NULL;
		n_leased = 0;
	}
	ret = pn_error(err, PN_E_IPAM_EXHAUSTED, ENOSPC, "no IP addresses available in range set: %s",
		       set_str(s, sbuf, sizeof(sbuf)));
out:
	free(leased);
	return ret;
}

static int take_requested(struct add_ctx *c, size_t si, const struct pn_ip *ip,
			  struct taken *t, struct pn_err *err)
{
	struct lease *l = NULL;
	char name[PN_IP_STRLEN];
	int ret;

	t->ip = *ip;
	t->set = si;
	t->range = (size_t)set_range_for(&c->conf->sets[si], ip);
	t->linked = true;
	ret = lease_take(c, ip, false, err);
	if (ret != -EEXIST)
		goto out;
	l = malloc(sizeof(*l));
	if (!l) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "reading lease %s", pn_ip_str(ip, name));
		goto out;
	}
	pn_ip_str(ip, name);
	l->id = l->ifname = "";
	if (lease_read(c->st->dfd, name, l, false) == 0) {
		if (lease_names(l, c->req->container_id, c->req->ifname)) {
			/* Ours, left by an ADD that died before its index. */
			t->linked = false;
			ret = 0;
			goto out;
		}
		if (lease_is_stale(l) && unlinkat(c->st->dfd, name, 0) == 0) {
			ret = lease_take(c, ip, false, err);
			if (ret != -EEXIST)
				goto out;
		}
	}
	ret = pn_error(err, PN_E_IPAM_CONFLICT, EADDRINUSE,
		       "requested IP address %s is already leased to container %s interface %s in network %s",
		       name, l->id[0] ? l->id : "?", l->ifname[0] ? l->ifname : "?",
		       c->req->network);
out:
	free(l);
	return ret;
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv, *d = strdup(s);

	if (!d)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		free(d);
		return -ENOMEM;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

/* resolv.conf as host-local reads it: nameserver, domain, search, options;
 * '#' and ';' start comments. */
static int resolv_conf_parse(const char *path, struct cni_dns *dns, struct pn_err *err)
{
	char line[1024], *tok, *save, *key;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f)
		return pn_error(err, PN_CNI_INVALID_CONFIG, errno, "cannot read resolvConf %s", path);
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		key = strtok_r(line, " \t\r\n", &save);
		if (!key || key[0] == '#' || key[0] == ';')
			continue;
		tok = strtok_r(NULL, " \t\r\n", &save);
		if (!tok)
			continue;
		if (!strcmp(key, "nameserver")) {
			ret = strv_push(&dns->nameservers, &dns->n_nameservers, tok);
		} else if (!strcmp(key, "domain")) {
			free(dns->domain);
			dns->domain = strdup(tok);
			ret = dns->domain ? 0 : -ENOMEM;
		} else if (!strcmp(key, "search") || !strcmp(key, "options")) {
			bool search = key[0] == 's';

			for (; tok && ret == 0; tok = strtok_r(NULL, " \t\r\n", &save))
				ret = search ? strv_push(&dns->search, &dns->n_search, tok)
					     : strv_push(&dns->options, &dns->n_options, tok);
		}
	}
	if (ret == 0 && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret < 0)
		ret = pn_error(err, PN_CNI_IO, -ret, "cannot read resolvConf %s", path);
	return ret;
}

static int strv_move(char ***dst, size_t *n_dst, char ***src, size_t *n_src)
{
	char **nv;

	if (!*n_src)
		return 0;
	nv = realloc(*dst, (*n_dst + *n_src) * sizeof(**dst));
	if (!nv)
		return -ENOMEM;
	memcpy(nv + *n_dst, *src, *n_src * sizeof(**src));
	*dst = nv;
	*n_dst += *n_src;
	free(*src);
	*src = NULL;
	*n_src = 0;
	return 0;
}

/* Append @src's entries to @dst, moving the strings. */
static int dns_merge(struct cni_dns *dst, struct cni_dns *src)
{
	int ret;

	ret = strv_move(&dst->nameservers, &dst->n_nameservers, &src->nameservers,
			&src->n_nameservers);
	if (ret == 0)
		ret = strv_move(&dst->search, &dst->n_search, &src->search, &src->n_search);
	if (ret == 0)
		ret = strv_move(&dst->options, &dst->n_options, &src->options, &src->n_options);
	if (ret == 0 && src->domain && !dst->domain) {
		dst->domain = src->domain;
		src->domain = NULL;
	}
	return ret;
}

static int check_request(const struct cni_ipam_conf *conf, const struct ipam_request *req,
			 const struct pn_ip **wanted, struct pn_err *err)
{
	char a[PN_IP_STRLEN];
	int ret;

	ret = check_name("container id", req->container_id, 255, err);
	if (ret == 0)
		ret = check_name("interface name", req->ifname, 15, err);
	if (ret < 0)
		return ret;
	if (req->netns && strchr(req->netns, '\n'))
		return pn_error(err, PN_CNI_INVALID_ENV, 0, "invalid netns path for the lease store");
	if (!conf->n_sets)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "ipam: no ranges configured for network %s",
				req->network);
	for (size_t s = 0; s < conf->n_sets; s++)
		if (!conf->sets[s].n)
			return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "ipam: range set %zu is empty", s);
	for (size_t i = 0; i < req->n_requested; i++) {
		const struct pn_ip *ip = &req->requested[i];
		size_t s;
		int r = -1;

		for (s = 0; s < conf->n_sets; s++)
			if ((r = set_range_for(&conf->sets[s], ip)) >= 0)
				break;
		if (r < 0)
			return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
					"requested IP address %s is outside every range of network %s",
					pn_ip_str(ip, a), req->network);
		if (set_skips(&conf->sets[s], (size_t)r, ip))
			return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
					"requested IP address %s is a gateway, network or broadcast address",
					pn_ip_str(ip, a));
		if (wanted[s] && !pn_ip_eq(wanted[s], ip)) {
			char b[PN_IP_STRLEN];

			return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
					"requested IP addresses %s and %s fall in the same range set",
					pn_ip_str(wanted[s], b), pn_ip_str(ip, a));
		}
		wanted[s] = ip;
	}
	return 0;
}

int ipam_add(const struct cni_ipam_conf *conf, const struct ipam_request *req,
	     struct cni_result *res, struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct add_ctx c = { .conf = conf, .req = req, .st = &st, .idxfd = -1 };
	const struct pn_ip **wanted = NULL;
	struct cni_dns dns = { 0 };
	size_t ips0 = res->n_ips, routes0 = res->n_routes;
	char content[LEASE_MAX], name[PN_IP_STRLEN];
	int ret, len;

	wanted = calloc(conf->n_sets + 1, sizeof(*wanted));
	c.taken = calloc(conf->n_sets + 1, sizeof(*c.taken));
	c.cursor_len = calloc(conf->n_sets + 1, sizeof(*c.cursor_len));
	if (!wanted || !c.taken || !c.cursor_len) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
		goto out;
	}
	ret = check_request(conf, req, wanted, err);
	if (ret < 0)
		goto out;
	if (conf->resolv_conf) {
		ret = resolv_conf_parse(conf->resolv_conf, &dns, err);
		if (ret < 0)
			goto out;
	}
	len = snprintf(content, sizeof(content), "%s\n%s\n%s\n%s\n%lld\n", req->container_id,
		       req->ifname, req->netns ? req->netns : "", current_boot_id(),
		       (long long)time(NULL));
	if (len < 0 || (size_t)len >= sizeof(content)) {
		ret = pn_error(err, PN_CNI_INVALID_ENV, ENAMETOOLONG, "netns path too long: %s",
			       req->netns);
		goto out;
	}

	c.content = content;
	c.content_len = (size_t)len;

	ret = store_open(conf->data_dir, req->network, true, LOCK_EX, &st, err);
	if (ret < 0)
		goto out;
	ret = index_open_for_add(&c, err);
	if (ret < 0)
		goto out;
	for (size_t s = 0; s < conf->n_sets; s++) {
		struct taken *t = &c.taken[c.n_taken];

		ret = wanted[s] ? take_requested(&c, s, wanted[s], t, err)
				: alloc_in_set(&c, s, t, err);
		if (ret < 0)
			goto out;
		c.n_taken++;
		cursor_write(&c, s, &t->ip);
	}

	for (size_t i = 0; i < c.n_taken; i++) {
		const struct cni_range *r = &conf->sets[c.taken[i].set].ranges[c.taken[i].range];
		struct pn_cidr addr = { .ip = c.taken[i].ip, .prefix = r->subnet.prefix };

		ret = cni_result_add_ip(res, &addr, r->gateway.family ? &r->gateway : NULL, -1);
		if (ret < 0)
			goto nomem;
	}
	for (size_t i = 0; i < conf->n_routes; i++) {
		ret = cni_result_add_route(res, &conf->routes[i]);
		if (ret < 0)
			goto nomem;
	}
	ret = dns_merge(&res->dns, &dns);
	if (ret < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory building the result");
out:
	if (ret < 0) {
		/* Roll back: under the lock, so nobody saw these leases. */
		for (size_t i = 0; i < c.n_taken; i++)
			unlinkat(st.dfd, pn_ip_str(&c.taken[i].ip, name), 0);
		if (c.idxfd >= 0)
			unlinkat(st.dfd, c.idxname, 0);
		res->n_ips = ips0;
		res->n_routes = routes0;
	}
	if (c.tmp[0])
		unlinkat(st.dfd, c.tmp, 0);
	if (c.idxfd >= 0)
		close(c.idxfd);
	store_close(&st);
	cni_dns_free(&dns);
	free(c.taken);
	free(c.cursor_len);
	free(wanted);
	return ret;
}

/* ---- DEL, CHECK ---- */

/* Unlink every lease naming the attachment, reading all: the rare path
 * (no index: a host-local store, or an index name collision). */
static int release_by_scan(struct store *st, const char *id, const char *ifname,
			   struct pn_err *err)
{
	struct lease *l = NULL;
	struct dirent *de;
	struct pn_ip ip;
	DIR *d = NULL;
	int ret;

	ret = leases_open(st, &d, &l, err);
	if (ret < 0)
		goto out;
	while ((de = readdir(d))) {
		if (!name_is_lease(de->d_name, &ip))
			continue;
		if (lease_read(st->dfd, de->d_name, l, false) == 0 && lease_names(l, id, ifname) &&
		    unlinkat(st->dfd, de->d_name, 0) < 0 && errno != ENOENT) {
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot remove lease %s/%s",
				       st->dir, de->d_name);
			goto out;
		}
	}
	ret = 0;
out:
	leases_close(d, l);
	return ret;
}

int ipam_del(const struct cni_ipam_conf *conf, const char *network, const char *container_id,
	     const char *ifname, struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct index ix = { 0 };
	struct lease *l = NULL;
	char idxname[PATH_MAX], name[PN_IP_STRLEN];
	int ret;

	ret = check_name("container id", container_id, 255, err);
	if (ret == 0)
		ret = check_name("interface name", ifname, 15, err);
	if (ret < 0)
		goto out;
	ret = store_open(conf ? conf->data_dir : NULL, network, false, LOCK_EX, &st, err);
	if (ret < 0 || st.dfd < 0)
		goto out;
	ret = index_name(idxname, sizeof(idxname), container_id, ifname);
	if (ret < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, -ret, "index name too long for %s/%s",
			       container_id, ifname);
		goto out;
	}
	ret = index_read(st.dfd, idxname, &ix);
	if (ret == -ENOENT || (ret == 0 && (strcmp(ix.id, container_id) ||
					    strcmp(ix.ifname, ifname)))) {
		ret = release_by_scan(&st, container_id, ifname, err);
		/* An index that names no attachment is ours, cut short: an ADD
		 * killed between creating it and writing its header (it has no
		 * lease then).  Another attachment's index stays. */
		if (ret == 0 && ix.buf && !ix.id[0] && unlinkat(st.dfd, idxname, 0) < 0 &&
		    errno != ENOENT)
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot remove %s/%s", st.dir,
				       idxname);
		goto out;
	}
	if (ret < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, -ret, "cannot read %s/%s", st.dir, idxname);
		goto out;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
		goto out;
	}
	for (size_t i = 0; i < ix.n_ips; i++) {
		struct stat sb;

		pn_ip_str(&ix.ips[i], name);
		if (fstatat(st.dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* The index's own inode names us by construction; anything else
		 * (a journal line cut short) must say so in its content. */
		if ((sb.st_ino != ix.sb.st_ino || sb.st_dev != ix.sb.st_dev) &&
		    (lease_read(st.dfd, name, l, false) < 0 || !lease_names(l, container_id, ifname)))
			continue;
		if (unlinkat(st.dfd, name, 0) < 0 && errno != ENOENT) {
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot remove lease %s/%s",
				       st.dir, name);
			goto out;
		}
	}
	pn_fault_point("ipam.del.leases-removed");
	/* Last: while it exists, a DEL cut short can be repeated in O(1). */
	if (unlinkat(st.dfd, idxname, 0) < 0 && errno != ENOENT) {
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot remove %s/%s", st.dir, idxname);
		goto out;
	}
	ret = 0;
out:
	free(l);
	index_free(&ix);
	store_close(&st);
	return ret;
}

int ipam_check(const struct cni_ipam_conf *conf, const char *network, const char *container_id,
	       const char *ifname, const struct cni_ipconfig *ips, size_t n_ips,
	       struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct lease *l = NULL;
	char name[PN_IP_STRLEN];
	int ret;

	ret = store_open(conf ? conf->data_dir : NULL, network, false, LOCK_SH, &st, err);
	if (ret < 0)
		goto out;
	l = malloc(sizeof(*l));
	if (!l) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_ips; i++) {
		pn_ip_str(&ips[i].address.ip, name);
		if (st.dfd < 0 || lease_read(st.dfd, name, l, false) < 0) {
			ret = pn_error(err, PN_E_CHECK, 0, "no lease for %s in network %s", name, network);
			goto out;
		}
		if (!lease_names(l, container_id, ifname)) {
			ret = pn_error(err, PN_E_CHECK, 0,
				       "%s in network %s is leased to container %s interface %s, not %s/%s",
				       name, network, l->id, l->ifname, container_id, ifname);
			goto out;
		}
	}
	ret = 0;
out:
	free(l);
	store_close(&st);
	return ret;
}

/* ---- GC ---- */

static bool attachment_valid(const struct cni_attachment *valid, size_t n, const char *id,
			     const char *ifname)
{
	for (size_t i = 0; i < n; i++) {
		if (!valid[i].container_id || strcmp(valid[i].container_id, id))
			continue;
		if (!ifname[0] || (valid[i].ifname && !strcmp(valid[i].ifname, ifname)))
			return true;
	}
	return false;
}

/* Indexes naming no live lease, and temp files of the index dir. */
static void gc_indexes(struct store *st)
{
	char name[PATH_MAX];
	struct index ix;
	struct dirent *de;
	DIR *d;

	d = dir_open_at(st->dfd, INDEX_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(name, sizeof(name), INDEX_DIR "/%s", de->d_name);
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			unlinkat(st->dfd, name, 0);
			continue;
		}
		if (index_read(st->dfd, name, &ix) < 0)
			continue;
		if (!index_is_live(st->dfd, &ix))
			unlinkat(st->dfd, name, 0);
		index_free(&ix);
	}
	closedir(d);
}

int ipam_gc(const struct cni_ipam_conf *conf, const char *network,
	    const struct cni_attachment *valid, size_t n_valid, size_t *n_freed,
	    struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct lease *l = NULL;
	struct dirent *de;
	struct pn_ip ip;
	DIR *d = NULL;
	size_t freed = 0;
	int ret;

	ret = store_open(conf ? conf->data_dir : NULL, network, false, LOCK_EX, &st, err);
	if (ret < 0 || st.dfd < 0)
		goto out;
	ret = leases_open(&st, &d, &l, err);
	if (ret < 0)
		goto out;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			/* Only lock holders make temp files: this one is orphaned. */
			unlinkat(st.dfd, de->d_name, 0);
			continue;
		}
		if (!name_is_lease(de->d_name, &ip))
			continue;
		/* An unreadable lease names nobody valid: it goes too. */
		if (lease_read(st.dfd, de->d_name, l, false) < 0)
			l->id = l->ifname = "";
		if (l->id[0] && attachment_valid(valid, n_valid, l->id, l->ifname))
			continue;
		if (unlinkat(st.dfd, de->d_name, 0) == 0)
			freed++;
		else if (errno != ENOENT) {
			ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot remove lease %s/%s",
				       st.dir, de->d_name);
			goto out;
		}
	}
	gc_indexes(&st);
	ret = 0;
out:
	if (n_freed)
		*n_freed = freed;
	leases_close(d, l);
	store_close(&st);
	return ret;
}

/* ---- STATUS ---- */

/* Addresses of the set never handed out (distinct, inside its ranges). */
static uint64_t set_skipped_count(const struct cni_rangeset *s)
{
	struct pn_ip cand[3], seen[48];
	size_t n_seen = 0;

	for (size_t ri = 0; ri < s->n; ri++) {
		const struct cni_range *r = &s->ranges[ri];
		size_t nc = 0;

		cand[nc++] = r->subnet.ip;
		pn_cidr_last(&r->subnet, &cand[nc++]);
		if (r->gateway.family)
			cand[nc++] = r->gateway;
		for (size_t k = 0; k < nc; k++) {
			int in = set_range_for(s, &cand[k]);
			bool dup = false;

			if (in < 0 || !set_skips(s, (size_t)in, &cand[k]))
				continue;
			for (size_t j = 0; j < n_seen; j++)
				dup = dup || pn_ip_eq(&seen[j], &cand[k]);
			if (!dup && n_seen < PN_ARRAY_SIZE(seen))
				seen[n_seen++] = cand[k];
		}
	}
	return n_seen;
}

int ipam_status(const struct cni_ipam_conf *conf, const char *network, struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct pn_ip *leased = NULL;
	struct lease *l = NULL;
	size_t n_leased = 0;
	char name[PN_IP_STRLEN], sbuf[256];
	int ret;

	ret = store_open(conf->data_dir, network, false, LOCK_SH, &st, err);
	if (ret < 0 || st.dfd < 0)
		goto out;
	l = malloc(sizeof(*l));
	if (!l) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
		goto out;
	}
	for (size_t s = 0; s < conf->n_sets; s++) {
		const struct cni_rangeset *set = &conf->sets[s];
		uint64_t total = set_size(set), used = 0;
		bool free_found = false;

		if (total == UINT64_MAX)
			continue; /* an IPv6 range nobody fills */
		free(leased);
		leased = NULL;
		ret = leased_load(&st, set, &leased, &n_leased, err);
		if (ret < 0)
			goto out;
		for (size_t i = 0; i < n_leased; i++) {
			int ri = set_range_for(set, &leased[i]);

			if (!set_skips(set, (size_t)ri, &leased[i]))
				used++;
		}
		if (used + set_skipped_count(set) < total)
			continue;
		/* Full on disk: only a stale lease would still let ADD succeed. */
		for (size_t i = 0; i < n_leased && !free_found; i++)
			if (lease_read(st.dfd, pn_ip_str(&leased[i], name), l, false) == 0)
				free_found = lease_is_stale(l);
		if (!free_found) {
			ret = pn_error(err, PN_CNI_NOT_AVAILABLE, ENOSPC,
				       "no IP addresses available in range set: %s",
				       set_str(set, sbuf, sizeof(sbuf)));
			goto out;
		}
	}
	ret = 0;
out:
	free(leased);
	free(l);
	store_close(&st);
	return ret;
}

/* ---- listing ---- */

static int lease_cmp_qsort(const void *a, const void *b)
{
	return pn_ip_cmp(&((const struct ipam_lease *)a)->ip, &((const struct ipam_lease *)b)->ip);
}

int ipam_list(const char *data_dir, const char *network, struct ipam_lease **out, size_t *n,
	      struct pn_err *err)
{
	struct store st = STORE_INIT;
	struct ipam_lease *v = NULL;
	struct lease *l = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	struct pn_ip ip;
	DIR *d = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	ret = store_open(data_dir, network, false, LOCK_SH, &st, err);
	if (ret < 0)
		goto out;
	if (st.dfd < 0) {
		ret = pn_error(err, PN_E_IPAM_STORE, ENOENT, "no lease store for network %s at %s",
			       network, st.dir);
		goto out;
	}
	ret = leases_open(&st, &d, &l, err);
	if (ret < 0)
		goto out;
	while ((de = readdir(d))) {
		struct ipam_lease *e;

		if (!name_is_lease(de->d_name, &ip) || lease_read(st.dfd, de->d_name, l, true) < 0)
			continue;
		if (pn_grow(&v, &cap, cnt, sizeof(*v))) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
			goto out;
		}
		e = &v[cnt++];
		e->ip = ip;
		snprintf(e->container_id, sizeof(e->container_id), "%s", l->id);
		snprintf(e->ifname, sizeof(e->ifname), "%s", l->ifname);
		snprintf(e->netns, sizeof(e->netns), "%s", l->netns);
		snprintf(e->boot_id, sizeof(e->boot_id), "%s", l->boot_id);
		e->created = (time_t)l->created;
		e->stale = lease_is_stale(l);
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), lease_cmp_qsort);
	*out = v;
	*n = cnt;
	v = NULL;
	ret = 0;
out:
	free(v);
	leases_close(d, l);
	store_close(&st);
	return ret;
}

static int str_cmp_qsort(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ipam_list_networks(const char *data_dir, char ***out, size_t *n, struct pn_err *err)
{
	char **v = NULL, lockpath[NAME_MAX + 8];
	size_t cnt = 0;
	struct dirent *de;
	DIR *d = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	if (!data_dir || !*data_dir)
		data_dir = IPAM_DEFAULT_DATA_DIR;
	d = opendir(data_dir);
	if (!d) {
		if (errno == ENOENT) { /* nothing was ever allocated */
			ret = 0;
			goto out;
		}
		ret = pn_error(err, PN_E_IPAM_STORE, errno, "cannot read %s", data_dir);
		goto out;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* A store is a directory with a lock (host-local's too). */
		snprintf(lockpath, sizeof(lockpath), "%s/" LOCK_NAME, de->d_name);
		if (faccessat(dirfd(d), lockpath, F_OK, 0) < 0)
			continue;
		if (strv_push(&v, &cnt, de->d_name) < 0) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "ipam: out of memory");
			goto out;
		}
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), str_cmp_qsort);
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
out:
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	if (d)
		closedir(d);
	return ret;
}
