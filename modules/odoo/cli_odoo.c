
/*
 * arthexis odoo: Odoo instances without SQL (the seed's admin).
 *
 *   arthexis odoo add --name NAME --url URL --db DATABASE --username USER
 *                     [--password PASSWORD | --password-stdin]
 *   arthexis odoo list [--json]
 *   arthexis odoo remove ID
 *
 * Passwords are written, never shown: list says whether one is set.
 */

#include <stdlib.h>
#include <string.h>

#include <ax_cli.h>
#include <ax_utf8.h>
#include <ax_xmlrpc.h>
#include <jansson.h>

#include "ax_odoo.h"


static int ax_cli_odoo_main(int argc, char **argv);
static int ax_cli_odoo_add(ax_db_t *db, int argc, char **argv);
static int ax_cli_odoo_list(ax_db_t *db, int json);
static int ax_cli_odoo_remove(ax_db_t *db, const char *id);
static const char *ax_cli_odoo_check(const char *value, size_t max,
    int required);
static char *ax_cli_odoo_read_password(void);


const ax_cli_command_t  ax_cli_odoo = {
    "odoo",
    "add, list and remove Odoo instances",
    "add --name NAME --url URL --db DATABASE --username USER\n"
    "                         [--password PASSWORD | --password-stdin]\n"
    "       arthexis odoo list [--json]\n"
    "       arthexis odoo remove ID\n\n"
    "An instance is an Odoo server that /odoo/test/<id>/ checks: its\n"
    "base URL (http:// or https://, without credentials; XML-RPC is\n"
    "called at <url>/xmlrpc/2/common), the Odoo database, and the user\n"
    "name and password to authenticate with.  The password can come from\n"
    "--password (visible to other users in the process list),\n"
    "--password-stdin (the first line of the standard input), or the\n"
    "ARTHEXIS_ODOO_PASSWORD environment variable; without any, the\n"
    "instance has no password.  list never shows passwords: its\n"
    "has_password column says whether one is set.\n"
    "Every form takes --database DSN (the arthexis database).\n",
    ax_cli_odoo_main
};


static int
ax_cli_odoo_main(int argc, char **argv)
{
    int       rc, json;
    ax_db_t  *db;

    json = ax_cli_take_flag(&argc, argv, "--json");

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (argc >= 2 && strcmp(argv[1], "add") == 0) {
        rc = ax_cli_odoo_add(db, argc - 1, argv + 1);

    } else if (argc == 2 && strcmp(argv[1], "list") == 0) {
        rc = ax_cli_odoo_list(db, json);

    } else if (argc == 3 && strcmp(argv[1], "remove") == 0) {
        rc = ax_cli_odoo_remove(db, argv[2]);

    } else {
        fprintf(stderr, "usage: arthexis odoo %s", ax_cli_odoo.usage);
        rc = 2;
    }

    ax_db_close(db);

    return rc;
}


/* NULL when fine, else what is wrong */

static const char *
ax_cli_odoo_check(const char *value, size_t max, int required)
{
    size_t        n, len;
    const char   *p;

    if (value == NULL || value[0] == '\0') {
        return required ? "is required" : NULL;
    }

    len = strlen(value);

    if (!ax_utf8_valid((const unsigned char *) value, len)) {
        return "is not valid UTF-8";
    }

    n = 0;

    for (p = value; *p; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            return "must not contain control characters";
        }

        /* characters, not bytes */
        if (((unsigned char) *p & 0xc0) != 0x80) {
            n++;
        }
    }

    if (n > max) {
        return "is too long";
    }

    return NULL;
}


static char *
ax_cli_odoo_read_password(void)
{
    char    *line;
    size_t   size, len;
    ssize_t  n;

    line = NULL;
    size = 0;

    n = getline(&line, &size, stdin);

    if (n < 0) {
        free(line);
        return NULL;
    }

    len = (size_t) n;

    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        line[--len] = '\0';
    }

    return line;
}


static int
ax_cli_odoo_add(ax_db_t *db, int argc, char **argv)
{
    int            rc, from_stdin;
    char          *name, *url, *database, *username, *password, *line;
    char           err[160];
    size_t         i;
    ax_db_res_t   *res;
    const char    *problem;
    ax_db_param_t  p[5];

    struct {
        const char  *option;
        char        *value;
        size_t       max;
        int          required;
    } fields[5];

    from_stdin = ax_cli_take_flag(&argc, argv, "--password-stdin");

    name = ax_cli_take_option(&argc, argv, "--name");
    url = ax_cli_take_option(&argc, argv, "--url");
    database = ax_cli_take_option(&argc, argv, "--db");
    username = ax_cli_take_option(&argc, argv, "--username");
    password = ax_cli_take_option(&argc, argv, "--password");

    if (argc > 1) {
        fprintf(stderr, "arthexis odoo add: unexpected \"%s\"\n", argv[1]);
        return 2;
    }

    line = NULL;

    if (password == NULL && from_stdin) {
        line = ax_cli_odoo_read_password();

        if (line == NULL) {
            fprintf(stderr, "arthexis odoo add: no password on the standard "
                    "input\n");
            return 2;
        }

        password = line;

    } else if (password == NULL) {
        password = getenv("ARTHEXIS_ODOO_PASSWORD");
    }

    fields[0].option = "--name";
    fields[0].value = name;
    fields[0].max = AX_ODOO_NAME_MAX;
    fields[0].required = 1;
    fields[1].option = "--url";
    fields[1].value = url;
    fields[1].max = AX_ODOO_URL_MAX;
    fields[1].required = 1;
    fields[2].option = "--db";
    fields[2].value = database;
    fields[2].max = AX_ODOO_DATABASE_MAX;
    fields[2].required = 1;
    fields[3].option = "--username";
    fields[3].value = username;
    fields[3].max = AX_ODOO_USERNAME_MAX;
    fields[3].required = 1;
    fields[4].option = "--password";
    fields[4].value = password;
    fields[4].max = AX_ODOO_PASSWORD_MAX;
    fields[4].required = 0;

    for (i = 0; i < 5; i++) {
        problem = ax_cli_odoo_check(fields[i].value, fields[i].max,
                                    fields[i].required);

        if (problem != NULL) {
            /* never echo the value: it may be the password */
            fprintf(stderr, "arthexis odoo add: %s %s\n", fields[i].option,
                    problem);
            free(line);
            return 2;
        }
    }

    if (ax_xmlrpc_check_url(url, err, sizeof(err)) != 0) {
        fprintf(stderr, "arthexis odoo add: --url: %s\n", err);
        free(line);
        return 2;
    }

    ax_db_set_text(&p[0], strlen(name), name);
    ax_db_set_text(&p[1], strlen(url), url);
    ax_db_set_text(&p[2], strlen(database), database);
    ax_db_set_text(&p[3], strlen(username), username);

    if (password != NULL) {
        ax_db_set_text(&p[4], strlen(password), password);

    } else {
        ax_db_set_text(&p[4], 0, "");
    }

    rc = ax_db_query(db, "INSERT INTO odoo_instances "
                         "(name, url, database, username, password) "
                         "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                     p, 5, &res);

    free(line);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis odoo add: %s\n", ax_db_errmsg(db));
        return 1;
    }

    printf("added odoo instance %s\n", ax_db_res_value(res, 0, 0, NULL));
    ax_db_res_free(res);

    return 0;
}


static int
ax_cli_odoo_list(ax_db_t *db, int json)
{
    int            rc, row;
    char          *s;
    json_t        *list, *item;
    ax_db_res_t   *res;

    /* the password itself is never selected */

    rc = ax_db_query(db, "SELECT id, name, url, database, username, "
                         "CASE WHEN password = '' THEN 0 ELSE 1 END "
                         "FROM odoo_instances ORDER BY id", NULL, 0, &res);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis odoo list: %s\n", ax_db_errmsg(db));
        return 1;
    }

    if (json) {
        list = json_array();

        for (row = 0; list != NULL && row < ax_db_res_rows(res); row++) {
            item = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}",
                             "id", (json_int_t) ax_db_res_int(res, row, 0),
                             "name", ax_db_res_value(res, row, 1, NULL),
                             "url", ax_db_res_value(res, row, 2, NULL),
                             "database", ax_db_res_value(res, row, 3, NULL),
                             "username", ax_db_res_value(res, row, 4, NULL),
                             "has_password",
                             (int) ax_db_res_int(res, row, 5));

            if (item == NULL || json_array_append_new(list, item) != 0) {
                json_decref(list);
                list = NULL;
            }
        }

        s = list ? json_dumps(list, JSON_COMPACT) : NULL;
        json_decref(list);
        ax_db_res_free(res);

        if (s == NULL) {
            fprintf(stderr, "arthexis odoo list: out of memory\n");
            return 1;
        }

        printf("%s\n", s);
        free(s);

        return 0;
    }

    printf("id\tname\turl\tdatabase\tusername\thas_password\n");

    for (row = 0; row < ax_db_res_rows(res); row++) {
        printf("%s\t%s\t%s\t%s\t%s\t%s\n",
               ax_db_res_value(res, row, 0, NULL),
               ax_db_res_value(res, row, 1, NULL),
               ax_db_res_value(res, row, 2, NULL),
               ax_db_res_value(res, row, 3, NULL),
               ax_db_res_value(res, row, 4, NULL),
               ax_db_res_int(res, row, 5) ? "yes" : "no");
    }

    ax_db_res_free(res);

    return 0;
}


static int
ax_cli_odoo_remove(ax_db_t *db, const char *id)
{
    int            rc;
    char          *end;
    long long      n;
    ax_db_param_t  p[1];

    n = strtoll(id, &end, 10);

    if (id[0] < '0' || id[0] > '9' || *end != '\0' || n <= 0) {
        fprintf(stderr, "arthexis odoo remove: \"%s\" is not an id\n", id);
        return 2;
    }

    ax_db_set_int(&p[0], n);

    rc = ax_db_query(db, "DELETE FROM odoo_instances WHERE id = $1", p, 1,
                     NULL);

    if (rc != AX_DB_OK) {
        fprintf(stderr, "arthexis odoo remove: %s\n", ax_db_errmsg(db));
        return 1;
    }

    if (ax_db_changes(db) == 0) {
        fprintf(stderr, "arthexis odoo remove: no instance %lld\n", n);
        return 1;
    }

    printf("removed odoo instance %lld\n", n);

    return 0;
}
