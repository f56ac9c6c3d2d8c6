/* Certificate flavour names (TS-0003 V3 8.1.2.1, 10.1.1) and the small string predicates
 * the identity rules are built from. */
#include <string.h>

#include "core/safety.h"
#include "pki/pki_internal.h"

static const char *const flavour_names[M2M_FLAVOUR__COUNT] = {
    [M2M_FLAVOUR_NONE] = "none",       [M2M_FLAVOUR_DEVICE] = "device",
    [M2M_FLAVOUR_NODE_ID] = "node-id", [M2M_FLAVOUR_CSE_ID] = "cse-id",
    [M2M_FLAVOUR_AE_ID] = "ae-id",     [M2M_FLAVOUR_FQDN] = "fqdn",
};

const char *m2m_flavour_name(enum m2m_flavour f)
{
    if ((unsigned)f >= M2M_FLAVOUR__COUNT)
        return "unknown";
    return flavour_names[f];
}

int m2m_flavour_parse(const char *name, enum m2m_flavour *out, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(name != NULL && out != NULL);
    for (int f = M2M_FLAVOUR_DEVICE; f < M2M_FLAVOUR__COUNT; f++) {
        if (strcmp(name, flavour_names[f]) == 0) {
            *out = (enum m2m_flavour)f;
            rc = 0;
            goto out;
        }
    }
    M2M_BAIL(M2M_E_INVALID_ARG,
             "unknown certificate flavour '%s' (device, node-id, cse-id, ae-id, fqdn)", name);
out:
    return rc;
}

int pki_has_wildcard(const char *s)
{
    return strchr(s, '*') != NULL;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int pki_ascii_caseeq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return 0;
    return *a == *b;
}

/* TS-0001 annex H: an M2M Device ID is a sequence of integer arcs. */
int pki_is_dotted_oid(const char *s)
{
    int digits = 0, arcs = 0;

    for (; *s != '\0'; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
        } else if (*s == '.' && digits > 0) {
            arcs++;
            digits = 0;
        } else {
            return 0;
        }
    }
    return digits > 0 && arcs >= 1;
}

int pki_oid_under_arc(const char *oid, const char *arc)
{
    size_t n = strlen(arc);

    return strncmp(oid, arc, n) == 0 && (oid[n] == '\0' || oid[n] == '.');
}

int pki_is_urn_dev(const char *s)
{
    static const char prefix[] = "urn:dev:";

    for (size_t i = 0; i < sizeof(prefix) - 1; i++)
        if (ascii_lower(s[i]) != prefix[i])
            return 0;
    return s[sizeof(prefix) - 1] != '\0';
}
