
/*
 * Which database to use.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax_dsn.h"


static int ax_dsn_append(char **buf, size_t *len, size_t *size,
    const char *s, size_t n);
static int ax_dsn_append_kv(char **buf, size_t *len, size_t *size,
    const char *key, const char *value);
static char *ax_dsn_from_env(char *err, size_t errlen);


static int
ax_dsn_append(char **buf, size_t *len, size_t *size, const char *s, size_t n)
{
    char  *p;

    if (*len + n + 1 > *size) {
        *size = (*len + n + 1) * 2;
        p = realloc(*buf, *size);
        if (p == NULL) {
            return -1;
        }
        *buf = p;
    }

    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';

    return 0;
}


/* key='value' with ' and \ escaped, as libpq's conninfo syntax wants */

static int
ax_dsn_append_kv(char **buf, size_t *len, size_t *size, const char *key,
    const char *value)
{
    if (value == NULL || *value == '\0') {
        return 0;
    }

    if ((*len && ax_dsn_append(buf, len, size, " ", 1) != 0)
        || ax_dsn_append(buf, len, size, key, strlen(key)) != 0
        || ax_dsn_append(buf, len, size, "='", 2) != 0)
    {
        return -1;
    }

    for ( /* void */ ; *value; value++) {
        if ((*value == '\'' || *value == '\\')
            && ax_dsn_append(buf, len, size, "\\", 1) != 0)
        {
            return -1;
        }

        if (ax_dsn_append(buf, len, size, value, 1) != 0) {
            return -1;
        }
    }

    return ax_dsn_append(buf, len, size, "'", 1);
}


static char *
ax_dsn_from_env(char *err, size_t errlen)
{
    char    *buf;
    size_t   len, size;

    buf = NULL;
    len = 0;
    size = 0;

    if (ax_dsn_append_kv(&buf, &len, &size, "dbname", getenv("POSTGRES_DB"))
        || ax_dsn_append_kv(&buf, &len, &size, "user",
                            getenv("POSTGRES_USER"))
        || ax_dsn_append_kv(&buf, &len, &size, "password",
                            getenv("POSTGRES_PASSWORD"))
        || ax_dsn_append_kv(&buf, &len, &size, "host",
                            getenv("POSTGRES_HOST"))
        || ax_dsn_append_kv(&buf, &len, &size, "port",
                            getenv("POSTGRES_PORT")))
    {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    return buf;
}


char *
ax_dsn_resolve(const char *value, const char *prefix, char *err,
    size_t errlen)
{
    char        *dsn;
    size_t       n;
    const char  *path, *db;

    if (value == NULL || *value == '\0') {
        db = getenv("POSTGRES_DB");

        if (db != NULL && *db != '\0') {
            return ax_dsn_from_env(err, errlen);
        }

        value = "sqlite:" AX_DSN_SQLITE_FILE;
    }

    if (strncmp(value, "sqlite:", 7) == 0) {
        path = value + 7;

        if (strncmp(path, "//", 2) == 0) {
            path += 2;
        }

        if (*path == '\0') {
            snprintf(err, errlen, "no path after \"sqlite:\"");
            return NULL;
        }

        if (*path == '/') {
            prefix = "";
        }

        n = 7 + strlen(prefix) + strlen(path) + 1;
        dsn = malloc(n);

        if (dsn == NULL) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }

        snprintf(dsn, n, "sqlite:%s%s", prefix, path);
        return dsn;
    }

    if (strncmp(value, "postgresql://", 13) == 0
        || strncmp(value, "postgres://", 11) == 0
        || strchr(value, '=') != NULL)
    {
        dsn = strdup(value);

        if (dsn == NULL) {
            snprintf(err, errlen, "out of memory");
        }

        return dsn;
    }

    snprintf(err, errlen, "expected \"sqlite:PATH\", a postgresql:// URI "
             "or a key=value connection string");
    return NULL;
}


char *
ax_dsn_redact(const char *dsn)
{
    char        *out, *d;
    const char  *p, *at, *colon, *scheme;

    out = malloc(strlen(dsn) * 2 + 16);
    if (out == NULL) {
        return NULL;
    }

    scheme = strstr(dsn, "://");

    if (scheme != NULL && strncmp(dsn, "sqlite", 6) != 0) {
        /* postgresql://user:secret@host/db -> postgresql://user:***@... */
        at = strchr(scheme + 3, '@');
        colon = memchr(scheme + 3, ':', at ? (size_t) (at - scheme - 3) : 0);

        if (at != NULL && colon != NULL) {
            d = out;
            memcpy(d, dsn, colon + 1 - dsn);
            d += colon + 1 - dsn;
            memcpy(d, "***", 3);
            strcpy(d + 3, at);
            return out;
        }

        strcpy(out, dsn);
        return out;
    }

    /* key=value form: blank out password='...' or password=... */

    d = out;

    for (p = dsn; *p; /* void */) {
        if (strncmp(p, "password=", 9) == 0
            && (p == dsn || p[-1] == ' '))
        {
            memcpy(d, "password=***", 12);
            d += 12;
            p += 9;

            if (*p == '\'') {
                for (p++; *p && *p != '\''; p++) {
                    if (*p == '\\' && p[1]) {
                        p++;
                    }
                }

                if (*p) {
                    p++;
                }

            } else {
                while (*p && *p != ' ') {
                    p++;
                }
            }

            continue;
        }

        *d++ = *p++;
    }

    *d = '\0';
    return out;
}
