import * as contract from '@chehra/contract';
import { ROLES, type Role } from '@chehra/contract';
import { MANAGES, MAY_RESET } from './identity/user-admin.js';

/**
 * The console's copy of the contract, made by the service from the contract itself: the admin
 * console (plain ES modules, no build step) imports /admin/contract.js instead of keeping its own
 * lists of reasons, decisions and roles, so a value added to contract/src/enums.ts reaches its
 * filters and forms with nothing else to edit. Plain data made with JSON.stringify, not an esbuild
 * bundle of @chehra/contract: the console needs the lists, not TypeBox and its schemas.
 */

/** Every enumeration of the contract: its exported lists of strings (schemas are objects, helpers functions). */
export function contractEnums(): Record<string, readonly string[]> {
  const isList = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const lists = Object.entries(contract as Record<string, unknown>).flatMap(([name, v]) => (isList(v) ? [[name, v] as const] : []));
  return Object.fromEntries(lists.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Who may use the console: every role that manages accounts (the Users page; a district admin
 * also reviews cases there). A worker signs in on the app, an auditor reads the audit API.
 */
export const CONSOLE_ROLES: readonly Role[] = ROLES.filter((r) => MANAGES[r].length > 0);

/** What the console reads besides the enumerations: the service's who-manages-whom rule (identity/user-admin.ts). */
export function consolePolicy(): { MANAGES: Record<Role, readonly Role[]>; MAY_RESET: readonly Role[]; CONSOLE_ROLES: readonly Role[] } {
  return { MANAGES, MAY_RESET, CONSOLE_ROLES };
}

/** A literal of frozen arrays and objects, so no view of the console can change a list for the others. */
function frozen(value: unknown): string {
  if (Array.isArray(value)) return `Object.freeze([${value.map(frozen).join(', ')}])`;
  if (value && typeof value === 'object') return `Object.freeze({ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${frozen(v)}`).join(', ')} })`;
  return JSON.stringify(value);
}

/** The source of /admin/contract.js: one `export const` per enumeration and per policy list. */
export function adminContractModule(): string {
  const exports = { ...contractEnums(), ...consolePolicy() };
  return [
    '// Made by the Chehra service at start from @chehra/contract (every enumeration) and the',
    "// service's user-admin policy (MANAGES, MAY_RESET, CONSOLE_ROLES). Do not copy these lists.",
    ...Object.entries(exports).map(([name, value]) => `export const ${name} = ${frozen(value)};`),
    '',
  ].join('\n');
}
