/* Shared by the CoAP server and client of the net layer (libcoap 4.3, OpenSSL flavour). */
#ifndef M2M_NET_COAP_INTERNAL_H
#define M2M_NET_COAP_INTERNAL_H

#include <coap3/coap.h>

#include <m2msec/coap.h>

/* Attempts at a DTLS flight or a confirmable message before a session is given up: libcoap's
 * default of 4 ends handshakes on paths losing a quarter of their datagrams. With the
 * DTLS timer doubling capped at 4 s (m2m_tls_adopt_ssl) this bounds a handshake to about
 * half a minute. */
#define M2M_COAP_MAX_RETRANSMIT 8

/* Longest Uri-Path we rebuild: "/fetchCredentials/<KeID>/<SUID>" with room to spare. */
#define M2M_COAP_PATH_MAX 512
/* Longest oneM2M-FR / oneM2M-RQI value accepted. */
#define M2M_COAP_OPT_MAX 256

/* libcoap once per process (coap_startup), its logging turned down to errors. */
void m2m_coap_startup(void);

/* Registers the oneM2M options, so that libcoap does not refuse the critical ones
 * (oneM2M-RQI and oneM2M-RSC are odd numbers: critical, RFC 7252 section 5.4.1). */
void m2m_coap_register_options(coap_context_t *ctx, int server);

/* "GET" ... for a request code; NULL for codes we do not serve. */
const char *m2m_coap_method_name(coap_pdu_code_t code);
/* The request code for "GET" ...; 0 when unknown. */
coap_pdu_code_t m2m_coap_method_code(const char *method);

/* "/" + Uri-Path segments joined by "/"; -1 when a segment holds '/' or NUL (the joined
 * path would say something else) or the path is too long. */
int m2m_coap_pdu_path(const coap_pdu_t *pdu, char *out, size_t outsz);
/* An option's value as text: 1 found (copied), 0 absent, -1 over outsz or holding NUL. */
int m2m_coap_pdu_text_option(const coap_pdu_t *pdu, uint16_t number, char *out, size_t outsz);
/* A uint option (RFC 7252 section 3.2); 0 when absent. */
unsigned m2m_coap_pdu_uint_option(const coap_pdu_t *pdu, uint16_t number);
/* The Content-Format option, or -1 when absent. */
int m2m_coap_pdu_format(const coap_pdu_t *pdu);

/* Adds the Uri-Path options of path ("/a/b") to pdu, in order. */
int m2m_coap_add_path(coap_pdu_t *pdu, const char *path);
int m2m_coap_add_uint_option(coap_pdu_t *pdu, uint16_t number, unsigned value);

/* The printable form of the session's peer address. */
void m2m_coap_peer_text(const coap_session_t *session, char *out, size_t outsz);

/* An answer as the server sends it (and repeats it for a duplicate request). */
struct m2m_coap_answer {
    int code; /* CoAP code, class * 100 + detail */
    enum m2m_rsc rsc;
    bool has_rqi;
    char rqi[M2M_COAP_OPT_MAX];
    char *body; /* JSON or NULL */
    bool close; /* the session ends with this answer */
};

/* Per-session server state (coap_dedup.c), the session's app data. */
struct m2m_coap_sess {
    bool ended;
    uint8_t token[8]; /* the latest request's token */
    size_t token_len;
    bool have_answer;
    struct m2m_coap_answer answer;
};

struct m2m_coap_sess *m2m_coap_sess_get(coap_session_t *s);
void m2m_coap_sess_free(coap_session_t *s);
/* 1 when req repeats the session's latest request (same token). */
int m2m_coap_sess_repeat(const struct m2m_coap_sess *st, const coap_pdu_t *req);
/* A new request: remembers its token, forgets the previous answer. */
void m2m_coap_sess_begin(struct m2m_coap_sess *st, const coap_pdu_t *req);
/* Keeps a copy of the answer to repeat it. */
void m2m_coap_sess_keep(struct m2m_coap_sess *st, const struct m2m_coap_answer *a);

/* DTLS set-up of a server context: certificate sessions (adopted by the current tls
 * context in libcoap's ClientHello callback) and PSK sessions (identity looked up with
 * psk_fn). */
struct m2m_coap_dtls_server {
    struct m2m_tls_ctx *tls;
    m2m_psk_lookup_fn psk_fn;
    m2m_psk_lookup_suite_fn psk_suite_fn;
    void *psk_arg;
    unsigned char *cert_der, *key_der; /* what libcoap loads before we adopt the SSL */
    size_t cert_der_len, key_der_len;
    unsigned char dummy_psk[32]; /* libcoap needs a default key to detect PSK ClientHellos */
    struct m2m_secret *psk_last; /* the key just looked up: libcoap copies it after return */
    coap_bin_const_t psk_bin;
    m2m_coap_log_fn log;
    void *log_arg;
    unsigned long adopted; /* DTLS sessions that reached a handshake (past the cookie) */
};

int m2m_coap_dtls_server_setup(coap_context_t *ctx, struct m2m_coap_dtls_server *d,
                               struct m2m_error *err);
/* Wipes the last looked-up key (call once libcoap returned) and, with all, the rest. */
void m2m_coap_dtls_server_wipe(struct m2m_coap_dtls_server *d, int all);
/* The m2m_coap_dtls_server of a session's context (its app data points at the server,
 * whose first member is one). */
struct m2m_coap_dtls_server *m2m_coap_dtls_of(coap_session_t *session);

/* The server (coap_server.c); its exchanges (coap_exchange.c) reach into it. */
struct m2m_coap_server {
    struct m2m_coap_dtls_server dtls; /* first: m2m_coap_dtls_of finds it */
    struct event_base *base;
    coap_context_t *ctx;
    coap_endpoint_t *ep;
    struct event *io, *timer;
    unsigned short port;
    size_t max_body;
    m2m_coap_handler handler;
    void *handler_arg;
    bool draining;
    int pending;
    struct m2m_coap_stats stats;
};

/* libcoap's method handler for every path (coap_exchange.c). */
void m2m_coap_on_request(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                         const coap_string_t *query, coap_pdu_t *resp);

#endif
