import type { CombinedError } from 'urql';

/** The `extensions.code` values the API promises. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'UNSUPPORTED'
  | 'LAGGED'
  | 'QUERY_TOO_COMPLEX'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'INTERNAL';

export interface ApiError {
  code: ErrorCode | 'NETWORK' | 'UNKNOWN';
  message: string;
}

/** The first error of a urql result, with its code. */
export function apiError(error: CombinedError | undefined | null): ApiError | null {
  if (!error) return null;
  const gql = error.graphQLErrors[0];
  if (gql) {
    const code = (gql.extensions?.code as ErrorCode | undefined) ?? 'UNKNOWN';
    return { code, message: gql.message };
  }
  if (error.networkError) {
    return {
      code: 'NETWORK',
      message: `Cannot reach the Toygres API (${error.networkError.message}). Check that the server is running.`,
    };
  }
  return { code: 'UNKNOWN', message: error.message };
}

export function hasCode(error: CombinedError | undefined | null, code: ErrorCode): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === code);
}

/** What to tell the user to do about an error on a page. */
export function advice(err: ApiError): string {
  switch (err.code) {
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Log in again.';
    case 'FORBIDDEN':
      return 'Your role in this project does not allow this. Ask a project admin.';
    case 'NOT_FOUND':
      return 'It may have been deleted, or you may not have access to it.';
    case 'INVALID_INPUT':
      return 'Check the address, or the values you entered.';
    case 'UNSUPPORTED':
      return 'This installation, or this kind of instance, cannot do that yet.';
    case 'QUERY_TOO_COMPLEX':
      return 'The request asked for too much at once: ask for smaller pages or fewer fields.';
    case 'RATE_LIMITED':
      return 'Too many attempts: wait as long as the message says, then retry.';
    case 'QUOTA_EXCEEDED':
      return "The project is at its quota: delete something it holds, or ask a site admin to raise the project's quota.";
    case 'NETWORK':
      return 'Check that the Toygres server is running, then retry.';
    case 'INTERNAL':
      return 'Something broke on the server. Retry; if it persists, check the server log.';
    default:
      return 'Retry, or reload the page.';
  }
}

export type CreateField =
  | 'name'
  | 'provider'
  | 'server'
  | 'region'
  | 'version'
  | 'plan'
  | 'serviceType'
  | 'storageGb'
  | 'username'
  | 'database'
  | 'password'
  | 'standbys';

/**
 * Attach a createInstance error to the form field it is about. The server says which field in
 * the message's first word(s) (see jobs/src/instance/mod.rs `validate`); anything else is a
 * form-level error.
 */
export function createErrorField(err: ApiError): CreateField | null {
  const m = err.message.trim();
  // The server named for a SERVER instance (jobs/src/server/placement.rs `place_new`).
  if (err.code === 'NOT_FOUND') return /^server not found/i.test(m) ? 'server' : null;
  if (err.code !== 'INVALID_INPUT' && err.code !== 'CONFLICT') return null;
  if (err.code === 'CONFLICT') {
    return /^an instance named /i.test(m) ? 'name' : null;
  }
  if (/^name\b/i.test(m)) return 'name';
  if (/^the \S+ provider is not configured/i.test(m)) return 'provider';
  if (/^serverId and region apply/i.test(m)) return 'provider';
  if (/^no (other )?server (has room|to place it on)/i.test(m)) return 'server';
  if (/^unknown plan\b/i.test(m)) return 'plan';
  if (/^serviceType\b/i.test(m)) return 'serviceType';
  if (/^PostgreSQL \S+ is not available/i.test(m) || /no PostgreSQL version/i.test(m)) return 'version';
  if (/^storageGb\b/i.test(m)) return 'storageGb';
  if (/^username\b/i.test(m)) return 'username';
  if (/^database\b/i.test(m)) return 'database';
  if (/^password\b/i.test(m)) return 'password';
  // jobs/src/instance/mod.rs `validate`, and standbys.rs placing a SERVER standby.
  if (/^standbys\b/i.test(m) || /^synchronous\b/i.test(m) || /^no server can take a standby/i.test(m)) return 'standbys';
  return null;
}

/** Where an error of one form belongs: a field, or (null) the form as a whole. */
export type FieldRule<F extends string> = [code: ErrorCode | ErrorCode[], pattern: RegExp, field: F];

export function errorField<F extends string>(err: ApiError, rules: readonly FieldRule<F>[]): F | null {
  const m = err.message.trim();
  for (const [code, pattern, field] of rules) {
    const codes = Array.isArray(code) ? code : [code];
    if (codes.includes(err.code as ErrorCode) && pattern.test(m)) return field;
  }
  return null;
}

/** createProject, renameProject: the name is the only field. */
export const PROJECT_NAME_RULES: FieldRule<'name'>[] = [
  ['INVALID_INPUT', /project name/i, 'name'],
  ['CONFLICT', /^a project named /i, 'name'],
];

/** setMemberRole when adding someone: which user, and which role. */
export const MEMBER_RULES: FieldRule<'user' | 'role'>[] = [
  [['INVALID_INPUT', 'NOT_FOUND'], /\buser\b/i, 'user'],
  ['INVALID_INPUT', /\brole\b/i, 'role'],
];

/** createApiToken. */
export const TOKEN_RULES: FieldRule<'name' | 'role' | 'expiresAt'>[] = [
  ['INVALID_INPUT', /token name/i, 'name'],
  ['CONFLICT', /^a token named /i, 'name'],
  ['INVALID_INPUT', /^expiresAt\b/i, 'expiresAt'],
  ['INVALID_INPUT', /\brole\b/i, 'role'],
];

/** createUser. */
export const USER_RULES: FieldRule<'email' | 'password'>[] = [
  ['INVALID_INPUT', /^email\b/i, 'email'],
  ['CONFLICT', /^a user with email /i, 'email'],
  ['INVALID_INPUT', /^password\b/i, 'password'],
];

/** changePassword. */
export const CHANGE_PASSWORD_RULES: FieldRule<'current' | 'next'>[] = [
  ['INVALID_INPUT', /current password/i, 'current'],
  ['INVALID_INPUT', /^password\b/i, 'next'],
];

/** Whether a refusal is the server keeping a project's last admin. */
export function isLastAdmin(err: ApiError): boolean {
  return err.code === 'CONFLICT' && /at least one admin/i.test(err.message);
}

/** What to say when a membership change is refused. */
export function memberErrorMessage(err: ApiError, email: string): string {
  if (isLastAdmin(err)) return `${email} is this project's last admin, and a project keeps at least one: make someone else admin first.`;
  if (err.code === 'FORBIDDEN') return `Only the project's admins may change its members (${err.message}).`;
  return err.message;
}

/** What to say when deleting a project is refused. */
export function deleteProjectMessage(err: ApiError, name: string): string {
  if (err.code === 'CONFLICT') return `${name} cannot be deleted: ${err.message}.`;
  return err.message;
}
