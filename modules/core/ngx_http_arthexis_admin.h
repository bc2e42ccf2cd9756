
/*
 * The admin JSON API: what Django's admin did for the seed's operators,
 * as JSON, for every app's tables.
 *
 * An app describes a table as a model (its fields, their types and rules)
 * and registers it from its postconfiguration handler:
 *
 *     static const ngx_http_arthexis_admin_field_t  my_fields[] = {
 *         { ngx_string("hostname"), "hostname",
 *           NGX_HTTP_ARTHEXIS_ADMIN_TEXT, NULL, 253, 0, 0, my_check_host,
 *           NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED|NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE },
 *         { ngx_string("port"), "port", NGX_HTTP_ARTHEXIS_ADMIN_INT, NULL,
 *           0, 1, 65535, NULL, 0 },
 *         ngx_http_arthexis_admin_null_field
 *     };
 *
 *     static const ngx_http_arthexis_admin_model_t  my_model = {
 *         ngx_string("nodes"), "nodes_node", my_fields, "hostname",
 *         NULL, NULL
 *     };
 *
 *     ngx_http_arthexis_admin_register(cf, &my_model);
 *
 * and `location /admin/api/ { arthexis_admin_api; }` serves them all:
 *
 *   GET    /admin/api/               the models and their fields
 *   GET    /admin/api/M/             {"count","page","page_size","results"}
 *                                    ?page=1&page_size=50 (at most 1000),
 *                                    ?FIELD=VALUE filters (exact match)
 *   POST   /admin/api/M/             create: 201 and the object
 *   GET    /admin/api/M/ID/          the object: {"id": ID, FIELD: ...}
 *   PUT    /admin/api/M/ID/          update; required fields must be given
 *   PATCH  /admin/api/M/ID/          update the given fields only
 *   DELETE /admin/api/M/ID/          204
 *
 * Errors keep the seed's shape, plus the field when there is one:
 * 400 {"detail":"port: must be between 1 and 65535","field":"port"},
 * 404 {"detail":"not found"}, 405, 409 {"detail":"hostname: already
 * exists","field":"hostname"}, 413, 415, 503.  Unknown members are refused
 * (400); "id", read-only fields and has_* flags are ignored, so that what a
 * GET returns can be PUT back.
 *
 * Every request runs as a database job in one transaction: the uniqueness
 * and reference checks, the write, the model's hook and the read-back
 * commit together or not at all.  The SQL is built from the model (never
 * from input) with $N parameters, the same text on both engines.
 */

#ifndef _NGX_HTTP_ARTHEXIS_ADMIN_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_ADMIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_arthexis.h"


typedef enum {
    NGX_HTTP_ARTHEXIS_ADMIN_TEXT = 1,   /* TEXT: a JSON string */
    NGX_HTTP_ARTHEXIS_ADMIN_INT,        /* BIGINT/INTEGER: a JSON integer */
    NGX_HTTP_ARTHEXIS_ADMIN_BOOL,       /* SMALLINT 0/1: true/false */
    NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2,   /* BIGINT hundredths: "12.50" (input:
                                           12.5, "12.5", 12 ...) */
    NGX_HTTP_ARTHEXIS_ADMIN_TIME,       /* TEXT "YYYY-MM-DDTHH:MM:SSZ" (input
                                           may carry fractions or an
                                           offset; stored in UTC) */
    NGX_HTTP_ARTHEXIS_ADMIN_DATE,       /* TEXT "YYYY-MM-DD" */
    NGX_HTTP_ARTHEXIS_ADMIN_REF,        /* BIGINT: the id of a row of the
                                           model named by ref; checked */
    NGX_HTTP_ARTHEXIS_ADMIN_JSON        /* TEXT holding JSON: any value */
} ngx_http_arthexis_admin_type_e;


/* field flags */

/* must be given on create (and on PUT) */
#define NGX_HTTP_ARTHEXIS_ADMIN_REQUIRED     0x0001
/* no two rows share a value: 409 naming the field (NULLs excepted) */
#define NGX_HTTP_ARTHEXIS_ADMIN_UNIQUE       0x0002
/* accepts null (stored as SQL NULL); otherwise null is a 400 */
#define NGX_HTTP_ARTHEXIS_ADMIN_NULLABLE     0x0004
/* shown, never written; its column may be an SQL expression over the
 * table's columns ("credits_kwh - total_kwh_spent") */
#define NGX_HTTP_ARTHEXIS_ADMIN_READ_ONLY    0x0008
/* written, never shown: objects carry "has_<name>": true/false instead
 * (passwords); not usable as a list filter */
#define NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY   0x0010
/* TIME/DATE: set to the current time (UTC) on create when not given */
#define NGX_HTTP_ARTHEXIS_ADMIN_NOW_ON_CREATE  0x0020
/* may be given on create only; later changes are refused (400) */
#define NGX_HTTP_ARTHEXIS_ADMIN_CREATE_ONLY  0x0040


/*
 * A value parsed from the request, handed to the field's validator.
 * null: SQL NULL.  i: INT, BOOL (0/1), DECIMAL2 (hundredths), REF (id).
 * s: TEXT, TIME, DATE (normalized), JSON (serialized); never NUL bytes,
 * always valid UTF-8, in the request pool.
 */
typedef struct {
    ngx_uint_t                            null;
    long long                             i;
    ngx_str_t                             s;
} ngx_http_arthexis_admin_value_t;

/*
 * Runs on the event loop (no database): checks a value that passed the
 * type checks and may normalize it in place or replace it (memory from
 * r->pool).  Returns NULL when the value is fine, else a message that
 * follows "<field>: " in the 400 reply ("must be 8 hexadecimal digits").
 * Not called for null.
 */
typedef const char *(*ngx_http_arthexis_admin_validate_pt)(
    ngx_http_request_t *r, ngx_http_arthexis_admin_value_t *value);


typedef struct {
    ngx_str_t                             name;      /* in JSON */
    const char                           *column;    /* in SQL */
    ngx_http_arthexis_admin_type_e        type;
    const char                           *ref;       /* REF: model name */
    size_t                                max_len;   /* TEXT/JSON: the most
                                                        characters; 0: 65535 */
    long long                             min;       /* INT, DECIMAL2: the */
    long long                             max;       /* bounds if min < max */
    ngx_http_arthexis_admin_validate_pt   validate;  /* NULL: none */
    ngx_uint_t                            flags;     /* NGX_HTTP_ARTHEXIS_
                                                        ADMIN_* above */
} ngx_http_arthexis_admin_field_t;

#define ngx_http_arthexis_admin_null_field                                   \
    { ngx_null_string, NULL, 0, NULL, 0, 0, 0, NULL, 0 }


/*
 * A hook runs on the pool thread inside the request's transaction, with
 * the thread's connection: after_write after the row id was inserted
 * (created = 1) or updated (created = 0) and before it is read back;
 * before_delete before the row is deleted.  It may run more SQL (to keep
 * derived columns right, or create dependent rows).
 *
 * Returns AX_DB_OK to go on; an ax_db rc from a failed query (the request
 * then fails as a database error: 409, 500, 503); or
 * NGX_HTTP_ARTHEXIS_ADMIN_REJECT after setting the reply itself with
 * ngx_http_arthexis_job_detail() (e.g. a 400 or 409).  In both failure
 * cases everything the request did is rolled back.
 */
typedef int (*ngx_http_arthexis_admin_hook_pt)(ngx_http_arthexis_job_t *job,
    ax_db_t *db, long long id, ngx_uint_t created);

#define NGX_HTTP_ARTHEXIS_ADMIN_REJECT  1000


typedef struct {
    ngx_str_t                                name;  /* /admin/api/<name>/ */
    const char                              *table;
    const ngx_http_arthexis_admin_field_t   *fields;  /* ends with
                                            ngx_http_arthexis_admin_null_field;
                                            the key is always "id" */
    const char                              *order;   /* ORDER BY of lists,
                                                         NULL: "id" */
    ngx_http_arthexis_admin_hook_pt          after_write;    /* or NULL */
    ngx_http_arthexis_admin_hook_pt          before_delete;  /* or NULL */
} ngx_http_arthexis_admin_model_t;


/*
 * From an app's postconfiguration handler.  The model (and its fields) must
 * outlive the configuration: make them static.  Names must be unique
 * ("duplicate admin model" otherwise); REF targets are resolved when the
 * first request needs them and checked at start-up.
 */
ngx_int_t ngx_http_arthexis_admin_register(ngx_conf_t *cf,
    const ngx_http_arthexis_admin_model_t *model);


/*
 * From a location directive's handler (accounts_api, ocpp_api ...): in
 * this location nginx's own error pages (413 for a body over
 * client_max_body_size, 500, 503 ...) become {"detail": "..."} JSON, as
 * `arthexis_json_errors on;` does (which operators may also write, or turn
 * off).
 */
void ngx_http_arthexis_json_errors(ngx_conf_t *cf);


/* helpers that validators and other modules may use */

/* "YYYY-MM-DDTHH:MM:SSZ" for t (UTC) into buf (at least 21 bytes) */
u_char *ngx_http_arthexis_admin_time(time_t t, u_char *buf);

/* hundredths as "-12.50" into buf (at least 24 bytes); returns the end */
u_char *ngx_http_arthexis_admin_decimal2(long long v, u_char *buf);


extern ngx_module_t  ngx_http_arthexis_model_admin_module;


#endif /* _NGX_HTTP_ARTHEXIS_ADMIN_H_INCLUDED_ */
