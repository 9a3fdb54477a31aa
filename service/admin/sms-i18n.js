// Labels of the OTP delivery status on a case (what the SMS gateway says of each message), joined
// into the one dictionary by i18n.js. Keys `sms.<status>` follow the contract's SMS_STATUSES.

export const SMS_DICT = {
  en: {
    'case.smsDelivery': 'OTP SMS',
    'case.smsDelivery.item': '{time}: {status}',
    'sms.accepted': 'sent, not yet confirmed delivered',
    'sms.delivered': 'delivered to the phone',
    'sms.failed': 'not delivered',
    'sms.unknown': 'status not known',
  },
  hi: {
    'case.smsDelivery': 'OTP SMS',
    'case.smsDelivery.item': '{time}: {status}',
    'sms.accepted': 'भेजा गया, पहुँचने की पुष्टि नहीं',
    'sms.delivered': 'फ़ोन पर पहुँचा',
    'sms.failed': 'नहीं पहुँचा',
    'sms.unknown': 'स्थिति ज्ञात नहीं',
  },
};
