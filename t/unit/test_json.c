
/*
 * Unit tests of shared/ax_json.c and shared/ax_dsn.c.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ax_json.h>
#include <ax_dsn.h>


static json_t *
parse(const char *ctype, const char *body, int *status, const char **detail)
{
    *status = 0;
    *detail = NULL;

    return ax_json_parse_body(ctype, ctype ? strlen(ctype) : 0,
                              (const unsigned char *) body, strlen(body),
                              status, detail);
}


static void
test_json_object(void **state)
{
    int          status;
    json_t      *v;
    const char  *detail;

    v = parse("application/json", "{\"rfid\":\"ABCD1234\"}", &status,
              &detail);
    assert_non_null(v);
    assert_string_equal(ax_json_get_str(v, "rfid", NULL), "ABCD1234");
    json_decref(v);

    v = parse("application/json; charset=utf-8", "{\"a\":1}", &status,
              &detail);
    assert_non_null(v);
    json_decref(v);

    v = parse("application/vnd.api+json", "{}", &status, &detail);
    assert_non_null(v);
    json_decref(v);

    /* no Content-Type at all: JSON, as the seed read request.body */
    v = parse(NULL, "{\"a\":1}", &status, &detail);
    assert_non_null(v);
    json_decref(v);
}


static void
test_json_errors(void **state)
{
    int          status;
    const char  *detail;

    assert_null(parse("application/json", "{\"a\":", &status, &detail));
    assert_int_equal(status, 400);
    assert_string_equal(detail, "malformed JSON");

    assert_null(parse("application/json", "[1,2]", &status, &detail));
    assert_int_equal(status, 400);
    assert_string_equal(detail, "a JSON object is required");

    assert_null(parse("application/json", "{\"a\":1,\"a\":2}", &status,
                      &detail));
    assert_int_equal(status, 400);

    assert_null(parse("text/xml", "<a/>", &status, &detail));
    assert_int_equal(status, 415);

    /* invalid UTF-8 inside a JSON string */
    assert_null(parse("application/json", "{\"a\":\"\xff\"}", &status,
                      &detail));
    assert_int_equal(status, 400);
}


static void
test_json_empty_body(void **state)
{
    int          status;
    json_t      *v;
    const char  *detail;

    v = parse("application/json", "", &status, &detail);
    assert_non_null(v);
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
}


static void
test_form(void **state)
{
    int          status;
    json_t      *v;
    long long    n;
    const char  *detail;

    v = parse("application/x-www-form-urlencoded",
              "rfid=ab%20cd+ef&user_id=12&empty=&flag", &status, &detail);
    assert_non_null(v);
    assert_string_equal(ax_json_get_str(v, "rfid", NULL), "ab cd ef");
    assert_int_equal(ax_json_get_int(v, "user_id", &n), 0);
    assert_int_equal(n, 12);
    assert_null(ax_json_get_str(v, "empty", NULL));
    assert_non_null(json_object_get(v, "flag"));
    json_decref(v);

    /* a JSON body sent with the form type is still JSON (the seed) */
    v = parse("application/x-www-form-urlencoded", "{\"rfid\":\"x\"}",
              &status, &detail);
    assert_non_null(v);
    assert_string_equal(ax_json_get_str(v, "rfid", NULL), "x");
    json_decref(v);

    assert_null(parse("application/x-www-form-urlencoded", "a=%zz", &status,
                      &detail));
    assert_int_equal(status, 400);

    assert_null(parse("application/x-www-form-urlencoded", "a=%00", &status,
                      &detail));
    assert_int_equal(status, 400);

    assert_null(parse("application/x-www-form-urlencoded", "a=%ff", &status,
                      &detail));
    assert_int_equal(status, 400);

    assert_null(parse("application/x-www-form-urlencoded", "a=%4", &status,
                      &detail));

    /* a key without "=" at the very end (found by t/fuzz/fuzz_json.c) */
    v = parse("application/x-www-form-urlencoded", "u", &status, &detail);
    assert_non_null(v);
    assert_non_null(json_object_get(v, "u"));
    json_decref(v);
}


static void
test_get_int(void **state)
{
    json_t     *v;
    long long   n;

    v = json_pack("{s:i, s:s, s:s, s:s, s:f, s:s, s:s}", "a", 5, "b", "42",
                  "c", "4x", "d", "", "e", 1.5, "f", "-7",
                  "g", "99999999999999999999");

    assert_int_equal(ax_json_get_int(v, "a", &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(ax_json_get_int(v, "b", &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(ax_json_get_int(v, "c", &n), -1);
    assert_int_equal(ax_json_get_int(v, "d", &n), -1);
    assert_int_equal(ax_json_get_int(v, "e", &n), -1);
    assert_int_equal(ax_json_get_int(v, "f", &n), 0);
    assert_int_equal(n, -7);
    assert_int_equal(ax_json_get_int(v, "g", &n), -1);
    assert_int_equal(ax_json_get_int(v, "missing", &n), -1);

    json_decref(v);
}


static void
test_detail(void **state)
{
    char    *s;
    size_t   len;

    s = ax_json_detail("invalid \"RFID\"", &len);
    assert_string_equal(s, "{\"detail\":\"invalid \\\"RFID\\\"\"}");
    assert_int_equal(len, strlen(s));
    free(s);
}


static void
test_dsn(void **state)
{
    char  *dsn;
    char   err[128];

    unsetenv("POSTGRES_DB");

    dsn = ax_dsn_resolve(NULL, "/srv/nginx/", err, sizeof(err));
    assert_string_equal(dsn, "sqlite:/srv/nginx/arthexis.sqlite3");
    free(dsn);

    dsn = ax_dsn_resolve("sqlite:db/a.sqlite3", "/p/", err, sizeof(err));
    assert_string_equal(dsn, "sqlite:/p/db/a.sqlite3");
    free(dsn);

    dsn = ax_dsn_resolve("sqlite:/abs.db", "/p/", err, sizeof(err));
    assert_string_equal(dsn, "sqlite:/abs.db");
    free(dsn);

    dsn = ax_dsn_resolve("postgresql://u:p@h/db", "/p/", err, sizeof(err));
    assert_string_equal(dsn, "postgresql://u:p@h/db");
    free(dsn);

    assert_null(ax_dsn_resolve("mysql://x", "/p/", err, sizeof(err)));
    assert_null(ax_dsn_resolve("sqlite:", "/p/", err, sizeof(err)));

    setenv("POSTGRES_DB", "arthexis", 1);
    setenv("POSTGRES_USER", "ax", 1);
    setenv("POSTGRES_PASSWORD", "it's \\ secret", 1);
    setenv("POSTGRES_HOST", "db.example", 1);
    setenv("POSTGRES_PORT", "5433", 1);

    dsn = ax_dsn_resolve(NULL, "/p/", err, sizeof(err));
    assert_string_equal(dsn, "dbname='arthexis' user='ax' "
                        "password='it\\'s \\\\ secret' host='db.example' "
                        "port='5433'");
    free(dsn);

    /* the directive wins over the environment */
    dsn = ax_dsn_resolve("sqlite:x.db", "/p/", err, sizeof(err));
    assert_string_equal(dsn, "sqlite:/p/x.db");
    free(dsn);

    unsetenv("POSTGRES_DB");
}


static void
test_dsn_redact(void **state)
{
    char  *s;

    s = ax_dsn_redact("postgresql://ax:secret@db/arthexis");
    assert_string_equal(s, "postgresql://ax:***@db/arthexis");
    free(s);

    s = ax_dsn_redact("dbname='a' password='x\\' y' host=h");
    assert_string_equal(s, "dbname='a' password=*** host=h");
    free(s);

    s = ax_dsn_redact("password=a password=b");
    assert_string_equal(s, "password=*** password=***");
    free(s);

    s = ax_dsn_redact("sqlite:/var/a.db");
    assert_string_equal(s, "sqlite:/var/a.db");
    free(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_json_object),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_json_empty_body),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_get_int),
        cmocka_unit_test(test_detail),
        cmocka_unit_test(test_dsn),
        cmocka_unit_test(test_dsn_redact),
    };

    return cmocka_run_group_tests_name("json and dsn", tests, NULL, NULL);
}
