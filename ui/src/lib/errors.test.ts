import { describe, expect, it } from 'vitest';
import { CHANGE_PASSWORD_RULES, MEMBER_RULES, PROJECT_NAME_RULES, TOKEN_RULES, USER_RULES, deleteProjectMessage, errorField, isLastAdmin, memberErrorMessage } from './errors';

describe('errorField maps server errors to form fields', () => {
  it.each([
    [PROJECT_NAME_RULES, 'CONFLICT', 'a project named "x" already exists', 'name'],
    [PROJECT_NAME_RULES, 'INVALID_INPUT', 'a project name must be 1 to 100 printable characters', 'name'],
    [MEMBER_RULES, 'NOT_FOUND', 'user not found', 'user'],
    [MEMBER_RULES, 'INVALID_INPUT', 'user id "nope" is not a valid id', 'user'],
    [MEMBER_RULES, 'CONFLICT', 'a project must keep at least one admin: make someone else admin first', null],
    [TOKEN_RULES, 'CONFLICT', 'a token named "ci" already exists in this project', 'name'],
    [TOKEN_RULES, 'INVALID_INPUT', 'expiresAt must be in the future', 'expiresAt'],
    [USER_RULES, 'INVALID_INPUT', 'email must look like name@example.com', 'email'],
    [USER_RULES, 'CONFLICT', 'a user with email a@b.c already exists', 'email'],
    [USER_RULES, 'INVALID_INPUT', 'password must be at least 12 characters', 'password'],
    [USER_RULES, 'FORBIDDEN', 'only site admins may create users', null],
    [CHANGE_PASSWORD_RULES, 'INVALID_INPUT', 'the current password is wrong', 'current'],
    [CHANGE_PASSWORD_RULES, 'INVALID_INPUT', 'password must be at least 12 characters', 'next'],
  ] as const)('%#: %s %s', (rules, code, message, field) => {
    expect(errorField({ code, message }, rules as never)).toBe(field);
  });

  it('explains the last-admin refusal and a project that still holds things', () => {
    const last = { code: 'CONFLICT' as const, message: 'a project must keep at least one admin: make someone else admin first' };
    expect(isLastAdmin(last)).toBe(true);
    expect(memberErrorMessage(last, 'a@example.com')).toBe("a@example.com is this project's last admin, and a project keeps at least one: make someone else admin first.");
    expect(memberErrorMessage({ code: 'FORBIDDEN', message: 'you may not manage members' }, 'a@example.com')).toMatch(/^Only the project's admins/);
    expect(deleteProjectMessage({ code: 'CONFLICT', message: 'the default project cannot be deleted' }, 'default')).toBe('default cannot be deleted: the default project cannot be deleted.');
  });
});
