/* RFC 3339 timestamps, the form every message and the store use. Parsing is by hand and
 * strict (fixed-width digit fields, RFC 3339 section 5.6): strptime and sscanf accept one-
 * digit fields and signed offsets, which are not RFC 3339. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <m2msec/proto.h>

#include "core/safety.h"

int m2m_time_format(time_t t, char *out, size_t outsz)
{
    struct tm tm;
    int n;

    if (out == NULL || gmtime_r(&t, &tm) == NULL)
        return -1;
    /* RFC 3339 has four-digit years only: a time outside 0000-9999 has no form. */
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -1;
    n = snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* Exactly `width` decimal digits at s into *out. */
static int digits(const char *s, int width, int *out)
{
    int v = 0;

    for (int i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "Z" (or "z") or "+HH:MM" / "-HH:MM", as seconds east of UTC; the number of characters read
 * in *len. */
static int zone(const char *p, long *offset, size_t *len)
{
    int hh, mm;

    if (*p == 'Z' || *p == 'z') {
        *offset = 0;
        *len = 1;
        return 0;
    }
    if ((*p != '+' && *p != '-') || digits(p + 1, 2, &hh) != 0 || p[3] != ':' ||
        digits(p + 4, 2, &mm) != 0 || hh > 23 || mm > 59)
        return -1;
    *offset = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
    *len = 6;
    return 0;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). The fraction is read and
 * ignored; a leap second (:60) is refused, since no m2msec time needs one. */
int m2m_time_parse(const char *s, time_t *out, struct m2m_error *err)
{
    int year, mon, day, hh, mm, ss;
    struct tm tm, back;
    const char *p;
    long offset = 0;
    size_t zlen = 0;
    time_t t;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    M2M_ENSURE(strlen(s) >= 20 && digits(s, 4, &year) == 0 && s[4] == '-' &&
                   digits(s + 5, 2, &mon) == 0 && s[7] == '-' && digits(s + 8, 2, &day) == 0 &&
                   (s[10] == 'T' || s[10] == 't') && digits(s + 11, 2, &hh) == 0 &&
                   s[13] == ':' && digits(s + 14, 2, &mm) == 0 && s[16] == ':' &&
                   digits(s + 17, 2, &ss) == 0,
               M2M_E_BAD_MESSAGE, "time '%.40s' is not RFC 3339", s);
    p = s + 19;
    if (*p == '.') {
        M2M_ENSURE(p[1] >= '0' && p[1] <= '9', M2M_E_BAD_MESSAGE, "empty fraction in '%.40s'",
                   s);
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    }
    M2M_ENSURE(zone(p, &offset, &zlen) == 0 && p[zlen] == '\0', M2M_E_BAD_MESSAGE,
               "time '%.40s' has no valid zone", s);
    M2M_ENSURE(mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh <= 23 && mm <= 59 &&
                   ss <= 59,
               M2M_E_BAD_MESSAGE, "time '%.40s' is out of range", s);
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    t = timegm(&tm);
    /* timegm normalises 2026-02-31 into March: such a date does not exist. */
    M2M_ENSURE(gmtime_r(&t, &back) != NULL && back.tm_mday == day && back.tm_mon == mon - 1,
               M2M_E_BAD_MESSAGE, "time '%.40s' names no such day", s);
    *out = t - offset;
    rc = 0;
out:
    return rc;
}
