/* The briefing request and the Bootstrap Execution Instruction (DESIGN.md section 4), encode
 * and decode side by side. Decoders are strict: a node's body is hostile until proved
 * otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/bbn.h>
#include <m2msec/crypto.h>

#include "core/safety.h"
#include "proto/json.h"

static const char *const mechanisms[] = {"certificate", "pki", "psk", "gba"};

int m2m_bbn_mechanism_valid(const char *name)
{
    for (size_t i = 0; i < M2M_ARRAY_LEN(mechanisms); i++)
        if (strcmp(name, mechanisms[i]) == 0)
            return 1;
    return 0;
}

/* An array of 1..M2M_BBN_MAX_LIST non-empty strings that fit a name. */
static int get_names(json_t *obj, const char *key, char out[][M2M_BBN_NAME_MAX], size_t *n,
                     struct m2m_error *err)
{
    json_t *arr = json_object_get(obj, key), *v;
    size_t i;
    int rc = -1;

    M2M_ENSURE(json_is_array(arr), M2M_E_BAD_MESSAGE, "\"%s\" must be an array of strings", key);
    M2M_ENSURE(json_array_size(arr) >= 1 && json_array_size(arr) <= M2M_BBN_MAX_LIST,
               M2M_E_BAD_MESSAGE, "\"%s\" must hold 1 to %d names", key, M2M_BBN_MAX_LIST);
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        M2M_ENSURE(s != NULL && s[0] != '\0' && strlen(s) < M2M_BBN_NAME_MAX &&
                       strlen(s) == json_string_length(v),
                   M2M_E_BAD_MESSAGE, "\"%s\"[%zu] must be a name of 1 to %d characters", key, i,
                   M2M_BBN_NAME_MAX - 1);
        memcpy(out[i], s, strlen(s) + 1);
    }
    *n = json_array_size(arr);
    rc = 0;
out:
    return rc;
}

static int get_coord(json_t *loc, const char *key, double limit, double *out, struct m2m_error *err)
{
    json_t *v = json_object_get(loc, key);
    int rc = -1;

    M2M_ENSURE(json_is_number(v), M2M_E_BAD_MESSAGE, "\"location.%s\" must be a number", key);
    *out = json_number_value(v);
    M2M_ENSURE(isfinite(*out) && *out >= -limit && *out <= limit, M2M_E_BAD_MESSAGE,
               "\"location.%s\" must lie in [-%g, %g]", key, limit, limit);
    rc = 0;
out:
    return rc;
}

int m2m_bbn_request_decode(const char *body, size_t len, struct m2m_bbn_request *out,
                           struct m2m_error *err)
{
    json_t *root = NULL, *loc;
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(get_names(root, "mechanisms", out->mechanisms, &out->n_mechanisms, err));
    M2M_GUARD(get_names(root, "transports", out->transports, &out->n_transports, err));
    if (json_object_get(root, "site") != NULL) {
        M2M_GUARD(proto_get_str(root, "site", true, out->site, sizeof(out->site), err));
        M2M_ENSURE(out->site[0] != '\0', M2M_E_BAD_MESSAGE, "\"site\" must not be empty");
        out->has_site = true;
    }
    if ((loc = json_object_get(root, "location")) != NULL) {
        M2M_ENSURE(json_is_object(loc), M2M_E_BAD_MESSAGE, "\"location\" must be an object");
        M2M_GUARD(get_coord(loc, "lat", 90.0, &out->lat, err));
        M2M_GUARD(get_coord(loc, "lon", 180.0, &out->lon, err));
        out->has_location = true;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static json_t *names_array(const char names[][M2M_BBN_NAME_MAX], size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_string(names[i]));
    return arr;
}

char *m2m_bbn_request_encode(const struct m2m_bbn_request *req, struct m2m_error *err)
{
    json_t *obj = json_object();

    if (obj == NULL || req == NULL) {
        json_decref(obj);
        m2m_error_set(err, M2M_E_INVALID_ARG, "briefing request");
        return NULL;
    }
    json_object_set_new(obj, "mechanisms", names_array(req->mechanisms, req->n_mechanisms));
    json_object_set_new(obj, "transports", names_array(req->transports, req->n_transports));
    if (req->has_site)
        json_object_set_new(obj, "site", json_string(req->site));
    if (req->has_location)
        json_object_set_new(obj, "location",
                            json_pack("{s:f, s:f}", "lat", req->lat, "lon", req->lon));
    return proto_dump(obj, err);
}

/* ---- the instruction ---- */

char *m2m_bbn_instruction_encode(const struct m2m_bbn_instruction *in, struct m2m_error *err)
{
    json_t *ins = json_object(), *anchors = json_array(), *targets = json_array();

    if (ins == NULL || anchors == NULL || targets == NULL || in == NULL) {
        json_decref(ins), json_decref(anchors), json_decref(targets);
        m2m_error_set(err, M2M_E_NOMEM, "instruction");
        return NULL;
    }
    for (size_t i = 0; i < in->n_anchors; i++)
        json_array_append_new(anchors, json_string(in->trust_anchors[i]));
    for (size_t i = 0; i < in->n_targets; i++)
        json_array_append_new(targets, json_pack("{s:s, s:I}", "id", in->targets[i].id, "suid",
                                                 (json_int_t)in->targets[i].suid));
    json_object_set_new(ins, "mechanism", json_string(in->mechanism));
    json_object_set_new(ins, "target",
                        json_pack("{s:s, s:s}", "id", in->target_id, "uri", in->target_uri));
    json_object_set_new(ins, "trustAnchors", anchors);
    json_object_set_new(ins, "enrolmentTargets", targets);
    if (proto_set_time(ins, "expires", in->expires) != 0) {
        json_decref(ins);
        m2m_error_set(err, M2M_E_BAD_MESSAGE, "expiry outside the years 0000-9999");
        return NULL;
    }
    return proto_dump(json_pack("{s:o}", "instruction", ins), err);
}

static int decode_targets(json_t *ins, struct m2m_bbn_instruction *out, struct m2m_error *err)
{
    json_t *arr = json_object_get(ins, "enrolmentTargets"), *v;
    unsigned long suid;
    size_t i;
    int rc = -1;

    M2M_ENSURE(json_is_array(arr) && json_array_size(arr) <= M2M_BBN_MAX_TARGETS, M2M_E_BAD_MESSAGE,
               "\"enrolmentTargets\" must be an array of at most %d", M2M_BBN_MAX_TARGETS);
    json_array_foreach(arr, i, v)
    {
        M2M_ENSURE(json_is_object(v), M2M_E_BAD_MESSAGE, "enrolment target %zu", i);
        M2M_GUARD(
            proto_get_str(v, "id", true, out->targets[i].id, sizeof(out->targets[i].id), err));
        M2M_GUARD(proto_get_uint(v, "suid", true, 99, &suid, err));
        M2M_ENSURE(m2m_suid_valid((unsigned)suid), M2M_E_SUID, "%lu", suid);
        out->targets[i].suid = (unsigned)suid;
        out->n_targets++;
    }
    rc = 0;
out:
    return rc;
}

static int decode_anchors(json_t *ins, struct m2m_bbn_instruction *out, struct m2m_error *err)
{
    json_t *arr = json_object_get(ins, "trustAnchors"), *v;
    size_t i;
    int rc = -1;

    M2M_ENSURE(json_is_array(arr) && json_array_size(arr) <= M2M_MAX_ANCHORS, M2M_E_BAD_MESSAGE,
               "\"trustAnchors\" must be an array of at most %d PEM strings", M2M_MAX_ANCHORS);
    json_array_foreach(arr, i, v)
    {
        const char *pem = json_string_value(v);
        M2M_ENSURE(pem != NULL && strlen(pem) < M2M_PEM_MAX, M2M_E_BAD_MESSAGE, "trust anchor %zu",
                   i);
        M2M_ENSURE((out->trust_anchors[i] = strdup(pem)) != NULL, M2M_E_NOMEM, "anchor");
        out->n_anchors++;
    }
    rc = 0;
out:
    return rc;
}

int m2m_bbn_instruction_decode(const char *body, size_t len, struct m2m_bbn_instruction *out,
                               struct m2m_error *err)
{
    json_t *root = NULL, *ins, *target;
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    ins = json_object_get(root, "instruction");
    M2M_ENSURE(json_is_object(ins), M2M_E_BAD_MESSAGE, "\"instruction\" must be an object");
    M2M_GUARD(proto_get_str(ins, "mechanism", true, out->mechanism, sizeof(out->mechanism), err));
    target = json_object_get(ins, "target");
    M2M_ENSURE(json_is_object(target), M2M_E_BAD_MESSAGE, "\"target\" must be an object");
    M2M_GUARD(proto_get_str(target, "id", true, out->target_id, sizeof(out->target_id), err));
    M2M_GUARD(proto_get_str(target, "uri", true, out->target_uri, sizeof(out->target_uri), err));
    M2M_GUARD(decode_anchors(ins, out, err));
    M2M_GUARD(decode_targets(ins, out, err));
    M2M_GUARD(proto_get_time(ins, "expires", true, &out->expires, err));
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        m2m_bbn_instruction_clear(out);
    json_decref(root);
    return rc;
}

void m2m_bbn_instruction_clear(struct m2m_bbn_instruction *in)
{
    if (in == NULL)
        return;
    for (size_t i = 0; i < in->n_anchors; i++)
        free(in->trust_anchors[i]);
    memset(in, 0, sizeof(*in));
}
