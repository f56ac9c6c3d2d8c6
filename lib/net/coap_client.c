/* The CoAPS client: one libcoap context and one DTLS session per client, driven by
 * blocking waits (CLI, tests, a role's outgoing request on its own thread).
 *
 * libcoap 4.3.1 creates the client SSL from its own SSL_CTX and sends the first
 * ClientHello from inside coap_new_client_session_*; it offers no hook before that. The SSL
 * is adopted by our DTLS client context right after (m2m_tls_adopt_ssl), before any answer
 * is read, so our verification of the server's certificate (TS-0003 V3 8.2.2.2: the
 * expected name, the configured anchors) decides the handshake. A server that answers
 * with HelloVerifyRequest (ours always do, RFC 6347 4.2.1) receives a second ClientHello
 * built from our suites; one that does not could pick from libcoap's first offer, so the
 * negotiated suite is checked against ours before a request is trusted.
 *
 * Block-wise answers (RFC 7959 Block2) are reassembled here, not by libcoap: libcoap 4.3.1
 * drops a Block2 answer that arrives as a separate response to a CON request (its client
 * builds the block state from the request still in its retransmit queue, which the empty
 * ACK already removed), and the MEF's answers that wait for a durable write are exactly
 * such responses. The next block is asked for with the same method and path and a Block2
 * option; libcoap's server answers it from its copy of the body. Request bodies are
 * small (the JSON of an enrolment, a briefing or a registration) and go in one message. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include <m2msec/net.h>

#include "core/safety.h"
#include "net/coap_internal.h"

#define DEFAULT_TIMEOUT_MS 10000
#define TOKEN_MAX          8

struct m2m_coap_client {
    struct m2m_tls_config *cfg;
    struct m2m_tls_ctx *tls;
    coap_context_t *ctx;
    coap_session_t *session;
    coap_address_t server;
    char sni[M2M_FQDN_MAX + 1];
    int timeout_ms;
    SSL *ssl;       /* the session every request must travel on */
    bool ended;     /* the DTLS session closed or failed */
    bool connected; /* the DTLS handshake finished once */
    struct m2m_error tls_err;
    /* the request in flight */
    uint8_t token[TOKEN_MAX];
    size_t token_len;
    bool done, nack;
    coap_nack_reason_t reason;
    int code;
    unsigned rsc;
    char *body;
    size_t body_len;
    bool too_large;
    unsigned next_block; /* the Block2 number expected next */
    unsigned szx;
    bool want_next; /* a Block2 answer said more follows */
};

/* ---- libcoap callbacks ---- */

/* Appends a response's payload to the body, as a whole or as Block2 number next_block. */
static void take_payload(struct m2m_coap_client *c, const coap_pdu_t *got)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    coap_block_t b;
    char *grown;
    bool block = coap_get_block(got, COAP_OPTION_BLOCK2, &b) != 0;

    (void)coap_get_data(got, &len, &data);
    if (block && b.num != c->next_block) {
        c->too_large = true; /* out of order: treated as unusable below */
        c->done = true;
        return;
    }
    if (c->body_len + len > M2M_HTTPS_CLIENT_MAX_RESPONSE) {
        c->too_large = true;
        c->done = true;
        return;
    }
    if ((grown = realloc(c->body, c->body_len + len + 1)) == NULL) {
        c->done = true; /* body stays as it was; reported as out of memory */
        free(c->body);
        c->body = NULL;
        return;
    }
    c->body = grown;
    if (len > 0)
        memcpy(c->body + c->body_len, data, len);
    c->body_len += len;
    c->body[c->body_len] = '\0';
    if (block && b.m) {
        c->next_block = b.num + 1;
        c->szx = b.szx;
        c->want_next = true;
        return;
    }
    c->done = true;
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *got,
                                   const coap_mid_t mid)
{
    struct m2m_coap_client *c = coap_get_app_data(coap_session_get_context(s));
    coap_bin_const_t tok = coap_pdu_get_token(got);

    (void)sent, (void)mid;
    if (c->done || tok.length != c->token_len || memcmp(tok.s, c->token, tok.length) != 0)
        return COAP_RESPONSE_OK;
    c->code =
        (int)COAP_RESPONSE_CLASS(coap_pdu_get_code(got)) * 100 + (coap_pdu_get_code(got) & 0x1f);
    c->rsc = m2m_coap_pdu_uint_option(got, M2M_COAP_OPT_RSC);
    take_payload(c, got);
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                    const coap_mid_t mid)
{
    struct m2m_coap_client *c = coap_get_app_data(coap_session_get_context(s));

    (void)sent, (void)mid;
    c->nack = true;
    c->reason = reason;
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
    struct m2m_coap_client *c = coap_get_app_data(coap_session_get_context(s));
    const struct m2m_error *e;

    if (ev == COAP_EVENT_DTLS_CONNECTED)
        c->connected = true;
    if (ev == COAP_EVENT_DTLS_ERROR || ev == COAP_EVENT_DTLS_CLOSED ||
        ev == COAP_EVENT_SESSION_FAILED || ev == COAP_EVENT_SESSION_CLOSED) {
        e = m2m_tls_ssl_error(coap_session_get_tls(s, NULL));
        if (e != NULL && c->tls_err.code == M2M_OK)
            c->tls_err = *e;
        c->ended = true;
    }
    return 0;
}

/* ---- set-up ---- */

static int parse_url(struct m2m_coap_client *c, const char *url, struct m2m_error *err)
{
    char host[256] = "", port[8] = "5684";
    struct addrinfo hints, *ai = NULL;
    const char *p, *end;
    int rc = -1;

    M2M_ENSURE(strncmp(url, "coaps://", 8) == 0, M2M_E_INVALID_ARG, "'%s' is not coaps://", url);
    p = url + 8;
    if (*p == '[') {
        end = strchr(p, ']');
        M2M_ENSURE(end != NULL && (size_t)(end - p - 1) < sizeof(host), M2M_E_INVALID_ARG, "URL");
        memcpy(host, p + 1, (size_t)(end - p - 1));
        p = end + 1;
    } else {
        size_t n = strcspn(p, ":/");
        M2M_ENSURE(n > 0 && n < sizeof(host), M2M_E_INVALID_ARG, "URL host in '%s'", url);
        memcpy(host, p, n);
        p += n;
    }
    if (*p == ':') {
        size_t n = strcspn(p + 1, "/");
        M2M_ENSURE(n > 0 && n < sizeof(port), M2M_E_INVALID_ARG, "URL port in '%s'", url);
        memcpy(port, p + 1, n);
        port[n] = '\0';
        p += 1 + n;
    }
    M2M_ENSURE(*p == '\0' || strcmp(p, "/") == 0, M2M_E_INVALID_ARG, "base URL '%s' has a path",
               url);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    M2M_ENSURE(getaddrinfo(host, port, &hints, &ai) == 0, M2M_E_IO, "cannot resolve '%s'", host);
    coap_address_init(&c->server);
    c->server.size = ai->ai_addrlen;
    memcpy(&c->server.addr, ai->ai_addr, ai->ai_addrlen);
    if (c->sni[0] == '\0')
        snprintf(c->sni, sizeof(c->sni), "%s", host);
    rc = 0;
out:
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc;
}

static coap_session_t *open_psk(struct m2m_coap_client *c, const char *id,
                                const struct m2m_secret *key)
{
    coap_dtls_cpsk_t psk;

    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
    psk.client_sni = c->sni;
    psk.psk_info.identity.s = (const uint8_t *)id;
    psk.psk_info.identity.length = strlen(id);
    psk.psk_info.key.s = m2m_secret_cdata(key);
    psk.psk_info.key.length = m2m_secret_len(key);
    return coap_new_client_session_psk2(c->ctx, NULL, &c->server, COAP_PROTO_DTLS, &psk);
}

/* libcoap's own certificate checks are replaced by ours when the SSL is adopted; the key
 * it would load stays empty (our context carries the client's credential). */
static coap_session_t *open_pki(struct m2m_coap_client *c)
{
    coap_dtls_pki_t pki;

    memset(&pki, 0, sizeof(pki));
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 1;
    pki.client_sni = c->sni;
    pki.pki_key.key_type = COAP_PKI_KEY_ASN1;
    return coap_new_client_session_pki(c->ctx, NULL, &c->server, COAP_PROTO_DTLS, &pki);
}

static int connect_session(struct m2m_coap_client *c, struct m2m_error *err)
{
    const struct m2m_secret *key;
    const char *id;
    SSL *ssl;
    int rc = -1;

    if (m2m_tls_config_psk_client(c->cfg, &id, &key) == 0)
        c->session = open_psk(c, id, key);
    else
        c->session = open_pki(c);
    M2M_ENSURE(c->session != NULL, M2M_E_IO, "cannot open a DTLS session to %s", c->sni);
    coap_session_set_max_retransmit(c->session, M2M_COAP_MAX_RETRANSMIT);
    ssl = coap_session_get_tls(c->session, NULL);
    M2M_ENSURE(ssl != NULL, M2M_E_TLS, "libcoap made no DTLS session");
    M2M_GUARD(m2m_tls_adopt_ssl(ssl, c->tls, err));
    rc = 0;
out:
    return rc;
}

struct m2m_coap_client *m2m_coap_client_new(struct m2m_tls_config *cfg, const char *base_url,
                                            const char *server_name, struct m2m_error *err)
{
    struct m2m_coap_client *c = NULL;
    int rc = -1;

    M2M_ENSURE_ARG(cfg != NULL && base_url != NULL);
    M2M_ENSURE((c = calloc(1, sizeof(*c))) != NULL, M2M_E_NOMEM, "CoAP client");
    m2m_tls_config_up_ref(cfg);
    c->cfg = cfg;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    if (server_name != NULL)
        M2M_ENSURE(snprintf(c->sni, sizeof(c->sni), "%s", server_name) < (int)sizeof(c->sni),
                   M2M_E_INVALID_ARG, "server name too long");
    M2M_GUARD(parse_url(c, base_url, err));
    M2M_GUARD_PTR(c->tls = m2m_tls_ctx_new(cfg, M2M_TLS_CLIENT, M2M_TRANSPORT_DTLS, err));
    m2m_coap_startup();
    M2M_ENSURE((c->ctx = coap_new_context(NULL)) != NULL, M2M_E_NOMEM, "CoAP context");
    coap_set_app_data(c->ctx, c);
    m2m_coap_register_options(c->ctx, 0);
    coap_register_response_handler(c->ctx, on_response);
    coap_register_nack_handler(c->ctx, on_nack);
    coap_register_event_handler(c->ctx, on_event);
    rc = 0;
out:
    if (rc != 0) {
        m2m_coap_client_free(c);
        c = NULL;
    }
    return c;
}

void m2m_coap_client_free(struct m2m_coap_client *c)
{
    if (c == NULL)
        return;
    if (c->session != NULL)
        coap_session_release(c->session);
    if (c->ctx != NULL)
        coap_free_context(c->ctx);
    m2m_tls_ctx_free(c->tls);
    m2m_tls_config_free(c->cfg);
    free(c->body);
    free(c);
}

void m2m_coap_client_set_timeout_ms(struct m2m_coap_client *c, int ms)
{
    if (c != NULL && ms > 0)
        c->timeout_ms = ms;
}

/* ---- requests ---- */

/* One message of a request: the body on the first, a Block2 option (RFC 7959 section 2.4)
 * asking for block `block` of the answer on the following ones. */
static coap_pdu_t *build_request(struct m2m_coap_client *c, coap_pdu_code_t code, const char *path,
                                 const char *origin, const char *body, unsigned block,
                                 struct m2m_error *err)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(c->session),
                                    coap_session_max_pdu_size(c->session));
    unsigned char rnd[8];
    char rqi[2 * sizeof(rnd) + 1];
    bool first = block == 0;

    if (pdu == NULL)
        return m2m_error_set(err, M2M_E_NOMEM, "CoAP request"), NULL;
    coap_session_new_token(c->session, &c->token_len, c->token);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto fail;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(rqi + 2 * i, 3, "%02x", rnd[i]);
    /* Options in ascending number: Uri-Path 11, Content-Format 12, Block2 23, oneM2M-FR 256,
     * oneM2M-RQI 257. */
    if (coap_add_token(pdu, c->token_len, c->token) == 0 || m2m_coap_add_path(pdu, path) != 0 ||
        (first && body != NULL &&
         m2m_coap_add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, M2M_COAP_FORMAT_JSON) != 0) ||
        (!first && m2m_coap_add_uint_option(pdu, COAP_OPTION_BLOCK2, block << 4 | c->szx) != 0) ||
        (origin != NULL &&
         coap_add_option(pdu, M2M_COAP_OPT_FR, strlen(origin), (const uint8_t *)origin) == 0) ||
        coap_add_option(pdu, M2M_COAP_OPT_RQI, strlen(rqi), (const uint8_t *)rqi) == 0)
        goto fail;
    if (first && body != NULL && coap_add_data(pdu, strlen(body), (const uint8_t *)body) == 0) {
        coap_delete_pdu(pdu);
        m2m_error_set(err, M2M_E_TOO_LARGE,
                      "request body of %zu bytes does not fit one CoAP message", strlen(body));
        return NULL;
    }
    return pdu;
fail:
    coap_delete_pdu(pdu);
    m2m_error_set(err, M2M_E_INTERNAL, "cannot build the CoAP request");
    return NULL;
}

/* Runs libcoap until the answer (or its next block is due), the session failed, or the
 * deadline passed. */
static int wait_answer(struct m2m_coap_client *c, coap_tick_t deadline, struct m2m_error *err)
{
    coap_tick_t now;
    int rc = -1;

    while (!c->done && !c->want_next && !c->nack && !(c->ended && c->ssl != NULL)) {
        coap_ticks(&now);
        M2M_ENSURE(now < deadline, M2M_E_TIMEOUT, "no answer from %s within %d ms%s", c->sni,
                   c->timeout_ms,
                   c->connected
                       ? ""
                       : " (the DTLS handshake did not finish: unreachable server or wrong PSK)");
        M2M_ENSURE(
            coap_io_process(c->ctx,
                            (uint32_t)((deadline - now) * 1000 / COAP_TICKS_PER_SECOND) + 1) >= 0,
            M2M_E_IO, "CoAP I/O");
    }
    if (c->want_next) {
        rc = 0;
        goto out;
    }
    if (!c->done && c->tls_err.code != M2M_OK) {
        *err = c->tls_err;
        goto out;
    }
    M2M_ENSURE(c->done,
               c->nack && c->reason == COAP_NACK_TOO_MANY_RETRIES ? M2M_E_TIMEOUT
                                                                  : M2M_E_TLS_HANDSHAKE,
               "no answer from %s: %s", c->sni,
               c->nack && c->reason == COAP_NACK_TLS_FAILED ? "the DTLS handshake failed"
               : c->nack                                    ? "not delivered"
                                                            : "the DTLS session ended");
    M2M_ENSURE(!c->too_large, M2M_E_TOO_LARGE, "response body over %d bytes or out of order",
               M2M_HTTPS_CLIENT_MAX_RESPONSE);
    M2M_ENSURE(c->body != NULL, M2M_E_NOMEM, "response body");
    rc = 0;
out:
    return rc;
}

/* Every request on the first request's session (see m2m_https_client). */
static int same_session(struct m2m_coap_client *c, struct m2m_error *err)
{
    SSL *ssl = coap_session_get_tls(c->session, NULL);
    int rc = -1;

    M2M_ENSURE(!c->ended && ssl != NULL && (c->ssl == NULL || ssl == c->ssl), M2M_E_TLS,
               "the server ended the DTLS session; a new one would be another session");
    if (c->ssl == NULL) {
        M2M_ENSURE(m2m_tls_suite_allowed(ssl, c->tls), M2M_E_TLS_HANDSHAKE,
                   "the server chose %s, not a TS-0003 suite", SSL_get_cipher_name(ssl));
        c->ssl = ssl;
    }
    rc = 0;
out:
    return rc;
}

int m2m_coap_client_request(struct m2m_coap_client *c, const char *method, const char *path,
                            const char *origin, const char *body, int *status, int *rsc,
                            char **resp_body, struct m2m_error *err)
{
    coap_pdu_code_t code = m2m_coap_method_code(method);
    coap_tick_t deadline;
    coap_pdu_t *pdu;
    int rc = -1;

    M2M_ENSURE_ARG(c != NULL && path != NULL && path[0] == '/' && status != NULL && rsc != NULL);
    M2M_ENSURE(code != 0, M2M_E_INVALID_ARG, "method '%s'", method ? method : "");
    M2M_ENSURE(c->ssl == NULL || !c->ended, M2M_E_TLS,
               "the server ended the DTLS session; a new one would be another session");
    if (c->session == NULL)
        M2M_GUARD(connect_session(c, err));
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    c->next_block = 0;
    c->done = c->nack = c->too_large = c->want_next = false;
    coap_ticks(&deadline);
    deadline += (coap_tick_t)c->timeout_ms * COAP_TICKS_PER_SECOND / 1000;
    do {
        c->want_next = false;
        M2M_GUARD_PTR(pdu = build_request(c, code, path, origin, body, c->next_block, err));
        M2M_ENSURE(coap_send(c->session, pdu) != COAP_INVALID_MID, M2M_E_IO, "cannot send to %s",
                   c->sni);
        M2M_GUARD(wait_answer(c, deadline, err));
    } while (c->want_next);
    M2M_GUARD(same_session(c, err));
    *status = m2m_coap_code_to_http(c->code);
    *rsc = (int)c->rsc;
    if (resp_body != NULL) {
        *resp_body = c->body;
        c->body = NULL;
    }
    rc = 0;
out:
    return rc;
}

int m2m_coap_client_export(struct m2m_coap_client *c, const char *label, unsigned char *out,
                           size_t len, struct m2m_error *err)
{
    int rc = -1;

    M2M_ENSURE_ARG(c != NULL);
    M2M_ENSURE(c->ssl != NULL && !c->ended && coap_session_get_tls(c->session, NULL) == c->ssl,
               M2M_E_TLS_EXPORT, "no open DTLS session");
    rc = m2m_tls_export(c->ssl, label, out, len, err);
out:
    return rc;
}

int m2m_coap_client_peer(const struct m2m_coap_client *c, struct m2m_verified *out)
{
    return c != NULL && c->ssl != NULL ? m2m_tls_peer(c->ssl, out) : -1;
}

int m2m_coap_client_connected(struct m2m_coap_client *c)
{
    return c != NULL && c->ssl != NULL && !c->ended &&
           coap_session_get_state(c->session) == COAP_SESSION_STATE_ESTABLISHED;
}
