package Arthexis::OCPP;

# A blocking OCPP 1.6J charge point for the tests, on top of the WebSocket
# client in Arthexis::Test:
#
#   my $cp = Arthexis::OCPP->connect('CP1');          # ocpp1.6 offered
#   my $r = $cp->call('BootNotification', {...});     # [3|4, payload...]
#   $cp->send_text('[2,"x","Heartbeat",{}]');         # anything, raw
#   my $m = $cp->recv_message(2);                     # decoded frame
#   $cp->serve(5, { Reset => {status => 'Accepted'} });   # answer CALLs
#   $cp->close;
#
#   my $pid = ocpp_charger_in_background('CP9', seconds => 5,
#                                         answers => {...});
#
# Test::More checks may be made from --- init code with these.

use strict;
use warnings;

use Exporter 'import';
use JSON::PP ();
use Time::HiRes qw( time sleep );
use POSIX ();

use Arthexis::Test qw( ws_connect ws_send ws_recv_frame ws_disconnect
                       http_get );

our @EXPORT = qw( ocpp_charger_in_background ocpp_wait_connected
                  ocpp_stop_background json_decode json_encode );

my $JSON = JSON::PP->new->canonical(1)->allow_nonref(1);

sub json_decode ($) { $JSON->decode(shift) }
sub json_encode ($) { $JSON->encode(shift) }

sub connect {
    my ($class, $id, %o) = @_;

    my $path = $o{path} // "/ws/ocpp/$id/";
    my $protocol = exists $o{protocol} ? $o{protocol} : 'ocpp1.6';

    my $ws = ws_connect(path => $path, protocol => $protocol,
                        timeout => $o{timeout} // 5);

    return bless { ws => $ws, id => $id, next => 0 }, $class;
}

sub status { $_[0]{ws}{status} }
sub head { $_[0]{ws}{head} }

sub send_text {
    my ($self, $text) = @_;
    ws_send($self->{ws}, $text);
}

# the next message as a decoded array, or undef (timeout, close); a Close
# frame is kept in {close} as "code reason"
sub recv_message {
    my ($self, $timeout) = @_;

    for (;;) {
        my $f = ws_recv_frame($self->{ws}, $timeout // 5) or return undef;

        if ($f->[0] == 8) {
            my $p = $f->[1];
            $self->{close} = length $p >= 2
                ? unpack('n', $p) . ' ' . substr($p, 2) : '';
            return undef;
        }

        next if $f->[0] != 1;

        my $m = eval { $JSON->decode($f->[1]) };
        $self->{last_text} = $f->[1];
        return $m if $m;
    }
}

# sends a CALL and returns the answer with that id (CALLs from the server
# on the way are stored in {calls})
sub call {
    my ($self, $action, $payload, %o) = @_;

    my $id = $o{id} // ('m' . ++$self->{next});
    $self->send_text($JSON->encode([2, $id, $action, $payload // {}]));

    my $deadline = time + ($o{timeout} // 5);

    while (time < $deadline) {
        my $m = $self->recv_message($deadline - time) or return undef;

        if ($m->[0] == 2) {
            push @{ $self->{calls} }, $m;
            next;
        }

        return $m if defined $m->[1] && $m->[1] eq $id;
    }

    return undef;
}

# answers the server's CALLs for $seconds: $answers->{Action} is the
# payload (or a code ref taking the request payload); absent: NotImplemented
sub serve {
    my ($self, $seconds, $answers) = @_;
    my $deadline = time + $seconds;
    my @seen;

    for my $m (@{ delete $self->{calls} || [] }) {
        push @seen, $m;
        $self->answer($m, $answers);
    }

    while (time < $deadline) {
        my $m = $self->recv_message($deadline - time);

        if (!$m) {
            last if defined $self->{close} || !$self->{ws}{sock}->connected;
            next;
        }

        next unless $m->[0] == 2;
        push @seen, $m;
        $self->answer($m, $answers);
        last if $answers->{_stop_after} && @seen >= $answers->{_stop_after};
    }

    return @seen;
}

sub answer {
    my ($self, $m, $answers) = @_;
    my (undef, $id, $action, $payload) = @$m;
    my $a = $answers->{$action};

    if (!defined $a) {
        $self->send_text($JSON->encode([4, $id, 'NotImplemented',
                                        "no $action here", {}]));
        return;
    }

    if (ref $a eq 'CODE') {
        $a = $a->($payload);
    }

    return if ref $a eq 'SCALAR' && $$a eq 'silent';

    if (ref $a eq 'ARRAY') {
        # a CALLERROR: [code, description]
        $self->send_text($JSON->encode([4, $id, $a->[0], $a->[1], {}]));
        return;
    }

    $self->send_text($JSON->encode([3, $id, $a]));
}

sub close {
    my $self = shift;
    ws_disconnect($self->{ws}, 1000) if $self->{ws}{sock};
}

sub boot {
    my $self = shift;
    return $self->call('BootNotification',
                       { chargePointVendor => 'Arthexis',
                         chargePointModel => 'TestCP',
                         chargePointSerialNumber => 'SN-1',
                         firmwareVersion => '1.0' });
}

# waits until GET /ocpp/chargers/<id>/ says connected
sub ocpp_wait_connected ($;$) {
    my ($id, $timeout) = @_;
    my $deadline = time + ($timeout // 5);

    while (time < $deadline) {
        my ($status, $body) = http_get("/ocpp/chargers/$id/", 1);
        return 1 if $status == 200 && $body =~ /"connected":true/;
        sleep 0.05;
    }

    return 0;
}

# a charger in a child process: connects, boots, answers CALLs for a while
my @Children;

sub ocpp_charger_in_background ($%) {
    my ($id, %o) = @_;

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        my $ok = eval {
            my $cp = Arthexis::OCPP->connect($id, %o);
            $cp->boot unless $o{no_boot};
            $cp->serve($o{seconds} // 5, $o{answers} // {});
            $cp->close;
            1;
        };
        POSIX::_exit($ok ? 0 : 1);
    }

    push @Children, $pid;
    ocpp_wait_connected($id, 5) unless $o{no_wait};

    return $pid;
}

sub ocpp_stop_background () {
    for my $pid (@Children) {
        kill 'TERM', $pid;
        waitpid($pid, 0);
    }

    @Children = ();
}

1;
