/* Exchanges of the CoAPS server: a request handed to the role's adapter, its answer, and
 * the repeats of it. An answer given inside the handler is piggybacked on the ACK; an
 * answer given later (the MEF's, after its durable write) is a separate response: the
 * request is registered with libcoap's async (coap_register_async, no delay) and
 * acknowledged empty, and coap_async_trigger re-runs the handler with the request once the
 * answer exists (RFC 7252 section 5.2.2). Bodies are reassembled and answered block-wise
 * by libcoap (COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY; RFC 7959). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/coap_internal.h"

#define TOKEN_MAX 8

struct m2m_coap_exchange {
    struct m2m_coap_server *srv;
    coap_session_t *session; /* referenced while the answer is owed */
    coap_session_t *current; /* the request's session, while the handler runs */
    uint8_t token[TOKEN_MAX];
    size_t token_len;
    bool in_handler, answered, async;
    /* the request */
    const char *method;
    char path[M2M_COAP_PATH_MAX];
    char origin[M2M_COAP_OPT_MAX];
    bool has_origin;
    char *body;
    size_t body_len;
    char peer[64];
    struct m2m_coap_answer ans; /* rqi filled from the request */
};

/* ---- exchanges ---- */

static void exchange_free(struct m2m_coap_exchange *x)
{
    if (x == NULL)
        return;
    if (x->async) {
        x->srv->pending--;
        coap_session_release(x->session);
    }
    free(x->body);
    free(x->ans.body);
    free(x);
}

static void release_body(coap_session_t *s, void *p)
{
    (void)s;
    free(p);
}

/* An answer into libcoap's response PDU: code, oneM2M-RQI/-RSC, and the body (libcoap
 * sends it block-wise when it exceeds the session's PDU size, RFC 7959). */
static void put_answer(const struct m2m_coap_answer *a, coap_resource_t *r, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp)
{
    char *copy = a->body != NULL ? strdup(a->body) : NULL;

    coap_pdu_set_code(resp, COAP_RESPONSE_CODE(copy != NULL || a->body == NULL ? a->code : 500));
    /* oneM2M-RQI and oneM2M-RSC are critical options (odd numbers): a client that does not
     * know them must reject the response (RFC 7252 section 5.4.1). A oneM2M request always
     * carries oneM2M-RQI (TS-0008); a request without it comes from a plain CoAP client,
     * which gets the CoAP code and the body only. */
    if (a->has_rqi) {
        coap_add_option(resp, M2M_COAP_OPT_RQI, strlen(a->rqi), (const uint8_t *)a->rqi);
        m2m_coap_add_uint_option(resp, M2M_COAP_OPT_RSC, (unsigned)a->rsc);
    }
    if (copy != NULL) /* libcoap frees copy through release_body */
        coap_add_data_large_response(r, s, req, resp, query, M2M_COAP_FORMAT_JSON, -1, 0,
                                     strlen(copy), (const uint8_t *)copy, release_body, copy);
}

/* Sends x's answer, remembers it for a repeated request, and frees x. */
static void finish(struct m2m_coap_exchange *x, coap_resource_t *r, coap_session_t *s,
                   const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp)
{
    struct m2m_coap_sess *st = m2m_coap_sess_get(s);

    put_answer(&x->ans, r, s, req, query, resp);
    if (st != NULL) {
        m2m_coap_sess_keep(st, &x->ans);
        if (x->ans.close)
            st->ended = true;
    }
    exchange_free(x);
}

static void answer_now(struct m2m_coap_exchange *x, int http, enum m2m_rsc rsc, const char *why)
{
    x->ans.code = m2m_coap_code_from_http(http);
    x->ans.rsc = rsc;
    x->ans.body = m2m_error_body_encode(why);
    x->answered = true;
}

/* Fills x from the request; an answer when the request cannot reach the role. */
static int read_request(struct m2m_coap_exchange *x, coap_session_t *s, const coap_pdu_t *req)
{
    const uint8_t *data = NULL;
    size_t len = 0, offset = 0, total = 0;
    int fmt = m2m_coap_pdu_format(req);
    coap_block_t b2;
    int o;

    m2m_coap_peer_text(s, x->peer, sizeof(x->peer));
    x->method = m2m_coap_method_name(coap_pdu_get_code(req));
    if (x->method == NULL)
        return answer_now(x, 405, M2M_RSC_OPERATION_NOT_ALLOWED, "method not allowed"), -1;
    if (m2m_coap_pdu_path(req, x->path, sizeof(x->path)) != 0)
        return answer_now(x, 400, M2M_RSC_BAD_REQUEST, "malformed Uri-Path"), -1;
    o = m2m_coap_pdu_text_option(req, M2M_COAP_OPT_FR, x->origin, sizeof(x->origin));
    if (o < 0)
        return answer_now(x, 400, M2M_RSC_BAD_REQUEST, "malformed oneM2M-FR"), -1;
    x->has_origin = o == 1;
    /* libcoap answers later blocks of a block-wise answer from its copy; one that reaches
     * us is for an answer it no longer holds, and must not run the request again. */
    if (coap_get_block(req, COAP_OPTION_BLOCK2, &b2) && b2.num > 0)
        return answer_now(x, 400, M2M_RSC_BAD_REQUEST,
                          "block no longer available; repeat the request"),
               -1;
    if (coap_get_data_large(req, &len, &data, &offset, &total) && total > x->srv->max_body)
        return answer_now(x, 413, M2M_RSC_BAD_REQUEST, "body too large"), -1;
    if (len > 0 && fmt != -1 && fmt != M2M_COAP_FORMAT_JSON)
        return answer_now(x, 415, M2M_RSC_UNSUPPORTED_MEDIA_TYPE, "content-format must be 50"), -1;
    if ((x->body = malloc(len + 1)) == NULL)
        return answer_now(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory"), -1;
    if (len > 0)
        memcpy(x->body, data, len);
    x->body[len] = '\0';
    x->body_len = len;
    return 0;
}

/* The handler could not answer at once: hold the request until m2m_coap_reply. */
static int defer(struct m2m_coap_exchange *x, coap_session_t *s, const coap_pdu_t *req)
{
    coap_bin_const_t tok = coap_pdu_get_token(req);
    coap_async_t *a;

    if (tok.length > TOKEN_MAX || (a = coap_register_async(s, req, 0)) == NULL)
        return -1;
    memcpy(x->token, tok.s, tok.length);
    x->token_len = tok.length;
    x->session = coap_session_reference(s);
    x->async = true;
    x->srv->pending++;
    coap_async_set_app_data(a, x);
    return 0;
}

/* A request libcoap hands us again: the fired async of a deferred answer (send it), a
 * repeat while that answer is still owed (libcoap sends an empty ACK again, as no code is
 * set), or a repeat of an answered request (the same answer again). 1 when handled. */
static int repeated(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                    const coap_string_t *query, coap_pdu_t *resp)
{
    coap_async_t *a = coap_find_async(s, coap_pdu_get_token(req));
    struct m2m_coap_sess *st = coap_session_get_app_data(s);
    struct m2m_coap_exchange *x;

    if (a != NULL) {
        x = coap_async_get_app_data(a);
        /* Once answered, the entry has been triggered: what arrives now is its firing (or,
         * rarely, a repeat just before it, which then gets the answer piggybacked). */
        if (x != NULL && x->answered) {
            /* libcoap frees the async entry itself once we return */
            coap_async_set_app_data(a, NULL);
            finish(x, r, s, req, query, resp);
        }
        return 1;
    }
    if (!m2m_coap_sess_repeat(st, req))
        return 0;
    if (st->have_answer)
        put_answer(&st->answer, r, s, req, query, resp);
    return 1;
}

void m2m_coap_on_request(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                         const coap_string_t *query, coap_pdu_t *resp)
{
    struct m2m_coap_server *srv = (struct m2m_coap_server *)m2m_coap_dtls_of(s);
    struct m2m_coap_sess *st;
    struct m2m_coap_exchange *x;

    if (repeated(r, s, req, query, resp))
        return;
    srv->stats.requests++;
    st = m2m_coap_sess_get(s);
    if ((x = calloc(1, sizeof(*x))) == NULL || st == NULL) {
        free(x);
        coap_pdu_set_code(resp, COAP_RESPONSE_CODE(500));
        return;
    }
    m2m_coap_sess_begin(st, req);
    x->srv = srv;
    x->ans.has_rqi =
        m2m_coap_pdu_text_option(req, M2M_COAP_OPT_RQI, x->ans.rqi, sizeof(x->ans.rqi)) == 1;
    if (srv->draining)
        answer_now(x, 503, M2M_RSC_INTERNAL_SERVER_ERROR, "shutting down");
    else if (st->ended)
        answer_now(x, 403, M2M_RSC_OPERATION_NOT_ALLOWED, "this session has ended");
    else if (read_request(x, s, req) == 0) {
        x->in_handler = true;
        x->current = s;
        srv->handler(srv->handler_arg, x);
        x->in_handler = false;
        x->current = NULL;
    }
    if (!x->answered && defer(x, s, req) == 0)
        return; /* libcoap acknowledges the request with an empty ACK */
    if (!x->answered)
        answer_now(x, 500, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot defer the answer");
    finish(x, r, s, req, query, resp);
}

void m2m_coap_reply(struct m2m_coap_exchange *x, int http_status, enum m2m_rsc rsc,
                    const char *json_body, bool close)
{
    coap_async_t *a;

    if (x == NULL || x->answered)
        return;
    x->ans.code = m2m_coap_code_from_http(http_status);
    x->ans.rsc = rsc;
    x->ans.close = close;
    x->answered = true;
    if (json_body != NULL && (x->ans.body = strdup(json_body)) == NULL) {
        x->ans.code = 500;
        x->ans.rsc = M2M_RSC_INTERNAL_SERVER_ERROR;
    }
    if (x->in_handler)
        return;
    /* Later on the loop: the session is still referenced, so its async entry is either
     * there (trigger it) or was dropped with the session's state (nothing to send). */
    a = coap_find_async(x->session, (coap_bin_const_t){x->token_len, x->token});
    if (a == NULL) {
        exchange_free(x);
        return;
    }
    coap_async_trigger(a);
    event_active(x->srv->io, EV_READ, 0);
}

void m2m_coap_reply_error(struct m2m_coap_exchange *x, int http_status, enum m2m_rsc rsc,
                          const char *reason)
{
    char *body = m2m_error_body_encode(reason);

    m2m_coap_reply(x, http_status, rsc, body, false);
    free(body);
}

const char *m2m_coap_method(const struct m2m_coap_exchange *x)
{
    return x->method;
}

const char *m2m_coap_path(const struct m2m_coap_exchange *x)
{
    return x->path;
}

const char *m2m_coap_origin(const struct m2m_coap_exchange *x)
{
    return x->has_origin ? x->origin : NULL;
}

const char *m2m_coap_body(const struct m2m_coap_exchange *x, size_t *len)
{
    if (len != NULL)
        *len = x->body_len;
    return x->body;
}

SSL *m2m_coap_ssl(const struct m2m_coap_exchange *x)
{
    /* Only while the handler runs: the session may end once it returns. */
    return x->current != NULL ? coap_session_get_tls(x->current, NULL) : NULL;
}

const char *m2m_coap_peer(const struct m2m_coap_exchange *x)
{
    return x->peer;
}
