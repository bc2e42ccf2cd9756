
/*
 * libcurl's multi-socket interface on nginx's event loop.
 *
 *   CURLMOPT_SOCKETFUNCTION   wraps each curl socket once in an nginx
 *                             connection (remembered with
 *                             curl_multi_assign) and maps CURL_POLL_IN/OUT
 *                             to level-triggered read/write events;
 *                             CURL_POLL_REMOVE deletes the events and frees
 *                             the connection without closing the socket,
 *                             which curl owns (and may keep in its cache).
 *   CURLMOPT_TIMERFUNCTION    drives one nginx timer.
 *   event and timer handlers  call curl_multi_socket_action(), then read
 *                             CURLMSG_DONE messages and call each finished
 *                             transfer's done handler.
 *
 * libcurl is never called from inside its own callbacks.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_arthexis_curl.h"


#define NGX_HTTP_ARTHEXIS_CURL_MAX_SIZE  (1024 * 1024)


typedef struct {
    int                 family;
    u_char              addr[16];
    ngx_uint_t          bits;
} ngx_http_arthexis_curl_range_t;


static ngx_int_t ngx_http_arthexis_curl_multi(ngx_log_t *log);
static int ngx_http_arthexis_curl_socket(CURL *easy, curl_socket_t s,
    int what, void *userp, void *socketp);
static void ngx_http_arthexis_curl_release(ngx_connection_t *c);
static int ngx_http_arthexis_curl_timer(CURLM *multi, long timeout_ms,
    void *userp);
static void ngx_http_arthexis_curl_event_handler(ngx_event_t *ev);
static void ngx_http_arthexis_curl_timer_handler(ngx_event_t *ev);
static void ngx_http_arthexis_curl_check(void);
static void ngx_http_arthexis_curl_finish(ngx_http_arthexis_curl_t *t,
    CURLcode result);
static size_t ngx_http_arthexis_curl_write(char *p, size_t size,
    size_t nmemb, void *data);
static curl_socket_t ngx_http_arthexis_curl_open_socket(void *data,
    curlsocktype purpose, struct curl_sockaddr *address);
static int ngx_http_arthexis_curl_prereq(void *data, char *primary_ip,
    char *local_ip, int primary_port, int local_port);
static void ngx_http_arthexis_curl_cleanup(void *data);
static ngx_int_t ngx_http_arthexis_curl_public(struct sockaddr *sa);


ngx_http_arthexis_curl_allow_t  ngx_http_arthexis_curl_allow_public = {
    NULL, 1, 0
};


/* one multi handle per worker, its timer, the transfers running */
static ngx_uint_t        ngx_http_arthexis_curl_initialized;
static CURLM            *ngx_http_arthexis_curl_multi_handle;
static ngx_event_t       ngx_http_arthexis_curl_timer_event;
static ngx_uint_t        ngx_http_arthexis_curl_running;

/* the timer's data: event debug lines print its fd */
static ngx_connection_t  ngx_http_arthexis_curl_timer_conn;


/*
 * What is not a public unicast address: this network, private networks,
 * shared address space (CGNAT), loopback, link-local, IETF protocol
 * assignments, documentation, 6to4 relay anycast, benchmarking,
 * multicast, reserved and broadcast; for IPv6 the unspecified and
 * loopback addresses and IPv4-compatible ones, NAT64, discard-only, IETF
 * protocol assignments (Teredo included), documentation, 6to4, unique
 * local, link-local, site-local and multicast.  IPv4-mapped IPv6
 * addresses are checked as IPv4.
 */

static const ngx_http_arthexis_curl_range_t  ngx_http_arthexis_curl_private[]
    = {
    { AF_INET, { 0 }, 8 },
    { AF_INET, { 10 }, 8 },
    { AF_INET, { 100, 64 }, 10 },
    { AF_INET, { 127 }, 8 },
    { AF_INET, { 169, 254 }, 16 },
    { AF_INET, { 172, 16 }, 12 },
    { AF_INET, { 192, 0, 0 }, 24 },
    { AF_INET, { 192, 0, 2 }, 24 },
    { AF_INET, { 192, 88, 99 }, 24 },
    { AF_INET, { 192, 168 }, 16 },
    { AF_INET, { 198, 18 }, 15 },
    { AF_INET, { 198, 51, 100 }, 24 },
    { AF_INET, { 203, 0, 113 }, 24 },
    { AF_INET, { 224 }, 4 },
    { AF_INET, { 240 }, 4 },
#if (NGX_HAVE_INET6)
    { AF_INET6, { 0 }, 96 },
    { AF_INET6, { 0x00, 0x64, 0xff, 0x9b }, 96 },
    { AF_INET6, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },
    { AF_INET6, { 0x01, 0x00 }, 64 },
    { AF_INET6, { 0x20, 0x01 }, 23 },
    { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 }, 32 },
    { AF_INET6, { 0x20, 0x02 }, 16 },
    { AF_INET6, { 0xfc }, 7 },
    { AF_INET6, { 0xfe, 0x80 }, 10 },
    { AF_INET6, { 0xfe, 0xc0 }, 10 },
    { AF_INET6, { 0xff }, 8 },
#endif
    { 0, { 0 }, 0 }
};


ngx_int_t
ngx_http_arthexis_curl_init_process(ngx_cycle_t *cycle)
{
    CURLcode  rc;

    if (ngx_http_arthexis_curl_initialized) {
        return NGX_OK;
    }

    rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (rc != CURLE_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "curl_global_init() failed: %s",
                      curl_easy_strerror(rc));
        return NGX_ERROR;
    }

    ngx_http_arthexis_curl_initialized = 1;

    return NGX_OK;
}


void
ngx_http_arthexis_curl_exit_process(ngx_cycle_t *cycle)
{
    if (!ngx_http_arthexis_curl_initialized) {
        return;
    }

    if (ngx_http_arthexis_curl_multi_handle) {
        (void) curl_multi_cleanup(ngx_http_arthexis_curl_multi_handle);
        ngx_http_arthexis_curl_multi_handle = NULL;
    }

    if (ngx_http_arthexis_curl_timer_event.timer_set) {
        ngx_del_timer(&ngx_http_arthexis_curl_timer_event);
    }

    curl_global_cleanup();
    ngx_http_arthexis_curl_initialized = 0;
}


static ngx_int_t
ngx_http_arthexis_curl_multi(ngx_log_t *log)
{
    CURLM        *multi;
    ngx_event_t  *ev;

    if (ngx_http_arthexis_curl_multi_handle) {
        return NGX_OK;
    }

    if (!ngx_http_arthexis_curl_initialized) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "arthexis curl: used before init_process");
        return NGX_ERROR;
    }

    multi = curl_multi_init();
    if (multi == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "curl_multi_init() failed");
        return NGX_ERROR;
    }

    if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION,
                          ngx_http_arthexis_curl_socket) != CURLM_OK
        || curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION,
                             ngx_http_arthexis_curl_timer) != CURLM_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "curl_multi_setopt() failed");
        (void) curl_multi_cleanup(multi);
        return NGX_ERROR;
    }

    ev = &ngx_http_arthexis_curl_timer_event;
    ngx_memzero(ev, sizeof(ngx_event_t));
    ev->handler = ngx_http_arthexis_curl_timer_handler;
    ev->log = ngx_cycle->log;
    ev->data = &ngx_http_arthexis_curl_timer_conn;
    ngx_http_arthexis_curl_timer_conn.fd = (ngx_socket_t) -1;
    ev->cancelable = 1;

    ngx_http_arthexis_curl_multi_handle = multi;

    return NGX_OK;
}


/* --- curl's callbacks: nginx calls only, never libcurl ----------------- */


static int
ngx_http_arthexis_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_connection_t  *c = socketp;

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "arthexis curl: socket %d what:%d c:%p", s, what, c);

    if (what == CURL_POLL_REMOVE) {
        if (c != NULL) {
            ngx_http_arthexis_curl_release(c);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, ngx_cycle->log);
        if (c == NULL) {
            /* libcurl fails every transfer of the multi handle */
            return -1;
        }

        c->read->handler = ngx_http_arthexis_curl_event_handler;
        c->write->handler = ngx_http_arthexis_curl_event_handler;
        c->read->log = c->log;
        c->write->log = c->log;

        if (curl_multi_assign(ngx_http_arthexis_curl_multi_handle, s, c)
            != CURLM_OK)
        {
            ngx_http_arthexis_curl_release(c);
            return -1;
        }
    }

    /* level-triggered: curl reads and writes as much as it wants */

    if (what & CURL_POLL_IN) {
        if (!c->read->active
            && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->read->active) {
        if (ngx_del_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
            return -1;
        }
    }

    if (what & CURL_POLL_OUT) {
        if (!c->write->active
            && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->write->active) {
        if (ngx_del_event(c->write, NGX_WRITE_EVENT, 0) != NGX_OK) {
            return -1;
        }
    }

    return 0;
}


/* forgets a socket: curl still owns it (ngx_close_connection never) */

static void
ngx_http_arthexis_curl_release(ngx_connection_t *c)
{
    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_free_connection(c);

    /* events still queued for this connection in this iteration are
     * stale from now on */
    c->fd = (ngx_socket_t) -1;
}


static int
ngx_http_arthexis_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_event_t  *ev = &ngx_http_arthexis_curl_timer_event;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "arthexis curl: timer %l", timeout_ms);

    /* deleted first: ngx_add_timer() keeps a timer that is within 300 ms
     * of the new one */

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    if (timeout_ms >= 0) {
        ngx_add_timer(ev, (ngx_msec_t) timeout_ms);
    }

    return 0;
}


static curl_socket_t
ngx_http_arthexis_curl_open_socket(void *data, curlsocktype purpose,
    struct curl_sockaddr *address)
{
    ngx_http_arthexis_curl_t  *t = data;

    size_t         n;
    curl_socket_t  s;

    if (purpose != CURLSOCKTYPE_IPCXN) {
        return CURL_SOCKET_BAD;
    }

    if (t->allow != NULL
        && ngx_http_arthexis_curl_allowed(t->allow, &address->addr,
                                          address->addrlen)
           != NGX_OK)
    {
        n = ngx_sock_ntop(&address->addr, address->addrlen,
                          (u_char *) t->refused, NGX_SOCKADDR_STRLEN, 0);
        t->refused[n] = '\0';

        ngx_log_error(NGX_LOG_INFO, t->log, 0,
                      "arthexis curl: connection to %s refused: not an "
                      "allowed address", t->refused);

        return CURL_SOCKET_BAD;
    }

    /* a connection to wrap it in, kept for the socket callback */

    if (ngx_cycle->free_connection_n < 2) {
        ngx_log_error(NGX_LOG_WARN, t->log, 0,
                      "arthexis curl: worker_connections are not enough");
        return CURL_SOCKET_BAD;
    }

    s = socket(address->family, address->socktype | SOCK_CLOEXEC,
               address->protocol);

    if (s == (curl_socket_t) -1) {
        ngx_log_error(NGX_LOG_ERR, t->log, ngx_socket_errno,
                      "arthexis curl: socket() failed");
        return CURL_SOCKET_BAD;
    }

    return s;
}


/*
 * Every transfer, on a new or a reused connection, before the request is
 * sent: a connection cached for a transfer with a wider allow list must
 * not serve one with a narrower list.
 */

static int
ngx_http_arthexis_curl_prereq(void *data, char *primary_ip, char *local_ip,
    int primary_port, int local_port)
{
    ngx_http_arthexis_curl_t  *t = data;

    size_t                n;
    socklen_t             len;
    struct sockaddr      *sa;
    struct sockaddr_in    sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6   sin6;
#endif

    if (t->allow == NULL) {
        return CURL_PREREQFUNC_OK;
    }

    sa = NULL;
    len = 0;

    ngx_memzero(&sin, sizeof(struct sockaddr_in));

    if (inet_pton(AF_INET, primary_ip, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sa = (struct sockaddr *) &sin;
        len = sizeof(struct sockaddr_in);
    }

#if (NGX_HAVE_INET6)
    ngx_memzero(&sin6, sizeof(struct sockaddr_in6));

    if (sa == NULL && inet_pton(AF_INET6, primary_ip, &sin6.sin6_addr) == 1)
    {
        sin6.sin6_family = AF_INET6;
        sa = (struct sockaddr *) &sin6;
        len = sizeof(struct sockaddr_in6);
    }
#endif

    if (sa != NULL
        && ngx_http_arthexis_curl_allowed(t->allow, sa, len) == NGX_OK)
    {
        /* another address of the name may have been refused: not this */
        t->refused[0] = '\0';
        return CURL_PREREQFUNC_OK;
    }

    n = ngx_min(ngx_strlen(primary_ip), NGX_SOCKADDR_STRLEN);
    ngx_memcpy(t->refused, primary_ip, n);
    t->refused[n] = '\0';

    ngx_log_error(NGX_LOG_INFO, t->log, 0,
                  "arthexis curl: connection to %s refused: not an "
                  "allowed address", t->refused);

    return CURL_PREREQFUNC_ABORT;
}


static size_t
ngx_http_arthexis_curl_write(char *p, size_t size, size_t nmemb, void *data)
{
    ngx_http_arthexis_curl_t  *t = data;

    u_char  *body;
    size_t   len, need, n;

    len = size * nmemb;

    if (len > t->max_size || t->len > t->max_size - len) {
        t->too_large = 1;
        return 0;
    }

    need = t->len + len + 1;

    if (need > t->size) {
        n = t->size ? t->size : 4096;

        while (n < need) {
            n *= 2;
        }

        body = realloc(t->body, n);
        if (body == NULL) {
            return 0;
        }

        t->body = body;
        t->size = n;
    }

    ngx_memcpy(t->body + t->len, p, len);
    t->len += len;
    t->body[t->len] = '\0';

    return len;
}


/* --- nginx's handlers: libcurl calls ----------------------------------- */


static void
ngx_http_arthexis_curl_event_handler(ngx_event_t *ev)
{
    int                running;
    CURLMcode          rc;
    curl_socket_t      s;
    ngx_connection_t  *c;

    c = ev->data;
    s = c->fd;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, ev->log, 0,
                   "arthexis curl: %s on socket %d",
                   ev->write ? "write" : "read", s);

    /* c may be released inside: not used after this call */

    rc = curl_multi_socket_action(ngx_http_arthexis_curl_multi_handle, s,
                                  ev->write ? CURL_CSELECT_OUT
                                            : CURL_CSELECT_IN,
                                  &running);

    if (rc != CURLM_OK) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "curl_multi_socket_action() failed: %s",
                      curl_multi_strerror(rc));
    }

    ngx_http_arthexis_curl_check();
}


static void
ngx_http_arthexis_curl_timer_handler(ngx_event_t *ev)
{
    int        running;
    CURLMcode  rc;

    rc = curl_multi_socket_action(ngx_http_arthexis_curl_multi_handle,
                                  CURL_SOCKET_TIMEOUT, 0, &running);

    if (rc != CURLM_OK) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "curl_multi_socket_action() failed: %s",
                      curl_multi_strerror(rc));
    }

    ngx_http_arthexis_curl_check();
}


static void
ngx_http_arthexis_curl_check(void)
{
    int                        left;
    CURL                      *easy;
    CURLMsg                   *msg;
    CURLcode                   result;
    ngx_http_arthexis_curl_t  *t;

    while ((msg = curl_multi_info_read(ngx_http_arthexis_curl_multi_handle,
                                       &left))
           != NULL)
    {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        /* msg is gone once the handle is removed */

        easy = msg->easy_handle;
        result = msg->data.result;

        t = NULL;
        (void) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &t);

        if (t == NULL || !t->active) {
            (void) curl_multi_remove_handle(
                                       ngx_http_arthexis_curl_multi_handle,
                                       easy);
            continue;
        }

        ngx_http_arthexis_curl_finish(t, result);
    }
}


static void
ngx_http_arthexis_curl_finish(ngx_http_arthexis_curl_t *t, CURLcode result)
{
    long  status;

    (void) curl_multi_remove_handle(ngx_http_arthexis_curl_multi_handle,
                                    t->easy);

    t->active = 0;

    if (--ngx_http_arthexis_curl_running == 0) {
        ngx_http_arthexis_curl_timer_event.cancelable = 1;
    }

    status = 0;
    (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);

    t->result = result;
    t->status = status;

    if (t->too_large && result == CURLE_WRITE_ERROR) {
        t->result = CURLE_FILESIZE_EXCEEDED;
    }

    if (t->body == NULL) {
        t->body = (u_char *) "";
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, t->log, 0,
                   "arthexis curl: done rc:%d status:%l len:%uz",
                   t->result, t->status, t->len);

    /* t may be gone after this */
    t->done(t);
}


/* --- transfers --------------------------------------------------------- */


ngx_http_arthexis_curl_t *
ngx_http_arthexis_curl_create(ngx_pool_t *pool, ngx_log_t *log)
{
    CURL                      *easy;
    ngx_pool_cleanup_t        *cln;
    ngx_http_arthexis_curl_t  *t;

    if (ngx_http_arthexis_curl_multi(log) != NGX_OK) {
        return NULL;
    }

    t = ngx_pcalloc(pool, sizeof(ngx_http_arthexis_curl_t));
    if (t == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    easy = curl_easy_init();
    if (easy == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "curl_easy_init() failed");
        return NULL;
    }

    t->easy = easy;
    t->log = log;
    t->pool = pool;
    t->max_size = NGX_HTTP_ARTHEXIS_CURL_MAX_SIZE;

    cln->handler = ngx_http_arthexis_curl_cleanup;
    cln->data = t;

    if (curl_easy_setopt(easy, CURLOPT_PRIVATE, t) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                            ngx_http_arthexis_curl_write) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_WRITEDATA, t) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION,
                            ngx_http_arthexis_curl_open_socket) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, t) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION,
                            ngx_http_arthexis_curl_prereq) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PREREQDATA, t) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https")
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PROXY, "") != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_USERAGENT, "arthexis-nginx")
           != CURLE_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "curl_easy_setopt() failed");
        return NULL;
    }

    return t;
}


ngx_int_t
ngx_http_arthexis_curl_start(ngx_http_arthexis_curl_t *t,
    ngx_msec_t timeout)
{
    CURLMcode  rc;

    if (t->active) {
        ngx_log_error(NGX_LOG_ALERT, t->log, 0,
                      "arthexis curl: transfer already running");
        return NGX_ERROR;
    }

    if (t->body != NULL && t->size == 0) {
        t->body = NULL;     /* the static "" of an empty answer */
    }

    t->len = 0;
    t->result = CURLE_OK;
    t->status = 0;
    t->refused[0] = '\0';
    t->error[0] = '\0';
    t->too_large = 0;

    if (timeout == 0) {
        timeout = 1;
    }

    if (curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long) timeout)
           != CURLE_OK
        || curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) timeout) != CURLE_OK
        || curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t) t->max_size) != CURLE_OK
        || (t->headers
            && curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers)
               != CURLE_OK))
    {
        ngx_log_error(NGX_LOG_ALERT, t->log, 0, "curl_easy_setopt() failed");
        return NGX_ERROR;
    }

    rc = curl_multi_add_handle(ngx_http_arthexis_curl_multi_handle, t->easy);

    if (rc != CURLM_OK) {
        ngx_log_error(NGX_LOG_ALERT, t->log, 0,
                      "curl_multi_add_handle() failed: %s",
                      curl_multi_strerror(rc));
        return NGX_ERROR;
    }

    t->active = 1;

    /* a worker that shuts down gracefully waits for running transfers
     * (each bounded by its timeout) */

    ngx_http_arthexis_curl_running++;
    ngx_http_arthexis_curl_timer_event.cancelable = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, t->log, 0,
                   "arthexis curl: start, timeout %M", timeout);

    return NGX_OK;
}


void
ngx_http_arthexis_curl_cancel(ngx_http_arthexis_curl_t *t)
{
    if (!t->active) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, t->log, 0,
                   "arthexis curl: transfer cancelled");

    t->active = 0;

    if (--ngx_http_arthexis_curl_running == 0) {
        ngx_http_arthexis_curl_timer_event.cancelable = 1;
    }

    if (ngx_http_arthexis_curl_multi_handle) {
        (void) curl_multi_remove_handle(ngx_http_arthexis_curl_multi_handle,
                                        t->easy);
    }
}


static void
ngx_http_arthexis_curl_cleanup(void *data)
{
    ngx_http_arthexis_curl_t  *t = data;

    ngx_http_arthexis_curl_cancel(t);

    if (t->easy) {
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
    }

    if (t->headers) {
        curl_slist_free_all(t->headers);
        t->headers = NULL;
    }

    if (t->size) {
        free(t->body);
    }

    t->body = NULL;
    t->size = 0;
}


/* --- where transfers may connect --------------------------------------- */


static ngx_int_t
ngx_http_arthexis_curl_public(struct sockaddr *sa)
{
    int                                     family;
    u_char                                 *p, mask;
    ngx_uint_t                              full, rest;
    const ngx_http_arthexis_curl_range_t   *range;
#if (NGX_HAVE_INET6)
    struct in6_addr                        *a6;
#endif

    switch (sa->sa_family) {

    case AF_INET:
        family = AF_INET;
        p = (u_char *) &((struct sockaddr_in *) sa)->sin_addr;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        a6 = &((struct sockaddr_in6 *) sa)->sin6_addr;

        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            p = &a6->s6_addr[12];

        } else {
            family = AF_INET6;
            p = a6->s6_addr;
        }

        break;
#endif

    default:
        return NGX_DECLINED;
    }

    for (range = ngx_http_arthexis_curl_private; range->family; range++) {

        if (range->family != family) {
            continue;
        }

        full = range->bits / 8;
        rest = range->bits % 8;

        if (ngx_memcmp(p, range->addr, full) != 0) {
            continue;
        }

        if (rest) {
            mask = (u_char) (0xff << (8 - rest));

            if ((p[full] & mask) != (range->addr[full] & mask)) {
                continue;
            }
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_arthexis_curl_allowed(ngx_http_arthexis_curl_allow_t *allow,
    struct sockaddr *sa, socklen_t socklen)
{
    if (allow->any) {
        return NGX_OK;
    }

    if (allow->cidrs != NULL && ngx_cidr_match(sa, allow->cidrs) == NGX_OK)
    {
        return NGX_OK;
    }

    if (allow->public) {
        return ngx_http_arthexis_curl_public(sa);
    }

    return NGX_DECLINED;
}


char *
ngx_http_arthexis_curl_allow_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_int_t                         rc;
    ngx_str_t                        *value;
    ngx_url_t                         u;
    ngx_uint_t                        i, j;
    ngx_cidr_t                       *cidr;
    struct sockaddr_in               *sin;
    ngx_http_arthexis_curl_allow_t  **field, *allow;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6              *sin6;
#endif

    field = (ngx_http_arthexis_curl_allow_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    allow = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_curl_allow_t));
    if (allow == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "public") == 0) {
            allow->public = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "any") == 0) {
            allow->any = 1;
            continue;
        }

        if (allow->cidrs == NULL) {
            allow->cidrs = ngx_array_create(cf->pool, 4, sizeof(ngx_cidr_t));
            if (allow->cidrs == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        cidr = ngx_array_push(allow->cidrs);
        if (cidr == NULL) {
            return NGX_CONF_ERROR;
        }

        rc = ngx_ptocidr(&value[i], cidr);

        if (rc == NGX_DONE) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "low address bits of %V are meaningless",
                               &value[i]);
            continue;
        }

        if (rc == NGX_OK) {
            continue;
        }

        /* a host name: its addresses now */

        ngx_memzero(&u, sizeof(ngx_url_t));
        u.host = value[i];

        if (ngx_inet_resolve_host(cf->pool, &u) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\": %s", &value[i],
                               u.err ? u.err : "host not found");
            return NGX_CONF_ERROR;
        }

        allow->cidrs->nelts--;

        for (j = 0; j < u.naddrs; j++) {
            cidr = ngx_array_push(allow->cidrs);
            if (cidr == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memzero(cidr, sizeof(ngx_cidr_t));
            cidr->family = u.addrs[j].sockaddr->sa_family;

            switch (cidr->family) {

#if (NGX_HAVE_INET6)
            case AF_INET6:
                sin6 = (struct sockaddr_in6 *) u.addrs[j].sockaddr;
                cidr->u.in6.addr = sin6->sin6_addr;
                ngx_memset(cidr->u.in6.mask.s6_addr, 0xff, 16);
                break;
#endif

            default: /* AF_INET */
                sin = (struct sockaddr_in *) u.addrs[j].sockaddr;
                cidr->u.in.addr = sin->sin_addr.s_addr;
                cidr->u.in.mask = 0xffffffff;
                break;
            }
        }
    }

    *field = allow;

    return NGX_CONF_OK;
}
