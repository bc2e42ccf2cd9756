
/*
 * OCPP 1.6 payload schemas: compiled once from their JSON text into flat
 * arrays (nodes, properties, enum strings, one string pool), then used to
 * validate jansson values without allocating.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax_ocpp_schema.h"


#if JANSSON_VERSION_HEX < 0x020e00
#define json_object_iter_key_len(it)  strlen(json_object_iter_key(it))
#endif


#define AX_NONE            UINT32_MAX
#define AX_MAX_PROPS       64          /* per object: the required mask */
#define AX_MAX_DEPTH       32          /* of a value checked */
#define AX_MAX_COMPILE     64          /* nesting of schemas */

/* JSON types as bits; a JSON integer is both an integer and a number */
#define AX_T_NULL          0x01
#define AX_T_BOOLEAN       0x02
#define AX_T_OBJECT        0x04
#define AX_T_ARRAY         0x08
#define AX_T_NUMBER        0x10
#define AX_T_STRING        0x20
#define AX_T_INTEGER       0x40

#define AX_N_NEVER         0x0001      /* the schema false */
#define AX_N_ADDL_FALSE    0x0002      /* additionalProperties: false */
#define AX_N_DATE_TIME     0x0004
#define AX_N_URI           0x0008
#define AX_N_MIN           0x0010
#define AX_N_MAX           0x0020
#define AX_N_XMIN          0x0040
#define AX_N_XMAX          0x0080
#define AX_N_MULTIPLE      0x0100
#define AX_N_ENUM          0x0200
#define AX_N_CELSIUS       0x0400      /* the enum holds Celcius/Celsius */
#define AX_N_UNIT          0x0800      /* the unit of measure enum */
#define AX_N_NUM_VALUE     0x1000      /* sampledValue.value */
#define AX_N_LENGTH        0x2000      /* minLength or maxLength */
#define AX_N_COUNT         0x4000      /* minItems or maxItems */
#define AX_N_OBJ           0x8000      /* any object keyword */

#define AX_N_NUMERIC  (AX_N_MIN|AX_N_MAX|AX_N_XMIN|AX_N_XMAX|AX_N_MULTIPLE)

/* the slot of a fingerprint in a table of 2^bits */
#define AX_SLOT(fp, bits)  ((size_t) (((fp) * 0x9e3779b97f4a7c15ULL)         \
                                      >> (64 - (bits))))


typedef struct {
    uint16_t    types;          /* AX_T_* bits; 0: any type */
    uint16_t    flags;          /* AX_N_* */
    uint16_t    nprops;
    uint16_t    nenum;
    uint32_t    props;          /* first of nprops in s->props */
    uint32_t    enums;          /* first of nenum in s->enums */
    uint32_t    ehash;          /* first of 2^ebits slots in s->ehash */
    uint32_t    ebits;
    uint32_t    items;          /* node, or AX_NONE */
    uint32_t    addl;           /* additionalProperties node, or AX_NONE */
    uint32_t    min_length;
    uint32_t    max_length;
    uint32_t    min_items;
    uint32_t    max_items;
    uint64_t    required;       /* bit i: props + i is required */
    double      minimum;
    double      maximum;
    double      xminimum;
    double      xmaximum;
    double      multiple_of;
    json_t     *enum_any;       /* an enum with values other than strings */
} ax_ocpp_node_t;


/*
 * Names and enum values carry a fingerprint (ax_ocpp_fp()): equal lengths
 * and fingerprints mean equal strings up to 8 bytes; beyond, memcmp()
 * confirms.  Each enum of strings has an open addressing table.
 */

typedef struct {
    uint64_t    fp;
    uint32_t    name;           /* offset in the pool */
    uint32_t    len;
    uint32_t    node;
} ax_ocpp_prop_t;


typedef struct {
    uint64_t    fp;
    uint32_t    str;            /* offset in the pool */
    uint32_t    len;
} ax_ocpp_str_t;


typedef struct {
    uint32_t    name;           /* offset in the pool */
    uint32_t    len;
    uint32_t    req;            /* nodes, or AX_NONE */
    uint32_t    conf;
} ax_ocpp_action_t;


struct ax_ocpp_schemas_s {
    ax_ocpp_node_t     *nodes;
    ax_ocpp_prop_t     *props;
    ax_ocpp_str_t      *enums;
    uint16_t           *ehash;          /* enum index + 1, 0 empty */
    char               *pool;
    ax_ocpp_action_t   *actions;
    int32_t            *hash;           /* indexes of actions, -1 empty */
    size_t              nnodes;
    size_t              nactions;
    size_t              hash_mask;
    json_t             *empty;          /* the {} that replaces null */
};


typedef struct {
    json_t             *target;
    uint32_t            node;
} ax_ocpp_ref_t;


typedef struct {
    ax_ocpp_schemas_t  *s;
    size_t              nodes_size;
    size_t              nprops;
    size_t              props_size;
    size_t              nenums;
    size_t              enums_size;
    size_t              nehash;
    size_t              ehash_size;
    size_t              pool_len;
    size_t              pool_size;
    size_t              actions_size;
    ax_ocpp_ref_t      *refs;
    size_t              nrefs;
    size_t              refs_size;
    json_t             *doc;            /* the schema being compiled */
    char                where[80];      /* its id, for messages */
    unsigned            depth;
    char               *err;
    size_t              errlen;
} ax_ocpp_loader_t;


typedef struct {
    const char         *key;            /* NULL: an array index */
    size_t              n;              /* key length, or the index */
} ax_ocpp_seg_t;


typedef struct {
    const ax_ocpp_schemas_t  *s;
    unsigned                  flags;
    unsigned                  depth;
    uint32_t                  skip;     /* an array node whose items are
                                           not checked (the filter) */
    ax_ocpp_error_t          *err;
    ax_ocpp_seg_t             path[AX_MAX_DEPTH];
} ax_ocpp_vctx_t;


static int ax_ocpp_load_error(ax_ocpp_loader_t *ld, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int ax_ocpp_grow(void **p, size_t *size, size_t n, size_t more,
    size_t elt);
static int ax_ocpp_pool_add(ax_ocpp_loader_t *ld, const char *s, size_t n,
    uint32_t *off);
static int ax_ocpp_new_node(ax_ocpp_loader_t *ld, uint32_t *idx);
static int ax_ocpp_add_schema(ax_ocpp_loader_t *ld, json_t *sch, size_t i);
static int ax_ocpp_compile(ax_ocpp_loader_t *ld, json_t *sch, uint32_t *out);
static int ax_ocpp_compile_into(ax_ocpp_loader_t *ld, json_t *sch,
    uint32_t idx);
static int ax_ocpp_compile_props(ax_ocpp_loader_t *ld, json_t *props,
    json_t *required, uint32_t idx);
static int ax_ocpp_compile_enum(ax_ocpp_loader_t *ld, json_t *e,
    uint32_t idx);
static int ax_ocpp_type_bit(ax_ocpp_loader_t *ld, json_t *v, uint32_t idx);
static int ax_ocpp_count(ax_ocpp_loader_t *ld, json_t *v, const char *kw,
    uint32_t *out);
static int ax_ocpp_build_hash(ax_ocpp_loader_t *ld);
static uint64_t ax_ocpp_fp(const char *p, size_t len);
static uint32_t ax_ocpp_hash_key(const char *p, size_t len);
static const ax_ocpp_action_t *ax_ocpp_find(const ax_ocpp_schemas_t *s,
    const char *name, size_t len);
static uint32_t ax_ocpp_find_prop(const ax_ocpp_schemas_t *s, uint32_t node,
    const char *name);

static int ax_ocpp_check(ax_ocpp_vctx_t *c, uint32_t idx, json_t *v,
    json_t *parent, void *iter, size_t index);
static int ax_ocpp_check_object(ax_ocpp_vctx_t *c,
    const ax_ocpp_node_t *n, json_t *v);
static int ax_ocpp_check_array(ax_ocpp_vctx_t *c, uint32_t idx,
    const ax_ocpp_node_t *n, json_t *v);
static int ax_ocpp_check_string(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n,
    json_t *v);
static int ax_ocpp_check_number(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n,
    json_t *v);
static int ax_ocpp_check_enum_any(ax_ocpp_vctx_t *c,
    const ax_ocpp_node_t *n, json_t *v);
static json_t *ax_ocpp_replace(json_t *parent, void *iter, size_t index,
    json_t *v);
static int ax_ocpp_multiple(json_t *v, double m);
static int ax_ocpp_uri(const char *p, size_t len);
static int ax_ocpp_fail(ax_ocpp_vctx_t *c, const char *code,
    const char *key, size_t klen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void ax_ocpp_text_add(char *buf, size_t size, size_t *len,
    const char *s, size_t n);
static const char *ax_ocpp_type_name(unsigned types, char *buf,
    size_t size);


/* validation keywords not implemented: a schema using one is refused */
static const char  *ax_ocpp_unsupported[] = {
    "pattern", "patternProperties", "propertyNames", "dependencies",
    "dependentRequired", "dependentSchemas", "allOf", "anyOf", "oneOf",
    "not", "if", "then", "else", "const", "contains", "minContains",
    "maxContains", "uniqueItems", "minProperties", "maxProperties",
    "additionalItems", "unevaluatedItems", "unevaluatedProperties",
    "prefixItems", "$dynamicRef", "$recursiveRef", NULL
};


/* loading */

ax_ocpp_schemas_t *
ax_ocpp_schemas_load(const char *json_text, size_t len, char *err,
    size_t errlen)
{
    size_t              i, n;
    json_t             *doc;
    json_error_t        jerr;
    ax_ocpp_loader_t    ld;
    ax_ocpp_schemas_t  *s;

    if (errlen) {
        err[0] = '\0';
    }

    memset(&ld, 0, sizeof(ax_ocpp_loader_t));
    ld.err = err;
    ld.errlen = errlen;

    doc = json_loadb(json_text, len, 0, &jerr);

    if (doc == NULL) {
        ax_ocpp_load_error(&ld, "invalid JSON at line %d column %d: %s",
                           jerr.line, jerr.column, jerr.text);
        return NULL;
    }

    s = calloc(1, sizeof(ax_ocpp_schemas_t));

    if (s == NULL) {
        json_decref(doc);
        ax_ocpp_load_error(&ld, "out of memory");
        return NULL;
    }

    ld.s = s;

    s->empty = json_object();

    /* every array exists, even empty: no pointer arithmetic on NULL */

    if (s->empty == NULL
        || ax_ocpp_grow((void **) &s->props, &ld.props_size, 0, 1,
                        sizeof(ax_ocpp_prop_t)) != 0
        || ax_ocpp_grow((void **) &s->enums, &ld.enums_size, 0, 1,
                        sizeof(ax_ocpp_str_t)) != 0
        || ax_ocpp_grow((void **) &s->ehash, &ld.ehash_size, 0, 1,
                        sizeof(uint16_t)) != 0)
    {
        ax_ocpp_load_error(&ld, "out of memory");
        goto failed;
    }

    if (json_is_array(doc)) {
        n = json_array_size(doc);

        for (i = 0; i < n; i++) {
            if (ax_ocpp_add_schema(&ld, json_array_get(doc, i), i) != 0) {
                goto failed;
            }
        }

    } else if (ax_ocpp_add_schema(&ld, doc, 0) != 0) {
        goto failed;
    }

    ld.where[0] = '\0';

    if (s->nactions == 0) {
        ax_ocpp_load_error(&ld, "no schema found");
        goto failed;
    }

    if (ax_ocpp_build_hash(&ld) != 0) {
        goto failed;
    }

    free(ld.refs);
    json_decref(doc);

    return s;

failed:

    free(ld.refs);
    json_decref(doc);
    ax_ocpp_schemas_free(s);

    return NULL;
}


ax_ocpp_schemas_t *
ax_ocpp_schemas_load_file(const char *path, char *err, size_t errlen)
{
    FILE               *f;
    char               *text, *p;
    size_t              len, size, n;
    ax_ocpp_schemas_t  *s;

    f = fopen(path, "rb");

    if (f == NULL) {
        if (errlen) {
            snprintf(err, errlen, "cannot open %s", path);
        }
        return NULL;
    }

    text = NULL;
    len = 0;
    size = 0;

    for ( ;; ) {
        if (size - len < 65536) {
            size = size ? size * 2 : 262144;
            p = realloc(text, size);

            if (p == NULL) {
                free(text);
                fclose(f);
                if (errlen) {
                    snprintf(err, errlen, "out of memory reading %s", path);
                }
                return NULL;
            }

            text = p;
        }

        n = fread(text + len, 1, size - len, f);
        len += n;

        if (n == 0) {
            break;
        }
    }

    if (ferror(f)) {
        free(text);
        fclose(f);
        if (errlen) {
            snprintf(err, errlen, "cannot read %s", path);
        }
        return NULL;
    }

    fclose(f);

    s = ax_ocpp_schemas_load(text, len, err, errlen);

    free(text);

    return s;
}


void
ax_ocpp_schemas_free(ax_ocpp_schemas_t *s)
{
    size_t  i;

    if (s == NULL) {
        return;
    }

    for (i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].enum_any != NULL) {
            json_decref(s->nodes[i].enum_any);
        }
    }

    if (s->empty != NULL) {
        json_decref(s->empty);
    }

    free(s->nodes);
    free(s->props);
    free(s->enums);
    free(s->ehash);
    free(s->pool);
    free(s->actions);
    free(s->hash);
    free(s);
}


int
ax_ocpp_schemas_has_action(const ax_ocpp_schemas_t *s, const char *action,
    size_t len)
{
    const ax_ocpp_action_t  *a;

    a = ax_ocpp_find(s, action, len);

    return a != NULL && a->req != AX_NONE;
}


size_t
ax_ocpp_schemas_count(const ax_ocpp_schemas_t *s)
{
    return s->nactions;
}


static int
ax_ocpp_load_error(ax_ocpp_loader_t *ld, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (ld->errlen == 0) {
        return -1;
    }

    n = 0;

    if (ld->where[0]) {
        n = snprintf(ld->err, ld->errlen, "%s: ", ld->where);

        if (n < 0 || (size_t) n >= ld->errlen) {
            return -1;
        }
    }

    va_start(args, fmt);
    vsnprintf(ld->err + n, ld->errlen - n, fmt, args);
    va_end(args);

    return -1;
}


static int
ax_ocpp_grow(void **p, size_t *size, size_t n, size_t more, size_t elt)
{
    void    *np;
    size_t   ns;

    if (*size - n >= more) {
        return 0;
    }

    ns = *size ? *size : 16;

    while (ns - n < more) {
        ns *= 2;
    }

    np = realloc(*p, ns * elt);

    if (np == NULL) {
        return -1;
    }

    *p = np;
    *size = ns;

    return 0;
}


static int
ax_ocpp_pool_add(ax_ocpp_loader_t *ld, const char *s, size_t n,
    uint32_t *off)
{
    if (n > UINT32_MAX / 2 || ld->pool_len + n + 1 > UINT32_MAX) {
        return ax_ocpp_load_error(ld, "the schemas are too large");
    }

    if (ax_ocpp_grow((void **) &ld->s->pool, &ld->pool_size, ld->pool_len,
                     n + 1, 1)
        != 0)
    {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    memcpy(ld->s->pool + ld->pool_len, s, n);
    ld->s->pool[ld->pool_len + n] = '\0';

    *off = (uint32_t) ld->pool_len;
    ld->pool_len += n + 1;

    return 0;
}


static int
ax_ocpp_new_node(ax_ocpp_loader_t *ld, uint32_t *idx)
{
    ax_ocpp_node_t  *n;

    if (ld->s->nnodes >= UINT32_MAX - 1) {
        return ax_ocpp_load_error(ld, "the schemas are too large");
    }

    if (ax_ocpp_grow((void **) &ld->s->nodes, &ld->nodes_size,
                     ld->s->nnodes, 1, sizeof(ax_ocpp_node_t))
        != 0)
    {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    n = &ld->s->nodes[ld->s->nnodes];

    memset(n, 0, sizeof(ax_ocpp_node_t));
    n->items = AX_NONE;
    n->addl = AX_NONE;
    n->max_length = UINT32_MAX;
    n->max_items = UINT32_MAX;

    *idx = (uint32_t) ld->s->nnodes++;

    return 0;
}


/*
 * One schema of the document: its action and kind from "$id" (or "id", or
 * "title"): the part after the last ":", ending in ".req" or "Request" for
 * a request, ".conf" or "Response" for a response.
 */

static int
ax_ocpp_add_schema(ax_ocpp_loader_t *ld, json_t *sch, size_t i)
{
    int                 conf;
    size_t              len, k;
    json_t             *id;
    uint32_t            node, off;
    const char         *name, *p;
    ax_ocpp_action_t   *a;
    ax_ocpp_schemas_t  *s;

    s = ld->s;
    ld->where[0] = '\0';

    if (!json_is_object(sch)) {
        return ax_ocpp_load_error(ld, "schema %zu is not an object", i);
    }

    id = json_object_get(sch, "$id");

    if (!json_is_string(id)) {
        id = json_object_get(sch, "id");
    }

    if (!json_is_string(id)) {
        id = json_object_get(sch, "title");
    }

    if (!json_is_string(id)) {
        return ax_ocpp_load_error(ld, "schema %zu has no $id", i);
    }

    name = json_string_value(id);
    len = json_string_length(id);

    snprintf(ld->where, sizeof(ld->where), "%.*s",
             (int) (len < 60 ? len : 60), name);

    for (p = name + len; p > name && p[-1] != ':'; p--) { /* void */ }

    len -= p - name;
    name = p;

    if (len > 4 && memcmp(name + len - 4, ".req", 4) == 0) {
        conf = 0;
        len -= 4;

    } else if (len > 5 && memcmp(name + len - 5, ".conf", 5) == 0) {
        conf = 1;
        len -= 5;

    } else if (len > 7 && memcmp(name + len - 7, "Request", 7) == 0) {
        conf = 0;
        len -= 7;

    } else if (len > 8 && memcmp(name + len - 8, "Response", 8) == 0) {
        conf = 1;
        len -= 8;

    } else {
        return ax_ocpp_load_error(ld, "cannot tell the action and the kind "
                                  "(.req or .conf) from the id");
    }

    /* compile: $ref resolves within this schema */

    ld->doc = sch;
    ld->nrefs = 0;
    ld->depth = 0;

    if (ax_ocpp_compile(ld, sch, &node) != 0) {
        return -1;
    }

    for (k = 0; k < s->nactions; k++) {
        a = &s->actions[k];

        if (a->len == len && memcmp(s->pool + a->name, name, len) == 0) {
            break;
        }
    }

    if (k == s->nactions) {
        if (s->nactions >= 30000) {
            return ax_ocpp_load_error(ld, "too many actions");
        }

        if (ax_ocpp_grow((void **) &s->actions, &ld->actions_size,
                         s->nactions, 1, sizeof(ax_ocpp_action_t))
            != 0)
        {
            return ax_ocpp_load_error(ld, "out of memory");
        }

        if (ax_ocpp_pool_add(ld, name, len, &off) != 0) {
            return -1;
        }

        a = &s->actions[s->nactions++];
        a->name = off;
        a->len = (uint32_t) len;
        a->req = AX_NONE;
        a->conf = AX_NONE;
    }

    a = &s->actions[k];

    if ((conf ? a->conf : a->req) != AX_NONE) {
        return ax_ocpp_load_error(ld, "a second schema for the same action");
    }

    if (conf) {
        a->conf = node;

    } else {
        a->req = node;
    }

    return 0;
}


static int
ax_ocpp_compile(ax_ocpp_loader_t *ld, json_t *sch, uint32_t *out)
{
    int          rc, refd;
    size_t       i, k, len;
    json_t      *ref, *t;
    uint32_t     idx;
    const char  *p, *end, *seg;
    char         name[256];

    /* follow $ref, draft-07 style: its siblings are ignored */

    refd = 0;

    for (i = 0;
         json_is_object(sch) && (ref = json_object_get(sch, "$ref")) != NULL;
         i++)
    {
        if (!json_is_string(ref)) {
            return ax_ocpp_load_error(ld, "$ref is not a string");
        }

        if (i == 16) {
            return ax_ocpp_load_error(ld, "a $ref loop");
        }

        p = json_string_value(ref);
        len = json_string_length(ref);
        end = p + len;

        if (len == 0 || p[0] != '#' || (len > 1 && p[1] != '/')) {
            return ax_ocpp_load_error(ld, "$ref \"%s\" is not supported "
                                      "(only \"#\" and \"#/...\")", p);
        }

        /* a JSON pointer from the schema's root */

        t = ld->doc;
        p++;

        while (p < end) {
            seg = ++p;

            while (p < end && *p != '/') {
                p++;
            }

            for (k = 0; seg < p; seg++) {
                if (k == sizeof(name) - 1) {
                    return ax_ocpp_load_error(ld, "$ref too long");
                }

                if (*seg == '~' && seg + 1 < p
                    && (seg[1] == '0' || seg[1] == '1'))
                {
                    name[k++] = (seg[1] == '0') ? '~' : '/';
                    seg++;

                } else {
                    name[k++] = *seg;
                }
            }

            name[k] = '\0';

            t = json_object_get(t, name);

            if (t == NULL) {
                return ax_ocpp_load_error(ld, "$ref \"%s\" not found",
                                          json_string_value(ref));
            }
        }

        sch = t;
        refd = 1;
    }

    if (refd) {
        for (k = 0; k < ld->nrefs; k++) {
            if (ld->refs[k].target == sch) {
                *out = ld->refs[k].node;
                return 0;
            }
        }

        if (ax_ocpp_grow((void **) &ld->refs, &ld->refs_size, ld->nrefs, 1,
                         sizeof(ax_ocpp_ref_t))
            != 0)
        {
            return ax_ocpp_load_error(ld, "out of memory");
        }
    }

    /* the node is reserved first: a target may refer to itself */

    if (ax_ocpp_new_node(ld, &idx) != 0) {
        return -1;
    }

    if (refd) {
        ld->refs[ld->nrefs].target = sch;
        ld->refs[ld->nrefs].node = idx;
        ld->nrefs++;
    }

    if (ld->depth == AX_MAX_COMPILE) {
        return ax_ocpp_load_error(ld, "schemas nested too deep");
    }

    ld->depth++;
    rc = ax_ocpp_compile_into(ld, sch, idx);
    ld->depth--;

    *out = idx;

    return rc;
}


static int
ax_ocpp_compile_into(ax_ocpp_loader_t *ld, json_t *sch, uint32_t idx)
{
    int              draft4_xmin, draft4_xmax;
    size_t           i;
    json_t          *v, *props, *required, *e;
    uint32_t         child;
    const char      *key, *name;
    ax_ocpp_node_t  *n;

#define NODE  (&ld->s->nodes[idx])

    if (json_is_true(sch)) {
        return 0;
    }

    if (json_is_false(sch)) {
        NODE->flags |= AX_N_NEVER;
        return 0;
    }

    if (!json_is_object(sch)) {
        return ax_ocpp_load_error(ld, "a schema is not an object");
    }

    props = NULL;
    required = NULL;
    draft4_xmin = 0;
    draft4_xmax = 0;

    json_object_foreach(sch, key, v) {

        for (i = 0; ax_ocpp_unsupported[i] != NULL; i++) {
            if (strcmp(key, ax_ocpp_unsupported[i]) == 0) {
                return ax_ocpp_load_error(ld, "the keyword \"%s\" is not "
                                          "supported", key);
            }
        }

        if (strcmp(key, "type") == 0) {
            if (json_is_string(v)) {
                if (ax_ocpp_type_bit(ld, v, idx) != 0) {
                    return -1;
                }

            } else if (json_is_array(v)) {
                json_array_foreach(v, i, e) {
                    if (ax_ocpp_type_bit(ld, e, idx) != 0) {
                        return -1;
                    }
                }

                if (NODE->types == 0) {
                    NODE->flags |= AX_N_NEVER;      /* "type": [] */
                }

            } else {
                return ax_ocpp_load_error(ld, "bad \"type\"");
            }

        } else if (strcmp(key, "properties") == 0) {
            if (!json_is_object(v)) {
                return ax_ocpp_load_error(ld, "bad \"properties\"");
            }
            props = v;

        } else if (strcmp(key, "required") == 0) {
            if (!json_is_array(v)) {
                return ax_ocpp_load_error(ld, "bad \"required\"");
            }
            required = v;

        } else if (strcmp(key, "additionalProperties") == 0) {
            if (json_is_false(v)) {
                NODE->flags |= AX_N_ADDL_FALSE | AX_N_OBJ;

            } else if (json_is_object(v)) {
                if (ax_ocpp_compile(ld, v, &child) != 0) {
                    return -1;
                }
                NODE->addl = child;
                NODE->flags |= AX_N_OBJ;

            } else if (!json_is_true(v)) {
                return ax_ocpp_load_error(ld, "bad \"additionalProperties\"");
            }

        } else if (strcmp(key, "items") == 0) {
            if (json_is_array(v)) {
                return ax_ocpp_load_error(ld, "\"items\" as an array (tuple) "
                                          "is not supported");
            }

            if (ax_ocpp_compile(ld, v, &child) != 0) {
                return -1;
            }

            NODE->items = child;

        } else if (strcmp(key, "enum") == 0) {
            if (ax_ocpp_compile_enum(ld, v, idx) != 0) {
                return -1;
            }

        } else if (strcmp(key, "minLength") == 0) {
            if (ax_ocpp_count(ld, v, key, &NODE->min_length) != 0) {
                return -1;
            }
            NODE->flags |= AX_N_LENGTH;

        } else if (strcmp(key, "maxLength") == 0) {
            if (ax_ocpp_count(ld, v, key, &NODE->max_length) != 0) {
                return -1;
            }
            NODE->flags |= AX_N_LENGTH;

        } else if (strcmp(key, "minItems") == 0) {
            if (ax_ocpp_count(ld, v, key, &NODE->min_items) != 0) {
                return -1;
            }
            NODE->flags |= AX_N_COUNT;

        } else if (strcmp(key, "maxItems") == 0) {
            if (ax_ocpp_count(ld, v, key, &NODE->max_items) != 0) {
                return -1;
            }
            NODE->flags |= AX_N_COUNT;

        } else if (strcmp(key, "minimum") == 0) {
            if (!json_is_number(v)) {
                return ax_ocpp_load_error(ld, "bad \"minimum\"");
            }
            NODE->minimum = json_number_value(v);
            NODE->flags |= AX_N_MIN;

        } else if (strcmp(key, "maximum") == 0) {
            if (!json_is_number(v)) {
                return ax_ocpp_load_error(ld, "bad \"maximum\"");
            }
            NODE->maximum = json_number_value(v);
            NODE->flags |= AX_N_MAX;

        } else if (strcmp(key, "exclusiveMinimum") == 0) {
            if (json_is_boolean(v)) {
                draft4_xmin = json_is_true(v);

            } else if (json_is_number(v)) {
                NODE->xminimum = json_number_value(v);
                NODE->flags |= AX_N_XMIN;

            } else {
                return ax_ocpp_load_error(ld, "bad \"exclusiveMinimum\"");
            }

        } else if (strcmp(key, "exclusiveMaximum") == 0) {
            if (json_is_boolean(v)) {
                draft4_xmax = json_is_true(v);

            } else if (json_is_number(v)) {
                NODE->xmaximum = json_number_value(v);
                NODE->flags |= AX_N_XMAX;

            } else {
                return ax_ocpp_load_error(ld, "bad \"exclusiveMaximum\"");
            }

        } else if (strcmp(key, "multipleOf") == 0) {
            if (!json_is_number(v) || !(json_number_value(v) > 0)) {
                return ax_ocpp_load_error(ld, "bad \"multipleOf\"");
            }
            NODE->multiple_of = json_number_value(v);
            NODE->flags |= AX_N_MULTIPLE;

        } else if (strcmp(key, "format") == 0) {
            name = json_string_value(v);

            if (name == NULL) {
                return ax_ocpp_load_error(ld, "bad \"format\"");
            }

            if (strcmp(name, "date-time") == 0) {
                NODE->flags |= AX_N_DATE_TIME;

            } else if (strcmp(name, "uri") == 0) {
                NODE->flags |= AX_N_URI;
            }
        }

        /* anything else: annotations, definitions, unknown keywords */
    }

    /* draft-04: exclusiveMinimum: true turns minimum exclusive */

    n = NODE;

    if (draft4_xmin && (n->flags & AX_N_MIN)) {
        n->flags = (n->flags & ~AX_N_MIN) | AX_N_XMIN;
        n->xminimum = n->minimum;
    }

    if (draft4_xmax && (n->flags & AX_N_MAX)) {
        n->flags = (n->flags & ~AX_N_MAX) | AX_N_XMAX;
        n->xmaximum = n->maximum;
    }

    if (props != NULL || required != NULL) {
        if (ax_ocpp_compile_props(ld, props, required, idx) != 0) {
            return -1;
        }
    }

    return 0;

#undef NODE
}


static int
ax_ocpp_compile_props(ax_ocpp_loader_t *ld, json_t *props, json_t *required,
    uint32_t idx)
{
    size_t              i, k, n, first, nreq;
    json_t             *v;
    uint32_t            child, off, value;
    const char         *key, *name;
    ax_ocpp_prop_t     *p;
    ax_ocpp_schemas_t  *s;
    int                 has_value, has_measurand;

    s = ld->s;

    /* required names without a schema of their own: any value */

    n = props ? json_object_size(props) : 0;
    nreq = required ? json_array_size(required) : 0;

    for (i = 0; i < nreq; i++) {
        name = json_string_value(json_array_get(required, i));

        if (name == NULL) {
            return ax_ocpp_load_error(ld, "bad \"required\"");
        }

        if (props == NULL || json_object_get(props, name) == NULL) {
            n++;
        }
    }

    if (n > AX_MAX_PROPS) {
        return ax_ocpp_load_error(ld, "more than %d properties in an object",
                                  AX_MAX_PROPS);
    }

    /* one block, reserved before the children add theirs */

    if (ax_ocpp_grow((void **) &s->props, &ld->props_size, ld->nprops, n,
                     sizeof(ax_ocpp_prop_t))
        != 0)
    {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    first = ld->nprops;
    ld->nprops += n;
    k = 0;

    s->nodes[idx].props = (uint32_t) first;
    s->nodes[idx].nprops = (uint16_t) n;
    s->nodes[idx].flags |= AX_N_OBJ;

    has_value = 0;
    has_measurand = 0;
    value = AX_NONE;

    if (props != NULL) {
        json_object_foreach(props, key, v) {
            if (ax_ocpp_pool_add(ld, key, strlen(key), &off) != 0) {
                return -1;
            }

            if (ax_ocpp_compile(ld, v, &child) != 0) {
                return -1;
            }

            p = &s->props[first + k++];
            p->name = off;
            p->len = (uint32_t) strlen(key);
            p->fp = ax_ocpp_fp(key, p->len);
            p->node = child;

            if (strcmp(key, "value") == 0) {
                has_value = 1;
                value = child;

            } else if (strcmp(key, "measurand") == 0) {
                has_measurand = 1;
            }
        }
    }

    for (i = 0; i < nreq; i++) {
        name = json_string_value(json_array_get(required, i));

        for (n = 0; n < k; n++) {
            p = &s->props[first + n];

            if (strcmp(s->pool + p->name, name) == 0) {
                break;
            }
        }

        if (n == k) {
            /* a required name with no schema: any value will do */

            if (ax_ocpp_pool_add(ld, name, strlen(name), &off) != 0
                || ax_ocpp_new_node(ld, &child) != 0)
            {
                return -1;
            }

            p = &s->props[first + k++];
            p->name = off;
            p->len = (uint32_t) strlen(name);
            p->fp = ax_ocpp_fp(name, p->len);
            p->node = child;
        }

        s->nodes[idx].required |= (uint64_t) 1 << n;
    }

    s->nodes[idx].nprops = (uint16_t) k;

    /* sampledValue: its value may come as a number (a leniency) */

    if (has_value && has_measurand
        && s->nodes[value].types == AX_T_STRING)
    {
        s->nodes[value].flags |= AX_N_NUM_VALUE;
    }

    return 0;
}


static int
ax_ocpp_compile_enum(ax_ocpp_loader_t *ld, json_t *e, uint32_t idx)
{
    int                 wh, fahrenheit;
    size_t              i, n, h, size;
    unsigned            bits;
    uint16_t           *slots;
    json_t             *v;
    uint32_t            off;
    const char         *str;
    ax_ocpp_node_t     *node;
    ax_ocpp_schemas_t  *s;

    s = ld->s;

    if (!json_is_array(e) || json_array_size(e) > 65535) {
        return ax_ocpp_load_error(ld, "bad \"enum\"");
    }

    n = json_array_size(e);

    json_array_foreach(e, i, v) {
        if (!json_is_string(v)) {
            /* values of other types: compared with json_equal() */
            node = &s->nodes[idx];
            node->enum_any = json_incref(e);
            node->flags |= AX_N_ENUM;
            return 0;
        }
    }

    if (ax_ocpp_grow((void **) &s->enums, &ld->enums_size, ld->nenums, n,
                     sizeof(ax_ocpp_str_t))
        != 0)
    {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    s->nodes[idx].enums = (uint32_t) ld->nenums;
    s->nodes[idx].nenum = (uint16_t) n;
    s->nodes[idx].flags |= AX_N_ENUM;

    wh = 0;
    fahrenheit = 0;

    json_array_foreach(e, i, v) {
        str = json_string_value(v);

        if (ax_ocpp_pool_add(ld, str, json_string_length(v), &off) != 0) {
            return -1;
        }

        s->enums[ld->nenums].str = off;
        s->enums[ld->nenums].len = (uint32_t) json_string_length(v);
        s->enums[ld->nenums].fp = ax_ocpp_fp(str, json_string_length(v));
        ld->nenums++;

        if (strcmp(str, "Celsius") == 0 || strcmp(str, "Celcius") == 0) {
            s->nodes[idx].flags |= AX_N_CELSIUS;

        } else if (strcmp(str, "Wh") == 0) {
            wh = 1;

        } else if (strcmp(str, "Fahrenheit") == 0) {
            fahrenheit = 1;
        }
    }

    if (wh && fahrenheit) {
        s->nodes[idx].flags |= AX_N_UNIT;
    }

    /* an open addressing table of twice the values or more */

    for (bits = 2; ((size_t) 1 << bits) < 2 * n; bits++) { /* void */ }

    size = (size_t) 1 << bits;

    if (ax_ocpp_grow((void **) &s->ehash, &ld->ehash_size, ld->nehash, size,
                     sizeof(uint16_t))
        != 0)
    {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    node = &s->nodes[idx];
    node->ehash = (uint32_t) ld->nehash;
    node->ebits = bits;
    slots = &s->ehash[ld->nehash];
    ld->nehash += size;

    memset(slots, 0, size * sizeof(uint16_t));

    for (i = 0; i < n; i++) {
        h = AX_SLOT(s->enums[node->enums + i].fp, bits);

        while (slots[h] != 0) {
            h = (h + 1) & (size - 1);
        }

        slots[h] = (uint16_t) (i + 1);
    }

    return 0;
}


static int
ax_ocpp_type_bit(ax_ocpp_loader_t *ld, json_t *v, uint32_t idx)
{
    size_t       i;
    const char  *name;

    static const struct {
        const char  *name;
        unsigned     bit;
    } types[] = {
        { "object", AX_T_OBJECT }, { "array", AX_T_ARRAY },
        { "string", AX_T_STRING }, { "integer", AX_T_INTEGER },
        { "number", AX_T_NUMBER }, { "boolean", AX_T_BOOLEAN },
        { "null", AX_T_NULL }
    };

    name = json_string_value(v);

    if (name == NULL) {
        return ax_ocpp_load_error(ld, "bad \"type\"");
    }

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(name, types[i].name) == 0) {
            ld->s->nodes[idx].types |= types[i].bit;
            return 0;
        }
    }

    return ax_ocpp_load_error(ld, "unknown type \"%s\"", name);
}


static int
ax_ocpp_count(ax_ocpp_loader_t *ld, json_t *v, const char *kw,
    uint32_t *out)
{
    double  d;

    if (!json_is_number(v)) {
        return ax_ocpp_load_error(ld, "bad \"%s\"", kw);
    }

    d = json_number_value(v);

    if (!(d >= 0)) {
        return ax_ocpp_load_error(ld, "bad \"%s\"", kw);
    }

    if (d >= 4294967295.0) {
        *out = UINT32_MAX;
        return 0;
    }

    if (d != (double) (uint32_t) d) {
        return ax_ocpp_load_error(ld, "bad \"%s\"", kw);
    }

    *out = (uint32_t) d;

    return 0;
}


static int
ax_ocpp_build_hash(ax_ocpp_loader_t *ld)
{
    size_t              i, size, h;
    ax_ocpp_action_t   *a;
    ax_ocpp_schemas_t  *s;

    s = ld->s;

    for (size = 16; size < s->nactions * 4; size *= 2) { /* void */ }

    s->hash = malloc(size * sizeof(int32_t));

    if (s->hash == NULL) {
        return ax_ocpp_load_error(ld, "out of memory");
    }

    for (i = 0; i < size; i++) {
        s->hash[i] = -1;
    }

    s->hash_mask = size - 1;

    for (i = 0; i < s->nactions; i++) {
        a = &s->actions[i];
        h = ax_ocpp_hash_key(s->pool + a->name, a->len) & s->hash_mask;

        while (s->hash[h] != -1) {
            h = (h + 1) & s->hash_mask;
        }

        s->hash[h] = (int32_t) i;
    }

    return 0;
}


/*
 * A fingerprint: for up to 8 bytes, one-to-one among strings of the same
 * length (so equal lengths and fingerprints are equal strings); longer,
 * the first, middle and last 8 bytes mixed (memcmp() confirms).
 */

static uint64_t
ax_ocpp_fp(const char *p, size_t len)
{
    uint32_t  lo, hi;
    uint64_t  a, b, c;

    if (len > 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + (len - 8) / 2, 8);
        memcpy(&c, p + len - 8, 8);

        return a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (c * 0xff51afd7ed558ccdULL);
    }

    if (len >= 4) {
        /* two loads that may overlap: the bytes in their places */
        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);

        return lo | (uint64_t) hi << ((len - 4) * 8);
    }

    if (len == 0) {
        return 0;
    }

    /* 1 to 3 bytes: one-to-one for a given length */

    return (unsigned char) p[0] | (uint64_t) (unsigned char) p[len / 2] << 8
           | (uint64_t) (unsigned char) p[len - 1] << 16;
}


/* FNV-1a */

static uint32_t
ax_ocpp_hash_key(const char *p, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) p[i];
        h *= 16777619u;
    }

    return h;
}


static const ax_ocpp_action_t *
ax_ocpp_find(const ax_ocpp_schemas_t *s, const char *name, size_t len)
{
    size_t                   h;
    int32_t                  i;
    const ax_ocpp_action_t  *a;

    h = ax_ocpp_hash_key(name, len) & s->hash_mask;

    for ( ;; ) {
        i = s->hash[h];

        if (i < 0) {
            return NULL;
        }

        a = &s->actions[i];

        if (a->len == len && memcmp(s->pool + a->name, name, len) == 0) {
            return a;
        }

        h = (h + 1) & s->hash_mask;
    }
}


static uint32_t
ax_ocpp_find_prop(const ax_ocpp_schemas_t *s, uint32_t node,
    const char *name)
{
    size_t                 i, len;
    const ax_ocpp_node_t  *n;
    const ax_ocpp_prop_t  *p;

    if (node == AX_NONE) {
        return AX_NONE;
    }

    n = &s->nodes[node];
    len = strlen(name);

    for (i = 0; i < n->nprops; i++) {
        p = &s->props[n->props + i];

        if (p->len == len && memcmp(s->pool + p->name, name, len) == 0) {
            return p->node;
        }
    }

    return AX_NONE;
}


/* validation */

int
ax_ocpp_validate(const ax_ocpp_schemas_t *s, const char *action,
    size_t action_len, int is_response, json_t **payload, unsigned flags,
    ax_ocpp_error_t *err)
{
    json_t                  *v;
    uint32_t                 idx;
    ax_ocpp_vctx_t           c;
    const ax_ocpp_node_t    *n;
    const ax_ocpp_action_t  *a;

    c.s = s;
    c.flags = flags;
    c.depth = 0;
    c.skip = AX_NONE;
    c.err = err;

    a = ax_ocpp_find(s, action, action_len);
    idx = (a == NULL) ? AX_NONE : (is_response ? a->conf : a->req);

    if (idx == AX_NONE) {
        if (is_response) {
            return 0;
        }

        return ax_ocpp_fail(&c, "NotImplemented", NULL, 0,
                            "unknown action \"%.*s\"",
                            (int) (action_len > 64 ? 64 : action_len),
                            action);
    }

    v = *payload;
    n = &s->nodes[idx];

    if (v == NULL || json_is_null(v)) {
        if ((flags & AX_OCPP_LENIENT_NULL_PAYLOAD) && n->required == 0
            && (n->types & AX_T_OBJECT))
        {
            *payload = s->empty;
            return 0;
        }

        return ax_ocpp_fail(&c, "FormationViolation", NULL, 0,
                            "not an object");
    }

    if (!json_is_object(v)) {
        return ax_ocpp_fail(&c, "FormationViolation", NULL, 0,
                            "not an object");
    }

    return ax_ocpp_check(&c, idx, v, NULL, NULL, 0);
}


int
ax_ocpp_filter_sampled_values(const ax_ocpp_schemas_t *s,
    const char *action, json_t *payload, unsigned flags, char *first_problem,
    size_t len)
{
    int                      dropped, emptied;
    size_t                   i, j, oi, oj, nsv;
    json_t                  *arr, *entry, *svs;
    uint32_t                 arr_node, entry_node, svs_node, sv_node;
    const char              *key;
    ax_ocpp_vctx_t           c;
    ax_ocpp_error_t          err;
    const ax_ocpp_action_t  *a;

    if (first_problem != NULL && len > 0) {
        first_problem[0] = '\0';
    }

    if (strcmp(action, "MeterValues") == 0) {
        key = "meterValue";

    } else if (strcmp(action, "StopTransaction") == 0) {
        key = "transactionData";

    } else {
        return 0;
    }

    a = ax_ocpp_find(s, action, strlen(action));

    if (a == NULL || !json_is_object(payload)) {
        return 0;
    }

    arr_node = ax_ocpp_find_prop(s, a->req, key);
    entry_node = (arr_node == AX_NONE) ? AX_NONE : s->nodes[arr_node].items;
    svs_node = ax_ocpp_find_prop(s, entry_node, "sampledValue");
    sv_node = (svs_node == AX_NONE) ? AX_NONE : s->nodes[svs_node].items;

    arr = json_object_get(payload, key);

    if (sv_node == AX_NONE || !json_is_array(arr)) {
        return 0;
    }

    c.s = s;
    c.flags = flags;
    c.err = &err;
    c.path[0].key = key;
    c.path[0].n = strlen(key);

    dropped = 0;
    i = 0;

    for (oi = 0; i < json_array_size(arr); oi++) {
        entry = json_array_get(arr, i);
        c.path[1].key = NULL;
        c.path[1].n = oi;

        /* the sampled values one by one */

        svs = json_object_get(entry, "sampledValue");
        emptied = 0;

        if (json_is_array(svs)) {
            nsv = json_array_size(svs);
            c.skip = AX_NONE;
            j = 0;

            for (oj = 0; j < json_array_size(svs); oj++) {
                c.path[2].key = "sampledValue";
                c.path[2].n = sizeof("sampledValue") - 1;
                c.path[3].key = NULL;
                c.path[3].n = oj;
                c.depth = 4;

                if (ax_ocpp_check(&c, sv_node, json_array_get(svs, j), svs,
                                  NULL, j)
                    == 0)
                {
                    j++;
                    continue;
                }

                if (dropped++ == 0 && first_problem != NULL && len > 0) {
                    snprintf(first_problem, len, "%s", err.text);
                }

                json_array_remove(svs, j);
            }

            emptied = (nsv > 0 && json_array_size(svs) == 0);
        }

        if (emptied) {
            json_array_remove(arr, i);
            continue;
        }

        /* the entry itself, its sampled values known good */

        c.skip = svs_node;
        c.depth = 2;

        if (ax_ocpp_check(&c, entry_node, entry, arr, NULL, i) == 0) {
            i++;
            continue;
        }

        if (dropped++ == 0 && first_problem != NULL && len > 0) {
            snprintf(first_problem, len, "%s", err.text);
        }

        json_array_remove(arr, i);
    }

    return dropped;
}


static int
ax_ocpp_check(ax_ocpp_vctx_t *c, uint32_t idx, json_t *v, json_t *parent,
    void *iter, size_t index)
{
    int                    n;
    char                   num[40], tn[64];
    double                 d;
    unsigned               t;
    json_int_t             i;
    const ax_ocpp_node_t  *node;

    node = &c->s->nodes[idx];

    if (node->flags & AX_N_NEVER) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "not allowed");
    }

    switch (json_typeof(v)) {
    case JSON_OBJECT:  t = AX_T_OBJECT; break;
    case JSON_ARRAY:   t = AX_T_ARRAY; break;
    case JSON_STRING:  t = AX_T_STRING; break;
    case JSON_INTEGER: t = AX_T_INTEGER | AX_T_NUMBER; break;
    case JSON_REAL:    t = AX_T_NUMBER; break;
    case JSON_NULL:    t = AX_T_NULL; break;
    default:           t = AX_T_BOOLEAN; break;
    }

    if (node->types != 0 && (node->types & t) == 0) {

        if (t == AX_T_NUMBER && (node->types & AX_T_INTEGER)) {
            /* 5.0 is an integer for JSON Schema: made one for the caller */

            d = json_real_value(v);

            if (d >= -9.2e18 && d <= 9.2e18 && d == (double) (long long) d) {
                if (parent != NULL) {
                    v = ax_ocpp_replace(parent, iter, index,
                                        json_integer((json_int_t) d));
                    if (v == NULL) {
                        return ax_ocpp_fail(c, "InternalError", NULL, 0,
                                            "out of memory");
                    }
                }

                t = AX_T_INTEGER | AX_T_NUMBER;
                goto typed;
            }
        }

        if ((node->flags & AX_N_NUM_VALUE)
            && (c->flags & AX_OCPP_LENIENT_NUMERIC_VALUE)
            && (t & AX_T_NUMBER) && parent != NULL)
        {
            if (json_is_integer(v)) {
                i = json_integer_value(v);
                n = snprintf(num, sizeof(num), "%lld", (long long) i);

            } else {
                d = json_real_value(v);

                for (n = 15; n <= 17; n++) {
                    snprintf(num, sizeof(num), "%.*g", n, d);

                    if (strtod(num, NULL) == d) {
                        break;
                    }
                }

                n = (int) strlen(num);
            }

            v = ax_ocpp_replace(parent, iter, index, json_stringn(num, n));

            if (v == NULL) {
                return ax_ocpp_fail(c, "InternalError", NULL, 0,
                                    "out of memory");
            }

            t = AX_T_STRING;
            goto typed;
        }

        return ax_ocpp_fail(c, "TypeConstraintViolation", NULL, 0,
                            "not %s", ax_ocpp_type_name(node->types, tn,
                                                        sizeof(tn)));
    }

typed:

    switch (t) {

    case AX_T_STRING:
        if (node->flags & (AX_N_LENGTH | AX_N_ENUM | AX_N_DATE_TIME
                           | AX_N_URI))
        {
            return ax_ocpp_check_string(c, node, v);
        }
        return 0;

    case AX_T_OBJECT:
        if (node->flags & AX_N_OBJ) {
            if (node->flags & AX_N_ENUM) {
                if (ax_ocpp_check_enum_any(c, node, v) != 0) {
                    return -1;
                }
            }
            return ax_ocpp_check_object(c, node, v);
        }
        break;

    case AX_T_ARRAY:
        if (node->items != AX_NONE || (node->flags & AX_N_COUNT)) {
            if (node->flags & AX_N_ENUM) {
                if (ax_ocpp_check_enum_any(c, node, v) != 0) {
                    return -1;
                }
            }
            return ax_ocpp_check_array(c, idx, node, v);
        }
        break;

    case AX_T_INTEGER | AX_T_NUMBER:
    case AX_T_NUMBER:
        if (node->flags & AX_N_NUMERIC) {
            if (ax_ocpp_check_number(c, node, v) != 0) {
                return -1;
            }
        }
        break;
    }

    if (node->flags & AX_N_ENUM) {
        return ax_ocpp_check_enum_any(c, node, v);
    }

    return 0;
}


static int
ax_ocpp_check_object(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n, json_t *v)
{
    int                    rc;
    void                  *it;
    size_t                 k, klen;
    uint64_t               seen, missing, fp;
    const char            *key;
    const ax_ocpp_prop_t  *props, *p;
    const char            *pool;

    pool = c->s->pool;
    props = &c->s->props[n->props];
    seen = 0;

    if (c->depth == AX_MAX_DEPTH) {
        return ax_ocpp_fail(c, "FormationViolation", NULL, 0,
                            "nested too deep");
    }

    for (it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
        key = json_object_iter_key(it);
        klen = json_object_iter_key_len(it);
        fp = ax_ocpp_fp(key, klen);

        for (k = 0; k < n->nprops; k++) {
            p = &props[k];

            if (p->fp == fp && p->len == klen
                && (klen <= 8 || memcmp(pool + p->name, key, klen) == 0))
            {
                break;
            }
        }

        c->path[c->depth].key = key;
        c->path[c->depth].n = klen;

        if (k < n->nprops) {
            seen |= (uint64_t) 1 << k;

            c->depth++;
            rc = ax_ocpp_check(c, props[k].node, json_object_iter_value(it),
                               v, it, 0);
            c->depth--;

            if (rc != 0) {
                return -1;
            }

            continue;
        }

        if (n->flags & AX_N_ADDL_FALSE) {
            return ax_ocpp_fail(c, "PropertyConstraintViolation", key, klen,
                                "unknown property");
        }

        if (n->addl != AX_NONE) {
            c->depth++;
            rc = ax_ocpp_check(c, n->addl, json_object_iter_value(it), v, it,
                               0);
            c->depth--;

            if (rc != 0) {
                return -1;
            }
        }
    }

    missing = n->required & ~seen;

    if (missing) {
        for (k = 0; !(missing & ((uint64_t) 1 << k)); k++) { /* void */ }

        p = &props[k];

        return ax_ocpp_fail(c, "OccurenceConstraintViolation",
                            pool + p->name, p->len, "missing");
    }

    return 0;
}


static int
ax_ocpp_check_array(ax_ocpp_vctx_t *c, uint32_t idx,
    const ax_ocpp_node_t *n, json_t *v)
{
    size_t  i, size;

    size = json_array_size(v);

    if (size < n->min_items) {
        return ax_ocpp_fail(c, "OccurenceConstraintViolation", NULL, 0,
                            "fewer than %u items", (unsigned) n->min_items);
    }

    if (size > n->max_items) {
        return ax_ocpp_fail(c, "OccurenceConstraintViolation", NULL, 0,
                            "more than %u items", (unsigned) n->max_items);
    }

    if (n->items == AX_NONE || idx == c->skip) {
        return 0;
    }

    if (c->depth == AX_MAX_DEPTH) {
        return ax_ocpp_fail(c, "FormationViolation", NULL, 0,
                            "nested too deep");
    }

    for (i = 0; i < size; i++) {
        c->path[c->depth].key = NULL;
        c->path[c->depth].n = i;
        c->depth++;

        if (ax_ocpp_check(c, n->items, json_array_get(v, i), v, NULL, i)
            != 0)
        {
            c->depth--;
            return -1;
        }

        c->depth--;
    }

    return 0;
}


static int
ax_ocpp_check_string(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n, json_t *v)
{
    int                   found;
    size_t                len, i, k, cps, mask;
    uint64_t              fp;
    long long             ms;
    const char           *str;
    const uint16_t       *slots;
    const ax_ocpp_str_t  *en;

    str = json_string_value(v);
    len = json_string_length(v);

    if (n->flags & AX_N_LENGTH) {

        /* code points: bytes that do not continue a UTF-8 sequence */

        if (len > n->max_length || len < n->min_length) {
            cps = 0;

            for (i = 0; i < len; i++) {
                cps += ((unsigned char) str[i] & 0xc0) != 0x80;
            }

            if (cps > n->max_length) {
                return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                                    "longer than %u characters",
                                    (unsigned) n->max_length);
            }

            if (cps < n->min_length) {
                return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                                    "shorter than %u characters",
                                    (unsigned) n->min_length);
            }
        }
    }

    if (n->flags & AX_N_ENUM) {
        if (n->enum_any != NULL) {
            return ax_ocpp_check_enum_any(c, n, v);
        }

        en = &c->s->enums[n->enums];
        slots = &c->s->ehash[n->ehash];
        mask = ((size_t) 1 << n->ebits) - 1;
        fp = ax_ocpp_fp(str, len);
        found = 0;

        for (i = AX_SLOT(fp, n->ebits); slots[i] != 0; i = (i + 1) & mask) {
            k = slots[i] - 1;

            if (en[k].fp == fp && en[k].len == len
                && (len <= 8
                    || memcmp(c->s->pool + en[k].str, str, len) == 0))
            {
                found = 1;
                break;
            }
        }

        if (!found
            && !((n->flags & AX_N_CELSIUS)
                 && (c->flags & AX_OCPP_LENIENT_CELSIUS)
                 && len == 7
                 && (memcmp(str, "Celsius", 7) == 0
                     || memcmp(str, "Celcius", 7) == 0))
            && !((n->flags & AX_N_UNIT)
                 && (c->flags & AX_OCPP_LENIENT_HERTZ)
                 && ((len == 5 && memcmp(str, "Hertz", 5) == 0)
                     || (len == 2 && memcmp(str, "Hz", 2) == 0))))
        {
            return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                                "not one of the allowed values");
        }
    }

    if (n->flags & AX_N_DATE_TIME) {
        if (ax_ocpp_time_parse(str, len,
                               c->flags & AX_OCPP_LENIENT_TIME_NO_OFFSET,
                               &ms)
            != 0)
        {
            return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                                "not a valid date-time");
        }
    }

    if (n->flags & AX_N_URI) {
        if (ax_ocpp_uri(str, len) != 0) {
            return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                                "not a valid URI");
        }
    }

    return 0;
}


static int
ax_ocpp_check_number(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n, json_t *v)
{
    double  d;

    d = json_number_value(v);

    if ((n->flags & AX_N_MIN) && d < n->minimum) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "less than %g", n->minimum);
    }

    if ((n->flags & AX_N_MAX) && d > n->maximum) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "greater than %g", n->maximum);
    }

    if ((n->flags & AX_N_XMIN) && d <= n->xminimum) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "not greater than %g", n->xminimum);
    }

    if ((n->flags & AX_N_XMAX) && d >= n->xmaximum) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "not less than %g", n->xmaximum);
    }

    if ((n->flags & AX_N_MULTIPLE) && !ax_ocpp_multiple(v, n->multiple_of)) {
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "not a multiple of %g", n->multiple_of);
    }

    return 0;
}


static int
ax_ocpp_check_enum_any(ax_ocpp_vctx_t *c, const ax_ocpp_node_t *n,
    json_t *v)
{
    size_t   i;
    json_t  *e;

    if (n->enum_any == NULL) {
        /* an enum of strings only, and v is not a string */
        return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                            "not one of the allowed values");
    }

    json_array_foreach(n->enum_any, i, e) {
        if (json_equal(e, v)) {
            return 0;
        }

        /* 1 and 1.0 are the same number for JSON Schema */

        if (json_is_number(e) && json_is_number(v)
            && json_number_value(e) == json_number_value(v))
        {
            return 0;
        }
    }

    return ax_ocpp_fail(c, "PropertyConstraintViolation", NULL, 0,
                        "not one of the allowed values");
}


/* replaces the value at its place in parent; returns the new value */

static json_t *
ax_ocpp_replace(json_t *parent, void *iter, size_t index, json_t *v)
{
    int  rc;

    if (v == NULL) {
        return NULL;
    }

    if (iter != NULL) {
        rc = json_object_iter_set_new(parent, iter, v);

    } else {
        rc = json_array_set_new(parent, index, v);
    }

    return (rc == 0) ? v : NULL;
}


/*
 * multipleOf, decimal-safe: 12.3 / 0.1 is 123.00000000000001 in binary
 * floating point, so the quotient only needs to be near an integer (as
 * ocpp-rpc and mobilityhouse/ocpp check it).  Integers against an integral
 * divisor are checked exactly.
 */

static int
ax_ocpp_multiple(json_t *v, double m)
{
    double      q, r;
    long long   i, mi;

    if (json_is_integer(v) && m >= 1 && m < 9.0e15
        && m == (double) (long long) m)
    {
        i = json_integer_value(v);
        mi = (long long) m;
        return i % mi == 0;
    }

    q = json_number_value(v) / m;

    if (q > 9007199254740992.0 || q < -9007199254740992.0) {
        return 1;           /* beyond 2^53 every double is an integer */
    }

    r = q - (double) (long long) q;

    if (r < 0) {
        r = -r;
    }

    if (r > 0.5) {
        r = 1 - r;
    }

    if (q < 0) {
        q = -q;
    }

    return r <= 1e-6 + q * 1e-12;
}


/* an absolute URI, roughly RFC 3986: a scheme, ":", no white space */

static int
ax_ocpp_uri(const char *p, size_t len)
{
    size_t         i;
    unsigned char  ch;

    if (len < 3 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z')) {
        return -1;
    }

    for (i = 1; i < len && p[i] != ':'; i++) {
        ch = (unsigned char) p[i];

        if (!(((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')
              || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-'
              || ch == '.'))
        {
            return -1;
        }
    }

    if (i + 1 >= len) {
        return -1;
    }

    for (i++; i < len; i++) {
        ch = (unsigned char) p[i];

        if (ch <= 0x20 || ch >= 0x7f || strchr("\"<>\\^`{|}", ch) != NULL) {
            return -1;
        }
    }

    return 0;
}


/* errors: "meterValue[0].sampledValue[1].unit: message" */

static int
ax_ocpp_fail(ax_ocpp_vctx_t *c, const char *code, const char *key,
    size_t klen, const char *fmt, ...)
{
    int              n;
    char             msg[96], idx[24];
    size_t           len, i;
    va_list          args;
    ax_ocpp_error_t  *err;

    err = c->err;
    len = 0;

    for (i = 0; i < c->depth; i++) {
        if (c->path[i].key != NULL) {
            if (i > 0) {
                ax_ocpp_text_add(err->text, sizeof(err->text), &len, ".", 1);
            }

            ax_ocpp_text_add(err->text, sizeof(err->text), &len,
                             c->path[i].key, c->path[i].n);

        } else {
            n = snprintf(idx, sizeof(idx), "[%zu]", c->path[i].n);
            ax_ocpp_text_add(err->text, sizeof(err->text), &len, idx, n);
        }
    }

    if (key != NULL) {
        if (len > 0) {
            ax_ocpp_text_add(err->text, sizeof(err->text), &len, ".", 1);
        }

        ax_ocpp_text_add(err->text, sizeof(err->text), &len, key, klen);
    }

    if (len == 0 && strcmp(code, "NotImplemented") != 0) {
        ax_ocpp_text_add(err->text, sizeof(err->text), &len, "payload", 7);
    }

    if (len > 0) {
        ax_ocpp_text_add(err->text, sizeof(err->text), &len, ": ", 2);
    }

    va_start(args, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;
    }

    ax_ocpp_text_add(err->text, sizeof(err->text), &len, msg,
                     (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1);

    err->text[len] = '\0';
    err->code = code;
    err->description = err->text;

    return -1;
}


/* appends, cut at a UTF-8 character boundary when full */

static void
ax_ocpp_text_add(char *buf, size_t size, size_t *len, const char *s,
    size_t n)
{
    size_t  room;

    room = size - 1 - *len;

    if (n > room) {
        n = room;

        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    memcpy(buf + *len, s, n);
    *len += n;
}


static const char *
ax_ocpp_type_name(unsigned types, char *buf, size_t size)
{
    size_t       i, len;
    const char  *sep;

    static const struct {
        unsigned     bit;
        const char  *name;
        const char  *article;
    } names[] = {
        { AX_T_OBJECT, "object", "an object" },
        { AX_T_ARRAY, "array", "an array" },
        { AX_T_STRING, "string", "a string" },
        { AX_T_INTEGER, "integer", "an integer" },
        { AX_T_NUMBER, "number", "a number" },
        { AX_T_BOOLEAN, "boolean", "a boolean" },
        { AX_T_NULL, "null", "null" },
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (types == names[i].bit) {
            return names[i].article;
        }
    }

    /* several types: "of type string|null" */

    len = (size_t) snprintf(buf, size, "of type ");
    sep = "";

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((types & names[i].bit) && len < size) {
            len += (size_t) snprintf(buf + len, size - len, "%s%s", sep,
                                     names[i].name);
            sep = "|";
        }
    }

    return buf;
}
