/* The coaps_listen key: where a role serves its resources over CoAP with DTLS. Absent,
 * empty or "none" leaves it off, so configurations written before CoAPS keep their
 * meaning (and their ports). */
#include <stdio.h>
#include <string.h>

#include "config_coap.h"

int config_coaps_listen(const char *v, unsigned short default_port, struct listen_conf *l)
{
    char buf[sizeof(l->address) + 8];
    size_t n = strlen(v);

    memset(l, 0, sizeof(*l));
    if (n == 0 || strcmp(v, "none") == 0)
        return 0;
    /* An address alone: "127.0.0.1", "::1" or "[::1]" (two colons or a bracket that
     * closes the value mean no port was given). */
    if (strchr(v, ':') == NULL || (v[0] == '[' && v[n - 1] == ']') ||
        (v[0] != '[' && strchr(v, ':') != strrchr(v, ':'))) {
        if (snprintf(buf, sizeof(buf), "%s%s%s:%u", v[0] == '[' || !strchr(v, ':') ? "" : "[", v,
                     v[0] == '[' || !strchr(v, ':') ? "" : "]", default_port) >= (int)sizeof(buf))
            return -1;
        v = buf;
    }
    if (config_listen(v, l) != 0)
        return -1;
    return l->port != 0 ? 0 : -1;
}

int config_coaps_check(const struct daemon_conf *c, const struct listen_conf *l, const char *role,
                       char *err, size_t errsz)
{
    if (l->port != 0 && c->workers > 1)
        return snprintf(err, errsz,
                        "[%s] coaps_listen needs workers = 1 (libcoap binds its UDP socket "
                        "without SO_REUSEPORT)",
                        role),
               -1;
    return 0;
}
