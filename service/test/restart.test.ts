import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromBase64, newRequestNonce, sealEnvelope } from '@chehra/sdk/envelope';
import { loadOrCreateSigningKey } from '../src/auth/signing-key.js';
import { mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { loadModelPolicy } from '../src/domain/models.js';
import { AUDITOR, CONSENT, syntheticFace, WORKER } from './harness.js';
import { startService } from '../../testkit/service-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'chehra-restart-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const model = [...loadModelPolicy(loadConfig({}).modelsManifest).embedders.values()][0]!;

async function api(url: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function probe(url: string, seed: number, n: number) {
  const keys = await api(url, 'GET', '/v1/keys');
  const current = keys.body.keys.find((k: { current: boolean }) => k.current);
  return sealEnvelope(
    { embedding: syntheticFace(seed, model.dim, 0.3, n), modelId: model.id, quality: 0.9, liveness: 0.99, capturedAt: Date.now(), requestNonce: newRequestNonce(), worker: WORKER.sub },
    { kid: current.kid, publicKey: fromBase64(current.publicKey)! },
  );
}

test('first start generates keys (0600) and says where; a restart on the same data directory keeps everything', async () => {
  const first = await startService({ dataDir });
  let beneficiaryId: string;
  let kid: string;
  let entries: number;
  try {
    assert.match(first.output(), /generated keys/);
    assert.match(first.output(), new RegExp(join(dataDir, 'keys').replace(/[/.]/g, '\\$&')));
    assert.match(first.output(), /npm run users -- add/);
    for (const f of ['jwt-signing-key.json', 'box-keys.json', 'audit-checkpoint-key.json', 'mpin-pepper.json', 'metrics-token']) assert.equal(statSync(join(dataDir, 'keys', f)).mode & 0o777, 0o600, f);

    const { key } = await loadOrCreateSigningKey(join(dataDir, 'keys'));
    const token = await mintToken(key, WORKER, 600);
    const reg = await api(first.base, 'POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Kamla' });
    beneficiaryId = reg.body.id;
    assert.equal((await api(first.base, 'POST', `/v1/beneficiaries/${beneficiaryId}/consents`, token, CONSENT)).status, 201);
    assert.equal((await api(first.base, 'POST', `/v1/beneficiaries/${beneficiaryId}/templates`, token, { envelope: await probe(first.base, 81, 0) })).status, 201);
    const v = await api(first.base, 'POST', '/v1/verifications', token, { beneficiaryId, envelope: await probe(first.base, 81, 1) });
    assert.equal(v.body.match, true);
    kid = (await api(first.base, 'GET', '/v1/keys')).body.current;
    entries = (await api(first.base, 'GET', '/v1/audit/verify', await mintToken(key, AUDITOR, 600))).body.entries;
  } finally {
    assert.equal(await first.stop(), 0, 'stops cleanly on SIGTERM');
  }

  const second = await startService({ dataDir });
  try {
    assert.doesNotMatch(second.output(), /generated keys/);
    const { key } = await loadOrCreateSigningKey(join(dataDir, 'keys'));
    const token = await mintToken(key, WORKER, 600);
    assert.equal((await api(second.base, 'GET', '/v1/keys')).body.current, kid, 'same envelope key');
    const b = await api(second.base, 'GET', `/v1/beneficiaries/${beneficiaryId}`, token);
    assert.equal(b.status, 200);
    assert.equal(b.body.consentActive, true);
    assert.equal(b.body.templates.length, 1);
    const again = await api(second.base, 'POST', '/v1/verifications', token, { beneficiaryId, envelope: await probe(second.base, 81, 2) });
    assert.equal(again.body.code, 'already_distributed', "the month's distribution survived the restart");
    const chain = (await api(second.base, 'GET', '/v1/audit/verify', await mintToken(key, AUDITOR, 600))).body;
    assert.equal(chain.ok, true);
    assert.equal(chain.entries, entries + 1);
    // The first process signed its head as it stopped, with the audit key the second one loaded.
    assert.equal(chain.storedCheckpoints.count, 1);
    assert.equal(chain.storedCheckpoints.latestSeq, entries);
    assert.deepEqual([chain.storedCheckpoints.invalidSeqs, chain.storedCheckpoints.otherKeySeqs], [[], []]);
  } finally {
    await second.stop();
  }
});
