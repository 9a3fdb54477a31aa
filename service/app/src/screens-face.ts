import type { FallbackReason } from '@chehra/contract';
import { ChehraApiError, ChehraSessionError, type PendingCapture } from '@chehra/sdk/browser';
import { asServiceError, client, session, signedIn, type Beneficiary } from './api.js';
import { startCapture, type CaptureHandle } from './camera.js';
import { alertBox, button, h, say, show } from './dom.js';
import { language, t } from './i18n.js';

/**
 * Capture → seal → send, the outcome in plain words (never a score), and the fallback at once
 * when the face step fails. A sealed capture lives only in the SDK session's memory; when the
 * network drops it is kept for its validity window and sent again when the network is back.
 */

export type { FallbackReason };

interface Advice {
  reason: FallbackReason;
  attemptsLeft?: number;
  fallbackCaseId?: string;
}

interface Verification {
  verificationId: string;
  outcome: string;
  match: boolean;
  month: string;
  fallback?: Advice;
}

export interface FaceActions {
  home(): void;
  retry(b: Beneficiary, mode: 'enrol' | 'verify'): void;
}

const RETRY_MS = 3000;
let active: CaptureHandle | undefined;
/** Stops the camera when the screen is left any other way (sign-out, 401, idle). */
export const stopCamera = () => {
  active?.stop();
  active = undefined;
};

const monthName = (month: string) => new Date(`${month}-01T00:00:00`).toLocaleDateString(language() === 'en' ? 'en-IN' : language(), { month: 'long', year: 'numeric' });

export function captureScreen(b: Beneficiary, mode: 'enrol' | 'verify', actions: FaceActions): void {
  const video = h('video', { playsinline: true, muted: true, autoplay: true, class: 'camera' });
  const live = h('p', { class: 'prompt', 'aria-live': 'polite', 'data-role': 'prompt' }, t('cameraStarting'));
  const box = alertBox();
  const other = button('other', () => (stopCamera(), fallbackScreen(b, 'camera_fault', actions)), { 'data-action': 'fallback' });
  show('capture', h('h1', {}, t('cameraTitle')), h('h2', {}, b.name), h('div', { class: 'viewfinder' }, video), live, box, other, button('back', () => (stopCamera(), actions.home()), { class: 'quiet' }));
  stopCamera();
  const handle = startCapture(video, (text) => (live.textContent = text));
  active = handle;
  setTimeout(() => live.textContent === t('cameraStarting') && (live.textContent = t('modelsLoading')), 1500);
  handle.result.then(
    async (face) => {
      if (active !== handle) return face.embedding.fill(0);
      active = undefined;
      live.textContent = t('holdStill');
      let pending: PendingCapture;
      try {
        pending = await session().seal(face);
      } catch (err) {
        face.embedding.fill(0);
        return say(box, asServiceError(err).offline ? t('offlineShort') : t('error'));
      }
      live.textContent = t('sending');
      await send(b, mode, pending, box, actions);
    },
    () => {
      if (active === handle) say(box, t('cameraFailed'));
    },
  );
}

/** Sends the sealed capture; while offline, tries again until the capture's window closes. */
async function send(b: Beneficiary, mode: 'enrol' | 'verify', pending: PendingCapture, box: HTMLElement, actions: FaceActions): Promise<void> {
  for (;;) {
    try {
      if (mode === 'enrol') {
        await session().enrol(b.id, pending);
        return outcomeScreen(b, t('enrolled'), 'ok', actions);
      }
      const v = (await session().verify(b.id, pending, { deviceId: signedIn()?.user.id })) as unknown as Verification;
      return verificationOutcome(b, v, actions);
    } catch (err) {
      if (err instanceof ChehraSessionError && (err.code === 'capture_expired' || err.code === 'capture_unknown')) {
        say(box, t('captureExpired'));
        return void box.after(button('tryAgain', () => actions.retry(b, mode), { class: 'primary' }));
      }
      if (err instanceof ChehraApiError && err.isNetworkFailure) {
        const secondsLeft = Math.max(0, Math.round((pending.expiresAt - Date.now()) / 1000));
        say(box, t('offline', { s: secondsLeft }), 'info');
        document.body.dataset.offline = 'true';
        await waitForNetwork(RETRY_MS);
        if (!signedIn()) return;
        continue;
      }
      const se = asServiceError(err);
      if (se.status === 401) return;
      if (se.code === 'possible_duplicate') return outcomeScreen(b, t('alreadyEnrolledOther'), 'info', actions);
      const advice = se.details.fallback as Advice | undefined;
      if (advice) return fallbackScreen(b, advice.reason, actions, { caseId: advice.fallbackCaseId, why: reasonText(advice.reason) });
      say(box, t('error'));
      return;
    }
  }
}

function waitForNetwork(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

function reasonText(reason: FallbackReason): string {
  const map: Partial<Record<FallbackReason, Parameters<typeof t>[0]>> = { no_match: 'noMatch', liveness_failed: 'notLive', no_consent: 'noConsent', not_enrolled: 'notEnrolled', template_expired: 'templateExpired' };
  return t(map[reason] ?? 'fallbackHelp');
}

function verificationOutcome(b: Beneficiary, v: Verification, actions: FaceActions): void {
  delete document.body.dataset.offline;
  if (v.match) return outcomeScreen(b, t('matched', { month: monthName(v.month) }), 'ok', actions);
  if (v.outcome === 'already_distributed') return outcomeScreen(b, t('alreadyGiven', { month: monthName(v.month) }), 'info', actions);
  const advice = v.fallback ?? { reason: 'no_match' as const };
  // The fallback is offered at once; a retry of the face too while attempts are left.
  fallbackScreen(b, advice.reason, actions, { caseId: advice.fallbackCaseId, verificationId: v.verificationId, why: reasonText(advice.reason), attemptsLeft: advice.fallbackCaseId ? 0 : advice.attemptsLeft });
}

function outcomeScreen(b: Beneficiary, text: string, kind: 'ok' | 'info', actions: FaceActions): void {
  delete document.body.dataset.offline;
  show('outcome', h('h1', {}, b.name), h('p', { class: `outcome ${kind}`, role: 'status', 'data-role': 'outcome' }, text), button('done', () => actions.home(), { class: 'primary' }));
}

interface FallbackContext {
  caseId?: string;
  verificationId?: string;
  why?: string;
  attemptsLeft?: number;
}

interface Case {
  id: string;
  month: string;
  delivered: boolean;
}

export async function fallbackScreen(b: Beneficiary, reason: FallbackReason, actions: FaceActions, ctx: FallbackContext = {}): Promise<void> {
  delete document.body.dataset.offline;
  const box = alertBox();
  const otpArea = h('div', { class: 'otp' });
  const supArea = h('div', { class: 'supervisor' });
  const retry = ctx.attemptsLeft ? [h('p', {}, t('attemptsLeft', { n: ctx.attemptsLeft })), button('tryAgain', () => actions.retry(b, 'verify'), { 'data-action': 'retry' })] : [];
  show('fallback', h('h1', {}, b.name), ctx.why ? h('p', { class: 'outcome info', 'data-role': 'outcome' }, ctx.why) : null, h('h2', {}, t('fallbackTitle')), h('p', {}, t('fallbackHelp')), box, otpArea, supArea, ...retry, button('back', () => actions.home(), { class: 'quiet' }));
  let fcase: Case;
  try {
    fcase = (ctx.caseId ? await client().getFallbackCase(ctx.caseId) : await client().openFallbackCase({ beneficiaryId: b.id, reason, ...(ctx.verificationId ? { verificationId: ctx.verificationId } : {}) })) as Case;
  } catch (err) {
    const se = asServiceError(err);
    if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('error'));
    return;
  }
  if (fcase.delivered) return outcomeScreen(b, t('delivered', { month: monthName(fcase.month) }), 'ok', actions);
  const code = h('input', { name: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' });
  const confirm = async () => {
    try {
      const done = (await client().verifyFallbackOtp(fcase.id, code.value.trim())) as Case;
      if (done.delivered) outcomeScreen(b, t('delivered', { month: monthName(done.month) }), 'ok', actions);
    } catch (err) {
      const se = asServiceError(err);
      if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('otpWrong'));
    } finally {
      code.value = '';
    }
  };
  const sendOtp = async () => {
    try {
      const sent = await client().sendFallbackOtp(fcase.id);
      otpArea.replaceChildren(h('p', {}, t('otpSentTo', { to: sent.sentTo })), h('label', { class: 'field' }, h('span', {}, t('otpCode')), code), button('confirm', () => void confirm(), { class: 'primary' }));
      code.focus();
    } catch (err) {
      const se = asServiceError(err);
      if (se.status !== 401) say(box, se.offline ? t('offlineShort') : /mobile/.test(se.code) ? t('noMobile') : t('error'));
    }
  };
  const check = async () => {
    try {
      const now = (await client().getFallbackCase(fcase.id)) as Case;
      if (now.delivered) outcomeScreen(b, t('delivered', { month: monthName(now.month) }), 'ok', actions);
    } catch (err) {
      const se = asServiceError(err);
      if (se.status !== 401) say(box, se.offline ? t('offlineShort') : t('error'));
    }
  };
  otpArea.replaceChildren(button('sendOtp', () => void sendOtp(), { class: 'primary', 'data-action': 'send-otp' }));
  supArea.replaceChildren(button('supervisor', () => supArea.replaceChildren(h('p', {}, t('supervisorHelp', { id: fcase.id })), button('checkStatus', () => void check())), { 'data-action': 'supervisor' }));
}
