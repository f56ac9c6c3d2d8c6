#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

int cli_fail(const char *cmd, const struct m2m_error *err)
{
    fprintf(stderr, "m2msec %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "m2msec %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see m2msec %s --help)\n", cmd);
    return 2;
}
