/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_FAULT_H
#define PODNET_FAULT_H

/*
 * Fault injection for tests/faults/: a named point in a lifecycle step
 * ("apply.row-inserted", "ipam.add.index-created") where a test has the
 * process killed with SIGKILL, the way a node kills it (OOM killer, `kill
 * -9`, a crash), or stalled.  Kills at a uniformly random instant find
 * what a kill anywhere does; a point makes a narrow window (between two
 * syscalls that belong together) cheap to hit every time.
 *
 * PODNET_FAULT=NAME[@N][:sleep=S][,...]: at the Nth pass (default the
 * first) of point NAME in this process, die by SIGKILL, or with ":sleep=S"
 * stall S seconds (a slow or stuck step).  Unset (production), a point
 * costs one test of a cached flag.
 *
 * Names are "<program or step>.<what is done>"; tests/faults/ names each
 * one it uses, and a trial fails when its point is never reached (the
 * process then exits by itself instead of dying of SIGKILL).
 */

void pn_fault_point(const char *name);

#endif
