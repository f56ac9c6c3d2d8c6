/* The local PSK store of an entity: KpsaID / KmID -> key (TS-0003 V3 8.2.3, 10.5, 10.6),
 * read from the credential store enrolment writes (credentials.json, docs/enrolment.md;
 * docs/association.md lists the members used here). The file holds secrets, so one readable
 * or writable by group or others is refused rather than trusted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "assoc/assoc_internal.h"
#include "core/safety.h"

#define PSK_FILE_MAX (1024 * 1024)
#define PSK_KEY_MAX  64 /* bytes; TS-0003 keys are 32 */

struct psk_entry {
    char *identity;
    struct m2m_secret *key;
    char *peer_id;
    time_t expires; /* 0: no expiry */
};

struct m2m_psk_store {
    struct psk_entry *e;
    size_t n;
};

struct m2m_psk_store *m2m_psk_store_new(struct m2m_error *err)
{
    struct m2m_psk_store *s = calloc(1, sizeof(*s));

    if (s == NULL)
        m2m_error_set(err, M2M_E_NOMEM, "PSK store");
    return s;
}

void m2m_psk_store_free(struct m2m_psk_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].identity);
        m2m_secret_free(s->e[i].key);
        free(s->e[i].peer_id);
    }
    free(s->e);
    free(s);
}

static const struct psk_entry *find(const struct m2m_psk_store *s, const char *identity)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].identity, identity) == 0)
            return &s->e[i];
    return NULL;
}

int m2m_psk_store_add(struct m2m_psk_store *s, const char *identity, const struct m2m_secret *key,
                      const char *peer_id, struct m2m_error *err)
{
    int rc = -1;
    struct psk_entry e = {0};
    struct psk_entry *grown;

    M2M_ENSURE_ARG(s != NULL && identity != NULL && key != NULL);
    M2M_ENSURE(identity[0] != '\0' && strlen(identity) <= M2M_KEYID_TEXT_MAX, M2M_E_INVALID_ARG,
               "PSK identity must have 1 to %d characters", M2M_KEYID_TEXT_MAX);
    M2M_ENSURE(m2m_secret_len(key) > 0 && m2m_secret_len(key) <= PSK_KEY_MAX, M2M_E_INVALID_ARG,
               "PSK for '%s' must have 1 to %d bytes", identity, PSK_KEY_MAX);
    M2M_ENSURE(find(s, identity) == NULL, M2M_E_INVALID_ARG, "PSK identity '%s' appears twice",
               identity);
    e.identity = strdup(identity);
    e.peer_id = peer_id != NULL ? strdup(peer_id) : NULL;
    M2M_ENSURE(e.identity != NULL && (peer_id == NULL || e.peer_id != NULL), M2M_E_NOMEM,
               "PSK entry");
    M2M_GUARD_PTR(e.key = m2m_secret_from(m2m_secret_cdata(key), m2m_secret_len(key), err));
    grown = realloc(s->e, (s->n + 1) * sizeof(*grown));
    M2M_ENSURE(grown != NULL, M2M_E_NOMEM, "PSK store");
    s->e = grown;
    s->e[s->n++] = e;
    memset(&e, 0, sizeof(e));
    rc = 0;
out:
    free(e.identity);
    free(e.peer_id);
    m2m_secret_free(e.key);
    return rc;
}

int m2m_psk_store_get(const struct m2m_psk_store *s, const char *identity, struct m2m_secret **key,
                      const char **peer_id, struct m2m_error *err)
{
    int rc = -1;
    const struct psk_entry *e;

    M2M_ENSURE_ARG(s != NULL && identity != NULL && key != NULL);
    *key = NULL;
    e = find(s, identity);
    M2M_ENSURE(e != NULL, M2M_E_TLS_PSK_UNKNOWN, "'%s' is not in the PSK store", identity);
    /* TS-0003 10.3: a derived key must not outlive its lifetime. */
    M2M_ENSURE(e->expires == 0 || e->expires > time(NULL), M2M_E_STORE_EXPIRED,
               "the key of '%s' has expired", identity);
    M2M_GUARD_PTR(*key = m2m_secret_from(m2m_secret_cdata(e->key), m2m_secret_len(e->key), err));
    if (peer_id != NULL)
        *peer_id = e->peer_id;
    rc = 0;
out:
    return rc;
}

/* Reads the whole file into a secret (it holds key material), refusing loose modes. */
static struct m2m_secret *read_private(const char *path, struct m2m_error *err)
{
    struct m2m_secret *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    int ok = 0;

    if (fd < 0 || fstat(fd, &st) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "%s", path);
        goto out;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        m2m_error_set(err, M2M_E_FILE_MODE, "%s is mode %03o; a PSK file must be 0600", path,
                      (unsigned)(st.st_mode & 0777));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PSK_FILE_MAX) {
        m2m_error_set(err, M2M_E_TOO_LARGE, "%s: not a regular file of 1 to %d bytes", path,
                      PSK_FILE_MAX);
        goto out;
    }
    if ((buf = m2m_secret_new((size_t)st.st_size, err)) == NULL)
        goto out;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, m2m_secret_data(buf) + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            m2m_error_set_errno(err, M2M_E_IO, "%s", path);
            goto out;
        }
        got += (size_t)r;
    }
    ok = 1;
out:
    if (fd >= 0)
        close(fd);
    if (!ok) {
        m2m_secret_free(buf);
        buf = NULL;
    }
    return buf;
}

/* RFC 3339 UTC, as the enrolment store writes it ("2026-11-23T10:55:11Z"). */
static int parse_expiry(const char *text, time_t *out)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    *out = timegm(&tm);
    return 0;
}

/* One "keys" member: "id" (the PSK identity), "key" (hex), optional "peer" and "expires";
 * the enrolment store's other members (type, keId, instructions, ...) are not needed here. */
static int add_json_entry(struct m2m_psk_store *s, json_t *it, size_t i, struct m2m_error *err)
{
    int rc = -1;
    struct m2m_secret *key = NULL;
    const char *identity = json_string_value(json_object_get(it, "id"));
    const char *hex = json_string_value(json_object_get(it, "key"));
    json_t *peer = json_object_get(it, "peer"), *expires = json_object_get(it, "expires");
    time_t exp = 0;

    M2M_ENSURE(json_is_object(it) && identity != NULL && hex != NULL, M2M_E_BAD_MESSAGE,
               "keys[%zu] needs string members \"id\" and \"key\"", i);
    M2M_ENSURE(peer == NULL || json_is_string(peer), M2M_E_BAD_MESSAGE,
               "keys[%zu].peer must be a string", i);
    M2M_ENSURE(expires == NULL ||
                   (json_is_string(expires) && parse_expiry(json_string_value(expires), &exp) == 0),
               M2M_E_BAD_MESSAGE, "keys[%zu].expires must be RFC 3339 UTC", i);
    M2M_GUARD_PTR(key = m2m_secret_from_hex(hex, err));
    M2M_GUARD(m2m_psk_store_add(s, identity, key, json_string_value(peer), err));
    s->e[s->n - 1].expires = exp;
    rc = 0;
out:
    m2m_secret_free(key);
    return rc;
}

struct m2m_psk_store *m2m_psk_store_load(const char *path, struct m2m_error *err)
{
    struct m2m_psk_store *s = NULL;
    struct m2m_secret *raw = NULL;
    json_t *root = NULL, *keys, *it;
    json_error_t je;
    size_t i;
    int rc = -1;

    M2M_ENSURE_ARG(path != NULL);
    M2M_GUARD_PTR(raw = read_private(path, err));
    root = json_loadb((const char *)m2m_secret_cdata(raw), m2m_secret_len(raw), 0, &je);
    M2M_ENSURE(root != NULL, M2M_E_BAD_MESSAGE, "%s:%d: %s", path, je.line, je.text);
    keys = json_object_get(root, "keys");
    M2M_ENSURE(json_is_integer(json_object_get(root, "version")) &&
                   json_integer_value(json_object_get(root, "version")) == 1,
               M2M_E_BAD_MESSAGE, "%s: \"version\": 1 is required", path);
    M2M_ENSURE(json_is_array(keys), M2M_E_BAD_MESSAGE, "%s: \"keys\" must be an array", path);
    M2M_GUARD_PTR(s = m2m_psk_store_new(err));
    json_array_foreach(keys, i, it) M2M_GUARD(add_json_entry(s, it, i, err));
    rc = 0;
out:
    /* jansson copied the hex key strings; wipe them before they return to the heap. */
    if (root != NULL) {
        json_array_foreach(json_object_get(root, "keys"), i, it)
        {
            json_t *k = json_object_get(it, "key");
            if (json_is_string(k))
                m2m_wipe((void *)json_string_value(k), json_string_length(k));
        }
        json_decref(root);
    }
    m2m_secret_free(raw);
    if (rc != 0) {
        m2m_psk_store_free(s);
        s = NULL;
    }
    return s;
}
