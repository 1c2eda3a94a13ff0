/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ERR_H
#define PODNET_ERR_H

#include <stdarg.h>

/*
 * Error codes carried in struct pn_err.  1..99 are the CNI specification's
 * well-known codes (SPEC.md "Error"), so a plugin can print them unchanged;
 * 100 and above are podnet's own, documented in podnet-bridge(8).
 */
enum pn_code {
	PN_OK = 0,
	PN_CNI_INCOMPATIBLE_VERSION = 1,
	PN_CNI_UNSUPPORTED_FIELD = 2,
	PN_CNI_UNKNOWN_CONTAINER = 3,
	PN_CNI_INVALID_ENV = 4,
	PN_CNI_IO = 5,
	PN_CNI_DECODE = 6,
	PN_CNI_INVALID_CONFIG = 7,
	PN_CNI_TRY_AGAIN = 11,
	PN_CNI_NOT_AVAILABLE = 50,
	PN_CNI_LIMITED_CONNECTIVITY = 51,

	PN_E_KERNEL = 100,        /* a netlink request or sysctl failed */
	PN_E_IPAM_EXHAUSTED = 101, /* no free address in any range of a set */
	PN_E_IPAM_CONFLICT = 102, /* requested address is leased to another */
	PN_E_IPAM_STORE = 103,    /* lease store unreadable or unwritable */
	PN_E_DELEGATE = 104,      /* delegated plugin could not be run */
	PN_E_NFT = 105,           /* nftables ruleset could not be set up */
	PN_E_CHECK = 106,         /* CHECK found state differing from prevResult */
	PN_E_EXISTS = 107,        /* the attachment already exists */
	PN_E_NOMEM = 108,
};

struct pn_err {
	int code;          /* enum pn_code, or a delegated plugin's code */
	int errnum;        /* errno behind it, 0 if none */
	char msg[512];     /* one line, names the offending value */
	char details[512]; /* optional: errno text, kernel extack text */
};

/*
 * Fill @e (if not NULL) and return the negative errno to hand back to the
 * caller: -errnum, or -EINVAL when no errno lies behind the error.
 */
int pn_error(struct pn_err *e, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pn_verror(struct pn_err *e, int code, int errnum, const char *fmt, va_list ap);

/* Append ": <detail>" text to e->details (kernel extack, stderr of a child). */
void pn_err_details(struct pn_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix e->msg with "<prefix>: " keeping code and errnum. */
void pn_err_prefix(struct pn_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void pn_err_clear(struct pn_err *e);

#endif
