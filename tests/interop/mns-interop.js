'use strict';
// Drains a receipt queue of the emulator with Alibaba Cloud's official clients: the Dybaseapi token comes from
// @alicloud/pop-core (QueryTokenForMnsQueue), the queue calls from @alicloud/mns 1.2.0 with that STS token. So the
// emulator's token call, MNS signature check and XML answers are proven against the reference implementations.
// Usage: node mns-interop.js <endpoint> <accessKeyId> <accessKeySecret> <queueName> [messageType]
// The queue should hold at least 4 messages. Prints one JSON line per call ({call, ok, ...}); exits 1 if any call
// did not give what it must.

const RPCClient = require('@alicloud/pop-core').RPCClient;
// The package exports the Client class itself (MNS.Client in its README is the same thing under another name).
const MNSClient = require('@alicloud/mns');

// The account in Alibaba's fixed receipt endpoint (1943695596114318.mns.cn-hangzhou.aliyuncs.com); with a custom
// endpoint the client only needs it to be present.
const ACCOUNT_ID = '1943695596114318';

async function main() {
  const [endpoint, accessKeyId, accessKeySecret, queueName, messageType = 'SecretRecording'] = process.argv.slice(2);
  if (!endpoint || !accessKeyId || !accessKeySecret || !queueName) {
    console.error('usage: node mns-interop.js <endpoint> <accessKeyId> <accessKeySecret> <queueName> [messageType]');
    process.exit(2);
  }
  let failed = 0;
  const report = (line) => {
    if (!line.ok) failed++;
    console.log(JSON.stringify(line));
  };
  // pop-core wants the endpoint without a trailing slash too (it appends "/?…").
  const base = endpoint.replace(/\/+$/, '');

  const pop = new RPCClient({ accessKeyId, accessKeySecret, endpoint: base, apiVersion: '2017-05-25' });
  const token = await pop.request('QueryTokenForMnsQueue', { MessageType: messageType, QueueName: queueName }, { method: 'POST' });
  const dto = token.MessageTokenDTO || {};
  report({
    call: 'QueryTokenForMnsQueue', ok: token.Code === 'OK' && /^STS\./.test(dto.AccessKeyId || '') && !!dto.SecurityToken,
    code: token.Code, accessKeyIdPrefix: (dto.AccessKeyId || '').slice(0, 4), expireTime: dto.ExpireTime,
  });

  // "endpoint" without a trailing slash: the client requests `${endpoint}${resource}` and signs the resource alone.
  const mns = new MNSClient(ACCOUNT_ID, {
    region: 'cn-hangzhou',
    accessKeyId: dto.AccessKeyId,
    accessKeySecret: dto.AccessKeySecret,
    securityToken: dto.SecurityToken,
    endpoint: base,
  });

  const body = (message) => JSON.parse(Buffer.from(message.MessageBody, 'base64').toString('utf8'));

  // 1. receiveMessage: one message, root <Message>.
  const one = await mns.receiveMessage(queueName, 1);
  const first = one.body;
  report({
    call: 'receiveMessage', ok: one.code === 200 && !!first.ReceiptHandle && first.DequeueCount === '1' && !!body(first).call_id,
    code: one.code, messageId: first.MessageId, dequeueCount: first.DequeueCount, callId: body(first).call_id,
    handleHasPlus: first.ReceiptHandle.includes('+'),
  });

  // 2. changeMessageVisibility: a new handle; the old one is stale from now on.
  const changed = await mns.changeMessageVisibility(queueName, first.ReceiptHandle, 60);
  const newHandle = changed.body.ReceiptHandle;
  report({
    call: 'changeMessageVisibility', ok: changed.code === 200 && !!newHandle && newHandle !== first.ReceiptHandle && Number(changed.body.NextVisibleTime) > Date.now(),
    code: changed.code, nextVisibleTime: changed.body.NextVisibleTime,
  });

  // 3. deleteMessage with the new handle (raw in the query, + / = unescaped, as the client sends it).
  const deleted = await mns.deleteMessage(queueName, newHandle);
  report({ call: 'deleteMessage', ok: deleted.code === 204, code: deleted.code });

  // 4. batchReceiveMessage: the rest, root <Messages>.
  const batch = await mns.batchReceiveMessage(queueName, 16, 1);
  const messages = Array.isArray(batch.body) ? batch.body : [batch.body];
  report({
    call: 'batchReceiveMessage', ok: batch.code === 200 && messages.length >= 3 && messages.every((m) => !!m.ReceiptHandle && !!m.MessageBodyMD5),
    code: batch.code, count: messages.length, callIds: messages.map((m) => body(m).call_id),
  });

  // 5. batchDeleteMessage with one stale handle among them: 404 and an <Errors> list of just that one.
  const partial = await mns.batchDeleteMessage(queueName, [messages[0].ReceiptHandle, first.ReceiptHandle]);
  const errors = Array.isArray(partial.body) ? partial.body : [];
  report({
    call: 'batchDeleteMessage(partial)', ok: partial.code === 404 && errors.length === 1 && errors[0].ErrorCode === 'MessageNotExist' && errors[0].ReceiptHandle === first.ReceiptHandle,
    code: partial.code, errors,
  });

  // 6. batchDeleteMessage with the rest: 204.
  const all = await mns.batchDeleteMessage(queueName, messages.slice(1).map((m) => m.ReceiptHandle));
  report({ call: 'batchDeleteMessage', ok: all.code === 204 && !all.body, code: all.code, count: messages.length - 1 });

  // 7. The queue is drained: MessageNotExist, which the client throws as MNSMessageNotExistError.
  try {
    const extra = await mns.receiveMessage(queueName);
    report({ call: 'receiveMessage(empty)', ok: false, code: extra.code });
  } catch (err) {
    report({ call: 'receiveMessage(empty)', ok: err.name === 'MNSMessageNotExistError', error: err.name });
  }

  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  // pop-core puts the gateway's Code in err.code (SignatureDoesNotMatch for a wrong secret, for instance).
  console.log(JSON.stringify({ call: 'unexpected', ok: false, error: err.name, code: err.code, message: err.message }));
  process.exit(1);
});
