# Sites by server_name (the seed's website app and Site table): the shipped
# conf/arthexis-sites.conf (./build.sh run) and conf/examples/sites.conf,
# loaded as they are, with a stand-in checkout below html/root and a
# stand-in arthexis-routes.conf that proves every site includes it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;

repeat_each(1);
no_shuffle();

our @Apps = qw( core echo accounts nodes subscriptions ocpp odoo readme );

# a conf/ file with its placeholders for this test server
sub sites_conf ($) {
    my $file = shift;
    my $root = Test::Nginx::Util::html_dir() . '/root';
    my $port = Test::Nginx::Util::server_port();

    open my $fh, '<', "$ENV{TEST_NGINX_ROOT}/$file" or die "$file: $!\n";
    local $/;
    my $conf = <$fh>;
    close $fh;

    $conf =~ s/\@ROOT\@/$root/g;
    $conf =~ s{/srv/arthexis/}{$root/}g;
    $conf =~ s/listen 127\.0\.0\.1:8000\b/listen 127.0.0.1:$port/g;
    $conf =~ s/listen 80\b/listen 127.0.0.1:$port/g;
    $conf =~ s{include arthexis-routes\.conf;}
              {include $root/routes.conf;}g;

    return $conf;
}

add_block_preprocessor(sub {
    my $block = shift;

    # the pages never touch the database: the core's SQLite under logs/,
    # in the PostgreSQL pass too (no worker racing the schema's reset)
    $block->set_value('http_config',
        "    arthexis_database sqlite:logs/arthexis.sqlite3;\n"
        . ($block->http_config // ''));

    # the harness's own server block (unused: the sites listen on
    # 127.0.0.1, where the requests go)
    $block->set_value('config', "    location = /t { return 204; }\n");

    # the READMEs, and a route every site must have
    $block->set_value('user_files', [
        ['root/README.md', "# The project\n\nEvery app.\n"],
        (map { ["root/modules/$_/README.md", "# The $_ app\n"] } @Apps),
        ['root/routes.conf',
         qq{location = /probe { return 200 "probe \$host\\n"; }\n}],
    ]);
});

run_tests();

__DATA__

=== TEST 1: conf/arthexis-sites.conf: the default site shows the project
README, also for names it does not know
--- http_config eval
main::sites_conf('conf/arthexis-sites.conf')
--- request eval
["GET /", "GET /", "GET /"]
--- more_headers eval
["Host: localhost", "Host: unknown.example.org", "Host: 127.0.0.1"]
--- response_headers eval
["Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
[qr{<title>The project</title>.*<p>Every app\.</p>}s,
 qr{<title>The project</title>}, qr{<title>The project</title>}]
--- no_error_log
[error]



=== TEST 2: conf/arthexis-sites.conf: APP.localhost shows that app's README
--- http_config eval
main::sites_conf('conf/arthexis-sites.conf')
--- request eval
[map { "GET /" } @main::Apps]
--- more_headers eval
[map { "Host: $_.localhost" } @main::Apps]
--- response_body_like eval
[map { qr{<title>The $_ app</title>.*<h1>The $_ app</h1>}s } @main::Apps]
--- no_error_log
[error]



=== TEST 3: conf/arthexis-sites.conf: every site includes the routes
--- http_config eval
main::sites_conf('conf/arthexis-sites.conf')
--- request eval
[map { "GET /probe" } 'localhost', @main::Apps]
--- more_headers eval
[map { $_ eq 'localhost' ? "Host: $_" : "Host: $_.localhost" }
 'localhost', @main::Apps]
--- response_body eval
[map { $_ eq 'localhost' ? "probe localhost\n" : "probe $_.localhost\n" }
 'localhost', @main::Apps]



=== TEST 4: conf/arthexis-sites.conf: every site serves Bootstrap's CSS
locally, and its pages link it
--- http_config eval
"    types { text/css css; text/html html; }\n"
. main::sites_conf('conf/arthexis-sites.conf')
--- request eval
["GET /static/bootstrap5/css/bootstrap.min.css",
 "GET /static/bootstrap5/css/bootstrap.min.css", "GET /"]
--- more_headers eval
["Host: localhost", "Host: ocpp.localhost", "Host: ocpp.localhost"]
--- response_headers eval
["Content-Type: text/css", "Content-Type: text/css",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
[qr{Bootstrap +v5\.}, qr{Bootstrap +v5\.},
 qr{<link rel="stylesheet" href="/static/bootstrap5/css/bootstrap\.min\.css">}]



=== TEST 5: conf/arthexis-sites.conf: a missing app README is 404
--- http_config eval
main::sites_conf('conf/arthexis-sites.conf')
--- init
unlink(Test::Nginx::Util::html_dir() . '/root/modules/odoo/README.md');
--- request
GET /
--- more_headers
Host: odoo.localhost
--- error_code: 404
--- error_log eval
qr{readme: stat\(\) "\S+/root/modules/odoo/README\.md" failed}



=== TEST 6: conf/examples/sites.conf: APP.example.com shows that app's
README, the default site the project README
--- http_config eval
main::sites_conf('conf/examples/sites.conf')
--- request eval
[map { "GET /" } 'example.com', 'www.example.net', @main::Apps]
--- more_headers eval
[map { "Host: $_" } 'example.com', 'www.example.net',
 map { "$_.example.com" } @main::Apps]
--- response_body_like eval
[qr{<title>The project</title>}, qr{<title>The project</title>},
 map { qr{<title>The $_ app</title>} } @main::Apps]
--- no_error_log
[error]



=== TEST 7: conf/examples/sites.conf: every site includes the routes
--- http_config eval
main::sites_conf('conf/examples/sites.conf')
--- request eval
[map { "GET /probe" } 'example.com', @main::Apps]
--- more_headers eval
[map { "Host: $_" } 'example.com', map { "$_.example.com" } @main::Apps]
--- response_body eval
[map { "probe $_\n" } 'example.com', map { "$_.example.com" } @main::Apps]



=== TEST 8: the shipped sites name every app in config (ax_apps)
--- http_config eval
main::sites_conf('conf/arthexis-sites.conf')
--- init
open my $fh, '<', "$ENV{TEST_NGINX_ROOT}/config" or die "config: $!\n";
my ($apps) = join('', <$fh>) =~ /^ax_apps="([^"]*)"/m;
die "ax_apps is \"$apps\", the sites test knows \"@main::Apps\"\n"
    unless $apps eq "@main::Apps";
--- request
GET /probe
--- response_body
probe localhost
