/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_LOG_H
#define PODNET_LOG_H

/*
 * Diagnostics on stderr only (a CNI plugin's stdout carries its result).
 * PODNET_LOG=debug|info|warn|error selects the level; default warn.
 */

enum pn_log_level { PN_LOG_DEBUG, PN_LOG_INFO, PN_LOG_WARN, PN_LOG_ERROR };

void pn_log(enum pn_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pn_log_enabled(enum pn_log_level lvl);

#define pn_debug(...) do { if (pn_log_enabled(PN_LOG_DEBUG)) pn_log(PN_LOG_DEBUG, __VA_ARGS__); } while (0)
#define pn_warn(...) pn_log(PN_LOG_WARN, __VA_ARGS__)

#endif
