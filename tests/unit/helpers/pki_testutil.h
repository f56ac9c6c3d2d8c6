/* Building small PKIs for the pki tests. */
#ifndef PKI_TESTUTIL_H
#define PKI_TESTUTIL_H

#include <m2msec/pki.h>

#define PKI_TEST_DAY 86400

/* A spec with the defaults the tests start from: P-256, valid from 30 days ago for a year,
 * no path length. */
struct m2m_cert_spec pki_test_spec(enum m2m_cert_kind kind, enum m2m_flavour flavour,
                                   const char *identity);
/* Issues spec under issuer (NULL = self-signed) and returns it as a credential; aborts the
 * test on failure. */
struct m2m_credential *pki_test_cred(const struct m2m_cert_spec *spec,
                                     const struct m2m_credential *issuer);
/* A stack holding references to the given certificates (NULL-terminated list). */
STACK_OF(X509) *pki_test_chain(X509 *first, ...);
/* A fresh temporary directory (mkdtemp) and its recursive removal. */
char *pki_test_tmpdir(void);
void pki_test_rmdir(char *dir);
/* Writes len bytes to dir/name; returns the malloc'd path. */
char *pki_test_write(const char *dir, const char *name, const void *data, size_t len);

#endif
