
/*
 * The admin JSON API's jobs: they run on a pool thread with the thread's
 * own connection, read only what the handler prepared (the request is
 * pinned), and reply in JSON.  Writes run in one transaction.
 */

#include "ngx_http_arthexis_admin_int.h"


static json_t *ngx_http_arthexis_admin_row(
    const ngx_http_arthexis_admin_model_t *m, ax_db_res_t *res, int row);
static void ngx_http_arthexis_admin_fail(ngx_http_arthexis_job_t *job,
    ax_db_t *db, int rc);
static void ngx_http_arthexis_admin_field_reply(ngx_http_arthexis_job_t *job,
    ngx_uint_t status, const ngx_http_arthexis_admin_field_t *f,
    const char *msg);


static json_t *
ngx_http_arthexis_admin_row(const ngx_http_arthexis_admin_model_t *m,
    ax_db_res_t *res, int row)
{
    int                                     col;
    char                                    name[128];
    size_t                                  len;
    json_t                                 *obj, *v;
    u_char                                  buf[32], *p;
    const char                             *s;
    json_error_t                            err;
    const ngx_http_arthexis_admin_field_t  *f;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    if (json_object_set_new(obj, "id",
                            json_integer(ax_db_res_int(res, row, 0)))
        != 0)
    {
        goto failed;
    }

    for (f = m->fields, col = 1; f->name.len; f++, col++) {

        s = ax_db_res_value(res, row, col, &len);

        if (f->flags & NGX_HTTP_ARTHEXIS_ADMIN_WRITE_ONLY) {
            p = ngx_snprintf((u_char *) name, sizeof(name) - 1, "has_%V",
                             &f->name);
            *p = '\0';

            if (json_object_set_new(obj, name,
                    json_boolean(ax_db_res_int(res, row, col)))
                != 0)
            {
                goto failed;
            }

            continue;
        }

        if (s == NULL) {
            v = json_null();

        } else {
            switch (f->type) {

            case NGX_HTTP_ARTHEXIS_ADMIN_INT:
            case NGX_HTTP_ARTHEXIS_ADMIN_REF:
                v = json_integer(ax_db_res_int(res, row, col));
                break;

            case NGX_HTTP_ARTHEXIS_ADMIN_BOOL:
                v = json_boolean(ax_db_res_int(res, row, col));
                break;

            case NGX_HTTP_ARTHEXIS_ADMIN_DECIMAL2:
                p = ngx_http_arthexis_admin_decimal2(
                                      ax_db_res_int(res, row, col), buf);
                v = json_stringn((char *) buf, p - buf);
                break;

            case NGX_HTTP_ARTHEXIS_ADMIN_JSON:
                v = json_loadb(s, len, JSON_DECODE_ANY, &err);
                if (v == NULL) {
                    v = json_stringn(s, len);
                }
                break;

            default:
                v = json_stringn(s, len);
            }
        }

        if (v == NULL) {
            /* not UTF-8: written by something else than this API */
            v = json_null();
        }

        p = ngx_snprintf((u_char *) name, sizeof(name) - 1, "%V", &f->name);
        *p = '\0';

        if (json_object_set_new(obj, name, v) != 0) {
            goto failed;
        }
    }

    return obj;

failed:

    json_decref(obj);
    return NULL;
}


static void
ngx_http_arthexis_admin_fail(ngx_http_arthexis_job_t *job, ax_db_t *db,
    int rc)
{
    ngx_http_arthexis_job_db_error(job, db, rc);

    if (ax_db_in_transaction(db)) {
        (void) ax_db_rollback(db);
    }
}


static void
ngx_http_arthexis_admin_field_reply(ngx_http_arthexis_job_t *job,
    ngx_uint_t status, const ngx_http_arthexis_admin_field_t *f,
    const char *msg)
{
    u_char   detail[256], *p;
    json_t  *v;

    p = ngx_snprintf(detail, sizeof(detail) - 1, "%V: %s", &f->name, msg);
    *p = '\0';

    v = json_pack("{s:s, s:s%}", "detail", (char *) detail,
                  "field", (char *) f->name.data, f->name.len);

    ngx_http_arthexis_job_reply(job, status, v);
}


void
ngx_http_arthexis_admin_get_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_admin_ctx_t  *ctx = job->data;

    int             rc;
    json_t         *obj;
    ax_db_res_t    *res;
    ax_db_param_t   params[1];

    ax_db_set_int(&params[0], ctx->id);

    rc = ax_db_query(db, ctx->select_sql, params, 1, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    if (ax_db_res_rows(res) == 0) {
        ax_db_res_free(res);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND, "not found");
        return;
    }

    obj = ngx_http_arthexis_admin_row(ctx->model, res, 0);
    ax_db_res_free(res);

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK, obj);
}


void
ngx_http_arthexis_admin_list_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_admin_ctx_t  *ctx = job->data;

    int           rc, rows, row, cols;
    json_t       *results, *obj;
    long long     count;
    ax_db_res_t  *res, *cres;

    rc = ax_db_query(db, ctx->list_sql, ctx->params, ctx->nparams + 2, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    rows = ax_db_res_rows(res);
    cols = ax_db_res_cols(res);

    if (rows > 0) {
        count = ax_db_res_int(res, 0, cols - 1);

    } else {
        /* past the last page: the count needs its own query */
        rc = ax_db_query(db, ctx->count_sql, ctx->params, ctx->nparams,
                         &cres);
        if (rc != AX_DB_OK) {
            ax_db_res_free(res);
            ngx_http_arthexis_admin_fail(job, db, rc);
            return;
        }

        count = ax_db_res_int(cres, 0, 0);
        ax_db_res_free(cres);
    }

    results = json_array();

    for (row = 0; results != NULL && row < rows; row++) {
        obj = ngx_http_arthexis_admin_row(ctx->model, res, row);

        if (obj == NULL || json_array_append_new(results, obj) != 0) {
            json_decref(results);
            results = NULL;
        }
    }

    ax_db_res_free(res);

    if (results == NULL) {
        ngx_http_arthexis_job_detail(job, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "out of memory");
        return;
    }

    ngx_http_arthexis_job_reply(job, NGX_HTTP_OK,
        json_pack("{s:I, s:I, s:I, s:o}",
                  "count", (json_int_t) count,
                  "page", (json_int_t) ctx->page,
                  "page_size", (json_int_t) ctx->page_size,
                  "results", results));
}


void
ngx_http_arthexis_admin_write_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_admin_ctx_t  *ctx = job->data;

    int                               rc, create;
    char                              msg[128];
    u_char                           *p;
    json_t                           *obj;
    long long                         id;
    ax_db_res_t                      *res;
    ax_db_param_t                     params[2];
    ngx_http_arthexis_admin_check_t  *chk;

    create = (ctx->op == NGX_HTTP_ARTHEXIS_ADMIN_OP_CREATE);
    id = ctx->id;

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    if (!create) {
        ax_db_set_int(&params[0], id);

        rc = ax_db_query(db, ctx->select_sql, params, 1, &res);
        if (rc != AX_DB_OK) {
            ngx_http_arthexis_admin_fail(job, db, rc);
            return;
        }

        rc = ax_db_res_rows(res);
        ax_db_res_free(res);

        if (rc == 0) {
            (void) ax_db_rollback(db);
            ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND,
                                         "not found");
            return;
        }
    }

    /* uniqueness, references and create-only fields: named errors rather
     * than a constraint violation that would abort the transaction */

    for (chk = ctx->checks; chk->kind; chk++) {
        params[0] = chk->param;
        ax_db_set_int(&params[1], id);

        rc = ax_db_query(db, chk->sql, params,
                         (chk->kind == NGX_HTTP_ARTHEXIS_ADMIN_CHECK_REF
                          || (create
                              && chk->kind
                                 == NGX_HTTP_ARTHEXIS_ADMIN_CHECK_UNIQUE))
                         ? 1 : 2,
                         &res);
        if (rc != AX_DB_OK) {
            ngx_http_arthexis_admin_fail(job, db, rc);
            return;
        }

        rc = ax_db_res_rows(res);
        ax_db_res_free(res);

        switch (chk->kind) {

        case NGX_HTTP_ARTHEXIS_ADMIN_CHECK_UNIQUE:
            if (rc > 0) {
                (void) ax_db_rollback(db);
                ngx_http_arthexis_admin_field_reply(job, NGX_HTTP_CONFLICT,
                                                    chk->field,
                                                    "already exists");
                return;
            }

            break;

        case NGX_HTTP_ARTHEXIS_ADMIN_CHECK_REF:
            if (rc == 0) {
                (void) ax_db_rollback(db);
                p = ngx_snprintf((u_char *) msg, sizeof(msg) - 1,
                                 "no %s with id %L", chk->field->ref,
                                 (int64_t) chk->param.i);
                *p = '\0';
                ngx_http_arthexis_admin_field_reply(job,
                                                    NGX_HTTP_BAD_REQUEST,
                                                    chk->field, msg);
                return;
            }

            break;

        default: /* NGX_HTTP_ARTHEXIS_ADMIN_CHECK_SAME */
            if (rc == 0) {
                (void) ax_db_rollback(db);
                ngx_http_arthexis_admin_field_reply(job,
                                                    NGX_HTTP_BAD_REQUEST,
                                                    chk->field,
                                                    "cannot be changed");
                return;
            }
        }
    }

    if (ctx->write_sql) {
        rc = ax_db_query(db, ctx->write_sql, ctx->params,
                         create ? ctx->nparams : ctx->nparams + 1,
                         create ? &res : NULL);
        if (rc != AX_DB_OK) {
            ngx_http_arthexis_admin_fail(job, db, rc);
            return;
        }

        if (create) {
            id = ax_db_res_int(res, 0, 0);
            ax_db_res_free(res);
        }

        if (ctx->model->after_write) {
            rc = ctx->model->after_write(job, db, id, create);

            if (rc == NGX_HTTP_ARTHEXIS_ADMIN_REJECT) {
                (void) ax_db_rollback(db);
                return;
            }

            if (rc != AX_DB_OK) {
                ngx_http_arthexis_admin_fail(job, db, rc);
                return;
            }
        }
    }

    ax_db_set_int(&params[0], id);

    rc = ax_db_query(db, ctx->select_sql, params, 1, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    if (ax_db_res_rows(res) == 0) {
        /* the hook deleted it */
        ax_db_res_free(res);
        (void) ax_db_rollback(db);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND, "not found");
        return;
    }

    rc = ax_db_commit(db);
    if (rc != AX_DB_OK) {
        ax_db_res_free(res);
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    obj = ngx_http_arthexis_admin_row(ctx->model, res, 0);
    ax_db_res_free(res);

    ngx_http_arthexis_job_reply(job, create ? NGX_HTTP_CREATED : NGX_HTTP_OK,
                                obj);
}


void
ngx_http_arthexis_admin_delete_run(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_admin_ctx_t  *ctx = job->data;

    int             rc;
    ax_db_res_t    *res;
    ax_db_param_t   params[1];

    ax_db_set_int(&params[0], ctx->id);

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    rc = ax_db_query(db, ctx->select_sql, params, 1, &res);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    rc = ax_db_res_rows(res);
    ax_db_res_free(res);

    if (rc == 0) {
        (void) ax_db_rollback(db);
        ngx_http_arthexis_job_detail(job, NGX_HTTP_NOT_FOUND, "not found");
        return;
    }

    if (ctx->model->before_delete) {
        rc = ctx->model->before_delete(job, db, ctx->id, 0);

        if (rc == NGX_HTTP_ARTHEXIS_ADMIN_REJECT) {
            (void) ax_db_rollback(db);
            return;
        }

        if (rc != AX_DB_OK) {
            ngx_http_arthexis_admin_fail(job, db, rc);
            return;
        }
    }

    rc = ax_db_query(db, ctx->write_sql, params, 1, NULL);

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc == AX_DB_CONSTRAINT) {
        (void) ax_db_rollback(db);
        job->err_level = NGX_LOG_INFO;
        ngx_http_arthexis_job_detail(job, NGX_HTTP_CONFLICT,
                                     "still referenced by other records");
        return;
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_admin_fail(job, db, rc);
        return;
    }

    job->status = NGX_HTTP_NO_CONTENT;
}
