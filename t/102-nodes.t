# Nodes: register (create or update by hostname) and list, as in the seed;
# the rules on hostnames, addresses and ports; bad input; the CLI.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use POSIX ();

repeat_each(1);
no_shuffle();

our $Config = <<'_EOC_';
    location /nodes/ { nodes_api; }
    location /admin/api/ { arthexis_admin_api; }
    location = /arthexis/status { arthexis_status; }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n})
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]")
        unless defined $block->no_error_log || defined $block->error_log;
});

sub post ($$) { "POST $_[0]\n$_[1]" }

sub reg ($) { post('/nodes/register/', $_[0]) }

sub detail ($) { qq{{"detail":"$_[0]"}\n} }

# waits until the workers have migrated the database
sub ready () {
    for (1 .. 100) {
        my ($status) = http_get('/arthexis/status', 1);
        last if $status == 200;
        select undef, undef, undef, 0.05;
    }
}

sub cli (@) {
    ready();
    my ($out, $rc) = arthexis_cli(@_);
    die "arthexis @_: exit $rc: $out\n" if $rc;
    return $out;
}

our $Time = '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ';

run_tests();

__DATA__

=== TEST 1: register then list a node (the seed's case)
--- request eval
[main::reg('{"hostname":"node1","address":"10.0.0.1","port":8001}'),
 "GET /nodes/list/"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json"]
--- response_body_like eval
['^\{"id":1\}$',
 qq{^\\{"nodes":\\[\\{"hostname":"node1","address":"10\\.0\\.0\\.1","port":8001,"last_seen":"$::Time"\\}\\]\\}\$}]



=== TEST 2: registering again updates the node (the seed's case)
--- request eval
[main::reg('{"hostname":"node1","address":"10.0.0.1"}'),
 main::reg('{"hostname":"NODE1","address":"10.0.0.2","port":9000}'),
 main::reg('{"hostname":"node2","address":"10.0.0.3"}'),
 "GET /nodes/list/"]
--- response_body_like eval
['^\{"id":1\}$', '^\{"id":1\}$', '^\{"id":2\}$',
 qq{^\\{"nodes":\\[\\{"hostname":"node1","address":"10\\.0\\.0\\.2","port":9000,"last_seen":"$::Time"\\},\\{"hostname":"node2","address":"10\\.0\\.0\\.3","port":8000,"last_seen":"$::Time"\\}\\]\\}\$}]



=== TEST 3: an empty registry
--- request
GET /nodes/list/
--- response_body
{"nodes":[]}



=== TEST 4: IPv6 addresses are stored in canonical form; form data works
--- request eval
[main::reg('{"hostname":"v6.example.com","address":"2001:DB8:0:0:0:0:0:1","port":"8443"}'),
 "POST /nodes/register/\nhostname=form.example&address=192.168.1.20&port=81",
 "GET /nodes/list/"]
--- more_headers eval
["", "Content-Type: application/x-www-form-urlencoded", ""]
--- response_body_like eval
['^\{"id":1\}$', '^\{"id":2\}$',
 '"hostname":"v6\.example\.com","address":"2001:db8::1","port":8443,.*"hostname":"form\.example","address":"192\.168\.1\.20","port":81,']



=== TEST 5: hostname and address are required
--- request eval
[main::reg('{}'), main::reg('{"hostname":"a"}'),
 main::reg('{"address":"10.0.0.1"}'),
 main::reg('{"hostname":"","address":"10.0.0.1"}'),
 main::reg('{"hostname":null,"address":"10.0.0.1"}'),
 main::reg('')]
--- error_code eval
[400, 400, 400, 400, 400, 400]
--- response_body eval
[main::detail("hostname and address required"),
 main::detail("hostname and address required"),
 main::detail("hostname and address required"),
 main::detail("hostname and address required"),
 main::detail("hostname and address required"),
 main::detail("hostname and address required")]



=== TEST 6: wrong types
--- request eval
[main::reg('{"hostname":5,"address":"10.0.0.1"}'),
 main::reg('{"hostname":"a","address":["10.0.0.1"]}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":"80a"}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":80.5}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":true}')]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body eval
[main::detail("hostname must be a string"),
 main::detail("address must be a string"),
 main::detail("port must be an integer from 1 to 65535"),
 main::detail("port must be an integer from 1 to 65535"),
 main::detail("port must be an integer from 1 to 65535")]



=== TEST 7: hostnames must follow RFC 1123
--- request eval
[main::reg('{"hostname":"-bad","address":"10.0.0.1"}'),
 main::reg('{"hostname":"bad-.example","address":"10.0.0.1"}'),
 main::reg('{"hostname":"a..b","address":"10.0.0.1"}'),
 main::reg('{"hostname":"under_score","address":"10.0.0.1"}'),
 main::reg('{"hostname":"' . ('a' x 64) . '.example","address":"10.0.0.1"}'),
 main::reg('{"hostname":"' . CORE::join('.', ('abcdefghi') x 26) . '","address":"10.0.0.1"}'),
 main::reg(q{{"hostname":"x'; DROP TABLE nodes_node; --","address":"10.0.0.1"}}),
 main::reg('{"hostname":"h\u00e9llo","address":"10.0.0.1"}'),
 main::reg('{"hostname":"a.b.","address":"10.0.0.1"}'),
 main::reg('{"hostname":"1node","address":"10.0.0.1"}'),
 "GET /nodes/list/"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 200, 200, 200]
--- response_body_like eval
['^\{"detail":"hostname must be a valid host name \(RFC 1123\)"\}$',
 'RFC 1123', 'RFC 1123', 'RFC 1123', 'RFC 1123', 'RFC 1123', 'RFC 1123',
 'RFC 1123', '^\{"id":1\}$', '^\{"id":2\}$',
 '^\{"nodes":\[\{"hostname":"a\.b",.*\{"hostname":"1node",']



=== TEST 8: addresses must be IPv4 or IPv6 literals; ports 1..65535
--- request eval
[main::reg('{"hostname":"a","address":"example.com"}'),
 main::reg('{"hostname":"a","address":"10.0.0.256"}'),
 main::reg('{"hostname":"a","address":"[::1]"}'),
 main::reg('{"hostname":"a","address":"fe80::1%eth0"}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":0}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":65536}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":-1}'),
 main::reg('{"hostname":"a","address":"10.0.0.1","port":65535}')]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[main::detail("address must be an IPv4 or IPv6 address"),
 main::detail("address must be an IPv4 or IPv6 address"),
 main::detail("address must be an IPv4 or IPv6 address"),
 main::detail("address must be an IPv4 or IPv6 address"),
 main::detail("port must be an integer from 1 to 65535"),
 main::detail("port must be an integer from 1 to 65535"),
 main::detail("port must be an integer from 1 to 65535"),
 qq{{"id":1}\n}]



=== TEST 9: wrong methods
--- request eval
["GET /nodes/register/", "PUT /nodes/register/\n{}",
 "POST /nodes/list/\n{}", "DELETE /nodes/list/", "GET /nodes/other/"]
--- error_code eval
[405, 405, 405, 405, 404]
--- response_body eval
[main::detail("POST required"), main::detail("POST required"),
 main::detail("GET required"), main::detail("GET required"),
 main::detail("not found")]



=== TEST 10: malformed bodies, content types, NUL bytes, too large
--- config
    location /nodes/ { nodes_api; client_max_body_size 1k; }
--- request eval
[main::reg('{"hostname":"a",'),
 main::reg('[1,2]'),
 main::reg('{"hostname":"a\u0000b","address":"10.0.0.1"}'),
 main::reg('{"hostname":"a","hostname":"b","address":"10.0.0.1"}'),
 "POST /nodes/register/\nhostname=a%00b&address=10.0.0.1",
 main::reg('{"hostname":"a","address":"10.0.0.1"}'),
 main::reg('{"hostname":"' . ('a' x 2000) . '","address":"10.0.0.1"}')]
--- more_headers eval
["", "", "", "", "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: text/xml", ""]
--- error_code eval
[400, 400, 400, 400, 400, 415, 413]
--- response_body eval
[main::detail("malformed JSON"), main::detail("a JSON object is required"),
 main::detail("malformed JSON"), main::detail("malformed JSON"),
 main::detail("malformed form data"),
 main::detail("Content-Type must be application/json or application/x-www-form-urlencoded"),
 main::detail("request body too large")]



=== TEST 11: nothing is written by a refused registration
--- request eval
[main::reg('{"hostname":"ok","address":"10.0.0.1"}'),
 main::reg('{"hostname":"ok","address":"not-an-ip"}'),
 main::reg('{"hostname":"ok","address":"10.0.0.1","port":70000}'),
 "GET /nodes/list/"]
--- error_code eval
[200, 400, 400, 200]
--- response_body_like eval
['^\{"id":1\}$', 'address', 'port',
 '^\{"nodes":\[\{"hostname":"ok","address":"10\.0\.0\.1","port":8000,']



=== TEST 12: the admin model: nodes with the same rules
--- request eval
[main::post('/admin/api/nodes/', '{"hostname":"Admin.Example","address":"::ffff:10.1.2.3","port":8080}'),
 main::post('/admin/api/nodes/', '{"hostname":"admin.example","address":"10.1.2.3"}'),
 main::post('/admin/api/nodes/', '{"hostname":"b","address":"x"}'),
 main::post('/admin/api/nodes/', '{"hostname":"b","address":"10.0.0.1","port":0}'),
 "PATCH /admin/api/nodes/1/\n{\"port\":8081}",
 "GET /nodes/list/"]
--- error_code eval
[201, 409, 400, 400, 200, 200]
--- response_body_like eval
[qq{^\\{"id":1,"hostname":"admin\\.example","address":"::ffff:10\\.1\\.2\\.3","port":8080,"last_seen":"$::Time"\\}\$},
 '^\{"detail":"hostname: already exists","field":"hostname"\}$',
 '^\{"detail":"address: must be an IPv4 or IPv6 address","field":"address"\}$',
 '^\{"detail":"port: must be between 1 and 65535","field":"port"\}$',
 '"port":8081',
 '^\{"nodes":\[\{"hostname":"admin\.example","address":"::ffff:10\.1\.2\.3","port":8081,']



=== TEST 13: arthexis node register-self registers this host
--- init
main::cli('node', 'register-self', '--hostname', 'self.example',
          '--address', '127.0.0.1', '--port', '8000');
main::cli('node', 'register', 'other.example', '10.9.8.7', '9000');
my $out = main::cli('node', 'list');
die "unexpected list: $out" unless $out =~ /self\.example\t127\.0\.0\.1\t8000\t/
                                    && $out =~ /other\.example\t10\.9\.8\.7\t9000\t/;
main::cli('node', 'register-self');
--- request
GET /nodes/list/
--- response_body_like: ^\{"nodes":\[\{"hostname":"self\.example","address":"127\.0\.0\.1","port":8000,"last_seen":"[^"]+"\},\{"hostname":"other\.example",.*\},\{"hostname":"[a-z0-9.-]+","address":"[0-9a-f.:]+","port":8000,



=== TEST 14: the list escapes what the database holds (written by hand)
--- init
main::ready();
main::arthexis_sql("INSERT INTO nodes_node (hostname, address, port, last_seen) "
    . "VALUES ('q\"b\\s\tt\xc3\xa9', '10.0.0.1', 8000, '2026-01-01T00:00:00Z')");
--- request
GET /nodes/list/
--- response_body eval
'{"nodes":[{"hostname":"q\"b\\\\s\u0009t' . "\xc3\xa9"
. '","address":"10.0.0.1","port":8000,"last_seen":"2026-01-01T00:00:00Z"}]}' . "\n"



=== TEST 15: a long list (past the first buffer), then again (in one)
--- init
main::ready();
main::arthexis_sql("INSERT INTO nodes_node (hostname, address, port, last_seen) "
    . "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    . "WHERE i < 150) SELECT 'node' || i || '.example.com', '10.0.0.1', "
    . "8000, '2026-01-01T00:00:00Z' FROM n");
--- request eval
["GET /nodes/list/", "GET /nodes/list/", "HEAD /nodes/list/"]
--- response_body_like eval
[qr/^\{"nodes":\[\{"hostname":"node1\.example\.com","address":"10\.0\.0\.1","port":8000,"last_seen":"2026-01-01T00:00:00Z"\}(?:,\{"hostname":"node\d+\.example\.com","address":"10\.0\.0\.1","port":8000,"last_seen":"2026-01-01T00:00:00Z"\}){149}\]\}\n\z/,
 qr/^\{"nodes":\[\{"hostname":"node1\.example\.com","address":"10\.0\.0\.1","port":8000,"last_seen":"2026-01-01T00:00:00Z"\}(?:,\{"hostname":"node\d+\.example\.com","address":"10\.0\.0\.1","port":8000,"last_seen":"2026-01-01T00:00:00Z"\}){149}\]\}\n\z/,
 qr/^$/]
--- response_headers eval
["Content-Length: 15354", "Content-Length: 15354", "Content-Length: 15354"]



=== TEST 16: arthexis node --help
--- init
my ($out, $rc) = main::arthexis_cli('node', '--help');
die "arthexis node --help: exit $rc: $out" if $rc || $out !~ /^usage: arthexis node register-self/;
--- request
GET /nodes/list/
--- response_body
{"nodes":[]}



=== TEST 17: many lists at once on one pool thread (they share its turns)
--- main_config
    thread_pool rest_one threads=1;
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    arthexis_thread_pool rest_one;
--- init
main::ready();
main::arthexis_sql("INSERT INTO nodes_node (hostname, address, port, last_seen) "
    . "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    . "WHERE i < 100) SELECT 'node' || i || '.example.com', '10.0.0.1', "
    . "8000, '2026-01-01T00:00:00Z' FROM n");
my @pids;
pipe(my $r, my $w) or die;
for (1 .. 40) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $r;
        my ($status, $body) = main::http_get('/nodes/list/', 10);
        my $n = () = $body =~ /"hostname"/g;
        syswrite $w, "$status $n\n";
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
close $w;
my @lines = <$r>;
waitpid $_, 0 for @pids;
my @bad = grep { $_ ne "200 100\n" } @lines;
die "concurrent lists: @bad" if @bad || @lines != 40;
--- request
GET /nodes/list/
--- response_body_like: ^\{"nodes":\[\{"hostname":"node1\.example\.com",
