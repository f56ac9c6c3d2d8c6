/* The daemon's log: one line per event on stderr, text or JSON lines. Never key material. */
#ifndef M2MSECD_LOG_H
#define M2MSECD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Process-wide settings, set once at start (the daemon is the one place with globals). */
void log_setup(const char *role, enum log_level level, int json);
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
