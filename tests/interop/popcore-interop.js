'use strict';
// Calls the Dyplsapi emulator with Alibaba Cloud's official RPC client (@alicloud/pop-core), so the
// emulator's signature check is proven against the reference implementation, not only against our signer.
// Usage: node popcore-interop.js <endpoint> <accessKeyId> <accessKeySecret> [securityToken]
// Prints one JSON line per call; exits 1 if any call does not get the Code it expects (OK with a DownloadUrl, or
// isv.INVALID_PARAMETERS for an empty value).

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

  // Characters that encoders disagree on: space, '*', '~', '+', '/', quotes, non-ASCII, '!', '(', ')', the query
  // delimiters '% & = # ;' and characters outside the BMP (emoji, a UTF-16 surrogate pair).
  const callIds = ['plain123', 'a b', 'star*', 'tilde~', 'plus+', '/x/../y', '"q"', "it's", '中文呼叫', 'mix !()*~ +/中',
    '100%', 'a&b', 'k=v', 'hash#tag', 'semi;colon', '%20&=#;%', '📞call', 'mix 😀&=#;%中'];
  const callTime = chinaTimeNow();
  // Each call: its parameters and the Code the emulator must answer once the signature verifies. Empty values are
  // signed and sent like any other (the product then refuses them with isv.INVALID_PARAMETERS, never the gateway).
  const calls = callIds.map((callId) => ({ params: { CallId: callId, CallTime: callTime, PoolKey: 'FC123456' }, expect: 'OK' }));
  calls.push({ params: { CallId: '', CallTime: callTime, PoolKey: 'FC123456' }, expect: 'isv.INVALID_PARAMETERS' });
  calls.push({ params: { CallId: 'empty-pool', CallTime: callTime, PoolKey: '' }, expect: 'isv.INVALID_PARAMETERS' });
  calls.push({ params: { CallId: 'empty-time', CallTime: '', PoolKey: 'FC123456' }, expect: 'isv.INVALID_PARAMETERS' });
  let failed = 0;
  for (const call of calls) {
    for (const method of ['default', 'POST']) {
      const opts = method === 'POST' ? { method: 'POST' } : {};
      const line = { callId: call.params.CallId, method, expect: call.expect };
      try {
        const res = await client.request('QueryRecordFileDownloadUrl', call.params, opts);
        line.Code = res.Code;
        line.RequestId = res.RequestId;
        line.hasDownloadUrl = typeof res.DownloadUrl === 'string' && res.DownloadUrl.length > 0;
        if (res.Code !== call.expect || line.hasDownloadUrl !== (call.expect === 'OK')) {
          failed++;
        }
      } catch (err) {
        // pop-core throws for any Code but OK: an expected product answer still proves the signature verified.
        line.Code = err.code || 'ERROR';
        line.Message = (err.data && err.data.Message) || err.message;
        if (line.Code !== call.expect) {
          failed++;
        }
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
