
/*
 * Markdown to an HTML fragment: libcmark with safe defaults, plus
 * GitHub-style pipe tables (see ax_readme_md.c).  Plain C: no nginx
 * headers, malloc only.
 */

#ifndef _AX_README_MD_H_INCLUDED_
#define _AX_README_MD_H_INCLUDED_


#include <stddef.h>


typedef struct {
    char    *html;          /* malloc'd, NUL-terminated */
    size_t   html_len;
    char    *title;         /* malloc'd plain text of the first heading */
    size_t   title_len;     /* 0: the document has no heading */
} ax_readme_md_t;


/* 0 on success, -1 when out of memory; md need not be NUL-terminated */
int ax_readme_md_render(const char *md, size_t len, ax_readme_md_t *out);
void ax_readme_md_free(ax_readme_md_t *out);


#endif /* _AX_README_MD_H_INCLUDED_ */
