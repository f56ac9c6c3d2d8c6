/* Helpers shared by the identifier parsers. ASCII only and locale-independent on purpose:
 * identifiers must not change meaning with the process locale. */
#ifndef M2M_ID_INTERNAL_H
#define M2M_ID_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <m2msec/error.h>
#include <m2msec/id.h>

static inline bool id_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool id_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool id_is_alnum(unsigned char c)
{
    return id_is_alpha(c) || id_is_digit(c);
}

static inline bool id_is_hex(unsigned char c)
{
    return id_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline char id_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* A printable rendering of c for error messages: "'_'", "space", "byte 0xc3". */
struct id_charbuf {
    char s[16];
};
const char *id_describe_char(unsigned char c, struct id_charbuf *buf);

/* Accept one trailing root dot in id_fqdn_check. */
#define ID_FQDN_ROOT_DOT 0x1u

/* Checks s[0..len) as an FQDN (rules in m2msec/id.h). Errors use code, start with what (a prefix
 * such as "SP-ID: ") and count offsets from base, so a host inside a longer string is located in
 * it. */
int id_fqdn_check(const char *s, size_t len, unsigned flags, enum m2m_errcode code,
                  const char *what, size_t base, struct m2m_error *err);

/* Checks s[0..len) as one DNS label (RFC 1123 2.1: letters, digits, inner hyphens, 1..63). */
int id_label_check(const char *s, size_t len, enum m2m_errcode code, const char *what, size_t base,
                   struct m2m_error *err);

/* Length of an FQDN once its root dot is dropped. */
size_t id_fqdn_len(const char *s, size_t len);

/* Copies s[0..len) lowercased into out (room for len + 1). */
void id_copy_lower(char *out, const char *s, size_t len);

/* NFKC, then m2m_id_parse as expect, then m2m_id_make_absolute with sp_id: the canonical
 * id of m2m_id_canonical and of the AE-ID certificate URI. */
int id_canonical_parse(const char *s, enum m2m_id_kind expect, const char *sp_id,
                       struct m2m_id *out, struct m2m_error *err);

#endif
