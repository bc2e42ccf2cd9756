
/*
 * Which database to use: the arthexis_database directive (or the CLI's
 * --database option), else the seed's environment variables.
 */

#ifndef _AX_DSN_H_INCLUDED_
#define _AX_DSN_H_INCLUDED_


#include <stddef.h>


#define AX_DSN_SQLITE_FILE  "arthexis.sqlite3"


/*
 * value: "sqlite:PATH" (PATH relative to prefix unless absolute), a
 * PostgreSQL URI (postgresql://, postgres://) or a libpq key=value string;
 * NULL or "" to use the environment: POSTGRES_DB (with POSTGRES_USER,
 * POSTGRES_PASSWORD, POSTGRES_HOST, POSTGRES_PORT) selects PostgreSQL, else
 * SQLite at PREFIX/arthexis.sqlite3.  prefix ends with '/' or is "".
 *
 * Returns a malloc'd DSN for ax_db_open(), or NULL with a message in err.
 */
char *ax_dsn_resolve(const char *value, const char *prefix, char *err,
    size_t errlen);

/* The DSN without its password, for logs and --list output; malloc'd. */
char *ax_dsn_redact(const char *dsn);


#endif /* _AX_DSN_H_INCLUDED_ */
