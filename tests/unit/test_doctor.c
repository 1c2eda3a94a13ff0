/* SPDX-License-Identifier: Apache-2.0 */
/* doctor/probe: target parsing, outcome words, argument checks (no traffic:
 * the probes themselves are exercised in tests/netns/doctor.sh). */
#include <errno.h>

#include "doctor.h"
#include "probe.h"
#include "tap.h"

/* @want_host: the host, or for an error the text the message must hold. */
static void split(const char *in, int want_ret, const char *want_host, int want_port)
{
	struct pn_err err = { 0 };
	char host[64] = "";
	int port = -1;
	int ret = doctor_split_target(in, host, sizeof(host), &port, &err);

	is_int(ret, want_ret, "split \"%s\": return %d", in, want_ret);
	if (want_ret == 0) {
		is_str(host, want_host, "split \"%s\": host %s", in, want_host);
		is_int(port, want_port, "split \"%s\": port %d", in, want_port);
	} else {
		ok(strstr(pn_err_msg(&err), want_host) != NULL, "split \"%s\": error names it (%s)", in,
		   pn_err_msg(&err));
	}
	pn_err_free(&err);
}

int main(void)
{
	struct probe_req q = { .kind = PROBE_TCP };
	struct probe_result r;
	struct pn_err err = { 0 };

	split("pod2:80", 0, "pod2", 80);
	split("pod2", 0, "pod2", 0);
	split("default/pod2:8080", 0, "default/pod2", 8080);
	split("10.244.0.3:443", 0, "10.244.0.3", 443);
	split("[fd00::3]:80", 0, "fd00::3", 80);
	split("[fd00::3]", 0, "fd00::3", 0);
	split("fd00::3", 0, "fd00::3", 0);
	split("pod2:0", -EINVAL, "port \"0\" out of range 1-65535", 0);
	split("pod2:65536", -EINVAL, "port \"65536\" out of range", 0);
	split("pod2:http", -EINVAL, "port \"http\"", 0);
	split(":80", -EINVAL, "\":80\": bad target", 0);
	split("[fd00::3]x", -EINVAL, "\"[fd00::3]x\": expected [IPv6]:PORT", 0);

	is_str(probe_outcome_str(PROBE_REFUSED), "refused", "refused word");
	is_str(probe_outcome_str(PROBE_NO_ROUTE), "no route to host", "no route word");
	is_str(probe_outcome_str(PROBE_TIMEOUT), "timed out", "timeout word");
	ok(probe_outcome_ok(PROBE_NO_ANSWER), "UDP silence counts as reached (open|filtered)");
	ok(!probe_outcome_ok(PROBE_UNREACHABLE), "unreachable is a failure");
	is_str(doctor_status_mark(DOCTOR_FAIL), "\u274c", "fail mark");

	is_int(probe_run(-1, &q, &r, &err), -EINVAL, "probe without a target address: -EINVAL");
	q.dst.family = AF_INET;
	q.port = 70000;
	is_int(probe_run(-1, &q, &r, &err), -EINVAL, "probe with port 70000: -EINVAL");
	ok(strstr(pn_err_msg(&err), "70000") != NULL, "and the message names the port (%s)", pn_err_msg(&err));

	pn_err_free(&err);
	return tap_done();
}
