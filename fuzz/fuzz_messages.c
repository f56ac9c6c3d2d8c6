/* The role messages read from the network outside m2msec/proto.h: the briefing request and
 * instruction (m2msec/bbn.h) and the MAF client registration answer (m2msec/maf.h). The
 * first byte selects the decoder; each accepted message re-encodes to one that decodes to
 * the same fields. */
#include <m2msec/bbn.h>
#include <m2msec/maf.h>

#include "fuzz.h"

static void bbn_request(const char *body, size_t len)
{
    struct m2m_bbn_request a, b;
    char *enc;

    if (m2m_bbn_request_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.n_mechanisms >= 1 && a.n_mechanisms <= M2M_BBN_MAX_LIST);
    FUZZ_CHECK(a.n_transports >= 1 && a.n_transports <= M2M_BBN_MAX_LIST);
    enc = m2m_bbn_request_encode(&a, NULL);
    FUZZ_CHECK(enc != NULL);
    FUZZ_CHECK(m2m_bbn_request_decode(enc, strlen(enc), &b, NULL) == 0);
    FUZZ_CHECK(a.n_mechanisms == b.n_mechanisms && a.n_transports == b.n_transports);
    for (size_t i = 0; i < a.n_mechanisms; i++)
        FUZZ_CHECK(strcmp(a.mechanisms[i], b.mechanisms[i]) == 0);
    for (size_t i = 0; i < a.n_transports; i++)
        FUZZ_CHECK(strcmp(a.transports[i], b.transports[i]) == 0);
    FUZZ_CHECK(a.has_site == b.has_site && strcmp(a.site, b.site) == 0);
    FUZZ_CHECK(a.has_location == b.has_location && a.lat == b.lat && a.lon == b.lon);
    free(enc);
}

static void same_instruction(const struct m2m_bbn_instruction *a,
                             const struct m2m_bbn_instruction *b)
{
    FUZZ_CHECK(strcmp(a->mechanism, b->mechanism) == 0);
    FUZZ_CHECK(strcmp(a->target_id, b->target_id) == 0);
    FUZZ_CHECK(strcmp(a->target_uri, b->target_uri) == 0);
    FUZZ_CHECK(a->n_anchors == b->n_anchors && a->n_targets == b->n_targets);
    for (size_t i = 0; i < a->n_anchors; i++)
        FUZZ_CHECK(strcmp(a->trust_anchors[i], b->trust_anchors[i]) == 0);
    for (size_t i = 0; i < a->n_targets; i++)
        FUZZ_CHECK(strcmp(a->targets[i].id, b->targets[i].id) == 0 &&
                   a->targets[i].suid == b->targets[i].suid);
    FUZZ_CHECK(a->expires == b->expires);
}

static void bbn_instruction(const char *body, size_t len)
{
    struct m2m_bbn_instruction a, b;
    char *enc;

    if (m2m_bbn_instruction_decode(body, len, &a, NULL) != 0)
        return;
    FUZZ_CHECK(a.n_anchors <= M2M_MAX_ANCHORS && a.n_targets <= M2M_BBN_MAX_TARGETS);
    enc = m2m_bbn_instruction_encode(&a, NULL);
    FUZZ_CHECK(enc != NULL);
    if (m2m_bbn_instruction_decode(enc, strlen(enc), &b, NULL) == 0) {
        same_instruction(&a, &b);
        m2m_bbn_instruction_clear(&b);
    } else {
        /* Only an expiry the encoder cannot write may be lost on the way. */
        char t[64];
        FUZZ_CHECK(m2m_time_format(a.expires, t, sizeof(t)) != 0);
    }
    free(enc);
    m2m_bbn_instruction_clear(&a);
}

static void client_registration(const char *body, size_t len)
{
    struct m2m_client_registration a, b;
    char *enc;

    if (m2m_client_registration_decode(body, len, &a, NULL) != 0)
        return;
    enc = m2m_client_registration_encode(&a, NULL);
    if (enc == NULL)
        return;
    FUZZ_CHECK(m2m_client_registration_decode(enc, strlen(enc), &b, NULL) == 0);
    FUZZ_CHECK(strcmp(a.client_reg_id, b.client_reg_id) == 0);
    FUZZ_CHECK(strcmp(a.assigned_symm_key_id, b.assigned_symm_key_id) == 0);
    FUZZ_CHECK(strcmp(a.enrolee_id, b.enrolee_id) == 0 && a.expires == b.expires);
    free(enc);
}

typedef void (*target_fn)(const char *body, size_t len);

static const target_fn targets[] = {bbn_request, bbn_instruction, client_registration};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    targets[data[0] % (sizeof(targets) / sizeof(targets[0]))]((const char *)data + 1, size - 1);
    return 0;
}
