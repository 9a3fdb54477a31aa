// @chehra/contract: the wire, once. TypeBox schemas only (no Node modules), so the service, the
// SDK (in a browser too) and the console share one definition of every request, response and enum.
// Types: `Static<typeof Beneficiary>` etc., re-exported below under the schema's name.
export * from './enums.js';
export * from './common.js';
export * from './beneficiaries.js';
export * from './consents.js';
export * from './faces.js';
export * from './fallback.js';
export * from './review.js';
export * from './duplicates.js';
export * from './changes.js';
export * from './exclusion.js';
export * from './audit.js';
export * from './service.js';
export * from './identity.js';
export type { Static, TSchema } from 'typebox';
