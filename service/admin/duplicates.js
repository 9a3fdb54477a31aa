// The duplicates queue: enrolments stopped by "possible duplicate", the two beneficiaries side by
// side (names, AWCs, categories, dates, who enrolled — the API sends no face and no score), and
// the admin's decision with a note. A module of its own: app.js only routes to it.
// Everything from the API goes on the page as text, never as HTML.

import { api, query } from './api.js';
import { formatDate, formatDateTime, t } from './i18n.js';
// The decisions and statuses are the contract's (/admin/contract.js, made by the service from it).
import { DUPLICATE_DECISIONS, DUPLICATE_FLAG_STATUSES } from './contract.js';

/**
 * @param {{
 *   h: (tag: string, attrs?: Record<string, string | boolean | undefined>, ...children: (Node | string | null | undefined | false)[]) => HTMLElement,
 *   announce: (text: string) => void,
 *   showError: (err: unknown) => void,
 *   clearAlert: () => void,
 * }} ui
 */
export function duplicatesView(ui) {
  const { h } = ui;
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  let status = 'open';
  // Labelled now and again by translate() on a language switch (data-i18n).
  $('dup-status').replaceChildren(...DUPLICATE_FLAG_STATUSES.map((s) => h('option', { value: s, 'data-i18n': `dup.status.${s}`, text: t(`dup.status.${s}`) })));

  /** One side of the pair as a card. @param {string} title @param {any} b */
  function side(title, b) {
    const rows = /** @type {[string, string][]} */ ([
      [t('dup.name'), b.name],
      [t('dup.awc'), b.awc],
      [t('dup.category'), t(`category.${b.category}`)],
      [t('dup.birthDate'), b.birthDate ? formatDate(b.birthDate) : t('case.none')],
      [t('dup.registered'), `${formatDateTime(b.registeredAt)} · ${b.registeredBy}`],
      [t(title === 'flagged' ? 'dup.attempted' : 'dup.enrolled'), b.enrolledBy ? `${b.enrolledAt ? formatDateTime(b.enrolledAt) : ''} · ${b.enrolledBy}` : t('case.none')],
    ]);
    if (b.closedAt) rows.push([t('dup.closed'), `${formatDateTime(b.closedAt)} → ${b.mergedInto}`]);
    if (b.fraudFlagged) rows.push([t('dup.fraudFlag'), t('dup.fraudFlagged')]);
    return h('section', { class: 'card', 'data-side': title }, h('h4', { text: t(`dup.side.${title}`) }), h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])));
  }

  /** @param {any} pair */
  function decisionForm(pair) {
    const noteId = `dup-note-${pair.id}`;
    const errId = `dup-err-${pair.id}`;
    const form = h(
      'form',
      { class: 'decision', novalidate: true, 'data-flag': pair.id },
      h('label', { for: noteId, text: t('dup.note') }),
      h('textarea', { id: noteId, name: 'note', rows: '2', maxlength: '1000', 'aria-describedby': errId }),
      h('p', { id: errId, class: 'field-error', hidden: true }),
      h('div', { class: 'buttons' }, ...DUPLICATE_DECISIONS.map((d) => h('button', { type: 'submit', name: 'decision', value: d, class: d === 'fraud_suspected' ? 'reject' : d === 'same_person' ? 'secondary' : 'approve', text: t(`dup.decide.${d}`) }))),
    );
    form.addEventListener('submit', (ev) => void decide(/** @type {SubmitEvent} */ (ev), pair));
    return form;
  }

  /** @param {SubmitEvent} ev @param {any} pair */
  async function decide(ev, pair) {
    ev.preventDefault();
    const form = /** @type {HTMLFormElement} */ (ev.currentTarget);
    const decision = /** @type {HTMLButtonElement | null} */ (ev.submitter)?.value ?? '';
    const note = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('note')).value.trim();
    const err = /** @type {HTMLElement} */ (form.querySelector('.field-error'));
    if (!note) {
      err.textContent = t('dup.noteRequired');
      err.hidden = false;
      /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('note')).focus();
      return;
    }
    err.hidden = true;
    for (const b of form.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = true;
    try {
      const out = await api(`/v1/duplicates/${pair.id}/decision`, { method: 'POST', body: { decision, note } });
      const done = h('div', { class: 'done', tabindex: '-1', role: 'status' }, h('p', { text: t(`dup.done.${decision}`, { name: out.flagged.name }) }));
      if (out.workerEnrolments) {
        done.append(
          h('p', { text: t('dup.workerEnrolments', { worker: out.enrollingWorker, n: out.workerEnrolments.length }) }),
          h('ul', { class: 'worker-enrolments' }, ...out.workerEnrolments.map((/** @type {any} */ e) => h('li', { text: `${e.name} · ${e.awc} · ${t(`category.${e.category}`)} · ${formatDateTime(e.enrolledAt)}` }))),
        );
      }
      form.replaceWith(done);
      done.focus();
      ui.announce(t(`dup.done.${decision}`, { name: out.flagged.name }));
    } catch (e) {
      for (const b of form.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (b).disabled = false;
      ui.showError(e);
    }
  }

  /** @param {any[]} items */
  function render(items) {
    const list = $('dup-list');
    $('dup-count').textContent = t('dup.count', { n: items.length });
    if (items.length === 0) return list.replaceChildren(h('p', { class: 'empty', text: t('dup.empty') }));
    list.replaceChildren(
      ...items.map((pair) =>
        h(
          'article',
          { class: 'pair', 'data-flag': pair.id },
          h('h3', { text: t('dup.pairHeading', { a: pair.flagged.name, b: pair.candidate.name }) }),
          h('p', { class: 'help', text: t('dup.flaggedAt', { time: formatDateTime(pair.flaggedAt) }) }),
          h('div', { class: 'case-grid' }, side('flagged', pair.flagged), side('candidate', pair.candidate)),
          pair.status === 'open' ? decisionForm(pair) : h('p', { class: 'done', text: t('dup.decided', { decision: t(`dup.decision.${pair.decision}`), by: pair.decidedBy ?? '', note: pair.decisionNote ?? '' }) }),
        ),
      ),
    );
  }

  /** @param {boolean} focus */
  async function load(focus) {
    const section = $('duplicates');
    section.setAttribute('aria-busy', 'true');
    ui.announce(t('loading'));
    try {
      const res = await api(`/v1/duplicates${query({ status, limit: 50 })}`);
      render(res.items);
      ui.announce('');
    } catch (err) {
      ui.announce('');
      ui.showError(err);
    } finally {
      section.removeAttribute('aria-busy');
    }
    if (focus && !section.hidden) $('dup-h').focus();
  }

  $('dup-status').addEventListener('change', (ev) => {
    status = /** @type {HTMLSelectElement} */ (ev.currentTarget).value;
    ui.clearAlert();
    void load(false);
  });

  return {
    load,
    reset() {
      status = 'open';
      /** @type {HTMLSelectElement} */ ($('dup-status')).value = 'open';
      $('dup-list').replaceChildren();
      $('dup-count').textContent = '';
    },
  };
}
