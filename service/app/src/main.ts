import { signedIn, whenSignedOut, wipe } from './api.js';
import { facePipeline } from './camera.js';
import { setLanguage, t } from './i18n.js';
import { changeMpinScreen, signInScreen } from './screens-auth.js';
import { listScreen, type DayActions } from './screens-day.js';
import { captureScreen, fallbackScreen, stopCamera, type FaceActions } from './screens-face.js';

/**
 * The worker app. Nothing is stored on the device: no localStorage, sessionStorage, IndexedDB,
 * Cache Storage or service worker; the sign-in and the day's data live in memory and are wiped
 * on sign-out, on a 401, and after IDLE seconds without a touch (?idle=N sets it, default 300).
 */

const params = new URLSearchParams(location.search);
const IDLE_MS = Math.max(5, Math.min(3600, Number(params.get('idle')) || 300)) * 1000;
setLanguage(params.get('lang') ?? (navigator.language.startsWith('hi') ? 'hi' : 'en'));

const faceActions: FaceActions = {
  home: () => void listScreen(dayActions),
  retry: (b, mode) => captureScreen(b, mode, faceActions),
};
const dayActions: DayActions = {
  capture: (b, mode) => captureScreen(b, mode, faceActions),
  fallback: (b, reason, verificationId) => void fallbackScreen(b, reason, faceActions, { ...(verificationId ? { verificationId } : {}) }),
};

function afterSignIn(mustChange: boolean): void {
  if (mustChange) return changeMpinScreen(() => afterSignIn(false));
  // Models load while she looks at the list, so the camera is ready when she needs it.
  void facePipeline().catch(() => undefined);
  void listScreen(dayActions);
}

whenSignedOut((why) => {
  stopCamera();
  signInScreen(afterSignIn, why === 'idle' ? t('idleEnded') : why === 'expired' ? t('sessionEnded') : undefined);
});

let idleTimer: ReturnType<typeof setTimeout> | undefined;
const touched = () => {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => signedIn() && wipe('idle'), IDLE_MS);
};
for (const ev of ['pointerdown', 'keydown', 'input']) document.addEventListener(ev, touched, { passive: true, capture: true });
touched();

const network = document.getElementById('network')!;
const showNetwork = () => {
  network.hidden = navigator.onLine;
  network.textContent = t('offlineShort');
};
window.addEventListener('online', showNetwork);
window.addEventListener('offline', showNetwork);
showNetwork();

signInScreen(afterSignIn);
