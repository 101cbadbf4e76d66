// Bench peer 3: Alibaba's official SDK (@alicloud/pop-core) with a promise pool at the same concurrency as
// Dypls, downloading with Node's own HTTP client. Usage:
//   node popcore-bench-peer.js <endpoint> <accessKeyId> <secret> <csv> <destination> <concurrency>
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const https = require('https');
const RPCClient = require('@alicloud/pop-core').RPCClient;

const [endpoint, accessKeyId, accessKeySecret, csvPath, destination, concurrencyText] = process.argv.slice(2);
const concurrency = parseInt(concurrencyText || '8', 10);
const client = new RPCClient({ accessKeyId, accessKeySecret, endpoint: endpoint.replace(/\/$/, ''), apiVersion: '2017-05-25' });
const agent = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

// The bench CSV is plain: no quoted commas.
const lines = fs.readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter(l => l.length > 0);
const header = lines[0].split(',').map(h => h.replace(/"/g, ''));
const rows = lines.slice(1).map(l => {
  const cells = l.split(',').map(c => c.replace(/^"|"$/g, ''));
  return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
});
fs.mkdirSync(destination, { recursive: true });

function download(url, file) {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    lib.get(url, { agent: url.startsWith('https:') ? agent.https : agent.http }, res => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`HTTP ${res.statusCode}`)); return; }
      const out = fs.createWriteStream(file);
      res.pipe(out);
      out.on('finish', resolve);
      out.on('error', reject);
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function worker(queue) {
  for (let row = queue.shift(); row; row = queue.shift()) {
    const answer = await client.request('QueryRecordFileDownloadUrl',
      { CallId: row.CallId, CallTime: row.CallTime, PoolKey: row.PoolKey }, { method: 'POST', timeout: 10000 });
    await download(answer.DownloadUrl, path.join(destination, row.CallId + '.mp3'));
  }
}

(async () => {
  const queue = rows.slice();
  const started = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, () => worker(queue)));
  if (process.env.DYPLS_BENCH_REPORT === '1') {
    // First row to last result, as the Dypls side is measured; CPU of the whole node process (start-up included).
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage();
    const span = process.cpuUsage(cpuAtStart);
    console.log('BENCH:' + JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, spanCpuSeconds: (span.user + span.system) / 1e6 }));
  }
})().catch(e => { console.error(e.message); process.exit(1); });
