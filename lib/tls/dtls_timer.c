/* The DTLS retransmission timer of every DTLS session of m2msec (association, CoAPS).
 *
 * RFC 6347 4.2.4.1: retransmission starts at 1 s and doubles. Over a path that loses a
 * good share of its datagrams a flight may need several attempts, and with the doubling left
 * uncapped (up to 60 s) the waits soon outlast any sensible handshake deadline.
 * [m2msec choice] The doubling stops at 4 s: the timer still backs off, yet a lossy path
 * keeps getting attempts within the handshake timeout. */
#include <m2msec/tls.h>

#define DTLS_TIMER_INITIAL_US 1000000U
#define DTLS_TIMER_MAX_US     4000000U

static unsigned int dtls_timer(SSL *ssl, unsigned int previous_us)
{
    (void)ssl;
    if (previous_us == 0)
        return DTLS_TIMER_INITIAL_US;
    return previous_us >= DTLS_TIMER_MAX_US / 2 ? DTLS_TIMER_MAX_US : previous_us * 2;
}

void m2m_tls_set_dtls_timer(SSL *ssl)
{
    if (ssl != NULL && SSL_is_dtls(ssl))
        DTLS_set_timer_cb(ssl, dtls_timer);
}
