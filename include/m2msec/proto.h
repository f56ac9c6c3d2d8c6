/* The JSON messages of every exchange (DESIGN.md section 4), encode and decode side by side.
 * Decoders are strict: the body must be one JSON object within M2M_MAX_BODY bytes, every
 * required member present with the right type, strings within their bounds. Unknown members
 * are ignored so that newer peers can add fields. */
#ifndef M2MSEC_PROTO_H
#define M2MSEC_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

#include <m2msec/common.h>
#include <m2msec/crypto.h>
#include <m2msec/error.h>
#include <m2msec/id.h>

#define M2M_MAX_BODY         16384 /* request bodies larger than this are refused */
#define M2M_URI_MAX          512
#define M2M_MAX_INSTRUCTIONS 8
#define M2M_MAX_ANCHORS      8
#define M2M_PEM_MAX          4096

/* oneM2M HTTP binding headers (TS-0009) and response status codes (TS-0004 6.6). */
#define M2M_HDR_ORIGIN "X-M2M-Origin"
#define M2M_HDR_RI     "X-M2M-RI"
#define M2M_HDR_RSC    "X-M2M-RSC"

enum m2m_rsc {
    M2M_RSC_OK = 2000,
    M2M_RSC_CREATED = 2001,
    M2M_RSC_BAD_REQUEST = 4000,
    M2M_RSC_NOT_FOUND = 4004,
    M2M_RSC_OPERATION_NOT_ALLOWED = 4005,
    M2M_RSC_REQUEST_TIMEOUT = 4008,
    M2M_RSC_UNSUPPORTED_MEDIA_TYPE = 4015,
    M2M_RSC_CONTENTS_UNACCEPTABLE = 4102,
    M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE = 4103,
    M2M_RSC_CONFLICT = 4105,
    M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED = 4106,
    M2M_RSC_SECURITY_ASSOCIATION_REQUIRED = 4107,
    M2M_RSC_INTERNAL_SERVER_ERROR = 5000,
    M2M_RSC_NOT_IMPLEMENTED = 5001,
};

/* ---- Enrolment exchange (TS-0003 V3 8.3.2.1) ---- */
struct m2m_enrol_request {
    bool cert_enrolment;
    bool maf_enrolment;
    bool remote_management;
};

enum m2m_instruction_type {
    M2M_INSTR_MAF_ENROLMENT = 1,
    M2M_INSTR_REMOTE_MANAGEMENT,
    M2M_INSTR_CERT_ENROLMENT,
};

struct m2m_instruction {
    enum m2m_instruction_type type;
    /* mafEnrolment */
    char credential_type[16]; /* "symmetric" or "certificate" */
    char maf_id[M2M_FQDN_MAX + 1];
    char maf_uri[M2M_URI_MAX];
    unsigned suid;
    char key_registration_uri[M2M_URI_MAX];
    char key_retrieval_uri[M2M_URI_MAX];
    char client_registration_uri[M2M_URI_MAX];
    size_t n_anchors;
    char *trust_anchors[M2M_MAX_ANCHORS]; /* PEM strings, owned */
    long lifetime;                        /* seconds, 0 = that of Ke */
    /* remoteManagement / certificateEnrolment */
    char uri[M2M_URI_MAX];
};

struct m2m_enrol_response {
    char keid[M2M_KEYID_MAX];
    char enrolee_id[M2M_ID_MAX + 1];
    time_t expires;
    size_t n_instructions;
    struct m2m_instruction instructions[M2M_MAX_INSTRUCTIONS];
};

struct m2m_enrol_complete {
    char keid[M2M_KEYID_MAX];
    size_t n_acks;
    enum m2m_instruction_type acks[M2M_MAX_INSTRUCTIONS];
};

/* ---- fetchCredentials (TS-0003 V3 8.3.1.2 step 4) ---- */
struct m2m_fetch_response {
    unsigned char credential[64];
    size_t credential_len;
    char enrolee_id[M2M_ID_MAX + 1];
    time_t lifetime; /* expiry */
};

/* The request path: "/fetchCredentials/{KeID}/{SUID}", the KeID percent-encoded (a B-TID
 * is base64 and may hold '/'), and for a GBA key the query "ua=<10 hex digits>": the Ua
 * security protocol id Ks_NAF is bound to (TS 33.220 Annex H). ua NULL: no query. */
#define M2M_FETCH_UA_HEX_LEN 10
M2M_API M2M_MUST_CHECK int m2m_fetch_path_format(const char *keid, unsigned suid, const char *ua,
                                                 char *out, size_t outsz, struct m2m_error *err);
/* path without its query; query (may be NULL) without '?'. ua receives "" when absent. The
 * SUID is only checked to be 1-3 digits. */
M2M_API M2M_MUST_CHECK int m2m_fetch_path_parse(const char *path, const char *query, char *keid,
                                                size_t keidsz, unsigned *suid,
                                                char ua[M2M_FETCH_UA_HEX_LEN + 1],
                                                struct m2m_error *err);

/* ---- rootCredential (PKI-based bootstrap; DESIGN.md section 3) ---- */
struct m2m_root_credential {
    unsigned char wrapped[64];
    size_t wrapped_len;
    char credential_id[M2M_KEYID_MAX];
    time_t expires;
    char *parameters_json; /* the "parameters" object as compact JSON, owned; may be NULL */
};

/* All decoders write into caller-owned structs; _clear releases owned members. */
M2M_API M2M_MUST_CHECK int m2m_enrol_request_decode(const char *body, size_t len,
                                                    struct m2m_enrol_request *out,
                                                    struct m2m_error *err);
M2M_API char *m2m_enrol_request_encode(const struct m2m_enrol_request *req, struct m2m_error *err);

M2M_API M2M_MUST_CHECK int m2m_enrol_response_decode(const char *body, size_t len,
                                                     struct m2m_enrol_response *out,
                                                     struct m2m_error *err);
M2M_API char *m2m_enrol_response_encode(const struct m2m_enrol_response *resp,
                                        struct m2m_error *err);
M2M_API void m2m_enrol_response_clear(struct m2m_enrol_response *resp);

/* Instructions as an operator configures them: a JSON array of instruction objects, the
 * same shape as in the response. Validated on registration, decoded on enrolment. */
M2M_API M2M_MUST_CHECK int m2m_instructions_decode(const char *json, size_t len,
                                                   struct m2m_enrol_response *into,
                                                   struct m2m_error *err);

M2M_API M2M_MUST_CHECK int m2m_enrol_complete_decode(const char *body, size_t len,
                                                     struct m2m_enrol_complete *out,
                                                     struct m2m_error *err);
M2M_API char *m2m_enrol_complete_encode(const struct m2m_enrol_complete *c, struct m2m_error *err);

M2M_API M2M_MUST_CHECK int m2m_fetch_response_decode(const char *body, size_t len,
                                                     struct m2m_fetch_response *out,
                                                     struct m2m_error *err);
M2M_API char *m2m_fetch_response_encode(const struct m2m_fetch_response *r, struct m2m_error *err);

M2M_API M2M_MUST_CHECK int m2m_root_credential_decode(const char *body, size_t len,
                                                      struct m2m_root_credential *out,
                                                      struct m2m_error *err);
M2M_API char *m2m_root_credential_encode(const struct m2m_root_credential *r,
                                         struct m2m_error *err);
M2M_API void m2m_root_credential_clear(struct m2m_root_credential *r);

/* {"status": false, "errorString": "..."} */
M2M_API char *m2m_error_body_encode(const char *reason);
/* A refusal in one call, for the roles' answers: formats the reason, replaces *body (freed
 * first) with its error body, and writes "refused <status>: <reason>" into log unless log
 * is NULL. */
M2M_API void m2m_refusal_vset(char **body, char *log, size_t logsz, int http_status,
                              const char *fmt, va_list ap);
/* Reads an error body; fills reason (empty when the body is not one). */
M2M_API void m2m_error_body_decode(const char *body, size_t len, char *reason, size_t reasonsz);

M2M_API const char *m2m_instruction_type_name(enum m2m_instruction_type t);
M2M_API M2M_MUST_CHECK int m2m_instruction_type_parse(const char *name,
                                                      enum m2m_instruction_type *out);

/* RFC 3339 UTC ("2026-11-23T10:55:11Z") both ways. */
M2M_API M2M_MUST_CHECK int m2m_time_format(time_t t, char *out, size_t outsz);
M2M_API M2M_MUST_CHECK int m2m_time_parse(const char *s, time_t *out, struct m2m_error *err);

#endif
