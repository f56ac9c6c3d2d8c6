/* The MAF client registration answer (TS-0003 V3 8.8.2.3; DESIGN.md section 4):
 * {"clientRegId", "assignedSymmKeyId", "enroleeId", "expires"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m2msec/maf.h>

#include "core/safety.h"
#include "proto/json.h"

char *m2m_client_registration_encode(const struct m2m_client_registration *r, struct m2m_error *err)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "clientRegId", r->client_reg_id, "assignedSymmKeyId",
                          r->assigned_symm_key_id, "enroleeId", r->enrolee_id);

    if (o == NULL || proto_set_time(o, "expires", r->expires) != 0) {
        json_decref(o);
        m2m_error_set(err, M2M_E_NOMEM, "client registration");
        return NULL;
    }
    return proto_dump(o, err);
}

int m2m_client_registration_decode(const char *body, size_t len,
                                   struct m2m_client_registration *out, struct m2m_error *err)
{
    json_t *root = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    M2M_GUARD_PTR(root = proto_parse(body, len, err));
    M2M_GUARD(proto_get_str(root, "clientRegId", true, out->client_reg_id,
                            sizeof(out->client_reg_id), err));
    M2M_GUARD(proto_get_str(root, "assignedSymmKeyId", true, out->assigned_symm_key_id,
                            sizeof(out->assigned_symm_key_id), err));
    M2M_GUARD(
        proto_get_str(root, "enroleeId", true, out->enrolee_id, sizeof(out->enrolee_id), err));
    M2M_GUARD(proto_get_time(root, "expires", true, &out->expires, err));
    rc = 0;
out:
    json_decref(root);
    return rc;
}
