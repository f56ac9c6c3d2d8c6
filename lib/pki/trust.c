/* A trust-anchor set with its CRLs and verification policy (TS-0003 V3 8.2.2.2: RootOfTrust).
 * Only what is configured here is trusted: the store never loads OpenSSL's default paths. */
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

struct m2m_trust *m2m_trust_new(struct m2m_error *err)
{
    struct m2m_trust *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        m2m_error_set(err, M2M_E_NOMEM, "trust set");
        return NULL;
    }
    t->store = X509_STORE_new();
    /* A configured root of trust need not be self-signed (DESIGN.md 6): PARTIAL_CHAIN lets
     * any anchor end the path. X509_STRICT adds the RFC 5280 checks OpenSSL skips by default. */
    if (t->store == NULL ||
        !X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_X509_STRICT)) {
        X509_STORE_free(t->store);
        free(t);
        m2m_error_set_ossl(err, M2M_E_NOMEM, "trust store");
        return NULL;
    }
    atomic_init(&t->refs, 1);
    memcpy(t->device_arc, M2M_DEVICE_ARC_DEFAULT, sizeof(M2M_DEVICE_ARC_DEFAULT));
    return t;
}

void m2m_trust_up_ref(struct m2m_trust *t)
{
    if (t != NULL)
        atomic_fetch_add(&t->refs, 1);
}

void m2m_trust_free(struct m2m_trust *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    X509_STORE_free(t->store);
    free(t);
}

int m2m_trust_add_anchor_cert(struct m2m_trust *t, X509 *cert, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && cert != NULL);
    M2M_ENSURE_OSSL(X509_STORE_add_cert(t->store, cert) == 1, M2M_E_CERT_LOAD,
                    "cannot add trust anchor");
    rc = 0;
out:
    return rc;
}

static int add_anchor_file(void *arg, const char *file, struct m2m_error *err)
{
    int rc = -1;
    STACK_OF(X509) *certs = m2m_pki_load_certs(file, err);

    M2M_GUARD_PTR(certs);
    for (int i = 0; i < sk_X509_num(certs); i++)
        M2M_GUARD(m2m_trust_add_anchor_cert(arg, sk_X509_value(certs, i), err));
    rc = 0;
out:
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

int m2m_trust_add_anchors(struct m2m_trust *t, const char *path, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && path != NULL);
    M2M_GUARD(pki_for_each_file(path, add_anchor_file, t, err));
    rc = 0;
out:
    return rc;
}

int m2m_trust_add_crl(struct m2m_trust *t, X509_CRL *crl, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && crl != NULL);
    M2M_ENSURE_OSSL(X509_STORE_add_crl(t->store, crl) == 1, M2M_E_CRL_LOAD, "cannot add CRL");
    /* SPEC.md section 2: revocation is checked with CRLs; once any is configured, every
     * certificate of the path must be covered, so a missing CRL cannot hide a revocation. */
    M2M_ENSURE_OSSL(
        X509_STORE_set_flags(t->store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) == 1,
        M2M_E_INTERNAL, "CRL flags");
    t->n_crls++;
    rc = 0;
out:
    return rc;
}

static int add_crl_file(void *arg, const char *file, struct m2m_error *err)
{
    int rc = -1;
    STACK_OF(X509_CRL) *crls = pki_load_crls(file, err);

    M2M_GUARD_PTR(crls);
    for (int i = 0; i < sk_X509_CRL_num(crls); i++)
        M2M_GUARD(m2m_trust_add_crl(arg, sk_X509_CRL_value(crls, i), err));
    rc = 0;
out:
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return rc;
}

int m2m_trust_add_crls(struct m2m_trust *t, const char *path, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && path != NULL);
    M2M_GUARD(pki_for_each_file(path, add_crl_file, t, err));
    rc = 0;
out:
    return rc;
}

void m2m_trust_insecure_relax_profile(struct m2m_trust *t)
{
    if (t != NULL)
        t->relax_profile = 1;
}

int m2m_trust_set_device_arc(struct m2m_trust *t, const char *arc, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && arc != NULL);
    M2M_ENSURE(pki_is_dotted_oid(arc) && strlen(arc) < sizeof(t->device_arc), M2M_E_INVALID_ARG,
               "'%s' is not a dotted object identifier", arc);
    memcpy(t->device_arc, arc, strlen(arc) + 1);
    rc = 0;
out:
    return rc;
}

void m2m_trust_set_time(struct m2m_trust *t, time_t at)
{
    if (t != NULL)
        t->at = at;
}

size_t m2m_trust_anchor_count(const struct m2m_trust *t)
{
    size_t n = 0;
    STACK_OF(X509_OBJECT) *objs;

    if (t == NULL)
        return 0;
    objs = X509_STORE_get0_objects(t->store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++)
        if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509)
            n++;
    return n;
}

int m2m_trust_set_name(struct m2m_trust *t, const char *name, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(t != NULL && name != NULL);
    M2M_ENSURE(strlen(name) < sizeof(t->name), M2M_E_INVALID_ARG, "trust set name longer than %zu",
               sizeof(t->name) - 1);
    memcpy(t->name, name, strlen(name) + 1);
    rc = 0;
out:
    return rc;
}

const char *m2m_trust_name(const struct m2m_trust *t)
{
    return t->name;
}
