# arthexis simulate (one charge point) against our central system: a full
# session, remote_stop and reset through REST, the simulator's answers to
# the other remote actions, -v, Ctrl-C, HTTP Basic, wss:// with a
# self-signed certificate, and the exit status.  The simulator runs from
# --- init (the CLI that build.sh exports as TEST_NGINX_ARTHEXIS), with
# short durations; the block's request then reads what the server kept.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Test::More;
use File::Temp ();
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw( time sleep );

repeat_each(1);
no_shuffle();

our $Tmp = File::Temp::tempdir(CLEANUP => 1);
our %Out;
our $N = 0;

# a self-signed certificate for localhost and 127.0.0.1, an htpasswd, and
# a free port for the TLS server
system("openssl req -x509 -newkey rsa:2048 -nodes -keyout $Tmp/key.pem"
       . " -out $Tmp/cert.pem -days 2 -subj /CN=localhost -addext"
       . " subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null") == 0
    or die "openssl req failed\n";
system("openssl req -x509 -newkey rsa:2048 -nodes -keyout $Tmp/other.key"
       . " -out $Tmp/other.pem -days 2 -subj /CN=other 2>/dev/null") == 0
    or die "openssl req failed\n";

{
    open my $fh, '>', "$Tmp/htpasswd" or die;
    print $fh "CPB:{PLAIN}s3cret\n";
}

{
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0) or die;
    $ENV{TEST_NGINX_SIM_TLS_PORT} = $s->sockport;
}

$ENV{TEST_NGINX_SIM_DIR} = $Tmp;

add_test_cleanup_handler(sub {
    for my $pid (keys %Out) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    %Out = ();
});

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 1m log=16k;

    server {
        listen 127.0.0.1:$TEST_NGINX_SIM_TLS_PORT ssl;
        server_name localhost;
        ssl_certificate $TEST_NGINX_SIM_DIR/cert.pem;
        ssl_certificate_key $TEST_NGINX_SIM_DIR/key.pem;
        location /ws/ocpp/ { ocpp_charge_point; }
    }
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location /ws/ocpp/ { ocpp_charge_point; ocpp_call_timeout 3s; }
    location /ocpp/ { ocpp_api; ocpp_call_timeout 3s; }
    location /basic/ws/ocpp/ {
        ocpp_charge_point;
        auth_basic "chargers";
        auth_basic_user_file $TEST_NGINX_SIM_DIR/htpasswd;
    }
_EOC_
    }
});

my $JSON = JSON::PP->new->canonical(1);

sub schemas () {
    return "$ENV{TEST_NGINX_NODE_PATH}/ocpp-rpc/lib/schemas/ocpp1_6.json";
}

# the simulator in a child process, its output in a file
sub sim_start (@) {
    my @args = @_;
    my $out = "$Tmp/sim-" . ++$N . ".out";
    my $bin = $ENV{TEST_NGINX_ARTHEXIS} or die "TEST_NGINX_ARTHEXIS not set\n";

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        { exec $bin, 'simulate', @args; }
        POSIX::_exit(127);
    }

    $Out{$pid} = $out;
    return $pid;
}

# waits for it to end: (exit status, output); -1 on a timeout
sub sim_wait ($;$) {
    my ($pid, $timeout) = @_;
    my $deadline = time + ($timeout // 30);
    my $rc = -1;

    while (time < $deadline) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            $rc = POSIX::WIFEXITED($?) ? POSIX::WEXITSTATUS($?) : -1;
            last;
        }
        sleep 0.05;
    }

    if ($rc == -1 && kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }

    my $file = delete $Out{$pid};
    open my $fh, '<', $file or return ($rc, '');
    local $/;
    my $out = <$fh>;

    return ($rc, $out // '');
}

sub sim_run (@) {
    return sim_wait(sim_start(@_), 60);
}

sub port () { $ENV{TEST_NGINX_SERVER_PORT} }

# GET /ocpp/chargers/<id>/ decoded, or undef
sub detail ($) {
    my $id = shift;
    my ($status, $body) = http_get("/ocpp/chargers/$id/");
    return $status == 200 ? $JSON->decode($body) : undef;
}

# the active transaction's id once the charger has one, else undef
sub wait_for_transaction ($;$) {
    my ($id, $timeout) = @_;
    my $deadline = time + ($timeout // 10);

    while (time < $deadline) {
        my $d = detail($id);
        return $d->{transaction}{transactionId}
            if $d && $d->{transaction} && $d->{connected};
        sleep 0.05;
    }

    return undef;
}

sub wait_connected ($;$) {
    my ($id, $timeout) = @_;
    my $deadline = time + ($timeout // 10);

    while (time < $deadline) {
        my $d = detail($id);
        return 1 if $d && $d->{connected} && $d->{status};
        sleep 0.05;
    }

    return 0;
}

# POST a JSON body: (status, body)
sub http_post ($$) {
    my ($path, $body) = @_;

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => port(), Timeout => 10)
        or return (0, '');

    print $sock "POST $path HTTP/1.1\r\nHost: localhost\r\n"
                . "Content-Type: application/json\r\n"
                . "Content-Length: " . length($body) . "\r\n"
                . "Connection: close\r\n\r\n$body";

    local $/;
    my $resp = <$sock> // '';
    close $sock;

    my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my (undef, $content) = split /\r\n\r\n/, $resp, 2;

    return ($status // 0, $content // '');
}

run_tests();

__DATA__

=== TEST 1: a full session: the transaction's energy lies in the kWh range
--- init
my ($rc, $out) = main::sim_run('--port', main::port(), '--cp', 'SIM1',
    '--duration', '1', '--interval', '0.3', '--pre-charge-delay', '0.2',
    '--kwh-min', '2', '--kwh-max', '3', '--schemas', main::schemas());
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
Test::More::like($out, qr/transaction \d+ stopped \(Local\): 2\.\d{3} kWh/,
                 'the session ended');
Test::More::unlike($out, qr/\] (schema|callerror|protocol):/,
                   'every answer fits the official schemas');
my $t = main::detail('SIM1')->{transactions}[0];
my $wh = $t->{meterStop} - $t->{meterStart};
Test::More::ok($wh >= 2000 && $wh <= 3000,
               "meterStop - meterStart = $wh Wh, within 2..3 kWh");
Test::More::ok($t->{meterStart} >= 1000 && $t->{meterStart} <= 2000,
               'meterStart where the seed began it');
--- request
GET /ocpp/chargers/SIM1/
--- response_body_like: "lastMeterValues":\{"connectorId":1,"meterValue":\[\{"timestamp":"[^"]+","sampledValue":\[\{"value":"\d+","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"\}.*"status":"Available".*"connected":false,"transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"FFFFFFFF","meterStart":\d+,"meterStop":\d+,"startTimestamp":"[^"]+","stopTimestamp":"[^"]+","stopReason":"Local"\}\].*"boot":\{"chargePointVendor":"Arthexis","chargePointModel":"Simulator".*"firmwareVersion":"arthexis-sim/1"



=== TEST 2: -v prints every exchange, in order; --rfid is the idTag
--- init
my ($rc, $out) = main::sim_run('--port', main::port(), '--cp', 'SIM2',
    '--duration', '0', '--pre-charge-delay', '0', '--rfid', 'ABCD1234',
    '-v');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
my @calls = $out =~ /\] > \[2,"c\d+","(\w+)"/g;
Test::More::is("@calls", 'BootNotification StatusNotification '
    . 'StatusNotification StatusNotification Authorize StartTransaction '
    . 'StatusNotification StopTransaction StatusNotification '
    . 'StatusNotification', 'the CALLs of a session');
my @answers = $out =~ /\] < \[3,"(c\d+)"/g;
Test::More::is(scalar @answers, 10, 'each answered');
Test::More::like($out, qr/"Authorize",\{"idTag":"ABCD1234"\}/, 'the idTag');
Test::More::like($out, qr/\] connected \(subprotocol ocpp1\.6\)/,
                 'the subprotocol');
--- request
GET /ocpp/chargers/SIM2/
--- response_body_like: "idTag":"ABCD1234"



=== TEST 3: remote_stop through REST ends the session
--- init
my $pid = main::sim_start('--port', main::port(), '--cp', 'SIM3',
    '--duration', '60', '--interval', '0.5', '--pre-charge-delay', '0');
my $tx = main::wait_for_transaction('SIM3');
Test::More::ok($tx, 'a transaction began');
my ($status, $body) = main::http_post('/ocpp/chargers/SIM3/action/',
                                      '{"action":"remote_stop"}');
Test::More::is($status, 200, 'remote_stop: 200');
Test::More::like($body, qr/"RemoteStopTransaction",\{"transactionId":$tx\}\],"response":\{"status":"Accepted"\}/,
                 'the charger accepted');
my ($rc, $out) = main::sim_wait($pid, 10);
Test::More::is($rc, 0, 'the simulator ended well') or Test::More::diag($out);
Test::More::like($out, qr/transaction $tx stopped \(Remote\)/, 'stopped');
--- request
GET /ocpp/chargers/SIM3/
--- response_body_like: "transaction":null,.*"stopReason":"Remote"



=== TEST 4: reset is answered, the session stops and the charger boots again
--- init
my $pid = main::sim_start('--port', main::port(), '--cp', 'SIM4',
    '--duration', '60', '--interval', '1', '--pre-charge-delay', '0');
my $tx = main::wait_for_transaction('SIM4');
my $d = main::detail('SIM4');
my $booted = $d->{boot}{bootedAt};
my ($status, $body) = main::http_post('/ocpp/chargers/SIM4/action/',
                                      '{"action":"reset","type":"Hard"}');
Test::More::like($body, qr/"Reset",\{"type":"Hard"\}\],"response":\{"status":"Accepted"\}/,
                 'Reset: Accepted');
my ($rc, $out) = main::sim_wait($pid, 10);
Test::More::is($rc, 0, 'the simulator ended well') or Test::More::diag($out);
Test::More::like($out, qr/Hard reset.*stopped \(HardReset\).*connected.*booted \(boot 2,/s,
                 'stopped, reconnected, booted again');
$d = main::detail('SIM4');
Test::More::isnt($d->{boot}{bootedAt}, $booted, 'a new boot time');
my @boots = grep { $_->{message} =~ /^> \[2,"c\d+","BootNotification"/ }
            @{ $d->{log} };
Test::More::is(scalar @boots, 2, 'two BootNotifications in the log');
--- request
GET /ocpp/chargers/SIM4/
--- response_body_like: "stopReason":"HardReset"



=== TEST 5: the other remote actions are answered from the simulator
--- init
my $pid = main::sim_start('--port', main::port(), '--cp', 'SIM5',
    '--pre-charge-delay', '60');
Test::More::ok(main::wait_connected('SIM5'), 'connected');
--- request eval
[ map { "POST /ocpp/chargers/SIM5/action/\n$_" }
  '{"action":"get_configuration","key":["HeartbeatInterval","Nope"]}',
  '{"action":"change_configuration","key":"HeartbeatInterval","value":"30"}',
  '{"action":"get_configuration","key":["HeartbeatInterval"]}',
  '{"action":"change_configuration","key":"NumberOfConnectors","value":"2"}',
  '{"action":"trigger_message","requestedMessage":"Heartbeat"}',
  '{"action":"trigger_message","requestedMessage":"DiagnosticsStatusNotification"}',
  '{"action":"unlock_connector","connectorId":2}',
  '{"action":"change_availability","connectorId":0,"type":"Inoperative"}',
  '{"action":"clear_cache"}',
  '{"action":"data_transfer","vendorId":"Arthexis","messageId":"ping","data":"x"}',
  '{"action":"data_transfer","vendorId":"com.acme"}',
  '{"action":"remote_start","idTag":"TAG9","connectorId":1}',
  '{"action":"change_availability","connectorId":0,"type":"Operative"}',
  '{"action":"remote_start","idTag":"TAG9","connectorId":1}' ]
--- response_body_like eval
[ qr/"response":\{"configurationKey":\[\{"key":"HeartbeatInterval","readonly":false,"value":"300"\}\],"unknownKey":\["Nope"\]\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"value":"30"/,
  qr/"response":\{"status":"Rejected"\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"response":\{"status":"NotSupported"\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"response":\{"status":"Accepted","data":"x"\}/,
  qr/"response":\{"status":"UnknownVendorId"\}/,
  qr/"response":\{"status":"Rejected"\}/,
  qr/"response":\{"status":"Accepted"\}/,
  qr/"response":\{"status":"Accepted"\}/ ]



=== TEST 6: remote_start begins a session with the operator's idTag
--- init
my $pid = main::sim_start('--port', main::port(), '--cp', 'SIM6',
    '--pre-charge-delay', '60', '--duration', '0.3', '--interval', '1');
Test::More::ok(main::wait_connected('SIM6'), 'connected');
my ($status, $body) = main::http_post('/ocpp/chargers/SIM6/action/',
    '{"action":"remote_start","idTag":"OPER1","connectorId":1}');
Test::More::like($body, qr/"response":\{"status":"Accepted"\}/, 'Accepted');
my ($rc, $out) = main::sim_wait($pid, 10);
Test::More::is($rc, 0, 'the session ended well') or Test::More::diag($out);
Test::More::like($out, qr/remote start for idTag OPER1.*started \(idTag OPER1/s,
                 'the session used it');
--- request
GET /ocpp/chargers/SIM6/
--- response_body_like: "idTag":"OPER1",.*"stopReason":"Local"



=== TEST 7: Ctrl-C stops the session with a StopTransaction first
--- init
my $pid = main::sim_start('--port', main::port(), '--cp', 'SIM7',
    '--duration', '60', '--interval', '1', '--pre-charge-delay', '0');
my $tx = main::wait_for_transaction('SIM7');
kill 'INT', $pid;
my ($rc, $out) = main::sim_wait($pid, 10);
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
Test::More::like($out, qr/stopping.*transaction $tx stopped \(Local\)/s,
                 'stopped cleanly');
--- request
GET /ocpp/chargers/SIM7/
--- response_body_like: "transaction":null,"connected":false,.*"stopReason":"Local"



=== TEST 8: failures give exit status 1: no server; the upgrade refused
--- init
my ($rc, $out) = main::sim_run('--port', $ENV{TEST_NGINX_SIM_TLS_PORT} + 0,
    '--host', '127.0.0.2', '--cp', 'X', '--timeout', '2');
Test::More::is($rc, 1, 'no server: 1');
Test::More::like($out, qr/connection failed: connect failed/, 'said why');
($rc, $out) = main::sim_run('--url', 'ws://127.0.0.1:' . main::port()
                                     . '/basic/ws/ocpp/CPB/');
Test::More::is($rc, 1, 'refused: 1');
Test::More::like($out, qr/handshake refused.*HTTP 401/, 'HTTP 401');
($rc, $out) = main::sim_run('--kwh-min', '5', '--kwh-max', '4');
Test::More::is($rc, 2, 'bad arguments: 2');
--- request
GET /ocpp/chargers/X/
--- error_code: 404



=== TEST 9: HTTP Basic credentials on the handshake (--username, --password)
--- init
my ($rc, $out) = main::sim_run('--url', 'ws://127.0.0.1:' . main::port()
    . '/basic/ws/ocpp/CPB/', '--username', 'CPB', '--password', 's3cret',
    '--duration', '0', '--pre-charge-delay', '0');
Test::More::is($rc, 0, 'exit status 0') or Test::More::diag($out);
--- request
GET /ocpp/chargers/CPB/
--- response_body_like: "stopReason":"Local"



=== TEST 10: wss:// with the server's certificate checked against --ca
--- init
my $url = "wss://localhost:$ENV{TEST_NGINX_SIM_TLS_PORT}/ws/ocpp/TLS1/";
my ($rc, $out) = main::sim_run('--url', $url, '--ca',
    "$main::Tmp/cert.pem", '--duration', '0.5', '--interval', '0.2',
    '--pre-charge-delay', '0', '-v');
Test::More::is($rc, 0, 'a session over TLS') or Test::More::diag($out);
Test::More::like($out, qr/< \[3,"c\d+",\{"transactionId":\d+/,
                 'answers came back');
($rc, $out) = main::sim_run('--url', $url, '--ca', "$main::Tmp/other.pem",
                            '--timeout', '3');
Test::More::is($rc, 1, 'another CA: refused');
Test::More::like($out, qr/TLS: handshake: certificate: /, 'said why');
($rc, $out) = main::sim_run('--tls', '--host', '127.0.0.1', '--port',
    $ENV{TEST_NGINX_SIM_TLS_PORT}, '--cp', 'TLS2', '--ca',
    "$main::Tmp/cert.pem", '--duration', '0', '--pre-charge-delay', '0');
Test::More::is($rc, 0, '--tls, the IP address checked')
    or Test::More::diag($out);
--- request
GET /ocpp/chargers/TLS1/
--- response_body_like: "stopReason":"Local"
