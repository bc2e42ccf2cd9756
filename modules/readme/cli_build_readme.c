
/*
 * arthexis build-readme: README.md = README.base.md, then each app's
 * README.md in app order, joined by a blank line (the seed's build_readme).
 */

#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <ax_cli.h>


typedef struct {
    char    *data;
    size_t   len;
    size_t   size;
} ax_readme_buf_t;


static int ax_cli_build_readme_main(int argc, char **argv);
static int ax_readme_append_file(ax_readme_buf_t *b, const char *path,
    int required);
static char *ax_readme_read(const char *path, size_t *len);


const ax_cli_command_t  ax_cli_build_readme = {
    "build-readme",
    "regenerate README.md from README.base.md and modules/*/README.md",
    "[--root DIR] [--check]\n\n"
    "Writes DIR/README.md (DIR defaults to the current directory) from\n"
    "README.base.md followed by each app's README.md in app order, joined\n"
    "by a blank line.  With --check, writes nothing and exits 1 when\n"
    "README.md is not current.\n",
    ax_cli_build_readme_main
};


static int
ax_cli_build_readme_main(int argc, char **argv)
{
    int               check, rc;
    char              path[4096];
    char             *old, *root;
    FILE             *f;
    size_t            old_len;
    const char      **app;
    ax_readme_buf_t   b;

    check = ax_cli_take_flag(&argc, argv, "--check");
    root = ax_cli_take_option(&argc, argv, "--root");

    if (root == NULL) {
        root = ".";
    }

    if (argc > 1) {
        fprintf(stderr, "arthexis build-readme: unexpected \"%s\"\n",
                argv[1]);
        return 2;
    }

    memset(&b, 0, sizeof(b));

    snprintf(path, sizeof(path), "%s/README.base.md", root);

    if (ax_readme_append_file(&b, path, 1) != 0) {
        free(b.data);
        return 1;
    }

    for (app = ax_cli_apps; *app; app++) {
        snprintf(path, sizeof(path), "%s/modules/%s/README.md", root, *app);

        if (ax_readme_append_file(&b, path, 0) != 0) {
            free(b.data);
            return 1;
        }
    }

    snprintf(path, sizeof(path), "%s/README.md", root);

    if (check) {
        old = ax_readme_read(path, &old_len);
        rc = (old != NULL && old_len == b.len
              && memcmp(old, b.data, b.len) == 0) ? 0 : 1;

        if (rc) {
            fprintf(stderr, "README.md is not current: run "
                    "./build.sh readme\n");
        }

        free(old);
        free(b.data);
        return rc;
    }

    f = fopen(path, "w");

    if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len) {
        fprintf(stderr, "arthexis build-readme: cannot write %s: %s\n",
                path, strerror(errno));
        if (f) {
            fclose(f);
        }
        free(b.data);
        return 1;
    }

    if (fclose(f) != 0) {
        fprintf(stderr, "arthexis build-readme: cannot write %s: %s\n",
                path, strerror(errno));
        free(b.data);
        return 1;
    }

    printf("wrote %s\n", path);
    free(b.data);

    return 0;
}


static int
ax_readme_append_file(ax_readme_buf_t *b, const char *path, int required)
{
    char    *text, *p;
    size_t   len, need;

    text = ax_readme_read(path, &len);

    if (text == NULL) {
        if (!required && errno == ENOENT) {
            return 0;
        }

        fprintf(stderr, "arthexis build-readme: cannot read %s: %s\n",
                path, strerror(errno));
        return -1;
    }

    /* each part ends with exactly one newline; parts are joined by one
     * blank line */

    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'
                   || text[len - 1] == ' '))
    {
        len--;
    }

    need = b->len + len + 3;

    if (need > b->size) {
        p = realloc(b->data, need * 2);
        if (p == NULL) {
            free(text);
            fprintf(stderr, "arthexis build-readme: out of memory\n");
            return -1;
        }

        b->data = p;
        b->size = need * 2;
    }

    if (b->len) {
        b->data[b->len++] = '\n';
    }

    memcpy(b->data + b->len, text, len);
    b->len += len;
    b->data[b->len++] = '\n';

    free(text);

    return 0;
}


static char *
ax_readme_read(const char *path, size_t *len)
{
    long   size;
    char  *text;
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fclose(f);
        return NULL;
    }

    text = malloc(size + 1);

    if (text == NULL || fread(text, 1, size, f) != (size_t) size) {
        free(text);
        fclose(f);
        return NULL;
    }

    fclose(f);
    text[size] = '\0';
    *len = size;

    return text;
}
