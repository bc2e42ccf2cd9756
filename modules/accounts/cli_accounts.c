
/*
 * arthexis createuser, rfid, account, vehicle: the accounts app's operator
 * commands (what the seed's operators did in Django's admin).
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>

#include <ax_cli.h>
#include <ax_utf8.h>
#include "ax_accounts.h"


static int ax_cli_createuser_main(int argc, char **argv);
static int ax_cli_rfid_main(int argc, char **argv);
static int ax_cli_account_main(int argc, char **argv);
static int ax_cli_vehicle_main(int argc, char **argv);


const ax_cli_command_t  ax_cli_createuser = {
    "createuser",
    "create a user (and the user's energy account)",
    "USERNAME [--phone NUMBER] [--email ADDRESS] [--inactive]\n"
    "        [--database DSN]\n\n"
    "Creates the user with an empty energy account.  USERNAME: 1 to 150\n"
    "letters, digits and @.+-_.  Prints the new user's id.\n",
    ax_cli_createuser_main
};


const ax_cli_command_t  ax_cli_rfid = {
    "rfid",
    "add, block, unblock, import or export RFID tags",
    "add CODE [--user USERNAME] [--blacklisted] [--expires TIME]\n"
    "       arthexis rfid block CODE | unblock CODE\n"
    "       arthexis rfid import FILE       (FILE may be - for stdin)\n"
    "       arthexis rfid export [FILE]     (stdout by default)\n"
    "       (each takes --database DSN)\n\n"
    "CODE is 8 hexadecimal digits, stored upper-case.  A blocked\n"
    "(blacklisted) tag is detached from its user and refused everywhere.\n"
    "TIME is YYYY-MM-DDTHH:MM:SSZ (OCPP's expiryDate).\n\n"
    "CSV files have the header rfid,user,blacklisted: the code, the\n"
    "owner's username (empty: none) and true/false (also 1/0, yes/no,\n"
    "empty = false).  import creates or updates each tag in one\n"
    "transaction: a bad line stops it and nothing is written.\n",
    ax_cli_rfid_main
};


const ax_cli_command_t  ax_cli_account = {
    "account",
    "credit a user's energy account (top-up) or show it",
    "credit USERNAME KWH   add KWH (up to 2 decimals; negative to correct)\n"
    "       arthexis account show USERNAME\n"
    "       (each takes --database DSN)\n\n"
    "Prints the account afterwards: credits, spent and balance in kWh.\n"
    "A credit that would leave credits below zero is refused.\n",
    ax_cli_account_main
};


const ax_cli_command_t  ax_cli_vehicle = {
    "vehicle",
    "add a vehicle to a user's account",
    "add USERNAME VIN [--brand BRAND] [--model MODEL] [--database DSN]\n\n"
    "VIN: 17 characters, digits and letters except I, O and Q\n"
    "(stored upper-case, unique).\n",
    ax_cli_vehicle_main
};


/* helpers */

static int
ax_cli_db_failed(const char *cmd, ax_db_t *db, int rc)
{
    if (rc == AX_DB_CONSTRAINT) {
        fprintf(stderr, "arthexis %s: conflicts with an existing record "
                "(%s)\n", cmd, ax_db_errmsg(db));

    } else {
        fprintf(stderr, "arthexis %s: database error: %s\n", cmd,
                ax_db_errmsg(db));
    }

    if (ax_db_in_transaction(db)) {
        (void) ax_db_rollback(db);
    }

    ax_db_close(db);

    return 1;
}


/* the id of a user by name: > 0, 0 when unknown, -1 on error */
static long long
ax_cli_user_id(ax_db_t *db, const char *username, int *rc)
{
    long long       id;
    ax_db_res_t    *res;
    ax_db_param_t   params[1] = { ax_db_cstr(username) };

    if (!ax_username_valid(username, strlen(username))) {
        /* cannot exist (and may not even be UTF-8) */
        *rc = AX_DB_OK;
        return 0;
    }

    *rc = ax_db_query(db, "SELECT id FROM accounts_user WHERE username = $1",
                      params, 1, &res);
    if (*rc != AX_DB_OK) {
        return -1;
    }

    id = ax_db_res_rows(res) ? ax_db_res_int(res, 0, 0) : 0;
    ax_db_res_free(res);

    return id;
}


/* "12", "-3.5", "0.25" -> hundredths; -1 when invalid */
static int
ax_cli_decimal2(const char *s, long long *out)
{
    int        neg, dot, frac, digits;
    long long  n;

    neg = (*s == '-');
    if (*s == '-' || *s == '+') {
        s++;
    }

    n = 0;
    dot = 0;
    frac = 0;
    digits = 0;

    for ( /* void */ ; *s; s++) {
        if (*s == '.' && !dot) {
            dot = 1;
            continue;
        }

        if (*s < '0' || *s > '9' || (dot && ++frac > 2) || ++digits > 15) {
            return -1;
        }

        n = n * 10 + (*s - '0');
    }

    if (digits == 0) {
        return -1;
    }

    for ( /* void */ ; frac < 2; frac++) {
        n *= 10;
    }

    *out = neg ? -n : n;

    return 0;
}


static void
ax_cli_print_decimal2(FILE *f, long long v)
{
    if (v < 0) {
        fputc('-', f);
        v = -v;
    }

    fprintf(f, "%lld.%02lld", v / 100, v % 100);
}


/* arthexis createuser */

static int
ax_cli_createuser_main(int argc, char **argv)
{
    int             rc, inactive;
    char            now[32];
    char           *phone, *email, *username;
    ax_db_t        *db;
    long long       id;
    ax_db_res_t    *res;
    ax_db_param_t   params[5];

    phone = ax_cli_take_option(&argc, argv, "--phone");
    email = ax_cli_take_option(&argc, argv, "--email");
    inactive = ax_cli_take_flag(&argc, argv, "--inactive");

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (argc != 2) {
        fprintf(stderr, "usage: arthexis createuser %s",
                ax_cli_createuser.usage);
        ax_db_close(db);
        return 2;
    }

    username = argv[1];
    phone = phone ? phone : "";
    email = email ? email : "";

    if (!ax_username_valid(username, strlen(username))) {
        fprintf(stderr, "arthexis createuser: invalid username \"%s\": "
                "1 to 150 letters, digits and @.+-_\n", username);
        ax_db_close(db);
        return 1;
    }

    if (!ax_phone_valid(phone, strlen(phone))) {
        fprintf(stderr, "arthexis createuser: invalid phone number\n");
        ax_db_close(db);
        return 1;
    }

    if (!ax_email_valid(email, strlen(email))) {
        fprintf(stderr, "arthexis createuser: invalid e-mail address\n");
        ax_db_close(db);
        return 1;
    }

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("createuser", db, rc);
    }

    id = ax_cli_user_id(db, username, &rc);
    if (id < 0) {
        return ax_cli_db_failed("createuser", db, rc);
    }

    if (id > 0) {
        fprintf(stderr, "arthexis createuser: user \"%s\" already exists\n",
                username);
        (void) ax_db_rollback(db);
        ax_db_close(db);
        return 1;
    }

    ax_db_set_text(&params[0], strlen(username), username);
    ax_db_set_text(&params[1], strlen(phone), phone);
    ax_db_set_text(&params[2], strlen(email), email);
    ax_db_set_int(&params[3], inactive ? 0 : 1);
    ax_db_set_text(&params[4], 20, ax_accounts_now(now, sizeof(now)));

    rc = ax_db_query(db, "INSERT INTO accounts_user "
                         "(username, phone_number, email, is_active, "
                         "created_at) VALUES ($1, $2, $3, $4, $5) "
                         "RETURNING id", params, 5, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("createuser", db, rc);
    }

    id = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    ax_db_set_int(&params[0], id);

    rc = ax_db_query(db, "INSERT INTO accounts_account (user_id) "
                         "VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                     params, 1, NULL);
    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("createuser", db, rc);
    }

    ax_db_close(db);

    printf("created user %s (id %lld)\n", username, id);

    return 0;
}


/* arthexis rfid */

static int ax_cli_rfid_add(ax_db_t *db, int argc, char **argv,
    const char *user, int blacklisted, const char *expires);
static int ax_cli_rfid_block(ax_db_t *db, const char *code, int block);
static int ax_cli_rfid_import(ax_db_t *db, const char *path);
static int ax_cli_rfid_export(ax_db_t *db, const char *path);


static int
ax_cli_rfid_main(int argc, char **argv)
{
    int       blacklisted;
    char     *user, *expires;
    ax_db_t  *db;

    user = ax_cli_take_option(&argc, argv, "--user");
    expires = ax_cli_take_option(&argc, argv, "--expires");
    blacklisted = ax_cli_take_flag(&argc, argv, "--blacklisted");

    if (argc < 2) {
        fprintf(stderr, "usage: arthexis rfid %s", ax_cli_rfid.usage);
        return 2;
    }

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (strcmp(argv[1], "add") == 0 && argc == 3) {
        return ax_cli_rfid_add(db, argc, argv, user, blacklisted, expires);
    }

    if ((strcmp(argv[1], "block") == 0 || strcmp(argv[1], "unblock") == 0)
        && argc == 3)
    {
        return ax_cli_rfid_block(db, argv[2], argv[1][0] == 'b');
    }

    if (strcmp(argv[1], "import") == 0 && argc == 3) {
        return ax_cli_rfid_import(db, argv[2]);
    }

    if (strcmp(argv[1], "export") == 0 && argc <= 3) {
        return ax_cli_rfid_export(db, argc == 3 ? argv[2] : NULL);
    }

    fprintf(stderr, "usage: arthexis rfid %s", ax_cli_rfid.usage);
    ax_db_close(db);

    return 2;
}


static int
ax_time_valid(const char *s)
{
    int  i;

    /* YYYY-MM-DDTHH:MM:SSZ */
    static const char  shape[] = "dddd-dd-ddTdd:dd:ddZ";

    for (i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char) s[i])
                            : s[i] != shape[i])
        {
            return 0;
        }
    }

    return s[i] == '\0';
}


static int
ax_cli_rfid_add(ax_db_t *db, int argc, char **argv, const char *user,
    int blacklisted, const char *expires)
{
    int             rc;
    char            code[AX_RFID_LEN + 1], now[32];
    long long       user_id, id;
    ax_db_res_t    *res;
    ax_db_param_t   params[5];

    if (strlen(argv[2]) != AX_RFID_LEN) {
        goto invalid;
    }

    memcpy(code, argv[2], AX_RFID_LEN + 1);

    if (ax_rfid_normalize(code, AX_RFID_LEN) != 0) {
        goto invalid;
    }

    if (expires != NULL && !ax_time_valid(expires)) {
        fprintf(stderr, "arthexis rfid: --expires must be "
                "YYYY-MM-DDTHH:MM:SSZ\n");
        ax_db_close(db);
        return 1;
    }

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    user_id = 0;

    if (user != NULL && !blacklisted) {
        user_id = ax_cli_user_id(db, user, &rc);
        if (user_id < 0) {
            return ax_cli_db_failed("rfid", db, rc);
        }

        if (user_id == 0) {
            fprintf(stderr, "arthexis rfid: no user \"%s\"\n", user);
            (void) ax_db_rollback(db);
            ax_db_close(db);
            return 1;
        }
    }

    ax_db_set_text(&params[0], AX_RFID_LEN, code);

    rc = ax_db_query(db, "SELECT id FROM accounts_rfid WHERE code = $1",
                     params, 1, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    rc = ax_db_res_rows(res);
    ax_db_res_free(res);

    if (rc > 0) {
        fprintf(stderr, "arthexis rfid: %s already exists\n", code);
        (void) ax_db_rollback(db);
        ax_db_close(db);
        return 1;
    }

    if (user_id > 0) {
        ax_db_set_int(&params[1], user_id);

    } else {
        ax_db_set_null(&params[1]);
    }

    ax_db_set_int(&params[2], blacklisted);
    ax_db_set_text(&params[3], 20, ax_accounts_now(now, sizeof(now)));

    ax_db_set_cstr(&params[4], expires);

    rc = ax_db_query(db, "INSERT INTO accounts_rfid "
                         "(code, user_id, blacklisted, added_on, expires_at) "
                         "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                     params, 5, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    id = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    ax_db_close(db);

    printf("added RFID %s (id %lld)%s\n", code, id,
           blacklisted ? ", blacklisted" : "");

    return 0;

invalid:

    fprintf(stderr, "arthexis rfid: invalid code \"%s\": 8 hexadecimal "
            "digits required\n", argv[2]);
    ax_db_close(db);

    return 1;
}


static int
ax_cli_rfid_block(ax_db_t *db, const char *arg, int block)
{
    int             rc;
    char            code[AX_RFID_LEN + 1];
    ax_db_param_t   params[1];

    if (strlen(arg) != AX_RFID_LEN) {
        goto invalid;
    }

    memcpy(code, arg, AX_RFID_LEN + 1);

    if (ax_rfid_normalize(code, AX_RFID_LEN) != 0) {
        goto invalid;
    }

    ax_db_set_text(&params[0], AX_RFID_LEN, code);

    rc = ax_db_query(db, block
                         ? "UPDATE accounts_rfid SET blacklisted = 1, "
                           "user_id = NULL WHERE code = $1"
                         : "UPDATE accounts_rfid SET blacklisted = 0 "
                           "WHERE code = $1",
                     params, 1, NULL);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    if (ax_db_changes(db) == 0) {
        fprintf(stderr, "arthexis rfid: no RFID %s\n", code);
        ax_db_close(db);
        return 1;
    }

    ax_db_close(db);

    printf("%s RFID %s\n", block ? "blocked" : "unblocked", code);

    return 0;

invalid:

    fprintf(stderr, "arthexis rfid: invalid code \"%s\": 8 hexadecimal "
            "digits required\n", arg);
    ax_db_close(db);

    return 1;
}


/*
 * CSV (RFC 4180): fields separated by commas, optionally quoted with
 * doubled quotes inside; lines end with LF or CRLF.  Reads one record into
 * fields (up to max), each a malloc'd string.  Returns the number of
 * fields, 0 at the end of the input, -1 on a malformed record.
 */
static int
ax_cli_csv_record(FILE *f, char **fields, int max)
{
    int      c, n, quoted, done;
    char    *buf, *tmp;
    size_t   len, size;

    n = 0;
    done = 0;

    c = getc(f);
    if (c == EOF) {
        return 0;
    }

    while (!done) {
        size = 64;
        len = 0;
        buf = malloc(size);
        if (buf == NULL) {
            goto failed;
        }

        quoted = 0;

        if (c == '"') {
            quoted = 1;
            c = getc(f);
        }

        for ( ;; ) {
            if (c == EOF) {
                if (quoted) {
                    free(buf);
                    goto failed;
                }

                done = 1;
                break;
            }

            if (quoted && c == '"') {
                c = getc(f);

                if (c == '"') {
                    /* an escaped quote */

                } else {
                    quoted = 0;

                    if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
                        free(buf);
                        goto failed;
                    }

                    continue;
                }

            } else if (!quoted && c == ',') {
                c = getc(f);
                break;

            } else if (!quoted && (c == '\n' || c == '\r')) {
                if (c == '\r') {
                    c = getc(f);
                    if (c != '\n' && c != EOF) {
                        ungetc(c, f);
                    }
                }

                done = 1;
                break;

            } else if (c == '\0') {
                free(buf);
                goto failed;
            }

            if (len + 1 >= size) {
                if (size > 4096) {
                    free(buf);
                    goto failed;
                }

                size *= 2;
                tmp = realloc(buf, size);
                if (tmp == NULL) {
                    free(buf);
                    goto failed;
                }

                buf = tmp;
            }

            buf[len++] = (char) c;
            c = getc(f);
        }

        buf[len] = '\0';

        if (n == max) {
            free(buf);
            goto failed;
        }

        fields[n++] = buf;
    }

    return n;

failed:

    while (n > 0) {
        free(fields[--n]);
    }

    return -1;
}


static void
ax_cli_csv_free(char **fields, int n)
{
    while (n > 0) {
        free(fields[--n]);
    }
}


/* strips blanks at both ends, in place */
static char *
ax_cli_trim(char *s)
{
    size_t  len;

    while (*s == ' ' || *s == '\t') {
        s++;
    }

    len = strlen(s);

    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        s[--len] = '\0';
    }

    return s;
}


/* 1, 0, or -1 when not a boolean */
static int
ax_cli_bool(const char *s)
{
    if (*s == '\0' || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0
        || strcasecmp(s, "no") == 0 || strcasecmp(s, "f") == 0)
    {
        return 0;
    }

    if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0
        || strcasecmp(s, "yes") == 0 || strcasecmp(s, "t") == 0)
    {
        return 1;
    }

    return -1;
}


static int
ax_cli_rfid_import(ax_db_t *db, const char *path)
{
    int             n, rc, line, blacklisted, count;
    char           *fields[4], *code, *user, *b;
    FILE           *f;
    char            now[32];
    long long       user_id;
    ax_db_param_t   params[4];

    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "arthexis rfid: cannot open %s: %s\n", path,
                strerror(errno));
        ax_db_close(db);
        return 1;
    }

    n = ax_cli_csv_record(f, fields, 4);

    if (n > 0 && strncmp(fields[0], "\xef\xbb\xbf", 3) == 0) {
        /* the byte order mark spreadsheets write */
        memmove(fields[0], fields[0] + 3, strlen(fields[0] + 3) + 1);
    }

    if (n != 3 || strcasecmp(ax_cli_trim(fields[0]), "rfid") != 0
        || strcasecmp(ax_cli_trim(fields[1]), "user") != 0
        || strcasecmp(ax_cli_trim(fields[2]), "blacklisted") != 0)
    {
        if (n > 0) {
            ax_cli_csv_free(fields, n);
        }

        fprintf(stderr, "arthexis rfid: %s: the first line must be the "
                "header rfid,user,blacklisted\n", path);
        goto failed;
    }

    ax_cli_csv_free(fields, n);

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        goto db_failed;
    }

    (void) ax_accounts_now(now, sizeof(now));
    line = 1;
    count = 0;

    for ( ;; ) {
        line++;
        n = ax_cli_csv_record(f, fields, 4);

        if (n == 0) {
            break;
        }

        if (n == 1 && *ax_cli_trim(fields[0]) == '\0') {
            /* a blank line */
            ax_cli_csv_free(fields, n);
            continue;
        }

        if (n != 3) {
            if (n > 0) {
                ax_cli_csv_free(fields, n);
            }

            fprintf(stderr, "arthexis rfid: %s:%d: expected 3 fields "
                    "(rfid,user,blacklisted)\n", path, line);
            goto rollback;
        }

        code = ax_cli_trim(fields[0]);
        user = ax_cli_trim(fields[1]);
        b = ax_cli_trim(fields[2]);

        if (ax_rfid_normalize(code, strlen(code)) != 0) {
            fprintf(stderr, "arthexis rfid: %s:%d: invalid code \"%.32s\": "
                    "8 hexadecimal digits required\n", path, line, code);
            ax_cli_csv_free(fields, n);
            goto rollback;
        }

        blacklisted = ax_cli_bool(b);

        if (blacklisted < 0) {
            fprintf(stderr, "arthexis rfid: %s:%d: blacklisted must be "
                    "true or false, not \"%.32s\"\n", path, line, b);
            ax_cli_csv_free(fields, n);
            goto rollback;
        }

        user_id = 0;

        if (*user != '\0' && !blacklisted) {
            if (!ax_username_valid(user, strlen(user))) {
                fprintf(stderr, "arthexis rfid: %s:%d: invalid username\n",
                        path, line);
                ax_cli_csv_free(fields, n);
                goto rollback;
            }

            user_id = ax_cli_user_id(db, user, &rc);

            if (user_id < 0) {
                ax_cli_csv_free(fields, n);
                goto db_failed;
            }

            if (user_id == 0) {
                fprintf(stderr, "arthexis rfid: %s:%d: no user \"%.150s\"\n",
                        path, line, user);
                ax_cli_csv_free(fields, n);
                goto rollback;
            }
        }

        ax_db_set_text(&params[0], AX_RFID_LEN, code);

        if (user_id > 0) {
            ax_db_set_int(&params[1], user_id);

        } else {
            ax_db_set_null(&params[1]);
        }

        ax_db_set_int(&params[2], blacklisted);
        ax_db_set_text(&params[3], 20, now);

        rc = ax_db_query(db, "INSERT INTO accounts_rfid "
                             "(code, user_id, blacklisted, added_on) "
                             "VALUES ($1, $2, $3, $4) "
                             "ON CONFLICT (code) DO UPDATE SET "
                             "user_id = excluded.user_id, "
                             "blacklisted = excluded.blacklisted",
                         params, 4, NULL);

        ax_cli_csv_free(fields, n);

        if (rc != AX_DB_OK) {
            goto db_failed;
        }

        count++;
    }

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        goto db_failed;
    }

    if (f != stdin) {
        fclose(f);
    }

    ax_db_close(db);

    printf("imported %d RFID tag(s)\n", count);

    return 0;

db_failed:

    if (f != stdin) {
        fclose(f);
    }

    return ax_cli_db_failed("rfid", db, rc);

rollback:

    (void) ax_db_rollback(db);
    fprintf(stderr, "arthexis rfid: nothing imported\n");

failed:

    if (f != stdin) {
        fclose(f);
    }

    ax_db_close(db);

    return 1;
}


static void
ax_cli_csv_field(FILE *f, const char *s)
{
    const char  *p;

    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }

    fputc('"', f);

    for (p = s; *p; p++) {
        if (*p == '"') {
            fputc('"', f);
        }

        fputc(*p, f);
    }

    fputc('"', f);
}


static int
ax_cli_rfid_export(ax_db_t *db, const char *path)
{
    int           rc, row;
    FILE         *f;
    const char   *user;
    ax_db_res_t  *res;

    rc = ax_db_query(db, "SELECT r.code, u.username, r.blacklisted "
                         "FROM accounts_rfid r "
                         "LEFT JOIN accounts_user u ON u.id = r.user_id "
                         "ORDER BY r.code", NULL, 0, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("rfid", db, rc);
    }

    f = (path == NULL || strcmp(path, "-") == 0) ? stdout : fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "arthexis rfid: cannot write %s: %s\n", path,
                strerror(errno));
        ax_db_res_free(res);
        ax_db_close(db);
        return 1;
    }

    fputs("rfid,user,blacklisted\r\n", f);

    for (row = 0; row < ax_db_res_rows(res); row++) {
        ax_cli_csv_field(f, ax_db_res_value(res, row, 0, NULL));
        fputc(',', f);

        user = ax_db_res_value(res, row, 1, NULL);
        ax_cli_csv_field(f, user ? user : "");

        fputs(ax_db_res_int(res, row, 2) ? ",true\r\n" : ",false\r\n", f);
    }

    rc = ax_db_res_rows(res);
    ax_db_res_free(res);
    ax_db_close(db);

    if (f != stdout) {
        if (fclose(f) != 0) {
            fprintf(stderr, "arthexis rfid: cannot write %s: %s\n", path,
                    strerror(errno));
            return 1;
        }

        fprintf(stderr, "exported %d RFID tag(s) to %s\n", rc, path);

    } else if (fflush(stdout) != 0) {
        return 1;
    }

    return 0;
}


/* arthexis account */

static int
ax_cli_account_main(int argc, char **argv)
{
    int             rc, credit;
    ax_db_t        *db;
    long long       user_id, amount;
    ax_db_res_t    *res;
    ax_db_param_t   params[2];

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    credit = (argc == 4 && strcmp(argv[1], "credit") == 0);

    if (!credit && !(argc == 3 && strcmp(argv[1], "show") == 0)) {
        fprintf(stderr, "usage: arthexis account %s", ax_cli_account.usage);
        ax_db_close(db);
        return 2;
    }

    amount = 0;

    if (credit && ax_cli_decimal2(argv[3], &amount) != 0) {
        fprintf(stderr, "arthexis account: invalid amount \"%s\": a number "
                "of kWh with up to 2 decimals\n", argv[3]);
        ax_db_close(db);
        return 1;
    }

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("account", db, rc);
    }

    user_id = ax_cli_user_id(db, argv[2], &rc);
    if (user_id < 0) {
        return ax_cli_db_failed("account", db, rc);
    }

    if (user_id == 0) {
        fprintf(stderr, "arthexis account: no user \"%s\"\n", argv[2]);
        (void) ax_db_rollback(db);
        ax_db_close(db);
        return 1;
    }

    ax_db_set_int(&params[0], user_id);
    ax_db_set_int(&params[1], amount);

    rc = ax_db_query(db, "INSERT INTO accounts_account (user_id) "
                         "VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                     params, 1, NULL);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("account", db, rc);
    }

    if (credit) {
        rc = ax_db_query(db, "UPDATE accounts_account "
                             "SET credits_kwh = credits_kwh + $2 "
                             "WHERE user_id = $1 "
                             "AND credits_kwh + $2 >= 0",
                         params, 2, NULL);
        if (rc != AX_DB_OK) {
            return ax_cli_db_failed("account", db, rc);
        }

        if (ax_db_changes(db) == 0) {
            fprintf(stderr, "arthexis account: credits cannot go below "
                    "zero\n");
            (void) ax_db_rollback(db);
            ax_db_close(db);
            return 1;
        }
    }

    rc = ax_db_query(db, "SELECT credits_kwh, total_kwh_spent, "
                         "credits_kwh - total_kwh_spent "
                         "FROM accounts_account WHERE user_id = $1",
                     params, 1, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("account", db, rc);
    }

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        ax_db_res_free(res);
        return ax_cli_db_failed("account", db, rc);
    }

    printf("%s: credits ", argv[2]);
    ax_cli_print_decimal2(stdout, ax_db_res_int(res, 0, 0));
    printf(" kWh, spent ");
    ax_cli_print_decimal2(stdout, ax_db_res_int(res, 0, 1));
    printf(" kWh, balance ");
    ax_cli_print_decimal2(stdout, ax_db_res_int(res, 0, 2));
    printf(" kWh\n");

    ax_db_res_free(res);
    ax_db_close(db);

    return 0;
}


/* arthexis vehicle */

static int
ax_cli_vehicle_main(int argc, char **argv)
{
    int             rc;
    char            vin[AX_VIN_LEN + 1];
    char           *brand, *model;
    ax_db_t        *db;
    long long       user_id, account_id, id;
    ax_db_res_t    *res;
    ax_db_param_t   params[4];

    brand = ax_cli_take_option(&argc, argv, "--brand");
    model = ax_cli_take_option(&argc, argv, "--model");

    db = ax_cli_open_db(&argc, argv, 1);
    if (db == NULL) {
        return 1;
    }

    if (argc != 4 || strcmp(argv[1], "add") != 0) {
        fprintf(stderr, "usage: arthexis vehicle %s", ax_cli_vehicle.usage);
        ax_db_close(db);
        return 2;
    }

    brand = brand ? brand : "";
    model = model ? model : "";

    if (strlen(argv[3]) != AX_VIN_LEN
        || (memcpy(vin, argv[3], AX_VIN_LEN + 1),
            ax_vin_normalize(vin, AX_VIN_LEN) != 0))
    {
        fprintf(stderr, "arthexis vehicle: invalid VIN \"%s\": 17 digits "
                "and letters except I, O, Q\n", argv[3]);
        ax_db_close(db);
        return 1;
    }

    if (strlen(brand) > AX_VEHICLE_TEXT_MAX
        || strlen(model) > AX_VEHICLE_TEXT_MAX
        || !ax_utf8_valid((unsigned char *) brand, strlen(brand))
        || !ax_utf8_valid((unsigned char *) model, strlen(model)))
    {
        fprintf(stderr, "arthexis vehicle: brand and model take at most "
                "%d characters of UTF-8\n", AX_VEHICLE_TEXT_MAX);
        ax_db_close(db);
        return 1;
    }

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    user_id = ax_cli_user_id(db, argv[2], &rc);
    if (user_id < 0) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    if (user_id == 0) {
        fprintf(stderr, "arthexis vehicle: no user \"%s\"\n", argv[2]);
        (void) ax_db_rollback(db);
        ax_db_close(db);
        return 1;
    }

    ax_db_set_text(&params[0], AX_VIN_LEN, vin);

    rc = ax_db_query(db, "SELECT id FROM accounts_vehicle WHERE vin = $1",
                     params, 1, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    rc = ax_db_res_rows(res);
    ax_db_res_free(res);

    if (rc > 0) {
        fprintf(stderr, "arthexis vehicle: VIN %s already exists\n", vin);
        (void) ax_db_rollback(db);
        ax_db_close(db);
        return 1;
    }

    ax_db_set_int(&params[0], user_id);

    rc = ax_db_query(db, "INSERT INTO accounts_account (user_id) "
                         "VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                     params, 1, NULL);
    if (rc == AX_DB_OK) {
        rc = ax_db_query(db, "SELECT id FROM accounts_account "
                             "WHERE user_id = $1", params, 1, &res);
    }

    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    account_id = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    ax_db_set_int(&params[0], account_id);
    ax_db_set_text(&params[1], strlen(brand), brand);
    ax_db_set_text(&params[2], strlen(model), model);
    ax_db_set_text(&params[3], AX_VIN_LEN, vin);

    rc = ax_db_query(db, "INSERT INTO accounts_vehicle "
                         "(account_id, brand, model, vin) "
                         "VALUES ($1, $2, $3, $4) RETURNING id",
                     params, 4, &res);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    id = ax_db_res_int(res, 0, 0);
    ax_db_res_free(res);

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        return ax_cli_db_failed("vehicle", db, rc);
    }

    ax_db_close(db);

    printf("added vehicle %s to %s (id %lld)\n", vin, argv[2], id);

    return 0;
}
