/* Atomic, durable replacement of a private file (m2msec/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <m2msec/file.h>

#include "core/safety.h"

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The rename is durable only once the directory entry is. */
static int sync_parent(const char *path)
{
    char dir[4096];
    char *slash;
    int fd, rc;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -1;
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int m2m_file_replace_private(const char *path, const void *data, size_t len, struct m2m_error *err)
{
    char tmp[4096 + 16];
    int fd = -1, rc = -1;

    M2M_ENSURE_ARG(path != NULL && path[0] != '\0' && (data != NULL || len == 0));
    M2M_ENSURE(snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) < (int)sizeof(tmp), M2M_E_INVALID_ARG,
               "path too long");
    fd = mkstemp(tmp); /* created 0600 */
    if (fd < 0)
        return m2m_error_set_errno(err, M2M_E_IO, "cannot create a file beside %s", path);
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "writing %s", tmp);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        m2m_error_set_errno(err, M2M_E_IO, "writing %s", tmp);
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        m2m_error_set_errno(err, M2M_E_IO, "replacing %s", path);
        goto fail;
    }
    M2M_ENSURE(sync_parent(path) == 0, M2M_E_IO, "syncing the directory of %s", path);
    rc = 0;
out:
    return rc;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}
