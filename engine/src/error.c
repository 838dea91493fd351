/* zhitong — thread-local last error (see error.h). */
#include "zhitong/error.h"

#include <stdio.h>

#include "zhitong/limits.h"
#include "zhitong/text.h"

static _Thread_local char last_msg[ZT_MESSAGE_BYTES_MAX];

const char *zt_error_last(void) { return last_msg; }

void zt_error_clear(void) { last_msg[0] = '\0'; }

int zt_error_setv(int code, const char *fmt, va_list ap)
{
	/* Messages are one line and show what they quote: a newline a library
	 * slipped in is folded, an invisible or control character from outside
	 * is written as <U+200B> (text.h), never passed on to a terminal. */
	char raw[ZT_MESSAGE_BYTES_MAX];
	vsnprintf(raw, sizeof raw, fmt, ap);
	zt_text_visible(last_msg, sizeof last_msg, raw);
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

