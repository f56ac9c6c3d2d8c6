/* m2m_file_replace_private: the new content in full, mode 0600, nothing left beside it, and
 * on failure no change. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <m2msec/file.h>

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void read_back(const char *path, char *buf, size_t sz)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sz - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_replace(void **state)
{
    char dir[] = "/tmp/m2m-file-XXXXXX", path[64], buf[64], cmd[96];
    struct m2m_error err;
    struct stat st;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/secret.json", dir);
    /* An existing file readable by others: replaced by a private one. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(m2m_file_replace_private(path, "new content", 11, &err), 0);
    read_back(path, buf, sizeof(buf));
    assert_string_equal(buf, "new content");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(dir), 1);
    /* Empty content is content too. */
    assert_int_equal(m2m_file_replace_private(path, "", 0, &err), 0);
    read_back(path, buf, sizeof(buf));
    assert_string_equal(buf, "");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_refused(void **state)
{
    char longpath[5000];
    struct m2m_error err;

    (void)state;
    assert_int_not_equal(m2m_file_replace_private("/nonexistent-m2m-dir/secret.json", "x", 1, &err),
                         0);
    assert_int_equal(err.code, M2M_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-m2m-dir/secret.json"));
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_not_equal(m2m_file_replace_private(longpath, "x", 1, &err), 0);
    assert_int_equal(err.code, M2M_E_INVALID_ARG);
    assert_int_not_equal(m2m_file_replace_private("", "x", 1, &err), 0);
    assert_int_not_equal(m2m_file_replace_private(NULL, "x", 1, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
