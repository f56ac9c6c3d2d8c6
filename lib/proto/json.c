#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/encoding.h>
#include <m2msec/secret.h>

#include "core/safety.h"
#include "proto/json.h"

json_t *proto_parse(const char *body, size_t len, struct m2m_error *err)
{
    json_error_t jerr;
    json_t *root;

    if (body == NULL) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "empty body");
        return NULL;
    }
    if (len > M2M_MAX_BODY) {
        m2m_error_set(err, M2M_E_TOO_LARGE, "body of %zu bytes exceeds %d", len, M2M_MAX_BODY);
        return NULL;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "invalid JSON at line %d column %d: %s", jerr.line,
                      jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "body is not a JSON object");
        return NULL;
    }
    return root;
}

char *proto_dump(json_t *obj, struct m2m_error *err)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

    json_decref(obj);
    if (s == NULL)
        m2m_error_set(err, M2M_E_NOMEM, "JSON encoding");
    return s;
}

/* The member, or NULL after setting err when a required one is missing. */
static json_t *member(json_t *obj, const char *key, bool required, bool *absent,
                      struct m2m_error *err)
{
    json_t *v = json_object_get(obj, key);

    *absent = (v == NULL || json_is_null(v));
    if (*absent && required)
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "missing member \"%s\"", key);
    return *absent ? NULL : v;
}

int proto_get_bool(json_t *obj, const char *key, bool required, bool *out, struct m2m_error *err)
{
    bool absent;
    json_t *v = member(obj, key, required, &absent, err);
    int rc = -1;

    if (absent) {
        rc = required ? -1 : 0;
        goto out;
    }
    M2M_ENSURE(json_is_boolean(v), M2M_E_BAD_MESSAGE, "\"%s\" must be a boolean", key);
    *out = json_is_true(v);
    rc = 0;
out:
    return rc;
}

int proto_get_str(json_t *obj, const char *key, bool required, char *out, size_t outsz,
                  struct m2m_error *err)
{
    bool absent;
    json_t *v = member(obj, key, required, &absent, err);
    size_t n;
    int rc = -1;

    if (absent) {
        rc = required ? -1 : 0;
        goto out;
    }
    M2M_ENSURE(json_is_string(v), M2M_E_BAD_MESSAGE, "\"%s\" must be a string", key);
    n = json_string_length(v);
    M2M_ENSURE(n < outsz, M2M_E_TOO_LARGE, "\"%s\" longer than %zu", key, outsz - 1);
    M2M_ENSURE(memchr(json_string_value(v), '\0', n) == NULL, M2M_E_BAD_MESSAGE,
               "\"%s\" contains NUL", key);
    memcpy(out, json_string_value(v), n + 1);
    rc = 0;
out:
    return rc;
}

int proto_get_uint(json_t *obj, const char *key, bool required, unsigned long max,
                   unsigned long *out, struct m2m_error *err)
{
    bool absent;
    json_t *v = member(obj, key, required, &absent, err);
    json_int_t i;
    int rc = -1;

    if (absent) {
        rc = required ? -1 : 0;
        goto out;
    }
    M2M_ENSURE(json_is_integer(v), M2M_E_BAD_MESSAGE, "\"%s\" must be an integer", key);
    i = json_integer_value(v);
    M2M_ENSURE(i >= 0 && (unsigned long long)i <= max, M2M_E_BAD_MESSAGE,
               "\"%s\" out of range 0..%lu", key, max);
    *out = (unsigned long)i;
    rc = 0;
out:
    return rc;
}

int proto_get_time(json_t *obj, const char *key, bool required, time_t *out, struct m2m_error *err)
{
    char buf[40] = "";
    int rc = -1;

    M2M_GUARD(proto_get_str(obj, key, required, buf, sizeof(buf), err));
    if (buf[0] != '\0')
        M2M_GUARD(m2m_time_parse(buf, out, err));
    rc = 0;
out:
    return rc;
}

int proto_get_b64(json_t *obj, const char *key, bool required, unsigned char *out, size_t cap,
                  size_t *outlen, struct m2m_error *err)
{
    char buf[M2M_B64_LEN(256)] = "";
    int rc = -1;

    M2M_GUARD(proto_get_str(obj, key, required, buf, sizeof(buf), err));
    if (buf[0] != '\0' && m2m_b64_decode(buf, out, cap, outlen, err) != 0) {
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "\"%s\" is not base64 of at most %zu bytes", key,
                      cap);
        goto out;
    }
    rc = 0;
out:
    m2m_wipe(buf, sizeof(buf));
    return rc;
}

int proto_set_time(json_t *obj, const char *key, time_t t)
{
    char buf[40];

    if (m2m_time_format(t, buf, sizeof(buf)) != 0)
        return -1;
    return json_object_set_new(obj, key, json_string(buf));
}

int proto_set_b64(json_t *obj, const char *key, const unsigned char *data, size_t len)
{
    char buf[M2M_B64_LEN(256)];
    int rc;

    if (len > 256 || m2m_b64_encode(data, len, buf, sizeof(buf), NULL) != 0)
        return -1;
    rc = json_object_set_new(obj, key, json_string(buf));
    m2m_wipe(buf, sizeof(buf));
    return rc;
}
