
/*
 * What each OCPP 1.6 action from a charge point does.
 *
 * Heartbeat is answered at once from the event loop (its database write
 * goes behind, in batches, flushed on shutdown).  Every other action runs
 * as a database job and is answered when the job is done, so what a
 * charger was told (a transactionId above all) is on disk first.
 */

#include "ngx_http_arthexis_ocpp.h"

#include <time.h>


typedef struct ngx_http_arthexis_ocpp_action_s
    ngx_http_arthexis_ocpp_action_t;

typedef void (*ngx_http_arthexis_ocpp_run_pt)(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);


struct ngx_http_arthexis_ocpp_action_s {
    ngx_pool_t                         *pool;
    uint64_t                            session;
    ngx_str_t                           charger;
    char                                id[40];
    size_t                              id_len;
    json_t                             *payload;
    ngx_http_arthexis_ocpp_run_pt       run;
    const char                         *name;

    /* settings the job needs */
    ngx_msec_t                          heartbeat_interval;
    unsigned                            lenient;
    ngx_str_t                           dt_status;

    /* the outcome */
    json_t                             *reply;
    const char                         *error;     /* CALLERROR code */
    int64_t                             transaction_id;
    ngx_int_t                           connector;
    unsigned                            started:1;
    unsigned                            stopped:1;
};


typedef struct {
    const char                         *name;
    size_t                              len;
    ngx_http_arthexis_ocpp_run_pt       run;
} ngx_http_arthexis_ocpp_action_def_t;


static ngx_uint_t ngx_http_arthexis_ocpp_id_needs_no_escape(const char *id,
    size_t len);
static void ngx_http_arthexis_ocpp_heartbeat(
    ngx_http_arthexis_ocpp_session_t *s, ax_ocpp_msg_t *msg);
static void ngx_http_arthexis_ocpp_action_job(ngx_http_arthexis_job_t *job,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_action_done(ngx_http_arthexis_job_t *job);
static void ngx_http_arthexis_ocpp_boot(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_authorize(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);
static void ngx_http_arthexis_ocpp_start(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_stop(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_meter_values(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);
static void ngx_http_arthexis_ocpp_status(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db);
static void ngx_http_arthexis_ocpp_data_transfer(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);
static void ngx_http_arthexis_ocpp_diagnostics(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);
static void ngx_http_arthexis_ocpp_firmware(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db);
static json_t *ngx_http_arthexis_ocpp_id_tag_info(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db, const char *tag,
    int start, int *rc);
static int ngx_http_arthexis_ocpp_store_meter_values(
    ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db, ngx_int_t connector,
    int64_t transaction_id, json_t *meter_values, const char *now);
static void ngx_http_arthexis_ocpp_string_param(ax_db_param_t *p,
    json_t *v);
static void ngx_http_arthexis_ocpp_time_param(
    ngx_http_arthexis_ocpp_action_t *a, json_t *obj, const char *key,
    char *out, ax_db_param_t *p);
static void ngx_http_arthexis_ocpp_apply(ngx_http_arthexis_ocpp_session_t *s,
    ngx_http_arthexis_ocpp_action_t *a);
static ngx_array_t *ngx_http_arthexis_ocpp_beats_create(void);
static void ngx_http_arthexis_ocpp_beats_destroy(ngx_array_t *beats);
static void ngx_http_arthexis_ocpp_heartbeat_flush_handler(ngx_event_t *ev);
static void ngx_http_arthexis_ocpp_heartbeat_run(
    ngx_http_arthexis_job_t *job, ax_db_t *db);
static void ngx_http_arthexis_ocpp_heartbeat_done(
    ngx_http_arthexis_job_t *job);


static ngx_http_arthexis_ocpp_action_def_t  ngx_http_arthexis_ocpp_actions[] =
{
    { "BootNotification", 16, ngx_http_arthexis_ocpp_boot },
    { "Authorize", 9, ngx_http_arthexis_ocpp_authorize },
    { "StartTransaction", 16, ngx_http_arthexis_ocpp_start },
    { "StopTransaction", 15, ngx_http_arthexis_ocpp_stop },
    { "MeterValues", 11, ngx_http_arthexis_ocpp_meter_values },
    { "StatusNotification", 18, ngx_http_arthexis_ocpp_status },
    { "DataTransfer", 12, ngx_http_arthexis_ocpp_data_transfer },
    { "DiagnosticsStatusNotification", 29,
      ngx_http_arthexis_ocpp_diagnostics },
    { "FirmwareStatusNotification", 26, ngx_http_arthexis_ocpp_firmware },
    { NULL, 0, NULL }
};


/*
 * heartbeats waiting for their batched write: one entry per charger (its
 * session keeps the index), in an array of a pool of the batch's own,
 * destroyed once the batch is written
 */
typedef struct {
    ngx_str_t                           charger;
    int64_t                             at;
} ngx_http_arthexis_ocpp_beat_t;

static ngx_array_t  *ngx_http_arthexis_ocpp_beats;
static ngx_uint_t    ngx_http_arthexis_ocpp_beat_batch;

/* ev->data of a timer must look like a connection: debug logs read its fd */
static ngx_connection_t  ngx_http_arthexis_ocpp_beat_dummy = {
    .fd = (ngx_socket_t) -1
};

static ngx_event_t   ngx_http_arthexis_ocpp_beat_ev;
static ngx_uint_t    ngx_http_arthexis_ocpp_beat_flushing;


int64_t
ngx_http_arthexis_ocpp_now_ms(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* the same on the event loop: the time nginx read when the loop woke */

int64_t
ngx_http_arthexis_ocpp_loop_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


void
ngx_http_arthexis_ocpp_iso_time(int64_t ms, char *out)
{
    ax_ocpp_time_format(ms, out);
}


ngx_int_t
ngx_http_arthexis_ocpp_dispatch(ngx_http_arthexis_ocpp_session_t *s,
    ax_ocpp_msg_t *msg)
{
    ngx_uint_t                            i;
    ngx_pool_t                           *pool;
    ngx_http_arthexis_job_t              *job;
    ngx_http_arthexis_ocpp_action_t      *a;
    ngx_http_arthexis_ocpp_action_def_t  *def;

    if (msg->action_len == 9 && ngx_strncmp(msg->action, "Heartbeat", 9) == 0)
    {
        ngx_http_arthexis_ocpp_heartbeat(s, msg);
        ax_ocpp_msg_free(msg);
        return NGX_OK;
    }

    def = NULL;

    for (i = 0; ngx_http_arthexis_ocpp_actions[i].name; i++) {
        if (msg->action_len == ngx_http_arthexis_ocpp_actions[i].len
            && ngx_strncmp(msg->action, ngx_http_arthexis_ocpp_actions[i].name,
                           msg->action_len) == 0)
        {
            def = &ngx_http_arthexis_ocpp_actions[i];
            break;
        }
    }

    if (def == NULL) {
        /* a 1.6 action the central system does not receive */
        ngx_http_arthexis_ocpp_session_error(s, msg->id, msg->id_len,
                                             "NotImplemented",
                                             "not an action a charge point "
                                             "sends");
        ax_ocpp_msg_free(msg);
        return NGX_OK;
    }

    /* the job outlives the session if it must: its own pool */

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        goto failed;
    }

    a = ngx_pcalloc(pool, sizeof(ngx_http_arthexis_ocpp_action_t));
    if (a == NULL) {
        ngx_destroy_pool(pool);
        goto failed;
    }

    a->pool = pool;
    a->session = s->session;
    a->charger.len = s->id.len;
    a->charger.data = ngx_pstrdup(pool, &s->id);
    a->id_len = ngx_min(msg->id_len, sizeof(a->id) - 1);
    ngx_memcpy(a->id, msg->id, a->id_len);
    a->payload = json_incref(msg->payload);
    a->run = def->run;
    a->name = def->name;
    a->heartbeat_interval = s->conf->heartbeat_interval;
    a->lenient = s->conf->lenient;
    a->dt_status = s->conf->data_transfer_status;

    ax_ocpp_msg_free(msg);

    if (a->charger.data == NULL) {
        json_decref(a->payload);
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    job = ngx_http_arthexis_job_create(pool, ngx_cycle->log,
                                       ngx_http_arthexis_ocpp_action_job);
    if (job == NULL) {
        json_decref(a->payload);
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    job->data = a;
    job->done = ngx_http_arthexis_ocpp_action_done;

    /* concurrent chargers' messages share a thread's turn and a commit */
    job->batch = 1;
    job->group = 1;

    if (ngx_http_arthexis_job_post(job) != NGX_OK) {
        ngx_http_arthexis_ocpp_session_error(s, a->id, a->id_len,
                                             "InternalError",
                                             "central system busy, retry");
        json_decref(a->payload);
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    s->jobs++;

    return NGX_OK;

failed:

    ngx_http_arthexis_ocpp_session_error(s, msg->id, msg->id_len,
                                         "InternalError", "out of memory");
    ax_ocpp_msg_free(msg);
    return NGX_ERROR;
}


/* a message id that goes into a JSON string as it is */

static ngx_uint_t
ngx_http_arthexis_ocpp_id_needs_no_escape(const char *id, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((u_char) id[i] < 0x20 || id[i] == '"' || id[i] == '\\') {
            return 0;
        }
    }

    return 1;
}


static void
ngx_http_arthexis_ocpp_heartbeat(ngx_http_arthexis_ocpp_session_t *s,
    ax_ocpp_msg_t *msg)
{
    char                               now[32], text[128];
    u_char                            *p;
    int64_t                            ms;
    ngx_http_arthexis_ocpp_beat_t     *beat;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    ms = ngx_http_arthexis_ocpp_loop_ms();
    ngx_http_arthexis_ocpp_iso_time(ms, now);

    /*
     * the reply without a JSON round trip: [3,"id",{"currentTime":"..."}],
     * logged with last_heartbeat under one lock
     */

    if (msg->id_len <= 40
        && ngx_http_arthexis_ocpp_id_needs_no_escape(msg->id, msg->id_len))
    {
        p = ngx_snprintf((u_char *) text, sizeof(text),
                         "[3,\"%*s\",{\"currentTime\":\"%s\"}]",
                         msg->id_len, msg->id, now);

        ngx_http_arthexis_ocpp_zone_lock(s->mcf->zone);

        ch = ngx_http_arthexis_ocpp_zone_find(s->mcf->zone, &s->zref, &s->id);
        if (ch) {
            ch->last_heartbeat = ms;
            ngx_http_arthexis_ocpp_zone_log_locked(s->mcf->zone, ch, '<',
                                                   (u_char *) text,
                                                   p - (u_char *) text);
        }

        ngx_http_arthexis_ocpp_zone_unlock(s->mcf->zone);

        (void) ngx_http_arthexis_ws_send(s->ws, AX_WS_OP_TEXT,
                                         (u_char *) text,
                                         p - (u_char *) text);
        goto batch;
    }

    ngx_http_arthexis_ocpp_zone_lock(s->mcf->zone);

    ch = ngx_http_arthexis_ocpp_zone_find(s->mcf->zone, &s->zref, &s->id);
    if (ch) {
        ch->last_heartbeat = ms;
    }

    ngx_http_arthexis_ocpp_zone_unlock(s->mcf->zone);

    ngx_http_arthexis_ocpp_session_reply(s, msg->id, msg->id_len,
                                         json_pack("{s:s}", "currentTime",
                                                   now));

batch:

    /* last_heartbeat goes to the database behind, in a batch */

    if (ngx_http_arthexis_ocpp_beats == NULL) {
        ngx_http_arthexis_ocpp_beats =
                                   ngx_http_arthexis_ocpp_beats_create();
        if (ngx_http_arthexis_ocpp_beats == NULL) {
            return;
        }
    }

    /* the charger's entry of this batch, if it has one, takes the time */

    if (s->beat_batch == ngx_http_arthexis_ocpp_beat_batch
        && s->beat_index > 0
        && s->beat_index <= ngx_http_arthexis_ocpp_beats->nelts)
    {
        beat = ngx_http_arthexis_ocpp_beats->elts;
        beat += s->beat_index - 1;

        if (beat->charger.len == s->id.len
            && ngx_memcmp(beat->charger.data, s->id.data, s->id.len) == 0)
        {
            beat->at = ms;
            return;
        }
    }

    beat = ngx_array_push(ngx_http_arthexis_ocpp_beats);
    if (beat == NULL) {
        return;
    }

    s->beat_batch = ngx_http_arthexis_ocpp_beat_batch;
    s->beat_index = ngx_http_arthexis_ocpp_beats->nelts;

    beat->charger.data = ngx_alloc(s->id.len, ngx_cycle->log);
    if (beat->charger.data == NULL) {
        ngx_http_arthexis_ocpp_beats->nelts--;
        return;
    }

    ngx_memcpy(beat->charger.data, s->id.data, s->id.len);
    beat->charger.len = s->id.len;
    beat->at = ms;

    if (!ngx_http_arthexis_ocpp_beat_ev.timer_set
        && !ngx_http_arthexis_ocpp_beat_flushing)
    {
        ngx_http_arthexis_ocpp_beat_ev.handler =
                              ngx_http_arthexis_ocpp_heartbeat_flush_handler;
        ngx_http_arthexis_ocpp_beat_ev.log = ngx_cycle->log;
        ngx_http_arthexis_ocpp_beat_ev.data =
                                         &ngx_http_arthexis_ocpp_beat_dummy;
        ngx_http_arthexis_ocpp_beat_ev.cancelable = 1;
        ngx_add_timer(&ngx_http_arthexis_ocpp_beat_ev, 1000);
    }
}


static ngx_array_t *
ngx_http_arthexis_ocpp_beats_create(void)
{
    ngx_pool_t   *pool;
    ngx_array_t  *beats;

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    beats = ngx_array_create(pool, 64, sizeof(ngx_http_arthexis_ocpp_beat_t));
    if (beats == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_http_arthexis_ocpp_beat_batch++;

    return beats;
}


/* the charger ids are the entries' own (freed by the run, or moved) */

static void
ngx_http_arthexis_ocpp_beats_destroy(ngx_array_t *beats)
{
    ngx_destroy_pool(beats->pool);
}


static void
ngx_http_arthexis_ocpp_heartbeat_flush_handler(ngx_event_t *ev)
{
    ngx_http_arthexis_ocpp_flush_heartbeats(0);
}


/*
 * Writes the heartbeats of the last second in one transaction.  With
 * now set (the worker exits), it runs here and now, on a connection of its
 * own: blocking is fine then, nothing else is served any more.
 */

void
ngx_http_arthexis_ocpp_flush_heartbeats(ngx_uint_t now)
{
    ax_db_t                  *db;
    ngx_array_t              *beats;
    ngx_http_arthexis_job_t   job, *j;

    beats = ngx_http_arthexis_ocpp_beats;

    if (beats == NULL || beats->nelts == 0) {
        return;
    }

    if (now) {
        db = ngx_http_arthexis_db_open_sync(ngx_cycle->log);
        if (db == NULL) {
            return;
        }

        ngx_memzero(&job, sizeof(ngx_http_arthexis_job_t));
        job.data = beats;
        ngx_http_arthexis_ocpp_heartbeat_run(&job, db);
        ax_db_close(db);
        free(job.body);

        ngx_http_arthexis_ocpp_beats = NULL;
        ngx_http_arthexis_ocpp_beats_destroy(beats);
        return;
    }

    if (ngx_http_arthexis_ocpp_beat_flushing) {
        /* the previous batch is still in the database: wait for it */
        ngx_add_timer(&ngx_http_arthexis_ocpp_beat_ev, 100);
        return;
    }

    /* the job too lives in the batch's pool (unused once done is called) */
    j = ngx_http_arthexis_job_create(beats->pool, ngx_cycle->log,
                                     ngx_http_arthexis_ocpp_heartbeat_run);
    if (j == NULL) {
        return;
    }

    j->data = beats;
    j->done = ngx_http_arthexis_ocpp_heartbeat_done;

    /* new heartbeats go to a new batch */
    ngx_http_arthexis_ocpp_beats = NULL;

    if (ngx_http_arthexis_job_post(j) != NGX_OK) {
        ngx_http_arthexis_ocpp_beats = beats;
        ngx_add_timer(&ngx_http_arthexis_ocpp_beat_ev, 1000);
        return;
    }

    ngx_http_arthexis_ocpp_beat_flushing = 1;
}


/*
 * One UPDATE for many chargers: "UPDATE ... FROM (VALUES ($1, $2), ...)",
 * the same SQL on both engines (VALUES names its columns column1,
 * column2 on both; SQLite has UPDATE FROM since 3.33).  A batch is cut
 * into statements of 256, 32, 4 and 1 rows, so that four texts cover
 * every size and stay in the engines' caches of prepared statements.
 */

#define NGX_HTTP_ARTHEXIS_OCPP_BEAT_ROWS  256

static void
ngx_http_arthexis_ocpp_heartbeat_run(ngx_http_arthexis_job_t *job,
    ax_db_t *db)
{
    int                             rc;
    u_char                         *sql, *p;
    ngx_uint_t                      i, j, n, k;
    ngx_array_t                    *beats = job->data;
    ax_db_param_t                  *params;
    ngx_http_arthexis_ocpp_beat_t  *beat;

    static const char               head[] =
        "UPDATE ocpp_charger SET last_heartbeat = v.column2 FROM (VALUES ";
    static const char               tail[] =
        ") AS v WHERE ocpp_charger.charger_id = v.column1";

    static ngx_uint_t               sizes[] = {
        NGX_HTTP_ARTHEXIS_OCPP_BEAT_ROWS, 32, 4, 1
    };

    char                            when[NGX_HTTP_ARTHEXIS_OCPP_BEAT_ROWS][32];

    beat = beats->elts;

    sql = malloc(sizeof(head) + sizeof(tail)
                 + NGX_HTTP_ARTHEXIS_OCPP_BEAT_ROWS * sizeof(", ($999, $999)"));
    params = malloc(2 * NGX_HTTP_ARTHEXIS_OCPP_BEAT_ROWS
                    * sizeof(ax_db_param_t));

    if (sql == NULL || params == NULL) {
        free(sql);
        free(params);
        job->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    rc = ax_db_begin(db);

    for (i = 0, k = 0; rc == AX_DB_OK && i < beats->nelts; i += n) {

        while (beats->nelts - i < sizes[k]) {
            k++;
        }

        n = sizes[k];

        p = ngx_cpymem(sql, head, sizeof(head) - 1);

        for (j = 0; j < n; j++) {
            p = ngx_sprintf(p, "%s($%ui, $%ui)", j ? ", " : "",
                            2 * j + 1, 2 * j + 2);

            ngx_http_arthexis_ocpp_iso_time(beat[i + j].at, when[j]);

            ax_db_set_text(&params[2 * j], beat[i + j].charger.len,
                           beat[i + j].charger.data);
            ax_db_set_text(&params[2 * j + 1], ngx_strlen(when[j]), when[j]);
        }

        p = ngx_cpymem(p, tail, sizeof(tail));

        rc = ax_db_query(db, (char *) sql, params, 2 * n, NULL);
    }

    free(sql);
    free(params);

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_job_db_error(job, db, rc);
        (void) ax_db_rollback(db);
        return;
    }

    job->status = NGX_HTTP_OK;

    for (i = 0; i < beats->nelts; i++) {
        free(beat[i].charger.data);
    }

    beats->nelts = 0;
}


static void
ngx_http_arthexis_ocpp_heartbeat_done(ngx_http_arthexis_job_t *job)
{
    ngx_uint_t                      i;
    ngx_array_t                    *beats = job->data;
    ngx_http_arthexis_ocpp_beat_t  *beat, *b;

    ngx_http_arthexis_ocpp_beat_flushing = 0;

    if (beats->nelts) {
        /* the write failed: keep them for the next batch */

        beat = beats->elts;

        if (ngx_http_arthexis_ocpp_beats == NULL) {
            /* a new batch: the sessions' indexes into it are not valid */
            ngx_http_arthexis_ocpp_beats = beats;
            ngx_http_arthexis_ocpp_beat_batch++;
            beats = NULL;

        } else {
            for (i = 0; i < beats->nelts; i++) {
                b = ngx_array_push(ngx_http_arthexis_ocpp_beats);
                if (b == NULL) {
                    ngx_free(beat[i].charger.data);
                    continue;
                }

                *b = beat[i];
            }
        }
    }

    if (beats) {
        ngx_http_arthexis_ocpp_beats_destroy(beats);
    }

    if (ngx_http_arthexis_ocpp_beats
        && ngx_http_arthexis_ocpp_beats->nelts
        && !ngx_http_arthexis_ocpp_beat_ev.timer_set)
    {
        ngx_add_timer(&ngx_http_arthexis_ocpp_beat_ev, 1000);
    }
}


/* on a pool thread */

static void
ngx_http_arthexis_ocpp_action_job(ngx_http_arthexis_job_t *job, ax_db_t *db)
{
    ngx_http_arthexis_ocpp_action_t  *a = job->data;

    /* a second run, after a failed group commit, starts afresh */

    json_decref(a->reply);
    a->reply = NULL;
    a->error = NULL;
    a->transaction_id = 0;
    a->connector = 0;
    a->started = 0;
    a->stopped = 0;

    a->run(a, db);

    if (a->error != NULL) {
        /* the transaction, if any, is over; tell the log why */
        (void) ax_db_rollback(db);
        ngx_snprintf((u_char *) job->err, sizeof(job->err) - 1,
                     "ocpp: %s from \"%V\" failed: %s%Z", a->name,
                     &a->charger, ax_db_errmsg(db));
    }

    job->status = NGX_HTTP_OK;
}


/* on the event loop: answer the charger, if it is still there */

static void
ngx_http_arthexis_ocpp_action_done(ngx_http_arthexis_job_t *job)
{
    ngx_http_arthexis_ocpp_action_t  *a = job->data;

    ngx_http_arthexis_ocpp_session_t  *s;

    s = ngx_http_arthexis_ocpp_session_find(a->session);

    if (s != NULL && !s->closed) {
        ngx_http_arthexis_ocpp_apply(s, a);

        if (a->error) {
            ngx_http_arthexis_ocpp_session_error(s, a->id, a->id_len,
                                                 a->error,
                                                 "the central system could "
                                                 "not record it, retry");

        } else {
            ngx_http_arthexis_ocpp_session_reply(s, a->id, a->id_len,
                                                 a->reply);
        }
    }

    json_decref(a->reply);
    json_decref(a->payload);

    ngx_destroy_pool(a->pool);

    if (s != NULL) {
        ngx_http_arthexis_ocpp_session_job_done(s);
    }
}


/* what the zone learns from an action that went well */

static void
ngx_http_arthexis_ocpp_apply(ngx_http_arthexis_ocpp_session_t *s,
    ngx_http_arthexis_ocpp_action_t *a)
{
    int64_t                              ms;
    json_t                              *p;
    size_t                               len;
    char                                *text;
    const char                          *v;
    ngx_http_arthexis_ocpp_charger_t    *ch;
    ngx_http_arthexis_ocpp_connector_t  *cn;

    if (a->error) {
        return;
    }

    p = a->payload;

    ngx_http_arthexis_ocpp_zone_lock(s->mcf->zone);

    ch = ngx_http_arthexis_ocpp_zone_find(s->mcf->zone, &s->zref, &s->id);

    if (ch == NULL) {
        ngx_http_arthexis_ocpp_zone_unlock(s->mcf->zone);
        return;
    }

#define ax_copy(dst, key)                                                    \
    v = json_string_value(json_object_get(p, key));                          \
    ngx_memzero(dst, sizeof(dst));                                           \
    if (v) {                                                                 \
        ngx_cpystrn(dst, (u_char *) v, sizeof(dst));                         \
    }

    if (a->run == ngx_http_arthexis_ocpp_boot) {
        ax_copy(ch->boot.vendor, "chargePointVendor");
        ax_copy(ch->boot.model, "chargePointModel");
        ax_copy(ch->boot.serial_number, "chargePointSerialNumber");
        ax_copy(ch->boot.charge_box_serial, "chargeBoxSerialNumber");
        ax_copy(ch->boot.firmware_version, "firmwareVersion");
        ax_copy(ch->boot.iccid, "iccid");
        ax_copy(ch->boot.imsi, "imsi");
        ax_copy(ch->boot.meter_type, "meterType");
        ax_copy(ch->boot.meter_serial, "meterSerialNumber");
        ch->boot.at = ngx_http_arthexis_ocpp_now_ms();

    } else if (a->run == ngx_http_arthexis_ocpp_status) {
        a->connector = json_integer_value(json_object_get(p, "connectorId"));

        if (a->connector >= 0
            && a->connector < NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS)
        {
            cn = &ch->connectors[a->connector];
            ax_copy(cn->status, "status");
            ax_copy(cn->error_code, "errorCode");
            ax_copy(cn->info, "info");

            v = json_string_value(json_object_get(p, "timestamp"));
            ms = 0;

            if (v == NULL
                || ax_ocpp_time_parse(v, ngx_strlen(v), 1, (long long *) &ms)
                   != 0)
            {
                ms = ngx_http_arthexis_ocpp_now_ms();
            }

            cn->timestamp = ms;
        }

    } else if (a->run == ngx_http_arthexis_ocpp_start && a->started) {
        if (a->connector >= 0
            && a->connector < NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS)
        {
            ch->connectors[a->connector].transaction_id = a->transaction_id;
        }

    } else if (a->run == ngx_http_arthexis_ocpp_stop && a->stopped) {
        if (a->connector >= 0
            && a->connector < NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS
            && ch->connectors[a->connector].transaction_id
               == a->transaction_id)
        {
            ch->connectors[a->connector].transaction_id = 0;
        }

    } else if (a->run == ngx_http_arthexis_ocpp_meter_values) {
        text = ax_json_dump(p, &len);

        if (text) {
            (void) ngx_http_arthexis_ocpp_zone_set_meter_values(
                                          s->mcf->zone, ch, (u_char *) text,
                                          len);
            free(text);
        }
    }

#undef ax_copy

    ngx_http_arthexis_ocpp_zone_unlock(s->mcf->zone);
}


/* --------------------------------------------------------------------------
 * The actions, on a pool thread
 */

static void
ngx_http_arthexis_ocpp_db_failed(ngx_http_arthexis_ocpp_action_t *a)
{
    a->error = "InternalError";
}


static void
ngx_http_arthexis_ocpp_boot(ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db)
{
    int             rc;
    char            now[32];
    ax_db_param_t   p[11];

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

#define ax_str(i, key)                                                       \
    ngx_http_arthexis_ocpp_string_param(&p[i],                               \
                                        json_object_get(a->payload, key))

    ax_str(0, "chargePointVendor");
    ax_str(1, "chargePointModel");
    ax_str(2, "chargePointSerialNumber");
    ax_str(3, "chargeBoxSerialNumber");
    ax_str(4, "firmwareVersion");
    ax_str(5, "iccid");
    ax_str(6, "imsi");
    ax_str(7, "meterType");
    ax_str(8, "meterSerialNumber");

#undef ax_str

    ax_db_set_text(&p[9], ngx_strlen(now), now);
    ax_db_set_text(&p[10], a->charger.len, a->charger.data);

    rc = ax_db_query(db, "UPDATE ocpp_charger SET vendor = $1, model = $2, "
                         "serial_number = $3, charge_box_serial = $4, "
                         "firmware_version = $5, iccid = $6, imsi = $7, "
                         "meter_type = $8, meter_serial = $9, boot_at = $10 "
                         "WHERE charger_id = $11", p, 11, NULL);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_pack("{s:s, s:s, s:I}",
                         "status", "Accepted",
                         "currentTime", now,
                         "interval",
                         (json_int_t) (a->heartbeat_interval / 1000));
}


static void
ngx_http_arthexis_ocpp_authorize(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    int          rc;
    json_t      *info;
    const char  *tag;

    tag = json_string_value(json_object_get(a->payload, "idTag"));

    info = ngx_http_arthexis_ocpp_id_tag_info(a, db, tag, 0, &rc);

    if (info == NULL) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_pack("{s:o}", "idTagInfo", info);
}


/*
 * idTagInfo for a tag: with the charger's require_rfid set, the tag must be
 * a known RFID with a user: Accepted; blacklisted: Blocked; unknown or
 * without a user: Invalid; past its expiry: Expired; a user whose account
 * balance is not above zero: Blocked; at StartTransaction, a tag in a
 * running transaction on another charger: ConcurrentTx.  Without
 * require_rfid: Accepted.  NULL on a database error.
 */

static json_t *
ngx_http_arthexis_ocpp_id_tag_info(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db, const char *tag, int start, int *rc)
{
    char           code[24];
    size_t         i, len;
    json_t        *info;
    int64_t        expires;
    ax_db_res_t   *res;
    const char    *status, *expiry, *parent;
    ax_db_param_t  p[2];

    /* stored upper-case: matching ignores case */

    len = tag ? ngx_min(ngx_strlen(tag), sizeof(code) - 1) : 0;

    for (i = 0; i < len; i++) {
        code[i] = ngx_toupper(tag[i]);
    }

    code[len] = '\0';

    /* the charger's require_rfid and the tag, in one round trip */

    ax_db_set_text(&p[0], a->charger.len, a->charger.data);
    ax_db_set_text(&p[1], len, code);

    *rc = ax_db_query(db,
              "SELECT c.require_rfid, r.code, r.blacklisted, r.user_id, "
              "r.expires_at, r.parent_id_tag, "
              "a.credits_kwh - a.total_kwh_spent "
              "FROM ocpp_charger c "
              "LEFT JOIN accounts_rfid r ON r.code = $2 "
              "LEFT JOIN accounts_account a ON a.user_id = r.user_id "
              "WHERE c.charger_id = $1", p, 2, &res);
    if (*rc != AX_DB_OK) {
        return NULL;
    }

    if (ax_db_res_rows(res) == 0 || !ax_db_res_int(res, 0, 0)) {
        ax_db_res_free(res);
        return json_pack("{s:s}", "status", "Accepted");
    }

    expiry = NULL;
    parent = NULL;

    if (ax_db_res_is_null(res, 0, 1)) {
        status = "Invalid";

    } else if (ax_db_res_int(res, 0, 2)) {
        /* blacklisted (and detached from its user, as in the seed) */
        status = "Blocked";

    } else if (ax_db_res_is_null(res, 0, 3)) {
        /* a tag nobody owns */
        status = "Invalid";

    } else {
        status = "Accepted";

        expiry = ax_db_res_value(res, 0, 4, NULL);
        parent = ax_db_res_value(res, 0, 5, NULL);

        if (expiry != NULL
            && ax_ocpp_time_parse(expiry, ngx_strlen(expiry), 1,
                                  (long long *) &expires) == 0
            && expires <= ngx_http_arthexis_ocpp_now_ms())
        {
            status = "Expired";

        } else if (!ax_db_res_is_null(res, 0, 6)
                   && ax_db_res_int(res, 0, 6) <= 0)
        {
            /* the account has no energy credit left */
            status = "Blocked";
        }
    }

    info = json_pack("{s:s}", "status", status);

    if (info != NULL && expiry != NULL && *expiry) {
        json_object_set_new(info, "expiryDate", json_string(expiry));
    }

    if (info != NULL && parent != NULL && *parent) {
        json_object_set_new(info, "parentIdTag", json_string(parent));
    }

    ax_db_res_free(res);

    if (info == NULL || !start || ngx_strcmp(status, "Accepted") != 0) {
        return info;
    }

    /* one running transaction per tag across the chargers */

    ax_db_set_text(&p[0], len, code);
    ax_db_set_text(&p[1], a->charger.len, a->charger.data);

    *rc = ax_db_query(db, "SELECT id FROM ocpp_transaction "
                          "WHERE upper(id_tag) = $1 AND stop_time IS NULL "
                          "AND charger_id <> $2 LIMIT 1", p, 2, &res);
    if (*rc != AX_DB_OK) {
        json_decref(info);
        return NULL;
    }

    if (ax_db_res_rows(res) > 0) {
        json_object_set_new(info, "status", json_string("ConcurrentTx"));
    }

    ax_db_res_free(res);

    return info;
}


/*
 * The check and the row in one transaction (on SQLite, BEGIN IMMEDIATE
 * also makes the ConcurrentTx check and the insert atomic); under load it
 * is part of a group commit.  A refusal ends it with a commit too, as it
 * wrote nothing: a rollback would undo the other chargers' group.
 */

static void
ngx_http_arthexis_ocpp_start(ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db)
{
    int             rc;
    char            now[32], start[32];
    json_t         *info, *v;
    ax_db_res_t    *res;
    const char     *tag, *status;
    ax_db_param_t   p[8];

    tag = json_string_value(json_object_get(a->payload, "idTag"));
    a->connector = json_integer_value(json_object_get(a->payload,
                                                      "connectorId"));

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

    rc = ax_db_begin(db);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    info = ngx_http_arthexis_ocpp_id_tag_info(a, db, tag, 1, &rc);
    if (info == NULL) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    status = json_string_value(json_object_get(info, "status"));

    if (ngx_strcmp(status, "Accepted") != 0) {
        /* refused: no transaction row */

        if (ax_db_commit(db) != AX_DB_OK) {
            json_decref(info);
            ngx_http_arthexis_ocpp_db_failed(a);
            return;
        }

        a->reply = json_pack("{s:i, s:o}", "transactionId", 0,
                             "idTagInfo", info);
        return;
    }

    ax_db_set_text(&p[0], a->charger.len, a->charger.data);
    ax_db_set_int(&p[1], a->connector);
    ax_db_set_text(&p[2], ngx_strlen(tag), tag);
    ax_db_set_int(&p[3], json_integer_value(json_object_get(a->payload,
                                                            "meterStart")));
    ngx_http_arthexis_ocpp_time_param(a, a->payload, "timestamp", start,
                                      &p[4]);
    ax_db_set_text(&p[5], ngx_strlen(now), now);

    v = json_object_get(a->payload, "reservationId");

    if (json_is_integer(v)) {
        ax_db_set_int(&p[6], json_integer_value(v));

    } else {
        ax_db_set_null(&p[6]);
    }

    rc = ax_db_query(db, "INSERT INTO ocpp_transaction (charger_id, "
                         "connector_id, id_tag, meter_start, start_time, "
                         "received_at, reservation_id) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7) "
                         "ON CONFLICT (charger_id, connector_id, id_tag, "
                         "start_time) DO NOTHING RETURNING id", p, 7, &res);

    if (rc == AX_DB_OK && ax_db_res_rows(res) == 0) {
        /* a replayed StartTransaction gets the transactionId it got */

        ax_db_res_free(res);

        rc = ax_db_query(db, "SELECT id FROM ocpp_transaction "
                             "WHERE charger_id = $1 AND connector_id = $2 "
                             "AND id_tag = $3 AND start_time = $4",
                         (ax_db_param_t []) { p[0], p[1], p[2], p[4] }, 4,
                         &res);
    }

    if (rc == AX_DB_OK) {
        a->transaction_id = ax_db_res_rows(res) ? ax_db_res_int(res, 0, 0)
                                                : 0;
        ax_db_res_free(res);
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK || a->transaction_id == 0) {
        json_decref(info);
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->started = 1;
    a->reply = json_pack("{s:I, s:o}", "transactionId",
                         (json_int_t) a->transaction_id, "idTagInfo", info);
}


/*
 * One UPDATE closes the transaction and computes the debit (Wh to kWh
 * hundredths, rounded half up); only when it finds no open transaction
 * does a SELECT tell a replay from an unknown transactionId.
 */

static void
ngx_http_arthexis_ocpp_stop(ngx_http_arthexis_ocpp_action_t *a, ax_db_t *db)
{
    int             rc;
    char            now[32], stop[32], *data, code[24];
    size_t          len, i, n;
    json_t         *td;
    int64_t         meter_stop, debit;
    ax_db_res_t    *res;
    const char     *tag, *reason, *tx_tag;
    ax_db_param_t   p[9];

    a->transaction_id = json_integer_value(json_object_get(a->payload,
                                                           "transactionId"));
    meter_stop = json_integer_value(json_object_get(a->payload, "meterStop"));
    tag = json_string_value(json_object_get(a->payload, "idTag"));
    reason = json_string_value(json_object_get(a->payload, "reason"));
    td = json_object_get(a->payload, "transactionData");

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

    data = NULL;
    len = 0;

    if (td != NULL) {
        data = ax_json_dump(td, &len);
    }

    ax_db_set_int(&p[0], meter_stop);
    ax_db_set_int(&p[1], a->transaction_id);

    ax_db_set_cstr(&p[2], reason);

    ngx_http_arthexis_ocpp_time_param(a, a->payload, "timestamp", stop,
                                      &p[3]);

    ax_db_set_cstr(&p[4], tag);

    ax_db_set_text(&p[5], ngx_strlen(now), now);

    ax_db_set_cstr(&p[6], data);

    ax_db_set_text(&p[7], a->charger.len, a->charger.data);

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        rc = ax_db_query(db, "UPDATE ocpp_transaction SET meter_stop = $1, "
                             "stop_reason = $3, stop_time = $4, "
                             "stop_id_tag = $5, stop_received_at = $6, "
                             "transaction_data = $7, kwh_debited = "
                             "CASE WHEN $1 > meter_start "
                             "THEN ($1 - meter_start + 5) / 10 ELSE 0 END "
                             "WHERE id = $2 AND charger_id = $8 "
                             "AND stop_time IS NULL "
                             "RETURNING connector_id, id_tag, kwh_debited",
                         p, 8, &res);
    }

    if (rc != AX_DB_OK) {
        free(data);
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    if (ax_db_res_rows(res) == 1) {
        a->connector = ax_db_res_int(res, 0, 0);
        tx_tag = ax_db_res_value(res, 0, 1, NULL);
        debit = ax_db_res_int(res, 0, 2);

        if (debit > 0 && tx_tag != NULL) {
            n = ngx_min(ngx_strlen(tx_tag), sizeof(code) - 1);

            for (i = 0; i < n; i++) {
                code[i] = ngx_toupper(tx_tag[i]);
            }

            code[n] = '\0';

            ax_db_set_int(&p[0], debit);
            ax_db_set_text(&p[1], n, code);

            rc = ax_db_query(db, "UPDATE accounts_account "
                                 "SET total_kwh_spent = total_kwh_spent + $1 "
                                 "WHERE user_id = (SELECT user_id "
                                 "FROM accounts_rfid WHERE code = $2)",
                             p, 2, NULL);
        }

        ax_db_res_free(res);

        if (rc == AX_DB_OK && td != NULL && json_is_array(td)) {
            rc = ngx_http_arthexis_ocpp_store_meter_values(a, db,
                                                           a->connector,
                                                           a->transaction_id,
                                                           td, now);
        }

        a->stopped = 1;
        goto done;
    }

    ax_db_res_free(res);

    /* not open: stopped already (a replay), or not known */

    rc = ax_db_query(db, "SELECT connector_id FROM ocpp_transaction "
                         "WHERE id = $1 AND charger_id = $2",
                     (ax_db_param_t []) { p[1], p[7] }, 2, &res);

    if (rc != AX_DB_OK) {
        goto done;
    }

    if (ax_db_res_rows(res) == 1) {
        /* replayed: stopped already, the account was debited once */
        a->connector = ax_db_res_int(res, 0, 0);
        ax_db_res_free(res);
        a->stopped = 1;
        goto done;
    }

    ax_db_res_free(res);

    /* unknown or -1: recorded for the operator, nothing else touched */

    rc = ax_db_query(db, "INSERT INTO ocpp_orphan_stop (charger_id, "
                         "transaction_id, id_tag, stop_time, meter_stop, "
                         "stop_reason, transaction_data, received_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                     (ax_db_param_t []) { p[7], p[1], p[4], p[3], p[0],
                                          p[2], p[6], p[5] }, 8, NULL);

    a->connector = -1;

done:

    free(data);

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK) {
        a->stopped = 0;
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = tag ? json_pack("{s:{s:s}}", "idTagInfo", "status",
                               "Accepted")
                   : json_object();
}


static void
ngx_http_arthexis_ocpp_meter_values(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    int             rc;
    char           *text, now[32];
    size_t          len;
    json_t         *v;
    int64_t         tx;
    ax_db_param_t   p[2];

    a->connector = json_integer_value(json_object_get(a->payload,
                                                      "connectorId"));
    v = json_object_get(a->payload, "transactionId");
    tx = json_is_integer(v) ? json_integer_value(v) : 0;

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

    text = ax_json_dump(a->payload, &len);
    if (text == NULL) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        rc = ngx_http_arthexis_ocpp_store_meter_values(a, db, a->connector,
                                 tx, json_object_get(a->payload, "meterValue"),
                                 now);
    }

    if (rc == AX_DB_OK) {
        /* the seed kept the payload as the charger's last_meter_values */
        ax_db_set_text(&p[0], len, text);
        ax_db_set_text(&p[1], a->charger.len, a->charger.data);

        rc = ax_db_query(db, "UPDATE ocpp_charger SET last_meter_values = $1 "
                             "WHERE charger_id = $2", p, 2, NULL);
    }

    free(text);

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_object();
}


/* every sampled value of a meterValue array, against its transaction */

static int
ngx_http_arthexis_ocpp_store_meter_values(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db, ngx_int_t connector, int64_t transaction_id,
    json_t *meter_values, const char *now)
{
    int             rc;
    char            when[32];
    size_t          i, j;
    json_t         *mv, *sv, *s;
    ax_db_param_t   p[12];

    static const char  *keys[] = { "measurand", "phase", "unit", "context",
                                   "location", "format" };

    if (!json_is_array(meter_values)) {
        return AX_DB_OK;
    }

    ax_db_set_text(&p[0], a->charger.len, a->charger.data);
    ax_db_set_int(&p[1], connector);

    if (transaction_id > 0) {
        ax_db_set_int(&p[2], transaction_id);

    } else {
        ax_db_set_null(&p[2]);
    }

    ax_db_set_text(&p[11], ngx_strlen(now), now);

    json_array_foreach(meter_values, i, mv) {

        ngx_http_arthexis_ocpp_time_param(a, mv, "timestamp", when, &p[3]);

        json_array_foreach(json_object_get(mv, "sampledValue"), j, sv) {

            for (rc = 0; rc < 6; rc++) {
                s = json_object_get(sv, keys[rc]);

                ngx_http_arthexis_ocpp_string_param(&p[4 + rc], s);
            }

            s = json_object_get(sv, "value");

            if (!json_is_string(s)) {
                continue;
            }

            ax_db_set_text(&p[10], json_string_length(s),
                           json_string_value(s));

            rc = ax_db_query(db, "INSERT INTO ocpp_meter_value (charger_id, "
                                 "connector_id, transaction_id, timestamp, "
                                 "measurand, phase, unit, context, location, "
                                 "format, value, received_at) VALUES ($1, "
                                 "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                                 "$12)", p, 12, NULL);
            if (rc != AX_DB_OK) {
                return rc;
            }
        }
    }

    return AX_DB_OK;
}


static void
ngx_http_arthexis_ocpp_status(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    int             rc;
    char            now[32], when[32];
    json_t         *v;
    ngx_uint_t      i;
    ax_db_param_t   p[9];

    static const char  *keys[] = { "status", "errorCode", "info", "vendorId",
                                   "vendorErrorCode" };

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

    a->connector = json_integer_value(json_object_get(a->payload,
                                                      "connectorId"));

    ax_db_set_text(&p[0], a->charger.len, a->charger.data);
    ax_db_set_int(&p[1], a->connector);

    for (i = 0; i < 5; i++) {
        v = json_object_get(a->payload, keys[i]);

        ngx_http_arthexis_ocpp_string_param(&p[2 + i], v);
    }

    if (json_object_get(a->payload, "timestamp")) {
        ngx_http_arthexis_ocpp_time_param(a, a->payload, "timestamp", when,
                                          &p[7]);

    } else {
        ax_db_set_null(&p[7]);
    }

    ax_db_set_text(&p[8], ngx_strlen(now), now);

    rc = ax_db_begin(db);

    if (rc == AX_DB_OK) {
        rc = ax_db_query(db, "INSERT INTO ocpp_connector (charger_id, "
                             "connector_id, status, error_code, info, "
                             "vendor_id, vendor_error_code, timestamp, "
                             "received_at) VALUES ($1, $2, $3, $4, $5, $6, "
                             "$7, $8, $9) ON CONFLICT (charger_id, "
                             "connector_id) DO UPDATE SET "
                             "status = excluded.status, "
                             "error_code = excluded.error_code, "
                             "info = excluded.info, "
                             "vendor_id = excluded.vendor_id, "
                             "vendor_error_code = excluded.vendor_error_code, "
                             "timestamp = excluded.timestamp, "
                             "received_at = excluded.received_at",
                         p, 9, NULL);
    }

    if (rc == AX_DB_OK && a->connector == 0) {
        p[1] = p[2];
        rc = ax_db_query(db, "UPDATE ocpp_charger SET status = $2 "
                             "WHERE charger_id = $1", p, 2, NULL);
    }

    if (rc == AX_DB_OK) {
        rc = ax_db_commit(db);
    }

    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_object();
}


static void
ngx_http_arthexis_ocpp_data_transfer(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    int             rc;
    char            now[32], status[32];
    json_t         *v;
    ax_db_param_t   p[6];

    ngx_http_arthexis_ocpp_iso_time(ngx_http_arthexis_ocpp_now_ms(), now);

    ngx_cpystrn((u_char *) status, a->dt_status.data,
                ngx_min(a->dt_status.len + 1, sizeof(status)));

    ax_db_set_text(&p[0], a->charger.len, a->charger.data);

    v = json_object_get(a->payload, "vendorId");
    ax_db_set_text(&p[1], json_string_length(v), json_string_value(v));

    v = json_object_get(a->payload, "messageId");

    ngx_http_arthexis_ocpp_string_param(&p[2], v);

    v = json_object_get(a->payload, "data");

    ngx_http_arthexis_ocpp_string_param(&p[3], v);

    ax_db_set_text(&p[4], ngx_strlen(status), status);
    ax_db_set_text(&p[5], ngx_strlen(now), now);

    rc = ax_db_query(db, "INSERT INTO ocpp_data_transfer (charger_id, "
                         "vendor_id, message_id, data, status, received_at) "
                         "VALUES ($1, $2, $3, $4, $5, $6)", p, 6, NULL);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_pack("{s:s}", "status", status);
}


static void
ngx_http_arthexis_ocpp_charger_field(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db, const char *sql)
{
    int             rc;
    json_t         *v;
    ax_db_param_t   p[2];

    v = json_object_get(a->payload, "status");

    ax_db_set_text(&p[0], json_string_length(v), json_string_value(v));
    ax_db_set_text(&p[1], a->charger.len, a->charger.data);

    rc = ax_db_query(db, sql, p, 2, NULL);
    if (rc != AX_DB_OK) {
        ngx_http_arthexis_ocpp_db_failed(a);
        return;
    }

    a->reply = json_object();
}


static void
ngx_http_arthexis_ocpp_diagnostics(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    ngx_http_arthexis_ocpp_charger_field(a, db,
        "UPDATE ocpp_charger SET diagnostics_status = $1 "
        "WHERE charger_id = $2");
}


static void
ngx_http_arthexis_ocpp_firmware(ngx_http_arthexis_ocpp_action_t *a,
    ax_db_t *db)
{
    ngx_http_arthexis_ocpp_charger_field(a, db,
        "UPDATE ocpp_charger SET firmware_status = $1 "
        "WHERE charger_id = $2");
}


/* a charger's timestamp as stored: UTC with Z (read as UTC without an
 * offset when lenient); the time received when it cannot be read */

/* a payload's string as a parameter: NULL when absent or not a string */

static void
ngx_http_arthexis_ocpp_string_param(ax_db_param_t *p, json_t *v)
{
    if (json_is_string(v)) {
        ax_db_set_text(p, json_string_length(v), json_string_value(v));

    } else {
        ax_db_set_null(p);
    }
}


static void
ngx_http_arthexis_ocpp_time_param(ngx_http_arthexis_ocpp_action_t *a,
    json_t *obj, const char *key, char *out, ax_db_param_t *p)
{
    json_t     *v;
    long long   ms;

    v = json_object_get(obj, key);

    if (!json_is_string(v)
        || ax_ocpp_time_parse(json_string_value(v), json_string_length(v),
                              (a->lenient & AX_OCPP_LENIENT_TIME_NO_OFFSET)
                              != 0, &ms)
           != 0)
    {
        ms = ngx_http_arthexis_ocpp_now_ms();
    }

    ngx_http_arthexis_ocpp_iso_time(ms, out);
    ax_db_set_text(p, ngx_strlen(out), out);
}
