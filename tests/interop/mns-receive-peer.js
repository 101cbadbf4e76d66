'use strict';
// Bench baseline: a receipt consumer written the way Alibaba's Node receive sample does it (@alicloud/sms-sdk's
// receiveMsg, with the delete moved after the save so it loses nothing): receive one message (long poll), base64-decode
// it, get the download URL with @alicloud/pop-core, download it, delete the message, repeat; the token is fetched with
// pop-core and refreshed 2 minutes before the sample's assumed 10-minute lifetime.
// Usage: node mns-receive-peer.js <endpoint> <accessKeyId> <accessKeySecret> <queueName> <destination>
// Prints one JSON line: {"received":N,"saved":N,"seconds":S}.
const fs = require('fs');
const path = require('path');
const http = require('http');
const RPCClient = require('@alicloud/pop-core').RPCClient;
const MNSClient = require('@alicloud/mns');

const [endpoint, accessKeyId, accessKeySecret, queueName, destination] = process.argv.slice(2);
const base = endpoint.replace(/\/+$/, '');
const pop = new RPCClient({ accessKeyId, accessKeySecret, endpoint: base, apiVersion: '2017-05-25' });
const agent = new http.Agent({ keepAlive: true });
fs.mkdirSync(destination, { recursive: true });

let mns = null;
let expire = 0;
async function client() {
  if (mns && expire - Date.now() > 2 * 60 * 1000) return mns;
  const token = await pop.request('QueryTokenForMnsQueue', { MessageType: 'SecretRecording', QueueName: queueName }, { method: 'POST' });
  const dto = token.MessageTokenDTO;
  mns = new MNSClient('1943695596114318', { region: 'cn-hangzhou', accessKeyId: dto.AccessKeyId, accessKeySecret: dto.AccessKeySecret, securityToken: dto.SecurityToken, endpoint: base });
  expire = Date.now() + 10 * 60 * 1000;
  return mns;
}

function beijing(ms) {
  const d = new Date(Number(ms) + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function download(url, file) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`HTTP ${res.statusCode}`)); return; }
      const out = fs.createWriteStream(file);
      res.pipe(out);
      out.on('finish', resolve);
      out.on('error', reject);
    }).on('error', reject);
  });
}

async function main() {
  const started = Date.now();
  let received = 0;
  let saved = 0;
  for (;;) {
    const c = await client();
    let message;
    try {
      message = (await c.receiveMessage(queueName, 1)).body;
    } catch (e) {
      if (e.name === 'MNSMessageNotExistError') break;
      throw e;
    }
    received++;
    const body = JSON.parse(Buffer.from(message.MessageBody, 'base64').toString('utf8'));
    const answer = await pop.request('QueryRecordFileDownloadUrl', { CallId: body.call_id, CallTime: beijing(body.call_time), PoolKey: body.pool_key }, { method: 'POST' });
    await download(answer.DownloadUrl, path.join(destination, `${body.call_id}.mp3`));
    saved++;
    await c.deleteMessage(queueName, message.ReceiptHandle);
  }
  console.log(JSON.stringify({ received, saved, seconds: (Date.now() - started) / 1000 }));
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
