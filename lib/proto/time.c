/* RFC 3339 timestamps in UTC, the form every message and the store use. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <m2msec/proto.h>

#include "core/safety.h"

int m2m_time_format(time_t t, char *out, size_t outsz)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        return -1;
    return strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? -1 : 0;
}

/* Accepts "YYYY-MM-DDTHH:MM:SS" with an optional fraction and "Z" or "+HH:MM"/"-HH:MM". */
int m2m_time_parse(const char *s, time_t *out, struct m2m_error *err)
{
    struct tm tm;
    const char *p;
    long offset = 0;
    int rc = -1;

    M2M_ENSURE_ARG(s != NULL && out != NULL);
    memset(&tm, 0, sizeof(tm));
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    M2M_ENSURE(p != NULL && strlen(s) >= 19, M2M_E_BAD_MESSAGE, "time '%.40s' is not RFC 3339", s);
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, n = 0;
        M2M_ENSURE(sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 && n == 5 && hh < 24 && mm < 60,
                   M2M_E_BAD_MESSAGE, "bad time zone offset in '%.40s'", s);
        offset = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        M2M_BAIL(M2M_E_BAD_MESSAGE, "time '%.40s' has no zone", s);
    }
    M2M_ENSURE(*p == '\0', M2M_E_BAD_MESSAGE, "trailing characters in time '%.40s'", s);
    *out = timegm(&tm) - offset;
    rc = 0;
out:
    return rc;
}
