/* The message side of the CoAP binding: codes, methods, Uri-Path, and the oneM2M options
 * (TS-0008 CoAP binding: oneM2M-FR 256, oneM2M-RQI 257, oneM2M-RSC 265). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/coap_internal.h"

static pthread_once_t startup_once = PTHREAD_ONCE_INIT;

static void startup(void)
{
    /* Our own log lines say what failed; libcoap's would repeat it on stderr. Its debug
     * trace (every datagram and handshake state) is there for troubleshooting with
     * M2M_COAP_DEBUG=1 in the environment. */
    coap_log_t level = getenv("M2M_COAP_DEBUG") != NULL ? LOG_DEBUG : LOG_CRIT;

    coap_startup();
    coap_set_log_level(level);
    coap_dtls_set_log_level(level);
}

void m2m_coap_startup(void)
{
    pthread_once(&startup_once, startup);
}

/* libcoap 4.3.1 keeps known options >= 256 in two slots (COAP_OPT_FILTER_LONG), so each
 * side registers the two critical-or-not options it receives: a server oneM2M-FR and
 * oneM2M-RQI, a client oneM2M-RQI and oneM2M-RSC. */
void m2m_coap_register_options(coap_context_t *ctx, int server)
{
    coap_register_option(ctx, server ? M2M_COAP_OPT_FR : M2M_COAP_OPT_RSC);
    coap_register_option(ctx, M2M_COAP_OPT_RQI);
}

/* RFC 8075 section 7 for the statuses the roles answer with. */
static const struct {
    int http, coap;
} codes[] = {
    {200, 205}, {201, 201}, {204, 204}, {400, 400}, {401, 401}, {403, 403}, {404, 404},
    {405, 405}, {406, 406}, {409, 409}, {412, 412}, {413, 413}, {415, 415}, {429, 429},
    {500, 500}, {501, 501}, {502, 502}, {503, 503}, {504, 504},
};

int m2m_coap_code_from_http(int http_status)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].http == http_status)
            return codes[i].coap;
    return http_status >= 200 && http_status < 300 ? 205 : http_status < 500 ? 400 : 500;
}

int m2m_coap_code_to_http(int coap_code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].coap == coap_code)
            return codes[i].http;
    if (coap_code >= 200 && coap_code < 300) /* 2.02 Deleted, 2.03 Valid */
        return 200;
    return coap_code >= 400 && coap_code < 500 ? 400 : 500;
}

static const struct {
    coap_pdu_code_t code;
    const char *name;
} methods[] = {
    {COAP_REQUEST_CODE_GET, "GET"},
    {COAP_REQUEST_CODE_POST, "POST"},
    {COAP_REQUEST_CODE_PUT, "PUT"},
    {COAP_REQUEST_CODE_DELETE, "DELETE"},
};

const char *m2m_coap_method_name(coap_pdu_code_t code)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (methods[i].code == code)
            return methods[i].name;
    return NULL;
}

coap_pdu_code_t m2m_coap_method_code(const char *method)
{
    for (size_t i = 0; method != NULL && i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i].name, method) == 0)
            return methods[i].code;
    return 0;
}

int m2m_coap_pdu_path(const coap_pdu_t *pdu, char *out, size_t outsz)
{
    coap_opt_iterator_t it;
    coap_opt_filter_t f;
    coap_opt_t *opt;
    size_t used = 0;

    coap_option_filter_clear(&f);
    coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
    coap_option_iterator_init(pdu, &it, &f);
    while ((opt = coap_option_next(&it)) != NULL) {
        size_t len = coap_opt_length(opt);
        const uint8_t *v = coap_opt_value(opt);
        if (memchr(v, '/', len) != NULL || memchr(v, '\0', len) != NULL || used + 1 + len >= outsz)
            return -1;
        out[used++] = '/';
        memcpy(out + used, v, len);
        used += len;
    }
    if (used == 0 && outsz > 1)
        out[used++] = '/';
    out[used] = '\0';
    return 0;
}

int m2m_coap_pdu_text_option(const coap_pdu_t *pdu, uint16_t number, char *out, size_t outsz)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, number, &it);
    size_t len;

    if (opt == NULL)
        return 0;
    len = coap_opt_length(opt);
    if (len >= outsz || memchr(coap_opt_value(opt), '\0', len) != NULL)
        return -1;
    memcpy(out, coap_opt_value(opt), len);
    out[len] = '\0';
    return 1;
}

unsigned m2m_coap_pdu_uint_option(const coap_pdu_t *pdu, uint16_t number)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, number, &it);

    return opt != NULL ? coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : 0;
}

int m2m_coap_pdu_format(const coap_pdu_t *pdu)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);

    return opt != NULL ? (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : -1;
}

int m2m_coap_add_path(coap_pdu_t *pdu, const char *path)
{
    const char *p = path;

    while (*p == '/')
        p++;
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (coap_add_option(pdu, COAP_OPTION_URI_PATH, len, (const uint8_t *)p) == 0)
            return -1;
        p += len;
        while (*p == '/')
            p++;
    }
    return 0;
}

int m2m_coap_add_uint_option(coap_pdu_t *pdu, uint16_t number, unsigned value)
{
    uint8_t buf[4];
    unsigned n = coap_encode_var_safe(buf, sizeof(buf), value);

    return coap_add_option(pdu, number, n, buf) != 0 || n == 0 ? 0 : -1;
}

void m2m_coap_peer_text(const coap_session_t *session, char *out, size_t outsz)
{
    const coap_address_t *a = coap_session_get_addr_remote(session);

    if (a == NULL || coap_print_addr(a, (unsigned char *)out, outsz) == 0)
        snprintf(out, outsz, "?");
}
