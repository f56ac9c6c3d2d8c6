/* IMPI syntax (3GPP TS 23.003 13.3: a NAI of the form username@realm, RFC 4282). */
#include <string.h>

#include <m2msec/id.h>

#include "core/safety.h"
#include "id/id_internal.h"

#define IMPI_USER_MAX 128

/* Printable ASCII that needs no escaping in a Digest quoted-string (RFC 2617 3.2.1). */
static int user_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '@' && c != '"' && c != '\\' && c != ',';
}

int m2m_impi_validate(const char *impi, struct m2m_error *err)
{
    struct id_charbuf cb;
    const char *at;
    size_t len, ulen;
    int rc = -1;

    M2M_ENSURE_ARG(impi != NULL);
    len = strnlen(impi, M2M_IMPI_MAX + 1);
    M2M_ENSURE(len > 0 && len <= M2M_IMPI_MAX, M2M_E_ID_SYNTAX, "IMPI of %zu characters (1 to %d)",
               len, M2M_IMPI_MAX);
    at = strchr(impi, '@');
    M2M_ENSURE(at != NULL, M2M_E_ID_SYNTAX, "IMPI: missing '@' (expected user@realm)");
    ulen = (size_t)(at - impi);
    M2M_ENSURE(ulen > 0 && ulen <= IMPI_USER_MAX, M2M_E_ID_SYNTAX,
               "IMPI: user part of %zu characters (1 to %d)", ulen, IMPI_USER_MAX);
    for (size_t i = 0; i < ulen; i++)
        M2M_ENSURE(user_char_ok((unsigned char)impi[i]), M2M_E_ID_SYNTAX,
                   "IMPI: %s not allowed in the user part (offset %zu)",
                   id_describe_char((unsigned char)impi[i], &cb), i);
    M2M_GUARD(
        id_fqdn_check(at + 1, len - ulen - 1, 0, M2M_E_ID_SYNTAX, "IMPI realm: ", ulen + 1, err));
    rc = 0;
out:
    return rc;
}
