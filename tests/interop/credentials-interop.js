'use strict';
// Alibaba Cloud's official credentials library (@alicloud/credentials) obtains STS sessions from the Dypls emulator,
// then the official RPC client (@alicloud/pop-core) calls Dyplsapi on the emulator with them. If the emulator's STS
// and the official library disagree (signature, request or answer shape), these calls fail.
//
// Usage:
//   node credentials-interop.js cli-profile <dyplsapi endpoint> <profile name>
//       RamRoleArn through the CLI profile reader (HOME/.aliyun/config.json; sts_endpoint = host:port of the HTTPS emulator)
//   node credentials-interop.js oidc <dyplsapi endpoint> <sts host:port> <role arn> <oidc provider arn> <token file>
//       AssumeRoleWithOIDC through OIDCRoleArnCredentialsProvider's STS-endpoint option
// Node must trust the emulator's certificate: NODE_EXTRA_CA_CERTS=<the PEM the emulator wrote>.
// Prints one JSON line per call, with the AccessKeyId's prefix only (never a secret or token); exits 1 on failure.

const credentials = require('@alicloud/credentials');
const RPCClient = require('@alicloud/pop-core').RPCClient;

async function main() {
  const [mode, endpoint, ...rest] = process.argv.slice(2);
  let provider;
  if (mode === 'cli-profile') {
    provider = credentials.CLIProfileCredentialsProvider.builder().withProfileName(rest[0]).build();
  } else if (mode === 'oidc') {
    const [stsEndpoint, roleArn, providerArn, tokenFile] = rest;
    provider = credentials.OIDCRoleArnCredentialsProvider.builder()
      .withStsEndpoint(stsEndpoint)
      .withRoleArn(roleArn)
      .withOIDCProviderArn(providerArn)
      .withOIDCTokenFilePath(tokenFile)
      .withRoleSessionName('node-interop')
      .build();
  } else {
    console.error('usage: see the top of credentials-interop.js');
    process.exit(2);
  }

  const cred = await provider.getCredentials();
  const line = {
    mode,
    providerName: cred.providerName,
    accessKeyIdPrefix: cred.accessKeyId.slice(0, 4),
    hasSecurityToken: typeof cred.securityToken === 'string' && cred.securityToken.length > 0,
  };
  const client = new RPCClient({
    accessKeyId: cred.accessKeyId,
    accessKeySecret: cred.accessKeySecret,
    securityToken: cred.securityToken,
    endpoint,
    apiVersion: '2017-05-25',
  });
  try {
    const res = await client.request('QueryRecordFileDownloadUrl',
      { CallId: 'node-' + mode, CallTime: chinaTimeNow(), PoolKey: 'FC123456' }, { method: 'POST' });
    line.Code = res.Code;
    line.hasDownloadUrl = typeof res.DownloadUrl === 'string' && res.DownloadUrl.length > 0;
  } catch (err) {
    line.Code = err.code || 'ERROR';
  }
  console.log(JSON.stringify(line));
  process.exit(line.Code === 'OK' && line.hasDownloadUrl ? 0 : 1);
}

// CallTime is China Standard Time (UTC+8), yyyy-MM-dd HH:mm:ss.
function chinaTimeNow() {
  const d = new Date(Date.now() - 3600 * 1000 + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

main().catch((err) => {
  // The library's own messages can quote an STS answer; print the first line only (codes, not keys).
  console.error(String(err && err.message || err).split('\n')[0].slice(0, 300));
  process.exit(1);
});
