/* The JSON message decoders of m2msec/proto.h and the RFC 3339 time parser. The first byte
 * selects the decoder; the rest is the body. Each accepted message is encoded again and the
 * encoding must decode to the same fields (encode and decode are inverses, DESIGN.md
 * section 4). */
#include <m2msec/proto.h>

#include "fuzz.h"

static void enrol_request(const char *body, size_t len)
{
    struct m2m_enrol_request a, b;
    char *enc;

    if (m2m_enrol_request_decode(body, len, &a, NULL) != 0)
        return;
    enc = m2m_enrol_request_encode(&a, NULL);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(m2m_enrol_request_decode(enc, strlen(enc), &b, NULL) == 0);
    FUZZ_CHECK(a.cert_enrolment == b.cert_enrolment && a.maf_enrolment == b.maf_enrolment &&
               a.remote_management == b.remote_management);
    free(enc);
}

static void same_instruction(const struct m2m_instruction *x, const struct m2m_instruction *y)
{
    FUZZ_CHECK(x->type == y->type);
    FUZZ_CHECK(strcmp(x->uri, y->uri) == 0);
    if (x->type != M2M_INSTR_MAF_ENROLMENT)
        return;
    FUZZ_CHECK(strcmp(x->maf_id, y->maf_id) == 0 && x->suid == y->suid);
    FUZZ_CHECK(strcmp(x->credential_type, y->credential_type) == 0);
    FUZZ_CHECK(strcmp(x->maf_uri, y->maf_uri) == 0);
    FUZZ_CHECK(strcmp(x->key_registration_uri, y->key_registration_uri) == 0);
    FUZZ_CHECK(strcmp(x->key_retrieval_uri, y->key_retrieval_uri) == 0);
    FUZZ_CHECK(strcmp(x->client_registration_uri, y->client_registration_uri) == 0);
    FUZZ_CHECK(x->n_anchors == y->n_anchors && x->lifetime == y->lifetime);
    for (size_t i = 0; i < x->n_anchors; i++)
        FUZZ_CHECK(strcmp(x->trust_anchors[i], y->trust_anchors[i]) == 0);
}

static void same_response(const struct m2m_enrol_response *a, const struct m2m_enrol_response *b)
{
    FUZZ_CHECK(strcmp(a->keid, b->keid) == 0);
    FUZZ_CHECK(strcmp(a->enrolee_id, b->enrolee_id) == 0);
    FUZZ_CHECK(a->expires == b->expires);
    FUZZ_CHECK(a->n_instructions == b->n_instructions);
    for (size_t i = 0; i < a->n_instructions; i++)
        same_instruction(&a->instructions[i], &b->instructions[i]);
}

/* TS-0003 V3 8.3.2.1: the keId the enrolee stores must survive a re-encoding. */
static void enrol_response(const char *body, size_t len)
{
    struct m2m_enrol_response a, b;
    char *enc;

    if (m2m_enrol_response_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.n_instructions <= M2M_MAX_INSTRUCTIONS);
    enc = m2m_enrol_response_encode(&a, NULL);
    if (enc != NULL) {
        FUZZ_CHECK(m2m_enrol_response_decode(enc, strlen(enc), &b, NULL) == 0);
        same_response(&a, &b);
        m2m_enrol_response_clear(&b);
        free(enc);
    }
    m2m_enrol_response_clear(&a);
}

static void instructions(const char *body, size_t len)
{
    struct m2m_enrol_response r;

    memset(&r, 0, sizeof(r));
    if (m2m_instructions_decode(body, len, &r, NULL) != 0) {
        /* A failed decode leaves nothing owned behind. */
        FUZZ_CHECK(r.n_instructions == 0);
        return;
    }
    FUZZ_CHECK(r.n_instructions <= M2M_MAX_INSTRUCTIONS);
    for (size_t i = 0; i < r.n_instructions; i++)
        FUZZ_CHECK(r.instructions[i].n_anchors <= M2M_MAX_ANCHORS);
    m2m_enrol_response_clear(&r);
}

static void enrol_complete(const char *body, size_t len)
{
    struct m2m_enrol_complete a, b;
    char *enc;

    if (m2m_enrol_complete_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.n_acks <= M2M_MAX_INSTRUCTIONS);
    enc = m2m_enrol_complete_encode(&a, NULL);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(m2m_enrol_complete_decode(enc, strlen(enc), &b, NULL) == 0);
    FUZZ_CHECK(strcmp(a.keid, b.keid) == 0 && a.n_acks == b.n_acks);
    for (size_t i = 0; i < a.n_acks; i++)
        FUZZ_CHECK(a.acks[i] == b.acks[i]);
    free(enc);
}

static void fetch_response(const char *body, size_t len)
{
    struct m2m_fetch_response a, b;
    char *enc;

    if (m2m_fetch_response_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.credential_len <= sizeof(a.credential));
    enc = m2m_fetch_response_encode(&a, NULL);
    if (enc == NULL)
        return;
    FUZZ_CHECK(m2m_fetch_response_decode(enc, strlen(enc), &b, NULL) == 0);
    FUZZ_CHECK(a.credential_len == b.credential_len);
    FUZZ_CHECK(memcmp(a.credential, b.credential, a.credential_len) == 0);
    FUZZ_CHECK(strcmp(a.enrolee_id, b.enrolee_id) == 0 && a.lifetime == b.lifetime);
    free(enc);
}

static void root_credential(const char *body, size_t len)
{
    struct m2m_root_credential a, b;
    char *enc;

    if (m2m_root_credential_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.wrapped_len <= sizeof(a.wrapped));
    enc = m2m_root_credential_encode(&a, NULL);
    if (enc != NULL) {
        FUZZ_CHECK(m2m_root_credential_decode(enc, strlen(enc), &b, NULL) == 0);
        FUZZ_CHECK(a.wrapped_len == b.wrapped_len);
        FUZZ_CHECK(memcmp(a.wrapped, b.wrapped, a.wrapped_len) == 0);
        FUZZ_CHECK(strcmp(a.credential_id, b.credential_id) == 0 && a.expires == b.expires);
        m2m_root_credential_clear(&b);
        free(enc);
    }
    m2m_root_credential_clear(&a);
}

/* parse(format(parse(s))) == parse(s) whenever the instant can be written. */
static void time_parse(const char *body, size_t len)
{
    char *s = fuzz_cstr((const uint8_t *)body, len);
    char txt[64];
    time_t t, u;

    if (m2m_time_parse(s, &t, NULL) == 0 && m2m_time_format(t, txt, sizeof(txt)) == 0) {
        FUZZ_CHECK(m2m_time_parse(txt, &u, NULL) == 0);
        FUZZ_CHECK(t == u);
    }
    free(s);
}

typedef void (*target_fn)(const char *body, size_t len);

static const target_fn targets[] = {
    enrol_request,  enrol_response,  instructions, enrol_complete,
    fetch_response, root_credential, time_parse,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = sizeof(targets) / sizeof(targets[0]);

    if (size < 1)
        return 0;
    targets[data[0] % n]((const char *)data + 1, size - 1);
    return 0;
}
