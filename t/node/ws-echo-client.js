// An independent client for the echo endpoint: the npm package ws.
//
//   node ws-echo-client.js URL SCENARIO
//
// Prints what it saw, one line per event, then exits.  Scenarios:
//   exchange  text, binary, a 60,000-byte text, a fragmented message and a
//             ping; then Close 4001 "done" from the client
//   idle      waits for the server to close the session (idle timeout)
//   pings     stays 1.5 s while the server pings (ws answers), then echoes

'use strict';

const WebSocket = require('ws');

const [url, scenario] = process.argv.slice(2);
const ws = new WebSocket(url, ['chat', 'superchat']);
const lines = [];
let expected = 0;

function log(line) {
    lines.push(line);
}

function done() {
    console.log(lines.join('\n'));
    process.exit(0);
}

setTimeout(() => { log('timed out'); done(); }, 10000);

ws.on('open', () => {
    log(`open, protocol ${ws.protocol}`);

    if (scenario === 'exchange') {
        ws.send('hello from ws');
        ws.send(Buffer.from([0, 1, 2, 254, 255]));
        ws.send('z'.repeat(60000));
        ws.send('frag', { fin: false });
        ws.send('mented', { fin: true });
        ws.ping('are you there');
        expected = 4;

    } else if (scenario === 'pings') {
        setTimeout(() => { ws.send('still here'); expected = 1; }, 1500);
    }
});

ws.on('message', (data, isBinary) => {
    if (isBinary) {
        log(`binary ${data.toString('hex')}`);
    } else {
        const text = data.toString();
        log(text.length > 40 ? `text of ${text.length} bytes`
                             : `text ${text}`);
    }

    if (--expected === 0) {
        ws.close(scenario === 'exchange' ? 4001 : 1000, 'done');
    }
});

ws.on('ping', () => log('ping'));
ws.on('pong', (data) => log(`pong ${data.toString()}`));
ws.on('error', (err) => log(`error ${err.message}`));

ws.on('close', (code, reason) => {
    log(`close ${code} ${reason.toString()}`);
    done();
});
