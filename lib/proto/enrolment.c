/* The Enrolment Exchange messages (TS-0003 V3 8.3.2.1; DESIGN.md section 4, MEF). */
#include <stdlib.h>
#include <string.h>

#include <m2msec/proto.h>

#include "core/safety.h"
#include "proto/json.h"

static const char *const type_names[] = {
    [M2M_INSTR_MAF_ENROLMENT] = "mafEnrolment",
    [M2M_INSTR_REMOTE_MANAGEMENT] = "remoteManagement",
    [M2M_INSTR_CERT_ENROLMENT] = "certificateEnrolment",
};

const char *m2m_instruction_type_name(enum m2m_instruction_type t)
{
    if ((unsigned)t >= M2M_ARRAY_LEN(type_names) || type_names[t] == NULL)
        return "unknown";
    return type_names[t];
}

int m2m_instruction_type_parse(const char *name, enum m2m_instruction_type *out)
{
    for (size_t i = 1; i < M2M_ARRAY_LEN(type_names); i++)
        if (name != NULL && strcmp(name, type_names[i]) == 0) {
            *out = (enum m2m_instruction_type)i;
            return 0;
        }
    return -1;
}

/* ---- request ---- */

int m2m_enrol_request_decode(const char *body, size_t len, struct m2m_enrol_request *out,
                             struct m2m_error *err)
{
    struct m2m_enrol_request req = {0};
    json_t *root = NULL;
    int rc = -1;

    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_bool(root, "certEnrolment", true, &req.cert_enrolment, err));
    M2M_GUARD(proto_get_bool(root, "mafEnrolment", true, &req.maf_enrolment, err));
    M2M_GUARD(proto_get_bool(root, "remoteManagement", true, &req.remote_management, err));
    *out = req;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

char *m2m_enrol_request_encode(const struct m2m_enrol_request *req, struct m2m_error *err)
{
    return proto_dump(json_pack("{s:b, s:b, s:b}", "certEnrolment", req->cert_enrolment,
                                "mafEnrolment", req->maf_enrolment, "remoteManagement",
                                req->remote_management),
                      err);
}

/* ---- instructions ---- */

static int decode_anchors(json_t *obj, struct m2m_instruction *in, struct m2m_error *err)
{
    json_t *arr = json_object_get(obj, "trustAnchors"), *v;
    size_t i;
    int rc = -1;

    if (arr == NULL || json_is_null(arr))
        return 0;
    M2M_ENSURE(json_is_array(arr), M2M_E_BAD_MESSAGE, "\"trustAnchors\" must be an array");
    M2M_ENSURE(json_array_size(arr) <= M2M_MAX_ANCHORS, M2M_E_TOO_LARGE,
               "more than %d trust anchors", M2M_MAX_ANCHORS);
    json_array_foreach(arr, i, v)
    {
        M2M_ENSURE(json_is_string(v) && json_string_length(v) < M2M_PEM_MAX, M2M_E_BAD_MESSAGE,
                   "trust anchor %zu must be a PEM string under %d bytes", i, M2M_PEM_MAX);
        M2M_ENSURE(strncmp(json_string_value(v), "-----BEGIN CERTIFICATE-----", 27) == 0,
                   M2M_E_BAD_MESSAGE, "trust anchor %zu is not a PEM certificate", i);
        in->trust_anchors[in->n_anchors] = strdup(json_string_value(v));
        M2M_ENSURE(in->trust_anchors[in->n_anchors] != NULL, M2M_E_NOMEM, "anchor");
        in->n_anchors++;
    }
    rc = 0;
out:
    return rc;
}

static int decode_maf(json_t *obj, struct m2m_instruction *in, struct m2m_error *err)
{
    unsigned long suid = M2M_SUID_REMOTE_MAF, lifetime = 0;
    int rc = -1;

    M2M_GUARD(proto_get_str(obj, "credentialType", true, in->credential_type,
                            sizeof(in->credential_type), err));
    M2M_ENSURE(strcmp(in->credential_type, "symmetric") == 0 ||
                   strcmp(in->credential_type, "certificate") == 0,
               M2M_E_BAD_MESSAGE, "credentialType must be \"symmetric\" or \"certificate\"");
    M2M_GUARD(proto_get_str(obj, "mafId", true, in->maf_id, sizeof(in->maf_id), err));
    M2M_GUARD(m2m_fqdn_validate(in->maf_id, err)); /* a MAF is named by its FQDN */
    M2M_GUARD(proto_get_str(obj, "mafUri", false, in->maf_uri, sizeof(in->maf_uri), err));
    M2M_GUARD(proto_get_uint(obj, "suid", false, 255, &suid, err));
    M2M_ENSURE(m2m_suid_valid((unsigned)suid), M2M_E_BAD_MESSAGE, "suid %lu is undefined", suid);
    in->suid = (unsigned)suid;
    M2M_GUARD(proto_get_str(obj, "keyRegistrationUri", false, in->key_registration_uri,
                            sizeof(in->key_registration_uri), err));
    M2M_GUARD(proto_get_str(obj, "keyRetrievalUri", false, in->key_retrieval_uri,
                            sizeof(in->key_retrieval_uri), err));
    M2M_GUARD(proto_get_str(obj, "clientRegistrationUri", false, in->client_registration_uri,
                            sizeof(in->client_registration_uri), err));
    M2M_GUARD(proto_get_uint(obj, "lifetime", false, 10L * 365 * 86400, &lifetime, err));
    in->lifetime = (long)lifetime;
    M2M_GUARD(decode_anchors(obj, in, err));
    rc = 0;
out:
    return rc;
}

static int decode_instruction(json_t *obj, struct m2m_instruction *in, struct m2m_error *err)
{
    char type[32];
    int rc = -1;

    M2M_ENSURE(json_is_object(obj), M2M_E_BAD_MESSAGE, "instruction must be an object");
    M2M_GUARD(proto_get_str(obj, "type", true, type, sizeof(type), err));
    M2M_ENSURE(m2m_instruction_type_parse(type, &in->type) == 0, M2M_E_BAD_MESSAGE,
               "unknown instruction type \"%s\"", type);
    if (in->type == M2M_INSTR_MAF_ENROLMENT)
        M2M_GUARD(decode_maf(obj, in, err));
    else
        M2M_GUARD(proto_get_str(obj, "uri", true, in->uri, sizeof(in->uri), err));
    rc = 0;
out:
    return rc;
}

static int decode_instruction_array(json_t *arr, struct m2m_enrol_response *into,
                                    struct m2m_error *err)
{
    json_t *v;
    size_t i;
    int rc = -1;

    M2M_ENSURE(json_is_array(arr), M2M_E_BAD_MESSAGE, "\"instructions\" must be an array");
    M2M_ENSURE(json_array_size(arr) <= M2M_MAX_INSTRUCTIONS, M2M_E_TOO_LARGE,
               "more than %d instructions", M2M_MAX_INSTRUCTIONS);
    json_array_foreach(arr, i, v)
    {
        into->n_instructions = i + 1; /* so clear() releases a partly decoded one */
        M2M_GUARD(decode_instruction(v, &into->instructions[i], err));
    }
    into->n_instructions = json_array_size(arr);
    rc = 0;
out:
    return rc;
}

int m2m_instructions_decode(const char *json, size_t len, struct m2m_enrol_response *into,
                            struct m2m_error *err)
{
    json_error_t jerr;
    json_t *arr = NULL;
    int rc = -1;

    M2M_ENSURE(json != NULL && len <= M2M_MAX_BODY, M2M_E_TOO_LARGE, "instructions too large");
    arr = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    M2M_ENSURE(arr != NULL, M2M_E_BAD_MESSAGE, "instructions: %s", jerr.text);
    rc = decode_instruction_array(arr, into, err);
out:
    json_decref(arr);
    if (rc != 0)
        m2m_enrol_response_clear(into);
    return rc;
}

static json_t *encode_instruction(const struct m2m_instruction *in)
{
    json_t *o = json_pack("{s:s}", "type", m2m_instruction_type_name(in->type));
    json_t *anchors;

    if (o == NULL || in->type != M2M_INSTR_MAF_ENROLMENT) {
        if (o != NULL)
            json_object_set_new(o, "uri", json_string(in->uri));
        return o;
    }
    json_object_set_new(o, "credentialType", json_string(in->credential_type));
    json_object_set_new(o, "mafId", json_string(in->maf_id));
    json_object_set_new(o, "suid", json_integer(in->suid));
    if (in->maf_uri[0])
        json_object_set_new(o, "mafUri", json_string(in->maf_uri));
    if (in->key_registration_uri[0])
        json_object_set_new(o, "keyRegistrationUri", json_string(in->key_registration_uri));
    if (in->key_retrieval_uri[0])
        json_object_set_new(o, "keyRetrievalUri", json_string(in->key_retrieval_uri));
    if (in->client_registration_uri[0])
        json_object_set_new(o, "clientRegistrationUri", json_string(in->client_registration_uri));
    if (in->lifetime > 0)
        json_object_set_new(o, "lifetime", json_integer(in->lifetime));
    anchors = json_array();
    for (size_t i = 0; i < in->n_anchors; i++)
        json_array_append_new(anchors, json_string(in->trust_anchors[i]));
    json_object_set_new(o, "trustAnchors", anchors);
    return o;
}

/* ---- response ---- */

int m2m_enrol_response_decode(const char *body, size_t len, struct m2m_enrol_response *out,
                              struct m2m_error *err)
{
    json_t *root = NULL, *arr;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_str(root, "keId", true, out->keid, sizeof(out->keid), err));
    M2M_GUARD(
        proto_get_str(root, "enroleeId", true, out->enrolee_id, sizeof(out->enrolee_id), err));
    M2M_GUARD(proto_get_time(root, "expires", true, &out->expires, err));
    arr = json_object_get(root, "instructions");
    M2M_ENSURE(arr != NULL, M2M_E_BAD_MESSAGE, "missing member \"instructions\"");
    M2M_GUARD(decode_instruction_array(arr, out, err));
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        m2m_enrol_response_clear(out);
    return rc;
}

char *m2m_enrol_response_encode(const struct m2m_enrol_response *resp, struct m2m_error *err)
{
    json_t *o = json_pack("{s:s, s:s}", "keId", resp->keid, "enroleeId", resp->enrolee_id);
    json_t *arr = json_array();

    if (o == NULL || arr == NULL || proto_set_time(o, "expires", resp->expires) != 0) {
        json_decref(o);
        json_decref(arr);
        m2m_error_set(err, M2M_E_NOMEM, "enrolment response");
        return NULL;
    }
    for (size_t i = 0; i < resp->n_instructions && i < M2M_MAX_INSTRUCTIONS; i++)
        json_array_append_new(arr, encode_instruction(&resp->instructions[i]));
    json_object_set_new(o, "instructions", arr);
    return proto_dump(o, err);
}

void m2m_enrol_response_clear(struct m2m_enrol_response *resp)
{
    if (resp == NULL)
        return;
    for (size_t i = 0; i < resp->n_instructions && i < M2M_MAX_INSTRUCTIONS; i++) {
        struct m2m_instruction *in = &resp->instructions[i];
        for (size_t j = 0; j < in->n_anchors; j++)
            free(in->trust_anchors[j]);
        in->n_anchors = 0;
    }
    resp->n_instructions = 0;
}

/* ---- acknowledgement ---- */

int m2m_enrol_complete_decode(const char *body, size_t len, struct m2m_enrol_complete *out,
                              struct m2m_error *err)
{
    struct m2m_enrol_complete c;
    json_t *root = NULL, *arr, *v;
    size_t i;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_str(root, "keId", true, c.keid, sizeof(c.keid), err));
    arr = json_object_get(root, "acknowledged");
    M2M_ENSURE(json_is_array(arr), M2M_E_BAD_MESSAGE, "\"acknowledged\" must be an array");
    M2M_ENSURE(json_array_size(arr) <= M2M_MAX_INSTRUCTIONS, M2M_E_TOO_LARGE,
               "more than %d acknowledgements", M2M_MAX_INSTRUCTIONS);
    json_array_foreach(arr, i, v)
    {
        M2M_ENSURE(json_is_string(v) &&
                       m2m_instruction_type_parse(json_string_value(v), &c.acks[i]) == 0,
                   M2M_E_BAD_MESSAGE, "acknowledgement %zu is not an instruction type", i);
    }
    c.n_acks = json_array_size(arr);
    *out = c;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

char *m2m_enrol_complete_encode(const struct m2m_enrol_complete *c, struct m2m_error *err)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < c->n_acks && i < M2M_MAX_INSTRUCTIONS; i++)
        json_array_append_new(arr, json_string(m2m_instruction_type_name(c->acks[i])));
    return proto_dump(json_pack("{s:s, s:o}", "keId", c->keid, "acknowledged", arr), err);
}
