// The Users page: the accounts the signed-in manager looks after — list, add, disable, reset MPIN.
// Who manages whom is the service's rule (identity/user-admin.ts); the form offers only the roles
// the service would accept from her. A one-time MPIN is shown once, as text, until "Done".

import { api, ApiError } from './api.js';
import { t } from './i18n.js';
// The roles each manager adds and who may reset an MPIN: the service's own rule, served from
// identity/user-admin.ts in /admin/contract.js, so the form offers exactly what the service accepts.
import { MANAGES, MAY_RESET } from './contract.js';

/** @typedef {{id: string, name: string, role: string, state: string | null, district?: string, awc?: string, awcs?: string[], mobile: string, status: string, mustChangeMpin: boolean}} User */
/** @typedef {{describe: (err: unknown) => string, announce: (text: string) => void, showError: (err: unknown) => void, h: (tag: string, attrs?: Record<string, string | boolean | undefined>, ...children: any[]) => HTMLElement}} Deps */

const view = {
  /** @type {{role: string, state: string | null, district?: string, awcs?: string[]} | null} */
  me: null,
  /** @type {Deps | null} */
  deps: null,
  /** @type {User[] | null} */
  items: null,
  /** @type {{name: string, mpin: string} | null} */
  revealed: null,
};

const section = () => /** @type {HTMLElement} */ (document.getElementById('users'));

/** Forgets the page's data (sign-out). */
export function resetUsers() {
  view.me = view.deps = view.items = view.revealed = null;
  section().replaceChildren();
}

/**
 * @param {{role: string, state: string | null, district?: string, awcs?: string[]}} me
 * @param {Deps} deps
 * @param {boolean} focus
 */
export async function loadUsers(me, deps, focus) {
  view.me = me;
  view.deps = deps;
  deps.announce(t('loading'));
  try {
    view.items = (await api('/v1/users')).items;
    deps.announce('');
  } catch (err) {
    deps.announce('');
    deps.showError(err);
    view.items = [];
  }
  renderUsers();
  if (focus) document.getElementById('users-h')?.focus();
}

/** Renders the page from what was fetched (also after a language switch). */
export function renderUsers() {
  const { me, deps } = view;
  if (!me || !deps) return;
  const { h } = deps;
  const roles = MANAGES[me.role] ?? [];
  const roleSelect = h('select', { id: 'u-role', name: 'role' }, ...roles.map((r) => h('option', { value: r, text: t(`role.${r}`) })));
  const awcField =
    me.role === 'supervisor'
      ? h('select', { id: 'u-awc', name: 'awc' }, ...(me.awcs ?? []).map((a) => h('option', { value: a, text: a })))
      : h('input', { id: 'u-awc', name: 'awc', type: 'text', maxlength: '64', autocomplete: 'off' });
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {HTMLElement} */ input) => h('div', { class: 'field', id: `${id}-field` }, h('label', { for: id, text: t(label) }), input);
  const form = h(
    'form',
    { id: 'user-form', class: 'filters', novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', { text: t('users.add') }),
      field('u-role', 'users.role', roleSelect),
      field('u-name', 'users.name', h('input', { id: 'u-name', name: 'name', type: 'text', maxlength: '100', autocomplete: 'off' })),
      field('u-mobile', 'users.mobile', h('input', { id: 'u-mobile', name: 'mobile', type: 'tel', inputmode: 'numeric', maxlength: '13', autocomplete: 'off' })),
      field('u-awc', 'users.awc', awcField),
      field('u-awcs', 'users.awcs', h('input', { id: 'u-awcs', name: 'awcs', type: 'text', maxlength: '400', autocomplete: 'off', placeholder: 'AWC-001, AWC-002' })),
      field('u-district', 'users.district', h('input', { id: 'u-district', name: 'district', type: 'text', maxlength: '64', autocomplete: 'off' })),
      h('div', { class: 'field buttons' }, h('button', { type: 'submit', text: t('users.submit') })),
    ),
  );
  const error = h('p', { id: 'user-error', class: 'field-error', hidden: true });
  const reveal = view.revealed
    ? h(
        'div',
        { id: 'mpin-reveal', class: 'done', role: 'status', tabindex: '-1' },
        h('p', { text: t('users.oneTime', { name: view.revealed.name }) }),
        h('p', { class: 'mpin', id: 'one-time-mpin', text: view.revealed.mpin }),
        h('p', { class: 'help', text: t('users.oneTimeHelp') }),
        h('button', { type: 'button', id: 'mpin-done', class: 'secondary', text: t('users.done') }),
      )
    : null;
  const rows = (view.items ?? []).map((u) =>
    h(
      'tr',
      { 'data-user': u.id },
      h('td', { text: u.name }),
      h('td', { text: t(`role.${u.role}`) }),
      h('td', { text: u.mobile }),
      h('td', { text: area(u) }),
      h('td', { text: u.status === 'disabled' ? t('users.disabled') : u.mustChangeMpin ? t('users.firstSignIn') : t('users.active') }),
      h(
        'td',
        {},
        u.status === 'active' ? h('button', { type: 'button', class: 'secondary', 'data-action': 'disable', 'data-id': u.id, 'data-name': u.name, text: t('users.disable') }) : null,
        u.status === 'active' && MAY_RESET.includes(me.role) ? h('button', { type: 'button', class: 'secondary', 'data-action': 'reset', 'data-id': u.id, 'data-name': u.name, text: t('users.reset') }) : null,
      ),
    ),
  );
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'users-table' },
      h('caption', { class: 'visually-hidden', text: t('users.heading') }),
      h('thead', {}, h('tr', {}, ...['users.col.name', 'users.col.role', 'users.col.mobile', 'users.col.area', 'users.col.status', 'users.col.action'].map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, ...rows),
    ),
  );
  const empty = rows.length === 0 ? h('p', { class: 'count', text: t('users.none') }) : null;
  section().replaceChildren(...[h('h2', { id: 'users-h', tabindex: '-1', text: t('users.heading') }), reveal, form, error, empty, table].filter((n) => n !== null));
  showFieldsFor(roleSelect.value);
  roleSelect.addEventListener('change', () => showFieldsFor(roleSelect.value));
  form.addEventListener('submit', (e) => void onAdd(/** @type {SubmitEvent} */ (e)));
  document.getElementById('mpin-done')?.addEventListener('click', () => {
    view.revealed = null;
    renderUsers();
  });
  for (const b of section().querySelectorAll('button[data-action]')) b.addEventListener('click', () => void onAction(/** @type {HTMLButtonElement} */ (b)));
}

/** @param {User} u */
function area(u) {
  const place = u.awc ?? u.awcs?.join(', ') ?? '';
  return [place, u.district, u.state].filter(Boolean).join(' / ');
}

/** Only the scope fields the chosen role has. @param {string} role */
function showFieldsFor(role) {
  const show = { 'u-awc-field': role === 'worker', 'u-awcs-field': role === 'supervisor', 'u-district-field': role === 'district_admin' };
  for (const [id, visible] of Object.entries(show)) /** @type {HTMLElement} */ (document.getElementById(id)).hidden = !visible;
}

/** @param {string} id */
const value = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value.trim();

/** @param {SubmitEvent} ev */
async function onAdd(ev) {
  ev.preventDefault();
  const deps = /** @type {Deps} */ (view.deps);
  const error = /** @type {HTMLElement} */ (document.getElementById('user-error'));
  const role = value('u-role');
  const name = value('u-name');
  const mobile = value('u-mobile').replace(/[\s-]/g, '');
  const fail = (/** @type {string} */ msg, /** @type {string} */ focusId) => {
    error.textContent = msg;
    error.hidden = false;
    document.getElementById(focusId)?.focus();
  };
  if (!name) return fail(t('users.needName'), 'u-name');
  if (!/^(\+91)?[6-9][0-9]{9}$/.test(mobile)) return fail(t('signin.badMobile'), 'u-mobile');
  /** @type {Record<string, unknown>} */
  const body = { role, name, mobile };
  if (role === 'worker') body.awc = value('u-awc');
  if (role === 'supervisor') body.awcs = value('u-awcs').split(/[\s,]+/).filter(Boolean);
  if (role === 'district_admin') body.district = value('u-district');
  try {
    const created = await api('/v1/users', { method: 'POST', body });
    view.revealed = { name: created.user.name, mpin: created.oneTimeMpin };
    await loadUsers(/** @type {any} */ (view.me), deps, false);
    deps.announce(t('users.added', { name: created.user.name }));
    document.getElementById('mpin-reveal')?.focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    fail(deps.describe(err), 'u-role');
  }
}

/** @param {HTMLButtonElement} button */
async function onAction(button) {
  const deps = /** @type {Deps} */ (view.deps);
  const { action, id, name } = button.dataset;
  button.disabled = true;
  try {
    let done;
    if (action === 'disable') {
      await api(`/v1/users/${encodeURIComponent(id ?? '')}/disable`, { method: 'POST' });
      done = t('users.disabledDone', { name: name ?? '' });
      view.revealed = null;
    } else {
      const reset = await api(`/v1/users/${encodeURIComponent(id ?? '')}/reset-mpin`, { method: 'POST' });
      view.revealed = { name: reset.user.name, mpin: reset.oneTimeMpin };
      done = t('users.resetDone', { name: reset.user.name });
    }
    await loadUsers(/** @type {any} */ (view.me), deps, false);
    deps.announce(done);
    document.getElementById('mpin-reveal')?.focus();
  } catch (err) {
    button.disabled = false;
    deps.showError(err);
  }
}
