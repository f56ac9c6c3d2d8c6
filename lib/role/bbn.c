/* The Briefing Node's decision (SPEC.md section 7, Bootstrap-Briefing): the operator's rules
 * in file order, first match wins, and the answer to POST /briefing. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safety.h"
#include "role/bbn_internal.h"

static int in_list(const char *s, const char (*list)[M2M_BBN_NAME_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int trust_ok(const struct bbn_rule *r, const char *set)
{
    for (size_t i = 0; i < r->n_trust; i++)
        if (strcmp(r->trust[i], set) == 0)
            return 1;
    return r->n_trust == 0;
}

static int flavour_ok(const struct bbn_rule *r, enum m2m_flavour f)
{
    for (size_t i = 0; i < r->n_flavours; i++)
        if (r->flavours[i] == f)
            return 1;
    return r->n_flavours == 0;
}

/* A device identity "0.2.481.1.100.3030.10011" lies under the arc "0.2.481.1.100" when it
 * equals it or continues it after a '.' (whole arcs only: 0.2.481.1.10 is not a prefix). */
static int prefix_ok(const struct bbn_rule *r, const struct m2m_verified *p)
{
    size_t n = strlen(r->device_prefix);

    if (n == 0)
        return 1;
    if (p->flavour != M2M_FLAVOUR_DEVICE && p->flavour != M2M_FLAVOUR_NODE_ID)
        return 0;
    return strncmp(p->identity, r->device_prefix, n) == 0 &&
           (p->identity[n] == '\0' || p->identity[n] == '.');
}

/* Edges belong to the box. */
static int box_ok(const struct bbn_rule *r, const struct m2m_bbn_request *q)
{
    if ((r->seen & BBN_K_BOX) == 0)
        return 1;
    return q->has_location && q->lat >= r->lat_min && q->lat <= r->lat_max &&
           q->lon >= r->lon_min && q->lon <= r->lon_max;
}

static int transport_ok(const struct bbn_rule *r, const struct m2m_bbn_request *q)
{
    for (size_t i = 0; i < r->n_transports; i++)
        if (in_list(r->transports[i], q->transports, q->n_transports))
            return 1;
    return r->n_transports == 0;
}

const char *bbn_rule_mismatch(const struct bbn_rule *r, const struct m2m_verified *peer,
                              const struct m2m_bbn_request *req)
{
    if (!trust_ok(r, peer->trust_set))
        return "trust set";
    if (!flavour_ok(r, peer->flavour))
        return "certificate flavour";
    if (!prefix_ok(r, peer))
        return "device id prefix";
    /* The glob is the operator's matching rule over the verified identity, not a
     * certificate wildcard: certificates with '*' never verify (pki.h). */
    if (r->identity[0] && fnmatch(r->identity, peer->identity, 0) != 0)
        return "identity pattern";
    if (r->site[0] && (!req->has_site || strcmp(r->site, req->site) != 0))
        return "site";
    if (!box_ok(r, req))
        return "location";
    if (!in_list(r->mechanism, req->mechanisms, req->n_mechanisms))
        return "mechanism";
    if (!transport_ok(r, req))
        return "transport";
    return NULL;
}

static int fill(const struct bbn_rule *r, time_t now, struct m2m_bbn_instruction *out,
                struct m2m_error *err)
{
    int rc = -1;

    memset(out, 0, sizeof(*out));
    snprintf(out->mechanism, sizeof(out->mechanism), "%s", r->mechanism);
    snprintf(out->target_id, sizeof(out->target_id), "%s", r->target_id);
    snprintf(out->target_uri, sizeof(out->target_uri), "%s", r->target_uri);
    snprintf(out->rule, sizeof(out->rule), "%s", r->name);
    for (size_t i = 0; i < r->n_anchors; i++) {
        M2M_ENSURE((out->trust_anchors[i] = strdup(r->anchors[i])) != NULL, M2M_E_NOMEM, "anchor");
        out->n_anchors++;
    }
    memcpy(out->targets, r->targets, r->n_targets * sizeof(r->targets[0]));
    out->n_targets = r->n_targets;
    out->expires = now + r->lifetime;
    rc = 0;
out:
    if (rc != 0)
        m2m_bbn_instruction_clear(out);
    return rc;
}

/* Appends "rule 'x': <condition>" while it fits. */
static void explain(char *why, size_t whysz, const struct bbn_rule *r, const char *what)
{
    size_t used = strlen(why);

    if (used + 1 < whysz)
        snprintf(why + used, whysz - used, "%srule '%s': %s", used ? "; " : "", r->name, what);
}

int m2m_bbn_brief(const struct m2m_bbn_rules *rules, const struct m2m_verified *peer,
                  const struct m2m_bbn_request *req, time_t now, struct m2m_bbn_instruction *out,
                  char *why, size_t whysz, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(rules != NULL && peer != NULL && req != NULL && out != NULL);
    M2M_ENSURE_ARG(why != NULL && whysz > 0);
    why[0] = '\0';
    for (size_t i = 0; i < rules->n; i++) {
        const char *miss = bbn_rule_mismatch(&rules->rules[i], peer, req);
        if (miss == NULL)
            return fill(&rules->rules[i], now, out, err);
        explain(why, whysz, &rules->rules[i], miss);
    }
    return 1;
out:
    return rc;
}

/* ---- POST /briefing ---- */

static void answer(struct m2m_bbn_response *resp, int status, enum m2m_rsc rsc, char *body)
{
    free(resp->body);
    resp->body = body;
    resp->http_status = status;
    resp->rsc = rsc;
}

static void refuse(struct m2m_bbn_response *resp, int status, enum m2m_rsc rsc, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void refuse(struct m2m_bbn_response *resp, int status, enum m2m_rsc rsc, const char *fmt,
                   ...)
{
    va_list ap;

    /* The log may already say more (which condition of each rule failed): keep it. */
    va_start(ap, fmt);
    m2m_refusal_vset(&resp->body, resp->log[0] ? NULL : resp->log, sizeof(resp->log), status, fmt,
                     ap);
    va_end(ap);
    resp->http_status = status;
    resp->rsc = rsc;
}

static void brief(const struct m2m_bbn_rules *r, const char *body, size_t len,
                  const struct m2m_verified *peer, time_t now, struct m2m_bbn_response *resp)
{
    struct m2m_bbn_request req;
    struct m2m_bbn_instruction in;
    struct m2m_error err;
    char why[300];
    int rc;

    m2m_error_clear(&err);
    if (m2m_bbn_request_decode(body, len, &req, &err) != 0) {
        refuse(resp, err.code == M2M_E_TOO_LARGE ? 413 : 400, M2M_RSC_BAD_REQUEST, "%s", err.msg);
        return;
    }
    rc = m2m_bbn_brief(r, peer, &req, now, &in, why, sizeof(why), &err);
    if (rc == 1) {
        /* The node learns what it presented, not the operator's rules; the log has both. */
        snprintf(resp->log, sizeof(resp->log), "refused 403: %s '%.120s' of trust set '%s': %s",
                 m2m_flavour_name(peer->flavour), peer->identity, peer->trust_set, why);
        refuse(resp, 403, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
               "no rule matches: %s '%.120s' of trust set '%s'%s%s, mechanisms offered %zu",
               m2m_flavour_name(peer->flavour), peer->identity, peer->trust_set,
               req.has_site ? ", site " : "", req.has_site ? req.site : "", req.n_mechanisms);
        return;
    }
    if (rc != 0) {
        refuse(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "%s", err.msg);
        return;
    }
    answer(resp, 200, M2M_RSC_OK, m2m_bbn_instruction_encode(&in, &err));
    if (resp->body == NULL)
        refuse(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot encode the instruction");
    else
        snprintf(resp->log, sizeof(resp->log),
                 "%s '%.120s' of trust set '%s': rule '%s' -> %s at %s",
                 m2m_flavour_name(peer->flavour), peer->identity, peer->trust_set, in.rule,
                 in.mechanism, in.target_id);
    m2m_bbn_instruction_clear(&in);
}

void m2m_bbn_handle(const struct m2m_bbn_rules *r, const char *method, const char *path,
                    const char *body, size_t body_len, const struct m2m_verified *peer, time_t now,
                    struct m2m_bbn_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (strcmp(path, "/briefing") != 0)
        refuse(resp, 404, M2M_RSC_NOT_FOUND, "no resource %.200s", path);
    else if (strcmp(method, "POST") != 0)
        refuse(resp, 405, M2M_RSC_OPERATION_NOT_ALLOWED, "%.16s not allowed on /briefing", method);
    /* SPEC.md section 7: the node authenticates with its certificate. */
    else if (peer == NULL || peer->flavour == M2M_FLAVOUR_NONE)
        refuse(resp, 403, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED,
               "a briefing needs a session authenticated with the node's certificate");
    else if (r == NULL)
        refuse(resp, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "no rules loaded");
    else
        brief(r, body ? body : "", body ? body_len : 0, peer, now, resp);
}

void m2m_bbn_response_clear(struct m2m_bbn_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}
