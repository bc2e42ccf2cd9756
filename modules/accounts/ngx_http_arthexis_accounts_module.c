
/*
 * Accounts: users, RFID tags, energy accounts and vehicles (the seed's
 * accounts app).  Routes: POST /accounts/rfid-login/.  Admin models:
 * users, rfids, accounts, vehicles.
 */

#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_admin.h"
#include "ax_accounts.h"


typedef int (*ngx_http_arthexis_accounts_normalize_pt)(char *s, size_t len);


static char *ngx_http_arthexis_accounts_api(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_arthexis_accounts_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_arthexis_accounts_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_rfid_login(ngx_http_request_t *r,
    json_t *input);
static void ngx_http_arthexis_rfid_login_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db);

static const char *ngx_http_arthexis_accounts_normalize(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v,
    ngx_http_arthexis_accounts_normalize_pt normalize, const char *err);
static const char *ngx_http_arthexis_accounts_check_rfid(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_accounts_check_vin(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_accounts_check_username(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_accounts_check_phone(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static const char *ngx_http_arthexis_accounts_check_email(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *v);
static int ngx_http_arthexis_accounts_user_written(
    ngx_http_arthexis_job_t *job, ax_db_t *db, long long id,
    ngx_uint_t created);
static int ngx_http_arthexis_accounts_rfid_written(
    ngx_http_arthexis_job_t *job, ax_db_t *db, long long id,
    ngx_uint_t created);


static ngx_command_t  ngx_http_arthexis_accounts_commands[] = {

    { ngx_string("accounts_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_arthexis_accounts_api,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_accounts_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_arthexis_accounts_init,       /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_arthexis_accounts_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_accounts_module_ctx, /* module context */
    ngx_http_arthexis_accounts_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the admin models */

static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_user_fields[] =
{
    { ngx_string("username"), "username", NGX_HTTP_ARTHEXIS_ADMIN_TEXT,
      NULL, AX_USERNAME_MAX, 0, 0, ngx_http_arthexis_accounts_check_username,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },

    { ngx_string("phone_number"), "phone_number",
      NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, AX_PHONE_MAX, 0, 0,
      ngx_http_arthexis_accounts_check_phone, 0 },

    { ngx_string("email"), "email", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_EMAIL_MAX, 0, 0, ngx_http_arthexis_accounts_check_email, 0 },

    { ngx_string("is_active"), "is_active", NGX_HTTP_ARTHEXIS_ADMIN_BOOL,
      NULL, 0, 0, 0, NULL, 0 },

    { ngx_string("created_at"), "created_at", NGX_HTTP_ARTHEXIS_ADMIN_TIME,
      NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY
      |NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t  ngx_http_arthexis_user_model = {
    ngx_string("users"), "accounts_user", ngx_http_arthexis_user_fields,
    "username", ngx_http_arthexis_accounts_user_written, NULL
};


static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_rfid_fields[] =
{
    { ngx_string("code"), "code", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_RFID_LEN, 0, 0, ngx_http_arthexis_accounts_check_rfid,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },

    { ngx_string("user"), "user_id", NGX_HTTP_ARTHEXIS_ADMIN_REF, "users",
      0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE },

    { ngx_string("blacklisted"), "blacklisted", NGX_HTTP_ARTHEXIS_ADMIN_BOOL,
      NULL, 0, 0, 0, NULL, 0 },

    { ngx_string("added_on"), "added_on", NGX_HTTP_ARTHEXIS_ADMIN_TIME,
      NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY
      |NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE },

    { ngx_string("expires_at"), "expires_at", NGX_HTTP_ARTHEXIS_ADMIN_TIME,
      NULL, 0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE },

    { ngx_string("parent_id_tag"), "parent_id_tag",
      NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, AX_ID_TAG_MAX, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t  ngx_http_arthexis_rfid_model = {
    ngx_string("rfids"), "accounts_rfid", ngx_http_arthexis_rfid_fields,
    "code", ngx_http_arthexis_accounts_rfid_written, NULL
};


static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_account_fields[] =
{
    { ngx_string("user"), "user_id", NGX_HTTP_ARTHEXIS_ADMIN_REF, "users",
      0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE
      |NGX_HTTP_ARTHEXIS_ADMIN_CREATE_ONLY },

    { ngx_string("credits_kwh"), "credits_kwh",
      NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2, NULL, 0,
      0, 999999999999LL, NULL, 0 },

    { ngx_string("total_kwh_spent"), "total_kwh_spent",
      NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2, NULL, 0,
      0, 999999999999LL, NULL, 0 },

    { ngx_string("balance_kwh"), "credits_kwh - total_kwh_spent",
      NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2, NULL, 0, 0, 0, NULL,
      NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t
    ngx_http_arthexis_account_model =
{
    ngx_string("accounts"), "accounts_account",
    ngx_http_arthexis_account_fields, "id", NULL, NULL
};


static const ngx_http_arthexis_admin_field_t
    ngx_http_arthexis_vehicle_fields[] =
{
    { ngx_string("account"), "account_id", NGX_HTTP_ARTHEXIS_ADMIN_REF,
      "accounts", 0, 0, 0, NULL, NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED },

    { ngx_string("brand"), "brand", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_VEHICLE_TEXT_MAX, 0, 0, NULL, 0 },

    { ngx_string("model"), "model", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_VEHICLE_TEXT_MAX, 0, 0, NULL, 0 },

    { ngx_string("vin"), "vin", NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL,
      AX_VIN_LEN, 0, 0, ngx_http_arthexis_accounts_check_vin,
      NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },

    ngx_http_arthexis_admin_null_field
};


static const ngx_http_arthexis_admin_model_t
    ngx_http_arthexis_vehicle_model =
{
    ngx_string("vehicles"), "accounts_vehicle",
    ngx_http_arthexis_vehicle_fields, "id", NULL, NULL
};


static ngx_int_t
ngx_http_arthexis_accounts_init(ngx_conf_t *cf)
{
    if (ngx_http_arthexis_admin_register(cf, &ngx_http_arthexis_user_model)
        != NGX_OK
        || ngx_http_arthexis_admin_register(cf, &ngx_http_arthexis_rfid_model)
           != NGX_OK
        || ngx_http_arthexis_admin_register(cf,
                                            &ngx_http_arthexis_account_model)
           != NGX_OK
        || ngx_http_arthexis_admin_register(cf,
                                            &ngx_http_arthexis_vehicle_model)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* validators (event loop) */

static const char *
ngx_http_arthexis_accounts_normalize(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v,
    ngx_http_arthexis_accounts_normalize_pt normalize, const char *err)
{
    u_char  *p;

    /* normalized in a copy: the value may point into the parsed JSON */

    p = ngx_pnalloc(r->pool, v->s.len);
    if (p == NULL) {
        return "cannot be checked";
    }

    ngx_memcpy(p, v->s.data, v->s.len);

    if (normalize((char *) p, v->s.len) != 0) {
        return err;
    }

    v->s.data = p;

    return NULL;
}


static const char *
ngx_http_arthexis_accounts_check_rfid(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    return ngx_http_arthexis_accounts_normalize(r, v, ax_rfid_normalize,
                                            "must be 8 hexadecimal digits");
}


static const char *
ngx_http_arthexis_accounts_check_vin(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    return ngx_http_arthexis_accounts_normalize(r, v, ax_vin_normalize,
               "must be 17 characters: digits and letters except I, O, Q");
}


static const char *
ngx_http_arthexis_accounts_check_username(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    if (!ax_username_valid((char *) v->s.data, v->s.len)) {
        return "must be 1 to 150 letters, digits and @.+-_";
    }

    return NULL;
}


static const char *
ngx_http_arthexis_accounts_check_phone(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    if (!ax_phone_valid((char *) v->s.data, v->s.len)) {
        return "must be a phone number (digits, spaces, + - ( ) .)";
    }

    return NULL;
}


static const char *
ngx_http_arthexis_accounts_check_email(ngx_http_request_t *r,
    ngx_http_arthexis_admin_value_t *v)
{
    if (!ax_email_valid((char *) v->s.data, v->s.len)) {
        return "must be an e-mail address";
    }

    return NULL;
}


/* hooks (pool thread, inside the request's transaction) */

static int
ngx_http_arthexis_accounts_user_written(ngx_http_arthexis_job_t *job,
    ax_db_t *db, long long id, ngx_uint_t created)
{
    ax_db_param_t  params[1];

    if (!created) {
        return AX_DB_OK;
    }

    /* every user has its account */

    ax_db_set_int(&params[0], id);

    return ax_db_query(db, "INSERT INTO accounts_account (user_id) "
                           "VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                       params, 1, NULL);
}


static int
ngx_http_arthexis_accounts_rfid_written(ngx_http_arthexis_job_t *job,
    ax_db_t *db, long long id, ngx_uint_t created)
{
    ax_db_param_t  params[1];

    /* a blacklisted tag belongs to nobody, as in the seed */

    ax_db_set_int(&params[0], id);

    return ax_db_query(db, "UPDATE accounts_rfid SET user_id = NULL "
                           "WHERE id = $1 AND blacklisted = 1 "
                           "AND user_id IS NOT NULL",
                       params, 1, NULL);
}


/* accounts_api: the routes under the location */

static char *
ngx_http_arthexis_accounts_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_arthexis_accounts_handler;
    ngx_http_arthexis_json_errors(cf);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_accounts_handler(ngx_http_request_t *r)
{
    ngx_str_t  name;

    /* the last path segment: /accounts/rfid-login/ or /accounts/rfid-login */

    name.data = r->uri.data;
    name.len = r->uri.len;

    if (name.len && name.data[name.len - 1] == '/') {
        name.len--;
    }

    while (name.len && name.data[name.len - 1] != '/') {
        name.len--;
    }

    name.data += name.len;
    name.len = r->uri.len - name.len;

    if (name.len && name.data[name.len - 1] == '/') {
        name.len--;
    }

    if (name.len == sizeof("rfid-login") - 1
        && ngx_strncmp(name.data, "rfid-login", name.len) == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            (void) ngx_http_discard_request_body(r);
            return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                                 "POST required");
        }

        return ngx_http_arthexis_read_json(r, ngx_http_arthexis_rfid_login);
    }

    (void) ngx_http_discard_request_body(r);

    return ngx_http_arthexis_send_detail(r, NGX_HTTP_NOT_FOUND, "not found");
}


/* POST /accounts/rfid-login/ {"rfid": "..."} */

typedef struct {
    u_char   code[AX_RFID_LEN];
    u_char   now[24];
} ngx_http_arthexis_rfid_login_t;


static ngx_int_t
ngx_http_arthexis_rfid_login(ngx_http_request_t *r, json_t *input)
{
    size_t                           len;
    json_t                          *v;
    const char                      *rfid, *err;
    ngx_http_arthexis_rfid_login_t  *ctx;

    rfid = ax_json_get_str(input, "rfid", &len);

    if (rfid == NULL) {
        v = json_object_get(input, "rfid");
        err = (v == NULL || json_is_null(v) || json_is_string(v))
              ? "rfid required" : "rfid must be a string";
        json_decref(input);

        return ngx_http_arthexis_send_detail(r, NGX_HTTP_BAD_REQUEST, err);
    }

    if (len != AX_RFID_LEN) {
        /* cannot match a stored code: no need to ask the database */
        json_decref(input);
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_UNAUTHORIZED,
                                             "invalid RFID");
    }

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_arthexis_rfid_login_t));
    if (ctx == NULL) {
        json_decref(input);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->code, rfid, AX_RFID_LEN);
    json_decref(input);

    if (ax_rfid_normalize((char *) ctx->code, AX_RFID_LEN) != 0) {
        return ngx_http_arthexis_send_detail(r, NGX_HTTP_UNAUTHORIZED,
                                             "invalid RFID");
    }

    *ngx_http_arthexis_admin_time(ngx_time(), ctx->now) = '\0';

    /* one short read: it may share a busy pool thread's turn */
    return ngx_http_arthexis_job_request_batched(r,
                                          ngx_http_arthexis_rfid_login_run,
                                          NULL, ctx);
}


static void
ngx_http_arthexis_rfid_login_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_rfid_login_t  *ctx = job->data;

    int             rc;
    size_t          ulen, plen;
    u_char          balance[32], *p;
    json_t         *kwh;
    ax_db_res_t    *res;
    const char     *username, *phone;
    ax_db_param_t   params[2];

    ax_db_set_text(&params[0], AX_RFID_LEN, ctx->code);
    ax_db_set_text(&params[1], 20, ctx->now);

    rc = ax_db_query(db,
             "SELECT u.id, u.username, u.phone_number, "
             "a.credits_kwh - a.total_kwh_spent "
             "FROM accounts_rfid r "
             "JOIN accounts_user u ON u.id = r.user_id "
             "LEFT JOIN accounts_account a ON a.user_id = u.id "
             "WHERE r.code = $1 AND r.blacklisted = 0 AND u.is_active = 1 "
             "AND (r.expires_at IS NULL OR r.expires_at > $2)",
             params, 2, &res);

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        return;
    }

    if (ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_UNAUTHORIZED,
                                     "invalid RFID");
        return;
    }

    username = ax_db_res_value(res, 0, 1, &ulen);
    phone = ax_db_res_value(res, 0, 2, &plen);

    /* no account row: a null balance */

    if (ax_db_res_is_null(res, 0, 3)) {
        kwh = json_null();

    } else {
        p = ngx_http_arthexis_admin_decimal2(ax_db_res_int(res, 0, 3),
                                             balance);
        kwh = json_stringn((char *) balance, p - balance);
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
        json_pack("{s:I, s:s%, s:s%, s:o}",
                  "id", (json_int_t) ax_db_res_int(res, 0, 0),
                  "username", username, ulen,
                  "phone_number", phone, plen,
                  "balance_kwh", kwh));

    ax_db_res_free(res);
}
