
/*
 * HTTP client transfers with libcurl, driven by nginx's event loop.
 *
 * One curl multi handle per worker.  Its sockets are wrapped in nginx
 * connections (ngx_get_connection) and watched with level-triggered
 * events; its timer is one nginx timer; curl_multi_socket_action() runs
 * from their handlers and finished transfers call their done handler on
 * the event loop.  Nothing here ever blocks: name resolution runs in
 * curl's resolver thread.
 *
 * A transfer lives in a pool (normally the request's): destroying the pool
 * stops the transfer and frees everything, so a request that goes away
 * while curl runs leaves nothing behind.
 *
 *     t = ngx_http_arthexis_curl_create(r->pool, r->connection->log);
 *     curl_easy_setopt(t->easy, CURLOPT_URL, url);
 *     t->done = my_done;
 *     t->data = ctx;
 *     t->allow = conf->allow;
 *     ngx_http_arthexis_curl_start(t, timeout);
 *
 * Every worker that uses it calls ngx_http_arthexis_curl_init_process()
 * and ngx_http_arthexis_curl_exit_process() from its module (repeated
 * calls are harmless).
 */

#ifndef _NGX_HTTP_ARTHEXIS_CURL_H_INCLUDED_
#define _NGX_HTTP_ARTHEXIS_CURL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <curl/curl.h>


/*
 * Where transfers may connect, checked on every address curl is about to
 * connect to (after name resolution, so a name that resolves to an
 * internal address is refused as well).
 */
typedef struct {
    ngx_array_t                       *cidrs;    /* of ngx_cidr_t, or NULL */
    unsigned                           public:1; /* globally routable
                                                    unicast addresses */
    unsigned                           any:1;    /* no restriction */
} ngx_http_arthexis_curl_allow_t;


typedef struct ngx_http_arthexis_curl_s  ngx_http_arthexis_curl_t;

/* on the event loop, once per start(); may start the transfer again, or
 * destroy its pool */
typedef void (*ngx_http_arthexis_curl_done_pt)(ngx_http_arthexis_curl_t *t);


struct ngx_http_arthexis_curl_s {
    CURL                              *easy;     /* set URL, body, ... */
    ngx_log_t                         *log;
    ngx_http_arthexis_curl_done_pt     done;
    void                              *data;
    ngx_http_arthexis_curl_allow_t    *allow;    /* NULL: any address */
    size_t                             max_size; /* of the answer body */
    struct curl_slist                 *headers;  /* freed with t */

    /* the outcome, for done */
    CURLcode                           result;
    long                               status;   /* HTTP status, 0: none */
    u_char                            *body;     /* NUL-terminated */
    size_t                             len;
    char                               refused[NGX_SOCKADDR_STRLEN + 1];
                                                 /* an address refused by
                                                    allow, "" if none */
    char                               error[CURL_ERROR_SIZE];

    /* private */
    size_t                             size;
    ngx_pool_t                        *pool;
    unsigned                           active:1;
    unsigned                           too_large:1;
};


ngx_int_t ngx_http_arthexis_curl_init_process(ngx_cycle_t *cycle);
void ngx_http_arthexis_curl_exit_process(ngx_cycle_t *cycle);

/*
 * A transfer in pool with safe defaults: http and https only, no
 * redirects, no proxy, the answer limited to 1 MiB (max_size), a
 * User-Agent.  NULL on failure.
 */
ngx_http_arthexis_curl_t *ngx_http_arthexis_curl_create(ngx_pool_t *pool,
    ngx_log_t *log);

/* starts (or starts again) with a total timeout; NGX_ERROR on failure */
ngx_int_t ngx_http_arthexis_curl_start(ngx_http_arthexis_curl_t *t,
    ngx_msec_t timeout);

/* stops a running transfer without calling done */
void ngx_http_arthexis_curl_cancel(ngx_http_arthexis_curl_t *t);

/* NGX_OK when allow lets transfers connect to sa, else NGX_DECLINED */
ngx_int_t ngx_http_arthexis_curl_allowed(ngx_http_arthexis_curl_allow_t *allow,
    struct sockaddr *sa, socklen_t socklen);

/*
 * A directive slot: "NAME public | any | ADDRESS[/BITS] | HOST ...;" into
 * an ngx_http_arthexis_curl_allow_t * at cmd->offset (NGX_CONF_UNSET_PTR
 * until set).  A HOST is resolved when the configuration is read.
 * ngx_http_arthexis_curl_allow_public is the default to merge with.
 */
char *ngx_http_arthexis_curl_allow_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

extern ngx_http_arthexis_curl_allow_t  ngx_http_arthexis_curl_allow_public;


#endif /* _NGX_HTTP_ARTHEXIS_CURL_H_INCLUDED_ */
