import { changeMpin, login, ServiceError } from './api.js';
import { alertBox, field, h, say, show } from './dom.js';
import { setLanguage, t, UI_LANGUAGES } from './i18n.js';

/** Sign-in (mobile + MPIN) and the MPIN change required on first use. */
export function signInScreen(next: (mustChange: boolean) => void, notice?: string): void {
  const mobile = h('input', { name: 'mobile', type: 'tel', inputmode: 'numeric', autocomplete: 'off', maxlength: '13', required: true, autofocus: true });
  const mpin = h('input', { name: 'mpin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '6', required: true });
  const box = alertBox();
  if (notice) say(box, notice, 'info');
  const submit = async (e: Event) => {
    e.preventDefault();
    say(box, '', 'info');
    try {
      const signed = await login(mobile.value.trim(), mpin.value);
      mpin.value = '';
      next(signed.mustChangeMpin);
    } catch (err) {
      mpin.value = '';
      const code = err instanceof ServiceError ? err.code : '';
      say(box, err instanceof ServiceError && err.offline ? t('offlineShort') : code === 'invalid_credentials' ? t('badCredentials') : /locked|too_many/.test(code) ? t('lockedOut') : t('error'));
    }
  };
  show(
    'sign-in',
    h('nav', { class: 'languages', 'aria-label': 'Language' }, ...UI_LANGUAGES.map((l) => h('button', { type: 'button', lang: l.tag, class: 'chip', onclick: () => (setLanguage(l.tag), signInScreen(next, notice)) }, l.name))),
    h('h1', {}, t('welcome')),
    h('p', { class: 'lead' }, t('tagline')),
    h('form', { onsubmit: submit, autocomplete: 'off' }, field('mobile', mobile), field('mpin', mpin), box, h('button', { type: 'submit', class: 'primary' }, t('signIn'))),
  );
}

export function changeMpinScreen(next: () => void): void {
  const current = h('input', { name: 'currentMpin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '6', autofocus: true });
  const fresh = h('input', { name: 'newMpin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '6' });
  const again = h('input', { name: 'repeatMpin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '6' });
  const box = alertBox();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (fresh.value !== again.value) return say(box, t('mpinMismatch'));
    try {
      await changeMpin(current.value, fresh.value);
      next();
    } catch (err) {
      say(box, err instanceof ServiceError && err.offline ? t('offlineShort') : err instanceof ServiceError && err.code === 'invalid_credentials' ? t('badCredentials') : t('error'));
    } finally {
      for (const i of [current, fresh, again]) i.value = '';
    }
  };
  show('change-mpin', h('h1', {}, t('changeMpinTitle')), h('p', {}, t('changeMpinHelp')), h('form', { onsubmit: submit }, field('currentMpin', current), field('newMpin', fresh), field('repeatMpin', again), box, h('button', { type: 'submit', class: 'primary' }, t('save'))));
}
