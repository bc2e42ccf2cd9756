# Group commit: while the database threads are busy, the messages of
# several chargers share one thread's turn and one database transaction.
# One pool thread, held by a status request that waits for a database
# lock, makes every charger's message wait in the same batch; when the lock
# goes, the batch runs as one transaction.  A message that fails in it
# must not take the others down: the group runs again one by one.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Arthexis::OCPP;
use Test::More;

repeat_each(1);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->main_config) {
        $block->set_value("main_config", <<'_EOC_');
    thread_pool ocpp_one threads=1;
_EOC_
    }

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'_EOC_');
    arthexis_database "$TEST_NGINX_ARTHEXIS_DATABASE";
    arthexis_database_timeout 10s;
    arthexis_thread_pool ocpp_one;
    ocpp_zone chargers 1m;
_EOC_
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'_EOC_');
    location = /arthexis/status { arthexis_status; }
    location /ws/ocpp/ { ocpp_charge_point; }
    location /ocpp/ { ocpp_api; }
_EOC_
    }
});

# N booted chargers; then the one pool thread is held for $secs and every
# charger sends its CALL at once; returns the chargers and their answers
sub all_at_once ($$$) {
    my ($n, $secs, $call) = @_;

    my @cps = map { Arthexis::OCPP->connect("G$_") } 1 .. $n;
    $_->boot for @cps;

    hold_database_then_query($secs);

    my $i = 0;
    for my $cp (@cps) {
        my ($action, $payload) = $call->(++$i);
        $cp->send_text(Arthexis::OCPP::json_encode([2, "m$i", $action,
                                                    $payload]));
    }

    my @answers = map { $_->recv_message($secs + 5) } @cps;

    return (\@cps, \@answers);
}

# a trigger that refuses one idTag, to make one charger's write fail
sub refuse_tag ($) {
    my $tag = shift;

    if (arthexis_database() =~ /^sqlite:/) {
        arthexis_sql("CREATE TRIGGER test_refuse BEFORE INSERT ON "
                     . "ocpp_transaction WHEN NEW.id_tag = '$tag' BEGIN "
                     . "SELECT RAISE(ABORT, 'refused by the test'); END");
        return;
    }

    arthexis_sql("CREATE FUNCTION test_refuse() RETURNS trigger "
                 . "LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.id_tag = '$tag' "
                 . "THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                 . "RETURN NEW; END \$\$; CREATE TRIGGER test_refuse BEFORE "
                 . "INSERT ON ocpp_transaction FOR EACH ROW EXECUTE "
                 . "FUNCTION test_refuse()");
}

sub start ($) {
    my $i = shift;
    return ('StartTransaction', { connectorId => 1, idTag => "TAG$i",
                                  meterStart => 1000 * $i,
                                  timestamp => "2026-11-24T10:00:0${i}Z" });
}

run_tests();

__DATA__

=== TEST 1: eight StartTransactions in one batch: one transaction, eight rows, eight ids
--- init
my ($cps, $answers) = main::all_at_once(8, 1, \&main::start);
my %ids;
for my $i (0 .. 7) {
    my $a = $answers->[$i];
    Test::More::is($a && $a->[0], 3, "charger G" . ($i + 1) . " answered");
    Test::More::is($a->[2]{idTagInfo}{status}, 'Accepted', 'Accepted');
    $ids{$a->[2]{transactionId}}++ if $a->[2]{transactionId};
}
Test::More::is(scalar keys %ids, 8, 'eight distinct transactionIds');
my $i = 0;
my @stops = map { $i++; $_->call('StopTransaction', {
    transactionId => $answers->[$i - 1][2]{transactionId},
    meterStop => 1000 * $i + 500, timestamp => '2026-11-24T11:00:00Z' }) }
    @$cps;
Test::More::is(scalar(grep { $_ && $_->[0] == 3 } @stops), 8, 'eight stops');
$_->close for @$cps;
Test::More::is(main::arthexis_sql("SELECT count(*), sum(meter_stop - meter_start) "
                                  . "FROM ocpp_transaction "
                                  . "WHERE stop_time IS NOT NULL"),
               "8|4000\n", 'eight transactions closed in the database');
--- request
GET /ocpp/chargers/G8/
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"TAG8","meterStart":8000,"meterStop":8500,
--- no_error_log
one by one



=== TEST 2: one charger's write fails in the batch: the others are still recorded
--- init
main::refuse_tag('TAG3');
my ($cps, $answers) = main::all_at_once(6, 1, \&main::start);
for my $i (0 .. 5) {
    my $a = $answers->[$i];
    if ($i == 2) {
        Test::More::is($a && $a->[0], 4, 'the refused one gets a CALLERROR');
        Test::More::is($a->[2], 'InternalError', 'InternalError');
        next;
    }
    Test::More::is($a && $a->[0], 3, "charger G" . ($i + 1) . " answered");
    Test::More::ok($a->[2]{transactionId} > 0, 'with a transactionId');
}
$_->close for @$cps;
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_transaction"),
               "5\n", 'the five good ones are in the database');
--- request
GET /ocpp/chargers/G6/
--- response_body_like: "transactions":\[\{"transactionId":\d+,"connectorId":1,"idTag":"TAG6"
--- error_log eval
qr/\[warn\] .*arthexis: 6 jobs that shared a transaction run again one by one: .*refused by the test/



=== TEST 3: statuses, meter values and boots of many chargers in one batch
--- init
my ($cps, $answers) = main::all_at_once(10, 1, sub {
    my $i = shift;
    return $i % 2
        ? ('StatusNotification', { connectorId => 1, status => 'Charging',
                                   errorCode => 'NoError' })
        : ('MeterValues', { connectorId => 1, meterValue => [
              { timestamp => '2026-11-24T10:00:00Z',
                sampledValue => [ { value => "$i" } ] } ] });
});
Test::More::is(scalar(grep { $_ && $_->[0] == 3 } @$answers), 10,
               'ten answers');
$_->close for @$cps;
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_connector "
                                  . "WHERE status = 'Charging'"),
               "5\n", 'five statuses');
Test::More::is(main::arthexis_sql("SELECT count(*) FROM ocpp_meter_value"),
               "5\n", 'five meter values');
--- request
GET /ocpp/chargers/G10/
--- response_body_like: "lastMeterValues":\{"connectorId":1,"meterValue":\[\{"sampledValue":\[\{"value":"10"\}\]
--- no_error_log
one by one
