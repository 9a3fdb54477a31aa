// Every label of the console, in one dictionary. Add a language by adding a column here;
// the test checks that each language has every key.

import { IDENTITY_DICT, IDENTITY_HINTS } from './i18n-identity.js';
import { DUPLICATES_DICT } from './duplicates-i18n.js';
import { SMS_DICT } from './sms-i18n.js';

/** @typedef {'en' | 'hi'} Lang */

export const LANGS = /** @type {const} */ (['en', 'hi']);

export const DICT = {
  en: {
    'app.title': 'Chehra — district admin console',
    'app.subtitle': 'Review of THR fallback cases and exclusion metrics',
    'lang.switch': 'हिन्दी',
    'lang.switchLabel': 'हिन्दी में देखें (view in Hindi)',
    'skip': 'Skip to content',

    'signin.heading': 'Sign in',
    'signin.submit': 'Sign in',
    'signin.signedOut': 'You have signed out.',
    'signout': 'Sign out',
    'who': 'Signed in as {sub} · district {district}',

    'nav.label': 'Sections',
    'nav.queue': 'Review queue',
    'nav.metrics': 'Exclusion metrics',

    'queue.heading': 'Fallback cases to review',
    'queue.filters': 'Filter the queue',
    'queue.status': 'Review status',
    'queue.status.any': 'Any',
    'queue.awc': 'AWC',
    'queue.awc.placeholder': 'e.g. AWC-001',
    'queue.reason': 'Reason',
    'queue.reason.any': 'Any reason',
    'queue.minAge': 'Min. age (days)',
    'queue.apply': 'Apply filters',
    'queue.reset': 'Clear',
    'queue.count': '{total} cases',
    'queue.count.one': '1 case',
    'queue.empty': 'No cases match these filters.',
    'queue.caption': 'Fallback cases, oldest first',
    'queue.col.opened': 'Opened',
    'queue.col.age': 'Age (days)',
    'queue.col.beneficiary': 'Beneficiary',
    'queue.col.awc': 'AWC',
    'queue.col.reason': 'Reason',
    'queue.col.delivery': 'Ration delivered by',
    'queue.col.status': 'Review',
    'queue.col.action': 'Action',
    'queue.open': 'Open',
    'queue.openCase': 'Open the case of {name}',
    'queue.prev': 'Previous page',
    'queue.next': 'Next page',
    'queue.page': 'Cases {from}–{to} of {total}',
    'queue.refresh': 'Refresh',

    'case.heading': 'Case of {name}',
    'case.close': 'Back to the queue',
    'case.unavailable': 'Case not available',
    'case.who': 'Who',
    'case.name': 'Name',
    'case.category': 'Category',
    'case.awc': 'AWC',
    'case.mobile': 'Registered mobile',
    'case.guardian': 'Guardian',
    'case.none': '—',
    'case.why': 'When and why',
    'case.openedAt': 'Opened',
    'case.openedBy': 'Opened by (worker)',
    'case.reason': 'Reason',
    'case.month': 'Ration month',
    'case.workerNote': "Worker's note",
    'case.verification': 'Face attempt',
    'case.verification.none': 'No face attempt is linked to this case.',
    'case.attemptAt': 'Attempted',
    'case.outcome': 'Outcome',
    'case.scoreLabel': 'Score',
    'case.score': '{score} (threshold {threshold})',
    'case.delivery': 'How the ration was delivered',
    'case.method': 'Method',
    'case.notDelivered': 'Not delivered yet',
    'case.completedAt': 'Delivered',
    'case.otp': 'OTP',
    'case.otp.value': '{sent} sent · verified: {verified}',
    'case.attestedBy': 'Attested by (supervisor)',
    'case.attestationReason': 'Attestation reason',
    'case.attestationNote': "Supervisor's note",
    'case.recovery': 'Recovery',
    'case.recovery.flagged': 'Flagged for recovery on {time}',
    'case.recovery.no': 'Not flagged',
    'case.review': 'Review',
    'case.status': 'Status',
    'case.reviewedBy': 'Reviewed by',
    'case.reviewedAt': 'Reviewed',
    'case.reviewNote': "Reviewer's note",
    'case.noFace': 'No face image is ever stored or shown: only the decision and its score.',
    'yes': 'yes',
    'no': 'no',

    'decision.heading': 'Your decision',
    'decision.note': 'Note',
    'decision.noteHelp': 'Required to reject: say why. Rejecting flags the ration for recovery; nothing is deleted.',
    'decision.approve': 'Approve',
    'decision.reject': 'Reject',
    'decision.approved': 'Case approved.',
    'decision.rejected': 'Case rejected; the ration is flagged for recovery.',
    'decision.done': 'This case has been reviewed.',
    'decision.awaitingDelivery': 'The ration has not been delivered by this case yet: it can be reviewed once it is.',

    'metrics.heading': 'Exclusion metrics',
    'metrics.period': 'Period',
    'metrics.from': 'From',
    'metrics.to': 'To',
    'metrics.load': 'Show',
    'metrics.csv': 'Download CSV',
    'metrics.csvDone': 'CSV downloaded.',
    'metrics.periodLabel': 'District {district}, {from} to {to}',
    'metrics.caption': 'Per AWC: face attempts, face deliveries and fallbacks',
    'metrics.col.awc': 'AWC',
    'metrics.col.attempts': 'Face attempts',
    'metrics.col.matches': 'Face deliveries',
    'metrics.col.fallbacks': 'Fallbacks',
    'metrics.col.rate': 'Fallback rate',
    'metrics.col.z': 'z\u2011score',
    'metrics.col.flag': 'Flag',
    'metrics.col.reasons': 'Fallbacks by reason',
    'metrics.total': 'District',
    'metrics.flagged': 'Flagged',
    'metrics.flagHelp': 'Flagged: an AWC\u2019s fallback rate is far above what the district\u2019s other AWCs show (steadied towards the expected 8 % when they have few visits) — fewer than 1 in 1,000 by chance, with at least 5 visits. It could be a broken camera, or misuse.',
    'metrics.empty': 'No verifications or fallbacks in this period.',
    'metrics.chart': 'Fallback rate by AWC',
    'metrics.chartDesc': 'Bar chart of the fallback rate of each AWC; the dashed line is the district rate. Flagged AWCs are marked.',
    'metrics.districtRate': 'district {rate}',
    'queue.search': 'Search',
    'queue.search.placeholder': 'Beneficiary name or id',
    'queue.from': 'Opened from',
    'queue.to': 'Opened to',
    'queue.col.select': 'Select',
    'queue.selectPage': 'Select every pending case on this page',
    'queue.selectCase': 'Select the case of {name}',
    'bulk.heading': 'Decide the selected cases',
    'bulk.count': '{n} selected',
    'bulk.note': 'One note for all of them',
    'bulk.approve': 'Approve selected',
    'bulk.reject': 'Reject selected',
    'bulk.done.approved': '{n} cases approved.',
    'bulk.done.rejected': '{n} cases rejected; their rations are flagged for recovery.',
    'bulk.refused': 'Nothing was decided: {name} cannot be ({message}). Deselect it and try again.',
    'next.case': 'Next case: {name} →',
    'next.none': 'No more pending cases match your filters.',
    'metrics.col.baseline': 'Expected (other AWCs)',
    'metrics.flagWhy': 'Fallback rate {rate} ({k} of {n} visits) vs {base} at the district’s other AWCs — {chance}.',
    'metrics.chance.million': 'less than 1 in a million by chance',
    'metrics.chance.thousand': 'less than 1 in {n} by chance',
    'metrics.weekly': 'Fallback rate by week',
    'metrics.weeklyDesc': 'Bar chart of the district’s fallback rate in each of the last 12 weeks (Monday to Sunday). Weeks with a flagged AWC are marked and name it.',
    'metrics.weekNoVisits': 'no visits',

    'reason.no_consent': 'No consent',
    'reason.no_match': 'Face did not match',
    'reason.liveness_failed': 'Liveness check failed',
    'reason.not_enrolled': 'Not enrolled',
    'reason.template_expired': 'Template expired',
    'reason.poor_quality': 'Poor photo quality',
    'reason.camera_fault': 'Camera fault',
    'reason.child_too_young': 'Child too young',
    'reason.disability_or_injury': 'Disability or injury',
    'reason.refused_biometrics': 'Declined face capture',

    'category.pregnant': 'Pregnant woman',
    'category.lactating': 'Lactating mother',
    'category.child_6m_3y': 'Child 6 months–3 years',
    'category.child_3_6y': 'Child 3–6 years',
    'category.adolescent_girl': 'Adolescent girl',

    'method.face': 'Face',
    'method.otp': 'OTP',
    'method.attestation': 'Supervisor attestation',

    'status.pending': 'Pending',
    'status.approved': 'Approved',
    'status.rejected': 'Rejected',

    'attest.known_to_supervisor': 'Known to the supervisor',
    'attest.identity_document_verified': 'Identity document checked',
    'attest.home_visit': 'Home visit',
    'attest.community_witness': 'Community witness',

    'outcome.match': 'Match',
    'outcome.no_match': 'No match',
    'outcome.liveness_failed': 'Liveness failed',
    'outcome.no_consent': 'No consent',
    'outcome.not_enrolled': 'Not enrolled',
    'outcome.template_expired': 'Template expired',
    'outcome.already_distributed': 'Already distributed',

    'loading': 'Loading…',
    'error.network': 'The service could not be reached. Check the connection and try again.',
    'error.forbidden': 'Not allowed: {message}',
    'error.generic': '{message}',
  },

  hi: {
    'app.title': 'चेहरा — ज़िला प्रशासक कंसोल',
    'app.subtitle': 'THR वैकल्पिक (फ़ॉलबैक) मामलों की समीक्षा और वंचन आँकड़े',
    'lang.switch': 'English',
    'lang.switchLabel': 'View in English (अंग्रेज़ी में देखें)',
    'skip': 'सामग्री पर जाएँ',

    'signin.heading': 'साइन इन',
    'signin.submit': 'साइन इन करें',
    'signin.signedOut': 'आप साइन आउट हो गए हैं।',
    'signout': 'साइन आउट',
    'who': '{sub} के रूप में साइन इन · ज़िला {district}',

    'nav.label': 'खंड',
    'nav.queue': 'समीक्षा सूची',
    'nav.metrics': 'वंचन आँकड़े',

    'queue.heading': 'समीक्षा के लिए फ़ॉलबैक मामले',
    'queue.filters': 'सूची छाँटें',
    'queue.status': 'समीक्षा की स्थिति',
    'queue.status.any': 'कोई भी',
    'queue.awc': 'आंगनवाड़ी केंद्र (AWC)',
    'queue.awc.placeholder': 'जैसे AWC-001',
    'queue.reason': 'कारण',
    'queue.reason.any': 'कोई भी कारण',
    'queue.minAge': 'न्यूनतम आयु (दिन)',
    'queue.apply': 'छाँटें',
    'queue.reset': 'हटाएँ',
    'queue.count': '{total} मामले',
    'queue.count.one': '1 मामला',
    'queue.empty': 'इन शर्तों से कोई मामला नहीं मिला।',
    'queue.caption': 'फ़ॉलबैक मामले, सबसे पुराने पहले',
    'queue.col.opened': 'खोला गया',
    'queue.col.age': 'आयु (दिन)',
    'queue.col.beneficiary': 'लाभार्थी',
    'queue.col.awc': 'AWC',
    'queue.col.reason': 'कारण',
    'queue.col.delivery': 'राशन किस विधि से दिया',
    'queue.col.status': 'समीक्षा',
    'queue.col.action': 'कार्रवाई',
    'queue.open': 'खोलें',
    'queue.openCase': '{name} का मामला खोलें',
    'queue.prev': 'पिछला पृष्ठ',
    'queue.next': 'अगला पृष्ठ',
    'queue.page': 'मामले {from}–{to}, कुल {total}',
    'queue.refresh': 'ताज़ा करें',

    'case.heading': '{name} का मामला',
    'case.close': 'सूची पर लौटें',
    'case.unavailable': 'मामला उपलब्ध नहीं',
    'case.who': 'कौन',
    'case.name': 'नाम',
    'case.category': 'श्रेणी',
    'case.awc': 'AWC',
    'case.mobile': 'पंजीकृत मोबाइल',
    'case.guardian': 'अभिभावक',
    'case.none': '—',
    'case.why': 'कब और क्यों',
    'case.openedAt': 'खोला गया',
    'case.openedBy': 'किसने खोला (कार्यकर्ता)',
    'case.reason': 'कारण',
    'case.month': 'राशन का महीना',
    'case.workerNote': 'कार्यकर्ता की टिप्पणी',
    'case.verification': 'चेहरा सत्यापन प्रयास',
    'case.verification.none': 'इस मामले से कोई चेहरा प्रयास जुड़ा नहीं है।',
    'case.attemptAt': 'प्रयास का समय',
    'case.outcome': 'परिणाम',
    'case.scoreLabel': 'अंक',
    'case.score': '{score} (सीमा {threshold})',
    'case.delivery': 'राशन कैसे दिया गया',
    'case.method': 'विधि',
    'case.notDelivered': 'अभी नहीं दिया गया',
    'case.completedAt': 'दिया गया',
    'case.otp': 'OTP',
    'case.otp.value': '{sent} भेजे गए · सत्यापित: {verified}',
    'case.attestedBy': 'प्रमाणित करने वाली (पर्यवेक्षक)',
    'case.attestationReason': 'प्रमाणन का आधार',
    'case.attestationNote': 'पर्यवेक्षक की टिप्पणी',
    'case.recovery': 'वसूली',
    'case.recovery.flagged': '{time} को वसूली के लिए चिह्नित',
    'case.recovery.no': 'चिह्नित नहीं',
    'case.review': 'समीक्षा',
    'case.status': 'स्थिति',
    'case.reviewedBy': 'समीक्षक',
    'case.reviewedAt': 'समीक्षा की गई',
    'case.reviewNote': 'समीक्षक की टिप्पणी',
    'case.noFace': 'कोई चेहरे की तस्वीर न रखी जाती है न दिखाई जाती है: केवल निर्णय और उसका अंक।',
    'yes': 'हाँ',
    'no': 'नहीं',

    'decision.heading': 'आपका निर्णय',
    'decision.note': 'टिप्पणी',
    'decision.noteHelp': 'अस्वीकार करने के लिए ज़रूरी: कारण लिखें। अस्वीकार करने पर राशन वसूली के लिए चिह्नित होता है; कुछ भी मिटाया नहीं जाता।',
    'decision.approve': 'स्वीकार करें',
    'decision.reject': 'अस्वीकार करें',
    'decision.approved': 'मामला स्वीकार किया गया।',
    'decision.rejected': 'मामला अस्वीकार किया गया; राशन वसूली के लिए चिह्नित है।',
    'decision.done': 'इस मामले की समीक्षा हो चुकी है।',
    'decision.awaitingDelivery': 'इस मामले से अभी राशन नहीं दिया गया है: देने के बाद ही समीक्षा हो सकती है।',

    'metrics.heading': 'वंचन आँकड़े',
    'metrics.period': 'अवधि',
    'metrics.from': 'से',
    'metrics.to': 'तक',
    'metrics.load': 'दिखाएँ',
    'metrics.csv': 'CSV डाउनलोड करें',
    'metrics.csvDone': 'CSV डाउनलोड हो गई।',
    'metrics.periodLabel': 'ज़िला {district}, {from} से {to} तक',
    'metrics.caption': 'हर AWC: चेहरा प्रयास, चेहरे से वितरण और फ़ॉलबैक',
    'metrics.col.awc': 'AWC',
    'metrics.col.attempts': 'चेहरा प्रयास',
    'metrics.col.matches': 'चेहरे से वितरण',
    'metrics.col.fallbacks': 'फ़ॉलबैक',
    'metrics.col.rate': 'फ़ॉलबैक दर',
    'metrics.col.z': 'z\u2011अंक',
    'metrics.col.flag': 'चेतावनी',
    'metrics.col.reasons': 'कारण अनुसार फ़ॉलबैक',
    'metrics.total': 'ज़िला',
    'metrics.flagged': 'चिह्नित',
    'metrics.flagHelp': 'चिह्नित: AWC की फ़ॉलबैक दर ज़िले के अन्य AWC की दर (कम मुलाक़ातों पर अपेक्षित 8 % की ओर समायोजित) से बहुत ऊपर है — संयोग से 1000 में 1 से भी कम, कम से कम 5 मुलाक़ातें। कैमरा ख़राब हो सकता है, या दुरुपयोग।',
    'metrics.empty': 'इस अवधि में कोई सत्यापन या फ़ॉलबैक नहीं।',
    'metrics.chart': 'AWC अनुसार फ़ॉलबैक दर',
    'metrics.chartDesc': 'हर AWC की फ़ॉलबैक दर का बार चार्ट; टूटी रेखा ज़िले की दर है। चिह्नित AWC पर निशान है।',
    'metrics.districtRate': 'ज़िला {rate}',
    'queue.search': 'खोजें',
    'queue.search.placeholder': 'लाभार्थी का नाम या आईडी',
    'queue.from': 'खोले जाने की तारीख़ से',
    'queue.to': 'खोले जाने की तारीख़ तक',
    'queue.col.select': 'चुनें',
    'queue.selectPage': 'इस पन्ने के सभी लंबित मामले चुनें',
    'queue.selectCase': '{name} का मामला चुनें',
    'bulk.heading': 'चुने गए मामलों पर निर्णय',
    'bulk.count': '{n} चुने गए',
    'bulk.note': 'सबके लिए एक टिप्पणी',
    'bulk.approve': 'चुने गए स्वीकार करें',
    'bulk.reject': 'चुने गए अस्वीकार करें',
    'bulk.done.approved': '{n} मामले स्वीकार किए गए।',
    'bulk.done.rejected': '{n} मामले अस्वीकार किए गए; उनका राशन वसूली के लिए चिह्नित है।',
    'bulk.refused': 'कोई निर्णय नहीं हुआ: {name} पर निर्णय नहीं हो सकता ({message})। उसे हटाकर फिर कोशिश करें।',
    'next.case': 'अगला मामला: {name} →',
    'next.none': 'आपकी शर्तों से कोई और लंबित मामला नहीं।',
    'metrics.col.baseline': 'अपेक्षित (अन्य AWC)',
    'metrics.flagWhy': 'फ़ॉलबैक दर {rate} ({n} में से {k} मुलाक़ातें), ज़िले के अन्य AWC में {base} — {chance}।',
    'metrics.chance.million': 'संयोग से दस लाख में 1 से भी कम',
    'metrics.chance.thousand': 'संयोग से {n} में 1 से भी कम',
    'metrics.weekly': 'सप्ताह अनुसार फ़ॉलबैक दर',
    'metrics.weeklyDesc': 'पिछले 12 सप्ताहों (सोमवार से रविवार) में ज़िले की फ़ॉलबैक दर का बार चार्ट। जिन सप्ताहों में कोई AWC चिह्नित हुआ, उन पर निशान और उसका नाम है।',
    'metrics.weekNoVisits': 'कोई मुलाक़ात नहीं',

    'reason.no_consent': 'सहमति नहीं',
    'reason.no_match': 'चेहरा मेल नहीं खाया',
    'reason.liveness_failed': 'जीवंतता जाँच विफल',
    'reason.not_enrolled': 'नामांकन नहीं',
    'reason.template_expired': 'टेम्पलेट की अवधि समाप्त',
    'reason.poor_quality': 'फ़ोटो की गुणवत्ता ख़राब',
    'reason.camera_fault': 'कैमरा ख़राब',
    'reason.child_too_young': 'बच्चा बहुत छोटा',
    'reason.disability_or_injury': 'दिव्यांगता या चोट',
    'reason.refused_biometrics': 'चेहरा लेने से इनकार',

    'category.pregnant': 'गर्भवती महिला',
    'category.lactating': 'धात्री माता',
    'category.child_6m_3y': 'बच्चा 6 माह–3 वर्ष',
    'category.child_3_6y': 'बच्चा 3–6 वर्ष',
    'category.adolescent_girl': 'किशोरी',

    'method.face': 'चेहरा',
    'method.otp': 'OTP',
    'method.attestation': 'पर्यवेक्षक प्रमाणन',

    'status.pending': 'लंबित',
    'status.approved': 'स्वीकृत',
    'status.rejected': 'अस्वीकृत',

    'attest.known_to_supervisor': 'पर्यवेक्षक परिचित हैं',
    'attest.identity_document_verified': 'पहचान दस्तावेज़ जाँचा',
    'attest.home_visit': 'घर जाकर देखा',
    'attest.community_witness': 'समुदाय का गवाह',

    'outcome.match': 'मेल खाया',
    'outcome.no_match': 'मेल नहीं खाया',
    'outcome.liveness_failed': 'जीवंतता विफल',
    'outcome.no_consent': 'सहमति नहीं',
    'outcome.not_enrolled': 'नामांकन नहीं',
    'outcome.template_expired': 'टेम्पलेट समाप्त',
    'outcome.already_distributed': 'पहले ही वितरित',

    'loading': 'लोड हो रहा है…',
    'error.network': 'सेवा से संपर्क नहीं हो सका। कनेक्शन जाँचें और फिर कोशिश करें।',
    'error.forbidden': 'अनुमति नहीं: {message}',
    'error.generic': '{message}',
  },
};

// The duplicates view keeps its labels beside it; they join the one dictionary here.
for (const lang of LANGS) Object.assign(DICT[lang], DUPLICATES_DICT[lang], SMS_DICT[lang]);

/** Localised explanations for the API's error codes; the API's own message is shown beside them. */
export const ERROR_HINTS = {
  en: {},
  hi: {
    note_required: 'अस्वीकार करने के लिए टिप्पणी लिखें।',
    already_reviewed: 'इस मामले की समीक्षा पहले ही हो चुकी है।',
    out_of_scope: 'यह मामला आपके ज़िले का नहीं है।',
    fallback_case_not_found: 'यह मामला नहीं मिला।',
    role_forbidden: 'यह भूमिका यह काम नहीं कर सकती।',
    invalid_period: '"से" की तारीख़ "तक" से पहले होनी चाहिए।',
    token_expired: 'टोकन की अवधि समाप्त।',
    token_invalid: 'टोकन मान्य नहीं है।',
    duplicate_already_decided: 'इस जोड़े पर निर्णय पहले ही हो चुका है।',
  },
};

// Sign-in and Users labels live in i18n-identity.js; merged here, so t() has one dictionary.
for (const lang of LANGS) {
  Object.assign(DICT[lang], IDENTITY_DICT[lang]);
  Object.assign(ERROR_HINTS[lang], IDENTITY_HINTS[lang]);
}

/** @type {Lang} */
let current = 'en';

export const getLang = () => current;

/** @param {Lang} lang */
export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : 'en';
  document.documentElement.lang = current;
}

/**
 * The label for `key` in the current language ({name} placeholders filled from `vars`);
 * English if the current language lacks it, the key itself if no language has it.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  const s = /** @type {Record<string, string>} */ (DICT[current])[key] ?? /** @type {Record<string, string>} */ (DICT.en)[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Fills every element's text and attributes from its data-i18n* attributes. @param {ParentNode} root */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(/** @type {string} */ (el.getAttribute('data-i18n')));
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    // data-i18n-attr="placeholder:queue.awc.placeholder;aria-label:nav.label"
    for (const pair of (el.getAttribute('data-i18n-attr') ?? '').split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  document.title = t('app.title');
}

/** Dates and times as people in India read them, in IST, whatever the laptop's time zone. */
export function formatDateTime(/** @type {string | null | undefined} */ iso) {
  if (!iso) return t('case.none');
  return new Intl.DateTimeFormat(current === 'hi' ? 'hi-IN' : 'en-IN', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Kolkata' }).format(new Date(iso));
}

export function formatDate(/** @type {string | null | undefined} */ iso) {
  if (!iso) return t('case.none');
  return new Intl.DateTimeFormat(current === 'hi' ? 'hi-IN' : 'en-IN', { dateStyle: 'medium', timeZone: 'Asia/Kolkata' }).format(new Date(iso));
}

/** A share as a percentage with one decimal. @param {number | null | undefined} x */
export function formatPercent(x) {
  if (x === null || x === undefined) return t('case.none');
  return new Intl.NumberFormat(current === 'hi' ? 'hi-IN' : 'en-IN', { style: 'percent', maximumFractionDigits: 1 }).format(x);
}
