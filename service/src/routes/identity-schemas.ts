import { Type } from 'typebox';
import { ROLES, type Role as RoleName } from '../auth/principal.js';
import { MPIN_PATTERN } from '../identity/mpin.js';

// Wire shapes of sign-in and user management. They move to @chehra/contract when it lands.

export const Mobile = Type.String({ pattern: '^(\\+91)?[6-9][0-9]{9}$', description: 'the 10-digit mobile number, optionally with +91' });
export const Mpin = Type.String({ pattern: MPIN_PATTERN });
const Code = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const Role = Type.Unsafe<RoleName>({ type: 'string', enum: [...ROLES] });

export const LoginBody = Type.Object(
  { mobile: Mobile, mpin: Mpin, deviceId: Type.String({ pattern: '^[A-Za-z0-9._:-]{8,128}$' }) },
  { additionalProperties: false },
);
export const RefreshBody = Type.Object({ refreshToken: Type.String({ pattern: '^rt_[A-Za-z0-9_-]{43}$' }) }, { additionalProperties: false });
export const ChangeMpinBody = Type.Object({ currentMpin: Mpin, newMpin: Mpin }, { additionalProperties: false });

export const UserView = Type.Object({
  id: Type.String(),
  role: Role,
  name: Type.String(),
  mobile: Type.String({ description: 'masked: the last four digits' }),
  state: Type.Union([Type.String(), Type.Null()]),
  district: Type.Optional(Type.String()),
  awc: Type.Optional(Type.String()),
  awcs: Type.Optional(Type.Array(Type.String())),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  mustChangeMpin: Type.Boolean(),
  createdAt: Type.String(),
});

export const SignedInView = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer(),
  mustChangeMpin: Type.Boolean(),
  user: UserView,
});

export const NewUserBody = Type.Object(
  {
    role: Role,
    mobile: Mobile,
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    awc: Type.Optional(Code),
    awcs: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50 })),
    district: Type.Optional(Code),
  },
  { additionalProperties: false },
);

export const UserWithMpin = Type.Object({ user: UserView, oneTimeMpin: Type.String({ description: 'shown once; she must change it at first sign-in' }) });
export const UserList = Type.Object({ items: Type.Array(UserView) });
export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }) });
