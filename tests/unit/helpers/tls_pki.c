/* In-memory certificates for the tls tests, issued by the pki layer. */
#include <stdio.h>
#include <string.h>

#include "tls_helpers.h"

static struct m2m_credential *issue(const struct m2m_cert_spec *spec,
                                    const struct m2m_credential *issuer)
{
    struct m2m_error err;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    struct m2m_credential *cred = NULL;

    if (m2m_pki_issue(spec, issuer, &key, &cert, &err) == 0)
        cred = m2m_credential_new(key, cert, NULL, &err);
    if (cred == NULL)
        fprintf(stderr, "tls_pki: %s\n", err.msg);
    EVP_PKEY_free(key); /* the credential holds its own references */
    X509_free(cert);
    return cred;
}

static struct m2m_credential *issue_ca(const char *cn)
{
    struct m2m_cert_spec spec = {.kind = M2M_CERT_ROOT_CA, .common_name = cn, .path_len = -1};

    return issue(&spec, NULL);
}

static struct m2m_credential *issue_ee(const struct m2m_credential *ca, enum m2m_flavour f,
                                       const char *id)
{
    struct m2m_cert_spec spec = {.kind = M2M_CERT_END_ENTITY,
                                 .flavour = f,
                                 .identity = id,
                                 .common_name = id,
                                 .path_len = -1};

    return issue(&spec, ca);
}

int tls_pki_make(struct tls_pki *p)
{
    struct m2m_error err;

    memset(p, 0, sizeof(*p));
    p->ca = issue_ca("m2msec test root");
    p->rogue_ca = issue_ca("m2msec test root"); /* same name, different key */
    if (p->ca == NULL || p->rogue_ca == NULL)
        return -1;
    p->server = issue_ee(p->ca, M2M_FLAVOUR_FQDN, TLS_TEST_SERVER_FQDN);
    p->client = issue_ee(p->ca, M2M_FLAVOUR_CSE_ID, TLS_TEST_CLIENT_CSE);
    p->rogue_server = issue_ee(p->rogue_ca, M2M_FLAVOUR_FQDN, TLS_TEST_SERVER_FQDN);
    p->rogue_client = issue_ee(p->rogue_ca, M2M_FLAVOUR_CSE_ID, TLS_TEST_CLIENT_CSE);
    p->trust = m2m_trust_new(&err);
    if (p->server == NULL || p->client == NULL || p->rogue_server == NULL ||
        p->rogue_client == NULL || p->trust == NULL)
        return -1;
    return m2m_trust_add_anchor_cert(p->trust, m2m_credential_cert(p->ca), &err);
}

void tls_pki_free(struct tls_pki *p)
{
    m2m_credential_free(p->ca);
    m2m_credential_free(p->server);
    m2m_credential_free(p->client);
    m2m_credential_free(p->rogue_ca);
    m2m_credential_free(p->rogue_server);
    m2m_credential_free(p->rogue_client);
    m2m_trust_free(p->trust);
    memset(p, 0, sizeof(*p));
}
