/* fetchCredentials, rootCredential and error bodies (DESIGN.md section 4). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/proto.h>
#include <m2msec/secret.h>

#include "core/safety.h"
#include "proto/json.h"

/* TS-0003 V3 8.3.1.2: Status=True, Credential, EnroleeID, Lifetime. */
int m2m_fetch_response_decode(const char *body, size_t len, struct m2m_fetch_response *out,
                              struct m2m_error *err)
{
    json_t *root = NULL;
    bool status = false;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_bool(root, "status", true, &status, err));
    M2M_ENSURE(status, M2M_E_BAD_MESSAGE, "status is false");
    M2M_GUARD(proto_get_b64(root, "credential", true, out->credential, sizeof(out->credential),
                            &out->credential_len, err));
    M2M_GUARD(
        proto_get_str(root, "enroleeId", false, out->enrolee_id, sizeof(out->enrolee_id), err));
    M2M_GUARD(proto_get_time(root, "lifetime", true, &out->lifetime, err));
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        m2m_wipe(out, sizeof(*out));
    return rc;
}

char *m2m_fetch_response_encode(const struct m2m_fetch_response *r, struct m2m_error *err)
{
    json_t *o = json_pack("{s:b}", "status", 1);

    if (o == NULL || proto_set_b64(o, "credential", r->credential, r->credential_len) != 0 ||
        proto_set_time(o, "lifetime", r->lifetime) != 0) {
        json_decref(o);
        m2m_error_set(err, M2M_E_NOMEM, "fetch response");
        return NULL;
    }
    if (r->enrolee_id[0])
        json_object_set_new(o, "enroleeId", json_string(r->enrolee_id));
    return proto_dump(o, err);
}

int m2m_root_credential_decode(const char *body, size_t len, struct m2m_root_credential *out,
                               struct m2m_error *err)
{
    json_t *root = NULL, *params;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_b64(root, "wrappedCredential", true, out->wrapped, sizeof(out->wrapped),
                            &out->wrapped_len, err));
    M2M_GUARD(proto_get_str(root, "credentialId", true, out->credential_id,
                            sizeof(out->credential_id), err));
    M2M_GUARD(proto_get_time(root, "expires", true, &out->expires, err));
    params = json_object_get(root, "parameters");
    if (params != NULL && !json_is_null(params)) {
        M2M_ENSURE(json_is_object(params), M2M_E_BAD_MESSAGE, "\"parameters\" must be an object");
        out->parameters_json = json_dumps(params, JSON_COMPACT);
        M2M_ENSURE(out->parameters_json != NULL, M2M_E_NOMEM, "parameters");
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        m2m_root_credential_clear(out);
    return rc;
}

char *m2m_root_credential_encode(const struct m2m_root_credential *r, struct m2m_error *err)
{
    json_t *o = json_pack("{s:s}", "credentialId", r->credential_id);
    json_t *params = NULL;

    if (r->parameters_json != NULL) {
        params = json_loads(r->parameters_json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(params)) {
            json_decref(params);
            json_decref(o);
            m2m_error_set(err, M2M_E_BAD_MESSAGE, "parameters must be a JSON object");
            return NULL;
        }
    }
    if (o == NULL || proto_set_b64(o, "wrappedCredential", r->wrapped, r->wrapped_len) != 0 ||
        proto_set_time(o, "expires", r->expires) != 0) {
        json_decref(o);
        json_decref(params);
        m2m_error_set(err, M2M_E_NOMEM, "root credential message");
        return NULL;
    }
    json_object_set_new(o, "parameters", params ? params : json_object());
    return proto_dump(o, err);
}

void m2m_root_credential_clear(struct m2m_root_credential *r)
{
    if (r == NULL)
        return;
    free(r->parameters_json);
    m2m_wipe(r, sizeof(*r));
}

char *m2m_error_body_encode(const char *reason)
{
    return proto_dump(
        json_pack("{s:b, s:s}", "status", 0, "errorString", reason ? reason : "error"), NULL);
}

void m2m_refusal_vset(char **body, char *log, size_t logsz, int http_status, const char *fmt,
                      va_list ap)
{
    char reason[400];

    vsnprintf(reason, sizeof(reason), fmt, ap);
    free(*body);
    *body = m2m_error_body_encode(reason);
    if (log != NULL)
        snprintf(log, logsz, "refused %d: %s", http_status, reason);
}

void m2m_error_body_decode(const char *body, size_t len, char *reason, size_t reasonsz)
{
    json_t *root = proto_parse(body, len, NULL);

    reason[0] = '\0';
    if (root != NULL && proto_get_str(root, "errorString", true, reason, reasonsz, NULL) != 0)
        reason[0] = '\0';
    json_decref(root);
}
