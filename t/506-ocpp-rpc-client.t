# An independent client drives the endpoint: the npm package ocpp-rpc in
# strictMode (it validates every message both ways against the official
# OCPP 1.6 schemas) boots, authorizes, starts, sends meter values, and
# answers remote_stop and reset sent through REST.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;
use Time::HiRes qw( sleep );
use POSIX ();

repeat_each(1);
no_shuffle();

our ($Pid, $Log);

sub start_client () {
    my $node_path = $ENV{TEST_NGINX_NODE_PATH} // 'build/node_modules';
    $Log = Test::Nginx::Util::server_root() . '/logs/ocpp-rpc.log';

    $Pid = fork // die "fork: $!\n";

    if ($Pid == 0) {
        $ENV{NODE_PATH} = $node_path;
        open STDOUT, '>', $Log;
        open STDERR, '>&', \*STDOUT;
        { exec 'node', 't/clients/ocpp-rpc-charger.js',
               $ENV{TEST_NGINX_SERVER_PORT}, 'RPC1'; }
        POSIX::_exit(127);
    }

    # until it has done its own part
    for (1 .. 100) {
        last if -f $Log && `cat $Log` =~ /ready|error/;
        sleep 0.1;
    }
}

add_test_cleanup_handler(sub {
    return unless $Pid;
    waitpid($Pid, 0);
    my $status = $? >> 8;
    my $log = `cat $Log`;
    Test::More::is($status, 0, 'the ocpp-rpc client finished without error')
        or Test::More::diag($log);
    Test::More::like($log, qr/BootNotification -> \{"status":"Accepted",/,
                     'boot accepted');
    Test::More::like($log, qr/StartTransaction -> \{"transactionId":[1-9]/,
                     'a transaction id');
    Test::More::like($log, qr/StopTransaction -> /, 'stopped on remote_stop');
    $Pid = undef;
});

run_tests();

__DATA__

=== TEST 1: ocpp-rpc in strictMode through a whole session and two remote actions
--- http_config
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    ocpp_zone chargers 1m;
--- config
    location /ws/ocpp/ { ocpp_charge_point; }
    location /ocpp/ { ocpp_api; }
--- init
main::start_client();
--- request eval
[ qq(POST /ocpp/chargers/RPC1/action/\n{"action":"remote_stop"}),
  qq(POST /ocpp/chargers/RPC1/action/\n{"action":"reset","type":"Soft"}),
  "GET /ocpp/chargers/RPC1/" ]
--- response_body_like eval
[ qr/^\{"sent":\[2,"[^"]+","RemoteStopTransaction",\{"transactionId":\d+\}\],"response":\{"status":"Accepted"\}\}$/,
  qr/^\{"sent":\[2,"[^"]+","Reset",\{"type":"Soft"\}\],"response":\{"status":"Accepted"\}\}$/,
  qr/"transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"RPCTAG01","meterStart":1000,"meterStop":15000,/ ]
--- timeout: 10
