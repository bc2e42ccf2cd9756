# OCPP: connections over time: a duplicate id, pings and silence, a full
# zone.  (Reload and a killed worker: t/505-ocpp-workers.t.)

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;
use Time::HiRes qw( sleep );

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 1m;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /ws/ocpp/ { ocpp_charge_point; }
    location /ocpp/ { ocpp_api; }
_EOC_
    }
});

sub master_pid () {
    my $file = Test::Nginx::Util::server_root() . '/logs/nginx.pid';
    open my $fh, '<', $file or die "no pid file: $!\n";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

sub worker_pids () {
    my $master = master_pid();
    my @pids = map { /^\s*(\d+)/ ? $1 : () } `ps -o pid= --ppid $master`;
    return @pids;
}

our @Keep;

add_test_cleanup_handler(sub { @Keep = () });

run_tests();

__DATA__

=== TEST 1: the same id connecting again takes over; the old socket is closed
--- init
my $a = Arthexis::OCPP->connect('CP1');
$a->boot;
my $b = Arthexis::OCPP->connect('CP1');
Test::More::is($b->status, 101, 'the second connection is accepted');
my $m = $a->recv_message(2);
Test::More::is($m, undef, 'the first one gets no more messages');
Test::More::like($a->{close}, qr/^1008 replaced by a new connection/,
                 'it is closed with 1008');
my $r = $b->call('Heartbeat', {});
Test::More::is($r->[0], 3, 'the new one answers');
@main::Keep = ($b);   # still connected for the request
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "connected":true
--- error_log
charger "CP1" connected again, closing its previous session



=== TEST 2: a charger that does not answer pings is closed and marked disconnected
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_ping_interval 300ms; }
    location /ocpp/ { ocpp_api; }
--- init
my $ws = Arthexis::Test::ws_connect(path => '/ws/ocpp/CP1/', protocol => 'ocpp1.6');
Test::More::is($ws->{status}, 101, 'connected');
main::sleep(1.2);   # never reading: no pong
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "connected":false
--- error_log eval
qr/did not answer a ping|idle for \d+ ms, closing/



=== TEST 3: a charger that answers pings stays connected without sending anything
--- config
    location /ws/ocpp/ { ocpp_charge_point; ocpp_ping_interval 300ms; }
    location /ocpp/ { ocpp_api; }
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->recv_message(1.3);   # answers the pings on the way
@main::Keep = ($cp);
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "connected":true
--- no_error_log
did not answer a ping



=== TEST 4: a full zone evicts the oldest disconnected chargers
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 64k;
--- init
for my $i (1 .. 30) {
    my $cp = Arthexis::OCPP->connect("E$i");
    my $r = $cp->call('Heartbeat', {});
    Test::More::is($r && $r->[0], 3, "charger E$i answered");
    $cp->close;
    main::sleep(0.05);
}
--- request
GET /ocpp/chargers/E30/
--- response_body_like: "charger_id":"E30"
--- no_error_log
[crit]
[alert]



=== TEST 5: a zone full of connected chargers refuses more, logs once, never crashes
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 64k;
--- init
my (@held, $refused);
for my $i (1 .. 30) {
    my $cp = Arthexis::OCPP->connect("F$i");
    my $r = $cp->call('Heartbeat', {}, timeout => 1);
    if (!$r) {
        $refused++ if ($cp->{close} // '') =~ /^1013/;
        next;
    }
    push @held, $cp;
}
Test::More::ok(@held > 3, scalar(@held) . ' chargers held');
@main::Keep = @held;
Test::More::ok($refused, "$refused refused with 1013");
--- request
GET /ocpp/chargers/
--- response_body_like: "charger_id":"F1"
--- grep_error_log eval: qr/ocpp_zone "chargers" is full/
--- grep_error_log_out
ocpp_zone "chargers" is full



=== TEST 6: a charger connected through evictions keeps its record (its session looks it up again)
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 64k;
--- init
my $keep = Arthexis::OCPP->connect('KEEP');
my $r = $keep->call('Heartbeat', {}, id => 'before-evictions');
Test::More::is($r && $r->[0], 3, 'answered before');
for my $i (1 .. 30) {
    my $cp = Arthexis::OCPP->connect("V$i");
    $cp->call('StatusNotification', { connectorId => 1, status => 'Available',
                                      errorCode => 'NoError' });
    $cp->close;
    main::sleep(0.02);
}
$r = $keep->call('Heartbeat', {}, id => 'after-evictions');
Test::More::is($r && $r->[0], 3, 'answered after 30 others came and went');
$r = $keep->call('StatusNotification', { connectorId => 1,
    status => 'Charging', errorCode => 'NoError' }, id => 'status-after');
Test::More::is_deeply($r && $r->[2], {}, 'StatusNotification answered');
my ($status, $body) = main::http_get('/ocpp/chargers/V1/');
Test::More::like($body, qr/"log":\[\]/, 'V1 was evicted from the zone');
@main::Keep = ($keep);
--- request
GET /ocpp/chargers/KEEP/
--- response_body_like: "connected":true,.*"connectors":\[\{"connectorId":1,"status":"Charging".*"log":\[\{"message":"> \[2,\\"before-evictions\\".*\\"after-evictions\\".*\\"status-after\\"
--- no_error_log
[crit]
[alert]
