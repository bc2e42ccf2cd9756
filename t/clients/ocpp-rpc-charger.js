// An independent OCPP 1.6J charge point: the npm package ocpp-rpc in
// strictMode, which validates every message both ways against the official
// schemas.  It boots, authorizes, starts a transaction, sends meter values,
// and answers RemoteStopTransaction (stopping the transaction first) and
// Reset (then it exits 0).  Any schema violation or error exits 1.
//
// usage: node ocpp-rpc-charger.js PORT ID   (NODE_PATH holds ocpp-rpc)

'use strict';

const { RPCClient } = require('ocpp-rpc');

const port = process.argv[2];
const identity = process.argv[3] || 'RPC1';
const log = (...a) => console.log(new Date().toISOString(), ...a);

async function main() {
    const cli = new RPCClient({
        endpoint: `ws://127.0.0.1:${port}/ws/ocpp`,
        identity,
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
    });

    let transactionId = null;

    cli.handle('RemoteStopTransaction', async ({ params }) => {
        log('RemoteStopTransaction', JSON.stringify(params));
        const stop = await cli.call('StopTransaction', {
            transactionId: params.transactionId,
            meterStop: 15000,
            timestamp: new Date().toISOString(),
            reason: 'Remote',
        });
        log('StopTransaction ->', JSON.stringify(stop));
        return { status: 'Accepted' };
    });

    cli.handle('Reset', async ({ params }) => {
        log('Reset', JSON.stringify(params));
        setTimeout(async () => {
            await cli.close({ code: 1000 });
            log('done');
            process.exit(0);
        }, 100);
        return { status: 'Accepted' };
    });

    cli.handle(({ method }) => {
        log('unexpected call', method);
        throw new Error('unexpected ' + method);
    });

    await cli.connect();
    log('connected, protocol', cli.protocol);

    const boot = await cli.call('BootNotification', {
        chargePointVendor: 'ocpp-rpc', chargePointModel: 'strict',
    });
    log('BootNotification ->', JSON.stringify(boot));
    if (boot.status !== 'Accepted') throw new Error('boot not accepted');

    const auth = await cli.call('Authorize', { idTag: 'RPCTAG01' });
    log('Authorize ->', JSON.stringify(auth));

    await cli.call('StatusNotification', {
        connectorId: 1, status: 'Charging', errorCode: 'NoError',
        timestamp: new Date().toISOString(),
    });

    const start = await cli.call('StartTransaction', {
        connectorId: 1, idTag: 'RPCTAG01', meterStart: 1000,
        timestamp: new Date().toISOString(),
    });
    log('StartTransaction ->', JSON.stringify(start));
    transactionId = start.transactionId;

    const mv = await cli.call('MeterValues', {
        connectorId: 1, transactionId,
        meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
            { value: '5000', measurand: 'Energy.Active.Import.Register',
              unit: 'Wh' }] }],
    });
    log('MeterValues ->', JSON.stringify(mv));

    const hb = await cli.call('Heartbeat', {});
    log('Heartbeat ->', JSON.stringify(hb));
    log('ready');

    setTimeout(() => { log('no Reset came'); process.exit(1); }, 15000);
}

main().catch((err) => {
    log('error:', err && (err.stack || err.message || err));
    process.exit(1);
});
