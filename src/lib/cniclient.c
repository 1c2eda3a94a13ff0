/* SPDX-License-Identifier: Apache-2.0 */
#include "cniclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int cniclient_find_plugin(const char *cni_path, const char *type, char **out,
			  struct pn_err *err)
{
	const char *p = cni_path, *colon;
	char path[4096];
	struct stat st;

	/* A type is a file name, never a path: "../../bin/sh" must not run. */
	if (!type || !*type || strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, ".."))
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "invalid plugin type \"%s\"",
				type ? type : "");
	while (p && *p) {
		size_t n;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n > 0 && n + strlen(type) + 2 < sizeof(path)) {
			memcpy(path, p, n);
			path[n] = '/';
			strcpy(path + n + 1, type);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
				*out = strdup(path);
				return *out ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			}
		}
		p = colon ? colon + 1 : NULL;
	}
	return pn_error(err, PN_CNI_INVALID_CONFIG, ENOENT, "failed to find plugin \"%s\" in path [%s]",
			type, cni_path ? cni_path : "");
}

/* Write @buf to @wfd and read @rfd (stdout) and @efd (stderr) until both
 * close, without deadlocking on a full pipe in either direction. */
static int pump(int wfd, const char *buf, size_t len, int rfd, char **obuf, int efd, char *ebuf,
		size_t ecap)
{
	size_t off = 0, olen = 0, ocap = 4096, elen = 0;
	char *o = malloc(ocap);
	int ret = 0;

	if (!o)
		return -ENOMEM;
	if (len == 0) {
		close(wfd);
		wfd = -1;
	}
	while (rfd >= 0 || efd >= 0) {
		struct pollfd p[3];
		int np = 0, iw = -1, ir = -1, ie = -1;

		if (wfd >= 0) {
			p[np] = (struct pollfd){ .fd = wfd, .events = POLLOUT };
			iw = np++;
		}
		if (rfd >= 0) {
			p[np] = (struct pollfd){ .fd = rfd, .events = POLLIN };
			ir = np++;
		}
		if (efd >= 0) {
			p[np] = (struct pollfd){ .fd = efd, .events = POLLIN };
			ie = np++;
		}
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (iw >= 0 && p[iw].revents) {
			ssize_t n = write(wfd, buf + off, len - off);

			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* The plugin closed stdin without reading it all: its business. */
				close(wfd);
				wfd = -1;
			} else if (n > 0 && (off += (size_t)n) == len) {
				close(wfd);
				wfd = -1;
			}
		}
		if (ir >= 0 && p[ir].revents) {
			ssize_t n;

			if (olen + 1 >= ocap) {
				char *no = realloc(o, ocap * 2);

				if (!no) {
					ret = -ENOMEM;
					goto out;
				}
				o = no;
				ocap *= 2;
			}
			n = read(rfd, o + olen, ocap - olen - 1);
			if (n > 0)
				olen += (size_t)n;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(rfd);
				rfd = -1;
			}
		}
		if (ie >= 0 && p[ie].revents) {
			char tmp[1024];
			ssize_t n = read(efd, tmp, sizeof(tmp));

			if (n > 0) {
				size_t k = (size_t)n < ecap - 1 - elen ? (size_t)n : ecap - 1 - elen;

				memcpy(ebuf + elen, tmp, k);
				elen += k;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(efd);
				efd = -1;
			}
		}
	}
out:
	if (wfd >= 0)
		close(wfd);
	if (rfd >= 0)
		close(rfd);
	if (efd >= 0)
		close(efd);
	ebuf[elen] = '\0';
	o[olen] = '\0';
	if (ret < 0)
		free(o);
	else
		*obuf = o;
	return ret;
}

int cniclient_exec(const char *cni_path, const char *type, const char *command,
		   const char *conf, size_t len, json_t **stdout_json, struct pn_err *err)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char *exe = NULL, *obuf = NULL, ebuf[1024];
	json_t *j = NULL;
	json_error_t jerr;
	pid_t pid = -1;
	int status, ret;

	*stdout_json = NULL;
	ret = cniclient_find_plugin(cni_path, type, &exe, err);
	if (ret < 0)
		goto out;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		ret = pn_error(err, PN_E_DELEGATE, errno, "cannot run plugin %s: pipe", type);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = pn_error(err, PN_E_DELEGATE, errno, "cannot run plugin %s: fork", type);
		goto out;
	}
	if (pid == 0) {
		char *argv[] = { exe, NULL };

		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(127);
		setenv("CNI_COMMAND", command, 1);
		execv(exe, argv);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	close(errp[1]);
	in[0] = outp[1] = errp[1] = -1;
	/* A plugin that dies early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = pump(in[1], conf, len, outp[0], &obuf, errp[0], ebuf, sizeof(ebuf));
	in[1] = outp[0] = errp[0] = -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = pn_error(err, PN_E_DELEGATE, errno, "cannot wait for plugin %s", type);
			goto out;
		}
	}
	pid = -1;
	if (ret < 0) {
		ret = pn_error(err, PN_E_DELEGATE, -ret, "cannot talk to plugin %s", type);
		goto out;
	}
	if (obuf[strspn(obuf, " \t\r\n")])
		j = json_loads(obuf, 0, &jerr);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_t *code = j ? json_object_get(j, "code") : NULL;

		if (json_is_integer(code)) {
			const char *msg = json_string_value(json_object_get(j, "msg"));
			const char *det = json_string_value(json_object_get(j, "details"));

			ret = pn_error(err, (int)json_integer_value(code), 0, "%s: %s", type,
				       msg ? msg : "(no message)");
			if (det && *det)
				pn_err_details(err, "%s", det);
		} else {
			ret = pn_error(err, PN_E_DELEGATE, 0, "plugin %s failed (%s %d)", type,
				       WIFEXITED(status) ? "exit status" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			if (ebuf[0])
				pn_err_details(err, "%s", ebuf);
		}
		goto out;
	}
	if (obuf[strspn(obuf, " \t\r\n")] && !j) {
		ret = pn_error(err, PN_CNI_DECODE, 0, "plugin %s printed invalid JSON: %s (line %d)",
			       type, jerr.text, jerr.line);
		goto out;
	}
	*stdout_json = j;
	j = NULL;
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	json_decref(j);
	free(obuf);
	free(exe);
	return ret;
}
