
/*
 * The OCPP 1.6J central system: charge points over WebSocket, their live
 * state in a shared-memory zone that every worker reads, durable records in
 * the database, and REST routes for operators whose remote actions reach
 * the worker that holds the charger's socket.
 *
 *   ngx_http_arthexis_ocpp_module.c   directives, configuration, init
 *   ngx_http_arthexis_ocpp_zone.c     the shared-memory zone
 *   ngx_http_arthexis_ocpp_session.c  a charge point's WebSocket session
 *   ngx_http_arthexis_ocpp_actions.c  what each 1.6 action does (DB jobs)
 *   ngx_http_arthexis_ocpp_api.c      REST: list, detail, remote actions
 *   ngx_http_arthexis_ocpp_ipc.c      commands between workers
 */

#ifndef _NGX_HTTP_ARTHEXIS_OCPP_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_OCPP_H_INCLUDED_


#include "ngx_http_arthexis.h"
#include "ngx_http_arthexis_ws.h"

#include <ax_ocpp.h>
#include <ax_ocpp_schema.h>


#define NGX_HTTP_ARTHEXIS_OCPP_ID_MAX        48
#define NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS    5     /* 0..4 kept in the zone */
#define NGX_HTTP_ARTHEXIS_OCPP_PENDING_MAX   64    /* queued inbound CALLs */
#define NGX_HTTP_ARTHEXIS_OCPP_CALLS_MAX     16    /* queued outbound CALLs */
#define NGX_HTTP_ARTHEXIS_OCPP_METER_MAX     2048  /* last MeterValues kept */


/* ------------------------------------------------------------------------
 * The shared-memory zone
 */

typedef struct {
    u_char                      status[16];
    u_char                      error_code[24];
    u_char                      info[52];
    int64_t                     timestamp;        /* ms, the charger's */
    int64_t                     transaction_id;   /* active, 0: none */
} ngx_http_arthexis_ocpp_connector_t;


typedef struct {
    u_char                      vendor[24];
    u_char                      model[24];
    u_char                      serial_number[28];
    u_char                      charge_box_serial[28];
    u_char                      firmware_version[52];
    u_char                      iccid[24];
    u_char                      imsi[24];
    u_char                      meter_type[28];
    u_char                      meter_serial[28];
    int64_t                     at;               /* ms, 0: never booted */
} ngx_http_arthexis_ocpp_boot_t;


typedef struct {
    ngx_rbtree_node_t           node;             /* key: hash of id */
    ngx_queue_t                 lru;              /* most recent first */

    u_char                      id[NGX_HTTP_ARTHEXIS_OCPP_ID_MAX];
    u_char                      id_len;
    unsigned                    connected:1;
    unsigned                    require_rfid:1;

    /* the worker that holds the socket */
    ngx_pid_t                   owner_pid;
    ngx_int_t                   owner_slot;
    uint64_t                    session;          /* owner's session id */

    int64_t                     connected_at;     /* ms */
    int64_t                     last_seen;        /* ms, any frame */
    int64_t                     last_heartbeat;   /* ms */

    ngx_http_arthexis_ocpp_boot_t        boot;
    ngx_http_arthexis_ocpp_connector_t   connectors[
                                        NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS];

    u_char                     *meter_values;     /* JSON, slab, or NULL */
    size_t                      meter_values_len;

    /* the message log: a ring of records, oldest dropped first */
    u_char                     *log;              /* slab, log_size bytes */
    size_t                      log_head;         /* oldest record */
    size_t                      log_used;
} ngx_http_arthexis_ocpp_charger_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;
    ngx_uint_t                  chargers;
    ngx_uint_t                  evicted;
    ngx_uint_t                  full_logged;
    u_char                      token[16];        /* authenticates IPC */
} ngx_http_arthexis_ocpp_shctx_t;


/*
 * A session's handle on its charger's record: the pointer stays valid
 * while no record has been evicted since it was found (records are freed
 * by eviction only, which counts them in sh->evicted), so a Heartbeat
 * needs no walk of the rbtree.
 */

typedef struct {
    ngx_http_arthexis_ocpp_charger_t  *charger;
    ngx_uint_t                         evicted;   /* sh->evicted then */
} ngx_http_arthexis_ocpp_zone_ref_t;


typedef struct {
    ngx_http_arthexis_ocpp_shctx_t  *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_shm_zone_t                  *shm_zone;
    size_t                           log_size;
} ngx_http_arthexis_ocpp_zone_t;


/* ------------------------------------------------------------------------
 * Configuration
 */

typedef struct {
    ngx_http_arthexis_ocpp_zone_t  *zone;
    ax_ocpp_schemas_t              *schemas;
    ngx_flag_t                      force_ipc;
} ngx_http_arthexis_ocpp_main_conf_t;


typedef struct {
    ngx_http_arthexis_ws_conf_t     ws;
    ngx_msec_t                      heartbeat_interval;
    ngx_msec_t                      ping_interval;
    ngx_msec_t                      call_timeout;
    size_t                          max_message_size;
    ngx_uint_t                      id_max_len;
    ngx_flag_t                      require_subprotocol;
    ngx_flag_t                      autoregister;
    ngx_flag_t                      require_rfid;
    ngx_flag_t                      lenient_time;
    ngx_flag_t                      lenient_numeric_value;
    ngx_flag_t                      lenient_celsius;
    ngx_flag_t                      lenient_hertz;
    ngx_flag_t                      lenient_null_payload;
    ngx_str_t                       data_transfer_status;
    unsigned                        lenient;          /* AX_OCPP_LENIENT_* */
    unsigned                        endpoint:1;       /* ocpp_charge_point */
} ngx_http_arthexis_ocpp_loc_conf_t;


/* ------------------------------------------------------------------------
 * A charge point's session (worker memory, in the request's pool)
 */

typedef struct ngx_http_arthexis_ocpp_call_s  ngx_http_arthexis_ocpp_call_t;
typedef struct ngx_http_arthexis_ocpp_session_s
    ngx_http_arthexis_ocpp_session_t;

typedef void (*ngx_http_arthexis_ocpp_call_done_pt)(
    ngx_http_arthexis_ocpp_call_t *call, ngx_uint_t status, json_t *reply);


/* a CALL from us to the charger, waiting for its turn or its answer */
struct ngx_http_arthexis_ocpp_call_s {
    ngx_queue_t                          queue;
    char                                 id[40];
    char                                *frame;       /* malloc'd */
    size_t                               frame_len;
    const char                          *action;      /* static */
    ngx_http_arthexis_ocpp_call_done_pt  done;
    void                                *data;
    ngx_event_t                          timer;
    ngx_http_arthexis_ocpp_session_t    *session;
};


/* an inbound CALL waiting while an earlier one is in the database */
typedef struct {
    ngx_queue_t                          queue;
    size_t                               len;
    u_char                               text[1];
} ngx_http_arthexis_ocpp_pending_t;


struct ngx_http_arthexis_ocpp_session_s {
    ngx_rbtree_node_t                    node;        /* key: session id */
    ngx_http_arthexis_ws_t              *ws;
    ngx_http_arthexis_ocpp_loc_conf_t   *conf;
    ngx_http_arthexis_ocpp_main_conf_t  *mcf;
    ngx_log_t                           *log;
    ngx_str_t                            id;          /* charger id */
    uint64_t                             session;
    ngx_http_arthexis_ocpp_zone_ref_t    zref;        /* its record */

    ngx_uint_t                           jobs;        /* in the database */
    ngx_queue_t                          pending;     /* inbound, waiting */
    ngx_uint_t                           npending;

    ngx_queue_t                          calls;       /* outbound, queued */
    ngx_uint_t                           ncalls;
    ngx_http_arthexis_ocpp_call_t       *outstanding;
    ngx_uint_t                           next_call_id;

    /* its entry in the heartbeat batch (index + 1) and which batch */
    ngx_uint_t                           beat_index;
    ngx_uint_t                           beat_batch;

    unsigned                             closed:1;
};


/* zone (ngx_http_arthexis_ocpp_zone.c) */

char *ngx_http_arthexis_ocpp_zone_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
void ngx_http_arthexis_ocpp_zone_init_worker(ngx_cycle_t *cycle,
    ngx_http_arthexis_ocpp_zone_t *zone);
ngx_int_t ngx_http_arthexis_ocpp_zone_attach(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_str_t *id, uint64_t session,
    ngx_uint_t require_rfid, ngx_pid_t *prev_pid, uint64_t *prev_session,
    ngx_log_t *log);
void ngx_http_arthexis_ocpp_zone_detach(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_str_t *id, uint64_t session);
void ngx_http_arthexis_ocpp_zone_log(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_zone_ref_t *ref, ngx_str_t *id, u_char dir,
    u_char *text, size_t len);
void ngx_http_arthexis_ocpp_zone_log_locked(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch,
    u_char dir, u_char *text, size_t len);
ngx_http_arthexis_ocpp_charger_t *ngx_http_arthexis_ocpp_zone_lookup(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_str_t *id);
ngx_http_arthexis_ocpp_charger_t *ngx_http_arthexis_ocpp_zone_find(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_zone_ref_t *ref,
    ngx_str_t *id);
void ngx_http_arthexis_ocpp_zone_lock(ngx_http_arthexis_ocpp_zone_t *zone);
void ngx_http_arthexis_ocpp_zone_unlock(ngx_http_arthexis_ocpp_zone_t *zone);
ngx_int_t ngx_http_arthexis_ocpp_zone_set_meter_values(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch,
    u_char *json, size_t len);
json_t *ngx_http_arthexis_ocpp_zone_log_json(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch);
json_t *ngx_http_arthexis_ocpp_zone_charger_json(
    ngx_http_arthexis_ocpp_charger_t *ch);


/* sessions (ngx_http_arthexis_ocpp_session.c) */

ngx_int_t ngx_http_arthexis_ocpp_handler(ngx_http_request_t *r);
ngx_http_arthexis_ocpp_session_t *ngx_http_arthexis_ocpp_session_find(
    uint64_t session);
void ngx_http_arthexis_ocpp_session_reply(
    ngx_http_arthexis_ocpp_session_t *s, const char *id, size_t id_len,
    json_t *payload);
void ngx_http_arthexis_ocpp_session_error(
    ngx_http_arthexis_ocpp_session_t *s, const char *id, size_t id_len,
    const char *code, const char *description);
ngx_int_t ngx_http_arthexis_ocpp_session_call(
    ngx_http_arthexis_ocpp_session_t *s, const char *action, json_t *payload,
    ngx_http_arthexis_ocpp_call_done_pt done, void *data);
void ngx_http_arthexis_ocpp_session_close(ngx_http_arthexis_ocpp_session_t *s,
    const char *why);
void ngx_http_arthexis_ocpp_session_job_done(
    ngx_http_arthexis_ocpp_session_t *s);
uint64_t ngx_http_arthexis_ocpp_session_key(ngx_uint_t ws_id);


/* actions (ngx_http_arthexis_ocpp_actions.c) */

ngx_int_t ngx_http_arthexis_ocpp_dispatch(
    ngx_http_arthexis_ocpp_session_t *s, ax_ocpp_msg_t *msg);
ngx_int_t ngx_http_arthexis_ocpp_ensure_charger(ngx_http_request_t *r,
    ngx_str_t *id);
void ngx_http_arthexis_ocpp_flush_heartbeats(ngx_uint_t now);
int64_t ngx_http_arthexis_ocpp_now_ms(void);        /* any thread */
int64_t ngx_http_arthexis_ocpp_loop_ms(void);       /* the event loop */
void ngx_http_arthexis_ocpp_iso_time(int64_t ms, char *out);


/* REST (ngx_http_arthexis_ocpp_api.c) */

ngx_int_t ngx_http_arthexis_ocpp_api_handler(ngx_http_request_t *r);
const char *ngx_http_arthexis_ocpp_action_name(const char *action);
ngx_int_t ngx_http_arthexis_ocpp_api_respond(ngx_http_request_t *r,
    ngx_uint_t status, const char *frame, size_t frame_len, json_t *reply);


/* between workers (ngx_http_arthexis_ocpp_ipc.c) */

ngx_int_t ngx_http_arthexis_ocpp_ipc_init_worker(ngx_cycle_t *cycle);
void ngx_http_arthexis_ocpp_ipc_exit_worker(void);
ngx_int_t ngx_http_arthexis_ocpp_ipc_command(ngx_http_request_t *r,
    ngx_pid_t pid, uint64_t session, ngx_str_t *id, const char *action,
    json_t *payload);
ngx_int_t ngx_http_arthexis_ocpp_ipc_close(ngx_pid_t pid, uint64_t session);


extern ngx_module_t  ngx_http_arthexis_ocpp_module;


#endif /* _NGX_HTTP_ARTHEXIS_OCPP_H_INCLUDED_ */
