/* In-memory certificates for the association tests. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "assoc_helpers.h"

static struct m2m_credential *issue(const struct m2m_cert_spec *spec,
                                    const struct m2m_credential *issuer, STACK_OF(X509) *chain)
{
    struct m2m_error err;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    struct m2m_credential *cred = NULL;

    if (m2m_pki_issue(spec, issuer, &key, &cert, &err) == 0)
        cred = m2m_credential_new(key, cert, chain, &err);
    if (cred == NULL)
        fprintf(stderr, "assoc_pki: %s\n", err.msg);
    EVP_PKEY_free(key);
    X509_free(cert);
    return cred;
}

int assoc_ca_make(struct assoc_ca *ca, const struct assoc_ca *issuer)
{
    struct m2m_cert_spec spec = {
        .kind = issuer != NULL ? M2M_CERT_INTERMEDIATE_CA : M2M_CERT_ROOT_CA,
        .common_name = issuer != NULL ? "assoc test sub CA" : "assoc test root",
        .path_len = -1,
        .permitted_dns = {"sp.example.com", "example.com"}};
    struct m2m_error err;

    memset(ca, 0, sizeof(*ca));
    ca->cred = issue(&spec, issuer != NULL ? issuer->cred : NULL, NULL);
    ca->trust = m2m_trust_new(&err);
    if (ca->cred == NULL || ca->trust == NULL)
        return -1;
    /* An intermediate is a root of trust of its own in some tests (TS-0003 allows any CA). */
    return m2m_trust_add_anchor_cert(
        ca->trust, m2m_credential_cert(issuer != NULL ? issuer->cred : ca->cred), &err);
}

void assoc_ca_free(struct assoc_ca *ca)
{
    m2m_credential_free(ca->cred);
    m2m_trust_free(ca->trust);
    memset(ca, 0, sizeof(*ca));
}

struct m2m_credential *assoc_leaf(const struct assoc_ca *ca, const struct assoc_ca *chain,
                                  enum m2m_flavour f, const char *identity, enum assoc_leaf_opt opt)
{
    struct m2m_cert_spec spec = {.kind = M2M_CERT_END_ENTITY,
                                 .flavour = f,
                                 .identity = identity,
                                 .common_name = "assoc test entity",
                                 .path_len = -1};
    STACK_OF(X509) *sk = NULL;
    struct m2m_credential *c;

    if (opt == ASSOC_LEAF_EXPIRED) {
        spec.not_before = time(NULL) - 10 * 86400;
        spec.not_after = time(NULL) - 86400;
    }
    if (chain != NULL) {
        sk = sk_X509_new_null();
        if (sk == NULL || sk_X509_push(sk, m2m_credential_cert(chain->cred)) == 0)
            return NULL;
        X509_up_ref(m2m_credential_cert(chain->cred));
    }
    c = issue(&spec, ca != NULL ? ca->cred : NULL, sk);
    sk_X509_pop_free(sk, X509_free);
    return c;
}

struct m2m_trust *assoc_self_trust(const struct m2m_credential *c)
{
    struct m2m_error err;
    struct m2m_trust *t = m2m_trust_new(&err);

    if (t != NULL && m2m_trust_add_anchor_cert(t, m2m_credential_cert(c), &err) != 0) {
        m2m_trust_free(t);
        t = NULL;
    }
    return t;
}
