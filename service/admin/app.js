// The district admin console: sign in with mobile + MPIN, review fallback cases, see exclusion
// metrics, manage users (users.js). Views follow the URL hash (#queue, #case/<id>, #metrics, #users)
// so Back works and a case can be linked. Supervisors and state admins see the Users page only.
// Everything the API returns is put on the page as text (textContent), never as HTML.

import { api, ApiError, clearToken, deviceId, download, loadToken, logout, query, setUnauthorizedHandler, useSession } from './api.js';
import { loadUsers, renderUsers, resetUsers } from './users.js';
import { fallbackRateChart } from './chart.js';
import { onBulkDecision, selectWholePage, updateBulkBar } from './queue-bulk.js';
import { weeklyRateChart } from './weekly-chart.js';
import { duplicatesView } from './duplicates.js';
import { CONSOLE_ROLES, FALLBACK_REASONS, REVIEW_STATUSES } from './contract.js';
import { ERROR_HINTS, formatDate, formatDateTime, formatPercent, getLang, setLang, t, translate } from './i18n.js';

const PAGE = 25;
const NO_FILTERS = Object.freeze({ status: 'pending', awc: '', reason: '', minAgeDays: '', q: '', from: '', to: '' });
const LANG_KEY = 'chehra.admin.lang';
const USER_KEY = 'chehra.admin.user';
// The enumerations (reasons, statuses) and who may use the console (CONSOLE_ROLES: a worker signs
// in on the app, an auditor reads the audit API) come from /admin/contract.js, which the service
// makes from @chehra/contract at start: the console keeps no copy of a list.

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * A small element builder; children are text or nodes, never HTML strings.
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** @typedef {{id: string, name: string, role: string, state: string | null, district?: string, awcs?: string[]}} SignedInUser */

const state = {
  /** The signed-in account as sign-in answered it (`SignedIn.user`): the console reads no token. @type {SignedInUser | null} */
  user: null,
  /** The one-time MPIN typed at sign-in, in memory until it is changed. */
  pendingMpin: '',
  filters: { ...NO_FILTERS },
  offset: 0,
  /** @type {{total: number, items: any[]} | null} */
  queue: null,
  /** @type {any} */
  caseDetail: null,
  /** @type {any} */
  metrics: null,
  /** @type {any} */
  weekly: null,
  period: { from: '', to: '' },
};

// ---- messages ---------------------------------------------------------------------------------

/** @param {string} text */
function announce(text) {
  $('status').textContent = text;
}

function clearAlert() {
  const a = $('alert');
  a.hidden = true;
  a.textContent = '';
}

/** The API's message, with a localised hint for codes we know. @param {unknown} err */
function describe(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 0) return t('error.network');
  const hint = /** @type {Record<string, Record<string, string>>} */ (ERROR_HINTS)[getLang()]?.[err.code];
  const message = hint ? `${hint} (${err.message})` : err.message;
  if (err.code === 'role_forbidden') return t('error.role', { message });
  if (err.status === 403) return t('error.forbidden', { message });
  return t('error.generic', { message });
}

/** @param {unknown} err */
function showError(err) {
  if (err instanceof ApiError && err.status === 401) return; // the sign-in page says it
  const a = $('alert');
  a.textContent = describe(err);
  a.hidden = false;
}

/** The duplicates queue (duplicates.js); made in start(), once the page's elements exist. */
let duplicates = /** @type {ReturnType<typeof duplicatesView> | null} */ (null);

// ---- sign-in ----------------------------------------------------------------------------------

function showSignin(/** @type {string} */ message = '') {
  $('console').hidden = true;
  $('mpin-change').hidden = true;
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('who').hidden = true;
  const e = $('signin-error');
  e.textContent = message;
  e.hidden = !message;
  for (const id of ['mpin', 'mpin-new', 'mpin-again']) /** @type {HTMLInputElement} */ ($(id)).value = '';
  announce('');
  clearAlert();
  $(/** @type {HTMLInputElement} */ ($('mobile')).value ? 'mpin' : 'mobile').focus();
}

/** Forgets everything of the signed-in admin: token, data, filters, rendered rows. */
function resetSession() {
  clearToken();
  try {
    sessionStorage.removeItem(USER_KEY);
  } catch {
    // nothing stored
  }
  state.user = null;
  state.pendingMpin = '';
  resetUsers();
  state.queue = state.caseDetail = state.metrics = null;
  state.filters = { ...NO_FILTERS };
  state.offset = 0;
  state.period = { from: '', to: '' };
  state.weekly = null;
  for (const id of ['filters', 'period', 'decision']) /** @type {HTMLFormElement} */ ($(id)).reset();
  for (const id of ['queue-table', 'metrics-table']) for (const part of $(id).querySelectorAll('tbody, tfoot')) part.replaceChildren();
  for (const id of ['queue-count', 'page', 'metrics-summary']) $(id).textContent = '';
  $('case-body').replaceChildren();
  $('chart').replaceChildren();
  $('weekly-chart').replaceChildren();
  /** @type {HTMLFormElement} */ ($('bulk')).reset();
  $('bulk').hidden = true;
  duplicates?.reset();
}

setUnauthorizedHandler((err) => {
  resetSession();
  showSignin(`${t('signin.expired')} (${err.message})`);
});

/** @param {HTMLElement} errorEl @param {HTMLInputElement} field @param {string} msg */
function fieldError(errorEl, field, msg) {
  errorEl.textContent = msg;
  errorEl.hidden = false;
  field.setAttribute('aria-invalid', 'true');
  field.focus();
}

/** @param {SubmitEvent} ev */
async function onSignin(ev) {
  ev.preventDefault();
  const mobileField = /** @type {HTMLInputElement} */ ($('mobile'));
  const mpinField = /** @type {HTMLInputElement} */ ($('mpin'));
  const mobile = mobileField.value.replace(/[\s-]/g, '');
  const mpin = mpinField.value;
  const e = $('signin-error');
  for (const f of [mobileField, mpinField]) f.removeAttribute('aria-invalid');
  if (!/^(\+91)?[6-9][0-9]{9}$/.test(mobile)) return fieldError(e, mobileField, t('signin.badMobile'));
  if (!/^[0-9]{4,6}$/.test(mpin)) return fieldError(e, mpinField, t('signin.badMpin'));
  let signedIn;
  try {
    signedIn = await api('/v1/auth/login', { method: 'POST', body: { mobile, mpin, deviceId: deviceId() } });
  } catch (err) {
    mpinField.value = '';
    return fieldError(e, mpinField, describe(err));
  }
  mpinField.value = '';
  e.hidden = true;
  useSession(signedIn);
  if (!CONSOLE_ROLES.includes(signedIn.user.role)) {
    await logout();
    return fieldError(e, mobileField, t('signin.notForRole'));
  }
  if (signedIn.mustChangeMpin) {
    state.pendingMpin = mpin;
    $('signin').hidden = true;
    $('mpin-change').hidden = false;
    $('mpin-error').hidden = true;
    $('mpin-new').focus();
    return;
  }
  enterConsole(signedIn.user);
}

/** First sign-in with a one-time MPIN: she sets her own before anything else. @param {SubmitEvent} ev */
async function onMpinChange(ev) {
  ev.preventDefault();
  const field = /** @type {HTMLInputElement} */ ($('mpin-new'));
  const again = /** @type {HTMLInputElement} */ ($('mpin-again'));
  const e = $('mpin-error');
  if (!/^[0-9]{4,6}$/.test(field.value)) return fieldError(e, field, t('signin.badMpin'));
  if (field.value !== again.value) return fieldError(e, again, t('mpin.mismatch'));
  try {
    const signedIn = await api('/v1/auth/mpin', { method: 'POST', body: { currentMpin: state.pendingMpin, newMpin: field.value } });
    useSession(signedIn);
    state.pendingMpin = '';
    field.value = again.value = '';
    $('mpin-change').hidden = true;
    enterConsole(signedIn.user);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      resetSession();
      return showSignin(describe(err));
    }
    field.value = again.value = '';
    fieldError(e, field, describe(err));
  }
}

/** @param {SignedInUser} user */
function enterConsole(user) {
  state.user = user;
  try {
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  } catch {
    // memory only
  }
  $('signin').hidden = true;
  $('console').hidden = false;
  $('signout').hidden = false;
  const admin = user.role === 'district_admin';
  $('nav-queue').hidden = $('nav-metrics').hidden = $('nav-duplicates').hidden = !admin;
  renderWho();
  if (!location.hash || location.hash === '#') history.replaceState(null, '', admin ? '#queue' : '#users');
  route(true);
}

function renderWho() {
  const u = state.user;
  if (!u) return;
  const who = $('who');
  who.textContent = t('who', { sub: u.name, district: [u.district, u.state].filter(Boolean).join(' / ') || '?' });
  who.hidden = false;
}

async function signOut() {
  await logout();
  resetSession();
  history.replaceState(null, '', '#');
  showSignin();
  announce(t('signin.signedOut'));
}

// ---- routing ----------------------------------------------------------------------------------

/** @param {boolean} [focus] */
function route(focus = true) {
  if (!state.user) return;
  clearAlert();
  const hash = location.hash.slice(1);
  const caseMatch = /^case\/([0-9a-f-]{36})$/i.exec(hash);
  const admin = state.user?.role === 'district_admin';
  const view = !admin || hash === 'users' ? 'users' : caseMatch ? 'case' : hash === 'metrics' || hash === 'duplicates' ? hash : 'queue';
  for (const id of ['queue', 'case', 'metrics', 'users', 'duplicates']) $(id).hidden = id !== view;
  const current = view === 'metrics' || view === 'users' || view === 'duplicates' ? `nav-${view}` : 'nav-queue';
  for (const id of ['nav-queue', 'nav-metrics', 'nav-users', 'nav-duplicates']) {
    if (id === current) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  if (view === 'users') void loadUsers(/** @type {SignedInUser} */ (state.user), { describe, announce, showError, h }, focus);
  else if (view === 'queue') void loadQueue(focus);
  else if (view === 'case' && caseMatch?.[1]) void loadCase(caseMatch[1], focus);
  else if (view === 'duplicates') void duplicates?.load(focus);
  else void loadMetrics(focus);
}

// ---- queue ------------------------------------------------------------------------------------

/** The status filter's choices, the contract's review statuses then "any"; labelled by translate(). */
function fillStatusOptions() {
  const option = (/** @type {string} */ value, /** @type {string} */ key) => h('option', { value, 'data-i18n': key });
  $('f-status').replaceChildren(...REVIEW_STATUSES.map((s) => option(s, `status.${s}`)), option('', 'queue.status.any'));
}

function fillReasonOptions() {
  const select = /** @type {HTMLSelectElement} */ ($('f-reason'));
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '', text: t('queue.reason.any') }), ...FALLBACK_REASONS.map((r) => h('option', { value: r, text: t(`reason.${r}`) })));
  select.value = chosen;
}

/** The queue's filters as the API's query parameters. @param {typeof NO_FILTERS} f */
const queueParams = (f) => ({ status: f.status, awc: f.awc, reason: f.reason, minAgeDays: f.minAgeDays, q: f.q, from: f.from, to: f.to });

/** @param {boolean} focus */
async function loadQueue(focus) {
  const section = $('queue');
  section.setAttribute('aria-busy', 'true');
  announce(t('loading'));
  try {
    const f = state.filters;
    state.queue = await api(`/v1/review/cases${query({ ...queueParams(f), limit: PAGE, offset: state.offset })}`);
    renderQueue();
    announce('');
  } catch (err) {
    announce('');
    showError(err);
  } finally {
    section.removeAttribute('aria-busy');
  }
  if (focus && !section.hidden) $('queue-h').focus();
}

/** @param {number} n */
const countText = (n) => (n === 1 ? t('queue.count.one') : t('queue.count', { total: n }));

/** @param {string} iso */
const ageDays = (iso) => Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 86_400_000));

function renderQueue() {
  const q = state.queue;
  if (!q) return;
  const tbody = /** @type {HTMLTableSectionElement} */ ($('queue-table').querySelector('tbody'));
  $('queue-count').textContent = countText(q.total);
  if (q.items.length === 0) {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: '9', class: 'empty', text: t('queue.empty') })));
  } else {
    tbody.replaceChildren(
      ...q.items.map((c) =>
        h(
          'tr',
          { 'data-case': c.id, class: c.reviewStatus },
          h('td', { class: 'select' }, c.reviewStatus === 'pending' ? h('input', { type: 'checkbox', class: 'pick', value: c.id, 'aria-label': t('queue.selectCase', { name: c.beneficiaryName }) }) : ''),
          h('td', { text: formatDateTime(c.openedAt) }),
          h('td', { class: 'num', text: String(ageDays(c.openedAt)) }),
          h('td', {}, h('span', { class: 'name', text: c.beneficiaryName }), h('br'), h('small', { text: t(`category.${c.beneficiaryCategory}`) })),
          h('td', { text: c.awc }),
          h('td', { text: t(`reason.${c.reason}`) }),
          h('td', { text: c.method ? t(`method.${c.method}`) : t('case.notDelivered') }),
          h('td', {}, h('span', { class: `badge ${c.reviewStatus}`, text: t(`status.${c.reviewStatus}`) })),
          h('td', {}, h('a', { class: 'button small', href: `#case/${c.id}`, 'aria-label': t('queue.openCase', { name: c.beneficiaryName }), text: t('queue.open') })),
        ),
      ),
    );
  }
  const from = q.total === 0 ? 0 : state.offset + 1;
  const to = Math.min(state.offset + q.items.length, q.total);
  $('page').textContent = t('queue.page', { from, to, total: q.total });
  /** @type {HTMLButtonElement} */ ($('prev')).disabled = state.offset === 0;
  /** @type {HTMLButtonElement} */ ($('next')).disabled = state.offset + PAGE >= q.total;
  updateBulkBar();
}

/** @param {SubmitEvent} ev */
function onFilter(ev) {
  ev.preventDefault();
  const form = /** @type {HTMLFormElement} */ (ev.currentTarget);
  const data = new FormData(form);
  const age = String(data.get('minAgeDays') ?? '').trim();
  const ageInput = /** @type {HTMLInputElement} */ ($('f-age'));
  if (age && !ageInput.checkValidity()) {
    showError(new ApiError(400, 'invalid_request', ageInput.validationMessage));
    ageInput.focus();
    return;
  }
  const text = (/** @type {string} */ k) => String(data.get(k) ?? '').trim();
  state.filters = { status: text('status'), awc: text('awc'), reason: text('reason'), minAgeDays: age, q: text('q'), from: text('from'), to: text('to') };
  state.offset = 0;
  clearAlert();
  void loadQueue(false);
}

function onResetFilters() {
  if (!state.user) return; // a reset on sign-out, not a person clearing the filters
  // After the browser has reset the fields to their defaults.
  setTimeout(() => {
    state.filters = { ...NO_FILTERS };
    state.offset = 0;
    void loadQueue(false);
  });
}

// ---- one case ---------------------------------------------------------------------------------

/** @param {string} id @param {boolean} focus */
async function loadCase(id, focus) {
  const section = $('case');
  section.setAttribute('aria-busy', 'true');
  $('case-h').textContent = t('loading');
  $('case-body').replaceChildren();
  $('decision').hidden = true;
  $('decision-done').hidden = true;
  $('next-wrap').hidden = true;
  $('next-none').hidden = true;
  announce(t('loading'));
  try {
    state.caseDetail = await api(`/v1/review/cases/${id}`);
    renderCase();
    announce('');
  } catch (err) {
    state.caseDetail = null;
    $('case-h').textContent = t('case.unavailable');
    announce('');
    showError(err);
  } finally {
    section.removeAttribute('aria-busy');
  }
  if (focus) $('case-h').focus();
}

/**
 * A titled group of term/description pairs.
 * @param {string} title
 * @param {[string, string | Node][]} rows
 * @param {string} [cls]
 */
function group(title, rows, cls = '') {
  return h(
    'section',
    { class: `card ${cls}` },
    h('h3', { text: title }),
    h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v === '' ? t('case.none') : v)])),
  );
}

/** A person by name with her id after it, or the id alone when she has no account (a development token). @param {Record<string, string> | undefined} people @param {string} id */
const person = (people, id) => (people?.[id] && people[id] !== id ? `${people[id]} (${id})` : id);

function renderCase() {
  const d = state.caseDetail;
  if (!d) return;
  const c = d.case;
  const b = d.beneficiary;
  const none = t('case.none');
  $('case-h').textContent = t('case.heading', { name: b.name });

  const who = group(t('case.who'), [
    [t('case.name'), b.name],
    [t('case.category'), t(`category.${b.category}`)],
    [t('case.awc'), b.awc],
    [t('case.mobile'), b.mobileMasked ?? none],
    [t('case.guardian'), b.guardian ? `${b.guardian.name} (${b.guardian.relation})` : none],
  ]);
  const why = group(t('case.why'), [
    [t('case.openedAt'), formatDateTime(c.openedAt)],
    [t('case.openedBy'), person(d.people, c.openedBy)],
    [t('case.reason'), t(`reason.${c.reason}`)],
    [t('case.month'), c.month ? c.month.slice(0, 7) : none],
    [t('case.workerNote'), h('span', { class: 'note', text: c.workerNote || none })],
  ]);
  const v = d.verification;
  const face = v
    ? group(t('case.verification'), [
        [t('case.attemptAt'), formatDateTime(v.createdAt)],
        [t('case.outcome'), t(`outcome.${v.outcome}`)],
        [t('case.scoreLabel'), v.score === null || v.score === undefined ? none : t('case.score', { score: Number(v.score).toFixed(3), threshold: Number(v.threshold).toFixed(3) })],
      ])
    : h('section', { class: 'card' }, h('h3', { text: t('case.verification') }), h('p', { text: t('case.verification.none') }));
  const dist = d.distribution;
  const deliveryRows = /** @type {[string, string | Node][]} */ ([
    [t('case.method'), c.method ? t(`method.${c.method}`) : t('case.notDelivered')],
    [t('case.completedAt'), formatDateTime(c.completedAt)],
    [t('case.otp'), t('case.otp.value', { sent: d.otp.sent, verified: d.otp.verified ? t('yes') : t('no') })],
  ]);
  // What the SMS gateway says of each OTP message, asked when the case was fetched.
  if (d.otp.messages?.length) {
    const items = d.otp.messages.map((/** @type {{sentAt: string, delivery: string}} */ m) => h('li', { 'data-delivery': m.delivery, text: t('case.smsDelivery.item', { time: formatDateTime(m.sentAt), status: t(`sms.${m.delivery}`) }) }));
    deliveryRows.push([t('case.smsDelivery'), h('ul', { class: 'sms-delivery' }, ...items)]);
  }
  if (c.method === 'attestation' || c.attestedBy) {
    deliveryRows.push(
      [t('case.attestedBy'), c.attestedBy ? person(d.people, c.attestedBy) : none],
      [t('case.attestationReason'), c.attestationReason ? t(`attest.${c.attestationReason}`) : none],
      [t('case.attestationNote'), h('span', { class: 'note', text: c.attestationNote || none })],
    );
  }
  if (dist) {
    deliveryRows.push([t('case.recovery'), dist.recoveryFlaggedAt ? h('strong', { class: 'recovery', text: t('case.recovery.flagged', { time: formatDateTime(dist.recoveryFlaggedAt) }) }) : t('case.recovery.no')]);
  }
  const delivery = group(t('case.delivery'), deliveryRows);
  const review = group(
    t('case.review'),
    [
      [t('case.status'), h('span', { class: `badge ${c.reviewStatus}`, text: t(`status.${c.reviewStatus}`) })],
      [t('case.reviewedBy'), c.reviewedBy ? person(d.people, c.reviewedBy) : none],
      [t('case.reviewedAt'), formatDateTime(c.reviewedAt)],
      [t('case.reviewNote'), h('span', { class: 'note', text: c.reviewNote || none })],
    ],
    c.reviewStatus,
  );
  $('case-body').replaceChildren(who, why, delivery, face, review, h('p', { class: 'help privacy', text: t('case.noFace') }));

  // A decision is about a delivery: until the ration went out there is nothing to approve or reject.
  const pending = c.reviewStatus === 'pending';
  const decidable = pending && c.delivered;
  $('decision').hidden = !decidable;
  const done = $('decision-done');
  done.hidden = decidable;
  done.textContent = decidable ? '' : pending ? t('decision.awaitingDelivery') : t('decision.done');
}

/** @param {SubmitEvent} ev */
async function onDecision(ev) {
  ev.preventDefault();
  const d = state.caseDetail;
  if (!d) return;
  const submitter = /** @type {HTMLButtonElement | null} */ (ev.submitter);
  const decision = submitter?.value === 'reject' ? 'reject' : 'approve';
  const noteField = /** @type {HTMLTextAreaElement} */ ($('d-note'));
  const err = $('d-error');
  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ ($('decision').querySelectorAll('button'));
  buttons.forEach((b) => (b.disabled = true));
  err.hidden = true;
  noteField.removeAttribute('aria-invalid');
  try {
    // The service decides whether a note is needed (note_required): its message is shown as it is.
    await api(`/v1/review/cases/${d.case.id}/decision`, { method: 'POST', body: { decision, note: noteField.value } });
    noteField.value = '';
    await loadCase(d.case.id, false);
    const msg = decision === 'approve' ? t('decision.approved') : t('decision.rejected');
    announce(msg);
    $('decision-done').textContent = msg;
    $('decision-done').focus();
    await offerNextCase(d.case.id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    err.textContent = describe(e);
    err.hidden = false;
    if (e instanceof ApiError && e.code === 'note_required') {
      noteField.setAttribute('aria-invalid', 'true');
      noteField.focus();
    } else if (e instanceof ApiError && e.code === 'already_reviewed') {
      await loadCase(d.case.id, false);
    }
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

/**
 * After a decision: the next pending case under the queue's current filters (oldest first), one
 * click away — a morning's queue is worked through without going back to the list each time.
 * @param {string} decidedId
 */
async function offerNextCase(decidedId) {
  try {
    const next = await api(`/v1/review/cases${query({ ...queueParams(state.filters), status: 'pending', limit: 2 })}`);
    const c = next.items.find((/** @type {{id: string}} */ x) => x.id !== decidedId);
    if (c) {
      const link = /** @type {HTMLAnchorElement} */ ($('next-case'));
      link.href = `#case/${c.id}`;
      link.textContent = t('next.case', { name: c.beneficiaryName });
      $('next-wrap').hidden = false;
    } else {
      $('next-none').hidden = false;
    }
  } catch (err) {
    showError(err);
  }
}

// ---- metrics ----------------------------------------------------------------------------------

/** @param {boolean} focus */
async function loadMetrics(focus) {
  const section = $('metrics');
  section.setAttribute('aria-busy', 'true');
  announce(t('loading'));
  try {
    [state.metrics, state.weekly] = await Promise.all([api(`/v1/metrics/exclusion${query(state.period)}`), api('/v1/metrics/exclusion/weekly?weeks=12')]);
    renderMetrics();
    announce('');
  } catch (err) {
    announce('');
    showError(err);
  } finally {
    section.removeAttribute('aria-busy');
  }
  if (focus && !section.hidden) $('metrics-h').focus();
}

/** @param {Record<string, number>} byReason */
const reasonsText = (byReason) =>
  Object.entries(byReason ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${t(`reason.${r}`)}: ${n}`)
    .join(', ');

/** The calendar day (YYYY-MM-DD) of an instant in India. @param {string} iso */
const isoDay = (iso) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));

/** "less than 1 in 1,000 by chance": the p-value as people say it. @param {number} p */
function chanceText(p) {
  if (p < 1e-6) return t('metrics.chance.million');
  const n = 10 ** Math.floor(-Math.log10(Math.max(p, 1e-300)));
  return t('metrics.chance.thousand', { n: n.toLocaleString(getLang() === 'hi' ? 'hi-IN' : 'en-IN') });
}

/** Why an AWC is flagged, in words: its rate against the other AWCs' and how unlikely by chance. @param {any} a */
const flagWhy = (a) => t('metrics.flagWhy', { rate: formatPercent(a.fallbackRate), k: a.fallbacks, n: a.fallbacks + a.faceMatches, base: formatPercent(a.baselineRate), chance: chanceText(a.pValue) });

function renderMetrics() {
  const m = state.metrics;
  if (!m) return;
  // The period's end is exclusive (midnight after the last day): show the last day itself.
  const lastDay = new Date(new Date(m.period.to).getTime() - 1).toISOString();
  $('metrics-summary').textContent = t('metrics.periodLabel', { district: m.district, from: formatDate(m.period.from), to: formatDate(lastDay) });
  // Show the period the service used in the date fields, so the CSV and the next "Show" use it too.
  const fromInput = /** @type {HTMLInputElement} */ ($('m-from'));
  const toInput = /** @type {HTMLInputElement} */ ($('m-to'));
  if (!fromInput.value) fromInput.value = isoDay(m.period.from);
  if (!toInput.value) toInput.value = isoDay(lastDay);
  const tbody = /** @type {HTMLTableSectionElement} */ ($('metrics-table').querySelector('tbody'));
  const tfoot = /** @type {HTMLTableSectionElement} */ ($('metrics-table').querySelector('tfoot'));
  const chart = $('chart');
  renderWeekly();
  if (m.awcs.length === 0) {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: '8', class: 'empty', text: t('metrics.empty') })));
    tfoot.replaceChildren();
    chart.replaceChildren();
    chart.hidden = true;
    return;
  }
  tbody.replaceChildren(
    ...m.awcs.map((/** @type {any} */ a) =>
      h(
        'tr',
        { class: a.flagged ? 'flagged' : undefined, 'data-awc': a.awc },
        h('th', { scope: 'row', text: a.awc }),
        h('td', { class: 'num', text: String(a.attempts) }),
        h('td', { class: 'num', text: String(a.faceMatches) }),
        h('td', { class: 'num', text: String(a.fallbacks) }),
        h('td', { class: 'num', text: formatPercent(a.fallbackRate) }),
        h('td', { class: 'num', text: formatPercent(a.baselineRate) }),
        h('td', {}, a.flagged ? h('span', { class: 'flag', text: `⚑ ${t('metrics.flagged')}` }) : '', a.flagged ? h('p', { class: 'why', text: flagWhy(a) }) : ''),
        h('td', { class: 'reasons', text: reasonsText(a.byReason) }),
      ),
    ),
  );
  const tot = m.total;
  tfoot.replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'row', text: t('metrics.total') }),
      h('td', { class: 'num', text: String(tot.attempts) }),
      h('td', { class: 'num', text: String(tot.faceMatches) }),
      h('td', { class: 'num', text: String(tot.fallbacks) }),
      h('td', { class: 'num', text: formatPercent(tot.fallbackRate) }),
      h('td', {}),
      h('td', {}),
      h('td', { class: 'reasons', text: reasonsText(tot.byReason) }),
    ),
  );
  chart.hidden = false;
  chart.replaceChildren(fallbackRateChart(m.awcs, tot.fallbackRate), h('figcaption', { text: t('metrics.chartDesc') }));
}

function renderWeekly() {
  const w = state.weekly;
  const fig = $('weekly-chart');
  if (!w) return fig.replaceChildren();
  fig.replaceChildren(weeklyRateChart(w.weeks), h('figcaption', { text: t('metrics.weeklyDesc') }));
}

/** @param {SubmitEvent} ev */
function onPeriod(ev) {
  ev.preventDefault();
  const data = new FormData(/** @type {HTMLFormElement} */ (ev.currentTarget));
  state.period = { from: String(data.get('from') ?? ''), to: String(data.get('to') ?? '') };
  clearAlert();
  void loadMetrics(false);
}

async function onCsv() {
  const button = /** @type {HTMLButtonElement} */ ($('csv'));
  button.disabled = true;
  clearAlert();
  try {
    const data = new FormData(/** @type {HTMLFormElement} */ ($('period')));
    const period = { from: String(data.get('from') ?? ''), to: String(data.get('to') ?? '') };
    await download(`/v1/metrics/exclusion.csv${query(period)}`, `exclusion-${state.user?.district ?? 'district'}.csv`);
    announce(t('metrics.csvDone'));
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

// ---- language ---------------------------------------------------------------------------------

/** @param {'en' | 'hi'} lang */
function applyLang(lang) {
  setLang(lang);
  translate();
  $('lang').textContent = t('lang.switch');
  $('lang').setAttribute('lang', lang === 'en' ? 'hi' : 'en');
  fillReasonOptions();
  renderWho();
  announce('');
  // Re-render what is on screen from the data already fetched: no new requests.
  if (state.queue) renderQueue();
  if (state.caseDetail && !$('case').hidden) renderCase();
  if (state.metrics) renderMetrics();
  if (!$('users').hidden) renderUsers();
}

function toggleLang() {
  const next = getLang() === 'en' ? 'hi' : 'en';
  // Only the language preference is kept across sessions (it is not a secret); never the token.
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // fine
  }
  applyLang(next);
}

// ---- start ------------------------------------------------------------------------------------

function start() {
  fillStatusOptions();
  let lang = 'en';
  try {
    lang = localStorage.getItem(LANG_KEY) === 'hi' ? 'hi' : 'en';
  } catch {
    // fine
  }
  applyLang(/** @type {'en' | 'hi'} */ (lang));
  duplicates = duplicatesView({ h, announce, showError, clearAlert });

  $('lang').addEventListener('click', toggleLang);
  // The skip link moves focus only: changing the hash would change the view.
  /** @type {HTMLElement} */ (document.querySelector('.skip')).addEventListener('click', (e) => {
    e.preventDefault();
    $('main').focus();
  });
  $('signout').addEventListener('click', () => void signOut());
  $('signin-form').addEventListener('submit', (e) => void onSignin(/** @type {SubmitEvent} */ (e)));
  $('mpin-form').addEventListener('submit', (e) => void onMpinChange(/** @type {SubmitEvent} */ (e)));
  $('filters').addEventListener('submit', (e) => onFilter(/** @type {SubmitEvent} */ (e)));
  $('filters').addEventListener('reset', onResetFilters);
  $('decision').addEventListener('submit', (e) => void onDecision(/** @type {SubmitEvent} */ (e)));
  $('period').addEventListener('submit', (e) => onPeriod(/** @type {SubmitEvent} */ (e)));
  $('csv').addEventListener('click', () => void onCsv());
  $('prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    void loadQueue(false);
  });
  $('next').addEventListener('click', () => {
    state.offset += PAGE;
    void loadQueue(false);
  });
  $('refresh').addEventListener('click', () => void loadQueue(false));
  $('select-page').addEventListener('change', selectWholePage);
  $('queue-table').addEventListener('change', (e) => {
    if (/** @type {HTMLElement} */ (e.target).classList.contains('pick')) updateBulkBar();
  });
  $('bulk').addEventListener('submit', (e) =>
    void onBulkDecision(/** @type {SubmitEvent} */ (e), {
      names: new Map((state.queue?.items ?? []).map((c) => [c.id, c.beneficiaryName])),
      describe,
      announce,
      reload: () => loadQueue(false),
    }),
  );
  window.addEventListener('hashchange', () => route(true));

  const saved = loadToken();
  let user = null;
  try {
    user = JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null');
  } catch {
    user = null;
  }
  if (saved && user) enterConsole(user);
  else showSignin();
}

start();
