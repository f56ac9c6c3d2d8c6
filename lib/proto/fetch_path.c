/* The request line of fetchCredentials (DESIGN.md section 4): /fetchCredentials/{KeID}/{SUID},
 * plus ?ua=<10 hex digits> for a B-TID (SPEC.md section 8). A B-TID is base64 and may hold
 * '/', so the KeID segment is percent-encoded (RFC 3986 2.1) and decoded strictly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/proto.h>

#include "core/safety.h"

#define FETCH_PREFIX "/fetchCredentials/"

/* RFC 3986 2.3 unreserved characters, plus '@' (allowed in a path segment, 3.3). */
static int plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '@';
}

static int ua_ok(const char *ua)
{
    if (strlen(ua) != M2M_FETCH_UA_HEX_LEN)
        return 0;
    for (const char *p = ua; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int m2m_fetch_path_format(const char *keid, unsigned suid, const char *ua, char *out, size_t outsz,
                          struct m2m_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    int rc = -1, w;

    M2M_ENSURE_ARG(keid != NULL && keid[0] != '\0' && out != NULL);
    M2M_ENSURE(ua == NULL || ua_ok(ua), M2M_E_INVALID_ARG, "Ua id must be %d lowercase hex digits",
               M2M_FETCH_UA_HEX_LEN);
    M2M_ENSURE(outsz > sizeof(FETCH_PREFIX), M2M_E_INVALID_ARG, "path buffer too small");
    memcpy(out, FETCH_PREFIX, sizeof(FETCH_PREFIX) - 1);
    n = sizeof(FETCH_PREFIX) - 1;
    for (const unsigned char *p = (const unsigned char *)keid; *p; p++) {
        M2M_ENSURE(n + 4 < outsz, M2M_E_INVALID_ARG, "KeID too long for a path");
        if (plain(*p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    w = snprintf(out + n, outsz - n, "/%u%s%s", suid, ua ? "?ua=" : "", ua ? ua : "");
    M2M_ENSURE(w > 0 && (size_t)w < outsz - n, M2M_E_INVALID_ARG, "KeID too long for a path");
    rc = 0;
out:
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* RFC 3986 3.3 pchar, less '%' which starts an escape. */
static int pchar_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

/* Decodes one percent-encoded segment [s, end) into out: every '%' starts two hex digits,
 * only pchars appear unescaped, and no escape yields a control or non-ASCII byte. */
static int decode_segment(const char *s, const char *end, char *out, size_t outsz,
                          struct m2m_error *err)
{
    size_t n = 0;
    int rc = -1;

    for (const char *p = s; p < end; p++) {
        int c = (unsigned char)*p;

        if (c == '%') {
            int hi = end - p >= 3 ? hexval(p[1]) : -1;
            int lo = hi >= 0 ? hexval(p[2]) : -1;

            M2M_ENSURE(hi >= 0 && lo >= 0, M2M_E_BAD_MESSAGE,
                       "malformed percent-encoding at offset %td of the KeID", p - s);
            c = hi * 16 + lo;
            M2M_ENSURE(c > 0x20 && c < 0x7f, M2M_E_BAD_MESSAGE,
                       "percent-encoded byte 0x%02x in the KeID is not printable ASCII", c);
            p += 2;
        } else {
            M2M_ENSURE(pchar_plain((unsigned char)c), M2M_E_BAD_MESSAGE,
                       "byte 0x%02x must be percent-encoded in the KeID", c);
        }
        M2M_ENSURE(n + 1 < outsz, M2M_E_BAD_MESSAGE, "KeID too long");
        out[n++] = (char)c;
    }
    M2M_ENSURE(n > 0, M2M_E_BAD_MESSAGE, "empty KeID");
    out[n] = '\0';
    rc = 0;
out:
    return rc;
}

static int parse_suid(const char *s, unsigned *suid, struct m2m_error *err)
{
    unsigned long v = 0;
    int rc = -1;

    M2M_ENSURE(*s != '\0' && strlen(s) <= 3 && strspn(s, "0123456789") == strlen(s), M2M_E_SUID,
               "'%.16s' is not a SUID", s);
    for (const char *p = s; *p; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    *suid = (unsigned)v;
    rc = 0;
out:
    return rc;
}

/* The query: ua=<10 hex digits> at most once (lowercased); other parameters are ignored. */
static int parse_query(const char *q, char ua[M2M_FETCH_UA_HEX_LEN + 1], struct m2m_error *err)
{
    int rc = -1;

    while (q != NULL && *q != '\0') {
        size_t n = strcspn(q, "&");

        if (n >= 2 && strncmp(q, "ua", 2) == 0 && (n == 2 || q[2] == '=')) {
            M2M_ENSURE(ua[0] == '\0', M2M_E_BAD_MESSAGE, "ua given twice");
            M2M_ENSURE(n > 3, M2M_E_BAD_MESSAGE, "ua needs a value");
            M2M_ENSURE(n == 3 + M2M_FETCH_UA_HEX_LEN, M2M_E_BAD_MESSAGE,
                       "ua must be %d hex digits (5-byte Ua security protocol id)",
                       M2M_FETCH_UA_HEX_LEN);
            for (size_t i = 0; i < M2M_FETCH_UA_HEX_LEN; i++) {
                int v = hexval(q[3 + i]);

                M2M_ENSURE(v >= 0, M2M_E_BAD_MESSAGE, "ua is not hex");
                ua[i] = "0123456789abcdef"[v];
            }
            ua[M2M_FETCH_UA_HEX_LEN] = '\0';
        }
        q += n;
        if (*q == '&')
            q++;
    }
    rc = 0;
out:
    if (rc != 0)
        ua[0] = '\0';
    return rc;
}

int m2m_fetch_path_parse(const char *path, const char *query, char *keid, size_t keidsz,
                         unsigned *suid, char ua[M2M_FETCH_UA_HEX_LEN + 1], struct m2m_error *err)
{
    const char *seg, *slash;
    int rc = -1;

    M2M_ENSURE_ARG(path != NULL && keid != NULL && suid != NULL && ua != NULL);
    ua[0] = '\0';
    M2M_ENSURE(strncmp(path, FETCH_PREFIX, sizeof(FETCH_PREFIX) - 1) == 0, M2M_E_BAD_MESSAGE,
               "not a fetchCredentials path");
    seg = path + sizeof(FETCH_PREFIX) - 1;
    slash = strchr(seg, '/');
    M2M_ENSURE(slash != NULL && strchr(slash + 1, '/') == NULL, M2M_E_BAD_MESSAGE,
               "path must be /fetchCredentials/{KeID}/{SUID}");
    M2M_GUARD(decode_segment(seg, slash, keid, keidsz, err));
    M2M_GUARD(parse_suid(slash + 1, suid, err));
    M2M_GUARD(parse_query(query, ua, err));
    rc = 0;
out:
    return rc;
}
