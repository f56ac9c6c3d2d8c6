/* The Bootstrap Briefing Node (SPEC.md section 7; DESIGN.md section 4): the operator's rules
 * and the Bootstrap Execution Instruction they yield. Protocol logic only: a transport
 * (HTTPS here) authenticates the field node with its certificate and hands over what the
 * handshake proved (flavour, identity, name of the trust set it chained to) with the body.
 *
 * Rule files are INI ([rule.NAME] sections, evaluated in file order, first match wins; the
 * keys are documented in docs/briefing.md). The library does not read INI itself: a front
 * end runs libinih's ini_parse_stream with m2m_bbn_rules_reader and m2m_bbn_rules_handler
 * on a builder, which records every error with its line number. */
#ifndef M2MSEC_BBN_H
#define M2MSEC_BBN_H

#include <stdbool.h>
#include <time.h>

#include <m2msec/common.h>
#include <m2msec/error.h>
#include <m2msec/id.h>
#include <m2msec/pki.h>
#include <m2msec/proto.h>

#define M2M_BBN_MAX_LIST    8  /* mechanisms, transports, trust sets... per request or rule */
#define M2M_BBN_NAME_MAX    32 /* one mechanism or transport name */
#define M2M_BBN_SITE_MAX    128
#define M2M_BBN_MAX_TARGETS 8 /* enrolment targets per instruction */
#define M2M_BBN_MAX_RULES   1024
#define M2M_BBN_MAX_ERRORS  64 /* errors kept per rule file (the count goes on) */

/* ---- POST /briefing request ---- */
struct m2m_bbn_request {
    bool has_site;
    char site[M2M_BBN_SITE_MAX];
    bool has_location;
    double lat, lon; /* degrees, lat in [-90, 90], lon in [-180, 180] */
    size_t n_mechanisms;
    char mechanisms[M2M_BBN_MAX_LIST][M2M_BBN_NAME_MAX];
    size_t n_transports;
    char transports[M2M_BBN_MAX_LIST][M2M_BBN_NAME_MAX];
};

/* Strict: one object within M2M_MAX_BODY; "mechanisms" and "transports" required arrays of
 * 1..M2M_BBN_MAX_LIST non-empty strings; "site" a non-empty string; "location" an object
 * with numbers "lat" and "lon" in range. M2M_E_BAD_MESSAGE / M2M_E_TOO_LARGE otherwise. */
M2M_API M2M_MUST_CHECK int m2m_bbn_request_decode(const char *body, size_t len,
                                                  struct m2m_bbn_request *out,
                                                  struct m2m_error *err);
M2M_API char *m2m_bbn_request_encode(const struct m2m_bbn_request *req, struct m2m_error *err);

/* ---- The Bootstrap Execution Instruction (the response) ---- */
struct m2m_bbn_target {
    char id[M2M_ID_MAX + 1];
    unsigned suid;
};

struct m2m_bbn_instruction {
    char mechanism[M2M_BBN_NAME_MAX]; /* "certificate", "pki", "psk", "gba" */
    char target_id[M2M_FQDN_MAX + 1];
    char target_uri[M2M_URI_MAX];
    size_t n_anchors;
    char *trust_anchors[M2M_MAX_ANCHORS]; /* PEM, owned */
    size_t n_targets;
    struct m2m_bbn_target targets[M2M_BBN_MAX_TARGETS];
    time_t expires;
    char rule[64]; /* the rule that produced it (not sent) */
};

/* {"instruction": {"mechanism", "target": {"id", "uri"}, "trustAnchors": [PEM],
 *  "enrolmentTargets": [{"id", "suid"}], "expires"}} */
M2M_API char *m2m_bbn_instruction_encode(const struct m2m_bbn_instruction *in,
                                         struct m2m_error *err);
M2M_API M2M_MUST_CHECK int m2m_bbn_instruction_decode(const char *body, size_t len,
                                                      struct m2m_bbn_instruction *out,
                                                      struct m2m_error *err);
M2M_API void m2m_bbn_instruction_clear(struct m2m_bbn_instruction *in);

/* Mechanism names a rule may give (docs/briefing.md): 1 if known. */
M2M_API int m2m_bbn_mechanism_valid(const char *name);

/* ---- Rules ---- */
struct m2m_bbn_rules;
struct m2m_bbn_rules_builder;

/* Reads the rule file into memory (at most 1 MiB). Relative anchor paths in it are taken
 * from the file's directory. NULL with err set when the file cannot be read. */
M2M_API struct m2m_bbn_rules_builder *m2m_bbn_rules_builder_new(const char *path,
                                                                struct m2m_error *err);
M2M_API void m2m_bbn_rules_builder_free(struct m2m_bbn_rules_builder *b);
/* libinih ini_reader and ini_handler over a builder (stream and user = the builder): the
 * reader counts lines, sees section headers and malformed lines; the handler checks each
 * key. Both always let the parse go on, so that every error is reported. */
M2M_API char *m2m_bbn_rules_reader(char *buf, int num, void *builder);
M2M_API int m2m_bbn_rules_handler(void *builder, const char *section, const char *key,
                                  const char *value);
/* The same, for front ends that tokenise by other means (and tests). */
M2M_API void m2m_bbn_rules_builder_section(struct m2m_bbn_rules_builder *b, unsigned line,
                                           const char *section);
M2M_API void m2m_bbn_rules_builder_entry(struct m2m_bbn_rules_builder *b, unsigned line,
                                         const char *section, const char *key, const char *value);
/* Errors so far, each "LINE: message" (LINE 0: about the whole file). */
M2M_API size_t m2m_bbn_rules_builder_error_count(const struct m2m_bbn_rules_builder *b);
M2M_API const char *m2m_bbn_rules_builder_error(const struct m2m_bbn_rules_builder *b, size_t i);
/* Checks each rule as a whole (a result target, a complete location box...) and returns
 * the rules, or NULL when the file had any error (err: the first and the count). */
M2M_API struct m2m_bbn_rules *m2m_bbn_rules_builder_finish(struct m2m_bbn_rules_builder *b,
                                                           struct m2m_error *err);
M2M_API void m2m_bbn_rules_free(struct m2m_bbn_rules *r);
M2M_API size_t m2m_bbn_rules_count(const struct m2m_bbn_rules *r);
M2M_API const char *m2m_bbn_rule_name(const struct m2m_bbn_rules *r, size_t i);

/* SPEC.md section 7 Bootstrap-Briefing: the first rule whose conditions all hold for this
 * peer and request. Returns 0 with out filled (expires = now + the rule's lifetime), 1 when
 * no rule matches (why: which condition each rule failed, for the log), -1 on error. */
M2M_API M2M_MUST_CHECK int m2m_bbn_brief(const struct m2m_bbn_rules *r,
                                         const struct m2m_verified *peer,
                                         const struct m2m_bbn_request *req, time_t now,
                                         struct m2m_bbn_instruction *out, char *why, size_t whysz,
                                         struct m2m_error *err);

/* ---- One request, whatever the transport ---- */
struct m2m_bbn_response {
    int http_status;
    enum m2m_rsc rsc;
    char *body;    /* JSON, malloc'd */
    char log[512]; /* one line for the log */
};

/* peer: what the handshake proved (NULL: not authenticated with a certificate). Always
 * fills resp; release it with m2m_bbn_response_clear. */
M2M_API void m2m_bbn_handle(const struct m2m_bbn_rules *r, const char *method, const char *path,
                            const char *body, size_t body_len, const struct m2m_verified *peer,
                            time_t now, struct m2m_bbn_response *resp);
M2M_API void m2m_bbn_response_clear(struct m2m_bbn_response *resp);

#endif
