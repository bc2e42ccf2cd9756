
/*
 * The shared-memory zone: one record per charger, in an rbtree keyed by
 * the hash of its id (then the id itself), and an LRU queue; a full zone
 * evicts the least recently seen disconnected chargers first.
 *
 * Each record has a ring of the last raw messages (the seed's in-memory
 * log): records of [u32 length][u8 direction][i64 time ms][text], the
 * oldest dropped when a new one does not fit.
 *
 * The zone is kept on reload when its name and size are unchanged
 * (ngx_init_cycle() passes the old data to init_zone).
 */

#include "ngx_http_arthexis_ocpp.h"

#include <sys/random.h>


#define NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR  (4 + 1 + 8)


static ngx_int_t ngx_http_arthexis_ocpp_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_arthexis_ocpp_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_arthexis_ocpp_charger_t *ngx_http_arthexis_ocpp_zone_create(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_str_t *id, ngx_log_t *log);
static ngx_int_t ngx_http_arthexis_ocpp_zone_evict(
    ngx_http_arthexis_ocpp_zone_t *zone);
static void ngx_http_arthexis_ocpp_ring_write(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch,
    size_t off, u_char *src, size_t len);
static void ngx_http_arthexis_ocpp_ring_read(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch,
    size_t off, u_char *dst, size_t len);


/* ocpp_zone NAME SIZE [log=SIZE] */

char *
ngx_http_arthexis_ocpp_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_arthexis_ocpp_main_conf_t  *omcf = conf;

    ssize_t                         size, log_size;
    ngx_str_t                      *value, name, s;
    ngx_uint_t                      i;
    ngx_shm_zone_t                 *shm_zone;
    ngx_http_arthexis_ocpp_zone_t  *zone;

    if (omcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &name);
        return NGX_CONF_ERROR;
    }

    log_size = 2048;

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "log=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            log_size = ngx_parse_size(&s);

            if (log_size == NGX_ERROR || log_size < 256
                || log_size > 1024 * 1024)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid log size \"%V\" (256 to 1m)",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_arthexis_ocpp_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->log_size = log_size;

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_arthexis_ocpp_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already bound", &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_arthexis_ocpp_init_zone;
    shm_zone->data = zone;
    zone->shm_zone = shm_zone;

    omcf->zone = zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_arthexis_ocpp_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_arthexis_ocpp_zone_t  *ozone = data;

    size_t                          len;
    ngx_http_arthexis_ocpp_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        /* reload with the same zone: keep every charger */

        if (ozone->log_size != zone->log_size) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "ocpp_zone \"%V\" uses log=%uz, now %uz: change "
                          "the zone's size as well to start afresh",
                          &shm_zone->shm.name, ozone->log_size,
                          zone->log_size);
            return NGX_ERROR;
        }

        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;

        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_http_arthexis_ocpp_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_http_arthexis_ocpp_rbtree_insert);
    ngx_queue_init(&zone->sh->lru);

    zone->sh->chargers = 0;
    zone->sh->evicted = 0;
    zone->sh->full_logged = 0;

    /* a secret that datagrams between this zone's workers carry */
    if (getrandom(zone->sh->token, sizeof(zone->sh->token), 0)
        != (ssize_t) sizeof(zone->sh->token))
    {
        return NGX_ERROR;
    }

    len = sizeof(" in ocpp_zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in ocpp_zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_arthexis_ocpp_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                 **p;
    ngx_http_arthexis_ocpp_charger_t   *c, *ct;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */

            c = (ngx_http_arthexis_ocpp_charger_t *) node;
            ct = (ngx_http_arthexis_ocpp_charger_t *) temp;

            p = (ngx_memn2cmp(c->id, ct->id, c->id_len, ct->id_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the zone's lock must be held */

ngx_http_arthexis_ocpp_charger_t *
ngx_http_arthexis_ocpp_zone_lookup(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_str_t *id)
{
    ngx_int_t                          rc;
    uint32_t                           hash;
    ngx_rbtree_node_t                 *node, *sentinel;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    hash = ngx_crc32_short(id->data, id->len);

    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        ch = (ngx_http_arthexis_ocpp_charger_t *) node;

        rc = ngx_memn2cmp(id->data, ch->id, id->len, ch->id_len);

        if (rc == 0) {
            return ch;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the same through a session's handle; the zone's lock must be held */

ngx_http_arthexis_ocpp_charger_t *
ngx_http_arthexis_ocpp_zone_find(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_zone_ref_t *ref, ngx_str_t *id)
{
    if (ref->charger != NULL && ref->evicted == zone->sh->evicted) {
        return ref->charger;
    }

    ref->charger = ngx_http_arthexis_ocpp_zone_lookup(zone, id);
    ref->evicted = zone->sh->evicted;

    return ref->charger;
}


void
ngx_http_arthexis_ocpp_zone_lock(ngx_http_arthexis_ocpp_zone_t *zone)
{
    ngx_shmtx_lock(&zone->shpool->mutex);
}


void
ngx_http_arthexis_ocpp_zone_unlock(ngx_http_arthexis_ocpp_zone_t *zone)
{
    ngx_shmtx_unlock(&zone->shpool->mutex);
}


static ngx_http_arthexis_ocpp_charger_t *
ngx_http_arthexis_ocpp_zone_create(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_str_t *id, ngx_log_t *log)
{
    u_char                            *ring;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    for ( ;; ) {
        ch = ngx_slab_calloc_locked(zone->shpool,
                                    sizeof(ngx_http_arthexis_ocpp_charger_t));

        ring = NULL;

        if (ch != NULL) {
            ring = ngx_slab_alloc_locked(zone->shpool, zone->log_size);

            if (ring != NULL) {
                break;
            }

            ngx_slab_free_locked(zone->shpool, ch);
        }

        if (ngx_http_arthexis_ocpp_zone_evict(zone) != NGX_OK) {

            if (!zone->sh->full_logged) {
                zone->sh->full_logged = 1;
                ngx_log_error(NGX_LOG_ERR, log, 0,
                              "ocpp_zone \"%V\" is full (%ui chargers, all "
                              "connected): make it larger",
                              &zone->shm_zone->shm.name, zone->sh->chargers);
            }

            return NULL;
        }
    }

    ch->node.key = ngx_crc32_short(id->data, id->len);
    ngx_memcpy(ch->id, id->data, id->len);
    ch->id_len = (u_char) id->len;
    ch->log = ring;

    ngx_rbtree_insert(&zone->sh->rbtree, &ch->node);
    ngx_queue_insert_head(&zone->sh->lru, &ch->lru);
    zone->sh->chargers++;

    return ch;
}


/* drops the least recently seen disconnected charger */

static ngx_int_t
ngx_http_arthexis_ocpp_zone_evict(ngx_http_arthexis_ocpp_zone_t *zone)
{
    ngx_queue_t                       *q;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    for (q = ngx_queue_last(&zone->sh->lru);
         q != ngx_queue_sentinel(&zone->sh->lru);
         q = ngx_queue_prev(q))
    {
        ch = ngx_queue_data(q, ngx_http_arthexis_ocpp_charger_t, lru);

        if (ch->connected) {
            continue;
        }

        ngx_queue_remove(&ch->lru);
        ngx_rbtree_delete(&zone->sh->rbtree, &ch->node);

        if (ch->meter_values) {
            ngx_slab_free_locked(zone->shpool, ch->meter_values);
        }

        ngx_slab_free_locked(zone->shpool, ch->log);
        ngx_slab_free_locked(zone->shpool, ch);

        zone->sh->chargers--;
        zone->sh->evicted++;

        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * A session of this worker takes the charger: returns NGX_OK, with the
 * previous owner (to be closed) in prev_pid/prev_session when it was
 * connected, or NGX_ERROR when the zone is full.
 */

ngx_int_t
ngx_http_arthexis_ocpp_zone_attach(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_str_t *id, uint64_t session, ngx_uint_t require_rfid,
    ngx_pid_t *prev_pid, uint64_t *prev_session, ngx_log_t *log)
{
    int64_t                            now;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    now = ngx_http_arthexis_ocpp_loop_ms();

    *prev_pid = 0;
    *prev_session = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ch = ngx_http_arthexis_ocpp_zone_lookup(zone, id);

    if (ch == NULL) {
        ch = ngx_http_arthexis_ocpp_zone_create(zone, id, log);

        if (ch == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }

    } else {
        ngx_queue_remove(&ch->lru);
        ngx_queue_insert_head(&zone->sh->lru, &ch->lru);

        if (ch->connected) {
            *prev_pid = ch->owner_pid;
            *prev_session = ch->session;
        }
    }

    ch->connected = 1;
    ch->require_rfid = require_rfid ? 1 : 0;
    ch->owner_pid = ngx_pid;
    ch->owner_slot = ngx_process_slot;
    ch->session = session;
    ch->connected_at = now;
    ch->last_seen = now;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* the session is over; a newer session of the same charger is left alone */

void
ngx_http_arthexis_ocpp_zone_detach(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_str_t *id, uint64_t session)
{
    ngx_http_arthexis_ocpp_charger_t  *ch;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ch = ngx_http_arthexis_ocpp_zone_lookup(zone, id);

    if (ch != NULL && ch->connected && ch->owner_pid == ngx_pid
        && ch->session == session)
    {
        ch->connected = 0;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * A worker that replaces a dead one (same slot, new pid) marks the dead
 * worker's chargers disconnected; so does a worker that finds that the
 * owner recorded for a charger no longer exists.
 */

void
ngx_http_arthexis_ocpp_zone_init_worker(ngx_cycle_t *cycle,
    ngx_http_arthexis_ocpp_zone_t *zone)
{
    ngx_uint_t                         n;
    ngx_queue_t                       *q;
    ngx_http_arthexis_ocpp_charger_t  *ch;

    n = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (q = ngx_queue_head(&zone->sh->lru);
         q != ngx_queue_sentinel(&zone->sh->lru);
         q = ngx_queue_next(q))
    {
        ch = ngx_queue_data(q, ngx_http_arthexis_ocpp_charger_t, lru);

        if (!ch->connected || ch->owner_pid == ngx_pid) {
            continue;
        }

        if (ch->owner_slot == ngx_process_slot
            || (kill(ch->owner_pid, 0) == -1 && ngx_errno == NGX_ESRCH))
        {
            ch->connected = 0;
            n++;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (n) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "ocpp: %ui charger(s) of a dead worker marked "
                      "disconnected", n);
    }
}


/* appends a raw message to the charger's log: dir '>' in, '<' out */

void
ngx_http_arthexis_ocpp_zone_log(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_zone_ref_t *ref, ngx_str_t *id, u_char dir,
    u_char *text, size_t len)
{
    ngx_http_arthexis_ocpp_charger_t  *ch;

    ngx_shmtx_lock(&zone->shpool->mutex);

    ch = ngx_http_arthexis_ocpp_zone_find(zone, ref, id);

    if (ch != NULL) {
        ngx_http_arthexis_ocpp_zone_log_locked(zone, ch, dir, text, len);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* the same with the lock held and the record found */

void
ngx_http_arthexis_ocpp_zone_log_locked(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_charger_t *ch, u_char dir, u_char *text,
    size_t len)
{
    u_char    hdr[NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR];
    size_t    need, size, old;
    int64_t   now;
    uint32_t  n;

    size = zone->log_size;

    if (len > size - NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR) {
        len = size - NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR;
    }

    need = NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR + len;
    now = ngx_http_arthexis_ocpp_loop_ms();

    n = (uint32_t) len;
    ngx_memcpy(hdr, &n, 4);
    hdr[4] = dir;
    ngx_memcpy(hdr + 5, &now, 8);

    ch->last_seen = now;

    /* drop the oldest records until the new one fits */

    while (ch->log_used + need > size) {
        ngx_http_arthexis_ocpp_ring_read(zone, ch, ch->log_head,
                                         (u_char *) &n, 4);
        old = NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR + n;
        ch->log_head = (ch->log_head + old) % size;
        ch->log_used -= old;
    }

    ngx_http_arthexis_ocpp_ring_write(zone, ch,
                                      (ch->log_head + ch->log_used) % size,
                                      hdr, NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR);
    ngx_http_arthexis_ocpp_ring_write(zone, ch,
                                      (ch->log_head + ch->log_used
                                       + NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR)
                                      % size, text, len);
    ch->log_used += need;
}


static void
ngx_http_arthexis_ocpp_ring_write(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_charger_t *ch, size_t off, u_char *src,
    size_t len)
{
    size_t  first;

    first = ngx_min(len, zone->log_size - off);

    ngx_memcpy(ch->log + off, src, first);

    if (len > first) {
        ngx_memcpy(ch->log, src + first, len - first);
    }
}


static void
ngx_http_arthexis_ocpp_ring_read(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_charger_t *ch, size_t off, u_char *dst,
    size_t len)
{
    size_t  first;

    first = ngx_min(len, zone->log_size - off);

    ngx_memcpy(dst, ch->log + off, first);

    if (len > first) {
        ngx_memcpy(dst + first, ch->log, len - first);
    }
}


/* the ring as ["> 2026-...Z [2,...]", ...], oldest first; lock held */

json_t *
ngx_http_arthexis_ocpp_zone_log_json(ngx_http_arthexis_ocpp_zone_t *zone,
    ngx_http_arthexis_ocpp_charger_t *ch)
{
    u_char    hdr[NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR];
    u_char   *line;
    char      when[32];
    size_t    off, done, rec;
    json_t   *log, *s;
    int64_t   ms;
    uint32_t  n;

    log = json_array();
    if (log == NULL) {
        return NULL;
    }

    line = ngx_alloc(zone->log_size + 64, ngx_cycle->log);
    if (line == NULL) {
        json_decref(log);
        return NULL;
    }

    off = ch->log_head;

    for (done = 0; done < ch->log_used; done += rec) {
        ngx_http_arthexis_ocpp_ring_read(zone, ch, off, hdr,
                                         NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR);
        ngx_memcpy(&n, hdr, 4);
        ngx_memcpy(&ms, hdr + 5, 8);

        ngx_http_arthexis_ocpp_iso_time(ms, when);

        line[0] = hdr[4];
        line[1] = ' ';
        n = ngx_min(n, zone->log_size);

        ngx_http_arthexis_ocpp_ring_read(zone, ch,
                                         (off + NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR)
                                         % zone->log_size, line + 2, n);

        /* the seed's store kept "> message"; the time goes at the end */
        s = json_stringn((char *) line, 2 + n);

        if (s == NULL) {
            /* cut inside a UTF-8 sequence: keep it readable */
            s = json_stringn((char *) line, 2);
        }

        json_array_append_new(log, json_pack("{s:o, s:s}", "message", s,
                                             "time", when));

        rec = NGX_HTTP_ARTHEXIS_OCPP_LOG_HDR + n;
        off = (off + rec) % zone->log_size;
    }

    ngx_free(line);

    return log;
}


/* keeps a copy of the last MeterValues payload (bounded); lock held */

ngx_int_t
ngx_http_arthexis_ocpp_zone_set_meter_values(
    ngx_http_arthexis_ocpp_zone_t *zone, ngx_http_arthexis_ocpp_charger_t *ch,
    u_char *json, size_t len)
{
    if (len > NGX_HTTP_ARTHEXIS_OCPP_METER_MAX) {
        json = (u_char *) "{\"truncated\":true}";
        len = sizeof("{\"truncated\":true}") - 1;
    }

    if (ch->meter_values == NULL) {
        ch->meter_values = ngx_slab_alloc_locked(zone->shpool,
                                             NGX_HTTP_ARTHEXIS_OCPP_METER_MAX);
        if (ch->meter_values == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_memcpy(ch->meter_values, json, len);
    ch->meter_values_len = len;

    return NGX_OK;
}


static json_t *
ngx_http_arthexis_ocpp_str(u_char *s, size_t max)
{
    size_t  n;

    n = ngx_strnlen(s, max);

    return n ? json_stringn((char *) s, n) : json_null();
}


/* the live state of one charger for the REST routes; lock held */

json_t *
ngx_http_arthexis_ocpp_zone_charger_json(ngx_http_arthexis_ocpp_charger_t *ch)
{
    char                                 when[32];
    json_t                              *o, *boot, *conns, *c, *mv;
    ngx_uint_t                           i;
    ngx_http_arthexis_ocpp_connector_t  *cn;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    json_object_set_new(o, "connected", json_boolean(ch->connected));

    if (ch->last_heartbeat) {
        ngx_http_arthexis_ocpp_iso_time(ch->last_heartbeat, when);
        json_object_set_new(o, "lastHeartbeat", json_string(when));

    } else {
        json_object_set_new(o, "lastHeartbeat", json_null());
    }

    if (ch->last_seen) {
        ngx_http_arthexis_ocpp_iso_time(ch->last_seen, when);
        json_object_set_new(o, "lastSeen", json_string(when));
    }

    mv = NULL;

    if (ch->meter_values) {
        mv = json_loadb((char *) ch->meter_values, ch->meter_values_len, 0,
                        NULL);
    }

    json_object_set_new(o, "lastMeterValues", mv ? mv : json_null());

    boot = json_object();

    if (boot != NULL && ch->boot.at) {
        ngx_http_arthexis_ocpp_iso_time(ch->boot.at, when);

        json_object_set_new(boot, "chargePointVendor",
            ngx_http_arthexis_ocpp_str(ch->boot.vendor, 24));
        json_object_set_new(boot, "chargePointModel",
            ngx_http_arthexis_ocpp_str(ch->boot.model, 24));
        json_object_set_new(boot, "chargePointSerialNumber",
            ngx_http_arthexis_ocpp_str(ch->boot.serial_number, 28));
        json_object_set_new(boot, "chargeBoxSerialNumber",
            ngx_http_arthexis_ocpp_str(ch->boot.charge_box_serial, 28));
        json_object_set_new(boot, "firmwareVersion",
            ngx_http_arthexis_ocpp_str(ch->boot.firmware_version, 52));
        json_object_set_new(boot, "iccid",
            ngx_http_arthexis_ocpp_str(ch->boot.iccid, 24));
        json_object_set_new(boot, "imsi",
            ngx_http_arthexis_ocpp_str(ch->boot.imsi, 24));
        json_object_set_new(boot, "meterType",
            ngx_http_arthexis_ocpp_str(ch->boot.meter_type, 28));
        json_object_set_new(boot, "meterSerialNumber",
            ngx_http_arthexis_ocpp_str(ch->boot.meter_serial, 28));
        json_object_set_new(boot, "bootedAt", json_string(when));
    }

    json_object_set_new(o, "boot", boot ? boot : json_null());

    conns = json_array();

    for (i = 0; conns && i < NGX_HTTP_ARTHEXIS_OCPP_CONNECTORS; i++) {
        cn = &ch->connectors[i];

        if (cn->status[0] == '\0' && cn->transaction_id == 0) {
            continue;
        }

        c = json_pack("{s:i}", "connectorId", (int) i);
        if (c == NULL) {
            continue;
        }

        json_object_set_new(c, "status",
                            ngx_http_arthexis_ocpp_str(cn->status, 16));
        json_object_set_new(c, "errorCode",
                            ngx_http_arthexis_ocpp_str(cn->error_code, 24));
        json_object_set_new(c, "info",
                            ngx_http_arthexis_ocpp_str(cn->info, 52));

        if (cn->timestamp) {
            ngx_http_arthexis_ocpp_iso_time(cn->timestamp, when);
            json_object_set_new(c, "timestamp", json_string(when));

        } else {
            json_object_set_new(c, "timestamp", json_null());
        }

        json_object_set_new(c, "transactionId",
                            cn->transaction_id
                            ? json_integer(cn->transaction_id)
                            : json_null());

        json_array_append_new(conns, c);
    }

    json_object_set_new(o, "connectors", conns ? conns : json_array());

    /* connector 0 is the charge point itself */
    json_object_set_new(o, "status",
        ngx_http_arthexis_ocpp_str(ch->connectors[0].status, 16));

    return o;
}
