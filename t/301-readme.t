# The readme module: Markdown files served as Bootstrap pages (cmark, safe
# defaults, pipe tables), the per-worker cache, conditional GET, the
# Markdown source on request, and the errors.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    # the pages never touch the database: the core's SQLite under logs/,
    # in the PostgreSQL pass too (no worker racing the schema's reset)
    $block->set_value('http_config',
        "    arthexis_database sqlite:logs/arthexis.sqlite3;\n"
        . ($block->http_config // ''));
});

# the whole page around a rendered body
sub page ($$;$) {
    my ($title, $body, $link) = @_;

    $link //= '<link rel="stylesheet" '
              . 'href="/static/bootstrap5/css/bootstrap.min.css">';

    return <<"_EOP_";
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>$title</title>
$link
<style>
main img { max-width: 100%; }
main pre { background: #f8f9fa; padding: .75rem 1rem; border-radius: .375rem; }
main blockquote { border-left: .25rem solid #dee2e6; padding-left: 1rem; color: #6c757d; }
</style>
</head>
<body>
<main class="container my-4">
$body</main>
</body>
</html>
_EOP_
}

# writes a file below html/ with a given mtime (seconds)
sub write_doc ($$;$) {
    my ($name, $text, $mtime) = @_;
    my $path = Test::Nginx::Util::html_dir() . "/$name";

    open my $fh, '>', $path or die "$path: $!\n";
    print $fh $text;
    close $fh;

    utime($mtime, $mtime, $path) or die "utime $path: $!\n" if $mtime;
}

run_tests();

__DATA__

=== TEST 1: a whole page: the title from the first heading, Bootstrap
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Hello *world*

Some `code` and a [link](https://example.com/?a=1&b=2).
--- request
GET /doc
--- response_headers
Content-Type: text/html; charset=utf-8
Vary: Accept
--- response_body eval
main::page('Hello world', <<'_EOB_')
<h1>Hello <em>world</em></h1>
<p>Some <code>code</code> and a <a href="https://example.com/?a=1&amp;b=2">link</a>.</p>
_EOB_
--- no_error_log
[error]



=== TEST 2: headings, lists, code blocks, quotes, links
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Title

## Section

1. first
2. second
   - nested

* bullet

```bash
./build.sh run && echo "<done>"
```

    indented code

> a quote

See [the seed][seed] and <https://example.org/>.

[seed]: https://example.com/seed "The seed"
--- request
GET /doc
--- response_body eval
main::page('Title', <<'_EOB_')
<h1>Title</h1>
<h2>Section</h2>
<ol>
<li>first</li>
<li>second
<ul>
<li>nested</li>
</ul>
</li>
</ol>
<ul>
<li>bullet</li>
</ul>
<pre><code class="language-bash">./build.sh run &amp;&amp; echo &quot;&lt;done&gt;&quot;
</code></pre>
<pre><code>indented code
</code></pre>
<blockquote>
<p>a quote</p>
</blockquote>
<p>See <a href="https://example.com/seed" title="The seed">the seed</a> and <a href="https://example.org/">https://example.org/</a>.</p>
_EOB_



=== TEST 3: pipe tables: alignment, inline markup, escaped pipes
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Tables
| directive | default | meaning |
|:--|:-:|--:|
| `readme_markdown PATH` | - | a page, `a\|b` |
| **bold** | *em* [ref] | x \| y |

[ref]: /ref
--- request
GET /doc
--- response_body eval
main::page('Tables', <<'_EOB_')
<h1>Tables</h1>
<div class="table-responsive"><table class="table table-bordered">
<thead>
<tr>
<th style="text-align: left">
directive
</th>
<th style="text-align: center">
default
</th>
<th style="text-align: right">
meaning
</th>
</tr>
</thead>
<tbody>
<tr>
<td style="text-align: left">
<code>readme_markdown PATH</code>
</td>
<td style="text-align: center">
-
</td>
<td style="text-align: right">
a page, <code>a|b</code>
</td>
</tr>
<tr>
<td style="text-align: left">
<strong>bold</strong>
</td>
<td style="text-align: center">
<em>em</em> <a href="/ref">ref</a>
</td>
<td style="text-align: right">
x | y
</td>
</tr>
</tbody>
</table></div>
_EOB_



=== TEST 4: tables: missing cells are empty, extra ones dropped, no pipes
needed at the edges, block markers in cells stay text, a blank line ends
the table
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
a | b
--|--
1
| - x | # y | extra |

after
--- request
GET /doc
--- response_body eval
main::page('doc.md', <<'_EOB_')
<div class="table-responsive"><table class="table table-bordered">
<thead>
<tr>
<th>
a
</th>
<th>
b
</th>
</tr>
</thead>
<tbody>
<tr>
<td>
1
</td>
<td>
</td>
</tr>
<tr>
<td>
- x
</td>
<td>
# y
</td>
</tr>
</tbody>
</table></div>
<p>after</p>
_EOB_



=== TEST 5: not tables: fenced code, a delimiter row with another cell
count, a header without a delimiter row, a list item
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
```
| a | b |
|---|---|
```

| a | b |
|---|

| a | b |
| c | d |

- x | y
  |---|---|
--- request
GET /doc
--- response_body_unlike: <table
--- response_body_like: <pre><code>\| a \| b \|\n\|---\|---\|\n</code></pre>



=== TEST 6: a table in a list item stays in the item
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
- item

  | a |
  |---|
  | 1 |
- next
--- request
GET /doc
--- response_body_like: <li>\n<p>item</p>\n<div class="table-responsive"><table class="table table-bordered">\n<thead>\n<tr>\n<th>\na\n</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>\n1\n</td>\n</tr>\n</tbody>\n</table></div>\n</li>\n<li>\n<p>next</p>\n</li>



=== TEST 7: raw HTML is neutralised, dangerous links dropped
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Safe <script>alert(1)</script>

<script>alert(2)</script>

<div onclick="x()">block</div>

Inline <img src=x onerror="alert(3)"> and [js](javascript:alert(4))
and ![img](data:text/html,x) and a | b

| <b>cell</b> | [c](javascript:alert(5)) |
|---|---|
--- request
GET /doc
--- response_body eval
main::page('Safe alert(1)', <<'_EOB_')
<h1>Safe <!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted --></h1>
<!-- raw HTML omitted -->
<!-- raw HTML omitted -->
<p>Inline <!-- raw HTML omitted --> and <a href="">js</a>
and <img src="" alt="img" /> and a | b</p>
<div class="table-responsive"><table class="table table-bordered">
<thead>
<tr>
<th>
<!-- raw HTML omitted -->cell<!-- raw HTML omitted -->
</th>
<th>
<a href="">c</a>
</th>
</tr>
</thead>
</table></div>
_EOB_



=== TEST 8: the title is HTML-escaped; without a heading, the file name
--- config
    location = /a { readme_markdown html/a.md; }
    location = /b { readme_markdown html/b&c.md; }
--- user_files
>>> a.md
Intro.

# Fish & Chips "<3"
>>> b&c.md
no heading
--- request eval
["GET /a", "GET /b"]
--- response_body_like eval
[qr{<title>Fish &amp; Chips &quot;&lt;3&quot;</title>.*<h1>Fish &amp; Chips &quot;&lt;3&quot;</h1>}s,
 qr{<title>b&amp;c\.md</title>}]



=== TEST 9: UTF-8 is kept, invalid bytes become U+FFFD
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files eval
[["doc.md", "# Caf\xc3\xa9 \xe2\x9a\xa1\n\nbad \xff byte\n"]]
--- request
GET /doc
--- response_body_like eval
qr{<title>Caf\xc3\xa9 \xe2\x9a\xa1</title>.*<p>bad \xef\xbf\xbd byte</p>}s



=== TEST 10: the local Bootstrap: the page links it, the alias serves it
--- config
    location = /doc { readme_markdown html/doc.md; }
    location /static/bootstrap5/ {
        alias /usr/share/javascript/bootstrap5/;
        types { text/css css; }
    }
--- user_files
>>> doc.md
# Doc
--- request eval
["GET /doc", "GET /static/bootstrap5/css/bootstrap.min.css"]
--- response_headers eval
["Content-Type: text/html; charset=utf-8", "Content-Type: text/css"]
--- response_body_like eval
[qr{<link rel="stylesheet" href="/static/bootstrap5/css/bootstrap\.min\.css">},
 qr{^/\*!\s*\* Bootstrap +v5\.}]



=== TEST 11: readme_bootstrap_css: a CDN with integrity, from the server
level; a location can go back to a local copy
--- config
    readme_bootstrap_css https://cdn.jsdelivr.net/npm/bootstrap@5.2.3/dist/css/bootstrap.min.css sha384-rbsA2VBKQhggwzxH7pPCaAqO46MgnOM80zW1RWuH61DGLwZJEdK2Kadq2F9CUG65;
    location = /doc { readme_markdown html/doc.md; }
    location = /local {
        readme_bootstrap_css "/css/b.css?a=1&b=2";
        readme_markdown html/doc.md;
    }
--- user_files
>>> doc.md
# Doc
--- request eval
["GET /doc", "GET /local"]
--- response_body eval
[main::page('Doc', "<h1>Doc</h1>\n",
     '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5.2.3/dist/css/bootstrap.min.css" integrity="sha384-rbsA2VBKQhggwzxH7pPCaAqO46MgnOM80zW1RWuH61DGLwZJEdK2Kadq2F9CUG65" crossorigin="anonymous">'),
 main::page('Doc', "<h1>Doc</h1>\n",
     '<link rel="stylesheet" href="/css/b.css?a=1&amp;b=2">')]



=== TEST 12: readme_bootstrap_css refuses what is not an integrity hash
--- config
    location = /doc {
        readme_bootstrap_css https://cdn.example.com/b.css md5-abc;
        readme_markdown html/doc.md;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "md5-abc": expected a subresource integrity hash such as "sha384-\.\.\." in .*nginx\.conf:\d+/



=== TEST 13: readme_markdown is duplicate
--- config
    location = /doc {
        readme_markdown html/a.md;
        readme_markdown html/b.md;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"readme_markdown" directive is duplicate in .*nginx\.conf:\d+/



=== TEST 14: a missing file is 404, logged with its path
--- config
    location = /doc { readme_markdown html/missing.md; }
--- request
GET /doc
--- error_code: 404
--- error_log eval
qr{\[error\] .*readme: stat\(\) "\S+/html/missing\.md" failed \(2: No such file or directory\)}



=== TEST 15: a directory is 404, logged with the path
--- config
    location = /dir { readme_markdown html; }
--- request
GET /dir
--- error_code: 404
--- error_log eval
qr{\[error\] .*readme: "\S+/html" is not a file}



=== TEST 16: a file that cannot be read is 500, logged with the path
--- config
    location = /loop { readme_markdown html/loop.md; }
--- init
my $loop = Test::Nginx::Util::html_dir() . '/loop.md';
unlink $loop;
symlink('loop.md', $loop) or die "symlink: $!\n";
--- request
GET /loop
--- error_code: 500
--- error_log eval
qr{\[error\] .*readme: stat\(\) "\S+/html/loop\.md" failed \(40: Too many levels of symbolic links\)}



=== TEST 17: a file over 8 MB is 500, logged
--- config
    location = /big { readme_markdown html/big.md; }
--- init
main::write_doc('big.md', "# Big\n" . ('x' x (8 * 1024 * 1024)));
--- request
GET /big
--- error_code: 500
--- error_log eval
qr{\[error\] .*readme: "\S+/html/big\.md" is too large \(8388614 bytes, at most 8388608\)}



=== TEST 18: a file the workers may not read is 500, logged (not as root)
--- skip_eval: 2: $> == 0
--- config
    location = /secret { readme_markdown html/secret.md; }
--- init
main::write_doc('secret.md', "# Secret\n");
chmod 0, Test::Nginx::Util::html_dir() . '/secret.md';
--- request
GET /secret
--- error_code: 500
--- error_log eval
qr{\[error\] .*readme: open\(\) "\S+/html/secret\.md" failed \(13: Permission denied\)}



=== TEST 19: other methods are 405 with Allow
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Doc
--- request
POST /doc
x=1
--- error_code: 405
--- response_headers
Allow: GET, HEAD



=== TEST 20: HEAD gives the headers of GET and no body
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md 202401020304.05
# Doc
--- request
HEAD /doc
--- response_headers eval
"Content-Type: text/html; charset=utf-8\nContent-Length: "
. length(main::page('Doc', "<h1>Doc</h1>\n"))
. "\nLast-Modified: Tue, 02 Jan 2024 03:04:05 GMT"
--- response_body



=== TEST 21: Last-Modified and ETag; If-Modified-Since and If-None-Match
give 304
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md 202401020304.05
# Doc
--- request eval
["GET /doc", "GET /doc", "GET /doc", "GET /doc", "GET /doc?format=md"]
--- more_headers eval
my $etag = sprintf('"%x-%x"', 1704164645,
                   length(main::page('Doc', "<h1>Doc</h1>\n")));
["", "If-Modified-Since: Tue, 02 Jan 2024 03:04:05 GMT",
 "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT",
 "If-None-Match: $etag", "If-None-Match: $etag"]
--- error_code eval
[200, 304, 200, 304, 200]
--- response_headers eval
my $etag = sprintf('"%x-%x"', 1704164645,
                   length(main::page('Doc', "<h1>Doc</h1>\n")));
my $lm = "Last-Modified: Tue, 02 Jan 2024 03:04:05 GMT";
["$lm\nETag: $etag", $lm, $lm, "$lm\nETag: $etag",
 sprintf("%s\nETag: \"%x-%x\"", $lm, 1704164645, length("# Doc\n"))]



=== TEST 22: the Markdown source: ?format=md, Accept: text/markdown
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Doc

<b>as is</b>
--- request eval
["GET /doc?format=md", "GET /doc", "GET /doc", "GET /doc?format=html"]
--- more_headers eval
["", "Accept: text/markdown",
 "Accept: text/html,application/xhtml+xml,text/markdown;q=0.9",
 "Accept: text/markdown"]
--- response_headers eval
["Content-Type: text/markdown; charset=utf-8\nVary: Accept",
 "Content-Type: text/markdown; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
["^# Doc\n\n<b>as is</b>\n\\z", "^# Doc\n\n<b>as is</b>\n\\z",
 "^<!DOCTYPE html>", "^<!DOCTYPE html>"]



=== TEST 23: the second request comes from the cache
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Doc
--- init
main::http_get('/doc');
--- request
GET /doc
--- grep_error_log eval
qr/readme: (?:rendered|from the cache)/
--- grep_error_log_out
readme: rendered
readme: from the cache



=== TEST 24: an edited file is rendered again (its mtime changed)
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# Old
--- init
my ($status, $body) = main::http_get('/doc');
die "first request: $status $body\n" unless $body =~ m{<h1>Old</h1>};
main::write_doc('doc.md', "# New\n", time - 60);
--- request
GET /doc
--- response_body_like: <title>New</title>.*<h1>New</h1>



=== TEST 25: same size, only the mtime changed: rendered again
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md 202401020304.05
# AAA
--- init
my ($status, $body) = main::http_get('/doc');
die "first request: $status $body\n" unless $body =~ m{<h1>AAA</h1>};
main::write_doc('doc.md', "# BBB\n", 1704164645 + 1);
--- request
GET /doc
--- response_body_like: <h1>BBB</h1>



=== TEST 26: a file removed, then back: 404, then the new page
--- config
    location = /doc { readme_markdown html/doc.md; }
--- user_files
>>> doc.md
# One
--- init
my ($status, $body) = main::http_get('/doc');
die "first request: $status\n" unless $status == 200;
unlink(Test::Nginx::Util::html_dir() . '/doc.md');
($status) = main::http_get('/doc');
die "removed: $status\n" unless $status == 404;
main::write_doc('doc.md', "# Two\n");
--- request
GET /doc
--- response_body_like: <h1>Two</h1>



=== TEST 27: a page still being sent when its file changes: that client
gets the old page whole, the next one the new page
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 sndbuf=4k;
        location = /big { readme_markdown html/big.md; }
    }
--- config
    location = /big { readme_markdown html/big.md; }
--- init
use Socket qw( SOL_SOCKET SO_RCVBUF );
my $conf = Test::Nginx::Util::server_root() . '/conf/nginx.conf';
open my $fh, '<', $conf or die "$conf: $!\n";
my ($port) = join('', <$fh>) =~ /listen 127\.0\.0\.1:(\d+) sndbuf/;
my $old = "# Old\n\n" . ("word " x 15 . "\n\n") x 40000;
main::write_doc('big.md', $old);

# a client that reads slowly: 4 KB buffers both sides
my $sock = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!\n";
setsockopt($sock, SOL_SOCKET, SO_RCVBUF, 4096) or die "setsockopt: $!\n";
$sock->connect(Socket::pack_sockaddr_in($port, Socket::inet_aton('127.0.0.1')))
    or die "connect: $!\n";
print $sock "GET /big HTTP/1.0\r\nHost: localhost\r\n\r\n";
sysread($sock, my $got, 1000) or die "no answer\n";

main::write_doc('big.md', "# New\n");
my ($status, $body) = main::http_get('/big');
Test::More::like($body, qr{<h1>New</h1>}, 'the next request: the new page');

$sock->blocking(0);
my $sel = IO::Select->new($sock);
while ($sel->can_read(10)) {
    my $n = sysread($sock, my $chunk, 65536);
    last unless $n;
    $got .= $chunk;
}
my ($head, $page) = split /\r\n\r\n/, $got, 2;
my ($len) = $head =~ /Content-Length: (\d+)/;
Test::More::is(length($page), $len, 'the slow client: all of the old page');
Test::More::ok($page =~ m{^<!DOCTYPE html>.*<h1>Old</h1>.*</html>\n\z}s
               && $page =~ tr/\n// > 40000, 'the slow client: the old page');
--- request
GET /big
--- response_body_like: <h1>New</h1>
--- error_log
readme: out of the cache, kept for 1 responses being sent



=== TEST 28: variables in the path; the cache is keyed by the full path
--- http_config
    map $uri $doc {
        ~^/docs/(?<name>[a-z]+)$  $name;
    }
--- config
    location /docs/ { readme_markdown html/$doc.md; }
--- user_files
>>> a.md
# A
>>> b.md
# B
--- request eval
["GET /docs/a", "GET /docs/b", "GET /docs/a", "GET /docs/zz"]
--- error_code eval
[200, 200, 200, 404]
--- response_body_like eval
["<h1>A</h1>", "<h1>B</h1>", "<h1>A</h1>", "404 Not Found"]



=== TEST 29: a path that comes out empty is the prefix: 404, logged
--- config
    location = /empty { readme_markdown $arg_doc; }
--- request
GET /empty
--- error_code: 404
--- error_log eval
my $prefix = Test::Nginx::Util::server_root();
qr{\[error\] .*readme: "\Q$prefix\E/" is not a file}



=== TEST 30: readme_cache_entries 1: two files evict each other
--- http_config
    readme_cache_entries 1;
--- config
    location = /a { readme_markdown html/a.md; }
    location = /b { readme_markdown html/b.md; }
--- user_files
>>> a.md
# A
>>> b.md
# B
--- init
main::http_get($_) for '/a', '/a', '/b';
--- request
GET /a
--- response_body_like: <h1>A</h1>
--- grep_error_log eval
qr/readme: (?:rendered|from the cache)/
--- grep_error_log_out
readme: rendered
readme: from the cache
readme: rendered
readme: rendered



=== TEST 31: a path relative to the prefix, or absolute
--- config
    location = /rel { readme_markdown html/doc.md; }
    location = /abs { readme_markdown $TEST_NGINX_SERVER_ROOT/html/doc.md; }
--- user_files
>>> doc.md
# Doc
--- request eval
["GET /rel", "GET /abs"]
--- response_body_like eval
["<h1>Doc</h1>", "<h1>Doc</h1>"]
