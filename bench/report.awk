#!/usr/bin/awk -f
# SPDX-License-Identifier: Apache-2.0
# The report of make bench: read cnibench's TSV rows
#   label par pods op n p50 p90 p99 mean first_p50 last_p50 window
# print one table, then the ratios issue 2 sets as targets, each marked met
# or missed.  Variables: small (pods of the small runs), big, par.
BEGIN { FS = "\t" }
# A configuration measured in several rounds (BENCH_ROUNDS) has one row per
# round; each statistic is reported as its median over the rounds, so one
# round disturbed by other work on the machine does not decide a ratio.
{
	k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	c = ++cnt[k]
	for (f = 6; f <= 11; f++)
		val[k, f, c] = $f
	win[k] = $12
	if (!(($1 SUBSEP $2 SUBSEP $3) in seen)) {
		seen[$1 SUBSEP $2 SUBSEP $3] = 1
		rows[++nrows] = $1 SUBSEP $2 SUBSEP $3
	}
}
function median(k, f,   n, i, j, t, a) {
	n = cnt[k]
	for (i = 1; i <= n; i++)
		a[i] = val[k, f, i] + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function summarize(   k) {
	for (k in cnt) {
		p50[k] = median(k, 6); p90[k] = median(k, 7); p99[k] = median(k, 8)
		mean[k] = median(k, 9); first[k] = median(k, 10); last[k] = median(k, 11)
	}
}
function key(label, p, n, op) { return label SUBSEP p SUBSEP n SUBSEP op }
function has(label, p, n, op) { return (key(label, p, n, op) in p50) }
function v(label, p, n, op) { return p50[key(label, p, n, op)] }
function growth(label, p, n,   k) {
	k = key(label, p, n, "ADD")
	return (k in first && first[k] > 0) ? last[k] / first[k] : 0
}
function mark(ok) { return ok ? "met" : "MISSED" }
# target NAME VALUE OP LIMIT: one line; OP is "<=" or ">=".
function target(name, val, op, lim,   ok) {
	if (val <= 0) return
	ok = (op == "<=") ? (val <= lim) : (val >= lim)
	printf "  %-58s %7.2f   target %s %-5s %s\n", name, val, op, lim, mark(ok)
	ntargets++
	if (!ok) nmissed++
}
function info(name, val) {
	if (val <= 0) return
	printf "  %-58s %7.2f\n", name, val
}
END {
	summarize()
	print ""
	print "== results: latency per operation in ms (p50/p90/p99/mean); growth = ADD p50 of the last vs the first window"
	print "   n = rounds; each figure is the median over the rounds"
	printf "%-20s %4s %5s %2s | %7s %7s %7s %7s | %7s %7s %7s %7s | %7s %7s %6s\n",
		"config", "par", "pods", "n", "ADD p50", "p90", "p99", "mean", "DEL p50", "p90", "p99", "mean",
		"first", "last", "growth"
	for (i = 1; i <= nrows; i++) {
		split(rows[i], r, SUBSEP)
		a = rows[i] SUBSEP "ADD"; d = rows[i] SUBSEP "DEL"
		printf "%-20s %4s %5s %2d | %7.3f %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f %7.3f",
			r[1], r[2], r[3], cnt[a], p50[a], p90[a], p99[a], mean[a], p50[d], p90[d], p99[d], mean[d]
		if (first[a] > 0)
			printf " | %7.3f %7.3f %5.2fx\n", first[a], last[a], last[a] / first[a]
		else
			printf " |\n"
	}
	print ""
	print "floor = exec of a trivial static binary + the same netlink work from one"
	print "long-lived process, timed per pod (rows floor.exec and floor.netlink are its parts)."
	print ""
	print "== ratios (p50) and targets"
	nps = split("1 " par, pars, " ")
	nns = split(small " " big, sizes, " ")
	for (pi = 1; pi <= nps; pi++) for (ni = 1; ni <= nns; ni++) {
		p = pars[pi]; n = sizes[ni]
		if (!has("podnet", p, n, "ADD") && !has("floor", p, n, "ADD") && !has("ref", p, n, "ADD"))
			continue
		printf "-- %d pods, %s\n", n, p == 1 ? "sequential" : p " in parallel"
		if (has("podnet", p, n, "ADD") && has("floor", p, n, "ADD")) {
			target("ADD podnet / floor", v("podnet", p, n, "ADD") / v("floor", p, n, "ADD"), "<=", 1.3)
			target("DEL podnet / floor_DEL", v("podnet", p, n, "DEL") / v("floor", p, n, "DEL"), "<=", 1.2)
			if (has("podnet-masq", p, n, "ADD"))
				info("ADD podnet+ipMasq / floor (informative)", v("podnet-masq", p, n, "ADD") / v("floor", p, n, "ADD"))
			if (has("podnet-iso", p, n, "ADD"))
				info("ADD podnet+portIsolation+spoofCheck / floor (informative)", v("podnet-iso", p, n, "ADD") / v("floor", p, n, "ADD"))
		}
		if (has("ref", p, n, "ADD") && has("podnet", p, n, "ADD")) {
			target("ADD reference / podnet", v("ref", p, n, "ADD") / v("podnet", p, n, "ADD"), ">=", 5)
			info("DEL reference / podnet (informative)", v("ref", p, n, "DEL") / v("podnet", p, n, "DEL"))
		}
		if (has("ref-masq", p, n, "ADD") && has("podnet-masq", p, n, "ADD"))
			target("ADD reference+ipMasq / podnet+ipMasq", v("ref-masq", p, n, "ADD") / v("podnet-masq", p, n, "ADD"), ">=", 15)
		if (has("ref-masq", p, n, "ADD") && has("podnet", p, n, "ADD"))
			info("ADD reference+ipMasq / podnet (informative)", v("ref-masq", p, n, "ADD") / v("podnet", p, n, "ADD"))
		if (n == big) {
			target("one bridge: podnet ADD last/first window", growth("podnet", p, n), "<=", 2)
			target("one bridge: podnet+ipMasq ADD last/first window", growth("podnet-masq", p, n), "<=", 2)
			target("one bridge: podnet+portIsolation ADD last/first window", growth("podnet-iso", p, n), "<=", 2)
			info("one bridge: floor ADD last/first window", growth("floor", p, n))
			info("one bridge: floor.netlink ADD last/first window", growth("floor.netlink", p, n))
			info("one bridge: naive floor (IPv6 link-local on) last/first", growth("floor-naive", p, n))
			info("one bridge: naive floor.netlink last/first", growth("floor-naive.netlink", p, n))
			info("one bridge: reference ADD last/first window", growth("ref", p, n))
			info("one bridge: reference+ipMasq ADD last/first window", growth("ref-masq", p, n))
		}
	}
	printf "\n== %d targets checked, %d missed\n", ntargets, nmissed
}
