
/*
 * Unit tests of shared/ax_xmlrpc.c: calls, answers, URLs.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ax_xmlrpc.h>


#define RESPONSE(v)                                                          \
    "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"           \
    v "\n</param>\n</params>\n</methodResponse>\n"


static int
parse(const char *doc, json_t **v, char *err, size_t errlen)
{
    err[0] = '\0';
    return ax_xmlrpc_parse_response(doc, strlen(doc), v, err, errlen);
}


static void
test_call_authenticate(void **state)
{
    char    *s;
    char     err[128];
    size_t   len;
    json_t  *params;

    params = json_pack("[s, s, s, {}]", "odoo", "admin",
                       "p<a&s>s\"w'o]]>rd\r\n\té");
    assert_non_null(params);

    s = ax_xmlrpc_call("authenticate", params, &len, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    assert_string_equal(s,
        "<?xml version=\"1.0\"?>\n<methodCall>"
        "<methodName>authenticate</methodName><params>"
        "<param><value><string>odoo</string></value></param>"
        "<param><value><string>admin</string></value></param>"
        "<param><value><string>p&lt;a&amp;s&gt;s\"w'o]]&gt;rd&#13;\n\t"
        "\xc3\xa9</string></value></param>"
        "<param><value><struct></struct></value></param>"
        "</params></methodCall>\n");

    free(s);
    json_decref(params);
}


static void
test_call_types(void **state)
{
    char    *s;
    char     err[128];
    json_t  *params;

    params = json_pack("[i, I, I, f, b, b, n, [i, s], {s:i}]", 7,
                       (json_int_t) 4294967296LL,
                       (json_int_t) -2147483648LL, 1.5, 1, 0, 1, "x",
                       "a<b", 2);
    assert_non_null(params);

    s = ax_xmlrpc_call("version", params, NULL, err, sizeof(err));
    assert_non_null(s);
    assert_non_null(strstr(s, "<param><value><int>7</int></value>"));
    assert_non_null(strstr(s, "<value><i8>4294967296</i8></value>"));
    assert_non_null(strstr(s, "<value><int>-2147483648</int></value>"));
    assert_non_null(strstr(s, "<value><double>1.5</double></value>"));
    assert_non_null(strstr(s, "<value><boolean>1</boolean></value>"));
    assert_non_null(strstr(s, "<value><boolean>0</boolean></value>"));
    assert_non_null(strstr(s, "<value><nil/></value>"));
    assert_non_null(strstr(s, "<value><array><data><value><int>1</int>"
                              "</value><value><string>x</string></value>"
                              "</data></array></value>"));
    assert_non_null(strstr(s, "<value><struct><member><name>a&lt;b</name>"
                              "<value><int>2</int></value></member>"
                              "</struct></value>"));
    free(s);
    json_decref(params);

    /* no parameters at all */
    s = ax_xmlrpc_call("version", NULL, NULL, err, sizeof(err));
    assert_string_equal(s, "<?xml version=\"1.0\"?>\n<methodCall>"
                           "<methodName>version</methodName><params>"
                           "</params></methodCall>\n");
    free(s);
}


static void
test_call_refused(void **state)
{
    int      i;
    char     err[128];
    json_t  *params, *inner;

    /* control characters XML 1.0 cannot carry, even escaped */
    params = json_pack("[s#]", "a\x01z", (size_t) 3);
    assert_null(ax_xmlrpc_call("authenticate", params, NULL, err,
                               sizeof(err)));
    assert_string_equal(err, "a parameter holds a character that XML "
                             "cannot carry");
    assert_null(strstr(err, "a\x01z"));
    json_decref(params);

    params = json_pack("[s#]", "a\0z", (size_t) 3);
    assert_null(ax_xmlrpc_call("m", params, NULL, err, sizeof(err)));
    json_decref(params);

    /* U+FFFE */
    params = json_pack("[s]", "x\xef\xbf\xbe");
    assert_null(ax_xmlrpc_call("m", params, NULL, err, sizeof(err)));
    json_decref(params);

    /* U+FFFD is fine */
    params = json_pack("[s]", "x\xef\xbf\xbd");
    free(ax_xmlrpc_call("m", params, NULL, err, sizeof(err)));
    json_decref(params);

    assert_null(ax_xmlrpc_call("bad name", NULL, NULL, err, sizeof(err)));
    assert_string_equal(err, "invalid method name");
    assert_null(ax_xmlrpc_call("a<b", NULL, NULL, err, sizeof(err)));
    assert_null(ax_xmlrpc_call("", NULL, NULL, err, sizeof(err)));

    params = json_object();
    assert_null(ax_xmlrpc_call("m", params, NULL, err, sizeof(err)));
    json_decref(params);

    /* too deep */
    params = json_array();
    inner = params;

    for (i = 0; i < AX_XMLRPC_MAX_DEPTH + 2; i++) {
        json_t  *a = json_array();

        json_array_append_new(inner, a);
        inner = a;
    }

    assert_null(ax_xmlrpc_call("m", params, NULL, err, sizeof(err)));
    assert_string_equal(err, "parameters nested too deeply");
    json_decref(params);
}


static void
test_parse_uid(void **state)
{
    char     err[128];
    json_t  *v;

    assert_int_equal(parse(RESPONSE("<value><int>7</int></value>"), &v,
                           err, sizeof(err)), AX_XMLRPC_OK);
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 7);
    json_decref(v);

    assert_int_equal(parse(RESPONSE("<value><boolean>0</boolean></value>"),
                           &v, err, sizeof(err)), AX_XMLRPC_OK);
    assert_true(json_is_false(v));
    json_decref(v);

    assert_int_equal(parse(RESPONSE("<value><i4> -12 </i4></value>"), &v,
                           err, sizeof(err)), AX_XMLRPC_OK);
    assert_int_equal(json_integer_value(v), -12);
    json_decref(v);

    assert_int_equal(parse(RESPONSE("<value><i8>9007199254740993</i8>"
                                    "</value>"), &v, err, sizeof(err)),
                     AX_XMLRPC_OK);
    assert_int_equal(json_integer_value(v), 9007199254740993LL);
    json_decref(v);

    assert_int_equal(parse(RESPONSE("<value><nil/></value>"), &v, err,
                           sizeof(err)), AX_XMLRPC_OK);
    assert_true(json_is_null(v));
    json_decref(v);

    assert_int_equal(parse(RESPONSE("<value><ex:nil xmlns:ex=\"http://ws."
                                    "apache.org/xmlrpc/namespaces/"
                                    "extensions\"/></value>"), &v, err,
                           sizeof(err)), AX_XMLRPC_OK);
    assert_true(json_is_null(v));
    json_decref(v);
}


static void
test_parse_version(void **state)
{
    char     err[128];
    json_t  *v, *info;

    /* what Odoo 17 answers to version(), as Python's xmlrpc.client
     * writes it */
    assert_int_equal(parse(RESPONSE(
        "<value><struct>\n"
        "<member>\n<name>server_version</name>\n"
        "<value><string>17.0</string></value>\n</member>\n"
        "<member>\n<name>server_version_info</name>\n"
        "<value><array><data>\n<value><int>17</int></value>\n"
        "<value><int>0</int></value>\n<value><int>0</int></value>\n"
        "<value><string>final</string></value>\n"
        "<value><int>0</int></value>\n<value><string></string></value>\n"
        "</data></array></value>\n</member>\n"
        "<member>\n<name>server_serie</name>\n"
        "<value><string>17.0</string></value>\n</member>\n"
        "<member>\n<name>protocol_version</name>\n"
        "<value><int>1</int></value>\n</member>\n"
        "<member>\n<name>ratio</name>\n"
        "<value><double>-1.25e2</double></value>\n</member>\n"
        "<member>\n<name>bare</name>\n"
        "<value> bare &amp; text </value>\n</member>\n"
        "<member>\n<name>when</name>\n"
        "<value><dateTime.iso8601>20240101T10:00:00</dateTime.iso8601>"
        "</value>\n</member>\n"
        "</struct></value>"), &v, err, sizeof(err)), AX_XMLRPC_OK);

    assert_true(json_is_object(v));
    assert_string_equal(json_string_value(json_object_get(v,
                                                          "server_version")),
                        "17.0");
    info = json_object_get(v, "server_version_info");
    assert_int_equal(json_array_size(info), 6);
    assert_int_equal(json_integer_value(json_array_get(info, 0)), 17);
    assert_string_equal(json_string_value(json_array_get(info, 3)), "final");
    assert_string_equal(json_string_value(json_array_get(info, 5)), "");
    assert_true(json_real_value(json_object_get(v, "ratio")) == -125.0);
    assert_string_equal(json_string_value(json_object_get(v, "bare")),
                        " bare & text ");
    assert_string_equal(json_string_value(json_object_get(v, "when")),
                        "20240101T10:00:00");
    json_decref(v);

    /* character references, CDATA, UTF-8 and an ISO-8859-1 document */
    assert_int_equal(parse(RESPONSE("<value><string>&lt;&#233;&#x263A;"
                                    "<![CDATA[<b>]]>\xc3\xa9</string>"
                                    "</value>"), &v, err, sizeof(err)),
                     AX_XMLRPC_OK);
    assert_string_equal(json_string_value(v),
                        "<\xc3\xa9\xe2\x98\xba<b>\xc3\xa9");
    json_decref(v);

    assert_int_equal(parse("<?xml version='1.0' encoding='ISO-8859-1'?>"
                           "<methodResponse><params><param><value>"
                           "\xe9</value></param></params>"
                           "</methodResponse>", &v, err, sizeof(err)),
                     AX_XMLRPC_OK);
    assert_string_equal(json_string_value(v), "\xc3\xa9");
    json_decref(v);
}


static void
test_parse_fault(void **state)
{
    char         err[128];
    json_t      *v;
    long long    code;
    const char  *text;

    assert_int_equal(parse(
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n"
        "<member>\n<name>faultCode</name>\n<value><int>3</int></value>\n"
        "</member>\n<member>\n<name>faultString</name>\n"
        "<value><string>Access Denied</string></value>\n</member>\n"
        "</struct></value>\n</fault>\n</methodResponse>\n", &v, err,
        sizeof(err)), AX_XMLRPC_FAULT);

    ax_xmlrpc_fault(v, &code, &text);
    assert_int_equal(code, 3);
    assert_string_equal(text, "Access Denied");
    json_decref(v);

    /* older servers send a string code */
    assert_int_equal(parse(
        "<methodResponse><fault><value><struct><member><name>faultCode"
        "</name><value><string>warning -- x</string></value></member>"
        "</struct></value></fault></methodResponse>", &v, err,
        sizeof(err)), AX_XMLRPC_FAULT);

    ax_xmlrpc_fault(v, &code, &text);
    assert_int_equal(code, 0);
    assert_string_equal(text, "");
    json_decref(v);
}


static void
test_parse_garbage(void **state)
{
    int          i;
    char         err[128], *deep, *p;
    json_t      *v;
    const char  *bad[][2] = {
        { "", "no element found at line 1" },
        { "this is not XML <<<", "syntax error at line 1" },
        { "<html><body>502</body></html>", "no methodResponse at line 1" },
        { "<methodResponse></methodResponse>", "no result at line 1" },
        { "<methodResponse><params></params></methodResponse>",
          "no result at line 1" },
        { "<methodResponse><params><param></param></params>"
          "</methodResponse>", "no value at line 1" },
        { RESPONSE("<value><int>7</int>"), "mismatched tag at line 6" },
        { RESPONSE("<value><int>x7</int></value>"),
          "invalid integer at line 5" },
        { RESPONSE("<value><int>4294967296</int></value>"),
          "invalid integer at line 5" },
        { RESPONSE("<value><i8>99999999999999999999</i8></value>"),
          "invalid integer at line 5" },
        { RESPONSE("<value><boolean>true</boolean></value>"),
          "invalid boolean at line 5" },
        { RESPONSE("<value><double>nan</double></value>"),
          "invalid double at line 5" },
        { RESPONSE("<value><double>1e999</double></value>"),
          "invalid double at line 5" },
        { RESPONSE("<value><int>1</int><int>2</int></value>"),
          "unexpected element at line 5" },
        { RESPONSE("<value>x<int>1</int></value>"),
          "text beside a typed value at line 5" },
        { RESPONSE("<value><int>1</int>x</value>"),
          "text beside a typed value at line 5" },
        { RESPONSE("<value><blob/></value>"), "unknown element at line 5" },
        { RESPONSE("<value><struct><member><value><int>1</int></value>"
                   "</member></struct></value>"),
          "malformed member at line 5" },
        { RESPONSE("<value><struct><member><name>a</name></member>"
                   "</struct></value>"), "malformed member at line 5" },
        { RESPONSE("<value><int>1<i4>2</i4></int></value>"),
          "unexpected element at line 5" },
        { RESPONSE("<value><nil>x</nil></value>"), "text in nil at line 5" },
        { "<methodResponse><params><param><value>1</value></param><param>"
          "<value>2</value></param></params></methodResponse>",
          "more than one result at line 1" },
        { "<methodResponse><params><param><value>1</value></param>"
          "</params></methodResponse><x/>", "junk after document element "
          "at line 1" },
        { "<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaa'>]>"
          "<methodResponse/>", "document type declaration not allowed at "
          "line 1" },
        { "<methodResponse><params><param><value>&a;</value></param>"
          "</params></methodResponse>", "undefined entity at line 1" },
        { "<methodResponse>x<params/></methodResponse>",
          "unexpected text at line 1" },
        { "<methodCall><methodName>x</methodName></methodCall>",
          "no methodResponse at line 1" },
        { "<methodResponse><params><param><value>\xff</value></param>"
          "</params></methodResponse>", "not well-formed (invalid token) at "
          "line 1" }
    };

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        v = (json_t *) 1;

        if (parse(bad[i][0], &v, err, sizeof(err)) != AX_XMLRPC_ERROR) {
            fail_msg("accepted: %s", bad[i][0]);
        }

        assert_null(v);

        if (strcmp(err, bad[i][1]) != 0) {
            fail_msg("\"%s\": expected \"%s\", got \"%s\"", bad[i][0],
                     bad[i][1], err);
        }
    }

    /* deep nesting is refused, not a crash */
    deep = malloc(200 * 50 + 200);
    assert_non_null(deep);
    p = deep;
    p += sprintf(p, "<methodResponse><params><param>");

    for (i = 0; i < 200; i++) {
        p += sprintf(p, "<value><array><data>");
    }

    for (i = 0; i < 200; i++) {
        p += sprintf(p, "</data></array></value>");
    }

    sprintf(p, "</param></params></methodResponse>");

    assert_int_equal(parse(deep, &v, err, sizeof(err)), AX_XMLRPC_ERROR);
    assert_string_equal(err, "nested too deeply at line 1");
    free(deep);
}


static void
test_round_trip(void **state)
{
    char    *call, *resp, *p, *q;
    char     err[128];
    size_t   len;
    json_t  *params, *v;

    /* a call's parameter, answered back, reads the same */
    params = json_pack("[{s:s, s:[i, b, n, f], s:{}}]",
                       "s", "<&>\r\n\"'\xe2\x82\xac", "a", 1, 1, 2.5,
                       "o");
    call = ax_xmlrpc_call("echo", params, &len, err, sizeof(err));
    assert_non_null(call);

    p = strstr(call, "<param>");
    q = strstr(call, "</params>");
    assert_non_null(p);
    assert_non_null(q);

    resp = malloc(len + 100);
    assert_non_null(resp);
    (void) snprintf(resp, len + 100, "<methodResponse><params>%.*s"
                    "</params></methodResponse>", (int) (q - p), p);

    assert_int_equal(parse(resp, &v, err, sizeof(err)), AX_XMLRPC_OK);
    assert_true(json_equal(v, json_array_get(params, 0)));

    json_decref(v);
    free(resp);
    free(call);
    json_decref(params);
}


static void
test_url(void **state)
{
    int          i;
    char         err[160], *s;
    const char  *good[] = {
        "http://odoo.example.com",
        "https://odoo.example.com/",
        "HTTPS://odoo.example.com:8443/odoo",
        "http://127.0.0.1:8069",
        "http://[::1]:8069/"
    };
    const char  *bad[][2] = {
        { "", "the URL is empty" },
        { "ftp://odoo.example.com", "the URL must start with http:// or "
                                    "https://" },
        { "file:///etc/passwd", "the URL must start with http:// or "
                                "https://" },
        { "gopher://x:70/", "the URL must start with http:// or https://" },
        { "odoo.example.com", "the URL must start with http:// or "
                              "https://" },
        { "http://", "invalid URL: No host part in the URL" },
        { "http://a b", "the URL must be printable ASCII without spaces" },
        { "http://x\n", "the URL must be printable ASCII without spaces" },
        { "http://admin:pw@odoo.example.com", "a password in the URL is "
          "not allowed: use the username and password fields" },
        { "http://admin@odoo.example.com", "a user name in the URL is not "
          "allowed: use the username and password fields" },
        { "http://:pw@odoo.example.com", "a password in the URL is not "
          "allowed: use the username and password fields" },
        { "http://odoo.example.com/?db=x", "the URL must not have a query" },
        { "http://odoo.example.com/#x", "the URL must not have a "
                                        "fragment" },
        { "http://odoo.example.com/?", "the URL must not have a query" },
        { "http://odoo.example.com/#", "the URL must not have a query or a "
                                       "fragment" },
        { "http://odoo.example.com:99999/", "invalid URL: Port number was "
                                            "not a decimal number between 0 "
                                            "and 65535" }
    };

    for (i = 0; i < (int) (sizeof(good) / sizeof(good[0])); i++) {
        if (ax_xmlrpc_check_url(good[i], err, sizeof(err)) != 0) {
            fail_msg("refused %s: %s", good[i], err);
        }
    }

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        err[0] = '\0';

        if (ax_xmlrpc_check_url(bad[i][0], err, sizeof(err)) != -1) {
            fail_msg("accepted %s", bad[i][0]);
        }

        if (strcmp(err, bad[i][1]) != 0) {
            fail_msg("%s: expected \"%s\", got \"%s\"", bad[i][0],
                     bad[i][1], err);
        }

        assert_null(strstr(err, "pw"));
    }

    s = malloc(3000);
    assert_non_null(s);
    memset(s, 'a', 2999);
    memcpy(s, "http://", 7);
    s[2999] = '\0';
    assert_int_equal(ax_xmlrpc_check_url(s, err, sizeof(err)), -1);
    assert_string_equal(err, "the URL is longer than 2048 bytes");
    free(s);

    s = ax_xmlrpc_endpoint("https://odoo.example.com//", "/xmlrpc/2/common");
    assert_string_equal(s, "https://odoo.example.com/xmlrpc/2/common");
    free(s);

    s = ax_xmlrpc_endpoint("http://h:1/odoo", "/xmlrpc/2/common");
    assert_string_equal(s, "http://h:1/odoo/xmlrpc/2/common");
    free(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_call_authenticate),
        cmocka_unit_test(test_call_types),
        cmocka_unit_test(test_call_refused),
        cmocka_unit_test(test_parse_uid),
        cmocka_unit_test(test_parse_version),
        cmocka_unit_test(test_parse_fault),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_url),
    };

    return cmocka_run_group_tests_name("xmlrpc", tests, NULL, NULL);
}
