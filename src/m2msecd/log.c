#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

static struct {
    char role[32];
    enum log_level level;
    int json;
} logcfg = {"m2msecd", LOG_INFO, 0};

static const char *const names[] = {"error", "warn", "info", "debug"};

void log_setup(const char *role, enum log_level level, int json)
{
    snprintf(logcfg.role, sizeof(logcfg.role), "%s", role);
    logcfg.level = level;
    logcfg.json = json;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_DEBUG; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char msg[1024], when[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (level > logcfg.level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (logcfg.json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "time", when, "level", names[level],
                              "role", logcfg.role, "pid", (int)getpid(), "msg", msg);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (line != NULL)
            fprintf(stderr, "%s\n", line);
        free(line);
        json_decref(o);
    } else {
        fprintf(stderr, "%s %s[%d] %s: %s\n", when, logcfg.role, (int)getpid(), names[level], msg);
    }
}
