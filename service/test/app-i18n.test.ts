import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dictionaries, dictionaryKeys, LANGUAGES, notice, NOTICE_LANGUAGES, UI_LANGUAGES } from '../app/src/i18n.js';

test('the worker app speaks English and Hindi completely, Bengali in part, and lists the 22 scheduled languages', () => {
  const tags = LANGUAGES.map((l) => l.tag);
  assert.equal(new Set(tags).size, tags.length);
  assert.equal(tags.filter((t) => t !== 'en').length, 22);
  assert.deepEqual(UI_LANGUAGES.map((l) => l.tag), ['en', 'hi', 'bn']);
  const missingHindi = dictionaryKeys.filter((k) => !dictionaries.hi?.[k]);
  assert.deepEqual(missingHindi, []);
  for (const [tag, dict] of Object.entries(dictionaries)) {
    const unknown = Object.keys(dict).filter((k) => !(dictionaryKeys as string[]).includes(k));
    assert.deepEqual(unknown, [], `${tag} has keys English does not`);
    // A placeholder in English must be in every translation of that key, or the number/month is lost.
    for (const k of dictionaryKeys) {
      const want = (dictionaries.en![k]!.match(/\{\w+\}/g) ?? []).sort();
      if (dict[k]) assert.deepEqual((dict[k]!.match(/\{\w+\}/g) ?? []).sort(), want, `${tag}.${k}`);
    }
  }
  assert.deepEqual(NOTICE_LANGUAGES.map((l) => l.tag), ['en', 'hi', 'bn']);
  assert.match(notice('hi'), /सहमति/);
  assert.match(notice('bn'), /সম্মতি/);
});
