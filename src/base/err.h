/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ERR_H
#define PODNET_ERR_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Error codes carried in struct pn_err, in three ranges:
 *   1..99    the CNI specification's well-known codes (SPEC.md "Error"), so
 *            a plugin can print them unchanged;
 *   100..199 the CNI plugins' own codes, documented in podnet-bridge(8) and
 *            podnet-ipam(8) (100 and 108 are used by every layer);
 *   200..    the pod runtime's, each named after the Kubernetes Status reason
 *            (metav1.StatusReason) the API daemon answers with.
 * pn_code_reason() and pn_code_http_status() map any code to that reason
 * and HTTP status; docs/error-handling.md has the table.
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

	PN_E_BAD_REQUEST = 200,    /* BadRequest: input that is not a usable object */
	PN_E_INVALID = 201,        /* Invalid: an object failed validation (causes) */
	PN_E_NOT_FOUND = 202,      /* NotFound: no such pod, container, image, ... */
	PN_E_ALREADY_EXISTS = 203, /* AlreadyExists: the name is taken */
	PN_E_CONFLICT = 204,       /* Conflict: the object's state forbids the request */
	PN_E_FORBIDDEN = 205,      /* Forbidden: not allowed on this node */
	PN_E_BUSY = 206,           /* TooManyRequests: state database locked, retry */
	PN_E_TIMEOUT = 207,        /* Timeout: an operation did not finish in time */
	PN_E_OCI_RUNTIME = 208,    /* InternalError: runc/crun failed or is missing */
	PN_E_STATE = 209,          /* InternalError: state database or files unusable */
	PN_E_IMAGE = 210,          /* InternalError: image store or rootfs unusable */
};

/*
 * One field error of an invalid object, as kube-apiserver lists them in
 * Status.details.causes[]: reason "FieldValueInvalid", field
 * "spec.containers[0].ports[0].containerPort", message "Invalid value: 0:
 * must be between 1 and 65535, inclusive".  The message line of the error
 * is field + ": " + message for each cause.
 */
struct pn_cause {
	char *reason;  /* metav1.CauseType: FieldValueRequired, FieldValueInvalid, ... */
	char *field;   /* the field path, "" when the cause is not about one field */
	char *message; /* the text after "<field>: " */
};

/*
 * An error: filled by a library function that fails, read by whoever
 * reports it.  Start it zeroed (`struct pn_err err = { 0 };`); whoever owns
 * it calls pn_err_free() when done with it, on every path, as for any other
 * heap object.  Read msg and details through pn_err_msg() and
 * pn_err_details_text(); causes[0..n_causes) may be walked directly.
 */
struct pn_err {
	int code;      /* enum pn_code, or a delegated plugin's code */
	int errnum;    /* errno behind it, 0 if none */
	char *msg;     /* names the offending value; may span lines (manifest.h) */
	char *details; /* optional: errno text, kernel extack text, ...; NULL if none */
	struct pn_cause *causes;
	size_t n_causes;
};

/*
 * Replace whatever @e held (message, details, causes) by a new error, if @e
 * is not NULL, and return the negative errno to hand back to the caller:
 * -errnum, or -EINVAL when no errno lies behind the error.  details become
 * strerror(errnum), or none.  Messages have no length limit; when memory
 * runs out while formatting, @e still gets a fixed "out of memory" text.
 */
int pn_error(struct pn_err *e, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pn_verror(struct pn_err *e, int code, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Append "<detail>" to the details, after ": " if there are some already
 * (kernel extack, stderr of a child).  Left as it was when out of memory. */
void pn_err_details(struct pn_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop the details, keeping everything else. */
void pn_err_details_clear(struct pn_err *e);

/* Prefix the message with "<prefix>: " keeping everything else.  Left as it
 * was when out of memory. */
void pn_err_prefix(struct pn_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Append a cause (see struct pn_cause).  Does not touch the message: the
 * caller writes the message that lists the causes.  Returns 0, or -ENOMEM
 * with the causes left as they were.
 */
int pn_err_cause(struct pn_err *e, const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The message, or "" (never NULL; also for a NULL or empty @e). */
const char *pn_err_msg(const struct pn_err *e);
/* The details, or "" (never NULL). */
const char *pn_err_details_text(const struct pn_err *e);

/* Release what @e holds and zero it; accepts NULL and an empty error. */
void pn_err_free(struct pn_err *e);
/* Hand @src's error over to @dst (releasing what @dst held; when @dst is
 * NULL the error is released) and leave @src empty. */
void pn_err_move(struct pn_err *dst, struct pn_err *src);

/*
 * The Kubernetes Status reason for @code ("NotFound", "Invalid", ...;
 * "InternalError" for the kernel, plugin and unknown codes, "" for 0) and
 * the HTTP status the API daemon answers with (200 for 0).
 */
const char *pn_code_reason(int code);
int pn_code_http_status(int code);

#endif
