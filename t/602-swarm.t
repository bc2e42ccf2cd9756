# arthexis simulate --swarm N against our central system and the echo
# endpoint: every charger boots with no error, sessions leave no open
# transaction, the load modes (--window, --rate, --echo), several source
# addresses, --server-pid, and failures counted in the exit status.  Only
# counts are checked, never how fast (figures are for t/bench, by hand).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Test::More;
use JSON::PP ();
use POSIX ();

repeat_each(1);
no_shuffle();
worker_connections(2048);

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 4m;
    log_format sim '$remote_addr $request_uri $status';
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /ws/ocpp/ {
        ocpp_charge_point;
        access_log logs/sim.log sim;
    }
    location /ocpp/ { ocpp_api; }
    location /ws/echo/ { websocket_echo; }
    location /refused/ { return 403; }
_EOC_
    }
});

# runs the CLI to its end: (exit status, output)
sub swarm (@) {
    my @args = ('simulate', (grep({ $_ eq '--url' } @_)
                             ? () : ('--port', $ENV{TEST_NGINX_SERVER_PORT})),
                @_);
    my $bin = $ENV{TEST_NGINX_ARTHEXIS} or die "TEST_NGINX_ARTHEXIS not set\n";

    my $pid = open my $fh, '-|' // die "fork: $!\n";

    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        { exec $bin, @args; }
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}

sub chargers () {
    my ($status, $body) = http_get('/ocpp/chargers/', 5);
    return $status == 200 ? JSON::PP->new->decode($body)->{chargers} : [];
}

sub nginx_pid () {
    my $file = Test::Nginx::Util::server_root() . '/logs/nginx.pid';
    open my $fh, '<', $file or die "no pid file: $!\n";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

run_tests();

__DATA__

=== TEST 1: 200 chargers boot, all of them, with no error
--- init
my ($rc, $out) = main::swarm('--swarm', '200', '--duration', '1',
                             '--warmup', '0', '--window', '1', '--quiet');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
Test::More::like($out, qr/connected +200 of 200 booted in [\d.]+ s .*; 0 failed connection attempts/,
                 '200 of 200 booted');
Test::More::like($out, qr/errors +none/, 'no error');
Test::More::like($out, qr/messages +sent (\d[\d,]*), answered \1:/,
                 'every Heartbeat answered');
my @c = @{ main::chargers() };
Test::More::is(scalar @c, 200, '200 chargers known');
Test::More::is(scalar(grep { $_->{boot}{chargePointModel} eq 'Simulator'
                             && $_->{status} eq 'Available' } @c), 200,
               'each booted and Available');
Test::More::is(scalar(grep { $_->{connected} } @c), 0, 'all gone now');
--- request
GET /ocpp/chargers/sim-200/
--- response_body_like: "charger_id":"sim-200",.*"boot":\{"chargePointVendor":"Arthexis","chargePointModel":"Simulator"



=== TEST 2: sessions back to back; stopped cleanly at the end
--- init
my ($rc, $out) = main::swarm('--swarm', '20', '--sessions', '--duration',
    '1', '--warmup', '0', '--id-prefix', 'tx-', '--quiet');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
my ($n) = $out =~ /sessions +([\d,]+) ended well/;
$n =~ s/,//g if defined $n;
Test::More::ok($n && $n > 0, 'sessions ended well');
Test::More::like($out, qr/, 0 failed\n/, 'none failed');
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_transaction "
                                  . "WHERE meter_stop IS NULL"), "0\n",
               'no transaction left open');
Test::More::cmp_ok(main::arthexis_sql("SELECT count(*) FROM "
                                      . "ocpp_transaction") + 0, '>=', $n,
                   'each session a transaction');
--- request
GET /ocpp/chargers/tx-1/
--- response_body_like: "transaction":null,.*"stopReason":"Local"



=== TEST 3: --tx-only: StartTransaction and StopTransaction alone
--- init
my ($rc, $out) = main::swarm('--swarm', '5', '--sessions', '--tx-only',
    '--duration', '0.5', '--warmup', '0', '--id-prefix', 'bare-', '-v');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
my %calls = map { $_ => 1 } $out =~ /^bare-\d+ > \[2,"c\d+","(\w+)"/mg;
Test::More::is(join(' ', sort keys %calls),
               'BootNotification StartTransaction StopTransaction',
               'no Authorize, no StatusNotification');
--- request
GET /ocpp/chargers/bare-5/
--- response_body_like: "stopReason":"Local"



=== TEST 4: --rate, several source addresses, --server-pid
--- init
my ($rc, $out) = main::swarm('--swarm', '60', '--rate', '300',
    '--duration', '1', '--warmup', '0', '--sources', '3',
    '--server-pid', main::nginx_pid());
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
Test::More::like($out, qr/^ +s +online +failed +sent\/s +answers\/s +p50 ms +p99 ms +max ms +errors +srv cpu$/m,
                 'per-second lines');
Test::More::like($out, qr/300 Heartbeats\/s, at most 1 in flight each/,
                 'the rate');
Test::More::like($out, qr/server memory -?[\d.]+ KiB per charger: -?[\d.]+ private \(RssAnon, 1 process\) \+ -?[\d.]+ shared/,
                 'server memory');
Test::More::like($out, qr/server CPU +[\d.]+ s \(user [\d.]+, sys [\d.]+\) in 1 process: /,
                 'server CPU');
my $log = Test::Nginx::Util::server_root() . '/logs/sim.log';
open my $fh, '<', $log or die "$log: $!";
my %from = map { (split / /)[0] => 1 } <$fh>;
Test::More::is(join(' ', sort keys %from), '127.0.0.1 127.0.0.2 127.0.0.3',
               'from three source addresses');
--- request
GET /ocpp/chargers/sim-60/
--- response_body_like: "charger_id":"sim-60"



=== TEST 5: the echo endpoint (the swarm's own ceiling), two in flight each
--- init
my ($rc, $out) = main::swarm('--swarm', '50', '--echo', '--window', '2',
    '--duration', '1', '--warmup', '0', '--quiet');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
Test::More::like($out, qr/ws:\/\/127\.0\.0\.1:\d+\/ws\/echo\/ .*echo, 2 Heartbeats in flight each/,
                 'the echo endpoint');
Test::More::like($out, qr/connected +50 of 50 open/, 'all open');
Test::More::like($out, qr/messages +sent (\d[\d,]*), answered \1:/,
                 'every frame echoed');
--- request
GET /ocpp/chargers/
--- response_body
{"chargers":[]}



=== TEST 6: refused connections are counted and fail the run
--- init
my ($rc, $out) = main::swarm('--swarm', '5', '--url',
    "ws://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/refused/",
    '--timeout', '1', '--duration', '0', '--warmup', '0');
Test::More::is($rc, 1, 'exit status 1');
Test::More::like($out, qr/connected +0 of 5 booted .*; [1-9]\d* failed connection attempts/,
                 'counted');
Test::More::like($out, qr/errors +connect \d+/, 'by kind');
Test::More::like($out, qr/connection failed: handshake refused.*HTTP 403/,
                 'said why');
--- request
GET /ocpp/chargers/
--- response_body
{"chargers":[]}
