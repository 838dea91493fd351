/* zhitong — thread-local last error (see error.h). */
#include "zhitong/error.h"

#include <stdio.h>

#include "zhitong/limits.h"

static _Thread_local char last_msg[ZT_MESSAGE_BYTES_MAX];

const char *zt_error_last(void) { return last_msg; }

void zt_error_clear(void) { last_msg[0] = '\0'; }

int zt_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof last_msg, fmt, ap);
	/* Messages are one line: fold any newline a library slipped in. */
	for (char *p = last_msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return code;
}

int zt_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zt_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

