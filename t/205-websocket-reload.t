# Reload (SIGHUP) while sessions are open: the old workers close each
# session with 1001 so that clients reconnect to the new workers, and exit
# once the sessions are closed (or after websocket_close_timeout for a
# client that does not answer).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Arthexis::Test;
use Time::HiRes qw( time sleep );

repeat_each(1);
no_shuffle();
master_on();
workers(2);

sub result {
    my $text = shift;
    my $file = Test::Nginx::Util::html_dir() . '/result.txt';
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    print $fh $text;
    close $fh;
}

sub master_pid {
    my $file = Test::Nginx::Util::server_root() . '/logs/nginx.pid';
    open my $fh, '<', $file or die "$file: $!\n";
    chomp(my $pid = <$fh>);
    close $fh;
    return $pid;
}

sub workers_of {
    my $master = shift;
    my @pids;

    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        close $fh;
        next unless defined $line && $line =~ /^(\d+) \(.*\) \S (\d+) /;
        push @pids, $1 if $2 == $master;
    }

    return sort @pids;
}

# every session: a message, then the reload: what each one gets
sub reload {
    my ($answer) = @_;
    my $master = master_pid();
    my @old = workers_of($master);
    my @ws = map { ws_connect() } 1 .. 4;
    my $echoed = 0;

    for my $i (0 .. $#ws) {
        ws_send($ws[$i], "before $i");
        my $m = ws_recv($ws[$i], 3);
        $echoed++ if defined $m && $m eq "before $i";
    }

    kill 'HUP', $master;

    my $start = time;
    my %got;

    for my $ws (@ws) {
        my $f = Arthexis::Test::ws_recv_frame($ws, 5);
        my $what = !$f ? 'nothing'
                   : $f->[0] == 8 ? 'close ' . join(' ', unpack('n a*', $f->[1]))
                   : "opcode $f->[0]";
        $got{$what}++;

        print { $ws->{sock} } ws_close(1001) if $answer;
    }

    # the server closes each connection; so does the client then
    my $closed = 0;
    for my $ws (@ws) {
        $closed++ unless Arthexis::Test::_fill($ws, time + 5);
        close $ws->{sock};
    }

    my $took = time - $start;

    # the old workers are gone, the new ones answer
    my $deadline = time + 5;
    my %old = map { $_ => 1 } @old;
    while (time < $deadline && grep { kill 0, $_ } @old) {
        sleep 0.05;
    }
    my $left = grep { kill 0, $_ } @old;

    my $new = ws_connect();
    ws_send($new, 'after');
    my $m = ws_recv($new, 3);
    ws_disconnect($new, 1000);

    my @new = grep { !$old{$_} } workers_of($master);

    result("$echoed of 4 echoed before the reload\n"
           . join('', map { "$got{$_} got $_\n" } sort keys %got)
           . "$closed of 4 closed by the server\n"
           . ($took < 2 ? "within 2 s\n" : "after $took s\n")
           . "old workers left: $left\n"
           . "new workers: " . scalar(@new) . "\n"
           . "after the reload: " . ($m // 'no echo') . "\n");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        qq{    arthexis_database "\$TEST_NGINX_ARTHEXIS_DATABASE";\n}
        . ($block->http_config // ''));
});

run_tests();

__DATA__

=== TEST 1: reload: every session gets 1001, answers, and the old workers exit
--- config
    location /ws/echo/ { websocket_echo; }
--- init
main::reload(1);
--- request
GET /result.txt
--- response_body
4 of 4 echoed before the reload
4 got close 1001 server shutting down
4 of 4 closed by the server
within 2 s
old workers left: 0
new workers: 2
after the reload: after
--- timeout: 20



=== TEST 2: clients that do not answer the 1001 are closed after the timer
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_close_timeout 500ms;
    }
--- init
main::reload(0);
--- request
GET /result.txt
--- response_body
4 of 4 echoed before the reload
4 got close 1001 server shutting down
4 of 4 closed by the server
within 2 s
old workers left: 0
new workers: 2
after the reload: after
--- timeout: 20



=== TEST 3: the closing timer is bounded by worker_shutdown_timeout
--- main_config
    worker_shutdown_timeout 300ms;
--- config
    location /ws/echo/ {
        websocket_echo;
        websocket_close_timeout 60s;
    }
--- init
main::reload(0);
--- request
GET /result.txt
--- response_body
4 of 4 echoed before the reload
4 got close 1001 server shutting down
4 of 4 closed by the server
within 2 s
old workers left: 0
new workers: 2
after the reload: after
--- timeout: 20
