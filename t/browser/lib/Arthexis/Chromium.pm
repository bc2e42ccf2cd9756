package Arthexis::Chromium;

# A small Chrome DevTools Protocol client for the browser tests: starts
# Debian's chromium headless with a fresh profile and talks to it over
# --remote-debugging-pipe (JSON messages ending in NUL on fds 3 and 4), so
# it needs no port, no WebSocket and no npm package.
#
#   my $b = Arthexis::Chromium->launch or die Arthexis::Chromium::error();
#   my $s = $b->open_page;                 # a tab, its session id
#   $b->call('Page.navigate', { url => $url }, $s);
#   $b->wait_event('Page.loadEventFired', $s);
#   my $v = $b->evaluate('document.title', $s);
#   my @errors = $b->console_errors($s);
#   $b->quit;

use strict;
use warnings;

use Fcntl qw( F_DUPFD );
use File::Temp qw( tempdir );
use IO::Select ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw( time sleep );

our $Binary = $ENV{ARTHEXIS_CHROMIUM} || '/usr/bin/chromium';
our $Timeout = 30;

my $JSON = JSON::PP->new->utf8->canonical;
my $Error = '';

sub error { $Error }

# the flags: headless, no sandbox (root in containers), nothing that
# reaches the network on its own
our @Flags = (qw(
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update
    --disable-sync --disable-extensions --disable-default-apps
    --disable-dev-shm-usage --mute-audio --hide-scrollbars
    --remote-debugging-pipe
), '--window-size=1280,900');

sub launch {
    my ($class, %o) = @_;

    my $dir = tempdir('arthexis-chromium-XXXXXX', TMPDIR => 1,
                      CLEANUP => 1);

    pipe(my $chrome_in, my $to_chrome) or die "pipe: $!\n";
    pipe(my $from_chrome, my $chrome_out) or die "pipe: $!\n";

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        # fds 3 (commands in) and 4 (replies out), whatever fds the pipes
        # got: copy them high first, then into place
        my $in = fcntl($chrome_in, F_DUPFD, 10);
        my $out = fcntl($chrome_out, F_DUPFD, 10);
        POSIX::dup2($in, 3);
        POSIX::dup2($out, 4);
        POSIX::close($in);
        POSIX::close($out);

        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/chromium.log";
        open STDERR, '>&', \*STDOUT;

        { exec $Binary, @Flags, "--user-data-dir=$dir/profile",
               @{ $o{flags} || [] }, 'about:blank'; }
        print STDERR "cannot run $Binary: $!\n";
        POSIX::_exit(127);
    }

    CORE::close($chrome_in);
    CORE::close($chrome_out);
    binmode $to_chrome;
    binmode $from_chrome;

    my $self = bless {
        pid => $pid, dir => $dir, in => $from_chrome, out => $to_chrome,
        buf => '', id => 0, events => [], replies => {},
    }, $class;

    # the browser answers once it is up
    my $version = eval { $self->call('Browser.getVersion') };
    if (!$version) {
        $Error = "chromium did not start: " . ($@ || 'no answer')
                 . $self->log_tail;
        $self->quit;
        return undef;
    }

    $self->{version} = $version->{product};

    return $self;
}

sub version { $_[0]{version} }

sub log_tail {
    my $self = shift;

    open my $fh, '<', "$self->{dir}/chromium.log" or return '';
    my @lines = <$fh>;
    CORE::close($fh);

    return "\nchromium's output:\n" . join('', @lines[-20 .. -1])
        if @lines > 20;
    return @lines ? "\nchromium's output:\n" . join('', @lines) : '';
}

# one command; returns its result, dies on an error or a timeout
sub call {
    my ($self, $method, $params, $session, $timeout) = @_;

    my $id = ++$self->{id};
    my $msg = { id => $id, method => $method, params => $params || {} };
    $msg->{sessionId} = $session if defined $session;

    my $data = $JSON->encode($msg) . "\0";

    while (length $data) {
        my $n = syswrite($self->{out}, $data);
        die "$method: cannot write to chromium: $!\n" unless defined $n;
        substr($data, 0, $n) = '';
    }

    my $deadline = time + ($timeout || $Timeout);

    until (exists $self->{replies}{$id}) {
        $self->_read($deadline) or die "$method: no answer from chromium\n";
    }

    my $reply = delete $self->{replies}{$id};

    die "$method: $reply->{error}{message}\n" if $reply->{error};

    return $reply->{result};
}

# the first event of that name (and session) not yet taken, waiting for it
sub wait_event {
    my ($self, $method, $session, $timeout) = @_;
    my $deadline = time + ($timeout || $Timeout);

    for (;;) {
        for my $e (@{ $self->{events} }) {
            next if $e->{taken} || $e->{method} ne $method;
            next if defined $session && ($e->{sessionId} // '') ne $session;
            $e->{taken} = 1;
            return $e->{params};
        }

        $self->_read($deadline) or die "$method: not seen in time\n";
    }
}

sub events {
    my ($self, $session) = @_;

    return grep { !defined $session || ($_->{sessionId} // '') eq $session }
           @{ $self->{events} };
}

# reads what chromium sent until $deadline or one message more
sub _read {
    my ($self, $deadline) = @_;

    for (;;) {
        if ((my $i = index($self->{buf}, "\0")) >= 0) {
            my $raw = substr($self->{buf}, 0, $i);
            substr($self->{buf}, 0, $i + 1) = '';

            my $msg = $JSON->decode($raw);

            if (defined $msg->{id}) {
                $self->{replies}{ $msg->{id} } = $msg;
            } else {
                push @{ $self->{events} }, $msg;
            }

            return 1;
        }

        my $left = $deadline - time;
        return 0 if $left <= 0;

        my $sel = IO::Select->new($self->{in});
        return 0 unless $sel->can_read($left);

        my $n = sysread($self->{in}, my $chunk, 65536);
        return 0 unless $n;

        $self->{buf} .= $chunk;
    }
}

# a new tab; returns its session id, with Page, Runtime, Log and Network
# enabled (their events are kept)
sub open_page {
    my $self = shift;

    my $target = $self->call('Target.createTarget', { url => 'about:blank' });
    my $attached = $self->call('Target.attachToTarget',
                               { targetId => $target->{targetId},
                                 flatten => JSON::PP::true });
    my $s = $attached->{sessionId};

    $self->call($_, {}, $s) for qw( Page.enable Runtime.enable Log.enable
                                    Network.enable );

    return $s;
}

# navigates and waits for the load event; dies on a failed navigation
sub load {
    my ($self, $url, $s) = @_;

    my $r = $self->call('Page.navigate', { url => $url }, $s);
    die "navigation to $url failed: $r->{errorText}\n" if $r->{errorText};

    $self->wait_event('Page.loadEventFired', $s);
}

# a JavaScript expression's value (JSON-able)
sub evaluate {
    my ($self, $expr, $s) = @_;

    my $r = $self->call('Runtime.evaluate',
                        { expression => $expr, returnByValue => JSON::PP::true,
                          awaitPromise => JSON::PP::true }, $s);

    if ($r->{exceptionDetails}) {
        my $d = $r->{exceptionDetails};
        die "evaluate: " . ($d->{exception}{description} // $d->{text})
            . "\n";
    }

    return $r->{result}{value};
}

# what a developer would see in red in the console: console.error and
# failed assertions, uncaught exceptions, error log entries (failed
# resource loads, CSP, ...), failed or 4xx/5xx network requests
sub console_errors {
    my ($self, $s) = @_;
    my @errors;

    for my $e ($self->events($s)) {
        my $m = $e->{method};
        my $p = $e->{params};

        if ($m eq 'Runtime.consoleAPICalled'
            && ($p->{type} eq 'error' || $p->{type} eq 'assert'))
        {
            push @errors, "console.$p->{type}: "
                . join(' ', map { $_->{value} // $_->{description} // '' }
                                @{ $p->{args} || [] });

        } elsif ($m eq 'Runtime.exceptionThrown') {
            my $d = $p->{exceptionDetails};
            push @errors, "exception: "
                . ($d->{exception}{description} // $d->{text});

        } elsif ($m eq 'Log.entryAdded' && $p->{entry}{level} eq 'error') {
            push @errors, "log ($p->{entry}{source}): $p->{entry}{text}"
                . ($p->{entry}{url} ? " $p->{entry}{url}" : '');

        } elsif ($m eq 'Network.loadingFailed') {
            push @errors, "network: $p->{errorText} ($p->{requestId})";

        } elsif ($m eq 'Network.responseReceived'
                 && $p->{response}{status} >= 400)
        {
            push @errors, "network: $p->{response}{status} "
                . "$p->{response}{url}";
        }
    }

    return @errors;
}

sub screenshot {
    my ($self, $file, $s) = @_;

    require MIME::Base64;

    my $r = $self->call('Page.captureScreenshot',
                        { format => 'png', captureBeyondViewport =>
                          JSON::PP::false }, $s);

    open my $fh, '>', $file or die "$file: $!\n";
    binmode $fh;
    print $fh MIME::Base64::decode_base64($r->{data});
    CORE::close($fh);
}

sub quit {
    my $self = shift;

    return unless $self->{pid};

    eval { $self->call('Browser.close', {}, undef, 5) };

    CORE::close($self->{out});
    CORE::close($self->{in});

    my $deadline = time + 5;
    while (time < $deadline) {
        last if waitpid($self->{pid}, POSIX::WNOHANG()) != 0;
        sleep 0.05;
    }

    if (kill 0, $self->{pid}) {
        kill 'KILL', $self->{pid};
        waitpid($self->{pid}, 0);
    }

    $self->{pid} = undef;
}

sub DESTROY { $_[0]->quit }

1;
