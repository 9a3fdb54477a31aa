-- The SMS gateway's id for the message that carried each OTP (SmsReceipt.id), so a district admin
-- looking at a fallback case can see whether the code reached the phone: the review view asks the
-- gateway for that message's delivery status (domain/sms-delivery.ts). NULL when the send failed
-- (the gateway gave no id) and for challenges made before this column existed. The id is the
-- gateway's reference, not the number or the text: the OTP itself is only ever kept as a keyed hash.
ALTER TABLE otp_challenges ADD COLUMN sms_message_id text;
