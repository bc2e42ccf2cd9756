
/*
 * Markdown to an HTML fragment for the readme pages.
 *
 * cmark renders with CMARK_OPT_DEFAULT (safe: raw HTML becomes
 * "<!-- raw HTML omitted -->", javascript:, vbscript:, file: and most
 * data: URLs are dropped), plus CMARK_OPT_VALIDATE_UTF8 (invalid bytes
 * become U+FFFD, the page is served as UTF-8).
 *
 * libcmark 0.30 (Debian 12) is plain CommonMark: no tables.  GitHub's pipe
 * tables are added here in two steps, so that every byte of cell content
 * still goes through cmark's own inline parser and HTML escaping:
 *
 *   1. a pre-pass over the lines finds each table (a header row, a
 *      delimiter row such as "| --- | :-: |" with as many cells, then body
 *      rows up to a blank line or another block: quote, heading, fence,
 *      list item), outside fenced code, and rewrites every cell as a
 *      paragraph of its own: the header's indentation, "\|", the cell
 *      text, a blank line.  The escaped pipe makes the line a paragraph
 *      whatever the cell holds ("- x", "# x", "1. x" stay text, as on
 *      GitHub), and it leaves emphasis at the start of the cell as it
 *      would be at the start of a line.  It records the line of each
 *      cell;
 *   2. cmark parses the rewritten text (link reference definitions work
 *      across the whole document); the paragraphs that start on those
 *      lines lose their leading "|" and move into custom blocks that
 *      print <table>, <thead>, <tbody>, <tr>, <th> and <td>.
 *
 * Like GitHub: "\|" is a pipe inside a cell (also inside code spans),
 * missing cells are empty, extra cells are dropped, ":--", "--:" and
 * ":-:" align columns.  Unlike GitHub: a table inside a block quote is
 * not recognised, and a table that follows a list item without a blank
 * line ends the list.
 */

#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "ax_readme_md.h"


#define AX_MD_OPTIONS  (CMARK_OPT_DEFAULT|CMARK_OPT_VALIDATE_UTF8)


typedef struct {
    char          *data;
    size_t         len;
    size_t         size;
} ax_md_buf_t;


typedef struct {
    const char    *start;
    size_t         len;
} ax_md_span_t;


typedef struct {
    int            line;        /* where the cell's paragraph starts */
    cmark_node    *node;        /* that paragraph, once parsed */
} ax_md_cell_t;


typedef struct {
    size_t         first;       /* its first cell in ctx->cells */
    size_t         align;       /* its first column in ctx->aligns */
    size_t         ncols;
    size_t         nrows;       /* the header row included */
} ax_md_table_t;


typedef struct {
    ax_md_buf_t     out;        /* the rewritten Markdown */
    int             line;       /* the line that out ends on, from 1 */

    ax_md_table_t  *tables;
    size_t          ntables;
    size_t          tables_size;

    ax_md_cell_t   *cells;
    size_t          ncells;
    size_t          cells_size;

    char           *aligns;     /* per column: 0, 'l', 'c' or 'r' */
    size_t          naligns;
    size_t          aligns_size;

    ax_md_span_t   *spans;      /* the cells of the row being split */
    size_t          nspans;
    size_t          spans_size;
} ax_md_ctx_t;


static int ax_md_prepass(ax_md_ctx_t *ctx, const char *p, const char *end);
static int ax_md_table(ax_md_ctx_t *ctx, const char *p, const char *eol,
    const char *next, const char *end, const char **after);
static int ax_md_row(ax_md_ctx_t *ctx, const char *indent, size_t indent_len,
    const char *p, const char *eol, size_t ncols);
static int ax_md_split(ax_md_ctx_t *ctx, const char *p, const char *eol);
static size_t ax_md_indent(const char *p, const char *eol, const char **q);
static int ax_md_blank(const char *p, const char *eol);
static size_t ax_md_fence(const char *q, const char *eol, char *c);
static int ax_md_fence_closes(const char *p, const char *eol, char c,
    size_t n);
static int ax_md_block_start(const char *q, const char *eol);
static int ax_md_list_marker(const char *q, const char *eol);
static int ax_md_delimiter_cell(ax_md_span_t *s, char *align);
static int ax_md_build(ax_md_ctx_t *ctx, ax_md_table_t *t);
static cmark_node *ax_md_custom(cmark_node *parent, const char *enter,
    const char *exit);
static void ax_md_move_cell(cmark_node *para, cmark_node *cell);
static int ax_md_title(cmark_node *heading, ax_readme_md_t *out);
static int ax_md_append(ax_md_buf_t *b, const char *data, size_t len);
static int ax_md_grow(void **array, size_t *size, size_t need, size_t item);


int
ax_readme_md_render(const char *md, size_t len, ax_readme_md_t *out)
{
    int               rc;
    char             *html;
    size_t            i, lo, hi, mid;
    cmark_iter       *iter;
    cmark_node       *doc, *node, *heading;
    ax_md_ctx_t       ctx;
    cmark_event_type  ev;

    memset(out, 0, sizeof(ax_readme_md_t));
    memset(&ctx, 0, sizeof(ax_md_ctx_t));
    ctx.line = 1;

    rc = -1;
    doc = NULL;
    heading = NULL;

    if (ax_md_prepass(&ctx, md, md + len) != 0) {
        goto done;
    }

    if (ctx.ntables) {
        doc = cmark_parse_document(ctx.out.data, ctx.out.len, AX_MD_OPTIONS);

    } else {
        doc = cmark_parse_document(md, len, AX_MD_OPTIONS);
    }

    if (doc == NULL) {
        goto done;
    }

    /* the first heading, and the paragraphs that are table cells */

    iter = cmark_iter_new(doc);
    if (iter == NULL) {
        goto done;
    }

    while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        if (ev != CMARK_EVENT_ENTER) {
            continue;
        }

        node = cmark_iter_get_node(iter);

        switch (cmark_node_get_type(node)) {

        case CMARK_NODE_HEADING:
            if (heading == NULL) {
                heading = node;
            }
            break;

        case CMARK_NODE_PARAGRAPH:
            lo = 0;
            hi = ctx.ncells;

            while (lo < hi) {
                mid = lo + (hi - lo) / 2;

                if (ctx.cells[mid].line < cmark_node_get_start_line(node)) {
                    lo = mid + 1;

                } else {
                    hi = mid;
                }
            }

            if (lo < ctx.ncells
                && ctx.cells[lo].line == cmark_node_get_start_line(node)
                && ctx.cells[lo].node == NULL)
            {
                ctx.cells[lo].node = node;
            }

            break;

        default:
            break;
        }
    }

    cmark_iter_free(iter);

    if (heading && ax_md_title(heading, out) != 0) {
        goto done;
    }

    for (i = 0; i < ctx.ntables; i++) {
        if (ax_md_build(&ctx, &ctx.tables[i]) != 0) {
            goto done;
        }
    }

    html = cmark_render_html(doc, AX_MD_OPTIONS);
    if (html == NULL) {
        goto done;
    }

    out->html = html;
    out->html_len = strlen(html);
    rc = 0;

done:

    if (doc) {
        cmark_node_free(doc);
    }

    if (rc != 0) {
        free(out->title);
        out->title = NULL;
        out->title_len = 0;
    }

    free(ctx.out.data);
    free(ctx.tables);
    free(ctx.cells);
    free(ctx.aligns);
    free(ctx.spans);

    return rc;
}


void
ax_readme_md_free(ax_readme_md_t *out)
{
    free(out->html);
    free(out->title);
    out->html = NULL;
    out->title = NULL;
}


/* step 1: copies the lines to ctx->out, rewriting tables */

static int
ax_md_prepass(ax_md_ctx_t *ctx, const char *p, const char *end)
{
    int          rc;
    char         fence_char;
    size_t       fence_len;
    const char  *eol, *next, *q, *after;

    fence_char = 0;
    fence_len = 0;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        next = (eol < end) ? eol + 1 : end;

        if (fence_len) {
            if (ax_md_fence_closes(p, eol, fence_char, fence_len)) {
                fence_len = 0;
            }

        } else if (ax_md_indent(p, eol, &q) <= 3
                   && (fence_len = ax_md_fence(q, eol, &fence_char)))
        {
            /* a fence opens: copied as is */

        } else if (next < end) {
            rc = ax_md_table(ctx, p, eol, next, end, &after);

            if (rc < 0) {
                return -1;
            }

            if (rc == 1) {
                p = after;
                continue;
            }
        }

        if (ax_md_append(&ctx->out, p, next - p) != 0) {
            return -1;
        }

        if (eol < end) {
            ctx->line++;
        }

        p = next;
    }

    return 0;
}


/*
 * A table whose header row is [p, eol) and whose delimiter row starts at
 * next: 1 (rewritten; *after is the first line after it), 0 (not a
 * table), -1 (out of memory).
 */

static int
ax_md_table(ax_md_ctx_t *ctx, const char *p, const char *eol,
    const char *next, const char *end, const char **after)
{
    char           *align;
    size_t          indent_len, ncols, i;
    const char     *q, *eol2, *indent;
    ax_md_table_t  *t;

    if (ax_md_indent(p, eol, &q) > 3 || ax_md_block_start(q, eol)
        || ax_md_list_marker(q, eol) || memchr(q, '|', eol - q) == NULL)
    {
        return 0;
    }

    /* the delimiter row */

    eol2 = memchr(next, '\n', end - next);
    if (eol2 == NULL) {
        eol2 = end;
    }

    if (ax_md_indent(next, eol2, &q) > 3 || memchr(q, '|', eol2 - q) == NULL) {
        return 0;
    }

    if (ax_md_split(ctx, q, eol2) != 0) {
        return -1;
    }

    ncols = ctx->nspans;

    if (ax_md_grow((void **) &ctx->aligns, &ctx->aligns_size,
                   ctx->naligns + ncols, 1)
        != 0)
    {
        return -1;
    }

    align = ctx->aligns + ctx->naligns;

    for (i = 0; i < ncols; i++) {
        if (!ax_md_delimiter_cell(&ctx->spans[i], &align[i])) {
            return 0;
        }
    }

    /* the header row: as many cells; its indentation (spaces only, at
     * most 3) is kept for every cell, so that a table in a list item
     * stays in it */

    (void) ax_md_indent(p, eol, &q);
    indent_len = q - p;

    if (ax_md_split(ctx, q, eol) != 0) {
        return -1;
    }

    if (ctx->nspans != ncols) {
        return 0;
    }

    if (ax_md_grow((void **) &ctx->tables, &ctx->tables_size,
                   ctx->ntables + 1, sizeof(ax_md_table_t))
        != 0)
    {
        return -1;
    }

    t = &ctx->tables[ctx->ntables++];
    t->first = ctx->ncells;
    t->align = ctx->naligns;
    t->ncols = ncols;
    t->nrows = 1;
    ctx->naligns += ncols;

    /* a blank line ends whatever paragraph came before */

    if (ax_md_append(&ctx->out, "\n", 1) != 0) {
        return -1;
    }

    ctx->line++;

    if (ax_md_row(ctx, p, indent_len, q, eol, ncols) != 0) {
        return -1;
    }

    /* the body, up to a blank line or another block */

    indent = p;
    p = (eol2 < end) ? eol2 + 1 : end;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        if (ax_md_blank(p, eol)
            || (ax_md_indent(p, eol, &q) <= 3
                && (ax_md_block_start(q, eol) || ax_md_list_marker(q, eol))))
        {
            break;
        }

        if (ax_md_row(ctx, indent, indent_len, q, eol, ncols) != 0) {
            return -1;
        }

        t->nrows++;
        p = (eol < end) ? eol + 1 : end;
    }

    *after = p;

    return 1;
}


/* one row: each cell on its own line as "\|text", then a blank line */

static int
ax_md_row(ax_md_ctx_t *ctx, const char *indent, size_t indent_len,
    const char *p, const char *eol, size_t ncols)
{
    size_t         c;
    const char    *s, *last;
    ax_md_cell_t  *cell;

    if (ax_md_split(ctx, p, eol) != 0) {
        return -1;
    }

    if (ax_md_grow((void **) &ctx->cells, &ctx->cells_size,
                   ctx->ncells + ncols, sizeof(ax_md_cell_t))
        != 0)
    {
        return -1;
    }

    for (c = 0; c < ncols; c++) {
        cell = &ctx->cells[ctx->ncells++];
        cell->line = ctx->line;
        cell->node = NULL;

        if (ax_md_append(&ctx->out, indent, indent_len) != 0
            || ax_md_append(&ctx->out, "\\|", 2) != 0)
        {
            return -1;
        }

        if (c < ctx->nspans) {
            s = ctx->spans[c].start;
            last = s + ctx->spans[c].len;

            /* "\|" is a pipe in the cell's text */

            while (s < last) {
                p = s;

                while (p + 1 < last && !(p[0] == '\\' && p[1] == '|')) {
                    p++;
                }

                if (p + 1 >= last) {
                    p = last;
                }

                if (ax_md_append(&ctx->out, s, p - s) != 0) {
                    return -1;
                }

                if (p == last) {
                    break;
                }

                if (ax_md_append(&ctx->out, "|", 1) != 0) {
                    return -1;
                }

                s = p + 2;
            }
        }

        if (ax_md_append(&ctx->out, "\n\n", 2) != 0) {
            return -1;
        }

        ctx->line += 2;
    }

    return 0;
}


/* ctx->spans = the trimmed cells of the row [p, eol) */

static int
ax_md_split(ax_md_ctx_t *ctx, const char *p, const char *eol)
{
    const char    *start;
    ax_md_span_t  *s;

    ctx->nspans = 0;

    while (p < eol && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (eol > p && (eol[-1] == ' ' || eol[-1] == '\t'
                       || eol[-1] == '\r'))
    {
        eol--;
    }

    if (p < eol && *p == '|') {
        p++;
    }

    start = p;

    for ( ;; ) {
        while (p < eol && *p != '|') {
            p += (*p == '\\' && p + 1 < eol) ? 2 : 1;
        }

        if (ax_md_grow((void **) &ctx->spans, &ctx->spans_size,
                       ctx->nspans + 1, sizeof(ax_md_span_t))
            != 0)
        {
            return -1;
        }

        s = &ctx->spans[ctx->nspans++];
        s->start = start;

        while (s->start < p && (*s->start == ' ' || *s->start == '\t')) {
            s->start++;
        }

        s->len = p - s->start;

        while (s->len && (s->start[s->len - 1] == ' '
                          || s->start[s->len - 1] == '\t'))
        {
            s->len--;
        }

        if (p == eol) {
            break;
        }

        /* a pipe */

        p++;
        start = p;

        if (p == eol) {
            break;
        }
    }

    return 0;
}


/* the width of the indentation (tabs to the next multiple of 4) */

static size_t
ax_md_indent(const char *p, const char *eol, const char **q)
{
    size_t  n;

    n = 0;

    while (p < eol && (*p == ' ' || *p == '\t')) {
        n = (*p == '\t') ? (n + 4) & ~(size_t) 3 : n + 1;
        p++;
    }

    *q = p;

    return n;
}


static int
ax_md_blank(const char *p, const char *eol)
{
    while (p < eol) {
        if (*p != ' ' && *p != '\t' && *p != '\r') {
            return 0;
        }

        p++;
    }

    return 1;
}


/* the length of an opening code fence at q, else 0 */

static size_t
ax_md_fence(const char *q, const char *eol, char *c)
{
    const char  *p;

    if (q == eol || (*q != '`' && *q != '~')) {
        return 0;
    }

    p = q;

    while (p < eol && *p == *q) {
        p++;
    }

    if (p - q < 3) {
        return 0;
    }

    if (*q == '`' && memchr(p, '`', eol - p) != NULL) {
        return 0;
    }

    *c = *q;

    return p - q;
}


static int
ax_md_fence_closes(const char *p, const char *eol, char c, size_t n)
{
    const char  *q;

    if (ax_md_indent(p, eol, &q) > 3) {
        return 0;
    }

    p = q;

    while (p < eol && *p == c) {
        p++;
    }

    return (size_t) (p - q) >= n && ax_md_blank(p, eol);
}


/* a block quote, an ATX heading or a code fence starts at q */

static int
ax_md_block_start(const char *q, const char *eol)
{
    char         c;
    const char  *p;

    if (q == eol) {
        return 0;
    }

    if (*q == '>') {
        return 1;
    }

    if (*q == '#') {
        p = q;

        while (p < eol && *p == '#') {
            p++;
        }

        return p - q <= 6
               && (p == eol || *p == ' ' || *p == '\t' || *p == '\r');
    }

    return ax_md_fence(q, eol, &c) != 0;
}


/* a list item starts at q: "- ", "* ", "+ ", "1. ", "1) " */

static int
ax_md_list_marker(const char *q, const char *eol)
{
    const char  *p;

    if (*q == '-' || *q == '*' || *q == '+') {
        return q + 1 == eol || q[1] == ' ' || q[1] == '\t';
    }

    p = q;

    while (p < eol && *p >= '0' && *p <= '9' && p - q < 9) {
        p++;
    }

    if (p == q || p == eol || (*p != '.' && *p != ')')) {
        return 0;
    }

    p++;

    return p == eol || *p == ' ' || *p == '\t';
}


/* ":?-+:?" */

static int
ax_md_delimiter_cell(ax_md_span_t *s, char *align)
{
    int          left, right;
    const char  *p, *last;

    p = s->start;
    last = p + s->len;

    left = (p < last && *p == ':');
    if (left) {
        p++;
    }

    right = (last > p && last[-1] == ':');
    if (right) {
        last--;
    }

    if (p == last) {
        return 0;
    }

    while (p < last) {
        if (*p++ != '-') {
            return 0;
        }
    }

    *align = (left && right) ? 'c' : left ? 'l' : right ? 'r' : 0;

    return 1;
}


/* step 2: the cells' paragraphs become a table */

static const char  *ax_md_cell_open[2][4] = {
    { "<td>", "<td style=\"text-align: left\">",
      "<td style=\"text-align: center\">",
      "<td style=\"text-align: right\">" },
    { "<th>", "<th style=\"text-align: left\">",
      "<th style=\"text-align: center\">",
      "<th style=\"text-align: right\">" }
};


static int
ax_md_build(ax_md_ctx_t *ctx, ax_md_table_t *t)
{
    int            a;
    char           align;
    size_t         r, c, n;
    cmark_node    *anchor, *table, *section, *tr, *cell;
    ax_md_cell_t  *cells;

    cells = ctx->cells + t->first;
    n = t->ncols * t->nrows;
    anchor = NULL;

    for (c = 0; c < n; c++) {
        if (cells[c].node) {
            anchor = cells[c].node;
            break;
        }
    }

    if (anchor == NULL) {
        /* not parsed as paragraphs (inside an HTML block): left alone */
        return 0;
    }

    table = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
    if (table == NULL) {
        return -1;
    }

    if (cmark_node_set_on_enter(table, "<div class=\"table-responsive\">"
                                "<table class=\"table table-bordered\">")
        == 0
        || cmark_node_set_on_exit(table, "</table></div>") == 0
        || cmark_node_insert_before(anchor, table) == 0)
    {
        cmark_node_free(table);
        return -1;
    }

    section = NULL;

    for (r = 0; r < t->nrows; r++) {
        if (r == 0) {
            section = ax_md_custom(table, "<thead>", "</thead>");

        } else if (r == 1) {
            section = ax_md_custom(table, "<tbody>", "</tbody>");
        }

        if (section == NULL) {
            return -1;
        }

        tr = ax_md_custom(section, "<tr>", "</tr>");
        if (tr == NULL) {
            return -1;
        }

        for (c = 0; c < t->ncols; c++) {
            align = ctx->aligns[t->align + c];
            a = (align == 'l') ? 1 : (align == 'c') ? 2 : (align == 'r') ? 3
                                                                         : 0;

            cell = ax_md_custom(tr, ax_md_cell_open[r == 0][a],
                                r == 0 ? "</th>" : "</td>");
            if (cell == NULL) {
                return -1;
            }

            if (cells[r * t->ncols + c].node) {
                ax_md_move_cell(cells[r * t->ncols + c].node, cell);
                cells[r * t->ncols + c].node = NULL;
            }
        }
    }

    return 0;
}


static cmark_node *
ax_md_custom(cmark_node *parent, const char *enter, const char *exit)
{
    cmark_node  *node;

    node = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
    if (node == NULL) {
        return NULL;
    }

    if (cmark_node_set_on_enter(node, enter) == 0
        || cmark_node_set_on_exit(node, exit) == 0
        || cmark_node_append_child(parent, node) == 0)
    {
        cmark_node_free(node);
        return NULL;
    }

    return node;
}


/* the paragraph's inlines, without the leading "|", into cell */

static void
ax_md_move_cell(cmark_node *para, cmark_node *cell)
{
    char        *rest;
    const char  *text;
    cmark_node  *child;

    child = cmark_node_first_child(para);

    if (child && cmark_node_get_type(child) == CMARK_NODE_TEXT) {
        text = cmark_node_get_literal(child);

        if (text && text[0] == '|') {
            if (text[1] == '\0') {
                cmark_node_free(child);

            } else {
                rest = strdup(text + 1);

                if (rest) {
                    cmark_node_set_literal(child, rest);
                    free(rest);
                }
            }
        }
    }

    while ((child = cmark_node_first_child(para)) != NULL) {
        if (cmark_node_append_child(cell, child) == 0) {
            break;
        }
    }

    cmark_node_free(para);
}


/* the plain text of the heading, spaces for line breaks */

static int
ax_md_title(cmark_node *heading, ax_readme_md_t *out)
{
    cmark_iter        *iter;
    cmark_node        *node;
    const char        *text;
    ax_md_buf_t        b;
    cmark_event_type   ev;

    memset(&b, 0, sizeof(ax_md_buf_t));

    iter = cmark_iter_new(heading);
    if (iter == NULL) {
        return -1;
    }

    while ((ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        if (ev != CMARK_EVENT_ENTER) {
            continue;
        }

        node = cmark_iter_get_node(iter);
        text = NULL;

        switch (cmark_node_get_type(node)) {

        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
            text = cmark_node_get_literal(node);
            break;

        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            text = " ";
            break;

        default:
            break;
        }

        if (text && ax_md_append(&b, text, strlen(text)) != 0) {
            cmark_iter_free(iter);
            free(b.data);
            return -1;
        }
    }

    cmark_iter_free(iter);

    while (b.len && b.data[b.len - 1] == ' ') {
        b.len--;
    }

    if (b.len == 0) {
        free(b.data);
        return 0;
    }

    b.data[b.len] = '\0';
    out->title = b.data;
    out->title_len = b.len;

    return 0;
}


/* keeps room for a NUL after the data */

static int
ax_md_append(ax_md_buf_t *b, const char *data, size_t len)
{
    if (ax_md_grow((void **) &b->data, &b->size, b->len + len + 1, 1) != 0) {
        return -1;
    }

    memcpy(b->data + b->len, data, len);
    b->len += len;

    return 0;
}


static int
ax_md_grow(void **array, size_t *size, size_t need, size_t item)
{
    void    *p;
    size_t   n;

    if (need <= *size) {
        return 0;
    }

    n = *size ? *size : 16;

    while (n < need) {
        if (n > ((size_t) -1) / 2 / item) {
            return -1;
        }

        n *= 2;
    }

    p = realloc(*array, n * item);
    if (p == NULL) {
        return -1;
    }

    *array = p;
    *size = n;

    return 0;
}
