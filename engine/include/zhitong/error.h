/* zhitong — error codes and the thread-local last-error message.
 *
 * A fallible function returns int: 0 on success or a negative ZT_E* code.
 * The human-readable detail is in zt_error_last(), set once by the function
 * that detected the failure; callers pass codes up unchanged and never
 * overwrite the callee's message (libgit2 style). */
#ifndef ZHITONG_ERROR_H
#define ZHITONG_ERROR_H

#include <stdarg.h>

enum zt_error_code {
	ZT_OK = 0,
	ZT_EINVAL = -1,     /* input breaks the format (lexical or schema)   */
	ZT_ERANGE = -2,     /* a number is out of range or would overflow    */
	ZT_ENOTFOUND = -3,  /* a referenced record does not exist            */
	ZT_ECONFLICT = -4,  /* would contradict stored state (overlap, dup)  */
	ZT_EIO = -5,        /* file or storage failure                       */
	ZT_ENOMEM = -6,     /* allocation failed                             */
	ZT_EMALFORMED = -7, /* not well-formed or hostile XML                */
	ZT_EINTERNAL = -8,  /* a bug or broken invariant                     */
	ZT_EBUSY = -9,      /* database locked beyond the busy timeout       */
	ZT_ENOTDELIVERED = -10, /* stored and committed, but the answer could not
	                         * be written out (closed pipe, full disk)    */
	ZT_EFOUREYES = -11, /* maker-checker: whoever made, reopened or last
	                     * changed it cannot approve it (docs/spec/service.md
	                     * "Users, roles and tokens"; HTTP 409 four-eyes)  */
	ZT_EUNAVAILABLE = -12, /* the database cannot be reached: its connection
	                        * was lost (server restarted, backend ended, a
	                        * failover) or cannot be made again yet. What
	                        * the transaction did is rolled back — unless
	                        * the loss came during its COMMIT, whose outcome
	                        * is then unknown: try again later (the same
	                        * claim, the same Idempotency-Key) */
};

/* The message of the last error on this thread ("" if none). */
const char *zt_error_last(void);
/* Set the message (printf-style). Returns `code` for `return zt_error_set(...)`. */
int zt_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int zt_error_setv(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void zt_error_clear(void);

#endif
