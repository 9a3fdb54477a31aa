import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DevOutbox } from '../src/sms/sender.js';

test('the development outbox keeps only the newest messages', async () => {
  const outbox = new DevOutbox(3);
  for (let i = 0; i < 5; i++) await outbox.send(`+9100000000${i}`, `message ${i}`);
  assert.deepEqual(outbox.messages.map((m) => m.text), ['message 2', 'message 3', 'message 4']);
  assert.equal(outbox.latestTo('+91000000004')?.text, 'message 4');
  assert.equal(outbox.latestTo('+91000000000'), undefined);
});
