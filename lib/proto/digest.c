/* Digest AKA challenge and credentials (RFC 3310 3.2-3.4, RFC 2617 3.2.1-3.2.2, 3GPP TS
 * 24.109 5.2): their encode and decode side by side, the nonce, and the request-digest. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include <m2msec/digest.h>
#include <m2msec/encoding.h>

#include "core/safety.h"
#include "proto/digest_internal.h"
#include "proto/json.h"

/* ---- value checks ---- */

/* Values written inside a quoted-string without escaping: visible ASCII but '"' and '\'. */
static int plain_value(const char *v, size_t min, const char *what, struct m2m_error *err)
{
    size_t n = strlen(v);
    int rc = -1;

    M2M_ENSURE(n >= min, M2M_E_BAD_MESSAGE, "Digest: %s is empty", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        M2M_ENSURE(c > 0x20 && c < 0x7f && c != '"' && c != '\\', M2M_E_BAD_MESSAGE,
                   "Digest: byte 0x%02x not allowed in %s", c, what);
    }
    rc = 0;
out:
    return rc;
}

static int hex_value(const char *v, size_t len, const char *what, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE(strlen(v) == len, M2M_E_BAD_MESSAGE, "Digest: %s must be %zu hex digits", what, len);
    for (size_t i = 0; i < len; i++)
        M2M_ENSURE((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'), M2M_E_BAD_MESSAGE,
                   "Digest: %s must be lowercase hex digits", what);
    rc = 0;
out:
    return rc;
}

static int realm_value(const char *v, struct m2m_error *err)
{
    if (m2m_fqdn_validate(v, NULL) != 0)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE, "Digest: realm '%.64s' is not an FQDN", v);
    return 0;
}

static int nonce_value(const char *v, int allow_empty, struct m2m_error *err)
{
    unsigned char rand[M2M_AKA_RAND_LEN], autn[M2M_AKA_AUTN_LEN];

    if (v[0] == '\0')
        return allow_empty ? 0 : m2m_error_set(err, M2M_E_BAD_MESSAGE, "Digest: nonce is empty");
    return m2m_digest_nonce_split(v, rand, autn, err);
}

/* ---- nonce ---- */

int m2m_digest_nonce_make(const unsigned char rand[M2M_AKA_RAND_LEN],
                          const unsigned char autn[M2M_AKA_AUTN_LEN],
                          char out[M2M_DIGEST_NONCE_MAX], struct m2m_error *err)
{
    unsigned char both[M2M_AKA_RAND_LEN + M2M_AKA_AUTN_LEN];

    memcpy(both, rand, M2M_AKA_RAND_LEN);
    memcpy(both + M2M_AKA_RAND_LEN, autn, M2M_AKA_AUTN_LEN);
    return m2m_b64_encode(both, sizeof(both), out, M2M_DIGEST_NONCE_MAX, err);
}

int m2m_digest_nonce_split(const char *nonce, unsigned char rand[M2M_AKA_RAND_LEN],
                           unsigned char autn[M2M_AKA_AUTN_LEN], struct m2m_error *err)
{
    unsigned char both[M2M_AKA_RAND_LEN + M2M_AKA_AUTN_LEN + 3];
    size_t n = 0;

    /* RFC 3310 3.2: exactly RAND || AUTN; m2msec adds no server data. */
    if (nonce == NULL || strlen(nonce) != 44 ||
        m2m_b64_decode(nonce, both, sizeof(both), &n, NULL) != 0 || n != sizeof(both) - 3)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE,
                             "Digest: nonce is not base64 of RAND || AUTN (32 bytes)");
    memcpy(rand, both, M2M_AKA_RAND_LEN);
    memcpy(autn, both + M2M_AKA_RAND_LEN, M2M_AKA_AUTN_LEN);
    return 0;
}

/* ---- the challenge (WWW-Authenticate) ---- */

int m2m_digest_challenge_format(const struct m2m_digest_challenge *ch, char *out, size_t outsz,
                                struct m2m_error *err)
{
    int n, rc = -1;

    M2M_ENSURE_ARG(ch != NULL && out != NULL);
    M2M_GUARD(realm_value(ch->realm, err));
    M2M_GUARD(nonce_value(ch->nonce, 0, err));
    M2M_GUARD(plain_value(ch->opaque, 0, "opaque", err));
    n = snprintf(out, outsz,
                 "Digest realm=\"%s\", nonce=\"%s\", algorithm=" M2M_DIGEST_ALGORITHM
                 ", qop=\"" M2M_DIGEST_QOP "\"%s%s%s%s",
                 ch->realm, ch->nonce, ch->opaque[0] ? ", opaque=\"" : "", ch->opaque,
                 ch->opaque[0] ? "\"" : "", ch->stale ? ", stale=TRUE" : "");
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL, "challenge header");
    rc = 0;
out:
    return rc;
}

/* qop-options: a quoted, comma-separated list that must offer auth-int. */
static int offers_auth_int(const char *list)
{
    char buf[M2M_DIGEST_URI_MAX], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    for (char *t = strtok_r(buf, ", \t", &save); t != NULL; t = strtok_r(NULL, ", \t", &save))
        if (strcasecmp(t, M2M_DIGEST_QOP) == 0)
            return 1;
    return 0;
}

/* algorithm, when given (always in a challenge), must be AKAv1-MD5 (RFC 3310 3.1). */
static int algorithm_ok(const struct digest_params *ps, int required, struct m2m_error *err)
{
    const struct digest_param *p = digest_params_get(ps, "algorithm");

    if (p == NULL)
        return required ? m2m_error_set(err, M2M_E_BAD_MESSAGE, "Digest: algorithm is missing") : 0;
    if (strcasecmp(p->value, M2M_DIGEST_ALGORITHM) != 0)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE, "Digest: algorithm '%.32s' is not %s",
                             p->value, M2M_DIGEST_ALGORITHM);
    return 0;
}

int m2m_digest_challenge_parse(const char *header, struct m2m_digest_challenge *out,
                               struct m2m_error *err)
{
    struct digest_params ps;
    const struct digest_param *p;
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD(digest_params_read(header, &ps, err));
    M2M_GUARD(digest_params_copy(&ps, "realm", 1, out->realm, sizeof(out->realm), err));
    M2M_GUARD(realm_value(out->realm, err));
    M2M_GUARD(digest_params_copy(&ps, "nonce", 1, out->nonce, sizeof(out->nonce), err));
    M2M_GUARD(nonce_value(out->nonce, 0, err));
    M2M_GUARD(digest_params_copy(&ps, "opaque", 0, out->opaque, sizeof(out->opaque), err));
    M2M_GUARD(plain_value(out->opaque, 0, "opaque", err));
    M2M_GUARD(algorithm_ok(&ps, 1, err));
    p = digest_params_get(&ps, "qop");
    M2M_ENSURE(p != NULL && offers_auth_int(p->value), M2M_E_BAD_MESSAGE,
               "Digest: the challenge does not offer qop auth-int");
    p = digest_params_get(&ps, "stale");
    out->stale = p != NULL && strcasecmp(p->value, "true") == 0;
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- the credentials (Authorization) ---- */

static int credentials_check(const struct m2m_digest_credentials *cr, struct m2m_error *err)
{
    struct m2m_error e;
    int rc = -1;

    if (m2m_impi_validate(cr->username, &e) != 0)
        M2M_BAIL(M2M_E_BAD_MESSAGE, "Digest: username: %s", e.msg);
    M2M_GUARD(realm_value(cr->realm, err));
    M2M_GUARD(nonce_value(cr->nonce, 1, err));
    M2M_GUARD(plain_value(cr->uri, 1, "uri", err));
    if (cr->response[0] != '\0')
        M2M_GUARD(hex_value(cr->response, M2M_DIGEST_HEX_LEN, "response", err));
    M2M_GUARD(plain_value(cr->opaque, 0, "opaque", err));
    if (cr->has_qop) {
        M2M_GUARD(hex_value(cr->nc, 8, "nc", err));
        M2M_GUARD(plain_value(cr->cnonce, 1, "cnonce", err));
    }
    M2M_ENSURE(cr->response[0] == '\0' || (cr->nonce[0] != '\0' && cr->has_qop), M2M_E_BAD_MESSAGE,
               "Digest: a response needs a nonce and qop=auth-int");
    M2M_ENSURE(!cr->has_auts || cr->nonce[0] != '\0', M2M_E_BAD_MESSAGE,
               "Digest: auts needs the nonce it answers");
    rc = 0;
out:
    return rc;
}

int m2m_digest_credentials_format(const struct m2m_digest_credentials *cr, char *out, size_t outsz,
                                  struct m2m_error *err)
{
    char auts[M2M_B64_LEN(M2M_AKA_AUTS_LEN)] = "";
    char tail[256] = "";
    int n, rc = -1;

    M2M_ENSURE_ARG(cr != NULL && out != NULL);
    M2M_GUARD(credentials_check(cr, err));
    if (cr->has_qop)
        snprintf(tail, sizeof(tail),
                 ", algorithm=" M2M_DIGEST_ALGORITHM ", qop=" M2M_DIGEST_QOP
                 ", nc=%s, cnonce=\"%s\"",
                 cr->nc, cr->cnonce);
    if (cr->has_auts)
        M2M_GUARD(m2m_b64_encode(cr->auts, sizeof(cr->auts), auts, sizeof(auts), err));
    n = snprintf(out, outsz,
                 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                 "response=\"%s\"%s%s%s%s%s%s%s",
                 cr->username, cr->realm, cr->nonce, cr->uri, cr->response, tail,
                 cr->opaque[0] ? ", opaque=\"" : "", cr->opaque, cr->opaque[0] ? "\"" : "",
                 cr->has_auts ? ", auts=\"" : "", auts, cr->has_auts ? "\"" : "");
    M2M_ENSURE(n > 0 && (size_t)n < outsz, M2M_E_BUFFER_TOO_SMALL, "Authorization header");
    rc = 0;
out:
    return rc;
}

static int read_auts(const struct digest_params *ps, struct m2m_digest_credentials *out,
                     struct m2m_error *err)
{
    const struct digest_param *p = digest_params_get(ps, "auts");
    unsigned char buf[M2M_AKA_AUTS_LEN + 2];
    size_t n = 0;

    if (p == NULL)
        return 0;
    /* TS 33.102 6.3.3: AUTS = SQN_MS xor AK* || MAC-S, 14 bytes (RFC 3310 3.4). */
    if (m2m_b64_decode(p->value, buf, sizeof(buf), &n, NULL) != 0 || n != M2M_AKA_AUTS_LEN)
        return m2m_error_set(err, M2M_E_BAD_MESSAGE, "Digest: auts is not base64 of %d bytes",
                             M2M_AKA_AUTS_LEN);
    memcpy(out->auts, buf, M2M_AKA_AUTS_LEN);
    out->has_auts = true;
    return 0;
}

static int read_qop(const struct digest_params *ps, struct m2m_digest_credentials *out,
                    struct m2m_error *err)
{
    const struct digest_param *p = digest_params_get(ps, "qop");
    int rc = -1;

    if (p == NULL)
        return 0;
    M2M_ENSURE(strcasecmp(p->value, M2M_DIGEST_QOP) == 0, M2M_E_BAD_MESSAGE,
               "Digest: qop '%.32s' is not %s", p->value, M2M_DIGEST_QOP);
    out->has_qop = true;
    M2M_GUARD(digest_params_copy(ps, "nc", 1, out->nc, sizeof(out->nc), err));
    M2M_GUARD(digest_params_copy(ps, "cnonce", 1, out->cnonce, sizeof(out->cnonce), err));
    rc = 0;
out:
    return rc;
}

int m2m_digest_credentials_parse(const char *header, struct m2m_digest_credentials *out,
                                 struct m2m_error *err)
{
    struct digest_params ps;
    int rc = -1;

    M2M_ENSURE_ARG(out != NULL);
    memset(out, 0, sizeof(*out));
    M2M_GUARD(digest_params_read(header, &ps, err));
    M2M_GUARD(digest_params_copy(&ps, "username", 1, out->username, sizeof(out->username), err));
    M2M_GUARD(digest_params_copy(&ps, "realm", 1, out->realm, sizeof(out->realm), err));
    M2M_GUARD(digest_params_copy(&ps, "nonce", 1, out->nonce, sizeof(out->nonce), err));
    M2M_GUARD(digest_params_copy(&ps, "uri", 1, out->uri, sizeof(out->uri), err));
    M2M_GUARD(digest_params_copy(&ps, "response", 1, out->response, sizeof(out->response), err));
    M2M_GUARD(digest_params_copy(&ps, "opaque", 0, out->opaque, sizeof(out->opaque), err));
    M2M_GUARD(algorithm_ok(&ps, 0, err));
    M2M_GUARD(read_qop(&ps, out, err));
    M2M_GUARD(read_auts(&ps, out, err));
    M2M_GUARD(credentials_check(out, err));
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- the request-digest ---- */

struct md5_part {
    const void *p;
    size_t n;
};

/* Lowercase hex of MD5 over the parts joined by ':' (RFC 2617 3.2.2.2, 3.2.2.3). */
static int md5_hex(const struct md5_part *parts, size_t n, char out[M2M_DIGEST_HEX_LEN + 1],
                   struct m2m_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[16];
    unsigned int mdlen = 0;
    int ok, rc = -1;

    ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1) == 1) &&
             (parts[i].n == 0 || EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) == 1);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md);
    M2M_ENSURE_OSSL(ok, M2M_E_CRYPTO, "MD5 for the Digest response");
    M2M_GUARD(m2m_hex_encode(md, sizeof(md), out, M2M_DIGEST_HEX_LEN + 1, err));
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    m2m_wipe(md, sizeof(md));
    return rc;
}

#define PART(s) ((struct md5_part){(s), strlen(s)})

int m2m_digest_response(const struct m2m_digest_credentials *cr, const unsigned char *password,
                        size_t password_len, const char *method, const void *body, size_t body_len,
                        char out[M2M_DIGEST_HEX_LEN + 1], struct m2m_error *err)
{
    char ha1[M2M_DIGEST_HEX_LEN + 1], ha2[M2M_DIGEST_HEX_LEN + 1], hbody[M2M_DIGEST_HEX_LEN + 1];
    int rc = -1;

    M2M_ENSURE_ARG(cr != NULL && method != NULL && out != NULL);
    M2M_ENSURE_ARG(password != NULL || password_len == 0);
    M2M_ENSURE_ARG(body != NULL || body_len == 0);
    {
        const struct md5_part a1[] = {
            PART(cr->username), PART(cr->realm), {password, password_len}};
        const struct md5_part b[] = {{body, body_len}};
        M2M_GUARD(md5_hex(a1, M2M_ARRAY_LEN(a1), ha1, err));
        M2M_GUARD(md5_hex(b, 1, hbody, err));
    }
    {
        /* qop=auth-int: A2 = Method ":" digest-uri-value ":" H(entity-body) */
        const struct md5_part a2[] = {PART(method), PART(cr->uri), PART(hbody)};
        M2M_GUARD(md5_hex(a2, M2M_ARRAY_LEN(a2), ha2, err));
    }
    {
        const struct md5_part kd[] = {PART(ha1),        PART(cr->nonce),      PART(cr->nc),
                                      PART(cr->cnonce), PART(M2M_DIGEST_QOP), PART(ha2)};
        M2M_GUARD(md5_hex(kd, M2M_ARRAY_LEN(kd), out, err));
    }
    rc = 0;
out:
    m2m_wipe(ha1, sizeof(ha1));
    return rc;
}

/* ---- BootstrappingInfo (TS 24.109 5.2.1) ---- */

char *m2m_gba_bootstrap_info_encode(const struct m2m_gba_bootstrap_info *in, struct m2m_error *err)
{
    json_t *o = json_pack("{s:s}", "btid", in->btid);

    if (o == NULL || proto_set_time(o, "lifetime", in->lifetime) != 0) {
        json_decref(o);
        m2m_error_set(err, M2M_E_NOMEM, "bootstrap answer");
        return NULL;
    }
    return proto_dump(o, err);
}

int m2m_gba_bootstrap_info_decode(const char *body, size_t len, struct m2m_gba_bootstrap_info *out,
                                  struct m2m_error *err)
{
    struct m2m_btid b;
    struct m2m_error e;
    json_t *root = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_str(root, "btid", true, out->btid, sizeof(out->btid), err));
    M2M_GUARD(proto_get_time(root, "lifetime", true, &out->lifetime, err));
    if (m2m_keyid_btid_parse(out->btid, &b, &e) != 0)
        M2M_BAIL(M2M_E_BAD_MESSAGE, "btid: %s", e.msg);
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}
