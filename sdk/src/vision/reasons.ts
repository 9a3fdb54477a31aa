/**
 * Why a capture was refused. Each code has one message in English and Hindi telling the
 * Anganwadi worker what to do next; the messages never describe the face or carry pixel data.
 */
export type FailureReason =
  | 'image_empty'
  | 'image_corrupt'
  | 'image_unsupported'
  | 'image_too_small'
  | 'image_too_large'
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'face_cut_off'
  | 'face_turned'
  | 'face_tilted_up_down'
  | 'head_tilted'
  | 'image_blurry'
  | 'too_dark'
  | 'too_bright'
  | 'eyes_closed'
  | 'liveness_failed'
  | 'processing_error';

export interface WorkerMessage {
  en: string;
  hi: string;
}

export const MESSAGES: Readonly<Record<FailureReason, WorkerMessage>> = {
  image_empty: {
    en: 'No photo was received. Take the photo again.',
    hi: 'कोई फ़ोटो नहीं मिली। फ़ोटो दोबारा लें।',
  },
  image_corrupt: {
    en: 'The photo is damaged or incomplete. Take the photo again.',
    hi: 'फ़ोटो ख़राब या अधूरी है। फ़ोटो दोबारा लें।',
  },
  image_unsupported: {
    en: 'This photo format cannot be read. Use the app camera to take the photo.',
    hi: 'यह फ़ोटो फ़ॉर्मेट पढ़ा नहीं जा सकता। ऐप के कैमरे से फ़ोटो लें।',
  },
  image_too_small: {
    en: 'The photo is too small. Take the photo again with the app camera.',
    hi: 'फ़ोटो बहुत छोटी है। ऐप के कैमरे से फ़ोटो दोबारा लें।',
  },
  image_too_large: {
    en: 'The photo is too large to process. Take the photo again with the app camera.',
    hi: 'फ़ोटो बहुत बड़ी है। ऐप के कैमरे से फ़ोटो दोबारा लें।',
  },
  no_face: {
    en: 'No face was found. Make sure the face is inside the frame and well lit, then try again.',
    hi: 'चेहरा नहीं मिला। चेहरा फ़्रेम के अंदर और रोशनी में रखें, फिर दोबारा कोशिश करें।',
  },
  multiple_faces: {
    en: 'More than one face is in the photo. Only the beneficiary should be in front of the camera.',
    hi: 'फ़ोटो में एक से ज़्यादा चेहरे हैं। कैमरे के सामने केवल लाभार्थी होने चाहिए।',
  },
  face_too_small: {
    en: 'The face is too far away. Move the camera closer so the face fills the frame.',
    hi: 'चेहरा बहुत दूर है। कैमरा पास लाएँ ताकि चेहरा फ़्रेम में भर जाए।',
  },
  face_cut_off: {
    en: 'Part of the face is outside the photo. Keep the whole face inside the frame.',
    hi: 'चेहरे का कुछ हिस्सा फ़ोटो से बाहर है। पूरा चेहरा फ़्रेम के अंदर रखें।',
  },
  face_turned: {
    en: 'The face is turned to the side. Ask the beneficiary to look straight at the camera.',
    hi: 'चेहरा एक तरफ़ मुड़ा है। लाभार्थी से सीधे कैमरे की ओर देखने को कहें।',
  },
  face_tilted_up_down: {
    en: 'The face is tilted up or down. Hold the camera at eye level and ask the beneficiary to look straight.',
    hi: 'चेहरा ऊपर या नीचे झुका है। कैमरा आँखों की ऊँचाई पर रखें और सीधे देखने को कहें।',
  },
  head_tilted: {
    en: 'The head is tilted sideways. Ask the beneficiary to keep the head straight.',
    hi: 'सिर एक तरफ़ झुका है। लाभार्थी से सिर सीधा रखने को कहें।',
  },
  image_blurry: {
    en: 'The photo is blurry. Hold the phone steady and wipe the camera lens, then try again.',
    hi: 'फ़ोटो धुंधली है। फ़ोन स्थिर रखें और कैमरे का लेंस साफ़ करें, फिर दोबारा कोशिश करें।',
  },
  too_dark: {
    en: 'The face is too dark. Move to a brighter place, facing the light.',
    hi: 'चेहरा बहुत अँधेरे में है। रोशनी की ओर मुँह करके उजली जगह पर जाएँ।',
  },
  too_bright: {
    en: 'The face is too bright. Avoid direct sunlight or flash on the face.',
    hi: 'चेहरे पर बहुत ज़्यादा रोशनी है। चेहरे पर सीधी धूप या फ़्लैश से बचें।',
  },
  eyes_closed: {
    en: 'The eyes look closed. Ask the beneficiary to open the eyes and look at the camera.',
    hi: 'आँखें बंद लग रही हैं। लाभार्थी से आँखें खोलकर कैमरे की ओर देखने को कहें।',
  },
  liveness_failed: {
    en: 'This looks like a photo of a photo or a screen. Capture the beneficiary in person; if it fails again, use the fallback.',
    hi: 'यह किसी फ़ोटो या स्क्रीन की फ़ोटो लगती है। लाभार्थी की फ़ोटो सामने से लें; फिर भी न हो तो वैकल्पिक तरीका अपनाएँ।',
  },
  processing_error: {
    en: 'The photo could not be processed. Try again; if it keeps failing, use the fallback.',
    hi: 'फ़ोटो प्रोसेस नहीं हो सकी। दोबारा कोशिश करें; बार-बार न हो तो वैकल्पिक तरीका अपनाएँ।',
  },
};
