/* Per-session state of the CoAP server: RFC 7252 section 4.5 deduplication by token (a
 * client that did not get our ACK or piggybacked answer repeats the same message; the
 * request must not reach the role twice: a second enrolment on one session would clash
 * with the first), and whether the session has ended (the MEF closes it after the
 * acknowledgement of an enrolment). Only the latest request of a session is remembered:
 * m2m clients send one request at a time. */
#include <stdlib.h>
#include <string.h>

#include "net/coap_internal.h"

struct m2m_coap_sess *m2m_coap_sess_get(coap_session_t *s)
{
    struct m2m_coap_sess *st = coap_session_get_app_data(s);

    if (st == NULL && (st = calloc(1, sizeof(*st))) != NULL)
        coap_session_set_app_data(s, st);
    return st;
}

void m2m_coap_sess_free(coap_session_t *s)
{
    struct m2m_coap_sess *st = coap_session_get_app_data(s);

    if (st == NULL)
        return;
    coap_session_set_app_data(s, NULL);
    free(st->answer.body);
    free(st);
}

int m2m_coap_sess_repeat(const struct m2m_coap_sess *st, const coap_pdu_t *req)
{
    coap_bin_const_t tok = coap_pdu_get_token(req);

    return st != NULL && st->token_len > 0 && tok.length == st->token_len &&
           memcmp(tok.s, st->token, tok.length) == 0;
}

void m2m_coap_sess_begin(struct m2m_coap_sess *st, const coap_pdu_t *req)
{
    coap_bin_const_t tok = coap_pdu_get_token(req);

    free(st->answer.body);
    memset(&st->answer, 0, sizeof(st->answer));
    st->have_answer = false;
    st->token_len = tok.length <= sizeof(st->token) ? tok.length : 0;
    memcpy(st->token, tok.s, st->token_len);
}

void m2m_coap_sess_keep(struct m2m_coap_sess *st, const struct m2m_coap_answer *a)
{
    free(st->answer.body);
    st->answer = *a;
    st->answer.body = a->body != NULL ? strdup(a->body) : NULL;
    st->have_answer = a->body == NULL || st->answer.body != NULL;
}
