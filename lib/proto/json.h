/* Bounded, typed access to JSON members for the message codecs. */
#ifndef M2M_PROTO_JSON_H
#define M2M_PROTO_JSON_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include <m2msec/proto.h>

/* One JSON object of at most M2M_MAX_BODY bytes, duplicate keys rejected. */
json_t *proto_parse(const char *body, size_t len, struct m2m_error *err);
/* Compact serialisation; takes ownership of (and releases) obj. NULL on failure. */
char *proto_dump(json_t *obj, struct m2m_error *err);

/* Each getter fails with M2M_E_BAD_MESSAGE naming the member when it is missing (if
 * required), of the wrong type, or out of bounds; an absent optional member leaves out as is. */
int proto_get_bool(json_t *obj, const char *key, bool required, bool *out, struct m2m_error *err);
int proto_get_str(json_t *obj, const char *key, bool required, char *out, size_t outsz,
                  struct m2m_error *err);
int proto_get_uint(json_t *obj, const char *key, bool required, unsigned long max,
                   unsigned long *out, struct m2m_error *err);
int proto_get_time(json_t *obj, const char *key, bool required, time_t *out, struct m2m_error *err);
int proto_get_b64(json_t *obj, const char *key, bool required, unsigned char *out, size_t cap,
                  size_t *outlen, struct m2m_error *err);

/* Adds a member; obj keeps going on failure (the caller checks once at proto_dump). */
int proto_set_time(json_t *obj, const char *key, time_t t);
int proto_set_b64(json_t *obj, const char *key, const unsigned char *data, size_t len);

#endif
