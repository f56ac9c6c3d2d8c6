#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pki_testutil.h"

struct m2m_cert_spec pki_test_spec(enum m2m_cert_kind kind, enum m2m_flavour flavour,
                                   const char *identity)
{
    struct m2m_cert_spec s = {0};
    time_t now = time(NULL);

    s.kind = kind;
    s.flavour = flavour;
    s.identity = identity;
    s.not_before = now - 30 * PKI_TEST_DAY;
    s.not_after = now + 365 * PKI_TEST_DAY;
    s.path_len = -1;
    s.key_type = M2M_KEY_P256;
    return s;
}

struct m2m_credential *pki_test_cred(const struct m2m_cert_spec *spec,
                                     const struct m2m_credential *issuer)
{
    struct m2m_error err = {0};
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    struct m2m_credential *c;

    if (m2m_pki_issue(spec, issuer, &key, &cert, &err) != 0)
        fail_msg("issue %s: %s", spec->identity ? spec->identity : "CA", err.msg);
    c = m2m_credential_new(key, cert, NULL, &err);
    if (c == NULL)
        fail_msg("credential: %s", err.msg);
    EVP_PKEY_free(key);
    X509_free(cert);
    return c;
}

STACK_OF(X509) *pki_test_chain(X509 *first, ...)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    va_list ap;

    assert_non_null(sk);
    va_start(ap, first);
    for (X509 *x = first; x != NULL; x = va_arg(ap, X509 *)) {
        X509_up_ref(x);
        assert_true(sk_X509_push(sk, x) > 0);
    }
    va_end(ap);
    return sk;
}

char *pki_test_tmpdir(void)
{
    char *dir = strdup("/tmp/m2m-pki-test-XXXXXX");

    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

void pki_test_rmdir(char *dir)
{
    DIR *d;
    struct dirent *de;

    if (dir == NULL)
        return;
    d = opendir(dir);
    while (d != NULL && (de = readdir(d)) != NULL) {
        char path[4096];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    free(dir);
}

char *pki_test_write(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = NULL;
    FILE *f;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    f = fopen(path, "wb");
    assert_non_null(f);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}
