# The odoo app: /odoo/test/<id>/ against a fake Odoo XML-RPC server on
# loopback (t/lib/Arthexis/FakeOdoo.pm): every outcome the seed and the
# issue name, the password kept out of answers and logs, the allowed
# hosts, and curl on the event loop (a slow Odoo delays nobody else).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::FakeOdoo;
use Time::HiRes qw( time sleep );
use POSIX ();
use IO::Socket::INET ();

repeat_each(1);
no_shuffle();

our $PASSWORD = 'Sup3r-s3cret!';
our $PORT = Arthexis::FakeOdoo::start();

$ENV{TEST_NGINX_ODOO_PORT} = $PORT;
$ENV{TEST_NGINX_ODOO_CLOSED_PORT} = Arthexis::FakeOdoo::closed_port();

add_cleanup_handler(sub { Arthexis::FakeOdoo::stop() });

# the usual configuration, unless a block brings its own
add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value('http_config', <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 2s;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value('config', <<'_EOC_');
    location /odoo/ { odoo_api; }
    location = /plain { return 200 "plain\n"; }
_EOC_
    }
});

# an instance through the CLI; $url: a fake mode ("ok", "slow" ...) or a
# whole URL; returns its id
sub add_instance ($;%) {
    my ($url, %o) = @_;

    $url = "http://127.0.0.1:$PORT/$url" unless $url =~ m{^\w+://};

    my $password = $o{password} // $PASSWORD;
    utf8::encode($password) if utf8::is_utf8($password);

    my ($out, $rc) = arthexis_cli('odoo', 'add', '--name', $o{name} // 'Odoo',
                                  '--url', $url, '--db', $o{db} // 'odoo',
                                  '--username', $o{username} // 'admin',
                                  '--password', $password);
    die "arthexis odoo add failed ($rc): $out\n" if $rc;

    my ($id) = $out =~ /^added odoo instance (\d+)$/m
        or die "unexpected output: $out\n";

    return $id;
}

# $n concurrent GETs of $path; returns (elapsed seconds, statuses)
sub concurrent_gets ($$$) {
    my ($path, $n, $timeout) = @_;
    my (@pids, @statuses);
    my $start = time;

    for my $i (1 .. $n) {
        pipe(my $r, my $w) or die "pipe: $!\n";
        my $pid = fork // die "fork: $!\n";

        if ($pid == 0) {
            close $r;
            my ($status) = http_get($path, $timeout);
            print $w "$status\n";
            close $w;
            POSIX::_exit(0);
        }

        close $w;
        push @pids, [$pid, $r];
    }

    for my $p (@pids) {
        my $fh = $p->[1];
        my $status = <$fh> // "0\n";
        chomp $status;
        push @statuses, $status;
        waitpid($p->[0], 0);
    }

    return (time - $start, @statuses);
}

# a test left running in the background for $secs at most
sub background_get ($$) {
    my ($path, $secs) = @_;

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        http_get($path, $secs);
        POSIX::_exit(0);
    }

    sleep 0.2;
    return $pid;
}

# a client that sends a request and hangs up after $secs
sub hang_up_after ($$) {
    my ($path, $secs) = @_;

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ENV{TEST_NGINX_SERVER_PORT},
                                     Proto => 'tcp')
        or die "connect: $!\n";

    print $sock "POST $path HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Length: 0\r\n\r\n";
    sleep $secs;
    close $sock;
}

run_tests();

__DATA__

=== TEST 1: success: a uid and the server's version (the seed's 200)
--- init
main::add_instance('ok');
--- request
POST /odoo/test/1/
--- response_headers
Content-Type: application/json
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}
--- no_error_log
[error]
[alert]
Sup3r-s3cret!



=== TEST 2: GET is accepted too, as in the seed; the final slash is optional
--- init
main::add_instance('ok');
--- request eval
["GET /odoo/test/1/", "GET /odoo/test/1", "GET /odoo/test/01/"]
--- response_body eval
[qq{{"detail":"success","uid":7,"server_version":"17.0"}\n},
 qq{{"detail":"success","uid":7,"server_version":"17.0"}\n},
 qq{{"detail":"success","uid":7,"server_version":"17.0"}\n}]
--- no_error_log
[error]



=== TEST 3: a wrong password: false uid, 401 (the seed's second case)
--- init
main::add_instance('ok', password => 'wrong-password');
--- request
POST /odoo/test/1/
--- error_code: 401
--- response_body
{"detail":"invalid credentials"}
--- error_log
odoo: test of instance 1: invalid credentials
--- no_error_log
[error]
wrong-password



=== TEST 4: a server that always answers false
--- init
main::add_instance('false');
--- request
POST /odoo/test/1/
--- error_code: 401
--- response_body
{"detail":"invalid credentials"}
--- no_error_log
[error]



=== TEST 5: the calls, in order: version() first, then authenticate()
--- init
Arthexis::FakeOdoo::clear_calls();
main::add_instance('ok', db => 'prod', username => 'bot');
my ($status) = main::http_get('/odoo/test/1/');
Test::More::is($status, 200, 'test succeeded');
Test::More::is(Arthexis::FakeOdoo::calls(),
               "ok version - -\nok authenticate prod bot\n",
               'version() then authenticate(db, username, ...)');
--- request
GET /plain
--- response_body
plain



=== TEST 6: XML escaping: a password full of markup gets through intact
--- init
main::add_instance('ok', password => $Arthexis::FakeOdoo::PASSWORDS[1],
                   username => 'a&b <c>');
--- request
POST /odoo/test/1/
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}
--- no_error_log
[error]



=== TEST 7: an XML-RPC fault is a 502 naming it
--- init
main::add_instance('fault');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"Odoo fault 3: Access Denied"}
--- error_log
odoo: test of instance 1: Odoo fault 3: Access Denied
--- no_error_log
[error]
Sup3r-s3cret!



=== TEST 8: a fault that quotes the password: hidden in the answer and the log
--- init
main::add_instance('leak');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"Odoo fault 1: odoo.exceptions.AccessDenied: wrong password *** for admin"}
--- error_log
wrong password *** for admin
--- no_error_log
Sup3r-s3cret!
[error]



=== TEST 9: garbage instead of XML
--- init
main::add_instance('garbage');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"malformed XML-RPC answer: syntax error at line 1"}
--- no_error_log
[error]



=== TEST 10: an HTTP error
--- init
main::add_instance('http500');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"Odoo answered HTTP 500"}
--- no_error_log
[error]



=== TEST 11: a slow answer past odoo_timeout
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 500ms;
--- init
main::add_instance('slow');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"no answer from Odoo within 500 ms"}
--- error_log
odoo: test of instance 1: no answer from Odoo within 500 ms
--- no_error_log
[error]
Sup3r-s3cret!



=== TEST 12: a closed port
--- init
main::add_instance("http://127.0.0.1:$ENV{TEST_NGINX_ODOO_CLOSED_PORT}");
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body_like: ^\{"detail":"cannot connect to Odoo: Failed to connect to 127\.0\.0\.1 port \d+ after \d+ ms: (Couldn't connect to server|Connection refused)"\}$
--- no_error_log
[error]
Sup3r-s3cret!



=== TEST 13: a server that hangs up without answering
--- init
main::add_instance('close');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"cannot talk to Odoo: Empty reply from server"}
--- no_error_log
[error]



=== TEST 14: an answer past 1 MiB is cut short
--- init
main::add_instance('huge');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"Odoo's answer is larger than 1048576 bytes"}
--- no_error_log
[error]



=== TEST 15: TLS to a server that speaks plain HTTP
--- init
main::add_instance("https://127.0.0.1:$main::PORT/ok");
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body_like: ^\{"detail":"TLS failure: .+"\}$
--- no_error_log
[error]
Sup3r-s3cret!



=== TEST 16: authenticate() answers something that is not a uid
--- init
main::add_instance('uidstring');
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"unexpected answer to authenticate()"}



=== TEST 17: a server that fails version() never sees the credentials
--- init
Arthexis::FakeOdoo::clear_calls();
main::add_instance('badversion');
my ($status, $body) = main::http_get('/odoo/test/1/');
Test::More::is($status, 502, 'version() failed');
Test::More::is($body, qq{{"detail":"unexpected answer to version()"}\n},
               'what went wrong');
Test::More::is(Arthexis::FakeOdoo::calls(), "badversion version - -\n",
               'no authenticate() call');
--- request
GET /plain
--- response_body
plain



=== TEST 18: an unknown instance, a bad id, another route
--- init
main::add_instance('ok');
--- request eval
["POST /odoo/test/2/", "POST /odoo/test/abc/", "POST /odoo/test/0/",
 "POST /odoo/test//", "GET /odoo/tests/1/", "GET /odoo/", "GET /odoo/test/1/x",
 "GET /odoo/test/99999999999999999999/"]
--- error_code eval
[404, 404, 404, 404, 404, 404, 404, 404]
--- response_body eval
[qq{{"detail":"not found"}\n}, qq{{"detail":"not found"}\n},
 qq{{"detail":"not found"}\n}, qq{{"detail":"not found"}\n},
 qq{{"detail":"not found"}\n}, qq{{"detail":"not found"}\n},
 qq{{"detail":"not found"}\n}, qq{{"detail":"not found"}\n}]
--- no_error_log
[error]



=== TEST 19: other methods
--- init
main::add_instance('ok');
--- request eval
["PUT /odoo/test/1/\n{}", "DELETE /odoo/test/1/"]
--- error_code eval
[405, 405]
--- response_body eval
[qq{{"detail":"GET or POST required"}\n},
 qq{{"detail":"GET or POST required"}\n}]



=== TEST 20: a request body is read and ignored
--- init
main::add_instance('ok');
--- request
POST /odoo/test/1/
{"anything": "at all"}
--- more_headers
Content-Type: application/json
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}



=== TEST 21: by default only public addresses: loopback is refused
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
--- init
Arthexis::FakeOdoo::clear_calls();
main::add_instance('ok');
--- request
POST /odoo/test/1/
--- error_code: 403
--- response_body
{"detail":"connections to 127.0.0.1 are not allowed (odoo_allowed_hosts)"}
--- error_log
connection to 127.0.0.1 refused: not an allowed address
--- no_error_log
[error]



=== TEST 22: a name that resolves to loopback is refused as well
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts public 10.0.0.0/8;
--- init
main::add_instance("http://localhost:$main::PORT/ok");
--- request
POST /odoo/test/1/
--- error_code: 403
--- response_body_like: ^\{"detail":"connections to (127\.0\.0\.1|::1) are not allowed \(odoo_allowed_hosts\)"\}$
--- no_error_log
[error]



=== TEST 23: odoo_allowed_hosts takes a host name, resolved at start
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts localhost;
--- init
main::add_instance("http://localhost:$main::PORT/ok");
--- request
POST /odoo/test/1/
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}



=== TEST 24: odoo_allowed_hosts any, and per location
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
--- config
    location /odoo/ { odoo_api; odoo_allowed_hosts any; }
    location /other/ { odoo_api; }
--- init
main::add_instance('ok');
--- request eval
["POST /odoo/test/1/", "POST /other/test/1/"]
--- error_code eval
[200, 403]



=== TEST 25: the configuration is checked: odoo_timeout
--- http_config
    odoo_timeout 0;
--- config
    location /odoo/ { odoo_api; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"odoo_timeout" directive must be more than 0 in .*nginx\.conf:\d+/



=== TEST 26: the configuration is checked: odoo_allowed_hosts
--- http_config
    odoo_allowed_hosts public no-such-host.invalid;
--- config
    location /odoo/ { odoo_api; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "no-such-host\.invalid": host not found in .*nginx\.conf:\d+/



=== TEST 27: the configuration is checked: odoo_allowed_hosts twice
--- http_config
    odoo_allowed_hosts public;
    odoo_allowed_hosts any;
--- config
    location /odoo/ { odoo_api; }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"odoo_allowed_hosts" directive is duplicate in .*nginx\.conf:\d+/



=== TEST 28: a slow Odoo does not delay a request to another route
A test waits on a fake Odoo that answers after 3 s; meanwhile a plain
location must answer within the 1 s client timeout.
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 5s;
--- init
main::add_instance('slow');
main::background_get('/odoo/test/1/', 5);
--- request
GET /plain
--- timeout: 1
--- response_body
plain
--- wait: 3



=== TEST 29: ... nor the test of another instance
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 5s;
--- init
main::add_instance('slow');
main::add_instance('ok');
main::background_get('/odoo/test/1/', 5);
--- request
POST /odoo/test/2/
--- timeout: 1
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}
--- wait: 3



=== TEST 30: many tests at once take as long as one
Ten clients test an instance whose every call takes 1 s (two calls per
test): together they take about 2 s, not 20 (10 s leaves room for a
loaded machine).
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 5s;
--- init
main::add_instance('slowish');
my ($elapsed, @statuses) = main::concurrent_gets('/odoo/test/1/', 10, 8);
Test::More::is("@statuses", join(' ', (200) x 10), 'ten successes');
Test::More::cmp_ok($elapsed, '<', 10, "ten tests in parallel ($elapsed s)");
--- request
GET /plain
--- response_body
plain
--- no_error_log
[error]
[alert]



=== TEST 31: a client that goes away stops the transfer
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts 127.0.0.1;
    odoo_timeout 5s;
--- init
main::add_instance('slow');
main::add_instance('ok');
main::hang_up_after('/odoo/test/1/', 0.5);
sleep 0.2;
--- request
POST /odoo/test/2/
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}
--- error_log
client prematurely closed connection
arthexis curl: transfer cancelled
--- no_error_log
[alert]
[error]



=== TEST 32: the CLI adds, lists and removes instances, never showing passwords
--- init
my ($out, $rc) = main::arthexis_cli('odoo', 'add', '--name', 'Main',
    '--url', "http://127.0.0.1:$main::PORT/ok", '--db', 'odoo',
    '--username', 'admin', '--password', $main::PASSWORD);
Test::More::is($out, "added odoo instance 1\n", 'add');
($out, $rc) = main::arthexis_cli('odoo', 'add', '--name', 'NoPw',
    '--url', 'https://odoo.example.com/', '--db', 'x', '--username', 'y');
Test::More::is($out, "added odoo instance 2\n", 'add without password');
($out) = main::arthexis_cli('odoo', 'list');
Test::More::is($out, "id\tname\turl\tdatabase\tusername\thas_password\n"
    . "1\tMain\thttp://127.0.0.1:$main::PORT/ok\todoo\tadmin\tyes\n"
    . "2\tNoPw\thttps://odoo.example.com/\tx\ty\tno\n", 'list');
($out) = main::arthexis_cli('odoo', 'list', '--json');
Test::More::unlike($out, qr/Sup3r/, 'list --json hides the password');
Test::More::like($out, qr/"has_password":true/, 'has_password');
($out, $rc) = main::arthexis_cli('odoo', 'add', '--name', 'Bad',
    '--url', 'ftp://odoo.example.com', '--db', 'x', '--username', 'y');
Test::More::is($rc, 2, 'ftp:// refused');
($out, $rc) = main::arthexis_cli('odoo', 'add', '--name', 'Bad',
    '--url', 'http://admin:pw@odoo.example.com', '--db', 'x',
    '--username', 'y');
Test::More::is($rc, 2, 'credentials in the URL refused');
($out, $rc) = main::arthexis_cli('odoo', 'remove', '2');
Test::More::is($out, "removed odoo instance 2\n", 'remove');
($out, $rc) = main::arthexis_cli('odoo', 'remove', '2');
Test::More::is($rc, 1, 'remove twice');
Test::More::is(main::arthexis_sql('SELECT count(*) FROM odoo_instances'),
               "1\n", 'one left');
--- request
POST /odoo/test/1/
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}



=== TEST 33: a stored URL that is not valid (written around the checks)
--- init
main::arthexis_cli('migrate');
main::arthexis_sql("INSERT INTO odoo_instances (name, url, database, "
                   . "username, password) VALUES ('x', 'gopher://x/', "
                   . "'d', 'u', 'p')");
--- request
POST /odoo/test/1/
--- error_code: 502
--- response_body
{"detail":"the instance's url is not valid"}
--- error_log
odoo: instance 1 has an invalid url: the URL must start with http:// or https://



=== TEST 34: an instance URL with a path and a final slash
--- init
main::add_instance("http://127.0.0.1:$main::PORT/ok/");
--- request
POST /odoo/test/1/
--- response_body
{"detail":"success","uid":7,"server_version":"17.0"}



=== TEST 35: the admin API: create, read (has_password, never the password)
--- config
    location /odoo/ { odoo_api; }
    location /admin/api/ { arthexis_admin_api; }
--- request eval
[qq{POST /admin/api/odoo_instances/\n{"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","password":"Sup3r-s3cret!"}},
 "GET /admin/api/odoo_instances/1/",
 "GET /admin/api/odoo_instances/",
 "POST /odoo/test/1/",
 qq{PATCH /admin/api/odoo_instances/1/\n{"password":"not-it"}},
 "POST /odoo/test/1/",
 qq{PATCH /admin/api/odoo_instances/1/\n{"password":""}},
 "GET /admin/api/odoo_instances/1/"]
--- error_code eval
[201, 200, 200, 200, 200, 401, 200, 200]
--- response_body eval
[qq{{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":true}\n},
 qq{{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":true}\n},
 qq{{"count":1,"page":1,"page_size":50,"results":[{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":true}]}\n},
 qq{{"detail":"success","uid":7,"server_version":"17.0"}\n},
 qq{{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":true}\n},
 qq{{"detail":"invalid credentials"}\n},
 qq{{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":false}\n},
 qq{{"id":1,"name":"Main","url":"http://127.0.0.1:$main::PORT/ok","database":"odoo","username":"admin","has_password":false}\n}]
--- no_error_log
Sup3r-s3cret!
not-it
[error]



=== TEST 36: the admin API checks the fields
--- config
    location /admin/api/ { arthexis_admin_api; }
--- request eval
[qq{POST /admin/api/odoo_instances/\n{"name":"A","url":"ftp://odoo.example.com","database":"d","username":"u"}},
 qq{POST /admin/api/odoo_instances/\n{"name":"A","url":"https://admin:pw\@odoo.example.com","database":"d","username":"u"}},
 qq{POST /admin/api/odoo_instances/\n{"name":"A","url":"https://odoo.example.com","database":"d","username":"u\\tv"}},
 qq{POST /admin/api/odoo_instances/\n{"name":"A","url":"https://odoo.example.com","username":"u"}},
 qq{POST /admin/api/odoo_instances/\n{"name":"A","url":"https://odoo.example.com","database":"d","username":"u"}}]
--- error_code eval
[400, 400, 400, 400, 201]
--- response_body eval
[qq{{"detail":"url: the URL must start with http:// or https://","field":"url"}\n},
 qq{{"detail":"url: a password in the URL is not allowed: use the username and password fields","field":"url"}\n},
 qq{{"detail":"username: must not contain control characters","field":"username"}\n},
 qq{{"detail":"database: this field is required","field":"database"}\n},
 qq{{"id":1,"name":"A","url":"https://odoo.example.com","database":"d","username":"u","has_password":false}\n}]



=== TEST 37: the usual internal targets are refused before any connect
Cloud metadata, private networks, "this host", IPv6 loopback, and
loopback written as an IPv4-mapped IPv6 address.
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    odoo_allowed_hosts public 127.0.0.2;
--- init
main::add_instance('http://169.254.169.254/');
main::add_instance('http://10.1.2.3:8069/');
main::add_instance('http://192.168.1.10/');
main::add_instance("http://0.0.0.0:$main::PORT/ok");
main::add_instance("http://[::1]:$main::PORT/ok");
main::add_instance("http://[::ffff:127.0.0.1]:$main::PORT/ok");
main::add_instance('http://172.31.255.255/');
main::add_instance('http://100.64.0.1/');
--- request eval
["POST /odoo/test/1/", "POST /odoo/test/2/", "POST /odoo/test/3/",
 "POST /odoo/test/4/", "POST /odoo/test/5/", "POST /odoo/test/6/",
 "POST /odoo/test/7/", "POST /odoo/test/8/"]
--- error_code eval
[403, 403, 403, 403, 403, 403, 403, 403]
--- response_body eval
[qq{{"detail":"connections to 169.254.169.254 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to 10.1.2.3 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to 192.168.1.10 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to 0.0.0.0 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to ::1 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to ::ffff:127.0.0.1 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to 172.31.255.255 are not allowed (odoo_allowed_hosts)"}\n},
 qq{{"detail":"connections to 100.64.0.1 are not allowed (odoo_allowed_hosts)"}\n}]
--- no_error_log
[error]



=== TEST 38: a long fault line is cut short, after the password is hidden
--- init
main::add_instance('cutleak');
main::add_instance('longutf8');
--- request eval
["POST /odoo/test/1/", "POST /odoo/test/2/"]
--- error_code eval
[502, 502]
--- response_body eval
['{"detail":"Odoo fault 2: ' . ('x' x 190) . ' *** and m"}' . "\n",
 '{"detail":"Odoo fault 2: a' . ("\xc3\xa9" x 99) . '"}' . "\n"]
--- no_error_log
Sup3r
[error]
