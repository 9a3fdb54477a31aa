// Selecting cases in the review queue and deciding them together: one decision, one note, sent as
// one request that the service applies to all of them or to none (POST /v1/review/decisions).

import { api, ApiError } from './api.js';
import { t } from './i18n.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The ids of the checked rows, in the order shown. */
export function selectedCaseIds() {
  return [.../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#queue-table tbody input.pick:checked'))].map((b) => b.value);
}

/** Shows the bulk form while anything is selected, with the count; keeps "select page" in step. */
export function updateBulkBar() {
  const picks = /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#queue-table tbody input.pick'));
  const n = selectedCaseIds().length;
  $('bulk').hidden = n === 0;
  $('bulk-count').textContent = t('bulk.count', { n });
  const all = /** @type {HTMLInputElement} */ ($('select-page'));
  all.disabled = picks.length === 0;
  all.checked = picks.length > 0 && n === picks.length;
  all.indeterminate = n > 0 && n < picks.length;
}

export function selectWholePage() {
  const on = /** @type {HTMLInputElement} */ ($('select-page')).checked;
  for (const b of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#queue-table tbody input.pick'))) b.checked = on;
  updateBulkBar();
}

/**
 * @param {SubmitEvent} ev
 * @param {{ names: Map<string, string>, describe: (err: unknown) => string, announce: (text: string) => void, reload: () => Promise<void> }} deps
 */
export async function onBulkDecision(ev, deps) {
  ev.preventDefault();
  const decision = /** @type {HTMLButtonElement | null} */ (ev.submitter)?.value === 'reject' ? 'reject' : 'approve';
  const caseIds = selectedCaseIds();
  if (caseIds.length === 0) return;
  const note = /** @type {HTMLTextAreaElement} */ ($('bulk-note'));
  const err = $('bulk-error');
  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ ($('bulk').querySelectorAll('button'));
  buttons.forEach((b) => (b.disabled = true));
  err.hidden = true;
  note.removeAttribute('aria-invalid');
  try {
    const res = await api('/v1/review/decisions', { method: 'POST', body: { caseIds, decision, note: note.value } });
    note.value = '';
    await deps.reload();
    deps.announce(t(decision === 'approve' ? 'bulk.done.approved' : 'bulk.done.rejected', { n: res.decided }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    const caseId = e instanceof ApiError ? e.caseId : undefined;
    err.textContent = caseId ? t('bulk.refused', { name: deps.names.get(caseId) ?? caseId, message: e.message }) : deps.describe(e);
    err.hidden = false;
    if (e instanceof ApiError && e.code === 'note_required') {
      note.setAttribute('aria-invalid', 'true');
      note.focus();
    }
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
