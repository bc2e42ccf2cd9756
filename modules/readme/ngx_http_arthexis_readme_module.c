
/*
 * README pages (the seed's readme and website apps): readme_markdown
 * serves a Markdown file as a Bootstrap 5 page, rendered with cmark
 * (ax_readme_md.c), or as its source with ?format=md or
 * "Accept: text/markdown".
 *
 * Each worker keeps the rendered pages in a small cache keyed by the file's
 * full path.  Every request stats the file (one stat(), no read) and the
 * page is rendered again when its mtime, size or inode changed, so edits
 * show on the next request without a reload.  The files are small local
 * documents: reading and rendering them happens on the event loop, like
 * nginx's own open() and stat() of static files.  Pages being sent keep
 * their cache entry alive (a reference per request), so an entry replaced
 * meanwhile is freed only when its last response is done.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ax_readme_md.h"


#define NGX_HTTP_ARTHEXIS_README_MAX_SIZE  (8 * 1024 * 1024)


typedef struct {
    ngx_int_t                   cache_entries;
} ngx_http_arthexis_readme_main_conf_t;


typedef struct {
    ngx_http_complex_value_t   *markdown;
    ngx_str_t                   css;          /* HTML-escaped */
    ngx_str_t                   integrity;    /* HTML-escaped, or empty */
} ngx_http_arthexis_readme_loc_conf_t;


typedef struct {
    ngx_str_node_t              sn;           /* key: the full path */
    ngx_queue_t                 queue;        /* most recently used first */

    time_t                      mtime;
    long                        mtime_nsec;
    off_t                       size;
    ngx_file_uniq_t             uniq;

    ngx_uint_t                  refs;         /* responses being sent */
    unsigned                    stale:1;      /* out of the cache */

    ngx_str_t                   markdown;     /* ngx_alloc()'d */
    ngx_str_t                   html;         /* cmark's, malloc()'d */
    ngx_str_t                   title;        /* HTML-escaped, ngx_alloc */
} ngx_http_arthexis_readme_entry_t;


static ngx_int_t ngx_http_arthexis_readme_handler(ngx_http_request_t *r);
static ngx_http_arthexis_readme_entry_t *ngx_http_arthexis_readme_get(
    ngx_http_request_t *r, ngx_str_t *path, ngx_uint_t *status);
static ngx_http_arthexis_readme_entry_t *ngx_http_arthexis_readme_load(
    ngx_http_request_t *r, ngx_str_t *path, ngx_uint_t *status);
static ngx_uint_t ngx_http_arthexis_readme_file_error(ngx_http_request_t *r,
    ngx_err_t err, const char *op, ngx_str_t *path);
static ngx_int_t ngx_http_arthexis_readme_same(
    ngx_http_arthexis_readme_entry_t *e, ngx_file_info_t *fi);
static void ngx_http_arthexis_readme_set_file(
    ngx_http_arthexis_readme_entry_t *e, ngx_file_info_t *fi);
static void ngx_http_arthexis_readme_drop(
    ngx_http_arthexis_readme_entry_t *e, ngx_log_t *log);
static void ngx_http_arthexis_readme_free(
    ngx_http_arthexis_readme_entry_t *e);
static void ngx_http_arthexis_readme_release(void *data);
static ngx_uint_t ngx_http_arthexis_readme_wants_markdown(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_arthexis_readme_send(ngx_http_request_t *r,
    ngx_http_arthexis_readme_entry_t *e, ngx_uint_t markdown);
static ngx_int_t ngx_http_arthexis_readme_add_header(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);

static void *ngx_http_arthexis_readme_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_readme_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_arthexis_readme_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_arthexis_readme_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_arthexis_readme_markdown(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_arthexis_readme_bootstrap_css(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_arthexis_readme_escape(ngx_pool_t *pool,
    ngx_str_t *dst, u_char *src, size_t len);
static void ngx_http_arthexis_readme_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_arthexis_readme_entries_bounds = {
    ngx_conf_check_num_bounds, 1, 65536
};


static ngx_command_t  ngx_http_arthexis_readme_commands[] = {

    { ngx_string("readme_markdown"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_arthexis_readme_markdown,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("readme_bootstrap_css"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_arthexis_readme_bootstrap_css,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("readme_cache_entries"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_arthexis_readme_main_conf_t, cache_entries),
      &ngx_http_arthexis_readme_entries_bounds },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_arthexis_readme_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_arthexis_readme_create_main_conf, /* create main configuration */
    ngx_http_arthexis_readme_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_arthexis_readme_create_loc_conf,  /* create location conf */
    ngx_http_arthexis_readme_merge_loc_conf    /* merge location conf */
};


ngx_module_t  ngx_http_arthexis_readme_module = {
    NGX_MODULE_V1,
    &ngx_http_arthexis_readme_module_ctx,  /* module context */
    ngx_http_arthexis_readme_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_arthexis_readme_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the per-worker cache */

static ngx_rbtree_t        ngx_http_arthexis_readme_tree;
static ngx_rbtree_node_t   ngx_http_arthexis_readme_sentinel;
static ngx_queue_t         ngx_http_arthexis_readme_lru;
static ngx_uint_t          ngx_http_arthexis_readme_count;


static ngx_str_t  ngx_http_arthexis_readme_html_type =
    ngx_string("text/html; charset=utf-8");
static ngx_str_t  ngx_http_arthexis_readme_md_type =
    ngx_string("text/markdown; charset=utf-8");

static ngx_str_t  ngx_http_arthexis_readme_default_css =
    ngx_string("/static/bootstrap5/css/bootstrap.min.css");

static u_char  ngx_http_arthexis_readme_head1[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<title>";

static u_char  ngx_http_arthexis_readme_head2[] =
    "</title>\n"
    "<link rel=\"stylesheet\" href=\"";

static u_char  ngx_http_arthexis_readme_head3[] =
    " crossorigin=\"anonymous\"";

static u_char  ngx_http_arthexis_readme_head4[] =
    ">\n"
    "<style>\n"
    "main img { max-width: 100%; }\n"
    "main pre { background: #f8f9fa; padding: .75rem 1rem;"
    " border-radius: .375rem; }\n"
    "main blockquote { border-left: .25rem solid #dee2e6;"
    " padding-left: 1rem; color: #6c757d; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<main class=\"container my-4\">\n";

static u_char  ngx_http_arthexis_readme_tail[] =
    "</main>\n"
    "</body>\n"
    "</html>\n";


static ngx_int_t
ngx_http_arthexis_readme_handler(ngx_http_request_t *r)
{
    ngx_int_t                             rc;
    ngx_str_t                             path, value;
    ngx_uint_t                            status;
    ngx_http_arthexis_readme_entry_t     *e;
    ngx_http_arthexis_readme_loc_conf_t  *rlcf;

    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  methods = ngx_string("GET, HEAD");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_arthexis_readme_add_header(r, &allow, &methods)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_readme_module);

    if (ngx_http_complex_value(r, rlcf->markdown, &value) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (value.len == 0
        || ngx_strlchr(value.data, value.data + value.len, '\0') != NULL)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "readme: invalid markdown path \"%V\"", &value);
        return NGX_HTTP_NOT_FOUND;
    }

    /* a NUL-terminated copy for the system calls */

    path.len = value.len;
    path.data = ngx_pnalloc(r->pool, value.len + 1);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *ngx_cpymem(path.data, value.data, value.len) = '\0';

    e = ngx_http_arthexis_readme_get(r, &path, &status);

    if (e == NULL) {
        return status;
    }

    return ngx_http_arthexis_readme_send(r, e,
                               ngx_http_arthexis_readme_wants_markdown(r));
}


/* the cache entry of the file, current, or NULL and the status to give */

static ngx_http_arthexis_readme_entry_t *
ngx_http_arthexis_readme_get(ngx_http_request_t *r, ngx_str_t *path,
    ngx_uint_t *status)
{
    uint32_t                               hash;
    ngx_queue_t                           *q;
    ngx_file_info_t                        fi;
    ngx_http_arthexis_readme_entry_t      *e, *ne;
    ngx_http_arthexis_readme_main_conf_t  *rmcf;

    if (ngx_http_arthexis_readme_tree.root == NULL) {
        ngx_rbtree_init(&ngx_http_arthexis_readme_tree,
                        &ngx_http_arthexis_readme_sentinel,
                        ngx_str_rbtree_insert_value);
        ngx_queue_init(&ngx_http_arthexis_readme_lru);
    }

    hash = ngx_crc32_long(path->data, path->len);

    e = (ngx_http_arthexis_readme_entry_t *)
        ngx_str_rbtree_lookup(&ngx_http_arthexis_readme_tree, path, hash);

    if (ngx_file_info(path->data, &fi) == NGX_FILE_ERROR) {
        *status = ngx_http_arthexis_readme_file_error(r, ngx_errno,
                                                      ngx_file_info_n, path);
        if (e) {
            ngx_http_arthexis_readme_drop(e, r->connection->log);
        }

        return NULL;
    }

    if (!ngx_is_file(&fi)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "readme: \"%V\" is not a file", path);
        *status = NGX_HTTP_NOT_FOUND;
        return NULL;
    }

    if (e && ngx_http_arthexis_readme_same(e, &fi)) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "readme: from the cache: \"%V\"", path);

        ngx_queue_remove(&e->queue);
        ngx_queue_insert_head(&ngx_http_arthexis_readme_lru, &e->queue);

        return e;
    }

    ne = ngx_http_arthexis_readme_load(r, path, status);

    if (ne == NULL) {
        return NULL;
    }

    if (e) {
        ngx_http_arthexis_readme_drop(e, r->connection->log);
    }

    ne->sn.node.key = hash;
    ngx_rbtree_insert(&ngx_http_arthexis_readme_tree, &ne->sn.node);
    ngx_queue_insert_head(&ngx_http_arthexis_readme_lru, &ne->queue);
    ngx_http_arthexis_readme_count++;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_arthexis_readme_module);

    while (ngx_http_arthexis_readme_count
           > (ngx_uint_t) rmcf->cache_entries)
    {
        q = ngx_queue_last(&ngx_http_arthexis_readme_lru);
        e = ngx_queue_data(q, ngx_http_arthexis_readme_entry_t, queue);
        ngx_http_arthexis_readme_drop(e, r->connection->log);
    }

    return ne;
}


/* reads and renders the file into a new entry */

static ngx_http_arthexis_readme_entry_t *
ngx_http_arthexis_readme_load(ngx_http_request_t *r, ngx_str_t *path,
    ngx_uint_t *status)
{
    off_t                              size;
    size_t                             n;
    u_char                            *md, *p;
    ssize_t                            got;
    uintptr_t                          extra;
    ngx_fd_t                           fd;
    ngx_err_t                          err;
    ngx_file_info_t                    fi;
    ax_readme_md_t                     out;
    ngx_http_arthexis_readme_entry_t  *e;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        *status = ngx_http_arthexis_readme_file_error(r, ngx_errno,
                                                      ngx_open_file_n, path);
        return NULL;
    }

    md = NULL;
    *status = NGX_HTTP_INTERNAL_SERVER_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", path);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_HTTP_ARTHEXIS_README_MAX_SIZE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "readme: \"%V\" is too large (%O bytes, at most %d)",
                      path, size, NGX_HTTP_ARTHEXIS_README_MAX_SIZE);
        goto failed;
    }

    md = ngx_alloc((size_t) size + 1, r->connection->log);
    if (md == NULL) {
        goto failed;
    }

    n = 0;

    while (n < (size_t) size) {
        got = ngx_read_fd(fd, md + n, (size_t) size - n);

        if (got == -1) {
            err = ngx_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                          ngx_read_fd_n " \"%V\" failed", path);
            goto failed;
        }

        if (got == 0) {
            break;
        }

        n += got;
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", path);
    }

    fd = NGX_INVALID_FILE;

    if (ax_readme_md_render((char *) md, n, &out) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "readme: cannot render \"%V\": out of memory", path);
        goto failed;
    }

    e = ngx_alloc(sizeof(ngx_http_arthexis_readme_entry_t) + path->len,
                  r->connection->log);
    if (e == NULL) {
        ax_readme_md_free(&out);
        goto failed;
    }

    ngx_memzero(e, sizeof(ngx_http_arthexis_readme_entry_t));

    e->sn.str.len = path->len;
    e->sn.str.data = (u_char *) e + sizeof(ngx_http_arthexis_readme_entry_t);
    ngx_memcpy(e->sn.str.data, path->data, path->len);

    ngx_http_arthexis_readme_set_file(e, &fi);

    e->markdown.data = md;
    e->markdown.len = n;
    e->html.data = (u_char *) out.html;
    e->html.len = out.html_len;

    /* the title: the first heading, else the file's name */

    if (out.title_len) {
        p = (u_char *) out.title;
        n = out.title_len;

    } else {
        p = path->data + path->len;

        while (p > path->data && p[-1] != '/') {
            p--;
        }

        n = path->data + path->len - p;
    }

    extra = ngx_escape_html(NULL, p, n);

    e->title.data = ngx_alloc(n + extra + 1, r->connection->log);
    if (e->title.data == NULL) {
        free(out.title);
        ngx_http_arthexis_readme_free(e);
        return NULL;
    }

    e->title.len = (u_char *) ngx_escape_html(e->title.data, p, n)
                   - e->title.data;

    free(out.title);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "readme: rendered: \"%V\", %uz bytes of markdown, "
                   "%uz of HTML", path, e->markdown.len, e->html.len);

    return e;

failed:

    if (fd != NGX_INVALID_FILE && ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", path);
    }

    if (md) {
        ngx_free(md);
    }

    return NULL;
}


/* logs a failed stat() or open(): 404 when the file is missing, else 500 */

static ngx_uint_t
ngx_http_arthexis_readme_file_error(ngx_http_request_t *r, ngx_err_t err,
    const char *op, ngx_str_t *path)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (err == NGX_ENOENT || err == NGX_ENOTDIR
        || err == NGX_ENAMETOOLONG)
    {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (clcf->log_not_found) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                          "readme: %s \"%V\" failed", op, path);
        }

        return NGX_HTTP_NOT_FOUND;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                  "readme: %s \"%V\" failed", op, path);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
ngx_http_arthexis_readme_same(ngx_http_arthexis_readme_entry_t *e,
    ngx_file_info_t *fi)
{
    if (e->mtime != ngx_file_mtime(fi)
        || e->size != ngx_file_size(fi)
        || e->uniq != ngx_file_uniq(fi))
    {
        return 0;
    }

#if (NGX_LINUX)
    if (e->mtime_nsec != fi->st_mtim.tv_nsec) {
        return 0;
    }
#endif

    return 1;
}


static void
ngx_http_arthexis_readme_set_file(ngx_http_arthexis_readme_entry_t *e,
    ngx_file_info_t *fi)
{
    e->mtime = ngx_file_mtime(fi);
    e->size = ngx_file_size(fi);
    e->uniq = ngx_file_uniq(fi);

#if (NGX_LINUX)
    e->mtime_nsec = fi->st_mtim.tv_nsec;
#endif
}


/* out of the cache; freed now, or by the last response sent from it */

static void
ngx_http_arthexis_readme_drop(ngx_http_arthexis_readme_entry_t *e,
    ngx_log_t *log)
{
    ngx_rbtree_delete(&ngx_http_arthexis_readme_tree, &e->sn.node);
    ngx_queue_remove(&e->queue);
    ngx_http_arthexis_readme_count--;

    if (e->refs) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "readme: out of the cache, kept for %ui responses "
                       "being sent: \"%V\"", e->refs, &e->sn.str);
        e->stale = 1;
        return;
    }

    ngx_http_arthexis_readme_free(e);
}


static void
ngx_http_arthexis_readme_free(ngx_http_arthexis_readme_entry_t *e)
{
    if (e->markdown.data) {
        ngx_free(e->markdown.data);
    }

    if (e->title.data) {
        ngx_free(e->title.data);
    }

    free(e->html.data);
    ngx_free(e);
}


/* the request pool's cleanup: one response less sent from the entry */

static void
ngx_http_arthexis_readme_release(void *data)
{
    ngx_http_arthexis_readme_entry_t  *e = data;

    if (--e->refs == 0 && e->stale) {
        ngx_http_arthexis_readme_free(e);
    }
}


/* ?format=md (or markdown), else Accept: text/markdown without text/html */

static ngx_uint_t
ngx_http_arthexis_readme_wants_markdown(ngx_http_request_t *r)
{
    ngx_str_t         format;
    ngx_uint_t        i, markdown;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {
        if ((format.len == 2
             && ngx_strncasecmp(format.data, (u_char *) "md", 2) == 0)
            || (format.len == 8
                && ngx_strncasecmp(format.data, (u_char *) "markdown", 8)
                   == 0))
        {
            return 1;
        }

        if (format.len == 4
            && ngx_strncasecmp(format.data, (u_char *) "html", 4) == 0)
        {
            return 0;
        }
    }

    markdown = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != 6
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Accept", 6) != 0)
        {
            continue;
        }

        if (ngx_strlcasestrn(h[i].value.data,
                             h[i].value.data + h[i].value.len,
                             (u_char *) "text/html", 9 - 1)
            != NULL)
        {
            return 0;
        }

        if (ngx_strlcasestrn(h[i].value.data,
                             h[i].value.data + h[i].value.len,
                             (u_char *) "text/markdown", 13 - 1)
            != NULL)
        {
            markdown = 1;
        }
    }

    return markdown;
}


static ngx_int_t
ngx_http_arthexis_readme_send(ngx_http_request_t *r,
    ngx_http_arthexis_readme_entry_t *e, ngx_uint_t markdown)
{
    size_t                                len;
    u_char                               *p;
    ngx_int_t                             rc;
    ngx_buf_t                            *b, *head, *tail;
    ngx_chain_t                           out[3];
    ngx_pool_cleanup_t                   *cln;
    ngx_http_arthexis_readme_loc_conf_t  *rlcf;

    static ngx_str_t  vary = ngx_string("Vary");
    static ngx_str_t  accept = ngx_string("Accept");

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_arthexis_readme_module);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_arthexis_readme_release;
    cln->data = e;
    e->refs++;

    head = NULL;
    tail = NULL;

    if (markdown) {
        r->headers_out.content_type = ngx_http_arthexis_readme_md_type;
        r->headers_out.content_length_n = e->markdown.len;

    } else {
        len = sizeof(ngx_http_arthexis_readme_head1) - 1 + e->title.len
              + sizeof(ngx_http_arthexis_readme_head2) - 1 + rlcf->css.len
              + 1 + sizeof(ngx_http_arthexis_readme_head4) - 1;

        if (rlcf->integrity.len) {
            len += sizeof(" integrity=\"\"") - 1 + rlcf->integrity.len
                   + sizeof(ngx_http_arthexis_readme_head3) - 1;
        }

        head = ngx_create_temp_buf(r->pool, len);
        if (head == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(head->last, ngx_http_arthexis_readme_head1,
                       sizeof(ngx_http_arthexis_readme_head1) - 1);
        p = ngx_cpymem(p, e->title.data, e->title.len);
        p = ngx_cpymem(p, ngx_http_arthexis_readme_head2,
                       sizeof(ngx_http_arthexis_readme_head2) - 1);
        p = ngx_cpymem(p, rlcf->css.data, rlcf->css.len);
        *p++ = '"';

        if (rlcf->integrity.len) {
            p = ngx_sprintf(p, " integrity=\"%V\"", &rlcf->integrity);
            p = ngx_cpymem(p, ngx_http_arthexis_readme_head3,
                           sizeof(ngx_http_arthexis_readme_head3) - 1);
        }

        p = ngx_cpymem(p, ngx_http_arthexis_readme_head4,
                       sizeof(ngx_http_arthexis_readme_head4) - 1);
        head->last = p;

        tail = ngx_calloc_buf(r->pool);
        if (tail == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        tail->pos = ngx_http_arthexis_readme_tail;
        tail->last = tail->pos + sizeof(ngx_http_arthexis_readme_tail) - 1;
        tail->memory = 1;

        r->headers_out.content_type = ngx_http_arthexis_readme_html_type;
        r->headers_out.content_length_n = (head->last - head->pos)
                                          + e->html.len
                                          + (tail->last - tail->pos);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.last_modified_time = e->mtime;

    if (ngx_http_set_etag(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_arthexis_readme_add_header(r, &vary, &accept) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->memory = 1;

    if (markdown) {
        b->pos = e->markdown.data;
        b->last = b->pos + e->markdown.len;
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;

        out[0].buf = b;
        out[0].next = NULL;

        return ngx_http_output_filter(r, &out[0]);
    }

    b->pos = e->html.data;
    b->last = b->pos + e->html.len;

    tail->last_buf = (r == r->main) ? 1 : 0;
    tail->last_in_chain = 1;

    out[0].buf = head;
    out[0].next = &out[1];
    out[1].buf = b;
    out[1].next = &out[2];
    out[2].buf = tail;
    out[2].next = NULL;

    return ngx_http_output_filter(r, &out[0]);
}


static ngx_int_t
ngx_http_arthexis_readme_add_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *name;
    h->value = *value;

    return NGX_OK;
}


/* configuration */

static void *
ngx_http_arthexis_readme_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_readme_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_arthexis_readme_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    rmcf->cache_entries = NGX_CONF_UNSET;

    return rmcf;
}


static char *
ngx_http_arthexis_readme_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_arthexis_readme_main_conf_t  *rmcf = conf;

    ngx_conf_init_value(rmcf->cache_entries, 64);

    return NGX_CONF_OK;
}


static void *
ngx_http_arthexis_readme_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_arthexis_readme_loc_conf_t  *rlcf;

    rlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_readme_loc_conf_t));
    if (rlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rlcf->markdown = NULL;
     *     rlcf->css = { 0, NULL };
     *     rlcf->integrity = { 0, NULL };
     */

    return rlcf;
}


static char *
ngx_http_arthexis_readme_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_arthexis_readme_loc_conf_t  *prev = parent;
    ngx_http_arthexis_readme_loc_conf_t  *conf = child;

    if (conf->css.data == NULL) {
        if (prev->css.data) {
            conf->css = prev->css;
            conf->integrity = prev->integrity;

        } else {
            conf->css = ngx_http_arthexis_readme_default_css;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_arthexis_readme_markdown(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_arthexis_readme_loc_conf_t  *rlcf = conf;

    ngx_str_t                         *value;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_compile_complex_value_t   ccv;

    if (rlcf->markdown) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"\": the path is empty");
        return NGX_CONF_ERROR;
    }

    rlcf->markdown = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (rlcf->markdown == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = rlcf->markdown;
    ccv.root_prefix = 1;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_arthexis_readme_handler;

    return NGX_CONF_OK;
}


/* readme_bootstrap_css URL [INTEGRITY] */

static char *
ngx_http_arthexis_readme_bootstrap_css(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_arthexis_readme_loc_conf_t  *rlcf = conf;

    ngx_str_t  *value;

    if (rlcf->css.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"\": the URL is empty");
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3
        && ngx_strncmp(value[2].data, "sha256-", 7) != 0
        && ngx_strncmp(value[2].data, "sha384-", 7) != 0
        && ngx_strncmp(value[2].data, "sha512-", 7) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": expected a subresource "
                           "integrity hash such as \"sha384-...\"",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_arthexis_readme_escape(cf->pool, &rlcf->css, value[1].data,
                                        value[1].len)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3
        && ngx_http_arthexis_readme_escape(cf->pool, &rlcf->integrity,
                                           value[2].data, value[2].len)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_readme_escape(ngx_pool_t *pool, ngx_str_t *dst,
    u_char *src, size_t len)
{
    uintptr_t  extra;

    extra = ngx_escape_html(NULL, src, len);

    dst->data = ngx_pnalloc(pool, len + extra);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    dst->len = (u_char *) ngx_escape_html(dst->data, src, len) - dst->data;

    return NGX_OK;
}


static void
ngx_http_arthexis_readme_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                       *q;
    ngx_http_arthexis_readme_entry_t  *e;

    if (ngx_http_arthexis_readme_tree.root == NULL) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_arthexis_readme_lru)) {
        q = ngx_queue_head(&ngx_http_arthexis_readme_lru);
        e = ngx_queue_data(q, ngx_http_arthexis_readme_entry_t, queue);
        ngx_http_arthexis_readme_drop(e, cycle->log);
    }
}
