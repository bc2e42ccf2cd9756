# OCPP with several worker processes: remote actions whose charger socket
# lives on another worker, reload with sessions open, a worker killed with
# SIGKILL.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;
use Time::HiRes qw( sleep );

master_on();
workers(4);
repeat_each(1);
no_shuffle();

our @Keep;

add_test_cleanup_handler(sub {
    @Keep = ();
    Arthexis::OCPP::ocpp_stop_background();
});

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
    return map { /^\s*(\d+)/ ? $1 : () } `ps -o pid= --ppid $master`;
}

run_tests();

__DATA__

=== TEST 1: remote actions reach the charger whichever worker takes them
--- init
Arthexis::OCPP::ocpp_charger_in_background('CP1', seconds => 6, answers => {
    Reset => { status => 'Accepted' }, ClearCache => { status => 'Rejected' } });
--- request eval
[ map { $_ % 2 ? qq(POST /ocpp/chargers/CP1/action/\n{"action":"reset"})
               : qq(POST /ocpp/chargers/CP1/action/\n{"action":"clear_cache"}) }
  1 .. 12 ]
--- response_body_like eval
[ map { $_ % 2 ? qr/"Reset",\{"type":"Soft"\}\],"response":\{"status":"Accepted"\}/
               : qr/"ClearCache",\{\}\],"response":\{"status":"Rejected"\}/ } 1 .. 12 ]



=== TEST 2: reload keeps the zone and chargers reconnect to the new workers
--- init
my $cp = Arthexis::OCPP->connect('CP1');
$cp->boot;
kill 'HUP', main::master_pid();
my $m = $cp->recv_message(5);
Test::More::like($cp->{close} // '', qr/^1001/, 'Close 1001 on reload');
main::sleep(0.5);
$cp = Arthexis::OCPP->connect('CP1');
my $r = $cp->call('Heartbeat', {});
Test::More::is($r->[0], 3, 'answering after the reload');
@main::Keep = ($cp);
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "connected":true,.*"boot":\{"chargePointVendor":"Arthexis"



=== TEST 3: kill -9 of a worker loses no acknowledged transaction
--- init
my $cp = Arthexis::OCPP->connect('CP1');
my $r = $cp->call('StartTransaction', { connectorId => 1, idTag => 'K9',
    meterStart => 42, timestamp => '2026-11-24T10:00:00Z' });
my $tx = $r->[2]{transactionId};
Test::More::ok($tx > 0, "transaction $tx acknowledged");
my @workers = main::worker_pids();
kill 'KILL', @workers;
main::sleep(1);
Test::More::isnt(join(',', main::worker_pids()), join(',', @workers),
                 'a new worker replaced the killed one');
--- request
GET /ocpp/chargers/CP1/
--- response_body_like: "connected":false,.*"transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"K9","meterStart":42,
