/* The pool of device credentials the load generator draws from, round robin: loaded from a
 * directory or issued in memory (issuing 1,000 P-256 certificates takes well under a second,
 * far less than 1,000 runs of the CLI). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <m2msec/pki.h>

#include "bench.h"

static int grow(struct bench_pool *p, size_t *cap)
{
    struct bench_cred *c;

    if (p->n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 1024;
    c = realloc(p->creds, want * sizeof(*c));
    if (c == NULL)
        return -1;
    p->creds = c;
    *cap = want;
    return 0;
}

static int load_pair(struct bench_cred *c, const char *key_path, const char *cert_path)
{
    FILE *f = fopen(key_path, "r");
    X509 *x;

    memset(c, 0, sizeof(*c));
    if (f == NULL)
        return -1;
    c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if ((f = fopen(cert_path, "r")) == NULL)
        return -1;
    c->cert = PEM_read_X509(f, NULL, NULL, NULL);
    c->chain = sk_X509_new_null();
    while (c->chain != NULL && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        sk_X509_push(c->chain, x);
    fclose(f);
    ERR_clear_error(); /* the end of the file reads as an error */
    return c->key != NULL && c->cert != NULL && c->chain != NULL ? 0 : -1;
}

static int is_cert_file(const struct dirent *d)
{
    size_t len = strlen(d->d_name);

    return len > 9 && strcmp(d->d_name + len - 9, ".cert.pem") == 0;
}

int bench_pool_load_dir(struct bench_pool *p, const char *dir, char *errbuf, size_t errlen)
{
    struct dirent **names = NULL;
    size_t cap = 0;
    int n = scandir(dir, &names, is_cert_file, alphasort), rc = -1;

    memset(p, 0, sizeof(*p));
    if (n < 0) {
        snprintf(errbuf, errlen, "cannot read %s", dir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char cert[4096], key[4096];
        size_t stem = strlen(names[i]->d_name) - 9;
        snprintf(cert, sizeof(cert), "%s/%s", dir, names[i]->d_name);
        snprintf(key, sizeof(key), "%s/%.*s.key.pem", dir, (int)stem, names[i]->d_name);
        if (grow(p, &cap) != 0 || load_pair(&p->creds[p->n], key, cert) != 0) {
            snprintf(errbuf, errlen, "cannot load %s / %s", key, cert);
            if (p->n < cap)
                p->n++; /* so bench_pool_free releases the partial entry */
            goto out;
        }
        p->n++;
    }
    if (p->n == 0)
        snprintf(errbuf, errlen, "no NAME.cert.pem + NAME.key.pem in %s", dir);
    else
        rc = 0;
out:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int bench_pool_generate(struct bench_pool *p, size_t n, const char *ca_key, const char *ca_cert,
                        const char *prefix, unsigned long first, char *errbuf, size_t errlen)
{
    struct m2m_error err;
    struct m2m_credential *ca = m2m_credential_load(ca_key, ca_cert, NULL, &err);
    int rc = -1;

    memset(p, 0, sizeof(*p));
    if (ca == NULL || (p->creds = calloc(n, sizeof(*p->creds))) == NULL) {
        snprintf(errbuf, errlen, "issuer: %s", ca ? "out of memory" : err.msg);
        goto out;
    }
    for (; p->n < n; p->n++) {
        struct bench_cred *c = &p->creds[p->n];
        struct m2m_cert_spec spec;
        char id[M2M_IDENTITY_MAX];
        snprintf(id, sizeof(id), "%s%lu", prefix, first + (unsigned long)p->n);
        memset(&spec, 0, sizeof(spec));
        spec.kind = M2M_CERT_END_ENTITY;
        spec.flavour = M2M_FLAVOUR_DEVICE;
        spec.identity = id;
        spec.common_name = id;
        spec.path_len = -1;
        spec.key_type = M2M_KEY_P256;
        if (m2m_pki_issue(&spec, ca, &c->key, &c->cert, &err) != 0 ||
            (c->chain = sk_X509_new_null()) == NULL ||
            !sk_X509_push(c->chain, m2m_credential_cert(ca))) {
            snprintf(errbuf, errlen, "issuing %s: %s", id, err.msg);
            p->n++;
            goto out;
        }
        X509_up_ref(m2m_credential_cert(ca));
    }
    rc = 0;
out:
    m2m_credential_free(ca);
    return rc;
}

void bench_pool_free(struct bench_pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        EVP_PKEY_free(p->creds[i].key);
        X509_free(p->creds[i].cert);
        sk_X509_pop_free(p->creds[i].chain, X509_free);
    }
    free(p->creds);
    memset(p, 0, sizeof(*p));
}
