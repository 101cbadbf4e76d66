'use strict';
// Calls the Dyplsapi emulator with Alibaba Cloud's official RPC client (@alicloud/pop-core), so the
// emulator's signature check is proven against the reference implementation, not only against our signer.
// Usage: node popcore-interop.js <endpoint> <accessKeyId> <accessKeySecret> [securityToken]
// Prints one JSON line per call; exits 1 if any call fails or lacks a DownloadUrl.

const RPCClient = require('@alicloud/pop-core').RPCClient;

async function main() {
  const [endpoint, accessKeyId, accessKeySecret, securityToken] = process.argv.slice(2);
  if (!endpoint || !accessKeyId || !accessKeySecret) {
    console.error('usage: node popcore-interop.js <endpoint> <accessKeyId> <accessKeySecret> [securityToken]');
    process.exit(2);
  }
  const client = new RPCClient({
    accessKeyId,
    accessKeySecret,
    securityToken: securityToken || undefined,
    endpoint,
    apiVersion: '2017-05-25',
  });

  // Characters that encoders disagree on: space, '*', '~', '+', '/', quotes, non-ASCII, '!', '(', ')'.
  const callIds = ['plain123', 'a b', 'star*', 'tilde~', 'plus+', '/x/../y', '"q"', "it's", '中文呼叫', 'mix !()*~ +/中'];
  const callTime = chinaTimeNow();
  let failed = 0;
  for (const callId of callIds) {
    for (const method of ['default', 'POST']) {
      const opts = method === 'POST' ? { method: 'POST' } : {};
      const line = { callId, method };
      try {
        const res = await client.request('QueryRecordFileDownloadUrl',
          { CallId: callId, CallTime: callTime, PoolKey: 'FC123456' }, opts);
        line.Code = res.Code;
        line.RequestId = res.RequestId;
        line.hasDownloadUrl = typeof res.DownloadUrl === 'string' && res.DownloadUrl.length > 0;
        if (res.Code !== 'OK' || !line.hasDownloadUrl) {
          failed++;
        }
      } catch (err) {
        failed++;
        line.Code = err.code || 'ERROR';
        line.Message = (err.data && err.data.Message) || err.message;
      }
      console.log(JSON.stringify(line));
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

// CallTime is China Standard Time (UTC+8), yyyy-MM-dd HH:mm:ss.
function chinaTimeNow() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
