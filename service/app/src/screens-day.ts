import { CATEGORIES, CONSENT_METHODS, isChild, type Category } from '@chehra/contract';
import { asServiceError, call, client, knownBeneficiaries, loadBeneficiaries, logout, signedIn, type Beneficiary } from './api.js';
import { alertBox, button, field, h, say, show } from './dom.js';
import { language, notice, NOTICE_LANGUAGES, NOTICE_VERSION, t, type Key } from './i18n.js';
import type { FallbackReason } from './screens-face.js';

/** One AWC's day: the list, registering, a beneficiary's page, consent. */

// Typed by the contract's categories: a category added there without a label fails the type check.
const categoryLabel = (c: Category) => t(`cat_${c}`);

export interface DayActions {
  capture(b: Beneficiary, mode: 'enrol' | 'verify'): void;
  fallback(b: Beneficiary, reason: FallbackReason, verificationId?: string): void;
}

function header(): HTMLElement {
  const user = signedIn()?.user;
  return h('header', { class: 'bar' }, h('span', { class: 'who' }, `${user?.name ?? ''} · ${user?.awc ?? ''}`), button('signOut', () => void logout(), { class: 'quiet', 'data-action': 'sign-out' }));
}

export async function listScreen(actions: DayActions, box = alertBox()): Promise<void> {
  const search = h('input', { type: 'search', name: 'search', placeholder: t('search'), autocomplete: 'off' });
  const category = h('select', { name: 'category' }, h('option', { value: '' }, t('allCategories')), ...CATEGORIES.map((c) => h('option', { value: c }, categoryLabel(c))));
  const list = h('ul', { class: 'people' });
  const render = () => {
    const q = search.value.trim().toLocaleLowerCase();
    const rows = knownBeneficiaries().filter((b) => (!q || b.name.toLocaleLowerCase().includes(q)) && (!category.value || b.category === category.value));
    list.replaceChildren(...(rows.length ? rows.map((b) => h('li', {}, h('button', { type: 'button', class: 'person', 'data-id': b.id, onclick: () => void beneficiaryScreen(b, actions) }, h('strong', {}, b.name), h('small', {}, categoryLabel(b.category)), b.rationGivenThisMonth ? h('span', { class: 'given', 'data-given': true }, `✓ ${t('givenThisMonth')}`) : null))) : [h('li', { class: 'empty' }, t('noBeneficiaries'))]));
  };
  search.addEventListener('input', render);
  category.addEventListener('change', render);
  show('list', header(), h('h1', {}, t('today')), box, h('div', { class: 'filters' }, search, category), button('register', () => registerScreen(actions), { class: 'primary' }), list);
  try {
    await loadBeneficiaries();
  } catch (err) {
    const e = asServiceError(err);
    if (e.status !== 401) say(box, e.offline ? t('offlineShort') : t('error'));
  }
  render();
}

function registerScreen(actions: DayActions): void {
  const name = h('input', { name: 'name', autocomplete: 'off', required: true, maxlength: '120', autofocus: true });
  const category = h('select', { name: 'category' }, ...CATEGORIES.map((c) => h('option', { value: c }, categoryLabel(c))));
  const birth = h('input', { name: 'birthDate', type: 'date' });
  const mobile = h('input', { name: 'beneficiaryMobile', type: 'tel', inputmode: 'numeric', autocomplete: 'off', maxlength: '13' });
  const gName = h('input', { name: 'guardianName', autocomplete: 'off' });
  const gRel = h('input', { name: 'guardianRelation', autocomplete: 'off' });
  const guardian = h('fieldset', { class: 'guardian', hidden: true }, field('guardianName', gName), field('guardianRelation', gRel));
  category.addEventListener('change', () => (guardian.hidden = !isChild(category.value as Category)));
  const box = alertBox();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const b = await client().createBeneficiary({
        name: name.value.trim(),
        category: category.value as Category,
        ...(birth.value ? { birthDate: birth.value } : {}),
        ...(mobile.value.trim() ? { mobile: mobile.value.trim() } : {}),
        ...(isChild(category.value as Category) ? { guardian: { name: gName.value.trim(), relation: gRel.value.trim() } } : {}),
      });
      consentScreen(b as Beneficiary, actions);
    } catch (err) {
      const se = asServiceError(err);
      if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('error'));
    }
  };
  show('register', header(), h('h1', {}, t('register')), h('form', { onsubmit: submit }, field('name', name), field('category', category), field('birthDate', birth), field('beneficiaryMobile', mobile), guardian, box, h('button', { type: 'submit', class: 'primary' }, t('next'))), button('back', () => void listScreen(actions), { class: 'quiet' }));
}

export function consentScreen(b: Beneficiary, actions: DayActions): void {
  let chosen = NOTICE_LANGUAGES.some((l) => l.tag === language()) ? language() : 'hi';
  const text = h('p', { class: 'notice', lang: chosen }, notice(chosen));
  const langs = h('select', { name: 'consentLanguage' }, ...NOTICE_LANGUAGES.map((l) => h('option', { value: l.tag, selected: l.tag === chosen }, l.name)));
  langs.addEventListener('change', () => {
    chosen = langs.value;
    text.lang = chosen;
    text.textContent = notice(chosen);
  });
  const method = h('select', { name: 'consentMethod' }, ...CONSENT_METHODS.map((m) => h('option', { value: m }, t(`method_${m}`))));
  const box = alertBox();
  const agree = async () => {
    try {
      await client().recordConsent(b.id, { purpose: 'face_verification', givenBy: isChild(b.category as Category) ? 'guardian' : 'self', noticeVersion: NOTICE_VERSION, language: chosen, method: method.value as (typeof CONSENT_METHODS)[number] });
      await beneficiaryScreen(b, actions);
    } catch (err) {
      const se = asServiceError(err);
      if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('error'));
    }
  };
  show('consent', header(), h('h1', {}, t('consentTitle')), h('h2', {}, b.name), field('consentLanguage', langs), text, field('consentMethod', method), box, button('consentGiven', () => void agree(), { class: 'primary' }), button('consentRefused', () => actions.fallback(b, 'refused_biometrics')), button('back', () => void listScreen(actions), { class: 'quiet' }));
}

export async function beneficiaryScreen(b: Beneficiary, actions: DayActions): Promise<void> {
  const box = alertBox();
  const status = h('p', { class: 'status' });
  const buttons = h('div', { class: 'actions' });
  show('beneficiary', header(), h('h1', {}, b.name), h('p', {}, categoryLabel(b.category)), status, box, buttons, button('back', () => void listScreen(actions), { class: 'quiet' }));
  try {
    const detail = await call<{ consentActive: boolean; templates: unknown[] }>('GET', `/v1/beneficiaries/${encodeURIComponent(b.id)}`);
    const enrolled = detail.templates.length > 0;
    status.textContent = enrolled ? t('enrolledMark') : t('notEnrolledMark');
    buttons.replaceChildren(
      ...(!detail.consentActive ? [button('consentTitle', () => consentScreen(b, actions), { class: 'primary' })] : []),
      ...(detail.consentActive && !enrolled ? [button('enrol', () => actions.capture(b, 'enrol'), { class: 'primary' })] : []),
      ...(detail.consentActive && enrolled ? [button('verify', () => actions.capture(b, 'verify'), { class: 'primary' })] : []),
      button('other', () => actions.fallback(b, !detail.consentActive ? 'no_consent' : enrolled ? 'camera_fault' : 'not_enrolled')),
    );
  } catch (err) {
    const se = asServiceError(err);
    if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('error'));
    buttons.replaceChildren(button('other', () => actions.fallback(b, 'camera_fault')));
  }
}
